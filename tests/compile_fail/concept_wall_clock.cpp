// A wall_clock needs wall_now() besides now(): a monotonic-only clock is rejected.
// expect: (satisfaction of [^ a-z_]*wall_clock<|does not satisfy 'wall_clock')
#include <cohort/core/concepts.hpp>

struct monotonic_only_clock {
  cohort::mono_time now() { return {}; }
};

template <cohort::wall_clock Clock>
cohort::wall_time read_calendar(Clock& c) { return c.wall_now(); }

cohort::wall_time use() {
  monotonic_only_clock c;
  return read_calendar(c);
}
