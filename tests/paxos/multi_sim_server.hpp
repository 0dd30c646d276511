// tests/paxos/multi_sim_server.hpp - a Multi-Paxos server for the simulator:
// the raw node over sim::storage, driven by multi.hpp's contract, with a small
// key-value state machine and client request handling (as tests/raft/sim_server.hpp).
#pragma once

#include <cohort/paxos.hpp>
#include <cohort/sim.hpp>

#include "support/kv_command.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace paxos_sim {

using cohort::log_index;
using cohort::node_id;

/// Client <-> server messages travel in the same envelope as Paxos's.
struct envelope {
  enum class kind : std::uint8_t { paxos, request, reply } k = kind::paxos;
  cohort::paxos::multi_message paxos{};
  std::uint64_t client = 0;
  std::uint64_t op = 0;
  bool is_write = false;
  std::uint64_t key = 0;
  std::int64_t value = 0;
  bool ok = false;
  node_id leader{};  ///< in a refused reply: who the server thinks leads
};

using command = cohort_test::kv_command;

/// What every server reports to the test's checkers.
struct observer_hub {
  std::function<void(node_id, const cohort::log_entry&)> on_apply;
  std::function<void(const cohort::bytes&)> on_propose;
};

/// sim::storage checks a Raft property on append (terms never decrease along
/// a log), which log_storage does not require and a Paxos acceptor's log
/// breaks (a slot's accepted ballot may be lower than its predecessor's, and
/// an empty slot has ballot 0). This adapter keeps every other behaviour of
/// sim::storage (crashes, torn writes, syncs) and moves the ballot into the
/// stored payload (8 bytes in front), storing term 0. Test-only: it copies
/// each payload.
class sim_log {
 public:
  explicit sim_log(cohort::sim::storage& s) : s_(&s) {}
  [[nodiscard]] cohort::hard_state load_hard_state() const { return s_->load_hard_state(); }
  [[nodiscard]] log_index first_index() const { return s_->first_index(); }
  [[nodiscard]] log_index last_index() const { return s_->last_index(); }
  [[nodiscard]] cohort::result<cohort::term> term_at(log_index i) const {
    if (i + 1 == first_index()) return s_->term_at(i);
    std::vector<cohort::log_entry> one;
    if (auto r = entries(i, i + 1, 0, one); !r) return r.error();
    return one.front().term;
  }
  cohort::result<void> entries(log_index lo, log_index hi, std::size_t max_bytes,
                               std::vector<cohort::log_entry>& out) const {
    std::vector<cohort::log_entry> raw;
    if (auto r = s_->entries(lo, hi, max_bytes == SIZE_MAX ? max_bytes : max_bytes + 8 * (hi - lo), raw); !r) return r;
    for (auto& e : raw) {
      if (e.data.size() < 8) return cohort::make_error(cohort::errc::corrupted, "sim_log: short record");
      std::uint64_t t = 0;
      std::memcpy(&t, e.data.data(), 8);
      out.push_back(cohort::log_entry{e.index, cohort::term{t}, e.kind, e.data.slice(8)});
    }
    return cohort::success();
  }
  cohort::result<void> append(std::span<const cohort::log_entry> es) {
    std::vector<cohort::log_entry> enc;
    enc.reserve(es.size());
    for (const auto& e : es) {
      const std::uint64_t t = e.term.value();
      enc.push_back(cohort::log_entry{e.index, cohort::term{}, e.kind,
                                      cohort::bytes::build(e.data.size() + 8, [&](std::span<std::byte> out) {
                                        std::memcpy(out.data(), &t, 8);
                                        if (!e.data.empty()) std::memcpy(out.data() + 8, e.data.data(), e.data.size());
                                      })});
    }
    return s_->append(enc);
  }
  cohort::result<void> save_hard_state(const cohort::hard_state& hs) { return s_->save_hard_state(hs); }
  cohort::result<void> sync() { return s_->sync(); }
  std::uint64_t request_sync() { return s_->request_sync(); }
  [[nodiscard]] std::uint64_t durable_ticket() const { return s_->durable_ticket(); }

 private:
  cohort::sim::storage* s_;
};
static_assert(cohort::async_log_storage<sim_log>);

struct server_options {
  std::vector<node_id> members;
  bool async_storage = false;
  observer_hub* hub = nullptr;
};

class server {
 public:
  using message = envelope;
  using context = cohort::sim::node_context<envelope>;
  using node_t = cohort::paxos::raw_node<sim_log>;

  server(context& ctx, const server_options& o) : ctx_(ctx), opts_(o), log_(ctx.storage) {
    cohort::paxos::multi_config c;
    c.id = ctx.id;
    c.election_ticks = 10;
    c.heartbeat_ticks = 1;
    c.msg_bytes_max = 4096;
    c.inflight_msgs_max = 8;
    auto r = node_t::create(c, log_, cohort::quorum::majority_config(o.members), ctx.rng);
    COHORT_ASSERT(r.has_value(), "valid test config");
    raw_.emplace(std::move(r).value());
    // The state machine died with the process: the raw node hands the chosen
    // slots out again from the restored log, which rebuilds it.
  }

  void receive(node_id from, envelope&& m) {
    if (stopped_) return;
    switch (m.k) {
      case envelope::kind::paxos: (void)raw_->step(std::move(m.paxos)); break;
      case envelope::kind::request: handle_request(from, m); break;
      case envelope::kind::reply: break;
    }
    drive();
  }
  void tick() {
    if (stopped_) return;
    raw_->tick();
    drive();
  }

  /// Proposes a command directly (as if a client had asked this server), for
  /// hand-written scenarios; then persists and sends as usual.
  cohort::result<log_index> propose(const command& cmd) {
    if (stopped_) return cohort::make_error(cohort::errc::stopped, "server stopped");
    const cohort::bytes data = cmd.encode();
    auto slot = raw_->propose(data);
    if (slot && opts_.hub != nullptr && opts_.hub->on_propose) opts_.hub->on_propose(data);
    drive();
    return slot;
  }

  [[nodiscard]] const node_t& raw() const { return *raw_; }
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }
  [[nodiscard]] log_index applied_index() const noexcept { return applied_; }

 private:
  struct pending_batch {
    std::uint64_t number;
    std::uint64_t ticket;
    std::vector<cohort::paxos::multi_message> after;
    std::vector<cohort::log_entry> committed;
  };
  struct waiting {
    node_id client;
    std::uint64_t op;
  };

  void handle_request(node_id client, const envelope& m) {
    if (raw_->role() != cohort::paxos::multi_role::leader) {
      envelope r;
      r.k = envelope::kind::reply;
      r.op = m.op;
      r.ok = false;
      r.leader = raw_->leader();
      ctx_.transport.send(client, std::move(r));
      return;
    }
    const command cmd{m.client, m.op, m.is_write ? 1U : 0U, m.key, m.value};
    const cohort::bytes data = cmd.encode();
    auto slot = raw_->propose(data);
    if (!slot) return;  // the client times out and retries elsewhere
    if (opts_.hub != nullptr && opts_.hub->on_propose) opts_.hub->on_propose(data);
    waiting_[slot->value()] = waiting{client, m.op};
  }

  void drive() {
    while (!stopped_ && raw_->has_ready()) {
      auto& r = raw_->take_ready();
      if (!log_.append(r.entries) || (r.has_hard_state && !ctx_.storage.save_hard_state(r.hs))) {
        stopped_ = true;  // cannot persist: stop, never acknowledge
        return;
      }
      for (auto& m : r.messages) send_paxos(std::move(m));
      if (opts_.async_storage) {
        const std::uint64_t t = ctx_.storage.request_sync();
        pending_.push_back(pending_batch{r.number, t, std::move(r.after_persist), {r.committed.begin(), r.committed.end()}});
        r.after_persist.clear();
      } else {
        if (!ctx_.storage.sync()) {
          stopped_ = true;
          return;
        }
        finish(r.number, r.after_persist, r.committed);
      }
    }
    while (opts_.async_storage && !pending_.empty() && ctx_.storage.durable_ticket() >= pending_.front().ticket) {
      pending_batch b = std::move(pending_.front());
      pending_.pop_front();
      finish(b.number, b.after, b.committed);
      if (raw_->has_ready()) drive();
    }
  }

  void finish(std::uint64_t number, std::vector<cohort::paxos::multi_message>& after,
              std::span<const cohort::log_entry> committed) {
    for (auto& m : after) send_paxos(std::move(m));
    for (const auto& e : committed) apply(e);
    raw_->acknowledge(number);
  }

  void send_paxos(cohort::paxos::multi_message&& m) {
    const node_id to = m.to;
    envelope e;
    e.paxos = std::move(m);
    ctx_.transport.send(to, std::move(e));
  }

  void apply(const cohort::log_entry& e) {
    applied_ = e.index;
    if (opts_.hub != nullptr && opts_.hub->on_apply) opts_.hub->on_apply(ctx_.id, e);
    auto cmd = command::decode(e.data);
    std::int64_t result = 0;
    if (cmd) {
      // The network duplicates client requests, so one command may be
      // proposed (and chosen) twice: apply each (client, op) once.
      auto& last = last_op_[cmd->client];
      const bool duplicate = cmd->op <= last;
      last = std::max(last, cmd->op);
      if (cmd->is_write && !duplicate) kv_[cmd->key] = cmd->value;
      auto it = kv_.find(cmd->key);
      result = it == kv_.end() ? 0 : it->second;
    }
    auto w = waiting_.find(e.index.value());
    if (w == waiting_.end()) return;
    // The slot may hold another value (our proposal lost its slot to a new
    // leader's recovery): answer only if it is the very command we proposed.
    if (cmd && cmd->client == w->second.client.value() && cmd->op == w->second.op) {
      envelope r;
      r.k = envelope::kind::reply;
      r.op = w->second.op;
      r.ok = true;
      r.value = result;
      ctx_.transport.send(w->second.client, std::move(r));
    }
    waiting_.erase(w);
  }

  context ctx_;
  server_options opts_;
  sim_log log_;
  std::optional<node_t> raw_;
  std::deque<pending_batch> pending_;
  std::map<std::uint64_t, waiting> waiting_;
  std::map<std::uint64_t, std::int64_t> kv_;
  std::map<std::uint64_t, std::uint64_t> last_op_;  ///< per client: the last op applied
  log_index applied_{};
  bool stopped_ = false;
};

}  // namespace paxos_sim
