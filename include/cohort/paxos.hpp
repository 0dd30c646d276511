// cohort/paxos.hpp - Paxos: ballots and messages, single-decree roles
// (acceptor, proposer, learner) and the write-once register node.
// Multi-Paxos comes next (issue 6).
#pragma once

#include "cohort/paxos/ballot.hpp"
#include "cohort/paxos/single.hpp"
#include "cohort/quorum/flexible.hpp"
#include "cohort/quorum/majority.hpp"
