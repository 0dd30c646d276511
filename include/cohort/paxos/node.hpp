// cohort/paxos/node.hpp - the policy-based Multi-Paxos node: the raw level
// (paxos/multi.hpp) driven for you over your transport, storage, clock and
// state machine, exactly as raft::node drives raft::raw_node.
//
//   auto n = paxos::node<my_transport, my_storage, my_clock, my_machine>::create(
//       cfg, quorum::majority_config(members), my_transport{...}, storage, my_clock{...}, machine,
//       xoshiro256ss(seed), null_observer{}, 10ms);
//   loop: for each message that arrived: n->receive(std::move(m));
//         n->propose(payload) when the application has a command;
//         n->poll();   // ticks, persists, sends, applies
//
// The outside work is core/driver.hpp's, shared with raft::node.
//
// receive() and propose() only change the core's state; poll() does all the
// outside work, so one poll after a burst of inputs persists them with one
// sync. poll():
//   1. reads clock.now() and calls raw tick() once per elapsed tick_interval
//      (after a long pause at most election_ticks ticks; the rest is dropped);
//   2. for each ready batch, in order (multi.hpp's contract):
//        storage.append(entries), storage.save_hard_state(hs) if changed;
//        transport.send() each of `messages` (moved into the transport);
//        make the writes durable:
//          - async_log_storage: request_sync() and keep the batch pending;
//            a later poll() finishes it once durable_ticket() reaches its
//            ticket (the leader sends accepts while its own write is in flight);
//          - otherwise: sync(), then finish the batch at once;
//        finish = send `after_persist`, apply `committed`, acknowledge(number).
//
// Applying: state_machine.apply(e) is called exactly once per chosen slot
// whose payload is non-empty, in slot order. No-ops (a new leader's own and
// the gaps it filled) are skipped; applied() still moves past them.
// propose() refuses empty payloads so that every chosen proposal reaches
// apply(). A proposal may lose its slot to a new leader's recovery (the slot
// then holds another value): the caller learns whether its command was
// chosen by recognizing it in apply() (e.g. a client id and sequence number
// in the payload), as with any Paxos log.
//
// Checkpoints: compact(i) (i <= applied()) forgets slots up to i in the core
// and, when the storage models snapshot_log_storage, in the storage too.
//
// Failure: if append, save_hard_state or sync returns an error, the node
// stops: that poll() returns the storage's error, the failed batch is never
// acknowledged and its after_persist messages and chosen slots never leave,
// and every later call returns errc::stopped (stop_reason() keeps the
// original error).
//
// Ownership: the node owns the transport, clock, rng and observer (moved in);
// the storage and the state machine are the caller's and must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cohort/core/concepts.hpp"
#include "cohort/core/driver.hpp"
#include "cohort/core/random.hpp"
#include "cohort/core/result.hpp"
#include "cohort/core/time.hpp"
#include "cohort/paxos/multi.hpp"
#include "cohort/paxos/multi_message.hpp"
#include "cohort/quorum/majority.hpp"

namespace cohort::paxos {

template <transport<multi_message> Transport, log_storage Storage, clock Clock, state_machine StateMachine,
          rng Rng = xoshiro256ss, observer Observer = null_observer, quorum_system Quorum = quorum::majority_config>
class node {
 public:
  using raw_type = raw_node<Storage, Quorum, Rng, Observer>;
  static constexpr bool async_storage = async_log_storage<Storage>;

  /// A node whose first tick falls one tick_interval after clock.now(). Give
  /// every node its own rng seed (equal seeds give equal election timeouts).
  /// errc::invalid_config (nothing is written to the storage) if the config
  /// or quorum is invalid, tick_interval is not positive, or this node is not
  /// a member; a storage read error while restoring is returned as is.
  static result<node> create(const multi_config& c, Quorum q, Transport t, Storage& storage, Clock clk,
                             StateMachine& sm, Rng r, Observer obs, duration tick_interval) {
    if (auto ok = driver_type::check_tick_interval(tick_interval, "paxos node"); !ok) return ok.error();
    auto raw = raw_type::create(c, storage, std::move(q), std::move(r), std::move(obs));
    if (!raw) return std::move(raw).error();
    return node(driver_type(std::move(raw).value(), std::move(t), storage, std::move(clk), sm, tick_interval,
                            "paxos node"));
  }

  // ---- inputs --------------------------------------------------------------

  /// Hands one message from a peer to the core (the raw step's result:
  /// errc::malformed_message / errc::stale_term leave everything unchanged).
  /// Nothing is sent until the next poll().
  result<void> receive(multi_message m) {
    if (auto l = d_.live(); !l) return l;
    return d_.raw().step(std::move(m));
  }

  /// Proposes one command; the slot it will have if chosen. Errors:
  /// errc::not_leader (error().node names the leader when known),
  /// errc::busy / errc::too_large from the core, errc::invalid_argument for an
  /// empty payload, errc::stopped. Replicated by the next poll().
  result<log_index> propose(bytes data) {
    if (auto l = d_.live(); !l) return l.error();
    if (data.empty()) return empty_payload();
    return d_.raw().propose(std::move(data));
  }
  /// Proposes several commands at once (all or none); the last one's slot.
  result<log_index> propose(std::span<const bytes> batch) {
    if (auto l = d_.live(); !l) return l.error();
    for (const bytes& b : batch)
      if (b.empty()) return empty_payload();
    return d_.raw().propose(batch);
  }

  /// Ticks, persists, sends and applies (see the file comment). Returns the
  /// storage's error on the call that stops the node, errc::stopped after.
  result<void> poll() { return d_.poll(); }

  // ---- state ---------------------------------------------------------------

  [[nodiscard]] node_id id() const noexcept { return d_.raw().id(); }
  [[nodiscard]] multi_role role() const noexcept { return d_.raw().role(); }
  [[nodiscard]] node_id leader() const noexcept { return d_.raw().leader(); }
  [[nodiscard]] ballot promised() const noexcept { return d_.raw().promised(); }
  [[nodiscard]] log_index chosen() const noexcept { return d_.raw().chosen(); }
  /// The last slot handed to the state machine (or skipped as a no-op).
  [[nodiscard]] log_index applied() const noexcept { return d_.applied(); }
  [[nodiscard]] bool stopped() const noexcept { return d_.stopped(); }
  /// The error that stopped the node (meaningful only when stopped()).
  [[nodiscard]] const error& stop_reason() const noexcept { return d_.stop_reason(); }
  /// Batches persisted but waiting for an asynchronous sync.
  [[nodiscard]] std::size_t pending_batches() const noexcept { return d_.pending_batches(); }
  [[nodiscard]] duration tick_interval() const noexcept { return d_.tick_interval(); }
  /// Forgets slots up to i (a checkpoint of the state machine covers them):
  /// in the core, and in the storage when it models snapshot_log_storage.
  /// Errors as raw compact() (errc::unavailable past applied()), or the storage's.
  result<void> compact(log_index i) {
    if (auto l = d_.live(); !l) return l;
    if (i > d_.applied()) return make_error(errc::unavailable, "paxos node: compact past the applied slot");
    if (auto r = d_.raw().compact(i); !r) return r;
    if constexpr (snapshot_log_storage<Storage>) return d_.storage().compact(i);
    return success();
  }

  /// The raw level, for what the node does not wrap (campaign(), stats(),
  /// progress_of()). Calling take_ready() or acknowledge() on it yourself
  /// breaks the node's bookkeeping: don't.
  [[nodiscard]] raw_type& raw() noexcept { return d_.raw(); }
  [[nodiscard]] const raw_type& raw() const noexcept { return d_.raw(); }
  [[nodiscard]] Transport& get_transport() noexcept { return d_.transport(); }
  [[nodiscard]] Clock& get_clock() noexcept { return d_.clock_policy(); }

 private:
  using driver_type = cohort::detail::driver<raw_type, Transport, Storage, Clock, StateMachine>;

  explicit node(driver_type d) : d_(std::move(d)) {}

  static error empty_payload() {
    return make_error(errc::invalid_argument,
                      "paxos node: empty payload (reserved for no-ops; it would never be applied)");
  }

  driver_type d_;
};

}  // namespace cohort::paxos
