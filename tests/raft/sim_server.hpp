// tests/raft/sim_server.hpp - a Raft server for the simulator: the raw node
// over sim::storage with the shared key-value server (support/sim_kv_server.hpp),
// and an observer that reports each new leader to the test's checkers.
#pragma once

#include <cohort/raft.hpp>
#include <cohort/sim.hpp>

#include "support/sim_kv_server.hpp"

namespace raft_sim {

using cohort::log_index;
using cohort::node_id;
using cohort::term;

struct protocol;
using server = cohort_test::sim_kv_server<protocol>;  // complete once protocol is
using envelope = cohort_test::sim_envelope<cohort::raft::message>;
using observer_hub = cohort_test::sim_hub<server>;
using server_options = cohort_test::sim_server_options<server>;
using command = cohort_test::kv_command;

/// The raw node's observer: forwards "became leader" to the hub.
struct leader_watch {
  observer_hub* hub = nullptr;
  const server* self = nullptr;
  void on_event(const cohort::event& ev) const;
};

struct protocol {
  using message = cohort::raft::message;
  using node = cohort::raft::raw_node<cohort::sim::storage, cohort::xoshiro256ss, leader_watch>;
  /// Raft persists straight to sim::storage, whose checks (terms never
  /// decrease along a log) hold for Raft.
  struct log {
    explicit log(cohort::sim::storage& s) : storage(&s) {}
    cohort::result<void> append(std::span<const cohort::log_entry> es) { return storage->append(es); }
    cohort::sim::storage* storage;
  };
  static cohort::result<node> create(cohort::sim::node_context<envelope>& ctx, log& lg, const server_options& o, const server* self) {
    cohort::raft::config c;
    c.id = ctx.id;
    c.voters = o.members;
    c.election_ticks = 10;
    c.heartbeat_ticks = 1;
    c.msg_bytes_max = 4096;
    c.inflight_msgs_max = 8;
    return node::create(c, *lg.storage, ctx.rng, leader_watch{o.hub, self});
  }
  static bool leads(const node& n) { return n.role() == cohort::raft::role::leader; }
};

inline void leader_watch::on_event(const cohort::event& ev) const {
  if (hub != nullptr && hub->on_leader && ev.kind == cohort::event_kind::role_changed &&
      ev.value == static_cast<std::uint64_t>(cohort::raft::role::leader))
    hub->on_leader(*self, ev.term);
}

}  // namespace raft_sim
