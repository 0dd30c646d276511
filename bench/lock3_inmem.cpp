// bench/lock3_inmem.cpp - the "lock3-inmem" workload: the lock service over a
// 3-node in-memory Raft cluster (the raft3-inmem loop), 16 clients each
// acquiring and releasing one of 4 locks in a loop.
//
//   cohort_bench_lock3_inmem [--pairs N] [--clients C] [--locks L] [--warmup 0|1] [--by-name 0|1]
//
// Three raw_nodes over memory_storage in one thread, joined by a FIFO queue
// (as bench/raft3_inmem.cpp). Each node applies committed entries to its own
// lock_service; node 1 (the leader) routes the results to the clients: the
// proposer's reply, and grant notices for waiters. A round: every client
// with something to do (idle: acquire, waiting forever; granted: release)
// hands its command to the leader, which stamps them with its clock (one
// microsecond per round) and proposes them as one batch; then every node
// persists, sends, applies and acknowledges; then the queue is delivered.
// Sessions are opened, and each client binds its lock (command::bind), before
// the timed region; the clients then acquire and release by handle
// (acquire_handle, release_handle: the service's fast form), or by name with
// --by-name 1.
//
// Reported: acquire+release pairs per second; allocations per entry in the
// timed region (the client's payload buffer is one per entry); the hand-off latency, in
// rounds, from the round a holder proposes its release to the round the next
// waiter learns of its grant (median and 99th percentile); and the lock
// layer's overhead: the same sequence of batches (same count and sizes of
// entries per round) replayed with opaque payloads and an apply that only
// checksums, the replicated entries the lock workload needs with no lock
// logic. overhead = lock time / replay time - 1, with each replayed payload
// in its own buffer (as client commands are, and the lock run's are);
// slab_overhead against payloads sliced from one slab (as raft3-inmem).
//
// Warm-up (--warmup 1, the default): the lock workload runs once untimed
// before the timed run. The first run in a process is the one whose heap
// grows into memory never touched before (page faults, on this VM partly
// outside the process's CPU time); the replays run after it and reuse that
// memory. The warm-up gives the timed lock run the same start; --warmup 0
// measures as before (the lock run then pays the process's first touches).
//
// Instructions of the lock layer alone: lock_service::apply is called through
// apply_entry, kept out of line for the purpose:
//   valgrind --tool=callgrind --toggle-collect='(anonymous namespace)::apply_entry(cohort::lock::lock_service&,
//     cohort::log_entry const&, cohort::lock::applied&)' cohort_bench_lock3_inmem --pairs 20000 --warmup 0
// then divide by (entries + clients * 2) * 3: every entry (the set-up's included) on each of the 3 replicas.
#include <cohort/lock.hpp>
#include <cohort/raft.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

// ---- allocation counting (global operator new replaced in this binary) ----------

namespace {
std::uint64_t g_allocs = 0;
void* counted_alloc(std::size_t n) {
  ++g_allocs;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using cohort::bytes;
using cohort::log_entry;
using cohort::log_index;
using cohort::node_id;
namespace raft = cohort::raft;
namespace lk = cohort::lock;
using node_t = raft::raw_node<raft::memory_storage>;
constexpr int node_count = 3;

/// Process CPU time: on a shared machine it varies less than wall time.
double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "cohort_bench_lock3_inmem: FAILED: %s\n", why.c_str());
  std::exit(1);
}

struct options {
  std::uint64_t pairs = 200'000;
  std::size_t clients = 16;
  std::size_t locks = 4;
  bool warmup = true;
  bool by_name = false;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) fail("missing value after " + std::string(a));
    const auto v = std::strtoull(argv[++i], nullptr, 10);
    if (a == "--pairs") o.pairs = v;
    else if (a == "--clients") o.clients = v;
    else if (a == "--locks") o.locks = v;
    else if (a == "--warmup" && v <= 1) o.warmup = v == 1;
    else if (a == "--by-name" && v <= 1) o.by_name = v == 1;
    else fail("usage: cohort_bench_lock3_inmem [--pairs N] [--clients C] [--locks L] [--warmup 0|1] [--by-name 0|1]");
  }
  if (o.pairs == 0 || o.clients == 0 || o.locks == 0 || o.locks > o.clients) fail("need pairs, clients >= locks >= 1");
  return o;
}

cohort::snapshot bootstrap_snapshot() {
  cohort::snapshot sn;
  sn.meta.index = log_index{1};
  sn.meta.term = cohort::term{1};
  sn.meta.config.voters = {node_id{1}, node_id{2}, node_id{3}};
  return sn;
}

/// Three nodes and a FIFO queue; `App` applies entries on each node.
template <class App>
class cluster {
 public:
  explicit cluster(const App& proto) {
    for (std::uint64_t i = 1; i <= node_count; ++i) {
      raft::config c;
      c.id = node_id{i};
      c.election_ticks = 10;
      c.heartbeat_ticks = 1;
      c.msg_bytes_max = std::size_t{1} << 20;
      c.inflight_msgs_max = 256;
      c.check_quorum = true;
      c.pre_vote = true;
      storages_[i - 1] = std::make_unique<raft::memory_storage>(bootstrap_snapshot());
      auto r = node_t::create(c, *storages_[i - 1], cohort::xoshiro256ss(i));
      if (!r) fail("create node: " + r.error().message);
      nodes_.push_back(std::move(r).value());
      apps_.push_back(proto);
    }
    if (auto r = nodes_[0].campaign(); !r) fail("campaign: " + r.error().message);
    for (int k = 0; k < 1000 && round(); ++k) {
    }
    if (nodes_[0].role() != raft::role::leader) fail("node 1 did not become leader");
  }
  node_t& leader() { return nodes_[0]; }
  App& app(int i) { return apps_[static_cast<std::size_t>(i)]; }

  bool round() {
    bool active = !queue_.empty();
    for (int i = 0; i < node_count; ++i) active |= process(i);
    spare_.swap(queue_);
    for (auto& m : spare_) {
      const auto to = m.to.value();
      if (auto r = nodes_[to - 1].step(std::move(m)); !r) fail("step: " + r.error().message);
    }
    spare_.clear();
    return active;
  }

 private:
  bool process(int i) {
    node_t& nd = nodes_[static_cast<std::size_t>(i)];
    if (!nd.has_ready()) return false;
    raft::ready& r = nd.take_ready();
    auto& st = *storages_[static_cast<std::size_t>(i)];
    if (!r.entries.empty())
      if (auto a = st.append(r.entries); !a) fail("append: " + a.error().message);
    if (r.has_hard_state)
      if (auto h = st.save_hard_state(r.hs); !h) fail("save hard state: " + h.error().message);
    for (auto& m : r.messages) queue_.push_back(std::move(m));
    for (auto& m : r.after_persist) queue_.push_back(std::move(m));
    for (const log_entry& e : r.committed)
      if (e.kind == cohort::entry_kind::normal && !e.data.empty()) apps_[static_cast<std::size_t>(i)].apply(e, i);
    nd.acknowledge(r.number);
    return true;
  }

  std::array<std::unique_ptr<raft::memory_storage>, node_count> storages_;
  std::vector<node_t> nodes_;
  std::vector<App> apps_;
  std::vector<raft::message> queue_, spare_;
};

// ---- the lock workload --------------------------------------------------------

struct client {
  enum class state { idle, acquiring, waiting, holding, releasing } st = state::idle;
  lk::session_id session{};
  std::size_t lock = 0;
  std::uint64_t request = 0;
  lk::fencing_token token{};
  lk::lock_handle handle{};  ///< the session's handle on its lock (bind)
};

struct world;

/// Each node's state machine; node 1's results go to the clients.
struct lock_app {
  lk::lock_service svc = *lk::lock_service::create();
  lk::applied out;  ///< reused: no allocation per entry once grown
  world* w = nullptr;
  void apply(const log_entry& e, int node);
};

struct world {
  std::vector<client> clients;
  std::vector<std::string> names;  ///< the commands' names refer to these (command_view: no copy)
  std::vector<std::uint64_t> release_round;  ///< per lock: when its holder proposed the release
  std::vector<lk::fencing_token> last_token;  ///< per lock
  std::vector<std::size_t> by_index;          ///< client of each proposed entry, by log index
  std::vector<std::uint64_t> handoff_rounds;
  std::uint64_t round = 0, pairs = 0;

  /// The client a grant notice goes to: its session's owner is the client's number.
  std::size_t client_of(const lk::grant& g) const {
    if (g.owner >= clients.size() || clients[g.owner].session != g.session) fail("grant for an unknown session");
    return static_cast<std::size_t>(g.owner);
  }
  void granted(std::size_t c, lk::fencing_token t) {
    client& cl = clients[c];
    if (t <= last_token[cl.lock]) fail("fencing token did not grow");
    last_token[cl.lock] = t;
    cl.token = t;
    cl.st = client::state::holding;
  }
  void on_result(const log_entry& e, const lk::applied& out) {
    for (const lk::grant& g : out.granted) {
      const std::size_t c = client_of(g);
      handoff_rounds.push_back(round - release_round[clients[c].lock]);
      granted(c, g.token);
    }
    if (!out.reply) fail("refused: " + out.reply.error().message);
    const std::size_t idx = e.index.value();
    if (idx >= by_index.size() || by_index[idx] == SIZE_MAX) return;  // a tick or a session opened in setup
    client& cl = clients[by_index[idx]];
    switch (out.reply->kind) {
      case lk::reply_kind::session_opened: cl.session = out.reply->session; break;
      case lk::reply_kind::bound: cl.handle = out.reply->handle; break;
      case lk::reply_kind::granted: granted(by_index[idx], out.reply->token); break;
      case lk::reply_kind::queued: cl.st = client::state::waiting; break;
      case lk::reply_kind::released:
        ++pairs;
        cl.st = client::state::idle;
        break;
      default: break;
    }
  }
};

/// The lock layer's whole work for one entry, out of line so that callgrind
/// can count it alone (see the file comment).
[[gnu::noinline]] void apply_entry(lk::lock_service& s, const log_entry& e, lk::applied& out) { s.apply(e, out); }

void lock_app::apply(const log_entry& e, int node) {
  apply_entry(svc, e, out);
  if (node == 0) w->on_result(e, out);
}

/// Proposes one batch; records the client of each entry and the batch's payload sizes.
void propose(node_t& leader, world& w, std::vector<bytes>& batch, std::vector<std::size_t>& owners,
             std::vector<std::uint32_t>* sizes) {
  if (batch.empty()) return;
  auto r = leader.propose(std::span<const bytes>(batch));
  if (!r) fail("propose: " + r.error().message);
  const std::size_t last = r->value();
  if (w.by_index.size() <= last) w.by_index.resize(last + 1 + 4096, SIZE_MAX);
  for (std::size_t k = 0; k < owners.size(); ++k) w.by_index[last + 1 - owners.size() + k] = owners[k];
  if (sizes != nullptr) {
    sizes->push_back(static_cast<std::uint32_t>(batch.size()));
    for (const bytes& b : batch) sizes->push_back(static_cast<std::uint32_t>(b.size()));
  }
  batch.clear();
  owners.clear();
}

struct lock_outcome {
  double seconds = 0, cpu = 0;
  std::uint64_t allocs = 0;
  std::uint64_t rounds = 0, entries = 0;
  std::vector<std::uint32_t> batches;  ///< per round: count, then each payload's size
  std::vector<std::uint64_t> handoffs;
};

lock_outcome run_lock(const options& o) {
  world w;
  w.clients.resize(o.clients);
  for (std::size_t l = 0; l < o.locks; ++l) w.names.push_back("lock-" + std::to_string(l));
  w.release_round.assign(o.locks, 0);
  w.last_token.assign(o.locks, lk::fencing_token{});
  lock_app proto;
  proto.w = &w;
  cluster<lock_app> c(proto);
  std::vector<bytes> batch;
  std::vector<std::size_t> owners;
  auto stamp = [&] { return cohort::mono_time{std::chrono::microseconds(w.round)}; };
  // Setup (untimed): one session per client.
  for (std::size_t i = 0; i < o.clients; ++i) {
    w.clients[i].lock = i % o.locks;
    batch.push_back(*lk::encode(lk::command::open_session(std::chrono::minutes(10), i), stamp()));
    owners.push_back(i);
  }
  propose(c.leader(), w, batch, owners, nullptr);
  while (c.round()) ++w.round;
  for (const client& cl : w.clients)
    if (cl.session == lk::session_id{}) fail("session not opened");
  for (std::size_t i = 0; i < o.clients; ++i) {
    batch.push_back(*lk::encode(lk::command_view::bind(w.clients[i].session, w.names[w.clients[i].lock]), stamp()));
    owners.push_back(i);
  }
  propose(c.leader(), w, batch, owners, nullptr);
  while (c.round()) ++w.round;
  for (const client& cl : w.clients)
    if (cl.handle == lk::lock_handle{}) fail("lock not bound");

  lock_outcome out;
  out.batches.reserve(o.pairs * 4);
  w.handoff_rounds.reserve(o.pairs);
  w.by_index.resize(o.pairs * 2 + o.clients * 4 + 4096, SIZE_MAX);
  const std::uint64_t first_round = w.round;
  const log_index first_index = c.leader().last_index();
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  const std::uint64_t a0 = g_allocs;
  while (w.pairs < o.pairs) {
    for (std::size_t i = 0; i < w.clients.size(); ++i) {
      client& cl = w.clients[i];
      if (cl.st == client::state::idle) {
        batch.push_back(*lk::encode(o.by_name ? lk::command_view::acquire(cl.session, ++cl.request, w.names[cl.lock])
                                              : lk::command_view::acquire_handle(cl.session, ++cl.request, cl.handle),
                                    stamp()));
        cl.st = client::state::acquiring;
      } else if (cl.st == client::state::holding) {
        batch.push_back(*lk::encode(o.by_name ? lk::command_view::release(cl.session, w.names[cl.lock], cl.token)
                                              : lk::command_view::release_handle(cl.session, cl.handle, cl.token),
                                    stamp()));
        cl.st = client::state::releasing;
        w.release_round[cl.lock] = w.round;
      } else {
        continue;
      }
      owners.push_back(i);
    }
    if (batch.empty()) out.batches.push_back(0);
    propose(c.leader(), w, batch, owners, &out.batches);
    if (!c.round()) fail("stalled");
    ++w.round;
  }
  const auto t1 = std::chrono::steady_clock::now();
  out.cpu = cpu_seconds() - c0;
  out.allocs = g_allocs - a0;
  out.seconds = std::chrono::duration<double>(t1 - t0).count();
  out.rounds = w.round - first_round;
  out.entries = c.leader().last_index() - first_index;
  out.handoffs = std::move(w.handoff_rounds);
  for (int i = 1; i < node_count; ++i)
    if (!(c.app(i).svc == c.app(0).svc)) {
      // Followers may trail by the last round's commit; the states must agree once caught up.
      while (c.round()) {
      }
      if (!(c.app(i).svc == c.app(0).svc)) fail("replicas disagree");
    }
  return out;
}

// ---- the replay: the same entries with no lock logic ----------------------------

struct checksum_app {
  std::uint64_t h = 14695981039346656037ULL, applied = 0;
  void apply(const log_entry& e, int) {
    h = (h ^ e.data.size() ^ e.index.value()) * 1099511628211ULL;
    ++applied;
  }
};

struct replay_outcome {
  double seconds = 0, cpu = 0;
};

/// `own_buffers`: each payload in a buffer of its own, as commands arriving
/// from clients are (and as the lock run's are); otherwise slices of one slab,
/// as in raft3-inmem.
replay_outcome run_replay(const std::vector<std::uint32_t>& batches, std::uint64_t entries, bool own_buffers) {
  cluster<checksum_app> c(checksum_app{});
  const bytes slab = bytes::build(1 << 16, [](std::span<std::byte> s) {
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::byte>(i);
  });
  std::vector<bytes> batch;
  batch.reserve(64);
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = cpu_seconds();
  for (std::size_t k = 0; k < batches.size();) {
    const std::uint32_t n = batches[k++];
    for (std::uint32_t j = 0; j < n; ++j) {
      const bytes b = slab.slice(j, batches[k++]);
      batch.push_back(own_buffers ? bytes::copy_of(b.view()) : b);
    }
    if (!batch.empty())
      if (auto r = c.leader().propose(std::span<const bytes>(batch)); !r) fail("replay propose: " + r.error().message);
    batch.clear();
    c.round();
  }
  while (c.app(0).applied < entries) c.round();
  const auto t1 = std::chrono::steady_clock::now();
  return {std::chrono::duration<double>(t1 - t0).count(), cpu_seconds() - c0};
}

std::uint64_t percentile(std::vector<std::uint64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  if (o.warmup) (void)run_lock(o);  // untimed: see the file comment
  const lock_outcome r = run_lock(o);
  const replay_outcome replay = run_replay(r.batches, r.entries, true);
  const replay_outcome slab = run_replay(r.batches, r.entries, false);
  const double pairs = static_cast<double>(o.pairs);
  std::printf(
      "{\"impl\":\"cohort\",\"workload\":\"lock3-inmem\",\"nodes\":3,\"clients\":%zu,\"locks\":%zu"
      ",\"warmup\":%s,\"by_name\":%s,\"pairs\":%" PRIu64
      ",\"seconds\":%.6f,\"pairs_per_sec\":%.0f,\"entries\":%" PRIu64 ",\"entries_per_pair\":%.2f,\"rounds\":%" PRIu64
      ",\"entries_per_round\":%.2f,\"handoffs\":%zu,\"handoff_rounds_p50\":%" PRIu64 ",\"handoff_rounds_p99\":%" PRIu64
      ",\"replay_seconds\":%.6f,\"replay_entries_per_sec\":%.0f,\"lock_entries_per_sec\":%.0f,\"overhead\":%.3f"
      ",\"cpu_seconds\":%.6f,\"replay_cpu_seconds\":%.6f,\"cpu_overhead\":%.3f"
      ",\"slab_replay_seconds\":%.6f,\"slab_overhead\":%.3f,\"allocs_per_entry\":%.3f}\n",
      o.clients, o.locks, o.warmup ? "true" : "false", o.by_name ? "true" : "false", o.pairs, r.seconds, pairs / r.seconds, r.entries,
      static_cast<double>(r.entries) / pairs,
      r.rounds, static_cast<double>(r.entries) / static_cast<double>(r.rounds), r.handoffs.size(),
      percentile(r.handoffs, 0.5), percentile(r.handoffs, 0.99), replay.seconds,
      static_cast<double>(r.entries) / replay.seconds, static_cast<double>(r.entries) / r.seconds,
      r.seconds / replay.seconds - 1.0, r.cpu, replay.cpu, r.cpu / replay.cpu - 1.0, slab.seconds,
      r.seconds / slab.seconds - 1.0, static_cast<double>(r.allocs) / static_cast<double>(r.entries));
  return 0;
}
