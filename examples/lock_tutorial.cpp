// examples/lock_tutorial.cpp - the program docs/locks.md walks through.
//
// The lock service runs as the state machine of a 3-node cohort::raft::node
// cluster over our own transport and storage. Two clients take a lock that
// protects a "file"; the file keeps a fence. Client A holds the lock, then
// pauses past its lease (a long GC, a suspended VM) with a write already
// on its way; its session expires, the lock waits out its lock-delay, and B
// is granted it. B writes; A's late write arrives and the fence refuses it.
// Exits 0 only if every step went as described.
#include <cohort/lock.hpp>
#include <cohort/raft.hpp>

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
namespace lock = cohort::lock;

// ---- the policies: transport, storage, clock ---------------------------------

struct mailboxes {
  std::map<std::uint64_t, std::deque<cohort::raft::message>> inbox;
};
struct mailbox_transport {
  mailboxes* net;
  void send(cohort::node_id to, cohort::raft::message m) { net->inbox[to.value()].push_back(std::move(m)); }
};

// Every node and client reads one simulated monotonic time that the program
// moves, so each run is the same. A real server reads its monotonic clock.
struct simulated_clock {
  const cohort::mono_time* time;
  cohort::mono_time now() { return *time; }
};

// ---- the state machine ---------------------------------------------------------

// raft::node calls apply() once per committed command, in log order, on
// every replica. The lock service's result says what the entry did: the
// answer for its proposer, and the waiters it granted (to notify). Because
// apply() returns it, the node where a command was proposed hands it back:
// node.take_outcomes() after each poll().
static_assert(cohort::state_machine<lock::lock_service>);

using lock_node = cohort::raft::node<mailbox_transport, cohort::raft::memory_storage, simulated_clock, lock::lock_service>;

struct server {
  cohort::raft::memory_storage storage;  // must outlive the node
  lock::lock_service service{*lock::lock_service::create(config())};
  std::optional<lock_node> node;

  static lock::service_config config() {
    lock::service_config c;
    c.lock_delay = 500ms;  // after an expiry, nobody gets the lock for 500 ms
    return c;
  }
};

// ---- the cluster and its front end ------------------------------------------------

class cluster {
 public:
  cluster() {
    for (std::uint64_t id = 1; id <= 3; ++id) {
      cohort::raft::config c;
      c.id = cohort::node_id{id};
      c.voters = {cohort::node_id{1}, cohort::node_id{2}, cohort::node_id{3}};
      c.election_ticks = 10;
      c.heartbeat_ticks = 1;
      server& s = servers_[id];
      auto n = lock_node::create(c, mailbox_transport{&net_}, s.storage, simulated_clock{&time_}, s.service,
                                 cohort::xoshiro256ss(id), cohort::null_observer{}, 10ms);
      if (n) s.node.emplace(std::move(n).value());
    }
  }

  [[nodiscard]] cohort::mono_time now() const { return time_; }

  /// Moves time on by `d` in 10 ms steps; the leader stamps a tick command
  /// every 100 ms so that expiries happen without client traffic.
  void advance(cohort::duration d) {
    for (cohort::duration t{}; t < d; t += 10ms) {
      time_ += 10ms;
      if (++steps_ % 10 == 0 && leader() != 0) (void)propose_at(leader(), lock::command::tick());
      pump();
    }
  }

  [[nodiscard]] std::uint64_t leader() {
    for (auto& [id, s] : servers_)
      if (s.node->role() == cohort::raft::role::leader) return id;
    return 0;
  }

  /// What a client's request does: the leader stamps it with its clock and
  /// proposes it; once committed and applied, the leader's node hands back
  /// the result. (A real front end answers over the network, and a client that
  /// hears nothing retries: acquire with the same request id is idempotent.)
  std::optional<lock::applied> submit(const lock::command& c) {
    const std::uint64_t at = leader();
    if (at == 0) return std::nullopt;
    auto index = propose_at(at, c);
    if (!index) return std::nullopt;
    for (int i = 0; i < 10; ++i) {
      pump();
      if (auto it = results_.find(index->value()); it != results_.end()) return it->second;
    }
    return std::nullopt;
  }

  /// Every result applied since `after` (to find grant notices).
  std::vector<lock::grant> grants_after(std::uint64_t after) {
    std::vector<lock::grant> out;
    for (auto& [i, r] : results_)
      if (i > after) out.insert(out.end(), r.granted.begin(), r.granted.end());
    return out;
  }
  [[nodiscard]] std::uint64_t last_applied() { return servers_.at(leader()).node->applied().value(); }

 private:
  cohort::result<cohort::log_index> propose_at(std::uint64_t id, const lock::command& c) {
    auto payload = lock::encode(c, time_);  // the leader's clock reading
    if (!payload) return std::move(payload).error();
    return servers_.at(id).node->propose(*payload);
  }

  void pump() {
    for (int round = 0; round < 20; ++round) {
      for (auto& [id, s] : servers_) {
        std::deque<cohort::raft::message> mail;
        mail.swap(net_.inbox[id]);
        for (auto& m : mail) (void)s.node->receive(std::move(m));
        (void)s.node->poll();
        collect(*s.node);
      }
      bool quiet = true;
      for (auto& [id, box] : net_.inbox) quiet = quiet && box.empty();
      if (quiet) return;
    }
  }

  // The results of commands this front end proposed, by index. An outcome
  // that is an error (errc::proposal_dropped: a new leader took the index)
  // has no result: the client hears nothing and retries.
  void collect(lock_node& n) {
    for (auto& o : n.take_outcomes())
      if (o.value) results_[o.index.value()] = std::move(*o.value);
  }

  mailboxes net_;
  std::map<std::uint64_t, lock::applied> results_;
  cohort::mono_time time_{};
  std::uint64_t steps_ = 0;
  std::map<std::uint64_t, server> servers_;
};

// ---- the protected resource -------------------------------------------------------

// The file checks the fencing token of every write: a token below the highest
// it has seen comes from a holder whose lock has since passed to another.
struct fenced_file {
  lock::fence fence;
  std::vector<std::string> lines;

  bool write(lock::fencing_token token, const std::string& line) {
    if (auto ok = fence.admit(token); !ok) {
      std::printf("  file: refused \"%s\": %s\n", line.c_str(), ok.error().message.c_str());
      return false;
    }
    lines.push_back(line);
    std::printf("  file: wrote \"%s\" (token %llu)\n", line.c_str(), static_cast<unsigned long long>(token.value()));
    return true;
  }
};

// ---- a client ---------------------------------------------------------------------------

struct client {
  const char* name;
  lock::session_id session{};
  lock::lease_tracker lease = *lock::lease_tracker::create({200, 50ms});  // drift bound, safety margin
  std::uint64_t next_request = 1;
  lock::lock_handle handle{};  // our handle on the lock, once bound

  /// Opens a session or renews it; the lease counts from when we *sent*.
  bool renew(cluster& c, lock::command cmd) {
    const cohort::mono_time sent = c.now();
    auto r = c.submit(cmd);
    if (!r || !r->reply) return false;
    session = r->reply->session;
    lease.renewed(sent, r->reply->ttl);
    return true;
  }
  bool open(cluster& c) { return renew(c, lock::command::open_session(2s)); }
  bool keep_alive(cluster& c) { return renew(c, lock::command::keep_alive(session)); }

  std::optional<lock::reply> acquire(cluster& c, const std::string& lock_name) {
    auto r = c.submit(lock::command::acquire(session, next_request++, lock_name));
    if (!r || !r->reply) return std::nullopt;
    return *r->reply;
  }
  /// The fast form: bind the lock's name once for a handle, then acquire
  /// (and release) by handle. The service finds the lock by index, and the
  /// grant notice carries the handle instead of the name.
  std::optional<lock::reply> acquire_by_handle(cluster& c, const std::string& lock_name) {
    if (handle == lock::lock_handle{}) {
      auto b = c.submit(lock::command::bind(session, lock_name));
      if (!b || !b->reply) return std::nullopt;
      handle = b->reply->handle;
    }
    auto r = c.submit(lock::command::acquire_handle(session, next_request++, handle));
    if (!r || !r->reply) return std::nullopt;
    return *r->reply;
  }
  /// Acts as holder only while the lease is valid on our own clock.
  [[nodiscard]] bool may_act(const cluster& c) const { return lease.valid(c.now()); }
};

bool run() {
  cluster c;
  c.advance(300ms);  // elect a leader
  if (c.leader() == 0) return false;
  std::printf("leader: node %llu\n", static_cast<unsigned long long>(c.leader()));

  fenced_file file;
  client a{"A"}, b{"B"};
  if (!a.open(c) || !b.open(c)) return false;

  // A takes the lock and writes with its token.
  auto ga = a.acquire(c, "file-lock");
  if (!ga || ga->kind != lock::reply_kind::granted) return false;
  const lock::fencing_token token_a = ga->token;
  std::printf("A holds file-lock, token %llu\n", static_cast<unsigned long long>(token_a.value()));
  if (!a.may_act(c) || !file.write(token_a, "A: first write")) return false;

  // B asks too and waits in the lock's queue.
  auto gb = b.acquire_by_handle(c, "file-lock");
  if (!gb || gb->kind != lock::reply_kind::queued) return false;
  std::printf("B is queued\n");
  const std::uint64_t mark = c.last_applied();

  // A checks its lease, sends a write... and pauses for 3 s before the write
  // leaves (a stop-the-world GC). Meanwhile B keeps its session alive.
  const bool a_checked = a.may_act(c);
  std::printf("A checked its lease (valid: %s), then paused\n", a_checked ? "yes" : "no");
  std::optional<lock::fencing_token> b_token;
  for (int i = 0; i < 30 && !b_token; ++i) {
    c.advance(100ms);
    if (i % 5 == 0 && !b.keep_alive(c)) return false;
    for (const lock::grant& g : c.grants_after(mark))
      if (g.session == b.session && g.handle == b.handle) b_token = g.token;
  }
  if (!b_token || *b_token <= token_a) return false;
  std::printf("A's session expired; after the lock-delay B holds file-lock, token %llu\n",
              static_cast<unsigned long long>(b_token->value()));
  if (!b.may_act(c) || !file.write(*b_token, "B: write")) return false;

  // A wakes up. Its lease has lapsed on its own clock: it must not act...
  std::printf("A resumes: lease valid? %s\n", a.may_act(c) ? "yes" : "no");
  if (a.may_act(c)) return false;
  // ...but the write it sent before the pause arrives now. The fence refuses it.
  if (file.write(token_a, "A: late write")) return false;

  const bool ok = file.lines.size() == 2;
  std::printf("file has %zu lines: the late write was fenced off\n", file.lines.size());
  return ok;
}

}  // namespace tutorial

int main() { return tutorial::run() ? 0 : 1; }
