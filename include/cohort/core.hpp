// cohort/core.hpp - umbrella for the vocabulary every component uses.
#pragma once

#include "cohort/core/assert.hpp"
#include "cohort/core/bytes.hpp"
#include "cohort/core/concepts.hpp"
#include "cohort/core/errc.hpp"
#include "cohort/core/event.hpp"
#include "cohort/core/log.hpp"
#include "cohort/core/random.hpp"
#include "cohort/core/result.hpp"
#include "cohort/core/time.hpp"
#include "cohort/core/types.hpp"
