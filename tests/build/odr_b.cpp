// Translation unit B of the two-TU program: includes every public header again
// and uses a few inline definitions, so duplicate non-inline symbols would
// fail to link.
#include "all_headers.hpp"

int cohort_odr_b() {
  const auto& category = cohort::error_category();
  cohort::bytes b = cohort::bytes::copy_of(std::string_view("42"));
  return (category.name() == std::string_view("cohort") && b.size() == 2) ? 42 : 0;
}
