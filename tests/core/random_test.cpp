#include <cohort/core/concepts.hpp>
#include <cohort/core/random.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

using cohort::splitmix64;
using cohort::xoshiro256ss;

namespace {

// Reference generators written straight from the published descriptions,
// sharing no code with core/random.hpp.
struct reference_splitmix {
  std::uint64_t x;
  std::uint64_t next() {
    x += 0x9E3779B97F4A7C15u;
    std::uint64_t z = x;
    z ^= z >> 30;
    z *= 0xBF58476D1CE4E5B9u;
    z ^= z >> 27;
    z *= 0x94D049BB133111EBu;
    z ^= z >> 31;
    return z;
  }
};

struct reference_xoshiro {
  std::array<std::uint64_t, 4> s;
  std::uint64_t next() {
    const std::uint64_t out = std::rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = std::rotl(s[3], 45);
    return out;
  }
};

// An rng that replays a fixed list of outputs and counts draws.
struct scripted_rng {
  std::vector<std::uint64_t> outputs;
  std::size_t draws = 0;
  std::uint64_t next() { return outputs.at(draws++); }
};
static_assert(cohort::rng<scripted_rng>);

// Pearson's chi-square statistic of observed counts against equal expectation.
double chi_square(const std::vector<std::uint64_t>& counts) {
  std::uint64_t total = 0;
  for (auto c : counts) total += c;
  const double expected = static_cast<double>(total) / static_cast<double>(counts.size());
  double stat = 0;
  for (auto c : counts) stat += (static_cast<double>(c) - expected) * (static_cast<double>(c) - expected) / expected;
  return stat;
}

// The chi-square value exceeded with probability 0.001 for `df` degrees of
// freedom (Wilson-Hilferty approximation; within 3% of the tables for df >= 1).
double chi_square_critical_001(double df) {
  const double z = 3.0902;
  const double a = 2.0 / (9.0 * df);
  return df * std::pow(1.0 - a + z * std::sqrt(a), 3.0);
}

}  // namespace

TEST_CASE("the reference generators reproduce published outputs", "[random]") {
  // SplitMix64, seed 1234567 (the widely published test vector).
  reference_splitmix sm{1234567};
  CHECK(sm.next() == 6457827717110365317u);
  CHECK(sm.next() == 3203168211198807973u);
  CHECK(sm.next() == 9817491932198370423u);
  CHECK(sm.next() == 4593380528125082431u);
  CHECK(sm.next() == 16408922859458223821u);
  // xoshiro256** from state {1, 2, 3, 4}.
  reference_xoshiro xo{{1, 2, 3, 4}};
  CHECK(xo.next() == 11520u);
  CHECK(xo.next() == 0u);
  CHECK(xo.next() == 1509978240u);
  CHECK(xo.next() == 1215971899390074240u);
}

TEST_CASE("splitmix64 matches the reference and the published vector", "[random]") {
  STATIC_REQUIRE(splitmix64(0).next() == 0xE220A8397B1DCDAFu);
  splitmix64 published(1234567);
  CHECK(published.next() == 6457827717110365317u);
  for (std::uint64_t seed : {0ull, 1ull, 1234567ull, 0xFFFFFFFFFFFFFFFFull}) {
    splitmix64 g(seed);
    reference_splitmix ref{seed};
    for (int i = 0; i < 1000; ++i) REQUIRE(g.next() == ref.next());
  }
}

TEST_CASE("xoshiro256** matches the reference seeded through splitmix64", "[random]") {
  for (std::uint64_t seed : {0ull, 1ull, 42ull, 0xFFFFFFFFFFFFFFFFull}) {
    CAPTURE(seed);
    reference_splitmix sm{seed};
    reference_xoshiro ref{{sm.next(), sm.next(), sm.next(), sm.next()}};
    xoshiro256ss g(seed);
    for (int i = 0; i < 1000; ++i) REQUIRE(g.next() == ref.next());
  }
}

TEST_CASE("the same seed gives the same stream; different seeds differ", "[random]") {
  xoshiro256ss a(99), b(99), c(100);
  int equal_to_c = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.next();
    REQUIRE(x == b.next());
    equal_to_c += x == c.next();
  }
  CHECK(equal_to_c == 0);
  STATIC_REQUIRE(cohort::rng<xoshiro256ss>);
  STATIC_REQUIRE(sizeof(xoshiro256ss) == 32);
}

TEST_CASE("fork is deterministic and gives an independent stream", "[random]") {
  xoshiro256ss parent_a(7), parent_b(7);
  auto child_a = parent_a.fork();
  auto child_b = parent_b.fork();
  auto sibling = parent_a.fork();
  int same_as_parent = 0, same_as_sibling = 0;
  std::uint64_t differing_bits = 0;
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    const auto c = child_a.next();
    REQUIRE(c == child_b.next());  // deterministic
    const auto p = parent_a.next();
    same_as_parent += c == p;
    same_as_sibling += c == sibling.next();
    differing_bits += static_cast<std::uint64_t>(std::popcount(c ^ p));
  }
  CHECK(same_as_parent == 0);
  CHECK(same_as_sibling == 0);
  // Independent streams differ in half their bits on average (32 of 64).
  const double mean = static_cast<double>(differing_bits) / n;
  CHECK(mean > 31.5);
  CHECK(mean < 32.5);
}

TEST_CASE("uniform_below is unbiased over small bounds (chi-square, fixed seed)", "[random]") {
  xoshiro256ss g(2024);
  for (std::uint64_t bound : {2u, 3u, 5u, 6u, 7u, 10u, 13u, 16u, 100u}) {
    CAPTURE(bound);
    std::vector<std::uint64_t> counts(bound, 0);
    const std::uint64_t n = 5000 * bound;
    for (std::uint64_t i = 0; i < n; ++i) {
      const auto x = cohort::uniform_below(g, bound);
      REQUIRE(x < bound);
      ++counts[x];
    }
    CHECK(chi_square(counts) < chi_square_critical_001(static_cast<double>(bound - 1)));
  }
}

TEST_CASE("uniform_below is unbiased where a modulo would not be", "[random]") {
  // With bound = 3 * 2^62, `next() % bound` hits [0, 2^62) twice as often as
  // the other two thirds. Lemire's rejection must not.
  const std::uint64_t bound = 3ull << 62;
  auto thirds = [&](auto draw) {
    std::vector<std::uint64_t> counts(3, 0);
    for (int i = 0; i < 30000; ++i) ++counts[draw() >> 62];
    return chi_square(counts);
  };
  xoshiro256ss g(5);
  const double critical = chi_square_critical_001(2);
  CHECK(thirds([&] { return cohort::uniform_below(g, bound); }) < critical);
  // The same check does catch the biased method.
  CHECK(thirds([&] { return g.next() % bound; }) > critical);
}

TEST_CASE("uniform_below rejects the draws that would bias it", "[random]") {
  const std::uint64_t bound = 3ull << 62;  // threshold (2^64 - bound) % bound == 2^62
  scripted_rng accepted{{(1ull << 63) + 1}};
  CHECK(cohort::uniform_below(accepted, bound) == 3ull << 61);
  CHECK(accepted.draws == 1);
  // 0 lands in the rejected zone: a second draw is taken.
  scripted_rng rejected{{0, (1ull << 63) + 1}};
  CHECK(cohort::uniform_below(rejected, bound) == 3ull << 61);
  CHECK(rejected.draws == 2);
}

TEST_CASE("uniform_below edge bounds", "[random]") {
  scripted_rng none{{}};
  CHECK(cohort::uniform_below(none, 0) == 0);
  CHECK(none.draws == 0);
  scripted_rng one{{~0ull}};
  CHECK(cohort::uniform_below(one, 1) == 0);
  scripted_rng top{{~0ull}};
  CHECK(cohort::uniform_below(top, 10) == 9);
}

TEST_CASE("uniform_between covers [lo, hi] inclusively", "[random]") {
  xoshiro256ss g(3);
  bool saw_lo = false, saw_hi = false;
  for (int i = 0; i < 2000; ++i) {
    const auto x = cohort::uniform_between(g, 10, 14);
    REQUIRE(x >= 10);
    REQUIRE(x <= 14);
    saw_lo = saw_lo || x == 10;
    saw_hi = saw_hi || x == 14;
  }
  CHECK(saw_lo);
  CHECK(saw_hi);
  CHECK(cohort::uniform_between(g, 7, 7) == 7);
  scripted_rng full{{123456789}};
  CHECK(cohort::uniform_between(full, 0, ~0ull) == 123456789);  // the whole range is one raw draw
}

TEST_CASE("chance is exact at the edges and close to its ratio", "[random]") {
  xoshiro256ss g(11);
  int hits = 0;
  const int n = 40000;
  for (int i = 0; i < n; ++i) hits += cohort::chance(g, 1, 4);
  const double expected_hits = n / 4.0, expected_misses = n - expected_hits;
  const double d = hits - expected_hits;  // the misses deviate by -d
  CHECK(d * d / expected_hits + d * d / expected_misses < chi_square_critical_001(1));
  for (int i = 0; i < 100; ++i) {
    REQUIRE_FALSE(cohort::chance(g, 0, 5));
    REQUIRE(cohort::chance(g, 5, 5));
    REQUIRE_FALSE(cohort::chance(g, 3, 0));
  }
}

TEST_CASE("uniform_unit uses the top 53 bits and stays below 1", "[random]") {
  scripted_rng s{{0, ~0ull, 1ull << 63}};
  CHECK(cohort::uniform_unit(s) == 0.0);
  const double top = cohort::uniform_unit(s);
  CHECK(top < 1.0);
  CHECK(top == 1.0 - 0x1.0p-53);
  CHECK(cohort::uniform_unit(s) == 0.5);
}
