// cohort/check.hpp - correctness checkers: the history recorder, the
// linearizability checker and its models.
#pragma once

#include "cohort/check/history.hpp"
#include "cohort/check/linearizability.hpp"
#include "cohort/check/models.hpp"
