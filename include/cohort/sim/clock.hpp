// cohort/sim/clock.hpp - per-node virtual clocks with offset, drift and steps.
//
// A `virtual_clock` reads the scheduler's true time and reports what a real
// node's clocks would: it models `cohort::clock` (monotonic `now()`) and
// `cohort::wall_clock` (`wall_now()`).
//
//   reading(t) = base_reading + (t - base_true) * (1e6 + drift_ppm) / 1e6
//
// re-based whenever the drift changes, so a reading is continuous. Steps:
//   - `step(d)` with d > 0 moves both readings forward (a suspended VM
//     resuming, an NTP step forward);
//   - `step(d)` with d < 0 moves only the wall reading back: a monotonic
//     clock never goes backwards.
// Invariants: now() never decreases; readings are exact integer arithmetic
// (identical on every platform).
#pragma once

#include <algorithm>
#include <cstdint>

#include "cohort/core/concepts.hpp"
#include "cohort/core/random.hpp"
#include "cohort/core/time.hpp"
#include "cohort/sim/scheduler.hpp"

namespace cohort::sim {

/// How one node's clock differs from true time.
struct clock_params {
  duration mono_offset{};       ///< monotonic reading at true time 0 (arbitrary epoch)
  duration wall_offset{};       ///< wall reading minus true time at true time 0
  std::int64_t drift_ppm = 0;   ///< rate error in parts per million, |drift_ppm| < 1e6
};

class virtual_clock {
 public:
  static constexpr std::int64_t drift_ppm_max = 500'000;

  virtual_clock(const scheduler& s, clock_params p) : sched_(&s), params_(p) {
    params_.drift_ppm = std::clamp(p.drift_ppm, -drift_ppm_max, drift_ppm_max);
    base_true_ = s.now();
    base_elapsed_ = duration::zero();
  }

  /// The monotonic reading: never decreases.
  mono_time now() {
    const mono_time r = mono_time{} + params_.mono_offset + elapsed() + forward_steps_;
    last_mono_ = std::max(last_mono_, r);
    return last_mono_;
  }
  /// The wall reading: may jump backwards after a negative step.
  wall_time wall_now() const { return wall_time{} + params_.wall_offset + elapsed() + wall_steps_; }

  /// A sudden step (see the header comment).
  void step(duration d) {
    wall_steps_ += d;
    if (d > duration::zero()) forward_steps_ += d;
  }
  /// Changes the rate from now on; readings stay continuous.
  void set_drift_ppm(std::int64_t ppm) {
    base_elapsed_ = elapsed();
    base_true_ = sched_->now();
    params_.drift_ppm = std::clamp(ppm, -drift_ppm_max, drift_ppm_max);
  }
  [[nodiscard]] std::int64_t drift_ppm() const noexcept { return params_.drift_ppm; }

  /// The true-time span after which this clock has advanced by `local`
  /// (rounded up), for scheduling a node's timers in its own time.
  [[nodiscard]] duration true_span(duration local) const noexcept {
    const auto num = static_cast<cohort::detail::uint128>(std::max<std::int64_t>(local.count(), 0)) * 1'000'000U;
    const auto den = static_cast<cohort::detail::uint128>(1'000'000 + params_.drift_ppm);
    return duration{static_cast<std::int64_t>((num + den - 1) / den)};
  }

 private:
  // Local time elapsed since true time base_true_, scaled by the drift.
  [[nodiscard]] duration elapsed() const noexcept {
    const std::int64_t dt = (sched_->now() - base_true_).count();
    __extension__ const __int128 scaled = static_cast<__int128>(dt) * (1'000'000 + params_.drift_ppm) / 1'000'000;
    return base_elapsed_ + duration{static_cast<std::int64_t>(scaled)};
  }

  const scheduler* sched_;
  clock_params params_;
  mono_time base_true_{};
  duration base_elapsed_{};
  duration forward_steps_{};
  duration wall_steps_{};
  mono_time last_mono_{};
};

static_assert(cohort::clock<virtual_clock>);
static_assert(cohort::wall_clock<virtual_clock>);

/// Draws clock parameters: offsets up to `offset_max`, drift up to
/// +-`drift_ppm_max` (uniform).
template <class R>
clock_params draw_clock_params(R& r, duration offset_max, std::int64_t drift_ppm_max) {
  const auto om = static_cast<std::uint64_t>(std::max<std::int64_t>(offset_max.count(), 0));
  const auto dm = static_cast<std::uint64_t>(std::max<std::int64_t>(drift_ppm_max, 0));
  clock_params p;
  p.mono_offset = duration{static_cast<std::int64_t>(uniform_below(r, om + 1))};
  p.wall_offset = duration{static_cast<std::int64_t>(uniform_below(r, 2 * om + 1)) - static_cast<std::int64_t>(om)};
  p.drift_ppm = static_cast<std::int64_t>(uniform_below(r, 2 * dm + 1)) - static_cast<std::int64_t>(dm);
  return p;
}

}  // namespace cohort::sim
