// A clock must have now(): a type that names its reading otherwise is rejected,
// and the diagnostic names the concept.
// expect: (satisfaction of [^ a-z_]*clock<|does not satisfy 'clock')
#include <cohort/core/concepts.hpp>

struct clock_without_now {
  cohort::mono_time time() { return {}; }  // named time(), not now()
};

template <cohort::clock Clock>
cohort::mono_time read_clock(Clock& c) { return c.now(); }

cohort::mono_time use() {
  clock_without_now c;
  return read_clock(c);
}
