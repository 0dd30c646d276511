// An rng must have next() returning 64 bits: a generator without it is rejected.
// expect: (satisfaction of [^ a-z_]*rng<|does not satisfy 'rng')
#include <cohort/core/concepts.hpp>

#include <cstdint>

struct generator_without_next {
  std::uint64_t operator()() { return 4; }  // callable, but no next()
};

template <cohort::rng Rng>
std::uint64_t draw(Rng& r) { return r.next(); }

std::uint64_t use() {
  generator_without_next g;
  return draw(g);
}
