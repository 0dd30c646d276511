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
    for (std::uint64_t i = 1; i <= node_count; ++i) {
      raft::config c;
      c.id = node_id{i};
      c.election_ticks = 10;
      c.heartbeat_ticks = 1;
      c.msg_bytes_max = std::size_t{1} << 20;
      c.inflight_msgs_max = 256;
      c.check_quorum = true;
      c.pre_vote = true;
      storages_[i - 1] = std::make_unique<raft::memory_storage>(bootstrap_snapshot());
      auto r = node_t::create(c, *storages_[i - 1], cohort::xoshiro256ss(i));
      if (!r) fail("create node " + std::to_string(i) + ": " + r.error().message);
      nodes_.push_back(std::move(r).value());
      appliers_[i - 1] = applier{};
    }
    queue_.reserve(1024);
    spare_.reserve(1024);
  }

  node_t& node(int i) { return nodes_[static_cast<std::size_t>(i)]; }
  const applier& app(int i) const { return appliers_[static_cast<std::size_t>(i)]; }
  const raft::memory_storage& storage(int i) const { return *storages_[static_cast<std::size_t>(i)]; }

  /// Steps (b) and (c); whether anything happened.
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
      if (node(0).role() != raft::role::leader) fail("node 1 is not the leader after the election settled");
      for (int i = 0; i < node_count; ++i)
        if (node(i).leader() != node_id{1}) fail("node " + std::to_string(i + 1) + " does not see leader 1");
      return;
    }
    fail("election did not settle within 1000 rounds");
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
    raft::ready& r = nd.take_ready();
    raft::memory_storage& st = *storages_[static_cast<std::size_t>(i)];
    if (!r.entries.empty())
      if (auto a = st.append(r.entries); !a) fail("append: " + a.error().message);
    if (r.has_hard_state)
      if (auto h = st.save_hard_state(r.hs); !h) fail("save hard state: " + h.error().message);
    for (auto& m : r.messages) queue_.push_back(std::move(m));
    for (auto& m : r.after_persist) queue_.push_back(std::move(m));
    applier& a = appliers_[static_cast<std::size_t>(i)];
    for (const log_entry& e : r.committed)
      if (e.kind == cohort::entry_kind::normal) a.apply(e.data, e.index);
    nd.acknowledge(r.number);
    return true;
  }
  void deliver() {
    spare_.swap(queue_);  // messages produced while stepping leave in the next round
    for (auto& m : spare_) {
      const auto to = m.to.value();
      if (to < 1 || to > node_count) fail("message to unknown node " + std::to_string(to));
      if (auto r = node(static_cast<int>(to - 1)).step(std::move(m)); !r)
        fail("node " + std::to_string(to) + ": step: " + r.error().message);
    }
    spare_.clear();
  }

  std::array<std::unique_ptr<raft::memory_storage>, node_count> storages_;
  std::vector<node_t> nodes_;
  std::array<applier, node_count> appliers_;
  std::vector<raft::message> queue_;
  std::vector<raft::message> spare_;
};


/// Debug check (once): the payload a follower applies is the very buffer
/// proposed, not a copy (pointer identity and a shared reference count).
void check_shared(const cluster& c, const std::vector<bytes>& payloads) {
#ifndef NDEBUG
  // Called once node 3 holds the first payload (index 3) in its storage.
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
  cluster c;
  c.elect();
  const std::vector<bytes> payloads = inmem::build_payloads(o);
  node_t& leader = c.node(0);
  std::vector<bytes> batch;
  batch.reserve(o.batch);

  const std::uint64_t allocs0 = g_allocs, bytes0 = g_alloc_bytes;
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t proposed = 0;
  bool sharing_checked = false;
  while (!c.done(o.entries)) {
    bool proposed_now = false;
    if (o.mode == "msgprop") {
      batch.clear();
      for (std::size_t k = 0; k < o.batch && proposed < o.entries; ++k) batch.push_back(payloads[proposed++]);
      if (!batch.empty()) {
        if (auto r = leader.propose(std::span<const bytes>(batch)); !r)
          fail("propose: " + r.error().message);
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
    if (!sharing_checked && c.storage(2).last_index() >= log_index{3}) {
      check_shared(c, payloads);
      sharing_checked = true;
    }
    if (!active && !proposed_now && !c.done(o.entries))
      fail("stalled: proposed " + std::to_string(proposed) + ", applied " + std::to_string(c.app(0).applied) + "/" +
           std::to_string(c.app(1).applied) + "/" + std::to_string(c.app(2).applied));
  }
  const auto t1 = std::chrono::steady_clock::now();
  outcome out{std::chrono::duration<double>(t1 - t0).count(), g_allocs - allocs0, g_alloc_bytes - bytes0, 0};

  const std::uint64_t want = o.entries * o.payload;
  for (int i = 0; i < node_count; ++i) {
    const applier& a = c.app(i);
    if (a.applied != o.entries || a.bytes_applied != want)
      fail("node " + std::to_string(i + 1) + " applied " + std::to_string(a.applied) + " entries / " +
           std::to_string(a.bytes_applied) + " bytes");
    if (a.h != c.app(0).h) fail("checksums differ between nodes");
  }
  if (leader.role() != raft::role::leader) fail("node 1 lost leadership during the run");
  // What each node persisted is what was proposed (checked after timing:
  // applying alone would not notice a storage that kept the wrong entries).
  for (int i = 0; i < node_count; ++i) {
    const raft::memory_storage& st = c.storage(i);
    if (st.last_index() != log_index{o.entries + 2}) fail("node " + std::to_string(i + 1) + ": storage ends early");
    std::vector<log_entry> got;
    for (std::uint64_t s = 0; s < o.entries; s += 1 + o.entries / 1024) {
      got.clear();
      if (!st.entries(log_index{s + 3}, log_index{s + 4}, SIZE_MAX, got) || got.size() != 1 ||
          !got[0].data.shares_with(payloads[s]))
        fail("node " + std::to_string(i + 1) + ": storage holds the wrong entry at index " + std::to_string(s + 3));
    }
  }
  out.checksum = c.app(0).h;
  return out;
}

/// The floor: no protocol. Each node's log keeps a reference to each payload
/// (a `bytes` per entry in the chunked container memory_storage uses; the
/// index is implied by the position) and applies it with the checksum.
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
      for (std::uint64_t s = lo; s < hi; ++s) log.push_back(payloads[s]);
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
