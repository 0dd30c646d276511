// examples/raft_tutorial.cpp - the program docs/tutorial.md walks through.
//
// Part 1 plugs a transport, a log storage, a clock and a state machine of our
// own into cohort::raft::node and runs a 3-node cluster in one process.
// Part 2 drives the raw level (raw_node) by hand, following its contract.
// The code blocks of docs/tutorial.md are copied from this file verbatim (a
// test checks it). Exits 0 only if every replica applied the same commands.
#include <cohort/raft.hpp>
#include <cohort/raft/node.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tutorial {

using namespace std::chrono_literals;

// ---- part 1: your policies -------------------------------------------------

// A transport: one mailbox per node, in this process. A real transport
// encodes the message and writes it to a socket; it must never call back
// into the node from send().
struct mailboxes {
  std::map<std::uint64_t, std::deque<cohort::raft::message>> inbox;
};

struct mailbox_transport {
  mailboxes* net;
  void send(cohort::node_id to, cohort::raft::message m) { net->inbox[to.value()].push_back(std::move(m)); }
};
static_assert(cohort::transport<mailbox_transport, cohort::raft::message>);

// A log storage: entries [1, last_index()] in a vector and the hard state.
// A durable one writes both to a file and fsyncs in sync().
class vector_storage {
 public:
  cohort::hard_state load_hard_state() const { return hs_; }
  cohort::log_index first_index() const { return cohort::log_index{1}; }
  cohort::log_index last_index() const { return cohort::log_index{log_.size()}; }

  cohort::result<cohort::term> term_at(cohort::log_index i) const {
    if (i == cohort::log_index{0}) return cohort::term{0};
    if (i > last_index()) return cohort::make_error(cohort::errc::unavailable, "index past the end of the log");
    return log_[i.value() - 1].term;
  }

  cohort::result<void> entries(cohort::log_index lo, cohort::log_index hi, std::size_t max_bytes,
                               std::vector<cohort::log_entry>& out) const {
    if (lo < first_index()) return cohort::make_error(cohort::errc::compacted, "index before the log");
    if (!(lo < hi) || hi > last_index() + 1) return cohort::make_error(cohort::errc::unavailable, "bad range");
    std::size_t total = 0;
    for (cohort::log_index i = lo; i < hi; ++i) {
      const cohort::log_entry& e = log_[i.value() - 1];
      total += e.accounted_bytes();
      if (total > max_bytes && i != lo) break;  // always at least one entry
      out.push_back(e);
    }
    return cohort::success();
  }

  cohort::result<void> append(std::span<const cohort::log_entry> es) {
    if (es.empty()) return cohort::success();
    const cohort::log_index at = es.front().index;
    if (at < first_index() || at > last_index() + 1)
      return cohort::make_error(cohort::errc::invalid_argument, "append leaves a gap");
    log_.resize(at.value() - 1);  // entries from `at` on are replaced
    log_.insert(log_.end(), es.begin(), es.end());
    return cohort::success();
  }
  cohort::result<void> save_hard_state(const cohort::hard_state& hs) {
    hs_ = hs;
    return cohort::success();
  }
  cohort::result<void> sync() {
    ++syncs;  // a file-backed log calls fsync here
    return cohort::success();
  }

  std::uint64_t syncs = 0;

 private:
  cohort::hard_state hs_{};
  std::vector<cohort::log_entry> log_;
};
static_assert(cohort::log_storage<vector_storage>);

// A clock. On a real server, read a monotonic clock; here every node reads
// one simulated time that the program moves, so each run is the same.
struct steady_clock_source {
  cohort::mono_time now() {
    const auto t = std::chrono::steady_clock::now().time_since_epoch();
    return cohort::mono_time(std::chrono::duration_cast<cohort::duration>(t));
  }
};
struct simulated_clock {
  const cohort::mono_time* time;
  cohort::mono_time now() { return *time; }
};
static_assert(cohort::clock<steady_clock_source> && cohort::clock<simulated_clock>);

// A state machine: a counter that commands like "+5" or "-2" move. It must
// be deterministic and must not throw, whatever the payload.
struct counter_machine {
  std::int64_t total = 0;
  std::uint64_t commands = 0;
  void apply(const cohort::log_entry& e) {
    const std::string text(e.data.as_string_view());
    if (text.empty()) return;  // raft::node never applies one, but be robust
    std::int64_t n = 0;
    for (char ch : text.substr(1))
      if (ch >= '0' && ch <= '9') n = n * 10 + (ch - '0');
    total += text.front() == '-' ? -n : n;
    ++commands;
  }
};
static_assert(cohort::state_machine<counter_machine>);

// ---- part 1: a cluster of raft::node ----------------------------------------

using my_node = cohort::raft::node<mailbox_transport, vector_storage, simulated_clock, counter_machine>;

struct server {
  vector_storage storage;   // must outlive the node
  counter_machine machine;  // likewise
  std::optional<my_node> node;
};

bool start(std::map<std::uint64_t, server>& servers, mailboxes& net, const cohort::mono_time& time) {
  for (std::uint64_t id = 1; id <= 3; ++id) {
    cohort::raft::config c;
    c.id = cohort::node_id{id};
    c.voters = {cohort::node_id{1}, cohort::node_id{2}, cohort::node_id{3}};
    c.election_ticks = 10;  // a follower waits 10 to 20 ticks for a leader
    c.heartbeat_ticks = 1;
    server& s = servers[id];
    auto n = my_node::create(c, mailbox_transport{&net}, s.storage, simulated_clock{&time}, s.machine,
                             cohort::xoshiro256ss(id), cohort::null_observer{}, 10ms);
    if (!n) {
      std::printf("node %llu refused: %s\n", static_cast<unsigned long long>(id), n.error().message.c_str());
      return false;
    }
    s.node.emplace(std::move(n).value());
  }
  return true;
}

// Delivers every mailbox and polls every node until no mail is left.
bool pump(std::map<std::uint64_t, server>& servers, mailboxes& net) {
  for (int round = 0; round < 100; ++round) {
    for (auto& [id, s] : servers) {
      std::deque<cohort::raft::message> mail;
      mail.swap(net.inbox[id]);
      for (auto& m : mail) (void)s.node->receive(std::move(m));  // bad or stale messages are refused, harmlessly
      if (auto r = s.node->poll(); !r) {
        std::printf("node %llu stopped: %s\n", static_cast<unsigned long long>(id), r.error().message.c_str());
        return false;
      }
    }
    bool quiet = true;
    for (auto& [id, box] : net.inbox) quiet = quiet && box.empty();
    if (quiet) return true;
  }
  return false;
}

// Proposes at `to`; on not_leader, retries once at the leader the error names.
bool propose(std::map<std::uint64_t, server>& servers, std::uint64_t to, const char* command) {
  auto r = servers.at(to).node->propose(cohort::bytes::copy_of(command));
  if (!r && r.error().code == cohort::errc::not_leader && r.error().node != cohort::no_node)
    r = servers.at(r.error().node.value()).node->propose(cohort::bytes::copy_of(command));
  return r.has_value();
}

bool part1() {
  mailboxes net;
  cohort::mono_time time{};
  std::map<std::uint64_t, server> servers;
  if (!start(servers, net, time)) return false;

  std::uint64_t leader = 0;
  for (int t = 0; t < 100 && leader == 0; ++t) {
    time += 10ms;  // one tick interval
    if (!pump(servers, net)) return false;
    leader = servers.at(1).node->leader().value();
  }
  if (leader == 0) return false;

  const std::uint64_t follower = leader == 1 ? 2 : 1;
  if (!propose(servers, follower, "+5") || !propose(servers, leader, "+7") || !propose(servers, leader, "-2"))
    return false;
  for (int t = 0; t < 3; ++t) {
    time += 10ms;
    if (!pump(servers, net)) return false;
  }

  bool ok = true;
  for (auto& [id, s] : servers) {
    std::printf("node %llu: %s, applied %llu commands, total %lld, %llu syncs\n",
                static_cast<unsigned long long>(id), std::string(cohort::raft::name_of(s.node->role())).c_str(),
                static_cast<unsigned long long>(s.machine.commands), static_cast<long long>(s.machine.total),
                static_cast<unsigned long long>(s.storage.syncs));
    ok = ok && s.machine.commands == 3 && s.machine.total == 10 && s.node->applied() == s.node->committed();
  }
  return ok;
}

// ---- part 2: the raw level, driven by hand ------------------------------------

using raw_core = cohort::raft::raw_node<cohort::raft::memory_storage>;

struct raw_server {
  cohort::raft::memory_storage storage;
  counter_machine machine;
  std::optional<raw_core> core;
};

// raw_node's contract, one step at a time.
bool drive(raw_server& s, std::deque<cohort::raft::message>& wire) {
  while (s.core->has_ready()) {
    cohort::raft::ready& r = s.core->take_ready();
    // 1. Persist the new entries and the hard state (term, vote, commit).
    if (!s.storage.append(r.entries)) return false;
    if (r.has_hard_state && !s.storage.save_hard_state(r.hs)) return false;
    // 2. These messages depend on nothing unwritten: send them now.
    for (auto& m : r.messages) wire.push_back(std::move(m));
    // 3. Make the writes durable (an asynchronous storage would let this
    //    batch wait here while the loop goes on).
    if (!s.storage.sync()) return false;
    // 4. Durable: votes and acknowledgements may leave, committed entries
    //    may be applied, and the core learns the batch is safe.
    for (auto& m : r.after_persist) wire.push_back(std::move(m));
    for (const cohort::log_entry& e : r.committed)
      if (e.kind == cohort::entry_kind::normal && !e.data.empty()) s.machine.apply(e);
    s.core->acknowledge(r.number);
  }
  return true;
}

// Drives every core and delivers every message until nothing moves.
bool settle(std::map<std::uint64_t, raw_server>& servers, std::deque<cohort::raft::message>& wire) {
  for (int round = 0; round < 100; ++round) {
    for (auto& [id, s] : servers)
      if (!drive(s, wire)) return false;
    if (wire.empty()) return true;
    std::deque<cohort::raft::message> now;
    now.swap(wire);
    for (auto& m : now) (void)servers.at(m.to.value()).core->step(std::move(m));
  }
  return false;
}

bool part2() {
  std::map<std::uint64_t, raw_server> servers;
  for (std::uint64_t id = 1; id <= 3; ++id) {
    cohort::raft::config c;
    c.id = cohort::node_id{id};
    c.voters = {cohort::node_id{1}, cohort::node_id{2}, cohort::node_id{3}};
    raw_server& s = servers[id];
    auto core = raw_core::create(c, s.storage, cohort::xoshiro256ss(id));
    if (!core) return false;
    s.core.emplace(std::move(core).value());
  }
  std::deque<cohort::raft::message> wire;

  // No clock at this level: call tick() on a timer. Here node 1 campaigns at once.
  if (!servers.at(1).core->campaign() || !settle(servers, wire)) return false;
  raw_core& leader = *servers.at(1).core;
  if (leader.role() != cohort::raft::role::leader) return false;

  const std::vector<cohort::bytes> batch{cohort::bytes::copy_of("+20"), cohort::bytes::copy_of("+22")};
  if (!leader.propose(std::span<const cohort::bytes>(batch)) || !settle(servers, wire)) return false;
  leader.tick();  // a heartbeat tells the followers the new commit index
  if (!settle(servers, wire)) return false;

  bool ok = true;
  for (auto& [id, s] : servers) {
    std::printf("raw node %llu: applied %llu commands, total %lld\n", static_cast<unsigned long long>(id),
                static_cast<unsigned long long>(s.machine.commands), static_cast<long long>(s.machine.total));
    ok = ok && s.machine.commands == 2 && s.machine.total == 42;
  }
  return ok;
}

}  // namespace tutorial

int main() {
  const bool ok1 = tutorial::part1();
  const bool ok2 = tutorial::part2();
  std::printf("part 1 (raft::node): %s\npart 2 (raw_node): %s\n", ok1 ? "ok" : "FAILED", ok2 ? "ok" : "FAILED");
  return ok1 && ok2 ? 0 : 1;
}
