#include <cohort/core/assert.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "support/assert_capture.hpp"

namespace {

// The last failure seen by recording_handler (which then throws, as a
// handler must not return).
struct recorded {
  std::string expression, message, file;
  int line = 0;
  int calls = 0;
};
recorded last;

struct stop_here {};

[[noreturn]] void recording_handler(const cohort::assertion_failure& f) {
  last.expression = f.expression;
  last.message = f.message;
  last.file = f.file;
  last.line = f.line;
  ++last.calls;
  throw stop_here{};
}

// Installs a handler for the scope of a test and puts the previous one back.
class handler_scope {
 public:
  explicit handler_scope(cohort::assert_handler h) : previous_(cohort::set_assert_handler(h)) {}
  ~handler_scope() { cohort::set_assert_handler(previous_); }
  handler_scope(const handler_scope&) = delete;
  handler_scope& operator=(const handler_scope&) = delete;

 private:
  cohort::assert_handler previous_;
};

int checked_half(int n) {
  COHORT_ASSERT(n % 2 == 0, "n must be even");
  return n / 2;
}

}  // namespace

TEST_CASE("a failed COHORT_ASSERT calls the installed handler with expression, message, file and line",
          "[assert]") {
  handler_scope scope(&recording_handler);
  last = {};
  const int line = __LINE__ + 1;
  CHECK_THROWS_AS([] { COHORT_ASSERT(1 + 1 == 3, "arithmetic is broken"); }(), stop_here);
  CHECK(last.calls == 1);
  CHECK(last.expression == "1 + 1 == 3");
  CHECK(last.message == "arithmetic is broken");
  CHECK(last.line == line);
  CHECK(last.file.find("assert_test.cpp") != std::string::npos);
}

TEST_CASE("a passing COHORT_ASSERT does not call the handler", "[assert]") {
  handler_scope scope(&recording_handler);
  last = {};
  CHECK(checked_half(8) == 4);
  CHECK(last.calls == 0);
  CHECK_THROWS_AS(checked_half(3), stop_here);
  CHECK(last.calls == 1);
  CHECK(last.expression == "n % 2 == 0");
}

TEST_CASE("the condition is evaluated exactly once", "[assert]") {
  int evaluations = 0;
  COHORT_ASSERT(++evaluations == 1, "side effect once");
  CHECK(evaluations == 1);
}

TEST_CASE("set_assert_handler returns the previous handler; nullptr restores the default", "[assert]") {
  const auto test_handler = cohort::get_assert_handler();  // the throwing one the test main installed
  {
    handler_scope scope(&recording_handler);
    CHECK(cohort::get_assert_handler() == &recording_handler);
    const auto before = cohort::set_assert_handler(nullptr);
    CHECK(before == &recording_handler);
    const auto default_handler = cohort::get_assert_handler();
    CHECK(default_handler != nullptr);
    CHECK(default_handler != &recording_handler);
    CHECK(default_handler != test_handler);
    cohort::set_assert_handler(&recording_handler);
  }
  CHECK(cohort::get_assert_handler() == test_handler);
}

TEST_CASE("the test suite's handler throws assertion_failed with the location in its text", "[assert]") {
  try {
    checked_half(5);
    FAIL("the assertion did not fire");
  } catch (const cohort_test::assertion_failed& e) {
    const std::string what = e.what();
    CHECK(what.find("assert_test.cpp:") != std::string::npos);
    CHECK(what.find("n % 2 == 0: n must be even") != std::string::npos);
  }
}

TEST_CASE("COHORT_DEBUG_ASSERT follows NDEBUG", "[assert]") {
  handler_scope scope(&recording_handler);
  last = {};
#ifdef NDEBUG
  COHORT_DEBUG_ASSERT(false, "compiled out");
  CHECK(last.calls == 0);
#else
  CHECK_THROWS_AS([] { COHORT_DEBUG_ASSERT(false, "checked in debug builds"); }(), stop_here);
  CHECK(last.message == "checked in debug builds");
#endif
}
