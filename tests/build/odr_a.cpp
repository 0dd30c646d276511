// Translation unit A of the two-TU program: includes every public header.
#include "all_headers.hpp"

int cohort_odr_b();

int main() { return cohort_odr_b() == 42 ? 0 : 1; }
