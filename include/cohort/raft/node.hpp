// cohort/raft/node.hpp - the policy-based Raft node: the raw level driven for
// you over your transport, storage, clock and state machine.
//
//   auto n = node<my_transport, my_storage, my_clock, my_machine>::create(
//       cfg, my_transport{...}, storage, my_clock{...}, machine, xoshiro256ss(seed), null_observer{}, 10ms);
//   loop: for each message that arrived: n->receive(std::move(m));
//         n->propose(payload) when the application has a command;
//         n->poll();   // ticks, persists, sends, applies
//
// receive() and propose() only change the core's state; poll() does all the
// outside work, so one poll after a burst of inputs persists them with one
// sync: it ticks the core once per elapsed tick_interval (after a long pause
// at most election_ticks ticks), then for each ready batch persists, sends,
// syncs (or, with async_log_storage, goes on and finishes the batch once
// durable), sends what waited for durability, applies and acknowledges.
// Applying, the storage-failure rule (the node stops; later calls return
// errc::stopped) and the invariants are core/driver.hpp's, shared with
// paxos::node. propose() refuses empty payloads so that every accepted
// proposal reaches apply().
//
// Ownership: the node owns the transport, clock, rng and observer (moved in);
// the storage and the state machine are the caller's and must outlive it.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <utility>

#include "cohort/core/concepts.hpp"
#include "cohort/core/driver.hpp"
#include "cohort/core/random.hpp"
#include "cohort/core/result.hpp"
#include "cohort/core/time.hpp"
#include "cohort/raft/config.hpp"
#include "cohort/raft/message.hpp"
#include "cohort/raft/raw_node.hpp"

namespace cohort::raft {

template <transport<message> Transport, log_storage Storage, clock Clock, state_machine StateMachine,
          rng Rng = xoshiro256ss, observer Observer = null_observer>
class node {
 public:
  using raw_type = raw_node<Storage, Rng, Observer>;
  static constexpr bool async_storage = async_log_storage<Storage>;

 private:
  using driver_type = cohort::detail::driver<raw_type, Transport, Storage, Clock, StateMachine>;

 public:
  /// A node whose first tick falls one tick_interval after clock.now(). Give
  /// every node its own rng seed (equal seeds give equal election timeouts).
  /// errc::invalid_config (nothing is written to the storage) if the config is
  /// invalid, tick_interval is not positive, or this node is not a voter of
  /// the effective membership (the config's, or the storage's snapshot's).
  static result<node> create(const config& c, Transport t, Storage& storage, Clock clk, StateMachine& sm,
                             Rng r, Observer obs, duration tick_interval) {
    if (auto ok = driver_type::check_tick_interval(tick_interval, "raft node"); !ok) return ok.error();
    auto raw = raw_type::create(c, storage, std::move(r), std::move(obs));
    if (!raw) return std::move(raw).error();
    if (!raw->voters().contains(c.id))
      return make_error(errc::invalid_config,
                        "raft node: id " + std::to_string(c.id.value()) + " is not among the voters", c.id);
    return node(driver_type(std::move(raw).value(), std::move(t), storage, std::move(clk), sm, tick_interval,
                            "raft node"));
  }

  // ---- inputs --------------------------------------------------------------

  /// Hands one message from a peer to the core (the raw step's result:
  /// errc::malformed_message / errc::stale_term leave everything unchanged).
  /// Nothing is sent until the next poll().
  result<void> receive(message m) {
    if (auto l = d_.live(); !l) return l;
    return d_.raw().step(std::move(m));
  }

  /// Proposes one command; the index it will have if committed. Errors:
  /// errc::not_leader (error().node names the leader when known),
  /// errc::busy / errc::too_large from the core, errc::invalid_argument for an
  /// empty payload, errc::stopped. Replicated by the next poll().
  result<log_index> propose(bytes data) {
    if (auto l = d_.live(); !l) return l.error();
    if (data.empty()) return empty_payload();
    return tracked(d_.raw().propose(std::move(data)), 1);
  }
  /// Proposes several commands at once (all or none); the last one's index.
  result<log_index> propose(std::span<const bytes> batch) {
    if (auto l = d_.live(); !l) return l.error();
    for (const bytes& b : batch)
      if (b.empty()) return empty_payload();
    return tracked(d_.raw().propose(batch), batch.size());
  }

  /// When StateMachine::apply returns a value R: the outcome of each command
  /// proposed here and accepted (a nonzero index), in index order, once its
  /// index is applied: apply()'s result for it, or errc::proposal_dropped if
  /// another leader's entry took that index (the command was not applied
  /// there; it may be proposed again). Proposals forwarded to the leader
  /// (forward_proposals) have no outcome here. Outcomes accumulate until taken.
  auto take_outcomes()
    requires driver_type::keeps_outcomes
  {
    return d_.take_outcomes();
  }

  /// Ticks, persists, sends and applies (see the file comment). Returns the
  /// storage's error on the call that stops the node, errc::stopped after.
  result<void> poll() { return d_.poll(); }

  // ---- state ---------------------------------------------------------------

  [[nodiscard]] node_id id() const noexcept { return d_.raw().id(); }
  [[nodiscard]] raft::role role() const noexcept { return d_.raw().role(); }
  [[nodiscard]] node_id leader() const noexcept { return d_.raw().leader(); }
  [[nodiscard]] cohort::term term() const noexcept { return d_.raw().current_term(); }
  [[nodiscard]] log_index committed() const noexcept { return d_.raw().committed(); }
  /// The last entry handed to the state machine (or skipped as empty/config).
  [[nodiscard]] log_index applied() const noexcept { return d_.applied(); }
  [[nodiscard]] bool stopped() const noexcept { return d_.stopped(); }
  /// The error that stopped the node (meaningful only when stopped()).
  [[nodiscard]] const error& stop_reason() const noexcept { return d_.stop_reason(); }
  /// Batches persisted but waiting for an asynchronous sync.
  [[nodiscard]] std::size_t pending_batches() const noexcept { return d_.pending_batches(); }
  [[nodiscard]] duration tick_interval() const noexcept { return d_.tick_interval(); }
  /// The raw level, for what the node does not wrap (campaign(), stats(),
  /// progress_of()). Calling take_ready() or acknowledge() on it yourself
  /// breaks the node's bookkeeping: don't.
  [[nodiscard]] raw_type& raw() noexcept { return d_.raw(); }
  [[nodiscard]] const raw_type& raw() const noexcept { return d_.raw(); }
  [[nodiscard]] Transport& get_transport() noexcept { return d_.transport(); }
  [[nodiscard]] Clock& get_clock() noexcept { return d_.clock_policy(); }

 private:
  explicit node(driver_type d) : d_(std::move(d)) {}

  /// Registers an accepted proposal of n entries ending at *r (Log Matching:
  /// the entry applied at an index is ours iff it has our term).
  result<log_index> tracked(result<log_index> r, std::size_t n) {
    if (r && *r != log_index{}) d_.track(*r - (n - 1), *r, d_.raw().current_term());
    return r;
  }

  static error empty_payload() {
    return make_error(errc::invalid_argument,
                      "raft node: empty payload (reserved for a new leader's entry; it would never be applied)");
  }

  driver_type d_;
};

}  // namespace cohort::raft
