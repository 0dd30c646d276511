// bench/raft3_inmem.cpp - the "raft3-inmem" workload (shared WORKLOADS.md and
// the step list at the top of peers/etcd-raft/main.go) over cohort's raw_node.
//
//   cohort_bench_raft3_inmem [--entries N] [--payload P] [--batch B]
//                            [--mode single|msgprop] [--floor]
//
// Three voters in one thread joined by a FIFO queue; each memory_storage starts
// after a snapshot at index 1, term 1, voters {1,2,3}. Node 1 campaigns and the
// rounds run until quiet (untimed). Payloads are slices of one prebuilt slab
// (cohort::bytes), shared by every node's log: never copied. The timed loop:
// (a) propose up to B entries to node 1, (b) for nodes 1,2,3: persist, queue
// messages, apply committed entries, acknowledge, (c) deliver the queue in FIFO
// order. A loop with nothing to do is a stall and fails the run.
//
// --floor runs the same loop with no protocol: each node's in-memory log keeps
// a reference to every payload (growing as memory_storage does) and applies
// it with the same checksum; that is the cost the workload cannot avoid.
//
// Flags, payloads, the apply checksum, allocation counting (global operator
// new/delete replaced in this binary) and the JSON line: inmem_workload.hpp,
// shared with paxos3-inmem.
#include <cohort/raft.hpp>
#include <cohort/core/chunked_vector.hpp>
#include <cohort/raft/memory_storage.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "inmem_workload.hpp"

namespace {

using cohort::bytes;
using cohort::log_entry;
using cohort::log_index;
using cohort::node_id;
using inmem::applier;
using inmem::fail;
using inmem::g_alloc_bytes;
using inmem::g_allocs;
using inmem::options;
using inmem::outcome;
namespace raft = cohort::raft;
using node_t = raft::raw_node<raft::memory_storage>;

using inmem::node_count;

using cluster = inmem::cluster<node_t>;

cluster make_cluster() {
  return cluster([](std::uint64_t i, raft::memory_storage& st) {
    raft::config c;
    c.id = node_id{i};
    c.election_ticks = 10;
    c.heartbeat_ticks = 1;
    c.msg_bytes_max = std::size_t{1} << 20;
    c.inflight_msgs_max = 256;
    c.check_quorum = true;
    c.pre_vote = true;
    return node_t::create(c, st, cohort::xoshiro256ss(i));
  });
}

/// Step 2: node 1 campaigns; rounds run until it leads and all is quiet.
void elect(cluster& c) {
  if (auto r = c.node(0).campaign(); !r) fail("campaign: " + r.error().message);
  c.settle("the election");
  if (c.node(0).role() != raft::role::leader) fail("node 1 is not the leader after the election settled");
  for (int i = 0; i < node_count; ++i)
    if (c.node(i).leader() != node_id{1}) fail("node " + std::to_string(i + 1) + " does not see leader 1");
}

/// Debug check: the payload a follower stores is the very buffer proposed,
/// not a copy (pointer identity and a shared reference count).
void check_shared(const cluster& c, const std::vector<bytes>& payloads) {
#ifndef NDEBUG
  std::vector<log_entry> got;
  const auto r = c.storage(2).entries(log_index{3}, log_index{4}, SIZE_MAX, got);
  COHORT_ASSERT(r.has_value() && got.size() == 1, "node 3 stores index 3");
  COHORT_ASSERT(got[0].data.shares_with(payloads[0]), "node 3 shares the proposed buffer");
  COHORT_ASSERT(payloads[0].use_count() > 2, "payload referenced by the proposer and the logs");
#else
  (void)c;
  (void)payloads;
#endif
}

outcome run_raft(const options& o) {
  cluster c = make_cluster();
  elect(c);
  const std::vector<bytes> payloads = inmem::build_payloads(o);
  outcome out = inmem::run_timed(c, o, payloads);
  check_shared(c, payloads);
  if (c.node(0).role() != raft::role::leader) fail("node 1 lost leadership during the run");
  return out;
}

/// The floor: no protocol. Each node's log keeps a reference to each payload
/// (a `bytes` per entry in the chunked container memory_storage uses, the
/// references taken as memory_storage takes them: one count update per run
/// of payloads sharing a buffer; the index is implied by the position) and
/// applies it with the checksum.
outcome run_floor(const options& o) {
  const std::vector<bytes> payloads = inmem::build_payloads(o);
  std::array<cohort::chunked_vector<bytes>, node_count> logs;
  std::array<applier, node_count> apps;
  const std::uint64_t allocs0 = g_allocs, bytes0 = g_alloc_bytes;
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t proposed = 0;
  while (proposed < o.entries) {
    const std::uint64_t lo = proposed;
    const std::uint64_t hi = std::min<std::uint64_t>(o.entries, lo + o.batch);
    for (int i = 0; i < node_count; ++i) {
      auto& log = logs[static_cast<std::size_t>(i)];
      log.append_chunks(hi - lo, [&payloads, lo](std::span<bytes> slots, std::size_t k) {
        bytes::share_each(
            slots.size(), [&payloads, lo, k](std::size_t j) -> const bytes& { return payloads[lo + k + j]; },
            [slots](std::size_t j) -> bytes& { return slots[j]; });
      });
      for (std::size_t k = log.size() - (hi - lo); k < log.size(); ++k)
        apps[static_cast<std::size_t>(i)].apply(log[k], log_index{k + 3});  // payloads start at index 3
    }
    proposed = hi;
  }
  const auto t1 = std::chrono::steady_clock::now();
  outcome out{std::chrono::duration<double>(t1 - t0).count(), g_allocs - allocs0, g_alloc_bytes - bytes0, apps[0].h};
  for (const auto& a : apps)
    if (a.applied != o.entries || a.h != apps[0].h || !a.order_fail.empty()) fail("floor: apply mismatch");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  inmem::g_tool = "cohort_bench_raft3_inmem";
  const options o = inmem::parse(argc, argv);
  const outcome r = o.floor ? run_floor(o) : run_raft(o);
  inmem::print_json(o.floor ? "cohort-floor" : "cohort", o, r);
  return 0;
}
