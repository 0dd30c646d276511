// cohort/paxos.hpp - Paxos: ballots and messages, single-decree roles
// (acceptor, proposer, learner) and the write-once register node, and
// Multi-Paxos (raw level in paxos/multi.hpp, policy-based driver in
// paxos/node.hpp).
#pragma once

#include "cohort/paxos/ballot.hpp"
#include "cohort/paxos/multi.hpp"
#include "cohort/paxos/multi_message.hpp"
#include "cohort/paxos/node.hpp"
#include "cohort/paxos/single.hpp"
#include "cohort/quorum/flexible.hpp"
#include "cohort/quorum/majority.hpp"
