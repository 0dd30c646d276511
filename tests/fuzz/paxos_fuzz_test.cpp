// The Multi-Paxos fuzz target over seeded random inputs, in every build
// (libFuzzer itself runs in the clang build: see extra.cmake).
#include <catch2/catch.hpp>

#include "paxos_fuzz.hpp"
#include "support/seeds.hpp"

TEST_CASE("paxos fuzz target: random operation streams keep every invariant", "[fuzz][paxos][swarm]") {
  for (std::uint64_t seed : cohort_test::seeds(1, 300)) {
    cohort::xoshiro256ss rng(seed);
    std::vector<std::uint8_t> input(200 + cohort::uniform_below(rng, 3000));
    for (auto& b : input) b = static_cast<std::uint8_t>(rng.next());
    input[0] = static_cast<std::uint8_t>(seed);  // alternate honest and forging modes
    const std::string v = paxos_fuzz::run_one(input.data(), input.size());
    INFO("seed " << seed << ": " << v << " (replay: COHORT_SEED=" << seed << " cohort_fuzz_tests \"paxos fuzz target*\")");
    REQUIRE(v.empty());
  }
}
