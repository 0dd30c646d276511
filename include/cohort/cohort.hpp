// cohort/cohort.hpp - umbrella of the component umbrellas.
//
// Includes every component of cohort. Formatters (cohort/fmt/*.hpp) are not
// included: they need fmt; include cohort/fmt.hpp for them.
#pragma once

#include "cohort/core.hpp"
