#include <cohort/core/time.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <concepts>
#include <type_traits>

using cohort::mono_time;
using cohort::wall_time;
using namespace std::chrono_literals;

TEST_CASE("monotonic and wall readings are distinct types that do not mix", "[time]") {
  STATIC_REQUIRE_FALSE(std::is_same_v<mono_time, wall_time>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<mono_time, wall_time>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<wall_time, mono_time>);
  STATIC_REQUIRE_FALSE(std::equality_comparable_with<mono_time, wall_time>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<cohort::duration, mono_time>);
}

TEST_CASE("both readings count signed 64-bit nanoseconds", "[time]") {
  STATIC_REQUIRE(std::is_same_v<mono_time::duration, std::chrono::nanoseconds>);
  STATIC_REQUIRE(std::is_same_v<wall_time::duration, std::chrono::nanoseconds>);
  STATIC_REQUIRE(std::is_same_v<cohort::duration::rep, std::int64_t>);
  STATIC_REQUIRE(cohort::monotonic_clock_tag::is_steady);
  STATIC_REQUIRE_FALSE(cohort::wall_clock_tag::is_steady);
  STATIC_REQUIRE(std::is_trivially_copyable_v<mono_time>);
}

TEST_CASE("time points move by durations and subtract to durations", "[time]") {
  mono_time t{};
  CHECK(t.time_since_epoch() == 0ns);
  t += 150ms;
  CHECK(t.time_since_epoch().count() == 150'000'000);
  const mono_time later = t + 2s;
  CHECK(later - t == 2s);
  CHECK(later > t);
  CHECK(later - 2s == t);
  // Coarser durations convert exactly into nanoseconds.
  const cohort::duration d = 3min;
  CHECK(d.count() == 180'000'000'000);
  // Wall readings may go backwards: a value before the epoch is representable.
  const wall_time before_epoch = wall_time{} - 1s;
  CHECK(before_epoch.time_since_epoch().count() == -1'000'000'000);
}

namespace {
template <class Tag>
concept readable_clock = requires { Tag::now(); };
}  // namespace

TEST_CASE("the clock tags have no now(): time only comes from a clock policy", "[time]") {
  STATIC_REQUIRE_FALSE(readable_clock<cohort::monotonic_clock_tag>);
  STATIC_REQUIRE_FALSE(readable_clock<cohort::wall_clock_tag>);
  STATIC_REQUIRE(readable_clock<std::chrono::steady_clock>);  // the helper does detect a now()
}
