#include <cohort/core/types.hpp>
#include <cohort/fmt/core.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <concepts>
#include <unordered_set>

using cohort::log_index;
using cohort::node_id;
using cohort::term;

TEST_CASE("identifiers are distinct types that do not mix", "[types]") {
  STATIC_REQUIRE_FALSE(std::is_convertible_v<std::uint64_t, node_id>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<term, log_index>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<log_index, std::uint64_t>);
  STATIC_REQUIRE_FALSE(std::equality_comparable_with<term, log_index>);
  STATIC_REQUIRE_FALSE(std::totally_ordered_with<node_id, term>);
  STATIC_REQUIRE(std::is_trivially_copyable_v<log_index>);
}

template <class T>
concept incrementable_id = requires(T t) { ++t; t + 1u; };

TEST_CASE("terms and indexes have arithmetic, node ids do not", "[types]") {
  STATIC_REQUIRE(incrementable_id<term>);
  STATIC_REQUIRE(incrementable_id<log_index>);
  STATIC_REQUIRE_FALSE(incrementable_id<node_id>);

  log_index i{5};
  ++i;
  CHECK(i == log_index{6});
  CHECK(i + 4 == log_index{10});
  CHECK(i - 6 == log_index{0});
  CHECK(log_index{10} - log_index{3} == 7u);
  term t{1};
  t += 2;
  CHECK(t.value() == 3u);
  CHECK(t-- == term{3});
  CHECK(t == term{2});
}

TEST_CASE("identifiers compare, hash and format", "[types]") {
  CHECK(term{1} < term{2});
  CHECK(log_index{3} >= log_index{3});
  CHECK((node_id{4} <=> node_id{2}) == std::strong_ordering::greater);
  CHECK(cohort::no_node == node_id{0});

  std::unordered_set<node_id> set{node_id{1}, node_id{2}, node_id{1}};
  CHECK(set.size() == 2);

  CHECK(fmt::format("{}", node_id{3}) == "3");
  CHECK(fmt::format("{:>4}", log_index{42}) == "  42");
  CHECK(fmt::format("[{:03}]", term{7}) == "[007]");
}
