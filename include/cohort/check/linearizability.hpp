// cohort/check/linearizability.hpp - does a history have a legal sequential order?
//
// A history is linearizable for a model if every ok operation can be placed
// at one instant between its invocation and its completion, and every
// indeterminate one either likewise (any time after its invocation) or not
// at all, such that the model, run in that order, gives each ok operation
// its recorded output. Failed operations are dropped.
//
// The search is Wing and Gong's (1993) with Lowe's improvements (2017): the
// history is a doubly linked list of call and return events in time order;
// linearizing an operation "lifts" its two events out of the list, and
// backtracking puts them back (dancing links). Each configuration reached,
// (the set of linearized operations, the model state), is memoized, so a
// configuration is explored at most once. A model that says which key an
// input touches (`key(input)`) has its history split per key, each checked
// alone (P-compositionality, as Horn and Kroening's and porcupine's checkers).
//
// A model M provides:
//   typename M::state, M::input, M::output      (state: equality-comparable)
//   M::state init() const
//   std::optional<state> step(const state&, const input&, const output&) const
//       the state after the operation if it can return that output, else nullopt;
//   state step_unknown(const state&, const input&) const
//       the state after the operation took effect with an unknown output (for
//       indeterminate operations; whether it took effect at all is the search's);
//   std::uint64_t hash(const state&) const
// and optionally std::uint64_t key(const input&) const, and
//   std::string describe(const input&, const output&, bool output_known) const.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cohort/check/history.hpp"
#include "cohort/core/random.hpp"

namespace cohort::check {

template <class M>
concept model = requires(const M& m, const typename M::state& s, const typename M::input& in,
                         const typename M::output& out) {
  requires std::equality_comparable<typename M::state>;
  { m.init() } -> std::convertible_to<typename M::state>;
  { m.step(s, in, out) } -> std::same_as<std::optional<typename M::state>>;
  { m.step_unknown(s, in) } -> std::convertible_to<typename M::state>;
  { m.hash(s) } -> std::convertible_to<std::uint64_t>;
};

template <class M>
concept keyed_model = model<M> && requires(const M& m, const typename M::input& in) {
  { m.key(in) } -> std::convertible_to<std::uint64_t>;
};

/// A model that can tell which indeterminate operations cannot matter (as
/// Jepsen does for unobserved writes): `effect(in)` is the value an operation
/// would install (nullopt: it changes nothing), and `observe(in, out, seen)`
/// adds the values a completed operation observed, returning false if the
/// operation constrains the state in a way values cannot express (then
/// nothing is pruned). An indeterminate operation with no effect, or whose
/// value nobody observed, is dropped before the search: any order that uses
/// it can do without it. Sound when written values are unique.
template <class M>
concept pruning_model = model<M> && requires(const M& m, const typename M::input& in, const typename M::output& out,
                                             std::vector<std::int64_t>& seen) {
  { m.effect(in) } -> std::same_as<std::optional<std::int64_t>>;
  { m.observe(in, out, seen) } -> std::same_as<bool>;
};

template <class M>
concept describable_model = model<M> && requires(const M& m, const typename M::input& in, const typename M::output& out) {
  { m.describe(in, out, true) } -> std::convertible_to<std::string>;
};

enum class verdict : std::uint8_t { linearizable, not_linearizable, unknown };

constexpr const char* name_of(verdict v) noexcept {
  switch (v) {
    case verdict::linearizable: return "linearizable";
    case verdict::not_linearizable: return "not linearizable";
    case verdict::unknown: return "unknown (search budget exhausted)";
  }
  return "?";
}

/// Why a history is not linearizable, in history operation ids.
struct counterexample {
  std::vector<std::size_t> linearized;  ///< the longest legal order found (its last operations)
  std::vector<std::size_t> pending;     ///< operations invoked before `blocked` completed, none of which fits next
  std::size_t blocked = std::numeric_limits<std::size_t>::max();  ///< the ok operation that could not be linearized
  std::string text;                     ///< the above, readable
};

struct check_options {
  std::uint64_t step_budget = 100'000'000;  ///< search steps before giving up with verdict::unknown
  std::size_t shown_prefix = 8;             ///< linearized operations kept in a counterexample
};

struct check_result {
  verdict v = verdict::linearizable;
  counterexample cex;
  std::uint64_t steps = 0;
  std::size_t partitions = 0;
  [[nodiscard]] bool linearizable() const noexcept { return v == verdict::linearizable; }
};

namespace detail {

template <model M, class Op>
class searcher {
 public:
  searcher(const M& m, std::span<const Op> all, std::vector<std::size_t> ids, const check_options& o)
      : m_(m), all_(all), ids_(std::move(ids)), opts_(o) {
    build();
  }

  check_result run() {
    check_result r;
    typename M::state state = m_.init();
    std::vector<frame> stack;
    std::size_t e = next_[head];
    while (true) {
      if (++r.steps > opts_.step_budget) {
        r.v = verdict::unknown;
        return r;
      }
      if (e == tail || (!is_call_[e] && open_ended(e))) return r;  // every ok operation is placed
      if (!is_call_[e]) {                                          // an ok operation's completion: backtrack
        if (stack.size() >= best_depth_) remember(stack, e);
        if (stack.empty()) {
          r.v = verdict::not_linearizable;
          r.cex = explain();
          return r;
        }
        const frame f = stack.back();
        stack.pop_back();
        state = f.before;
        flip(op_of_[f.call]);
        unlift(f.call);
        e = next_[f.call];
        continue;
      }
      const std::size_t k = op_of_[e];
      const Op& op = all_[ids_[k]];
      std::optional<typename M::state> after =
          op.status == outcome::ok ? m_.step(state, op.input, op.output)
                                   : std::optional<typename M::state>(m_.step_unknown(state, op.input));
      if (after) {
        flip(k);
        if (remember_config(*after)) {
          stack.push_back(frame{e, std::move(state)});
          state = std::move(*after);
          lift(e);
          e = next_[head];
          continue;
        }
        flip(k);
      }
      e = next_[e];
    }
  }

 private:
  static constexpr std::size_t head = 0, tail = 1;
  struct frame {
    std::size_t call;
    typename M::state before;
  };
  struct config {
    std::vector<std::uint64_t> bits;
    typename M::state state;
  };

  // Entries 0 and 1 are sentinels; op k has call 2+2k and return 3+2k.
  void build() {
    const std::size_t n = ids_.size();
    std::vector<std::pair<std::uint64_t, std::size_t>> events;  // (time, entry)
    events.reserve(2 * n);
    next_.assign(2 + 2 * n, 0);
    prev_.assign(2 + 2 * n, 0);
    is_call_.assign(2 + 2 * n, false);
    op_of_.assign(2 + 2 * n, 0);
    for (std::size_t k = 0; k < n; ++k) {
      const Op& op = all_[ids_[k]];
      is_call_[2 + 2 * k] = true;
      op_of_[2 + 2 * k] = op_of_[3 + 2 * k] = k;
      events.emplace_back(op.invoked * 2, 2 + 2 * k);
      const std::uint64_t done = op.status == outcome::ok ? op.completed * 2 + 1 : std::numeric_limits<std::uint64_t>::max();
      events.emplace_back(done, 3 + 2 * k);
    }
    std::stable_sort(events.begin(), events.end(), [](auto& a, auto& b) { return a.first < b.first; });
    std::size_t last = head;
    for (auto& [t, entry] : events) {
      next_[last] = entry;
      prev_[entry] = last;
      last = entry;
    }
    next_[last] = tail;
    prev_[tail] = last;
    bits_.assign((n + 63) / 64, 0);
    splitmix64 sm(0x11ea71ab1eULL);
    zobrist_.resize(n);
    for (auto& z : zobrist_) z = sm.next();
  }

  [[nodiscard]] bool open_ended(std::size_t ret) const { return all_[ids_[op_of_[ret]]].status != outcome::ok; }

  void lift(std::size_t call) {
    const std::size_t ret = call + 1;
    next_[prev_[call]] = next_[call];
    prev_[next_[call]] = prev_[call];
    next_[prev_[ret]] = next_[ret];
    prev_[next_[ret]] = prev_[ret];
  }
  void unlift(std::size_t call) {
    const std::size_t ret = call + 1;
    prev_[next_[ret]] = ret;
    next_[prev_[ret]] = ret;
    prev_[next_[call]] = call;
    next_[prev_[call]] = call;
  }
  void flip(std::size_t k) {
    bits_[k / 64] ^= std::uint64_t{1} << (k % 64);
    bits_hash_ ^= zobrist_[k];
  }
  // True if (bits_, s) was not seen before (and records it).
  bool remember_config(const typename M::state& s) {
    const std::uint64_t h = bits_hash_ ^ (static_cast<std::uint64_t>(m_.hash(s)) * 0x9e3779b97f4a7c15ULL);
    auto& bucket = seen_[h];
    for (const auto& c : bucket)
      if (c.bits == bits_ && c.state == s) return false;
    bucket.push_back(config{bits_, s});
    return true;
  }

  void remember(const std::vector<frame>& stack, std::size_t blocked_ret) {
    best_depth_ = stack.size() + 1;
    best_.clear();
    for (const auto& f : stack) best_.push_back(ids_[op_of_[f.call]]);
    best_blocked_ = ids_[op_of_[blocked_ret]];
    best_pending_.clear();
    for (std::size_t e = next_[head]; e != tail && e != blocked_ret; e = next_[e])
      if (is_call_[e]) best_pending_.push_back(ids_[op_of_[e]]);
  }

  counterexample explain() const {
    counterexample c;
    const std::size_t keep = std::min(best_.size(), opts_.shown_prefix);
    c.linearized.assign(best_.end() - static_cast<std::ptrdiff_t>(keep), best_.end());
    c.pending = best_pending_;
    c.blocked = best_blocked_;
    auto show = [this](std::size_t id) {
      const Op& op = all_[id];
      std::string s = "#" + std::to_string(id) + " client " + std::to_string(op.client) + " ";
      if constexpr (describable_model<M>) s += m_.describe(op.input, op.output, op.status == outcome::ok);
      s += op.status == outcome::ok ? "" : " (indeterminate)";
      return s;
    };
    c.text = "no legal order: after\n";
    if (best_.size() > keep) c.text += "  ... " + std::to_string(best_.size() - keep) + " earlier operations\n";
    for (auto id : c.linearized) c.text += "  " + show(id) + "\n";
    c.text += "none of the operations pending then can come next:\n";
    for (auto id : c.pending) c.text += "  " + show(id) + "\n";
    c.text += "and this one must complete before anything after it:\n  " + show(c.blocked) + "\n";
    return c;
  }

  const M& m_;
  std::span<const Op> all_;
  std::vector<std::size_t> ids_;  // history ids of this partition's operations
  check_options opts_;
  std::vector<std::size_t> next_, prev_, op_of_;
  std::vector<bool> is_call_;
  std::vector<std::uint64_t> bits_;
  std::uint64_t bits_hash_ = 0;
  std::vector<std::uint64_t> zobrist_;
  std::unordered_map<std::uint64_t, std::vector<config>> seen_;
  std::size_t best_depth_ = 0;
  std::vector<std::size_t> best_, best_pending_;
  std::size_t best_blocked_ = 0;
};

}  // namespace detail

namespace detail {

template <model M, class Op>
void prune(const M& m, std::span<const Op> ops, std::vector<std::size_t>& ids) {
  if constexpr (pruning_model<M>) {
    std::vector<std::int64_t> seen;
    for (std::size_t i : ids)
      if (ops[i].status == outcome::ok && !m.observe(ops[i].input, ops[i].output, seen)) return;
    std::sort(seen.begin(), seen.end());
    std::erase_if(ids, [&](std::size_t i) {
      if (ops[i].status == outcome::ok) return false;
      const auto v = m.effect(ops[i].input);
      return !v || !std::binary_search(seen.begin(), seen.end(), *v);
    });
  } else {
    (void)m, (void)ops, (void)ids;
  }
}

}  // namespace detail

/// Checks a list of operations (e.g. history::operations()).
template <model M>
check_result check_linearizable(const M& m, std::span<const operation<typename M::input, typename M::output>> ops,
                                const check_options& o = {}) {
  using op_t = operation<typename M::input, typename M::output>;
  std::map<std::uint64_t, std::vector<std::size_t>> parts;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].status == outcome::fail) continue;
    std::uint64_t key = 0;
    if constexpr (keyed_model<M>) key = m.key(ops[i].input);
    parts[key].push_back(i);
  }
  check_result total;
  total.partitions = parts.size();
  for (auto& [key, ids] : parts) {
    detail::prune(m, ops, ids);
    detail::searcher<M, op_t> s(m, ops, std::move(ids), o);
    check_result r = s.run();
    total.steps += r.steps;
    if (r.v == verdict::not_linearizable) {
      r.steps = total.steps;
      r.partitions = total.partitions;
      if (parts.size() > 1) r.cex.text = "key " + std::to_string(key) + ": " + r.cex.text;
      return r;
    }
    if (r.v == verdict::unknown) total.v = verdict::unknown;
  }
  return total;
}

template <model M>
check_result check_linearizable(const M& m, const history<typename M::input, typename M::output>& h,
                                const check_options& o = {}) {
  return check_linearizable(m, std::span(h.operations()), o);
}

}  // namespace cohort::check
