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
constexpr int node_count = 3;

cohort::snapshot bootstrap_snapshot() {
  cohort::snapshot sn;
  sn.meta.index = log_index{1};
  sn.meta.term = cohort::term{1};
  sn.meta.config.voters = {node_id{1}, node_id{2}, node_id{3}};
  return sn;
}

class cluster {
 public:
  cluster() {
    nodes_.reserve(node_count);
    const cohort::quorum::majority_config q({node_id{1}, node_id{2}, node_id{3}});
    for (std::uint64_t i = 1; i <= node_count; ++i) {
      paxos::multi_config c;
      c.id = node_id{i};
      c.election_ticks = 10;
      c.heartbeat_ticks = 1;
      c.msg_bytes_max = std::size_t{1} << 20;
      c.inflight_msgs_max = 256;
      c.check_quorum = true;
      storages_[i - 1] = std::make_unique<storage_t>(bootstrap_snapshot());
      auto r = node_t::create(c, *storages_[i - 1], q, cohort::xoshiro256ss(i));
      if (!r) fail("create node " + std::to_string(i) + ": " + r.error().message);
      nodes_.push_back(std::move(r).value());
    }
    queue_.reserve(1024);
    spare_.reserve(1024);
  }

  node_t& node(int i) { return nodes_[static_cast<std::size_t>(i)]; }
  const inmem::applier& app(int i) const { return appliers_[static_cast<std::size_t>(i)]; }

  bool round() {
    bool active = false;
    for (int i = 0; i < node_count; ++i) active |= process(i);
    if (!queue_.empty()) active = true;
    deliver();
    return active;
  }

  void elect() {
    if (auto r = node(0).campaign(); !r) fail("campaign: " + r.error().message);
    for (int k = 0; k < 1000; ++k) {
      if (round()) continue;
      if (node(0).role() != paxos::multi_role::leader) fail("node 1 is not the leader after phase 1 settled");
      for (int i = 0; i < node_count; ++i)
        if (node(i).leader() != node_id{1}) fail("node " + std::to_string(i + 1) + " does not see leader 1");
      if (node(0).chosen() != log_index{2}) fail("the leader's no-op is not chosen at slot 2");
      return;
    }
    fail("phase 1 did not settle within 1000 rounds");
  }

  bool done(std::uint64_t n) const {
    for (const auto& a : appliers_)
      if (a.applied < n) return false;
    return true;
  }
  void check_order() const {
    for (int i = 0; i < node_count; ++i)
      if (!appliers_[i].order_fail.empty()) fail("node " + std::to_string(i + 1) + ": " + appliers_[i].order_fail);
  }

 private:
  bool process(int i) {
    node_t& nd = node(i);
    if (!nd.has_ready()) return false;
    paxos::multi_ready& r = nd.take_ready();
    storage_t& st = *storages_[static_cast<std::size_t>(i)];
    if (!r.entries.empty())
      if (auto a = st.append(r.entries); !a) fail("append: " + a.error().message);
    if (r.has_hard_state)
      if (auto h = st.save_hard_state(r.hs); !h) fail("save hard state: " + h.error().message);
    for (auto& m : r.messages) queue_.push_back(std::move(m));
    for (auto& m : r.after_persist) queue_.push_back(std::move(m));
    inmem::applier& a = appliers_[static_cast<std::size_t>(i)];
    for (const log_entry& e : r.committed) a.apply(e.data, e.index);
    nd.acknowledge(r.number);
    return true;
  }
  void deliver() {
    spare_.swap(queue_);
    for (auto& m : spare_) {
      const auto to = m.to.value();
      if (to < 1 || to > node_count) fail("message to unknown node " + std::to_string(to));
      if (auto r = node(static_cast<int>(to - 1)).step(std::move(m)); !r)
        fail("node " + std::to_string(to) + ": step: " + r.error().message);
    }
    spare_.clear();
  }

  std::array<std::unique_ptr<storage_t>, node_count> storages_;
  std::vector<node_t> nodes_;
  std::array<inmem::applier, node_count> appliers_{};
  std::vector<paxos::multi_message> queue_;
  std::vector<paxos::multi_message> spare_;
};

inmem::outcome run_paxos(const inmem::options& o) {
  cluster c;
  c.elect();
  const std::vector<bytes> payloads = inmem::build_payloads(o);
  node_t& leader = c.node(0);
  std::vector<bytes> batch;
  batch.reserve(o.batch);

  const std::uint64_t allocs0 = inmem::g_allocs, bytes0 = inmem::g_alloc_bytes;
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t proposed = 0;
  while (!c.done(o.entries)) {
    bool proposed_now = false;
    if (o.mode == "msgprop") {
      batch.clear();
      for (std::size_t k = 0; k < o.batch && proposed < o.entries; ++k) batch.push_back(payloads[proposed++]);
      if (!batch.empty()) {
        if (auto r = leader.propose(std::span<const bytes>(batch)); !r) fail("propose: " + r.error().message);
        proposed_now = true;
      }
    } else {
      for (std::size_t k = 0; k < o.batch && proposed < o.entries; ++k) {
        if (auto r = leader.propose(payloads[proposed]); !r) fail("propose: " + r.error().message);
        ++proposed;
        proposed_now = true;
      }
    }
    const bool active = c.round();
    c.check_order();
    if (!active && !proposed_now && !c.done(o.entries))
      fail("stalled: proposed " + std::to_string(proposed) + ", applied " + std::to_string(c.app(0).applied) + "/" +
           std::to_string(c.app(1).applied) + "/" + std::to_string(c.app(2).applied));
  }
  const auto t1 = std::chrono::steady_clock::now();
  inmem::outcome out{std::chrono::duration<double>(t1 - t0).count(), inmem::g_allocs - allocs0,
                     inmem::g_alloc_bytes - bytes0, 0};
  const std::uint64_t want = o.entries * o.payload;
  for (int i = 0; i < node_count; ++i) {
    const inmem::applier& a = c.app(i);
    if (a.applied != o.entries || a.bytes_applied != want)
      fail("node " + std::to_string(i + 1) + " applied " + std::to_string(a.applied) + " entries / " +
           std::to_string(a.bytes_applied) + " bytes");
    if (a.h != c.app(0).h) fail("checksums differ between nodes");
  }
  if (leader.role() != paxos::multi_role::leader) fail("node 1 lost leadership during the run");
  if (leader.stats().elections_started != 1) fail("phase 1 ran more than once");
  out.checksum = c.app(0).h;
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
