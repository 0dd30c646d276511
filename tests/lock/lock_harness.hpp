// tests/lock/lock_harness.hpp - drives a lock_service by hand: each command
// becomes the next log entry (encoded, then applied as a log_entry), stamped
// with the time the test sets.
#pragma once

#include <catch2/catch.hpp>

#include <cohort/lock.hpp>

namespace lock_test {

using namespace std::chrono_literals;

struct svc {
  cohort::lock::lock_service m = *cohort::lock::lock_service::create();
  cohort::log_index last{0};
  cohort::term t{1};
  cohort::mono_time stamp{};

  svc& at(cohort::duration d) {
    stamp = cohort::mono_time{d};
    return *this;
  }
  cohort::lock::applied apply(const cohort::lock::command& c) {
    auto payload = cohort::lock::encode(c, stamp);
    REQUIRE(payload.has_value());
    ++last;
    return m.apply(cohort::log_entry{last, t, cohort::entry_kind::normal, *payload});
  }
  cohort::lock::applied tick() { return apply(cohort::lock::command::tick()); }
  cohort::lock::reply ok(const cohort::lock::command& c) {
    auto r = apply(c);
    INFO((r.reply.has_value() ? std::string("ok") : r.reply.error().message));
    REQUIRE(r.reply.has_value());
    return *r.reply;
  }
  cohort::lock::session_id open(cohort::duration ttl = 10s) {
    auto r = ok(cohort::lock::command::open_session(ttl));
    REQUIRE(r.kind == cohort::lock::reply_kind::session_opened);
    return r.session;
  }
  cohort::lock::fencing_token granted(const cohort::lock::command& c) {
    auto r = ok(c);
    REQUIRE(r.kind == cohort::lock::reply_kind::granted);
    return r.token;
  }
  bool queued(const cohort::lock::command& c) { return ok(c).kind == cohort::lock::reply_kind::queued; }
  /// `before` moved to the current stamp, as the last refused entry would
  /// have left it (a refusal changes nothing but the time).
  [[nodiscard]] cohort::lock::lock_service ticked(cohort::lock::lock_service before) const {
    cohort::lock::command tick = cohort::lock::command::tick();
    tick.stamp = stamp;
    (void)before.apply(tick, last, t);
    return before;
  }
  cohort::errc refused(const cohort::lock::command& c) {
    auto r = apply(c);
    REQUIRE_FALSE(r.reply.has_value());
    return r.reply.error().code;
  }
};

}  // namespace lock_test
