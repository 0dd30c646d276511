// cohort/sim/cluster.hpp - servers of the user's type under simulated faults.
//
// A `cluster<Node>` owns the scheduler, the network, one virtual clock and
// one storage per server, and the servers themselves, built by the user's
// factory from a `node_context` (id, clock, transport endpoint, storage, a
// generator and the trace). A crash destroys the server object and loses its
// unsynced writes; a restart recovers its storage and builds a new object
// from what survived, exactly as a process restart would.
//
// A `Node` models `sim_node`: it names its message type, receives messages
// and ticks. Clients are extra network endpoints added with add_client(); they
// are never crashed or partitioned by the fault injector.
//
// run() is a safety phase (faults drawn from the options) followed by a
// liveness phase (everything healed and restarted; `converged` must become
// true within the bound). The user's invariant runs after every event; the
// first violation stops the run and its report names the seed and the
// command that replays it.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
// std::function only: with libstdc++ it comes from <bits/std_function.h>, as
// <functional> also brings <unordered_map> and the searchers (compile cost,
// docs/benchmarks.md); other standard libraries get <functional>.
#if defined(__GLIBCXX__) && __has_include(<bits/std_function.h>)
#include <bits/std_function.h>
#else
#include <functional>
#endif
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cohort/core/random.hpp"
#include "cohort/core/result.hpp"
#include "cohort/sim/clock.hpp"
#include "cohort/sim/network.hpp"
#include "cohort/sim/options.hpp"
#include "cohort/sim/scheduler.hpp"
#include "cohort/sim/storage.hpp"
#include "cohort/sim/trace.hpp"

namespace cohort::sim {

/// What a server gets from the simulation when it is built (or rebuilt).
template <class Message>
struct node_context {
  node_id id;
  virtual_clock& clock;
  typename network<Message>::endpoint transport;
  sim::storage& storage;
  xoshiro256ss rng;  ///< a fresh stream for this incarnation
  sim::trace& trace;
  const sim::scheduler& scheduler;  ///< for reading true time in traces only
};

template <class N>
concept sim_node = requires(N& n, node_id from, typename N::message&& m) {
  requires std::movable<typename N::message>;
  n.receive(from, std::move(m));
  n.tick();
};

/// The outcome of a run.
struct run_report {
  bool ok = true;
  std::uint64_t seed = 0;
  mono_time at{};            ///< true time of the failure (or the end)
  std::string what;          ///< the violated invariant, or "did not converge ..."
  std::string replay;        ///< the command that replays this run
  std::uint64_t events = 0;  ///< scheduler events run
  std::uint64_t digest = 0;  ///< the trace digest
  link_stats network{};

  /// "seed 42 failed at 1.234567s: <what>\n  replay: <command>" or "seed 42 ok".
  [[nodiscard]] std::string summary() const {
    const auto ns = at.time_since_epoch().count();
    std::string t = std::to_string(ns / 1'000'000'000) + "." + pad9(ns % 1'000'000'000) + "s";
    if (ok) return "seed " + std::to_string(seed) + " ok (" + std::to_string(events) + " events, " + t + ")";
    return "seed " + std::to_string(seed) + " failed at " + t + ": " + what + "\n  replay: " + replay;
  }

 private:
  static std::string pad9(std::int64_t v) {
    std::string s = std::to_string(v);
    return std::string(9 - std::min<std::size_t>(9, s.size()), '0') + s;
  }
};

template <sim_node Node>
class cluster {
 public:
  using message = typename Node::message;
  using context = node_context<message>;
  using factory = std::function<std::unique_ptr<Node>(context&)>;
  using check = std::function<result<void>()>;

  /// Builds the cluster with servers 1..options.servers, all started.
  /// errc::invalid_config for invalid options or a missing factory.
  static result<std::unique_ptr<cluster>> create(const options& o, factory make) {
    if (auto v = o.validate(); !v.has_value()) return v.error();
    if (!make) return make_error(errc::invalid_config, "cluster needs a server factory");
    std::unique_ptr<cluster> c(new cluster(o, std::move(make)));
    for (std::size_t i = 1; i <= o.servers; ++i) c->add_server(node_id{i});
    return c;
  }
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;

  // ---- access ------------------------------------------------------------

  [[nodiscard]] const options& opts() const noexcept { return opts_; }
  [[nodiscard]] sim::scheduler& scheduler() noexcept { return sched_; }
  [[nodiscard]] sim::network<message>& network() noexcept { return net_; }
  [[nodiscard]] sim::trace& trace() noexcept { return trace_; }
  [[nodiscard]] xoshiro256ss& rng() noexcept { return rng_; }
  [[nodiscard]] mono_time now() const noexcept { return sched_.now(); }
  [[nodiscard]] const std::vector<node_id>& servers() const noexcept { return ids_; }
  /// The running server, or nullptr if it is down or unknown.
  [[nodiscard]] Node* server(node_id id) {
    auto* s = find(id);
    return s != nullptr ? s->node.get() : nullptr;
  }
  [[nodiscard]] sim::storage* storage(node_id id) {
    auto* s = find(id);
    return s != nullptr ? s->store.get() : nullptr;
  }
  [[nodiscard]] virtual_clock* clock(node_id id) {
    auto* s = find(id);
    return s != nullptr ? s->clk.get() : nullptr;
  }
  [[nodiscard]] std::size_t down_count() const {
    return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [](auto& s) { return !s.node; }));
  }

  /// A client endpoint outside the servers (never crashed or partitioned by
  /// the fault injector); `h` receives its replies.
  result<typename sim::network<message>::endpoint> add_client(node_id id, typename sim::network<message>::handler h) {
    if (auto v = net_.add_node(id); !v.has_value()) return v.error();
    if (auto v = net_.attach(id, std::move(h)); !v.has_value()) return v.error();
    return net_.endpoint_of(id);
  }

  /// Checked after every event; the first error stops the run.
  void set_invariant(check c) { invariant_ = std::move(c); }

  // ---- faults by hand (the injector uses the same calls) ------------------

  /// Crashes a running server: its object is destroyed, its unsynced writes
  /// lost per the crash mode. errc::unknown_member / errc::stopped if absent or down.
  result<void> crash(node_id id) {
    auto* s = find(id);
    if (s == nullptr) return make_error(errc::unknown_member, "no such server", id);
    if (!s->node) return make_error(errc::stopped, "server is already down", id);
    sched_.cancel(s->tick);
    s->node.reset();
    (void)net_.detach(id);
    const crash_report r = s->store->crash();
    trace_.add(sched_.now(), trace_kind::crash, id, no_node, 0, r.unsynced - r.kept,
               trace_.wants_text() ? "lost " + std::to_string(r.unsynced - r.kept) + " of " +
                                         std::to_string(r.unsynced) + " unsynced records" + (r.torn ? ", torn" : "")
                                   : std::string());
    return success();
  }
  /// Restarts a crashed server from its recovered storage.
  result<void> restart(node_id id) {
    auto* s = find(id);
    if (s == nullptr) return make_error(errc::unknown_member, "no such server", id);
    if (s->node) return make_error(errc::invalid_argument, "server is running", id);
    const std::size_t torn = s->store->recover();
    trace_.add(sched_.now(), trace_kind::restart, id, no_node, 0, torn,
               trace_.wants_text() ? (torn ? "torn write detected and discarded" : "") : std::string());
    start(*s);
    return success();
  }
  result<void> step_clock(node_id id, duration d) {
    auto* s = find(id);
    if (s == nullptr) return make_error(errc::unknown_member, "no such server", id);
    s->clk->step(d);
    trace_.add(sched_.now(), trace_kind::clock_step, id, no_node, 0, static_cast<std::uint64_t>(d.count()));
    return success();
  }
  /// Heals the network and restarts every crashed server.
  void heal_all() {
    net_.heal();
    for (auto& s : slots_)
      if (!s.node) (void)restart(s.id);
  }

  // ---- running -----------------------------------------------------------

  /// Runs events until true time reaches `until` or the invariant fails.
  bool run_until(mono_time until) {
    while (!failed_ && !sched_.idle() && sched_.next_time() <= until) step_once();
    if (!failed_) (void)sched_.run_until(until);  // nothing is due any more: only moves time on
    return !failed_;
  }
  bool run_for(duration d) { return run_until(sched_.now() + d); }
  /// Runs until `done()` holds (checked after every event), `bound` passes,
  /// or the invariant fails; true if done() held.
  bool run_until(const std::function<bool()>& done, duration bound) {
    const mono_time end = sched_.now() + bound;
    while (!failed_ && !done()) {
      if (sched_.idle() || sched_.next_time() > end) return false;
      step_once();
    }
    return !failed_;
  }

  /// The whole run: safety phase with faults, then liveness phase.
  /// `converged` says whether the system has reached its goal (e.g. every
  /// client operation completed and replicas agree).
  run_report run(const std::function<bool()>& converged) {
    start_faults();
    run_until(sched_.now() + opts_.phases.safety);
    stop_faults();
    if (!failed_) {
      heal_all();
      if (!run_until(converged, opts_.phases.liveness) && !failed_)
        fail("did not converge within " + std::to_string(opts_.phases.liveness.count() / 1'000'000) +
             " ms of the liveness phase");
    }
    return report();
  }

  /// Starts / stops the fault injector (run() does both).
  void start_faults() {
    faults_on_ = true;
    if (opts_.faults.total_weight() != 0) schedule_fault();
  }
  void stop_faults() {
    faults_on_ = false;
    sched_.cancel(fault_event_);
  }

  [[nodiscard]] bool failed() const noexcept { return failed_; }
  /// Marks the run failed (for checks made outside the invariant).
  void fail(std::string what) {
    if (failed_) return;
    failed_ = true;
    failure_ = std::move(what);
    failed_at_ = sched_.now();
  }
  [[nodiscard]] run_report report() const {
    run_report r;
    r.ok = !failed_;
    r.seed = opts_.seed;
    r.at = failed_ ? failed_at_ : sched_.now();
    r.what = failure_;
    r.replay = replay_command();
    r.events = sched_.executed();
    r.digest = trace_.digest();
    r.network = net_.totals();
    return r;
  }
  [[nodiscard]] std::string replay_command() const {
    std::string s = opts_.replay;
    const std::string seed = std::to_string(opts_.seed);
    for (auto p = s.find("{seed}"); p != std::string::npos; p = s.find("{seed}", p + seed.size()))
      s.replace(p, 6, seed);
    return s;
  }

 private:
  struct server_slot {
    node_id id;
    std::unique_ptr<virtual_clock> clk;
    std::unique_ptr<sim::storage> store;
    std::unique_ptr<Node> node;
    event_id tick{};
  };

  cluster(const options& o, factory make)
      : opts_(o),
        make_(std::move(make)),
        rng_(o.seed),
        trace_(o.keep_trace),
        net_(sched_, rng_.fork(), &trace_, o.link) {}

  server_slot* find(node_id id) {
    for (auto& s : slots_)
      if (s.id == id) return &s;
    return nullptr;
  }

  void add_server(node_id id) {
    COHORT_ASSERT(net_.add_node(id).has_value(), "server ids are unique");
    server_slot s;
    s.id = id;
    s.clk = std::make_unique<virtual_clock>(sched_, draw_clock_params(rng_, opts_.clocks.offset_max,
                                                                      opts_.clocks.drift_ppm_max));
    s.store = std::make_unique<sim::storage>(rng_.fork(), opts_.storage, &sched_, &trace_, id);
    ids_.push_back(id);
    slots_.push_back(std::move(s));
    start(slots_.back());
  }

  void start(server_slot& s) {
    context ctx{s.id, *s.clk, net_.endpoint_of(s.id), *s.store, rng_.fork(), trace_, sched_};
    s.node = make_(ctx);
    COHORT_ASSERT(s.node != nullptr, "the server factory returned null");
    Node* n = s.node.get();
    (void)net_.attach(s.id, [n](node_id from, message&& m) { n->receive(from, std::move(m)); });
    schedule_tick(s.id);
  }

  void schedule_tick(node_id id) {
    auto* s = find(id);
    s->tick = sched_.after(s->clk->true_span(opts_.phases.tick), [this, id] {
      auto* t = find(id);
      if (t == nullptr || !t->node) return;
      schedule_tick(id);
      t->node->tick();
    });
  }

  void step_once() {
    sched_.step();
    if (invariant_ && !failed_) {
      if (auto v = invariant_(); !v.has_value()) fail(v.error().message);
    }
  }

  void schedule_fault() {
    const auto lo = static_cast<std::uint64_t>(opts_.faults.interval_min.count());
    const auto hi = static_cast<std::uint64_t>(opts_.faults.interval_max.count());
    fault_event_ = sched_.after(duration{static_cast<std::int64_t>(uniform_between(rng_, lo, hi))}, [this] {
      if (!faults_on_) return;
      inject_fault();
      schedule_fault();
    });
  }

  node_id pick(const std::vector<node_id>& v) { return v[uniform_below(rng_, v.size())]; }

  void inject_fault() {
    const fault_options& f = opts_.faults;
    std::uint64_t w = uniform_below(rng_, f.total_weight());
    auto take = [&w](std::uint32_t k) {
      if (w < k) return true;
      w -= k;
      return false;
    };
    std::vector<node_id> up, down;
    for (auto& s : slots_) (s.node ? up : down).push_back(s.id);
    if (take(f.partition_halves)) {
      (void)net_.partition_random_halves(ids_);
    } else if (take(f.isolate)) {
      (void)net_.isolate(pick(ids_));
    } else if (take(f.one_way)) {
      if (ids_.size() >= 2) {
        const node_id a = pick(ids_);
        node_id b = pick(ids_);
        if (a != b) (void)net_.block(a, b);
      }
    } else if (take(f.clog)) {
      const node_id a = pick(ids_), b = pick(ids_);
      const auto len = uniform_below(rng_, static_cast<std::uint64_t>(f.clog_max.count()) + 1);
      if (a != b) (void)net_.clog(a, b, sched_.now() + duration{static_cast<std::int64_t>(len)});
    } else if (take(f.heal)) {
      net_.heal();
    } else if (take(f.crash)) {
      if (!up.empty() && down.size() < f.crash_max) (void)crash(pick(up));
    } else if (take(f.restart)) {
      if (!down.empty()) (void)restart(pick(down));
    } else if (take(f.clock_step)) {
      const auto m = static_cast<std::uint64_t>(f.clock_step_max.count());
      const auto d = static_cast<std::int64_t>(uniform_below(rng_, 2 * m + 1)) - static_cast<std::int64_t>(m);
      (void)step_clock(pick(ids_), duration{d});
    } else if (take(f.drift_change)) {
      const auto m = static_cast<std::uint64_t>(opts_.clocks.drift_ppm_max);
      const node_id n = pick(ids_);
      find(n)->clk->set_drift_ppm(static_cast<std::int64_t>(uniform_below(rng_, 2 * m + 1)) -
                                  static_cast<std::int64_t>(m));
    }
  }

  options opts_;
  factory make_;
  xoshiro256ss rng_;
  sim::scheduler sched_;
  sim::trace trace_;
  sim::network<message> net_;
  std::vector<server_slot> slots_;
  std::vector<node_id> ids_;
  check invariant_;
  event_id fault_event_{};
  bool faults_on_ = false;
  bool failed_ = false;
  std::string failure_;
  mono_time failed_at_{};
};

}  // namespace cohort::sim
