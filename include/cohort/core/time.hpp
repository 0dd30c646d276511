// cohort/core/time.hpp - time points handed to cores by the `clock` policy.
//
// Two distinct time-point types so that the two readings cannot be mixed:
//   - `mono_time`: a monotonic reading (never goes backwards on one node; its
//     epoch is arbitrary and differs between nodes). Timeouts, leases and
//     elections are measured with it.
//   - `wall_time`: a calendar reading (nanoseconds since the Unix epoch); it
//     may step backwards or forwards. Only for display and for protocols that
//     explicitly bound clock error (a lease tracker is given that bound).
// Both count nanoseconds in a signed 64-bit integer (about 292 years).
//
// Only durations, time points and the chrono literals are needed here. With
// libstdc++ they come from <bits/chrono.h>: in C++20 <chrono> adds the
// calendar, time zones and <sstream>, about half a second of compile time in
// every file that includes cohort (docs/benchmarks.md, compile cost). Include
// <chrono> yourself for those. Other standard libraries get <chrono>.
#pragma once

#include <cstdint>  // first: it defines __GLIBCXX__ for libstdc++

#if defined(__GLIBCXX__) && __has_include(<bits/chrono.h>)
#include <bits/chrono.h>
#else
#include <chrono>
#endif

namespace cohort {

using duration = std::chrono::nanoseconds;

/// Clock tag types: they name the kind of reading; they have no now().
struct monotonic_clock_tag {
  using rep = std::chrono::nanoseconds::rep;
  using period = std::chrono::nanoseconds::period;
  using duration = std::chrono::nanoseconds;
  static constexpr bool is_steady = true;
};
struct wall_clock_tag {
  using rep = std::chrono::nanoseconds::rep;
  using period = std::chrono::nanoseconds::period;
  using duration = std::chrono::nanoseconds;
  static constexpr bool is_steady = false;
};

using mono_time = std::chrono::time_point<monotonic_clock_tag, duration>;
using wall_time = std::chrono::time_point<wall_clock_tag, duration>;

}  // namespace cohort
