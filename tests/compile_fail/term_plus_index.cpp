// A term and a log index are different kinds: comparing them must not compile.
// expect: (no match for|invalid operands to binary expression).*operator==
#include <cohort/core/types.hpp>

bool mixed(cohort::term t, cohort::log_index i) { return t == i; }
