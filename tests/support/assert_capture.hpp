// Tests run with an assertion handler that throws `assertion_failed`, so a test
// can check that a broken precondition is caught:
//   CHECK_THROWS_AS(b.slice(10, 1), cohort_test::assertion_failed);
#pragma once

#include <cohort/core/assert.hpp>

#include <stdexcept>
#include <string>

namespace cohort_test {

struct assertion_failed : std::logic_error {
  explicit assertion_failed(const cohort::assertion_failure& f)
      : std::logic_error(std::string(f.file) + ":" + std::to_string(f.line) + ": " + f.expression + ": " + f.message) {}
};

}  // namespace cohort_test

namespace cohort_test {
/// Called by the test main before any test runs.
void install_throwing_assert_handler();
}  // namespace cohort_test
