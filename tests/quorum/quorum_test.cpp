// Quorum systems against brute force over every small configuration.
#include <catch2/catch.hpp>

#include <cohort/quorum/flexible.hpp>
#include <cohort/quorum/majority.hpp>

#include <functional>
#include <vector>

using namespace cohort::quorum;
using cohort::log_index;
using cohort::node_id;

namespace {

std::vector<node_id> ids(std::size_t n) {
  std::vector<node_id> v;
  for (std::size_t i = 1; i <= n; ++i) v.push_back(node_id{i});
  return v;
}

// Brute-force commit index: the largest i whose acknowledgers form a quorum.
std::uint64_t brute_commit(std::size_t n, const std::vector<std::uint64_t>& acked,
                           const std::function<bool(std::uint32_t)>& is_quorum) {
  std::uint64_t best = 0;
  for (std::uint64_t i = 0; i <= 4; ++i) {
    std::uint32_t set = 0;
    for (std::size_t k = 0; k < n; ++k)
      if (acked[k] >= i) set |= 1U << k;
    if (is_quorum(set)) best = i;
  }
  return best;
}

// Brute-force vote result from granted / refused sets.
vote_result brute_vote(std::size_t n, std::uint32_t yes, std::uint32_t no, const std::function<bool(std::uint32_t)>& is_quorum) {
  if (is_quorum(yes)) return vote_result::won;
  const std::uint32_t possible = ((1U << n) - 1) & ~no;
  return is_quorum(possible) ? vote_result::pending : vote_result::lost;
}

template <class Config, class Vote>
void check_votes(const Config& c, std::size_t n, const std::function<bool(std::uint32_t)>& is_quorum, Vote&& result) {
  // every assignment of (granted, refused, unknown) to n voters
  std::size_t total = 1;
  for (std::size_t k = 0; k < n; ++k) total *= 3;
  for (std::size_t code = 0; code < total; ++code) {
    std::uint32_t yes = 0, no = 0;
    std::size_t x = code;
    for (std::size_t k = 0; k < n; ++k, x /= 3) {
      if (x % 3 == 1) yes |= 1U << k;
      if (x % 3 == 2) no |= 1U << k;
    }
    auto votes = [&](node_id id) {
      const auto k = id.value() - 1;
      return (yes >> k & 1) ? 1 : (no >> k & 1) ? -1 : 0;
    };
    REQUIRE(result(c, votes) == brute_vote(n, yes, no, is_quorum));
  }
}

template <class Config>
void check_commit(const Config& c, std::size_t n, const std::function<bool(std::uint32_t)>& is_quorum) {
  std::size_t total = 1;
  for (std::size_t k = 0; k < n; ++k) total *= 5;
  for (std::size_t code = 0; code < total; ++code) {
    std::vector<std::uint64_t> acked(n);
    std::size_t x = code;
    for (std::size_t k = 0; k < n; ++k, x /= 5) acked[k] = x % 5;
    const auto got = c.committed_index([&](node_id id) { return log_index{acked[id.value() - 1]}; });
    REQUIRE(got.value() == brute_commit(n, acked, is_quorum));
  }
}

}  // namespace

TEST_CASE("majority: commit index and votes match brute force for 1..7 voters", "[quorum]") {
  for (std::size_t n = 1; n <= 7; ++n) {
    majority_config c(ids(n));
    auto is_quorum = [n](std::uint32_t s) { return static_cast<std::size_t>(__builtin_popcount(s)) > n / 2; };
    check_commit(c, n, is_quorum);
    check_votes(c, n, is_quorum, [](const auto& cfg, auto& v) { return cfg.result_of(v); });
  }
}

TEST_CASE("joint: both halves must agree", "[quorum]") {
  // incoming {1,2,3}, outgoing {3,4,5}
  joint_config c(majority_config({node_id{1}, node_id{2}, node_id{3}}), majority_config({node_id{3}, node_id{4}, node_id{5}}));
  auto is_quorum = [](std::uint32_t s) {
    return __builtin_popcount(s & 0b00111) >= 2 && __builtin_popcount(s & 0b11100) >= 2;
  };
  check_commit(c, 5, is_quorum);
  check_votes(c, 5, is_quorum, [](const auto& cfg, auto& v) { return cfg.result_of(v); });
  CHECK(c.voters().size() == 5);
  CHECK(joint_config(majority_config(ids(3))).is_joint() == false);
}

TEST_CASE("flexible: every valid (q1, q2) matches brute force and its quorums intersect", "[quorum]") {
  for (std::size_t n = 1; n <= 6; ++n)
    for (std::size_t q1 = 0; q1 <= n + 1; ++q1)
      for (std::size_t q2 = 0; q2 <= n + 1; ++q2) {
        auto c = flexible_config::create(ids(n), q1, q2);
        const bool valid = q1 >= 1 && q2 >= 1 && q1 <= n && q2 <= n && q1 + q2 > n;
        REQUIRE(c.has_value() == valid);
        if (!valid) {
          CHECK(c.error().code == cohort::errc::invalid_config);
          continue;
        }
        auto phase1 = [q1](std::uint32_t s) { return static_cast<std::size_t>(__builtin_popcount(s)) >= q1; };
        auto phase2 = [q2](std::uint32_t s) { return static_cast<std::size_t>(__builtin_popcount(s)) >= q2; };
        for (std::uint32_t a = 0; a < (1U << n); ++a)
          for (std::uint32_t b = 0; b < (1U << n); ++b)
            if (phase1(a) && phase2(b)) REQUIRE((a & b) != 0);
        check_commit(*c, n, phase2);
        check_votes(*c, n, phase1, [](const auto& cfg, auto& v) { return cfg.result_of(v); });
        check_votes(*c, n, phase2, [](const auto& cfg, auto& v) { return cfg.phase2_result_of(v); });
      }
  CHECK_FALSE(flexible_config::create({node_id{1}, node_id{1}, node_id{2}}, 2, 2).has_value());
  CHECK_FALSE(flexible_config::create({node_id{0}, node_id{1}, node_id{2}}, 2, 2).has_value());
}

TEST_CASE("grid: rows for phase 1, a cover of the rows for phase 2", "[quorum]") {
  for (auto shape : {std::pair<std::size_t, std::size_t>{1, 3}, {2, 2}, {2, 3}, {3, 2}}) {
    const std::size_t rows = shape.first, cols = shape.second;  // clang 14 cannot capture structured bindings
    const std::size_t n = rows * cols;
    auto c = grid_config::create(ids(n), rows);
    REQUIRE(c.has_value());
    auto row_mask = [cols](std::size_t r) { return ((1U << cols) - 1) << (r * cols); };
    auto phase1 = [&](std::uint32_t s) {
      for (std::size_t r = 0; r < rows; ++r)
        if ((s & row_mask(r)) == row_mask(r)) return true;
      return false;
    };
    auto phase2 = [&](std::uint32_t s) {
      for (std::size_t r = 0; r < rows; ++r)
        if ((s & row_mask(r)) == 0) return false;
      return true;
    };
    for (std::uint32_t a = 0; a < (1U << n); ++a)
      for (std::uint32_t b = 0; b < (1U << n); ++b)
        if (phase1(a) && phase2(b)) REQUIRE((a & b) != 0);
    check_commit(*c, n, phase2);
    check_votes(*c, n, phase1, [](const auto& cfg, auto& v) { return cfg.result_of(v); });
    check_votes(*c, n, phase2, [](const auto& cfg, auto& v) { return cfg.phase2_result_of(v); });
  }
  CHECK(grid_config::create(ids(5), 2).error().code == cohort::errc::invalid_config);
  CHECK_FALSE(grid_config::create(ids(4), 0).has_value());
}
