// The one translation unit that defines Catch2's main for every test
// executable. It installs the throwing assertion handler first.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "support/assert_capture.hpp"

int main(int argc, char* argv[]) {
  cohort_test::install_throwing_assert_handler();
  return Catch::Session().run(argc, argv);
}
