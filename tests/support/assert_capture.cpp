// The throwing assertion handler, and the translation unit that builds the
// precompiled header shared by every test executable.
#include "support/assert_capture.hpp"

#include <catch2/catch.hpp>

namespace cohort_test {

namespace {
[[noreturn]] void throwing_handler(const cohort::assertion_failure& f) { throw assertion_failed(f); }
}  // namespace

void install_throwing_assert_handler() { cohort::set_assert_handler(&throwing_handler); }

}  // namespace cohort_test
