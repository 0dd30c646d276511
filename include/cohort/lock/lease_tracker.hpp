// cohort/lock/lease_tracker.hpp - until when a client may act as a lock holder.
//
// The service measures a session's TTL from the moment the leader stamped the
// renewing command; the client cannot know that moment, only when it sent
// the request, which was earlier. So the client counts the TTL from its own
// send time, on its own monotonic clock, and shortens it by what clock drift
// could steal: if every clock's rate is within drift_ppm_max of real time,
// the service's TTL lasts at least ttl / (1 + rho) of real time and the
// client's reading runs at most (1 + rho) fast, so acting for
// ttl * (1 - 2 rho) of its own clock after sending ends before the service
// can expire the session. `margin` is subtracted as well (time the client
// needs to finish or abandon an operation).
//
//   lease_tracker t = *lease_tracker::create({.drift_ppm_max = 200, .margin = 50ms});
//   const mono_time sent = clock.now(); send(keep_alive);
//   on reply kept_alive(ttl): t.renewed(sent, ttl);
//   before each protected operation: if (!t.valid(clock.now())) stop acting as holder;
//
// It never reads a clock itself and never uses wall-clock time: the caller
// passes readings of one monotonic clock. A lease only extends (a late reply
// to an older request cannot shorten it). Even a valid lease does not protect
// an operation that is delayed after the check: send the fencing token along.
#pragma once

#include <algorithm>
#include <cstdint>

#include "cohort/core/result.hpp"
#include "cohort/core/time.hpp"

namespace cohort::lock {

struct lease_options {
  std::int64_t drift_ppm_max = 200;  ///< bound on every clock's rate error (servers' and this client's)
  duration margin{};                 ///< extra time subtracted from every lease

  [[nodiscard]] result<void> validate() const {
    if (drift_ppm_max < 0 || drift_ppm_max > 100'000 || margin < duration::zero())
      return make_error(errc::invalid_config, "lease tracker: need 0 <= drift_ppm_max <= 100000 and margin >= 0");
    return success();
  }
};

class lease_tracker {
 public:
  static result<lease_tracker> create(const lease_options& o = {}) {
    if (auto v = o.validate(); !v) return v.error();
    return lease_tracker(o);
  }

  /// The span a client may act for after sending a request renewed for `ttl`
  /// (zero if the margins eat it all).
  [[nodiscard]] duration usable(duration ttl) const noexcept {
    if (ttl <= duration::zero()) return duration::zero();
    const std::int64_t t = ttl.count();
    const std::int64_t k = 2 * opts_.drift_ppm_max;
    const std::int64_t drift = t / 1'000'000 * k + ((t % 1'000'000) * k + 999'999) / 1'000'000;
    const std::int64_t left = t - drift - opts_.margin.count();
    return duration{std::max<std::int64_t>(left, 0)};
  }

  /// A request sent at `sent` (this client's monotonic reading) came back
  /// renewed for `ttl`: extends the lease if that gives a later end.
  void renewed(mono_time sent, duration ttl) noexcept {
    const mono_time until = sent + usable(ttl);
    if (!held_ || until > until_) until_ = until;
    held_ = true;
  }
  /// The session is gone (closed, expired, or refused as unknown).
  void lost() noexcept {
    held_ = false;
    until_ = mono_time{};
  }

  /// Whether the client may act as holder at its reading `now`.
  [[nodiscard]] bool valid(mono_time now) const noexcept { return held_ && now < until_; }
  /// Time left at `now` (zero if not valid).
  [[nodiscard]] duration remaining(mono_time now) const noexcept {
    return valid(now) ? until_ - now : duration::zero();
  }
  /// The first reading at which the lease is no longer valid (meaningful when ever renewed).
  [[nodiscard]] mono_time valid_until() const noexcept { return until_; }
  [[nodiscard]] const lease_options& options() const noexcept { return opts_; }

 private:
  explicit lease_tracker(const lease_options& o) : opts_(o) {}
  lease_options opts_;
  mono_time until_{};
  bool held_ = false;
};

}  // namespace cohort::lock
