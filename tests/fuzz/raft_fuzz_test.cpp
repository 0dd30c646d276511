// The Raft fuzz target over seeded random inputs, in every build (libFuzzer
// itself runs in the clang build: see extra.cmake).
#include <catch2/catch.hpp>

#include "raft_fuzz.hpp"
#include "support/seeds.hpp"

TEST_CASE("raft fuzz target: random operation streams keep every invariant", "[fuzz][raft][swarm]") {
  for (std::uint64_t seed : cohort_test::seeds(1, 300)) {
    cohort::xoshiro256ss rng(seed);
    std::vector<std::uint8_t> input(200 + cohort::uniform_below(rng, 3000));
    for (auto& b : input) b = static_cast<std::uint8_t>(rng.next());
    input[0] = static_cast<std::uint8_t>(seed);  // alternate honest and forging modes
    const std::string v = raft_fuzz::run_one(input.data(), input.size());
    INFO("seed " << seed << " (replay: COHORT_SEED=" << seed << " cohort_fuzz_tests)");
    REQUIRE(v.empty());
  }
}
