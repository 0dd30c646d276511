// bench/paxos3_inmem.cpp - the "paxos3-inmem" workload (shared WORKLOADS.md):
// raft3-inmem's steps, checksum rule and JSON line through cohort's
// Multi-Paxos raw level.
//
//   cohort_bench_paxos3_inmem [--entries N] [--payload P] [--batch B]
//                             [--mode single|msgprop]
//
// Three members in one thread joined by a FIFO queue; each memory_storage
// starts after a snapshot at index 1 (voters {1,2,3}). Node 1 campaigns: it
// runs phase 1 once (nothing to recover), appends its no-op at slot 2 and is
// the stable leader; the rounds run until quiet (untimed). Payloads then take
// slots 3, 4, ... exactly as in raft3-inmem, so the checksum is the same
// (817f0504bede9be5 for the defaults). Payloads are slices of one prebuilt
// slab, shared by every node's log: never copied. The timed loop: (a) propose
// up to B entries to node 1 (`single`: B calls; `msgprop`: one call with B),
// (b) for nodes 1,2,3: persist, queue messages, apply chosen slots,
// acknowledge, (c) deliver the queue in FIFO order. A loop with nothing to do
// is a stall and fails the run. Allocations in the timed region are counted.
#include <cohort/paxos.hpp>
#include <cohort/raft/memory_storage.hpp>

#include <array>
#include <chrono>
#include <memory>

#include "inmem_workload.hpp"

namespace {

using cohort::bytes;
using cohort::log_entry;
using cohort::log_index;
using cohort::node_id;
namespace paxos = cohort::paxos;
using storage_t = cohort::raft::memory_storage;
using node_t = paxos::raw_node<storage_t>;
using inmem::fail;
using inmem::node_count;

using cluster = inmem::cluster<node_t>;

cluster make_cluster() {
  const cohort::quorum::majority_config q({node_id{1}, node_id{2}, node_id{3}});
  return cluster([&q](std::uint64_t i, storage_t& st) {
    paxos::multi_config c;
    c.id = node_id{i};
    c.election_ticks = 10;
    c.heartbeat_ticks = 1;
    c.msg_bytes_max = std::size_t{1} << 20;
    c.inflight_msgs_max = 256;
    c.check_quorum = true;
    return node_t::create(c, st, q, cohort::xoshiro256ss(i));
  });
}

inmem::outcome run_paxos(const inmem::options& o) {
  cluster c = make_cluster();
  // Node 1's one phase 1: it leads, every node sees it, its no-op is chosen at slot 2.
  if (auto r = c.node(0).campaign(); !r) fail("campaign: " + r.error().message);
  c.settle("phase 1");
  if (c.node(0).role() != paxos::multi_role::leader) fail("node 1 is not the leader after phase 1 settled");
  for (int i = 0; i < node_count; ++i)
    if (c.node(i).leader() != node_id{1}) fail("node " + std::to_string(i + 1) + " does not see leader 1");
  if (c.node(0).chosen() != log_index{2}) fail("the leader's no-op is not chosen at slot 2");
  const std::vector<bytes> payloads = inmem::build_payloads(o);
  const inmem::outcome out = inmem::run_timed(c, o, payloads);
  if (c.node(0).role() != paxos::multi_role::leader) fail("node 1 lost leadership during the run");
  if (c.node(0).stats().elections_started != 1) fail("phase 1 ran more than once");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  inmem::g_tool = "cohort_bench_paxos3_inmem";
  const inmem::options o = inmem::parse(argc, argv);
  if (o.floor) fail("--floor: run cohort_bench_raft3_inmem --floor (the floor has no protocol)");
  inmem::print_json("cohort-paxos", o, run_paxos(o));
  return 0;
}
