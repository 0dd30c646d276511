#include <cohort/core/result.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "support/assert_capture.hpp"

using cohort::errc;
using cohort::node_id;
using cohort::result;

namespace {

result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return cohort::make_error(errc::invalid_argument, std::string("not a digit: ") + c);
  return c - '0';
}

result<void> need_leader(bool leader) {
  if (!leader) return cohort::make_error(errc::not_leader, "propose on a follower", node_id{3});
  return cohort::success();
}

}  // namespace

TEST_CASE("result<T> holds a value", "[result]") {
  auto r = parse_digit('7');
  REQUIRE(r);
  CHECK(r.has_value());
  CHECK(r.value() == 7);
  CHECK(*r == 7);
  CHECK(r.value_or(-1) == 7);
  CHECK_FALSE(r.error_code());
  CHECK_THROWS_AS(r.error(), cohort_test::assertion_failed);
}

TEST_CASE("result<T> holds an error with its message and node", "[result]") {
  auto r = parse_digit('x');
  REQUIRE_FALSE(r);
  CHECK_FALSE(r.has_value());
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(r.error().message == "not a digit: x");
  CHECK(r.error().node == cohort::no_node);
  CHECK(r.error_code() == errc::invalid_argument);
  CHECK(r.value_or(-1) == -1);
  CHECK_THROWS_AS(r.value(), cohort_test::assertion_failed);
  CHECK_THROWS_AS(*r, cohort_test::assertion_failed);
}

TEST_CASE("result<void> is success or an error carrying the node it concerns", "[result]") {
  auto ok = need_leader(true);
  CHECK(ok);
  CHECK_NOTHROW(ok.value());
  CHECK_FALSE(ok.error_code());
  CHECK_THROWS_AS(ok.error(), cohort_test::assertion_failed);

  auto bad = need_leader(false);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::not_leader);
  CHECK(bad.error().node == node_id{3});
  CHECK(bad.error().message == "propose on a follower");
  CHECK(bad.error_code() == errc::not_leader);
  CHECK(bad.error().error_code().message() == "not the leader");
  CHECK_THROWS_AS(bad.value(), cohort_test::assertion_failed);

  STATIC_REQUIRE(std::is_same_v<result<void>::value_type, void>);
  CHECK(cohort::success());
}

TEST_CASE("result moves its value and its error out", "[result]") {
  result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  REQUIRE(r);
  std::unique_ptr<int> p = std::move(r).value();
  CHECK(*p == 5);

  result<std::string> e = cohort::make_error(errc::busy, "window full", node_id{2});
  cohort::error moved = std::move(e).error();
  CHECK(moved == cohort::error{errc::busy, "window full", node_id{2}});

  result<void> v = cohort::make_error(errc::stopped, "gone");
  CHECK(std::move(v).error().message == "gone");
}

TEST_CASE("result gives access through -> and * and mutates in place", "[result]") {
  result<std::string> r = std::string("abc");
  CHECK(r->size() == 3);
  *r += "d";
  CHECK(r.value() == "abcd");
  const auto& cr = r;
  CHECK(cr->back() == 'd');
}

TEST_CASE("errors compare by code, message and node", "[result]") {
  const auto a = cohort::make_error(errc::unknown_member, "no 4", node_id{4});
  CHECK(a == cohort::error{errc::unknown_member, "no 4", node_id{4}});
  CHECK_FALSE(a == cohort::error{errc::unknown_member, "no 4", node_id{5}});
  CHECK_FALSE(a == cohort::error{errc::unknown_member, "no 5", node_id{4}});
  CHECK_FALSE(a == cohort::error{errc::duplicate_member, "no 4", node_id{4}});
}

TEST_CASE("result<T> construction is unambiguous", "[result]") {
  // A value convertible to T is a value; an error is an error.
  result<long> widened = 3;
  CHECK(*widened == 3L);
  STATIC_REQUIRE(std::is_constructible_v<result<int>, cohort::error>);
  STATIC_REQUIRE(std::is_constructible_v<result<int>, int>);
  STATIC_REQUIRE_FALSE(std::is_constructible_v<result<int>, std::string>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<result<int>, bool>);  // explicit operator bool only
}
