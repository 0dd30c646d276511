// cohort/core/driver.hpp - the outside work of a policy-based consensus node,
// shared by raft::node and paxos::node: ticks from a clock, persisting and
// syncing each ready batch, sending, applying, acknowledging, and stopping
// for good on a storage failure.
//
// Raw is a raw level with the common contract (raft::raw_node,
// paxos::multi_node): has_ready(), take_ready() returning a batch with
// `number`, `entries`, `has_hard_state`/`hs`, `messages`, `after_persist`
// and `committed`; acknowledge(number); tick(); applied();
// settings().election_ticks. For each ready batch, in order:
//   storage.append(entries), storage.save_hard_state(hs) if changed;
//   transport.send() each of `messages` (moved into the transport);
//   make the writes durable:
//     - async_log_storage: request_sync() and keep the batch pending; a
//       later poll() finishes it once durable_ticket() reaches its ticket
//       (the core goes on meanwhile);
//     - otherwise: sync(), then finish the batch at once;
//   finish = send `after_persist`, apply `committed`, acknowledge(number).
// Applying: state_machine.apply(e) for each committed entry of kind normal
// with a non-empty payload, in index order; the others (a new leader's empty
// entry, no-ops, config entries) are skipped and applied() moves past them.
//
// Outcomes (only when StateMachine::apply returns a value R): the node
// registers each of its own accepted proposals with track(first, last, t),
// t being the term its entries carry. As the entries at those indexes are
// applied, take_outcomes() yields, in index order, one proposal_outcome per
// registered index: apply()'s result if the applied entry is the proposal
// (same term at the same index), else errc::proposal_dropped (another
// leader's entry took the index). Entries nobody registered here produce
// nothing, so followers keep no results.
//
// Failure: if append, save_hard_state or sync returns an error, the driver
// stops: that poll() returns the storage's error, the failed batch is never
// acknowledged and its after_persist messages and committed entries never
// leave, and every later call returns errc::stopped (stop_reason() keeps the
// original error). An async storage reports a failed background sync by
// failing the next write (its durable_ticket() simply never reaches the
// ticket).
//
// Invariants: applied() <= raw().applied(); pending batches are in ascending
// number and ticket order; nothing of a pending batch has been sent or
// applied; once stopped, no policy is called again.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cohort/core/concepts.hpp"
#include "cohort/core/result.hpp"
#include "cohort/core/ring_queue.hpp"
#include "cohort/core/time.hpp"

namespace cohort {

/// What became of one proposal made on this node (see core/driver.hpp):
/// the state machine's result for the entry at `index`, or
/// errc::proposal_dropped if that index was taken by another entry.
template <class R>
struct proposal_outcome {
  log_index index{};
  result<R> value;
};

}  // namespace cohort

namespace cohort::detail {

template <class Raw, class Transport, log_storage Storage, clock Clock, state_machine StateMachine>
class driver {
 public:
  using ready_type = std::remove_cvref_t<decltype(std::declval<Raw&>().take_ready())>;
  using message_type = typename decltype(ready_type::messages)::value_type;
  static constexpr bool async_storage = async_log_storage<Storage>;
  /// What StateMachine::apply returns (void: no outcomes are kept).
  using apply_result = std::remove_cvref_t<decltype(std::declval<StateMachine&>().apply(std::declval<const log_entry&>()))>;
  static constexpr bool keeps_outcomes = !std::is_void_v<apply_result>;
  using outcome_type = proposal_outcome<std::conditional_t<keeps_outcomes, apply_result, int>>;

  /// `what` names the node in error messages ("raft node").
  driver(Raw raw, Transport t, Storage& s, Clock clk, StateMachine& sm, duration tick_interval, const char* what)
      : raw_(std::move(raw)),
        transport_(std::move(t)),
        storage_(&s),
        clock_(std::move(clk)),
        machine_(&sm),
        tick_interval_(tick_interval),
        last_tick_(clock_.now()),
        applied_(raw_.applied()),
        what_(what) {}

  /// errc::invalid_config unless tick_interval is positive.
  static result<void> check_tick_interval(duration tick_interval, const char* what) {
    if (tick_interval > duration::zero()) return success();
    return make_error(errc::invalid_config, std::string(what) + ": tick_interval must be positive, got " +
                                                std::to_string(tick_interval.count()) + "ns");
  }

  /// errc::stopped once stopped, else success: the guard of every input.
  [[nodiscard]] result<void> live() const {
    if (!stopped_) return success();
    return make_error(errc::stopped, std::string(what_) + " stopped after a storage failure: " + stop_reason_.message);
  }

  /// Ticks, persists, sends and applies (see the file comment).
  result<void> poll() {
    if (auto l = live(); !l) return l;
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

  /// Registers this node's proposal of entries [first, last] in term t
  /// (nothing is kept unless keeps_outcomes).
  void track(log_index first, log_index last, term t) {
    if constexpr (keeps_outcomes) {
      if (first != log_index{} && first <= last) tracked_.push_back(tracked_range{first, last, t});
    }
  }
  /// The outcomes settled since the last call, in index order.
  std::vector<outcome_type> take_outcomes() { return std::exchange(outcomes_, {}); }

  [[nodiscard]] log_index applied() const noexcept { return applied_; }
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }
  [[nodiscard]] const error& stop_reason() const noexcept { return stop_reason_; }
  [[nodiscard]] std::size_t pending_batches() const noexcept { return pending_.size(); }
  [[nodiscard]] duration tick_interval() const noexcept { return tick_interval_; }
  [[nodiscard]] Raw& raw() noexcept { return raw_; }
  [[nodiscard]] const Raw& raw() const noexcept { return raw_; }
  [[nodiscard]] Transport& transport() noexcept { return transport_; }
  [[nodiscard]] Clock& clock_policy() noexcept { return clock_; }
  [[nodiscard]] Storage& storage() noexcept { return *storage_; }

 private:
  /// A batch persisted but not yet durable (async storage only).
  struct pending_batch {
    std::uint64_t number = 0;
    std::uint64_t ticket = 0;
    std::vector<message_type> after_persist;
    std::vector<log_entry> committed;
  };

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

  result<void> handle_ready(ready_type& r) {
    if (auto w = storage_->append(r.entries); !w) return w;
    if (r.has_hard_state)
      if (auto w = storage_->save_hard_state(r.hs); !w) return w;
    send_all(r.messages);
    if constexpr (async_storage) {
      pending_batch& b = pending_.push_back(take_spare());
      b.number = r.number;
      b.ticket = storage_->request_sync();
      b.after_persist.swap(r.after_persist);  // r gets the spare's (empty) buffers back
      if constexpr (std::is_same_v<decltype(r.committed), std::vector<log_entry>>)
        b.committed.swap(r.committed);
      else  // a view into the node's log, valid only until the next call into it
        b.committed.assign(r.committed.begin(), r.committed.end());
      return success();
    } else {
      if (auto w = storage_->sync(); !w) return w;
      if constexpr (std::is_same_v<decltype(r.committed), std::vector<log_entry>>) {
        finish(r.number, r.after_persist, r.committed);
      } else {
        // A view of the node's log: the state machine may call into the node
        // while applying (a proposal can move the log), so apply a copy.
        applying_.assign(r.committed.begin(), r.committed.end());
        finish(r.number, r.after_persist, applying_);
        applying_.clear();
      }
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

  void finish(std::uint64_t number, std::vector<message_type>& after, std::span<const log_entry> committed) {
    send_all(after);
    for (const log_entry& e : committed) {
      const bool command = e.kind == entry_kind::normal && !e.data.empty();
      if constexpr (keeps_outcomes) {
        if (tracked_.empty()) {
          if (command) (void)machine_->apply(e);
        } else if (command) {
          apply_result r = machine_->apply(e);
          settle(e, &r);
        } else {
          settle(e, nullptr);
        }
      } else {
        if (command) machine_->apply(e);
      }
      applied_ = e.index;
    }
    raw_.acknowledge(number);
  }

  /// Settles the registered proposals up to entry e (r: apply()'s result, or
  /// null for an entry that was not applied). Indexes skipped over (a
  /// snapshot) were not applied here as proposed: dropped.
  void settle(const log_entry& e, apply_result* r) {
    while (!tracked_.empty() && tracked_.front().first <= e.index) {
      tracked_range& t = tracked_.front();
      if (t.first < e.index) {
        outcomes_.push_back(outcome_type{t.first, dropped(t.first)});
      } else if (r != nullptr && e.term == t.t) {
        outcomes_.push_back(outcome_type{t.first, std::move(*r)});
      } else {
        outcomes_.push_back(outcome_type{t.first, dropped(t.first)});
      }
      if (t.first == t.last) tracked_.pop_front();
      else t.first = t.first + 1;
    }
  }
  error dropped(log_index i) const {
    return error{errc::proposal_dropped,
                 std::string(what_) + ": another entry took index " + std::to_string(i.value()) + " (proposal lost)"};
  }

  void send_all(std::vector<message_type>& ms) {
    for (message_type& m : ms) {
      const node_id to = m.to;
      transport_.send(to, std::move(m));
    }
  }

  Raw raw_;
  Transport transport_;
  Storage* storage_;
  Clock clock_;
  StateMachine* machine_;
  duration tick_interval_;
  mono_time last_tick_;
  log_index applied_{};
  ring_queue<pending_batch> pending_;
  std::vector<pending_batch> spare_;
  std::vector<log_entry> applying_;  ///< the batch being applied (synchronous storage), reused
  struct tracked_range {
    log_index first, last;
    term t;
  };
  ring_queue<tracked_range> tracked_;
  std::vector<outcome_type> outcomes_;
  bool stopped_ = false;
  error stop_reason_{};
  const char* what_;
};

}  // namespace cohort::detail
