// tests/paxos/multi_sim_server.hpp - a Multi-Paxos server for the simulator:
// the raw node over sim::storage (through an adapter, below) with the shared
// key-value server (support/sim_kv_server.hpp).
#pragma once

#include <cohort/paxos.hpp>
#include <cohort/sim.hpp>

#include "support/sim_kv_server.hpp"

#include <cstring>
#include <span>
#include <vector>

namespace paxos_sim {

using cohort::log_index;
using cohort::node_id;

using command = cohort_test::kv_command;

/// sim::storage checks a Raft property on append (terms never decrease along
/// a log), which log_storage does not require and a Paxos acceptor's log
/// breaks (a slot's accepted ballot may be lower than its predecessor's, and
/// an empty slot has ballot 0). This adapter keeps every other behaviour of
/// sim::storage (crashes, torn writes, syncs) and moves the ballot into the
/// stored payload (8 bytes in front), storing term 0. Test-only: it copies
/// each payload.
class sim_log {
 public:
  explicit sim_log(cohort::sim::storage& s) : s_(&s) {}
  [[nodiscard]] cohort::hard_state load_hard_state() const { return s_->load_hard_state(); }
  [[nodiscard]] log_index first_index() const { return s_->first_index(); }
  [[nodiscard]] log_index last_index() const { return s_->last_index(); }
  [[nodiscard]] cohort::result<cohort::term> term_at(log_index i) const {
    if (i + 1 == first_index()) return s_->term_at(i);
    std::vector<cohort::log_entry> one;
    if (auto r = entries(i, i + 1, 0, one); !r) return r.error();
    return one.front().term;
  }
  cohort::result<void> entries(log_index lo, log_index hi, std::size_t max_bytes,
                               std::vector<cohort::log_entry>& out) const {
    std::vector<cohort::log_entry> raw;
    if (auto r = s_->entries(lo, hi, max_bytes == SIZE_MAX ? max_bytes : max_bytes + 8 * (hi - lo), raw); !r) return r;
    for (auto& e : raw) {
      if (e.data.size() < 8) return cohort::make_error(cohort::errc::corrupted, "sim_log: short record");
      std::uint64_t t = 0;
      std::memcpy(&t, e.data.data(), 8);
      out.push_back(cohort::log_entry{e.index, cohort::term{t}, e.kind, e.data.slice(8)});
    }
    return cohort::success();
  }
  cohort::result<void> append(std::span<const cohort::log_entry> es) {
    std::vector<cohort::log_entry> enc;
    enc.reserve(es.size());
    for (const auto& e : es) {
      const std::uint64_t t = e.term.value();
      enc.push_back(cohort::log_entry{e.index, cohort::term{}, e.kind,
                                      cohort::bytes::build(e.data.size() + 8, [&](std::span<std::byte> out) {
                                        std::memcpy(out.data(), &t, 8);
                                        if (!e.data.empty()) std::memcpy(out.data() + 8, e.data.data(), e.data.size());
                                      })});
    }
    return s_->append(enc);
  }
  cohort::result<void> save_hard_state(const cohort::hard_state& hs) { return s_->save_hard_state(hs); }
  cohort::result<void> sync() { return s_->sync(); }
  std::uint64_t request_sync() { return s_->request_sync(); }
  [[nodiscard]] std::uint64_t durable_ticket() const { return s_->durable_ticket(); }

 private:
  cohort::sim::storage* s_;
};
static_assert(cohort::async_log_storage<sim_log>);

struct protocol {
  using message = cohort::paxos::multi_message;
  using node = cohort::paxos::raw_node<sim_log>;
  using log = sim_log;
  template <class Server>
  static cohort::result<node> create(cohort::sim::node_context<cohort_test::sim_envelope<message>>& ctx, log& lg,
                                     const cohort_test::sim_server_options<Server>& o, const Server*) {
    cohort::paxos::multi_config c;
    c.id = ctx.id;
    c.election_ticks = 10;
    c.heartbeat_ticks = 1;
    c.msg_bytes_max = 4096;
    c.inflight_msgs_max = 8;
    return node::create(c, lg, cohort::quorum::majority_config(o.members), ctx.rng);
  }
  static bool leads(const node& n) { return n.role() == cohort::paxos::multi_role::leader; }
};

using server = cohort_test::sim_kv_server<protocol>;
using envelope = server::message;
using observer_hub = server::hub;
using server_options = server::options;

}  // namespace paxos_sim
