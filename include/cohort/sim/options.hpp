// cohort/sim/options.hpp - every knob of a simulated run, and swarm(seed).
//
// Options are plain structs with defaults for a calm network. `swarm(seed)`
// draws every fault knob from the seed (as TigerBeetle's VOPR and
// FoundationDB's simulation do): each seed is a different mix of delay,
// loss, duplication, partitions, crashes, clock drift and storage failure
// modes, so many seeds explore many kinds of bad day.
#pragma once

#include <cstdint>
#include <string>

#include "cohort/core/random.hpp"
#include "cohort/core/result.hpp"
#include "cohort/core/time.hpp"
#include "cohort/sim/network.hpp"
#include "cohort/sim/storage.hpp"

namespace cohort::sim {

/// How often each kind of fault is injected during the safety phase. A fault
/// is drawn every `interval_min`..`interval_max` of true time, with the kind
/// chosen in proportion to the weights (0 disables a kind).
struct fault_options {
  duration interval_min = std::chrono::milliseconds(20);
  duration interval_max = std::chrono::milliseconds(500);
  std::uint32_t partition_halves = 0;  ///< split the servers into two random halves
  std::uint32_t isolate = 0;           ///< cut one server off
  std::uint32_t one_way = 0;           ///< block one direction of one server pair
  std::uint32_t clog = 0;              ///< delay one link's traffic for up to clog_max
  std::uint32_t heal = 0;              ///< remove every partition and clog
  std::uint32_t crash = 0;             ///< crash a server (at most crash_max down at once)
  std::uint32_t restart = 0;           ///< restart a crashed server
  std::uint32_t clock_step = 0;        ///< step a server's clock by up to clock_step_max either way
  std::uint32_t drift_change = 0;      ///< redraw a server's drift within clock drift_ppm_max
  std::size_t crash_max = 1;
  duration clog_max = std::chrono::milliseconds(300);
  duration clock_step_max = std::chrono::milliseconds(200);

  [[nodiscard]] std::uint64_t total_weight() const noexcept {
    return std::uint64_t{partition_halves} + isolate + one_way + clog + heal + crash + restart + clock_step +
           drift_change;
  }
};

struct clock_options {
  duration offset_max = std::chrono::seconds(1);
  std::int64_t drift_ppm_max = 100;  ///< each server's drift is drawn in [-max, +max]
};

/// The phases of a run: faults on for `safety`, then every fault healed and
/// every server restarted, and the system must converge within `liveness`.
struct phase_options {
  duration safety = std::chrono::seconds(5);
  duration liveness = std::chrono::seconds(5);
  duration tick = std::chrono::milliseconds(10);  ///< each server's tick period, in its own clock
};

struct options {
  std::uint64_t seed = 0;
  std::size_t servers = 3;
  link_options link{};
  storage_options storage{};
  clock_options clocks{};
  fault_options faults{};
  phase_options phases{};
  bool keep_trace = false;  ///< keep every trace record (for export); the digest is always kept
  /// The command that replays a run, with "{seed}" standing for the seed;
  /// printed in a failing run's report.
  std::string replay = "COHORT_SEED={seed} <test binary>";

  [[nodiscard]] result<void> validate() const {
    if (servers == 0 || servers > 1000) return make_error(errc::invalid_config, "servers must be in [1, 1000]");
    if (auto v = link.validate(); !v.has_value()) return v;
    if (auto v = storage.validate(); !v.has_value()) return v;
    if (faults.interval_min <= duration::zero() || faults.interval_max < faults.interval_min)
      return make_error(errc::invalid_config, "fault interval must satisfy 0 < min <= max");
    if (clocks.offset_max < duration::zero() || clocks.drift_ppm_max < 0 || clocks.drift_ppm_max > 100'000)
      return make_error(errc::invalid_config, "clock offset_max must be >= 0 and drift_ppm_max in [0, 100000]");
    if (phases.tick <= duration::zero() || phases.safety < duration::zero() || phases.liveness <= duration::zero())
      return make_error(errc::invalid_config, "tick and liveness must be positive, safety non-negative");
    if (faults.clog_max < duration::zero() || faults.clock_step_max < duration::zero())
      return make_error(errc::invalid_config, "clog_max and clock_step_max must be non-negative");
    return success();
  }
};

/// Every fault knob drawn from `seed` (servers, phases and replay are left as
/// given in `base`). Loss up to 20%, duplication up to 5%, delays from
/// sub-millisecond to hundreds of milliseconds, a random crash mode, drift up
/// to 200 ppm, and a random subset of fault kinds with random weights.
inline options swarm(std::uint64_t seed, options base = {}) {
  xoshiro256ss r(seed ^ 0x5157a12d5eedULL);
  auto below = [&r](std::uint64_t n) { return uniform_below(r, n); };
  auto ms = [](std::uint64_t v) { return duration{std::chrono::microseconds(v * 1000)}; };
  options o = std::move(base);
  o.seed = seed;
  o.link.delay_min = std::chrono::microseconds(below(2000));
  o.link.delay_max = o.link.delay_min + std::chrono::microseconds(below(30'000));
  o.link.tail_ppm = static_cast<std::uint32_t>(below(3) == 0 ? below(50'000) : 0);
  o.link.tail_delay_max = o.link.delay_max + ms(below(400));
  o.link.loss_ppm = static_cast<std::uint32_t>(below(3) == 0 ? 0 : below(200'000));
  o.link.duplicate_ppm = static_cast<std::uint32_t>(below(2) == 0 ? 0 : below(50'000));
  o.link.fifo = below(4) == 0;
  o.storage.mode = static_cast<crash_mode>(below(3));
  o.storage.sync_latency_min = std::chrono::microseconds(below(500));
  o.storage.sync_latency_max = o.storage.sync_latency_min + std::chrono::microseconds(below(5000));
  o.clocks.offset_max = ms(below(2000));
  o.clocks.drift_ppm_max = static_cast<std::int64_t>(below(201));
  auto weight = [&] { return static_cast<std::uint32_t>(below(2) == 0 ? 0 : 1 + below(10)); };
  o.faults.partition_halves = weight();
  o.faults.isolate = weight();
  o.faults.one_way = weight();
  o.faults.clog = weight();
  o.faults.heal = 1 + static_cast<std::uint32_t>(below(10));
  o.faults.crash = weight();
  o.faults.restart = o.faults.crash != 0 ? 1 + static_cast<std::uint32_t>(below(10)) : 0;
  o.faults.clock_step = weight();
  o.faults.drift_change = weight();
  o.faults.interval_min = ms(5 + below(50));
  o.faults.interval_max = o.faults.interval_min + ms(below(1000));
  o.faults.crash_max = o.servers <= 1 ? 0 : (o.servers - 1) / 2;
  return o;
}

}  // namespace cohort::sim
