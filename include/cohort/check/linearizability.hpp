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
// and optionally std::uint64_t key(const input&) const or a partition(ops)
// of its own (partitioning_model), effect/observe (pruning_model), and
//   std::string describe(const input&, const output&, bool output_known) const
// for the counterexample text.
//
// The result is linearizable, not_linearizable with a counterexample (the
// deepest point the search reached: the operations placed so far, the first
// one it could not place and the operations concurrent with it), or unknown
// once the step budget is spent.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cohort/check/history.hpp"
#include "cohort/core/assert.hpp"
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
/// would install (nullopt: it changes nothing), and
/// `observe(in, out, known, seen)` adds the values an operation conditions on
/// (for a completed one, `known`, what it observed; for an indeterminate one,
/// what it would test, e.g. a compare-and-set's expected value), returning
/// false if it constrains the state in a way values cannot express (then
/// nothing is pruned). An indeterminate operation with no effect, or whose
/// value no operation conditions on, is dropped before the search: any order
/// that uses it stays legal without it (the operations that saw its value
/// until the next write could not tell it from the value before, and the
/// indeterminate ones among them may be left out as well).
template <class M>
concept pruning_model = model<M> && requires(const M& m, const typename M::input& in, const typename M::output& out,
                                             std::vector<std::int64_t>& seen) {
  { m.effect(in) } -> std::same_as<std::optional<std::int64_t>>;
  { m.observe(in, out, true, seen) } -> std::same_as<bool>;
};

/// A model that splits a history itself: `partition(ops)` returns lists of
/// indices into `ops`, each checked alone. Every index must appear in exactly
/// one list (checked: otherwise the verdict is not_linearizable with the
/// reason in the counterexample text). Takes precedence over key().
template <class M>
concept partitioning_model =
    model<M> && requires(const M& m, std::span<const operation<typename M::input, typename M::output>> ops) {
      { m.partition(ops) } -> std::convertible_to<std::vector<std::vector<std::size_t>>>;
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
  std::vector<std::size_t> pending;     ///< the others invoked before `blocked` completed: none fits next either
  std::size_t blocked = std::numeric_limits<std::size_t>::max();  ///< the first ok operation still to place, which cannot be
  std::string text;                     ///< the above, readable
};

struct check_options {
  std::uint64_t step_budget = 100'000'000;  ///< search steps (all partitions) before giving up with verdict::unknown
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

/// The set of configurations (linearized operations, model state) the search
/// has reached. Operations are numbered so that the ok ones come first (in
/// invocation order) and the indeterminate ones after. An ok operation not yet
/// linearized holds back every operation invoked after its completion, so the
/// ok part of a linearized set is a run of all-ones words, a short window, and
/// zeros: only the window is stored, with the indeterminate part whole.
/// Storage is flat (one word arena, one entry array, open addressing), so a
/// new configuration costs no allocation of its own.
template <class State>
class config_store {
 public:
  /// The window of `ok` from `lo` to its last nonzero word, then `ind`; true
  /// if (that set, s) is new (and now recorded).
  bool insert(std::uint64_t h, std::span<const std::uint64_t> ok, std::size_t lo, std::span<const std::uint64_t> ind,
              const State& s) {
    std::size_t hi = ok.size();
    while (hi > lo && ok[hi - 1] == 0) --hi;
    const std::size_t len = hi > lo ? hi - lo : 0;
    if (2 * (entries_.size() + 1) > slots_.size()) grow();
    std::size_t i = h & (slots_.size() - 1);
    for (; slots_[i] != 0; i = (i + 1) & (slots_.size() - 1)) {
      const entry& e = entries_[slots_[i] - 1];
      if (e.hash == h && e.lo == lo && e.len == len && same(e, ok.subspan(lo, len), ind) && states_[slots_[i] - 1] == s)
        return false;
    }
    COHORT_ASSERT(entries_.size() < std::numeric_limits<std::uint32_t>::max(), "configuration store full");
    entries_.push_back(entry{h, words_.size(), lo, len});
    words_.insert(words_.end(), ok.begin() + static_cast<std::ptrdiff_t>(lo),
                  ok.begin() + static_cast<std::ptrdiff_t>(lo + len));
    words_.insert(words_.end(), ind.begin(), ind.end());
    states_.push_back(s);
    slots_[i] = static_cast<std::uint32_t>(entries_.size());
    return true;
  }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct entry {
    std::uint64_t hash;
    std::size_t offset, lo, len;
  };
  bool same(const entry& e, std::span<const std::uint64_t> window, std::span<const std::uint64_t> ind) const {
    const std::uint64_t* w = words_.data() + e.offset;
    return std::equal(window.begin(), window.end(), w) && std::equal(ind.begin(), ind.end(), w + e.len);
  }
  void grow() {
    std::vector<std::uint32_t> bigger(std::max<std::size_t>(64, 2 * slots_.size()), 0);
    const std::size_t mask = bigger.size() - 1;
    for (std::size_t n = 0; n < entries_.size(); ++n) {
      std::size_t i = entries_[n].hash & mask;
      while (bigger[i] != 0) i = (i + 1) & mask;
      bigger[i] = static_cast<std::uint32_t>(n + 1);
    }
    slots_.swap(bigger);
  }

  std::vector<entry> entries_;
  std::vector<std::uint64_t> words_;
  std::vector<State> states_;
  std::vector<std::uint32_t> slots_;  // entry index + 1; 0: empty
};

/// One partition's search. The history is a doubly linked list of call and
/// return events in time order (entries 0 and 1 are the head and tail
/// sentinels; operation k has its call at 2 + 2k and its return at 3 + 2k;
/// an indeterminate operation's return is at the very end). Invariants of
/// run(): the operations on `stack` are linearized in that order, their
/// events are lifted out of the list, their bits are set, and `state` is the
/// model state after them.
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
      if (e == tail || (!is_call_[e] && !is_ok(op_of_[e]))) return r;  // every ok operation is placed
      if (!is_call_[e]) {  // an ok operation's completion: nothing pending fits, backtrack
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
      if (try_linearize(e, state)) {
        stack.push_back(frame{e, std::move(state)});
        state = std::move(*after_);
        lift(e);
        e = next_[head];
      } else {
        e = next_[e];
      }
    }
  }

 private:
  static constexpr std::size_t head = 0, tail = 1;
  struct frame {
    std::size_t call;
    typename M::state before;
  };

  // True if the operation called at `e` can come next from `state` and that
  // leads to a configuration not seen before; then after_ is its state and
  // its bit is set.
  bool try_linearize(std::size_t e, const typename M::state& state) {
    const std::size_t k = op_of_[e];
    const Op& op = all_[ids_[k]];
    after_ = is_ok(k) ? m_.step(state, op.input, op.output)
                      : std::optional<typename M::state>(m_.step_unknown(state, op.input));
    if (!after_) return false;
    flip(k);
    if (remember_config(*after_)) return true;
    flip(k);
    return false;
  }

  void build() {
    std::stable_partition(ids_.begin(), ids_.end(), [this](std::size_t i) { return all_[i].status == outcome::ok; });
    const std::size_t n = ids_.size();
    oks_ = static_cast<std::size_t>(
        std::count_if(ids_.begin(), ids_.end(), [this](std::size_t i) { return all_[i].status == outcome::ok; }));
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
      // Calls at even, returns at odd times, so that an operation that
      // completed before another was invoked comes first.
      events.emplace_back(op.invoked * 2, 2 + 2 * k);
      events.emplace_back(is_ok(k) ? op.completed * 2 + 1 : std::numeric_limits<std::uint64_t>::max(), 3 + 2 * k);
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
    ok_bits_.assign((oks_ + 63) / 64, 0);
    ind_bits_.assign((n - oks_ + 63) / 64, 0);
    splitmix64 sm(0x11ea71ab1eULL);
    zobrist_.resize(n);
    for (auto& z : zobrist_) z = sm.next();
  }

  [[nodiscard]] bool is_ok(std::size_t k) const { return k < oks_; }

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
    bits_hash_ ^= zobrist_[k];
    if (!is_ok(k)) {
      ind_bits_[(k - oks_) / 64] ^= std::uint64_t{1} << ((k - oks_) % 64);
      return;
    }
    const std::size_t w = k / 64;
    ok_bits_[w] ^= std::uint64_t{1} << (k % 64);
    if (ok_bits_[w] != ~std::uint64_t{0}) full_words_ = std::min(full_words_, w);
  }
  // True if (the linearized set, s) was not seen before (and records it).
  bool remember_config(const typename M::state& s) {
    while (full_words_ < ok_bits_.size() && ok_bits_[full_words_] == ~std::uint64_t{0}) ++full_words_;
    const std::uint64_t h = bits_hash_ ^ (static_cast<std::uint64_t>(m_.hash(s)) * 0x9e3779b97f4a7c15ULL);
    return seen_.insert(h, ok_bits_, full_words_, ind_bits_, s);
  }

  void remember(const std::vector<frame>& stack, std::size_t blocked_ret) {
    best_depth_ = stack.size() + 1;
    best_.clear();
    for (const auto& f : stack) best_.push_back(ids_[op_of_[f.call]]);
    best_blocked_ = ids_[op_of_[blocked_ret]];
    best_pending_.clear();
    for (std::size_t e = next_[head]; e != tail && e != blocked_ret; e = next_[e])
      if (is_call_[e] && e != blocked_ret - 1) best_pending_.push_back(ids_[op_of_[e]]);
  }

  counterexample explain() const {
    counterexample c;
    const std::size_t keep = std::min(best_.size(), opts_.shown_prefix);
    c.linearized.assign(best_.end() - static_cast<std::ptrdiff_t>(keep), best_.end());
    c.pending = best_pending_;
    c.blocked = best_blocked_;
    c.text = "no legal order: after\n";
    if (best_.empty()) c.text += "  (nothing)\n";
    if (best_.size() > keep) c.text += "  ... " + std::to_string(best_.size() - keep) + " earlier operations\n";
    for (auto id : c.linearized) c.text += "  " + show(id) + "\n";
    c.text += "this one cannot come next, yet it completed before anything later was invoked:\n  " + show(c.blocked) +
              "\nnor can any operation concurrent with it:\n";
    if (c.pending.empty()) c.text += "  (none)\n";
    for (auto id : c.pending) c.text += "  " + show(id) + "\n";
    return c;
  }
  std::string show(std::size_t id) const {
    const Op& op = all_[id];
    std::string s = "#" + std::to_string(id) + " client " + std::to_string(op.client) + " ";
    if constexpr (describable_model<M>) s += m_.describe(op.input, op.output, op.status == outcome::ok);
    return s + (op.status == outcome::ok ? "" : " (indeterminate)");
  }

  const M& m_;
  std::span<const Op> all_;
  std::vector<std::size_t> ids_;  // history ids of this partition's operations: ok ones first
  check_options opts_;
  std::size_t oks_ = 0;  // operations 0 .. oks_-1 are ok, the rest indeterminate
  std::vector<std::size_t> next_, prev_, op_of_;
  std::vector<bool> is_call_;
  std::vector<std::uint64_t> ok_bits_, ind_bits_;  // the linearized set
  std::size_t full_words_ = 0;                     // ok_bits_ words before this are all ones
  std::uint64_t bits_hash_ = 0;                    // Zobrist hash of the linearized set
  std::vector<std::uint64_t> zobrist_;
  std::optional<typename M::state> after_;
  config_store<typename M::state> seen_;
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
      if (!m.observe(ops[i].input, ops[i].output, ops[i].status == outcome::ok, seen)) return;
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

namespace detail {

/// The lists of operation indices checked separately; failed operations
/// are left out (they took no effect).
template <model M, class Op>
std::vector<std::vector<std::size_t>> split(const M& m, std::span<const Op> ops) {
  std::vector<std::vector<std::size_t>> parts;
  if constexpr (partitioning_model<M>) {
    parts = m.partition(ops);
    std::vector<bool> seen(ops.size(), false);
    for (const auto& p : parts)
      for (std::size_t i : p) {
        COHORT_ASSERT(i < ops.size() && !seen[i], "partition() must list each operation exactly once");
        seen[i] = true;
      }
    COHORT_ASSERT(std::find(seen.begin(), seen.end(), false) == seen.end(),
                  "partition() must list each operation exactly once");
    for (auto& p : parts) std::sort(p.begin(), p.end());
  } else {
    std::map<std::uint64_t, std::vector<std::size_t>> by_key;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      std::uint64_t key = 0;
      if constexpr (keyed_model<M>) key = m.key(ops[i].input);
      by_key[key].push_back(i);
    }
    for (auto& [key, ids] : by_key) parts.push_back(std::move(ids));
  }
  for (auto& p : parts) std::erase_if(p, [&](std::size_t i) { return ops[i].status == outcome::fail; });
  std::erase_if(parts, [](const auto& p) { return p.empty(); });
  return parts;
}

template <model M, class Op>
std::string part_label(const M& m, std::span<const Op> ops, const std::vector<std::size_t>& ids, std::size_t n) {
  if constexpr (keyed_model<M> && !partitioning_model<M>) return "key " + std::to_string(m.key(ops[ids.front()].input));
  (void)m, (void)ops;
  return "partition " + std::to_string(n);
}

}  // namespace detail

/// Checks a list of operations (e.g. history::operations()). Each partition
/// is searched alone; the step budget is shared by all of them. The verdict
/// is not_linearizable if any partition is, else unknown if any ran out of
/// budget, else linearizable.
template <model M>
check_result check_linearizable(const M& m, std::span<const operation<typename M::input, typename M::output>> ops,
                                const check_options& o = {}) {
  using op_t = operation<typename M::input, typename M::output>;
  auto parts = detail::split(m, ops);
  check_result total;
  total.partitions = parts.size();
  for (std::size_t n = 0; n < parts.size(); ++n) {
    auto& ids = parts[n];
    const std::string label = parts.size() > 1 ? detail::part_label(m, ops, ids, n) + ": " : "";
    detail::prune(m, ops, ids);
    check_options left = o;
    left.step_budget = o.step_budget > total.steps ? o.step_budget - total.steps : 0;
    check_result r = detail::searcher<M, op_t>(m, ops, std::move(ids), left).run();
    total.steps += std::min(r.steps, left.step_budget);
    if (r.v == verdict::not_linearizable) {
      r.steps = total.steps;
      r.partitions = total.partitions;
      r.cex.text = label + r.cex.text;
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
