// cohort/sim/network.hpp - a simulated network that models `transport`.
//
// Nodes (servers and clients alike) are registered by id with a delivery
// handler; `endpoint(id)` is that node's `transport`: `send(to, msg)` hands a
// message to the network, which decides, with the simulation's generator,
// whether it is lost, when it arrives (a per-link delay distribution, so
// messages reorder unless the link is FIFO), whether it is duplicated, and
// holds it while its path is clogged. Partitions block directed links and are
// checked when a message would arrive, so messages in flight when a partition
// starts are lost too. A detached (crashed) node receives nothing.
//
// Invariants: a message is delivered at most once per copy made (one, or two
// when duplicated), never to a node other than its destination, never
// altered; per-link counters satisfy sent + duplicated = delivered + lost +
// partitioned + down + in flight.
#pragma once

#include <algorithm>
#include <cstdint>
// std::function only: with libstdc++ it comes from <bits/std_function.h>, as
// <functional> also brings <unordered_map> and the searchers (compile cost,
// docs/benchmarks.md); other standard libraries get <functional>.
#if defined(__GLIBCXX__) && __has_include(<bits/std_function.h>)
#include <bits/std_function.h>
#else
#include <functional>
#endif
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cohort/core/assert.hpp"
#include "cohort/core/concepts.hpp"
#include "cohort/core/random.hpp"
#include "cohort/core/result.hpp"
#include "cohort/core/time.hpp"
#include "cohort/core/types.hpp"
#include "cohort/sim/scheduler.hpp"
#include "cohort/sim/trace.hpp"

namespace cohort::sim {

/// Behaviour of one directed link. Probabilities are in parts per million so
/// that every draw is exact integer arithmetic.
struct link_options {
  duration delay_min = std::chrono::microseconds(500);
  duration delay_max = std::chrono::milliseconds(5);
  std::uint32_t tail_ppm = 0;                          ///< chance of a long delay instead
  duration tail_delay_max = std::chrono::milliseconds(100);  ///< long delays are uniform in (delay_max, this]
  std::uint32_t loss_ppm = 0;
  std::uint32_t duplicate_ppm = 0;
  bool fifo = false;  ///< deliver in send order on this link (no reordering)

  static constexpr std::uint32_t ppm = 1'000'000;
  /// An error if a bound is negative, inverted, or a probability exceeds 1e6.
  [[nodiscard]] result<void> validate() const {
    if (delay_min < duration::zero() || delay_max < delay_min || tail_delay_max < delay_max)
      return make_error(errc::invalid_config, "link delays must satisfy 0 <= delay_min <= delay_max <= tail_delay_max");
    if (loss_ppm > ppm || duplicate_ppm > ppm || tail_ppm > ppm)
      return make_error(errc::invalid_config, "link probabilities are parts per million, at most 1000000");
    return success();
  }
};

/// Counters of one directed link (or of the whole network).
struct link_stats {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;         ///< dropped by the loss probability
  std::uint64_t partitioned = 0;  ///< dropped because the link was blocked
  std::uint64_t down = 0;         ///< dropped because the destination was detached or unknown
  std::uint64_t duplicated = 0;
  link_stats& operator+=(const link_stats& o) noexcept {
    sent += o.sent, delivered += o.delivered, lost += o.lost, partitioned += o.partitioned, down += o.down,
        duplicated += o.duplicated;
    return *this;
  }
  friend bool operator==(const link_stats&, const link_stats&) = default;
};

template <class Message>
class network {
 public:
  using handler = std::function<void(node_id from, Message&& msg)>;
  using describer = std::function<std::string(const Message&)>;

  /// The transport of one node: send(to, msg) enters the network from `self`.
  class endpoint {
   public:
    endpoint(network& n, node_id self) noexcept : net_(&n), self_(self) {}
    void send(node_id to, Message&& msg) { net_->send(self_, to, std::move(msg)); }
    [[nodiscard]] node_id self() const noexcept { return self_; }

   private:
    network* net_;
    node_id self_;
  };

  network(scheduler& s, xoshiro256ss rng, trace* t = nullptr, link_options defaults = {})
      : sched_(&s), rng_(rng), trace_(t), defaults_(defaults) {
    COHORT_ASSERT(defaults.validate().has_value(), "invalid link options");
  }
  network(const network&) = delete;
  network& operator=(const network&) = delete;

  /// Registers a node (detached until attach()). Errors: id 0, or already present.
  result<void> add_node(node_id id) {
    if (id == no_node) return make_error(errc::invalid_argument, "node id 0 is reserved");
    if (find(id)) return make_error(errc::duplicate_member, "node already in the network", id);
    const std::size_t n = ids_.size();
    index_.insert(std::upper_bound(index_.begin(), index_.end(), std::pair{id.value(), n}), std::pair{id.value(), n});
    ids_.push_back(id);
    handlers_.emplace_back();
    // Grow the n x n link tables to (n+1) x (n+1), keeping existing entries.
    std::vector<link> grown((n + 1) * (n + 1), link{defaults_});
    for (std::size_t a = 0; a < n; ++a)
      for (std::size_t b = 0; b < n; ++b) grown[a * (n + 1) + b] = links_[a * n + b];
    links_ = std::move(grown);
    return success();
  }
  /// Starts delivering to `id` through `h` (after a restart, the new node's handler).
  result<void> attach(node_id id, handler h) {
    const auto i = find(id);
    if (!i) return unknown(id);
    handlers_[*i] = std::move(h);
    return success();
  }
  /// Stops delivering to `id` (a crash): messages arriving meanwhile are dropped.
  result<void> detach(node_id id) {
    const auto i = find(id);
    if (!i) return unknown(id);
    handlers_[*i] = nullptr;
    return success();
  }
  [[nodiscard]] bool attached(node_id id) const {
    const auto i = find(id);
    return i && handlers_[*i] != nullptr;
  }
  [[nodiscard]] const std::vector<node_id>& nodes() const noexcept { return ids_; }
  [[nodiscard]] endpoint endpoint_of(node_id id) { return endpoint(*this, id); }
  void set_describer(describer d) { describe_ = std::move(d); }

  // ---- sending -----------------------------------------------------------

  void send(node_id from, node_id to, Message&& msg) {
    const std::uint64_t number = ++messages_;
    const auto fi = find(from);
    const auto ti = find(to);
    if (!fi || !ti || from == to) {
      ++orphan_.sent;
      ++orphan_.down;
      record(trace_kind::drop, from, to, number, 0, [] { return std::string("unknown or self destination"); });
      return;
    }
    link& l = at(*fi, *ti);
    ++l.stats.sent;
    record(trace_kind::send, from, to, number, 0, [&] { return describe(msg); });
    if (chance(rng_, l.opts.loss_ppm, link_options::ppm)) {
      ++l.stats.lost;
      record(trace_kind::drop, from, to, number, 0, [] { return std::string("lost"); });
      return;
    }
    if constexpr (std::copyable<Message>) {
      if (chance(rng_, l.opts.duplicate_ppm, link_options::ppm)) {
        ++l.stats.duplicated;
        record(trace_kind::duplicate, from, to, number, 0, [] { return std::string(); });
        schedule(*fi, *ti, number, Message(msg));
      }
    }
    schedule(*fi, *ti, number, std::move(msg));
  }

  // ---- faults ------------------------------------------------------------

  /// Blocks (or unblocks) the directed link from -> to.
  result<void> block(node_id from, node_id to, bool blocked = true) {
    const auto fi = find(from);
    const auto ti = find(to);
    if (!fi) return unknown(from);
    if (!ti) return unknown(to);
    at(*fi, *ti).blocked = blocked;
    record(trace_kind::partition, from, to, 0, blocked ? 1 : 0,
           [&] { return std::string(blocked ? "block " : "unblock ") + describe_link(from, to); });
    return success();
  }
  /// Separates `side` from every other node, both ways.
  result<void> partition(const std::vector<node_id>& side) {
    for (node_id n : side)
      if (!find(n)) return unknown(n);
    for (std::size_t a = 0; a < ids_.size(); ++a)
      for (std::size_t b = 0; b < ids_.size(); ++b)
        if (a != b && in(side, ids_[a]) != in(side, ids_[b])) at(a, b).blocked = true;
    record(trace_kind::partition, no_node, no_node, 0, side.size(), [&] { return "split off " + list(side); });
    return success();
  }
  /// Cuts one node off from all others, both ways.
  result<void> isolate(node_id n) { return partition({n}); }
  /// Splits `among` into two random halves (each non-empty when among.size() >= 2).
  result<void> partition_random_halves(std::vector<node_id> among) {
    if (among.size() < 2) return make_error(errc::invalid_argument, "need at least two nodes to split");
    for (std::size_t i = among.size() - 1; i > 0; --i) std::swap(among[i], among[uniform_below(rng_, i + 1)]);
    const std::size_t k = 1 + uniform_below(rng_, among.size() - 1);
    among.resize(k);
    return partition(among);
  }
  /// Holds messages on from -> to until `until` (they arrive late, not lost).
  result<void> clog(node_id from, node_id to, mono_time until) {
    const auto fi = find(from);
    const auto ti = find(to);
    if (!fi) return unknown(from);
    if (!ti) return unknown(to);
    at(*fi, *ti).clogged_until = until;
    record(trace_kind::partition, from, to, 0, static_cast<std::uint64_t>(until.time_since_epoch().count()),
           [&] { return "clog " + describe_link(from, to); });
    return success();
  }
  /// Removes every block and clog.
  void heal() {
    for (auto& l : links_) {
      l.blocked = false;
      l.clogged_until = mono_time{};
    }
    record(trace_kind::heal, no_node, no_node, 0, 0, [] { return std::string("heal"); });
  }
  [[nodiscard]] bool blocked(node_id from, node_id to) const {
    const auto fi = find(from);
    const auto ti = find(to);
    return fi && ti && links_[*fi * ids_.size() + *ti].blocked;
  }
  /// Sets the options of one directed link, or of every link (present and future).
  result<void> set_link(node_id from, node_id to, const link_options& o) {
    if (auto v = o.validate(); !v.has_value()) return v;
    const auto fi = find(from);
    const auto ti = find(to);
    if (!fi) return unknown(from);
    if (!ti) return unknown(to);
    at(*fi, *ti).opts = o;
    return success();
  }
  result<void> set_all_links(const link_options& o) {
    if (auto v = o.validate(); !v.has_value()) return v;
    defaults_ = o;
    for (auto& l : links_) l.opts = o;
    return success();
  }

  // ---- counters ----------------------------------------------------------

  [[nodiscard]] link_stats stats(node_id from, node_id to) const {
    const auto fi = find(from);
    const auto ti = find(to);
    return fi && ti ? links_[*fi * ids_.size() + *ti].stats : link_stats{};
  }
  [[nodiscard]] link_stats totals() const {
    link_stats t = orphan_;
    for (const auto& l : links_) t += l.stats;
    return t;
  }
  [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_; }

 private:
  struct link {
    link_options opts;
    link_stats stats{};
    bool blocked = false;
    mono_time clogged_until{};
    mono_time last_arrival{};
  };
  struct flight {
    std::optional<Message> msg;
    std::uint64_t number = 0;
    std::uint32_t from = 0, to = 0;
  };

  [[nodiscard]] std::optional<std::size_t> find(node_id id) const {
    const auto it = std::lower_bound(index_.begin(), index_.end(), id.value(),
                                     [](const auto& e, std::uint64_t v) { return e.first < v; });
    if (it == index_.end() || it->first != id.value()) return std::nullopt;
    return it->second;
  }
  link& at(std::size_t a, std::size_t b) { return links_[a * ids_.size() + b]; }
  static result<void> unknown(node_id id) { return make_error(errc::unknown_member, "node not in the network", id); }
  static bool in(const std::vector<node_id>& v, node_id n) { return std::find(v.begin(), v.end(), n) != v.end(); }

  duration draw_delay(const link_options& o) {
    auto between = [this](duration lo, duration hi) {
      return duration{static_cast<std::int64_t>(uniform_between(rng_, static_cast<std::uint64_t>(lo.count()),
                                                                static_cast<std::uint64_t>(hi.count())))};
    };
    if (o.tail_delay_max > o.delay_max && chance(rng_, o.tail_ppm, link_options::ppm))
      return between(o.delay_max + duration{1}, o.tail_delay_max);
    return between(o.delay_min, o.delay_max);
  }

  void schedule(std::size_t fi, std::size_t ti, std::uint64_t number, Message&& msg) {
    link& l = at(fi, ti);
    mono_time arrive = sched_->now() + draw_delay(l.opts);
    arrive = std::max(arrive, l.clogged_until);
    if (l.opts.fifo) arrive = std::max(arrive, l.last_arrival);
    l.last_arrival = std::max(l.last_arrival, arrive);
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(flights_.size());
      flights_.emplace_back();
    }
    flights_[slot].msg.emplace(std::move(msg));
    flights_[slot].number = number;
    flights_[slot].from = static_cast<std::uint32_t>(fi);
    flights_[slot].to = static_cast<std::uint32_t>(ti);
    ++in_flight_;
    sched_->at(arrive, [this, slot] { arrive_at(slot); });
  }

  void arrive_at(std::uint32_t slot) {
    flight& f = flights_[slot];
    Message msg = std::move(*f.msg);
    f.msg.reset();
    const std::uint64_t number = f.number;
    const std::size_t fi = f.from, ti = f.to;
    free_.push_back(slot);
    --in_flight_;
    link& l = at(fi, ti);
    const node_id from = ids_[fi], to = ids_[ti];
    if (l.blocked) {
      ++l.stats.partitioned;
      record(trace_kind::drop, from, to, number, 1, [] { return std::string("partitioned"); });
      return;
    }
    if (!handlers_[ti]) {
      ++l.stats.down;
      record(trace_kind::drop, from, to, number, 2, [] { return std::string("destination down"); });
      return;
    }
    ++l.stats.delivered;
    record(trace_kind::deliver, to, from, number, 0, [] { return std::string(); });
    // A copy: the handler may detach its own node (a crash) while it runs.
    const handler h = handlers_[ti];
    h(from, std::move(msg));
  }

  template <class Text>
  void record(trace_kind k, node_id a, node_id b, std::uint64_t number, std::uint64_t value, Text&& text) {
    if (trace_ == nullptr) return;
    trace_->add(sched_->now(), k, a, b, number, value, trace_->wants_text() ? text() : std::string());
  }
  std::string describe(const Message& m) const { return describe_ ? describe_(m) : std::string(); }
  static std::string describe_link(node_id a, node_id b) {
    return std::to_string(a.value()) + "->" + std::to_string(b.value());
  }
  static std::string list(const std::vector<node_id>& v) {
    std::string s = "{";
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i != 0) s += ',';
      s += std::to_string(v[i].value());
    }
    s += '}';
    return s;
  }

  scheduler* sched_;
  xoshiro256ss rng_;
  trace* trace_;
  link_options defaults_;
  std::vector<std::pair<std::uint64_t, std::size_t>> index_;  // (id, position), sorted by id
  std::vector<node_id> ids_;
  std::vector<handler> handlers_;
  std::vector<link> links_;
  std::vector<flight> flights_;
  std::vector<std::uint32_t> free_;
  std::size_t in_flight_ = 0;
  std::uint64_t messages_ = 0;
  link_stats orphan_{};
  describer describe_;
};

}  // namespace cohort::sim
