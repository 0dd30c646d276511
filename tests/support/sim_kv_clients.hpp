// tests/support/sim_kv_clients.hpp - simulated clients of a replicated
// key-value store, for the consensus simulations (Raft, Multi-Paxos): each
// sends reads and writes to the server it believes leads, follows refusals'
// leader hints, times out and retries elsewhere, and records every operation
// in a history for the linearizability checker.
//
// Envelope is the simulation's message type; its client fields are
// k (kind::request / kind::reply), client, op, is_write, key, value, ok and
// leader. Writes carry values unique per operation.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <cohort/check.hpp>
#include <cohort/sim.hpp>

namespace cohort_test {

using namespace std::chrono_literals;
using cohort::node_id;
using kv_history = cohort::check::history<cohort::check::register_input, cohort::check::register_output>;

/// Clients that send reads and writes to the server they believe leads.
template <class Cluster, class Envelope>
class sim_kv_clients {
 public:
  sim_kv_clients(Cluster& c, std::size_t count, std::size_t ops_each)
      : c_(&c), ops_each_(ops_each), rng_(c.rng().fork()) {
    for (std::size_t i = 0; i < count; ++i) {
      slots_.push_back(slot{node_id{500 + i}});
      auto ep = c.add_client(slots_.back().id, [this, i](node_id, Envelope&& m) { on_reply(i, m); });
      REQUIRE(ep.has_value());
      slots_.back().ep.emplace(*ep);
    }
    for (std::size_t i = 0; i < count; ++i) next(i);
  }
  [[nodiscard]] bool done() const {
    for (const auto& s : slots_)
      if (s.finished < ops_each_) return false;
    return true;
  }
  [[nodiscard]] const kv_history& history() const noexcept { return history_; }

 private:
  struct slot {
    node_id id;
    std::optional<typename cohort::sim::network<Envelope>::endpoint> ep{};
    std::size_t finished = 0;
    std::optional<std::size_t> current{};  // history id
    bool is_write = false;
    std::uint64_t op = 0;
    node_id guess{};
    cohort::sim::event_id timer{};
  };
  void next(std::size_t i) {
    if (slots_[i].finished >= ops_each_) return;
    c_->scheduler().after(cohort::duration{static_cast<std::int64_t>(cohort::uniform_below(rng_, 30'000'000))},
                          [this, i] { issue(i); });
  }
  void issue(std::size_t i) {
    slot& s = slots_[i];
    const std::uint64_t key = cohort::uniform_below(rng_, 3);
    s.is_write = cohort::chance(rng_, 1, 2);
    s.op = ++ids_;
    const auto value = static_cast<std::int64_t>(s.op);  // unique per write
    s.current = history_.invoke(s.id.value(), s.is_write ? cohort::check::register_input::write(value, key)
                                                          : cohort::check::register_input::read(key));
    const auto& servers = c_->servers();
    const node_id to = s.guess != cohort::no_node ? s.guess : servers[cohort::uniform_below(rng_, servers.size())];
    Envelope m;
    m.k = Envelope::kind::request;
    m.client = s.id.value();
    m.op = s.op;
    m.is_write = s.is_write;
    m.key = key;
    m.value = s.is_write ? value : 0;
    s.ep->send(to, std::move(m));
    s.timer = c_->scheduler().after(400ms, [this, i] {
      slot& t = slots_[i];
      (void)history_.indeterminate(*t.current);
      t.current.reset();
      t.guess = node_id{};
      ++t.finished;
      next(i);
    });
  }
  void on_reply(std::size_t i, const Envelope& m) {
    slot& s = slots_[i];
    if (!s.current || s.op != m.op) return;
    c_->scheduler().cancel(s.timer);
    if (m.ok) {
      (void)history_.ok(*s.current, s.is_write ? cohort::check::register_output::done()
                                                : cohort::check::register_output::read(m.value));
    } else {
      // Refused by a non-leader; a duplicate of the request may still have
      // reached the leader, so whether it took effect is unknown.
      (void)history_.indeterminate(*s.current);
      s.guess = m.leader;
    }
    s.current.reset();
    ++s.finished;
    next(i);
  }
  Cluster* c_;
  std::size_t ops_each_;
  cohort::xoshiro256ss rng_;
  std::vector<slot> slots_;
  kv_history history_;
  std::uint64_t ids_ = 0;
};

}  // namespace cohort_test
