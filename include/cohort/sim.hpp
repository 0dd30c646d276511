// cohort/sim.hpp - the deterministic simulator: scheduler, clocks, network,
// storage, options and swarm, the cluster harness and the trace.
// Trace export (which uses fmt) is in cohort/sim/trace_export.hpp.
#pragma once

#include "cohort/sim/clock.hpp"
#include "cohort/sim/cluster.hpp"
#include "cohort/sim/network.hpp"
#include "cohort/sim/options.hpp"
#include "cohort/sim/scheduler.hpp"
#include "cohort/sim/storage.hpp"
#include "cohort/sim/trace.hpp"
