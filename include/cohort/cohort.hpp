// cohort/cohort.hpp - umbrella of the component umbrellas.
//
// Includes every component of cohort. Formatters (cohort/fmt/*.hpp) and the
// trace export (cohort/sim/trace_export.hpp) are not included: they need fmt;
// include cohort/fmt.hpp for them.
#pragma once

#include "cohort/check.hpp"
#include "cohort/core.hpp"
#include "cohort/lock.hpp"
#include "cohort/partition.hpp"
#include "cohort/paxos.hpp"
#include "cohort/raft.hpp"
#include "cohort/sim.hpp"
