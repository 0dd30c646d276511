// tests/support/seeds.hpp - which seeds a simulation test runs.
//
// By default a test runs its own fixed list of seeds (so CI is repeatable).
// COHORT_SEED=<n> runs exactly that seed (the replay command a failing run
// prints); COHORT_SEEDS=<n> runs n seeds starting at COHORT_SEED_BASE
// (default 1), which scripts/soak uses to explore far more than CI does.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace cohort_test {

inline std::vector<std::uint64_t> seeds(std::uint64_t first, std::uint64_t count) {
  if (const char* one = std::getenv("COHORT_SEED"); one != nullptr && *one != '\0')
    return {std::strtoull(one, nullptr, 10)};
  if (const char* many = std::getenv("COHORT_SEEDS"); many != nullptr && *many != '\0') {
    count = std::strtoull(many, nullptr, 10);
    const char* base = std::getenv("COHORT_SEED_BASE");
    first = base != nullptr && *base != '\0' ? std::strtoull(base, nullptr, 10) : 1;
  }
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = 0; i < count; ++i) out.push_back(first + i);
  return out;
}

/// The replay command for a test binary and Catch2 test name, with "{seed}".
/// Catch reads commas and brackets in a test spec as syntax, so they are
/// escaped with a backslash (kept as is inside the shell's double quotes).
inline std::string replay_command(const std::string& binary, const std::string& test_name) {
  std::string spec;
  for (char c : test_name) {
    if (c == ',' || c == '[' || c == ']' || c == '\\') spec += '\\';
    spec += c;
  }
  return "COHORT_SEED={seed} " + binary + " \"" + spec + "\"";
}

}  // namespace cohort_test
