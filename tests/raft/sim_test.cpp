// Raft under the simulator: loss, duplication, reordering, partitions, clock
// drift, crashes that lose unsynced writes, restarts. After every event the
// safety properties of the Raft paper (figure 3) are checked; after the
// faults heal, a leader must emerge and every acknowledged write must be
// applied everywhere.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "sim_server.hpp"
#include "support/seeds.hpp"

using namespace std::chrono_literals;
using namespace raft_sim;

namespace {

using cluster_t = cohort::sim::cluster<server>;

struct client_op {
  std::uint64_t client = 0, op = 0, key = 0;
  bool is_write = false;
  std::int64_t value = 0;       ///< written, or read back
  std::uint64_t invoked = 0;
  std::optional<std::uint64_t> completed;  ///< nullopt: indeterminate (timed out)
  bool failed = false;                     ///< refused: certainly not applied
};

/// Clients that send reads and writes to the server they believe leads.
class kv_clients {
 public:
  kv_clients(cluster_t& c, std::size_t count, std::size_t ops_each)
      : c_(&c), ops_each_(ops_each), rng_(c.rng().fork()) {
    for (std::size_t i = 0; i < count; ++i) {
      slots_.push_back(slot{node_id{500 + i}});
      auto ep = c.add_client(slots_.back().id, [this, i](node_id, envelope&& m) { on_reply(i, m); });
      REQUIRE(ep.has_value());
      slots_.back().ep.emplace(*ep);
    }
    for (std::size_t i = 0; i < count; ++i) next(i);
  }
  [[nodiscard]] bool done() const {
    for (const auto& s : slots_)
      if (s.finished < ops_each_) return false;
    return true;
  }
  [[nodiscard]] const std::vector<client_op>& history() const noexcept { return ops_; }

 private:
  struct slot {
    node_id id;
    std::optional<cohort::sim::network<envelope>::endpoint> ep{};
    std::size_t finished = 0;
    std::optional<std::size_t> current{};
    node_id guess{};
    cohort::sim::event_id timer{};
  };
  void next(std::size_t i) {
    if (slots_[i].finished >= ops_each_) return;
    c_->scheduler().after(cohort::duration{static_cast<std::int64_t>(cohort::uniform_below(rng_, 30'000'000))},
                          [this, i] { issue(i); });
  }
  void issue(std::size_t i) {
    slot& s = slots_[i];
    client_op op;
    op.client = s.id.value();
    op.op = ++ids_;
    op.key = cohort::uniform_below(rng_, 3);
    op.is_write = cohort::chance(rng_, 1, 2);
    op.value = op.is_write ? static_cast<std::int64_t>(op.op) : 0;
    op.invoked = ++clock_;
    s.current = ops_.size();
    ops_.push_back(op);
    const auto& servers = c_->servers();
    const node_id to = s.guess != cohort::no_node ? s.guess : servers[cohort::uniform_below(rng_, servers.size())];
    envelope m;
    m.k = envelope::kind::request;
    m.client = op.client;
    m.op = op.op;
    m.is_write = op.is_write;
    m.key = op.key;
    m.value = op.value;
    s.ep->send(to, std::move(m));
    s.timer = c_->scheduler().after(400ms, [this, i] {
      slot& t = slots_[i];
      t.current.reset();
      t.guess = node_id{};
      ++t.finished;
      next(i);
    });
  }
  void on_reply(std::size_t i, const envelope& m) {
    slot& s = slots_[i];
    if (!s.current || ops_[*s.current].op != m.op) return;
    c_->scheduler().cancel(s.timer);
    client_op& op = ops_[*s.current];
    op.completed = ++clock_;
    if (m.ok) {
      if (!op.is_write) op.value = m.value;
    } else {
      op.failed = true;
      s.guess = m.leader;
    }
    s.current.reset();
    ++s.finished;
    next(i);
  }
  cluster_t* c_;
  std::size_t ops_each_;
  cohort::xoshiro256ss rng_;
  std::vector<slot> slots_;
  std::vector<client_op> ops_;
  std::uint64_t ids_ = 0;
  std::uint64_t clock_ = 0;
};

/// The Raft safety properties, checked as the run goes.
struct safety {
  std::map<std::uint64_t, std::uint64_t> leader_of_term;            // election safety
  std::map<std::uint64_t, std::pair<term, cohort::bytes>> applied;  // state machine safety
  std::string violation;

  void on_leader(node_id n, term t) {
    auto [it, fresh] = leader_of_term.emplace(t.value(), n.value());
    if (!fresh && it->second != n.value() && violation.empty())
      violation = "two leaders in term " + std::to_string(t.value());
  }
  void on_apply(node_id n, const cohort::log_entry& e) {
    auto [it, fresh] = applied.emplace(e.index.value(), std::make_pair(e.term, e.data));
    if (!fresh && (it->second.first != e.term || it->second.second != e.data) && violation.empty())
      violation = "node " + std::to_string(n.value()) + " applied a different entry at index " +
                  std::to_string(e.index.value());
  }
};

/// Leader completeness and log matching over the running servers.
cohort::result<void> check_logs(cluster_t& c, const safety& s) {
  if (!s.violation.empty()) return cohort::make_error(cohort::errc::corrupted, s.violation);
  for (node_id id : c.servers()) {
    server* sv = c.server(id);
    if (sv == nullptr || sv->raw().role() != cohort::raft::role::leader) continue;
    // A leader holds every entry applied anywhere (committed entries).
    const auto& lg = sv->raw().log();
    for (auto it = s.applied.rbegin(); it != s.applied.rend(); ++it) {
      const log_index i{it->first};
      if (i < lg.first_index()) break;
      if (!lg.match_term(i, it->second.first))
        return cohort::make_error(cohort::errc::corrupted, "leader " + std::to_string(id.value()) +
                                                               " lacks committed entry " + std::to_string(i.value()));
      if (std::distance(s.applied.rbegin(), it) > 64) break;  // the recent tail is where it can go wrong
    }
  }
  return cohort::success();
}

/// Log matching: if two logs agree on (index, term), they agree on all before.
std::string check_log_matching(cluster_t& c) {
  std::vector<server*> up;
  for (node_id id : c.servers())
    if (auto* s = c.server(id)) up.push_back(s);
  for (std::size_t a = 0; a < up.size(); ++a)
    for (std::size_t b = a + 1; b < up.size(); ++b) {
      const auto& la = up[a]->raw().log();
      const auto& lb = up[b]->raw().log();
      const log_index hi = std::min(la.last_index(), lb.last_index());
      const log_index lo = std::max(la.first_index(), lb.first_index());
      bool matched_above = false;
      for (log_index i = hi; i >= lo && i > log_index{0}; --i) {
        const bool same = la.term_or_zero(i) == lb.term_or_zero(i);
        if (matched_above && !same) return "log matching violated at index " + std::to_string(i.value());
        matched_above = matched_above || same;
      }
    }
  return {};
}

struct run_result {
  cohort::sim::run_report report;
  std::size_t acknowledged_writes = 0;
  std::size_t ops = 0;
};

run_result run_seed(std::uint64_t seed, bool async, const std::string& test_name) {
  cohort::sim::options base;
  base.servers = 5;
  base.phases.safety = 4s;
  base.phases.liveness = 20s;
  base.replay = cohort_test::replay_command("cohort_raft_tests", test_name);
  auto o = cohort::sim::swarm(seed, base);
  o.storage.write_failure_ppm = 0;
  safety s;
  observer_hub hub;
  hub.on_apply = [&s](node_id n, const cohort::log_entry& e) { s.on_apply(n, e); };
  hub.on_leader = [&s](node_id n, term t) { s.on_leader(n, t); };
  server_options so;
  for (std::uint64_t i = 1; i <= o.servers; ++i) so.voters.push_back(node_id{i});
  so.async_storage = async;
  so.hub = &hub;
  auto c = cluster_t::create(o, [&so](server::context& ctx) { return std::make_unique<server>(ctx, so); });
  REQUIRE(c.has_value());
  cluster_t& cl = *c.value();
  kv_clients clients(cl, 4, 15);
  cl.set_invariant([&] { return check_logs(cl, s); });
  auto converged = [&] {
    if (!clients.done()) return false;
    // One leader, and every server applied the same prefix as far as the leader committed.
    server* leader = nullptr;
    for (node_id id : cl.servers()) {
      server* sv = cl.server(id);
      if (sv == nullptr) return false;
      if (sv->raw().role() == cohort::raft::role::leader) leader = sv;
    }
    if (leader == nullptr) return false;
    for (node_id id : cl.servers())
      if (cl.server(id)->applied_index() != leader->raw().committed()) return false;
    return true;
  };
  run_result out;
  out.report = cl.run(converged);
  if (!out.report.ok) {
    for (node_id id : cl.servers()) {
      server* sv = cl.server(id);
      if (sv == nullptr) {
        out.report.what += "\n  n" + std::to_string(id.value()) + " down";
        continue;
      }
      const auto& r = sv->raw();
      out.report.what += "\n  n" + std::to_string(id.value()) + " " + std::string(cohort::raft::name_of(r.role())) +
                         " term " + std::to_string(r.current_term().value()) + " leader " +
                         std::to_string(r.leader().value()) + " last " + std::to_string(r.last_index().value()) +
                         " committed " + std::to_string(r.committed().value()) + " applied " +
                         std::to_string(sv->applied_index().value()) + " durable " +
                         std::to_string(r.log().durable().value()) + (sv->stopped() ? " STOPPED" : "");
    }
    out.report.what += "\n  clients done: " + std::to_string(clients.done());
  }
  if (out.report.ok) {
    if (auto lm = check_log_matching(cl); !lm.empty()) {
      cl.fail(lm);
      out.report = cl.report();
    }
  }
  if (out.report.ok) {
    // Every acknowledged write is in every server's state machine history.
    std::set<std::int64_t> applied_values;
    for (auto& [i, e] : s.applied)
      if (auto cmd = command::decode(e.second); cmd && cmd->is_write) applied_values.insert(cmd->value);
    for (const auto& op : clients.history()) {
      if (op.is_write && op.completed && !op.failed) {
        ++out.acknowledged_writes;
        if (!applied_values.count(op.value)) {
          cl.fail("acknowledged write " + std::to_string(op.value) + " was never applied");
          out.report = cl.report();
          break;
        }
      }
    }
  }
  out.ops = clients.history().size();
  return out;
}

}  // namespace

TEST_CASE("raft sim: safety and liveness over swarm seeds, synchronous storage", "[raft][sim][swarm]") {
  std::size_t acked = 0;
  for (std::uint64_t seed : cohort_test::seeds(1, 40)) {
    const auto r = run_seed(seed, false, "raft sim: safety and liveness over swarm seeds, synchronous storage");
    INFO(r.report.summary());
    REQUIRE(r.report.ok);
    acked += r.acknowledged_writes;
  }
  CHECK(acked > 0);
}

TEST_CASE("raft sim: safety and liveness over swarm seeds, asynchronous storage", "[raft][sim][swarm]") {
  std::size_t acked = 0;
  for (std::uint64_t seed : cohort_test::seeds(1001, 40)) {
    const auto r = run_seed(seed, true, "raft sim: safety and liveness over swarm seeds, asynchronous storage");
    INFO(r.report.summary());
    REQUIRE(r.report.ok);
    acked += r.acknowledged_writes;
  }
  CHECK(acked > 0);
}
