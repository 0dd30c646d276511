// cohort/sim/scheduler.hpp - a discrete-event scheduler over virtual time.
//
// The simulation's one source of "true" time. Events run in (time, sequence)
// order: two events scheduled for the same instant run in the order they were
// scheduled, so a run is a pure function of its inputs and its seed. Time
// jumps from one event to the next; nothing sleeps.
//
// Invariants:
//   - now() never decreases; an event never runs before its time.
//   - every scheduled event runs exactly once, unless cancelled first.
//   - a task may schedule and cancel other events (including at now()).
// Tasks are small callables (std::function); callers that schedule per
// message keep the payload in their own table and capture an index, so that
// scheduling does not allocate in steady state.
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
#include <utility>
#include <vector>

#include "cohort/core/assert.hpp"
#include "cohort/core/time.hpp"

namespace cohort::sim {

/// Identifies a scheduled event, for cancel(). Never reused within a run.
struct event_id {
  std::uint64_t value = 0;  ///< the event's sequence number (0: none)
  std::uint32_t slot = 0;
  friend bool operator==(event_id, event_id) = default;
};

class scheduler {
 public:
  using task = std::function<void()>;

  /// Virtual time starts at `start` (an arbitrary epoch; default 0).
  explicit scheduler(mono_time start = mono_time{}) : now_(start) {}

  [[nodiscard]] mono_time now() const noexcept { return now_; }
  /// Events run so far.
  [[nodiscard]] std::uint64_t executed() const noexcept { return executed_; }
  /// Events scheduled and not yet run or cancelled.
  [[nodiscard]] std::size_t pending() const noexcept { return live_; }
  [[nodiscard]] bool idle() const noexcept { return live_ == 0; }
  /// The time of the next event (now() if none is pending).
  [[nodiscard]] mono_time next_time() {
    drop_cancelled_top();
    return heap_.empty() ? now_ : heap_.front().at;
  }

  /// Schedules `fn` at time `at`; a time in the past means now().
  event_id at(mono_time at, task fn) {
    COHORT_ASSERT(fn != nullptr, "scheduled an empty task");
    const std::uint32_t slot = take_slot(std::move(fn));
    const std::uint64_t seq = ++seq_;
    slots_[slot].seq = seq;
    heap_.push_back(entry{std::max(at, now_), seq, slot});
    std::push_heap(heap_.begin(), heap_.end(), later);
    ++live_;
    return event_id{seq, slot};
  }
  event_id after(duration d, task fn) { return at(now_ + std::max(d, duration::zero()), std::move(fn)); }

  /// Cancels a pending event; false if it already ran or was cancelled.
  bool cancel(event_id id) {
    if (id.value == 0 || id.slot >= slots_.size() || slots_[id.slot].seq != id.value) return false;
    release_slot(id.slot);  // its heap entry is dropped when it reaches the top
    --live_;
    return true;
  }

  /// Runs the next event; false if none is pending.
  bool step() {
    drop_cancelled_top();
    if (heap_.empty()) return false;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const entry e = heap_.back();
    heap_.pop_back();
    task fn = std::move(slots_[e.slot].fn);
    release_slot(e.slot);
    --live_;
    now_ = e.at;
    ++executed_;
    fn();
    return true;
  }

  /// Runs every event due at or before `until`, then sets now() to `until`
  /// (if it is later). Returns the number of events run.
  std::uint64_t run_until(mono_time until) {
    std::uint64_t n = 0;
    while (next_time() <= until && !heap_.empty()) {
      step();
      ++n;
    }
    now_ = std::max(now_, until);
    return n;
  }
  std::uint64_t run_for(duration d) { return run_until(now_ + d); }

 private:
  struct entry {
    mono_time at;
    std::uint64_t seq;
    std::uint32_t slot;
  };
  struct slot_t {
    task fn;
    std::uint64_t seq = 0;  // 0: free or cancelled
  };
  // A max-heap under this order pops the earliest (time, seq) first.
  static bool later(const entry& a, const entry& b) noexcept {
    return a.at != b.at ? a.at > b.at : a.seq > b.seq;
  }

  std::uint32_t take_slot(task fn) {
    std::uint32_t i;
    if (!free_.empty()) {
      i = free_.back();
      free_.pop_back();
    } else {
      i = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    slots_[i].fn = std::move(fn);
    return i;
  }
  void release_slot(std::uint32_t i) {
    slots_[i].fn = nullptr;
    slots_[i].seq = 0;
    free_.push_back(i);
  }
  // Cancelled events stay in the heap until they reach the top.
  void drop_cancelled_top() {
    while (!heap_.empty() && slots_[heap_.front().slot].seq != heap_.front().seq) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      heap_.pop_back();
    }
  }

  mono_time now_;
  std::uint64_t seq_ = 0;
  std::uint64_t executed_ = 0;
  std::size_t live_ = 0;
  std::vector<entry> heap_;
  std::vector<slot_t> slots_;
  std::vector<std::uint32_t> free_;
};

}  // namespace cohort::sim
