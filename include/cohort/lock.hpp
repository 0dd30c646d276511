// cohort/lock.hpp - lock primitives: fencing tokens and the fence, the lock
// service state machine and its commands, the client-side lease tracker, and
// a linearizable counter.
#pragma once

#include "cohort/lock/command.hpp"
#include "cohort/lock/counter.hpp"
#include "cohort/lock/fencing.hpp"
#include "cohort/lock/lease_tracker.hpp"
#include "cohort/lock/lock_service.hpp"
