// cohort/raft.hpp - the Raft core: config, messages, log, progress, the raw
// node, and an in-memory storage model.
#pragma once

#include "cohort/quorum/majority.hpp"
#include "cohort/raft/config.hpp"
#include "cohort/raft/log.hpp"
#include "cohort/raft/memory_storage.hpp"
#include "cohort/raft/message.hpp"
#include "cohort/raft/node.hpp"
#include "cohort/raft/progress.hpp"
#include "cohort/raft/raw_node.hpp"
