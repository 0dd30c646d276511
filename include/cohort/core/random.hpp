// cohort/core/random.hpp - deterministic randomness for the `rng` policy.
//
// Cores draw randomness only through a model of the `rng` concept (see
// concepts.hpp), so that a seed reproduces a run bit for bit. This header gives
// the toolkit's default generator and the derived draws every core uses. All of
// them are defined here, in integer arithmetic, so their output is identical
// across standard libraries and compilers (unlike <random>'s distributions).
#pragma once

#include <cstdint>

namespace cohort {

namespace detail {
__extension__ typedef unsigned __int128 uint128;  // GCC and Clang; __extension__ keeps -Wpedantic quiet
}  // namespace detail

/// SplitMix64 (Steele, Lea and Flood, 2014): a 64-bit state generator, used to
/// seed other generators and to derive independent streams from one seed.
class splitmix64 {
 public:
  constexpr explicit splitmix64(std::uint64_t seed = 0) noexcept : s_(seed) {}
  constexpr std::uint64_t next() noexcept {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t s_;
};

/// xoshiro256** (Blackman and Vigna, 2018): the default `rng` model. Small
/// (32 bytes), fast, and good enough for simulation and timeouts; not for
/// cryptography. Seeded through splitmix64 so that any seed, 0 included, works.
class xoshiro256ss {
 public:
  constexpr explicit xoshiro256ss(std::uint64_t seed = 0) noexcept {
    splitmix64 sm(seed);
    for (auto& w : s_) w = sm.next();
  }
  constexpr std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// A generator for an independent stream (e.g. one per simulated node),
  /// derived deterministically from this one's output.
  constexpr xoshiro256ss fork() noexcept { return xoshiro256ss(next()); }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4]{};
};

/// A uniform draw from [0, bound) for bound > 0 (Lemire's multiply-and-reject,
/// unbiased); returns 0 when bound == 0. `R` models `rng` (has next()).
template <class R>
constexpr std::uint64_t uniform_below(R& r, std::uint64_t bound) noexcept {
  if (bound == 0) return 0;
  detail::uint128 m = static_cast<detail::uint128>(r.next()) * bound;
  auto low = static_cast<std::uint64_t>(m);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<detail::uint128>(r.next()) * bound;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

/// A uniform draw from [lo, hi] (inclusive); requires lo <= hi.
template <class R>
constexpr std::uint64_t uniform_between(R& r, std::uint64_t lo, std::uint64_t hi) noexcept {
  if (hi - lo == ~std::uint64_t{0}) return r.next();
  return lo + uniform_below(r, hi - lo + 1);
}

/// True with probability `numerator / denominator` (exact; no floating point).
template <class R>
constexpr bool chance(R& r, std::uint64_t numerator, std::uint64_t denominator) noexcept {
  return denominator != 0 && uniform_below(r, denominator) < numerator;
}

/// A double in [0, 1) with 53 random bits.
template <class R>
constexpr double uniform_unit(R& r) noexcept {
  return static_cast<double>(r.next() >> 11) * 0x1.0p-53;
}

}  // namespace cohort
