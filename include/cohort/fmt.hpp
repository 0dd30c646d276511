// cohort/fmt.hpp - the fmt formatters for the vocabulary (core), the
// checkers and the Raft core.
//
// The other components' formatters each have their own header, which also
// pulls in that component: <cohort/fmt/paxos.hpp>, <cohort/fmt/partition.hpp>,
// <cohort/fmt/lock.hpp>. They are not included here so that this umbrella
// stays within its compile-time budget (docs/benchmarks.md, compile cost):
// include the one for the component you log.
#pragma once

#include "cohort/fmt/check.hpp"
#include "cohort/fmt/core.hpp"
#include "cohort/fmt/raft.hpp"
