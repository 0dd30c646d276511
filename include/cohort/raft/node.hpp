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
// sync. poll():
//   1. reads clock.now() and calls raw tick() once per elapsed tick_interval
//      (after a long pause at most election_ticks ticks; the rest is dropped);
//   2. for each ready batch, in order (raw_node.hpp's contract):
//        storage.append(entries), storage.save_hard_state(hs) if changed;
//        transport.send() each of `messages` (moved into the transport);
//        make the writes durable:
//          - async_log_storage: request_sync() and keep the batch pending;
//            a later poll() finishes it once durable_ticket() reaches its
//            ticket (the core goes on meanwhile: a leader replicates while
//            its own write is in flight);
//          - otherwise: sync(), then finish the batch at once;
//        finish = send `after_persist`, apply `committed`, acknowledge(number).
//
// Applying: state_machine.apply(e) is called exactly once per committed entry
// of kind normal with a non-empty payload, in index order. The empty entry a
// new leader appends to commit its term, and config entries (the core's own
// business), are skipped; applied() still moves past them. propose() refuses
// empty payloads so that every accepted proposal reaches apply().
//
// Failure: if append, save_hard_state or sync returns an error, the node
// stops: that poll() returns the storage's error, the failed batch is never
// acknowledged and its after_persist messages and committed entries never
// leave, and every later call returns errc::stopped (stop_reason() keeps the
// original error). An async storage reports a failed background sync by
// failing the next write (its durable_ticket() simply never reaches the
// ticket).
//
// Invariants: applied() <= raw().applied() <= committed(); pending batches are
// in ascending number and ticket order; nothing of a pending batch has been
// sent or applied; once stopped, no policy is called again.
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
#include "cohort/core/ring_queue.hpp"
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

  /// A node whose first tick falls one tick_interval after clock.now(). Give
  /// every node its own rng seed (equal seeds give equal election timeouts).
  /// errc::invalid_config (nothing is written to the storage) if the config is
  /// invalid, tick_interval is not positive, or this node is not a voter of
  /// the effective membership (the config's, or the storage's snapshot's).
  static result<node> create(const config& c, Transport t, Storage& storage, Clock clk, StateMachine& sm,
                             Rng r, Observer obs, duration tick_interval) {
    if (tick_interval <= duration::zero())
      return make_error(errc::invalid_config, "raft node: tick_interval must be positive, got " +
                                                  std::to_string(tick_interval.count()) + "ns");
    auto raw = raw_type::create(c, storage, std::move(r), std::move(obs));
    if (!raw) return std::move(raw).error();
    if (!raw->voters().contains(c.id))
      return make_error(errc::invalid_config,
                        "raft node: id " + std::to_string(c.id.value()) + " is not among the voters", c.id);
    return node(std::move(raw).value(), std::move(t), storage, std::move(clk), sm, tick_interval);
  }

  // ---- inputs --------------------------------------------------------------

  /// Hands one message from a peer to the core (the raw step's result:
  /// errc::malformed_message / errc::stale_term leave everything unchanged).
  /// Nothing is sent until the next poll().
  result<void> receive(message m) {
    if (stopped_) return stopped_error();
    return raw_.step(std::move(m));
  }

  /// Proposes one command; the index it will have if committed. Errors:
  /// errc::not_leader (error().node names the leader when known),
  /// errc::busy / errc::too_large from the core, errc::invalid_argument for an
  /// empty payload, errc::stopped. Replicated by the next poll().
  result<log_index> propose(bytes data) {
    if (stopped_) return stopped_error();
    if (data.empty()) return empty_payload();
    return raw_.propose(std::move(data));
  }
  /// Proposes several commands at once (all or none); the last one's index.
  result<log_index> propose(std::span<const bytes> batch) {
    if (stopped_) return stopped_error();
    for (const bytes& b : batch)
      if (b.empty()) return empty_payload();
    return raw_.propose(batch);
  }

  /// Ticks, persists, sends and applies (see the file comment). Returns the
  /// storage's error on the call that stops the node, errc::stopped after.
  result<void> poll() {
    if (stopped_) return stopped_error();
    tick_elapsed();
    for (;;) {
      bool progressed = false;
      while (!stopped_ && raw_.has_ready()) {
        if (auto r = handle_ready(raw_.take_ready()); !r) return stop(std::move(r).error());
        progressed = true;
      }
      if constexpr (async_storage) progressed |= finish_durable();
      if (!progressed) return success();
    }
  }

  // ---- state ---------------------------------------------------------------

  [[nodiscard]] node_id id() const noexcept { return raw_.id(); }
  [[nodiscard]] raft::role role() const noexcept { return raw_.role(); }
  [[nodiscard]] node_id leader() const noexcept { return raw_.leader(); }
  [[nodiscard]] cohort::term term() const noexcept { return raw_.current_term(); }
  [[nodiscard]] log_index committed() const noexcept { return raw_.committed(); }
  /// The last entry handed to the state machine (or skipped as empty/config).
  [[nodiscard]] log_index applied() const noexcept { return applied_; }
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }
  /// The error that stopped the node (meaningful only when stopped()).
  [[nodiscard]] const error& stop_reason() const noexcept { return stop_reason_; }
  /// Batches persisted but waiting for an asynchronous sync.
  [[nodiscard]] std::size_t pending_batches() const noexcept { return pending_.size(); }
  [[nodiscard]] duration tick_interval() const noexcept { return tick_interval_; }
  /// The raw level, for what the node does not wrap (campaign(), stats(),
  /// progress_of()). Calling take_ready() or acknowledge() on it yourself
  /// breaks the node's bookkeeping: don't.
  [[nodiscard]] raw_type& raw() noexcept { return raw_; }
  [[nodiscard]] const raw_type& raw() const noexcept { return raw_; }
  [[nodiscard]] Transport& get_transport() noexcept { return transport_; }
  [[nodiscard]] Clock& get_clock() noexcept { return clock_; }

 private:
  /// A batch persisted but not yet durable (async storage only).
  struct pending_batch {
    std::uint64_t number = 0;
    std::uint64_t ticket = 0;
    std::vector<message> after_persist;
    std::vector<log_entry> committed;
  };

  node(raw_type raw, Transport t, Storage& s, Clock clk, StateMachine& sm, duration tick_interval)
      : raw_(std::move(raw)),
        transport_(std::move(t)),
        storage_(&s),
        clock_(std::move(clk)),
        machine_(&sm),
        tick_interval_(tick_interval),
        last_tick_(clock_.now()),
        applied_(raw_.applied()) {}

  static error empty_payload() {
    return make_error(errc::invalid_argument,
                      "raft node: empty payload (reserved for a new leader's entry; it would never be applied)");
  }
  error stopped_error() const {
    return make_error(errc::stopped, "raft node stopped after a storage failure: " + stop_reason_.message);
  }
  error stop(error e) {
    stopped_ = true;
    stop_reason_ = e;
    return e;
  }

  void tick_elapsed() {
    const mono_time now = clock_.now();
    if (now <= last_tick_) return;
    const auto due = static_cast<std::uint64_t>((now - last_tick_) / tick_interval_);
    const std::uint64_t cap = raw_.settings().election_ticks;
    if (due > cap) last_tick_ = now - (now - last_tick_) % tick_interval_;  // a long pause: drop the excess
    else last_tick_ += tick_interval_ * static_cast<duration::rep>(due);
    for (std::uint64_t k = 0; k < (due > cap ? cap : due); ++k) raw_.tick();
  }

  result<void> handle_ready(ready& r) {
    if (auto w = storage_->append(r.entries); !w) return w;
    if (r.has_hard_state)
      if (auto w = storage_->save_hard_state(r.hs); !w) return w;
    send_all(r.messages);
    if constexpr (async_storage) {
      pending_batch& b = pending_.push_back(take_spare());
      b.number = r.number;
      b.ticket = storage_->request_sync();
      b.after_persist.swap(r.after_persist);  // r gets the spare's (empty) buffers back
      b.committed.swap(r.committed);
      return success();
    } else {
      if (auto w = storage_->sync(); !w) return w;
      finish(r.number, r.after_persist, r.committed);
      return success();
    }
  }

  /// Finishes every pending batch whose ticket is durable; whether any was.
  bool finish_durable() {
    bool any = false;
    while (!pending_.empty() && storage_->durable_ticket() >= pending_.front().ticket) {
      pending_batch& b = pending_.front();
      finish(b.number, b.after_persist, b.committed);
      b.after_persist.clear();
      b.committed.clear();
      spare_.push_back(std::move(b));
      pending_.pop_front();
      any = true;
    }
    return any;
  }

  pending_batch take_spare() {
    if (spare_.empty()) return pending_batch{};
    pending_batch b = std::move(spare_.back());
    spare_.pop_back();
    return b;
  }

  void finish(std::uint64_t number, std::vector<message>& after, const std::vector<log_entry>& committed) {
    send_all(after);
    for (const log_entry& e : committed) {
      if (e.kind == entry_kind::normal && !e.data.empty()) machine_->apply(e);
      applied_ = e.index;
    }
    raw_.acknowledge(number);
  }

  void send_all(std::vector<message>& ms) {
    for (message& m : ms) {
      const node_id to = m.to;
      transport_.send(to, std::move(m));
    }
  }

  raw_type raw_;
  Transport transport_;
  Storage* storage_;
  Clock clock_;
  StateMachine* machine_;
  duration tick_interval_;
  mono_time last_tick_;
  log_index applied_{};
  ring_queue<pending_batch> pending_;
  std::vector<pending_batch> spare_;
  bool stopped_ = false;
  error stop_reason_{};
};

}  // namespace cohort::raft
