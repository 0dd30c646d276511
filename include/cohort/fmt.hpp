// cohort/fmt.hpp - umbrella of the fmt formatters for every public cohort type.
#pragma once

#include "cohort/fmt/check.hpp"
#include "cohort/fmt/core.hpp"
#include "cohort/fmt/partition.hpp"
#include "cohort/fmt/paxos.hpp"
#include "cohort/fmt/raft.hpp"
