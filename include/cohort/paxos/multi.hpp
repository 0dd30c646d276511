// cohort/paxos/multi.hpp - Multi-Paxos as a pure state machine (the raw level).
//
// Every member is an acceptor and a learner; one of them at a time acts as
// the distinguished proposer (the leader). Inputs: step(message), tick(),
// propose(...), campaign(), acknowledge(n), compact(i). Outputs: numbered
// `multi_ready` batches, acted on in this order (as raft::raw_node's):
//   1. append `entries` and save `hs` (if has_hard_state) to the log_storage;
//   2. send `messages` now (they depend on nothing unwritten);
//   3. make the writes durable (sync, or an asynchronous sync);
//   4. once durable: send `after_persist` (promises and acceptances, which
//      vouch for durable state), apply `committed` in slot order (skip empty
//      payloads: no-ops), and call acknowledge(number).
// acknowledge(n) covers every batch up to n.
//
// Protocol (Lamport, "Paxos Made Simple", section 3, in our own words):
//   - Ballots are (round, node). A candidate picks a round above any it has
//     seen, promises itself, and sends prepare(b, from = its chosen-up-to
//     slot) once that promise is durable. An acceptor promises b if b is at
//     least its promise, and answers with every slot it accepted above
//     `from` (paged by msg_bytes_max; the candidate asks for the next page).
//   - With a phase-1 quorum (Q1) of complete promises the candidate leads:
//     for each slot above `from` up to the highest any promise reported it
//     adopts the value of the highest accepted ballot, or a no-op if none
//     (a gap), rewrites those slots in its own ballot, appends one no-op of
//     its own, and from then on runs only phase 2: accept messages carry
//     contiguous slots (batched, pipelined, at most inflight_msgs_max per
//     follower and msg_bytes_max each), as Raft's appends do.
//   - An acceptor accepts (b, v) for a slot if b is at least its promise.
//     It tracks `match`: the highest slot up to which its log agrees with
//     the current leader's (every slot above its chosen-up-to point holds
//     the leader's value). An accept starting past match (lost or
//     reordered accepts before it) is still taken, out of order, the gap
//     padded with empty slots (term 0), but answered with a refusal and a
//     hint: the leader resends from there, and lagging replicas catch up.
//   - A slot is chosen when a phase-2 quorum (Q2) matched it; the leader
//     counts itself only once its own write is durable. The leader sends its
//     chosen-up-to slot in accepts and heartbeats; followers learn up to
//     min(that, match).
//   - Leader liveness: heartbeats every heartbeat_ticks; followers start a
//     ballot after a randomized [election_ticks, 2*election_ticks) ticks
//     without one (randomness from the rng policy); with check_quorum the
//     leader steps down when no Q2 answered for election_ticks, and
//     acceptors refuse (without a reply) higher prepares while their leader
//     is live (from any node but that leader). A nack carries the
//     acceptor's promise: a candidate steps down and its randomized timeout
//     retries later; a leader runs phase 1 again at once above it.
// Quorums: a policy with voters(), contains(), result_of(votes) for phase 1
// and committed_index(acked) for phase 2 (quorum::majority_config, or
// quorum::flexible_config for |Q1| + |Q2| > N).
//
// One gate (validate) sees every message first: wrong destination, unknown
// sender, absurd ballot or slot, a ballot that is not its sender's,
// malformed or oversized entries, accepts far past our log. Rejected
// messages are counted per reason and change nothing.
//
// Checkpoints and compaction: compact(i) drops slots up to i (i at most
// applied(), i.e. handed to the state machine) from the node's memory; the
// driver compacts its storage likewise. A follower that needs compacted slots
// is not sent them: its progress moves to `snapshot` state and a custom
// event "needs snapshot" is reported; a candidate whose prepare reaches
// below an acceptor's compaction point gets a refusing promise (reject) and
// cannot lead with it. Snapshot transfer is not implemented yet: such a
// replica stays behind until it is rebuilt from a copy of a peer's state.
//
// Memory: the node keeps the slots above applied() in memory (and those
// handed out for persistence or application until the next take_ready(),
// which `entries` and `committed` view); applied, persisted slots then leave
// memory and are read back from the storage when a lagging follower or a
// candidate needs them.
//
// Invariants: first_index() - 1 <= applied() <= chosen() <= last_index();
// every slot at or below chosen() holds its chosen value; a leader's slots
// above its phase-1 start all carry its own ballot; promised() only grows
// and is durable before any reply that depends on it leaves.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "cohort/core/concepts.hpp"
#include "cohort/core/random.hpp"
#include "cohort/core/ring_queue.hpp"
#include "cohort/core/result.hpp"
#include "cohort/paxos/ballot.hpp"
#include "cohort/paxos/multi_message.hpp"
#include "cohort/quorum/majority.hpp"
#include "cohort/raft/progress.hpp"

namespace cohort::paxos {

enum class multi_role : std::uint8_t { follower, candidate, leader };

constexpr std::string_view name_of(multi_role r) noexcept {
  switch (r) {
    case multi_role::follower: return "follower";
    case multi_role::candidate: return "candidate";
    case multi_role::leader: return "leader";
  }
  return "unknown";
}

/// Why a message was refused; each is counted in multi_stats.
enum class multi_reject : std::uint8_t {
  wrong_destination,
  unknown_sender,
  absurd_ballot,   ///< round at or above multi_round_max
  absurd_slot,     ///< slot at or above multi_slot_max
  malformed,       ///< bad type, a ballot not its sender's, entries not contiguous or above the message's ballot
  oversized,       ///< more entries or bytes than the limits allow
  stale_ballot,    ///< below our promise (answered with a nack)
  index_past_end,  ///< far past our log, or acknowledging slots we never had
  in_lease,        ///< a higher prepare while our leader is live
  count_
};
inline constexpr std::size_t multi_reject_count = static_cast<std::size_t>(multi_reject::count_);

constexpr std::string_view name_of(multi_reject r) noexcept {
  constexpr std::array<std::string_view, multi_reject_count> names{
      "wrong_destination", "unknown_sender", "absurd_ballot",  "absurd_slot", "malformed",
      "oversized",         "stale_ballot",   "index_past_end", "in_lease"};
  const auto i = static_cast<std::size_t>(r);
  return i < names.size() ? names[i] : "unknown";
}

struct multi_stats {
  std::array<std::uint64_t, multi_reject_count> rejected{};
  std::uint64_t steps = 0;
  std::uint64_t proposals_refused = 0;
  std::uint64_t elections_started = 0;
  std::uint64_t slots_recovered = 0;  ///< slots a new leader re-proposed with an adopted value
  std::uint64_t gaps_filled = 0;      ///< slots a new leader filled with a no-op
  [[nodiscard]] std::uint64_t rejected_total() const noexcept {
    std::uint64_t t = 0;
    for (auto v : rejected) t += v;
    return t;
  }
  [[nodiscard]] std::uint64_t count(multi_reject r) const noexcept { return rejected[static_cast<std::size_t>(r)]; }
};

/// One batch of outputs (see the file comment). `entries` and `committed`
/// view the node's own log: persist and apply them (or copy them) before the
/// next call into the node, which may move them.
struct multi_ready {
  std::uint64_t number = 0;
  bool has_hard_state = false;
  hard_state hs{};  ///< term = promised round, vote = promised node, commit = chosen-up-to
  std::span<const log_entry> entries;
  std::vector<multi_message> messages;
  std::vector<multi_message> after_persist;
  std::span<const log_entry> committed;

  [[nodiscard]] bool empty() const noexcept {
    return !has_hard_state && entries.empty() && messages.empty() && after_persist.empty() && committed.empty();
  }
};

namespace detail {

/// The slots a node keeps in memory: a vector whose front is dropped by
/// moving a head offset (the dropped elements are released at once) and
/// erased in bulk once the head passes half the vector, so that the live
/// slots stay contiguous, each is moved at most a few times, and a log that
/// is trimmed as fast as it grows stops allocating.
class slot_window {
 public:
  [[nodiscard]] std::size_t size() const noexcept { return v_.size() - head_; }
  log_entry& operator[](std::size_t i) noexcept { return v_[head_ + i]; }
  const log_entry& operator[](std::size_t i) const noexcept { return v_[head_ + i]; }
  /// Slots [i, i + n) in place (i + n <= size()).
  [[nodiscard]] std::span<const log_entry> range(std::size_t i, std::size_t n) const noexcept {
    return std::span<const log_entry>(v_).subspan(head_ + i, n);
  }
  void push_back(log_entry e) { v_.push_back(std::move(e)); }
  /// Releases the first n (n <= size()). With may_move, the dropped prefix
  /// may be erased, moving the live slots (views of them become invalid);
  /// without, nothing live moves.
  void drop_front(std::size_t n, bool may_move) {
    drop_payloads(std::span<log_entry>(v_).subspan(head_, n));
    head_ += n;
    if (head_ == v_.size()) {
      v_.clear();
      head_ = 0;
    } else if (may_move && head_ >= 1024 && 2 * head_ >= v_.size()) {
      v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

 private:
  std::vector<log_entry> v_;
  std::size_t head_ = 0;
};

template <class Q, class Votes>
quorum::vote_result phase2_vote(const Q& q, Votes&& votes) {
  if constexpr (requires { q.phase2_result_of(votes); }) return q.phase2_result_of(votes);
  else return q.result_of(votes);
}
}  // namespace detail

/// What the raw node needs from a quorum system (see the file comment for
/// result_of / committed_index, which take callables).
template <class Q>
concept quorum_system = std::copy_constructible<Q> && requires(const Q& q, node_id n) {
  { q.voters() } -> std::convertible_to<const std::vector<node_id>&>;
  { q.contains(n) } -> std::same_as<bool>;
};

template <log_storage Storage, quorum_system Quorum = quorum::majority_config, rng Rng = xoshiro256ss,
          observer Observer = null_observer>
class raw_node {
 public:
  using progress = raft::progress;

  /// A node over `storage` (which must outlive it), restoring the promised
  /// ballot, the accepted slots and the chosen-up-to point from it.
  /// errc::invalid_config for a bad config, an empty quorum, a member id
  /// outside [1, 65535] or this node not a member; a storage read error is
  /// returned as is.
  static result<raw_node> create(const multi_config& c, Storage& storage, Quorum q, Rng rng = Rng{},
                                 Observer obs = Observer{}) {
    if (auto v = c.validate(); !v) return v.error();
    std::vector<node_id> members(q.voters().begin(), q.voters().end());
    std::sort(members.begin(), members.end());
    if (members.empty()) return make_error(errc::invalid_config, "multi-paxos: the quorum system has no members");
    for (node_id n : members)
      if (n == no_node || n.value() > multi_node_id_max)
        return make_error(errc::invalid_config, "multi-paxos: member ids must be in [1, 65535]", n);
    if (!std::binary_search(members.begin(), members.end(), c.id))
      return make_error(errc::invalid_config, "multi-paxos: this node is not a member", c.id);
    raw_node n(c, std::move(q), std::move(members), std::move(rng), std::move(obs));
    if (auto r = n.restore(storage); !r) return r.error();
    return n;
  }

  // ---- inputs --------------------------------------------------------------

  /// Handles one message. Errors: errc::malformed_message (counted reason in
  /// stats(), nothing changed) or errc::stale_term (a ballot below our
  /// promise: answered with a nack, nothing else changed).
  result<void> step(multi_message m) {
    auto r = step_message(m);
    recycle_entries(m.entries);
    return r;
  }

  /// One unit of logical time.
  void tick() {
    if (role_ == multi_role::leader) tick_leader();
    else tick_election();
  }

  /// Proposes one command; returns the slot it will have if chosen.
  /// errc::not_leader (naming the leader when known) unless this node leads
  /// with phase 1 done; errc::busy beyond uncommitted_bytes_max;
  /// errc::too_large beyond proposal_entries_max.
  result<log_index> propose(bytes data) { return propose_moved(std::span<bytes>(&data, 1)); }
  /// Proposes several commands at once (all or none); the last one's slot.
  result<log_index> propose(std::span<const bytes> batch) { return propose_batch(batch); }
  /// As propose(batch), but moves each buffer into the log instead of sharing
  /// it. On an error the batch is left as it was.
  result<log_index> propose_moved(std::span<bytes> batch) { return propose_batch(batch); }

  /// Starts a ballot now.
  result<void> campaign() {
    if (role_ == multi_role::leader) return make_error(errc::invalid_argument, "multi-paxos: already the leader");
    start_election();
    return success();
  }

  /// Forgets slots up to and including i (applied state machine checkpoint).
  /// errc::unavailable if i > applied(), errc::compacted if i < first_index() - 1,
  /// errc::invalid_argument if slot i is not yet handed for persistence.
  result<void> compact(log_index i) {
    if (i > applied_) return make_error(errc::unavailable, "multi-paxos: compact past the applied slot");
    if (i + 1 < first_) return make_error(errc::compacted, "multi-paxos: already compacted there");
    if (persist_from_ <= i) return make_error(errc::invalid_argument, "multi-paxos: slot not yet persisted");
    if (i >= mem_first_) {
      log_.drop_front(static_cast<std::size_t>(i + 1 - mem_first_), true);
      mem_first_ = i + 1;
    }
    first_ = i + 1;
    return success();
  }

  // ---- outputs -------------------------------------------------------------

  [[nodiscard]] bool has_ready() const {
    return entries_to_send_ || !msgs_.empty() || !after_.empty() || hs_changed() || persist_from_ <= last_index() ||
           applied_ < chosen_;
  }
  /// The next batch; valid until the next take_ready().
  multi_ready& take_ready() {
    trim_to(std::min(applied_, persist_from_ - 1), true);  // applied and persisted: the storage has them
    if (entries_to_send_) {
      entries_to_send_ = false;
      if (role_ == multi_role::leader) broadcast_accept(false);
    }
    multi_ready& r = ready_;
    r.number = ++batch_no_;
    r.messages.swap(msgs_);
    msgs_.clear();
    r.after_persist.swap(after_);
    after_.clear();
    batch b{r.number, log_index{}, log_index{}};
    r.entries = {};
    if (persist_from_ <= last_index()) {
      b.lo = persist_from_;
      b.hi = last_index();
      r.entries = std::span<const log_entry>(&at(b.lo), static_cast<std::size_t>(b.hi - b.lo) + 1);
      durable_ = std::min(durable_, b.lo - 1);
      persist_from_ = last_index() + 1;
    }
    r.has_hard_state = hs_changed();
    r.hs = current_hs();
    handed_hs_ = r.hs;
    r.committed = take_committed();
    pending_.push_back(b);
    return r;  // the slots applied here leave memory at the next take_ready(), once persisted

  }
  /// Every batch up to `number` is durable.
  void acknowledge(std::uint64_t number) {
    while (!pending_.empty() && pending_.front().number <= number) {
      if (pending_.front().hi != log_index{}) durable_ = std::max(durable_, pending_.front().hi);
      pending_.pop_front();
    }
    for (std::size_t k = 0; k < pending_.size(); ++k)
      if (pending_[k].hi != log_index{}) durable_ = std::min(durable_, pending_[k].lo - 1);
    if (role_ == multi_role::leader && maybe_choose()) broadcast_accept(true);
  }

  // ---- state ---------------------------------------------------------------

  [[nodiscard]] node_id id() const noexcept { return cfg_.id; }
  [[nodiscard]] multi_role role() const noexcept { return role_; }
  [[nodiscard]] ballot promised() const noexcept { return promised_; }
  [[nodiscard]] node_id leader() const noexcept { return leader_; }
  [[nodiscard]] log_index chosen() const noexcept { return chosen_; }
  /// The last slot handed out in `committed` (to be applied).
  [[nodiscard]] log_index applied() const noexcept { return applied_; }
  [[nodiscard]] log_index first_index() const noexcept { return first_; }
  [[nodiscard]] log_index last_index() const noexcept { return mem_first_ + log_.size() - 1; }
  /// The durable prefix of the log as far as this node knows.
  [[nodiscard]] log_index durable() const noexcept { return durable_; }
  /// The accepted entry at slot s if the node holds it in memory (every slot
  /// above applied(), and recent ones below), else nullptr; see entry().
  [[nodiscard]] const log_entry* entry_at(log_index s) const noexcept {
    return s >= mem_first_ && s <= last_index() ? &at(s) : nullptr;
  }
  /// The accepted entry at slot s, from memory or the storage; errc::compacted
  /// below first_index(), errc::unavailable past last_index().
  [[nodiscard]] result<log_entry> entry(log_index s) const {
    if (s < first_) return make_error(errc::compacted, "multi-paxos: slot compacted");
    if (s > last_index()) return make_error(errc::unavailable, "multi-paxos: slot past the log");
    if (s >= mem_first_) return at(s);
    std::vector<log_entry> one;
    if (auto r = storage_->entries(s, s + 1, 0, one); !r) return r.error();
    return one.front();
  }
  [[nodiscard]] const multi_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] const std::vector<node_id>& members() const noexcept { return members_; }
  [[nodiscard]] const Quorum& quorum() const noexcept { return q_; }
  [[nodiscard]] const multi_config& settings() const noexcept { return cfg_; }
  [[nodiscard]] Observer& observer() noexcept { return obs_; }
  /// A follower's progress as the leader sees it (nullptr if not leader).
  [[nodiscard]] const progress* progress_of(node_id n) const {
    return role_ == multi_role::leader ? find_progress(n) : nullptr;
  }

  static constexpr std::size_t apply_bytes_max = std::size_t{64} << 20;
  /// An accept starting at most this many slots past our log is taken out of
  /// order (the gap padded with empty slots); further ahead, only the hint is sent.
  static constexpr std::uint64_t gap_slots_max = 4096;

 private:
  template <class Buffer>
  result<log_index> propose_batch(std::span<Buffer> batch) {
    if (batch.empty()) return make_error(errc::invalid_argument, "multi-paxos: empty proposal");
    if (batch.size() > cfg_.proposal_entries_max)
      return refuse(errc::too_large, "multi-paxos: proposal has more entries than proposal_entries_max");
    if (role_ != multi_role::leader) {
      ++stats_.proposals_refused;
      return make_error(errc::not_leader, "multi-paxos: not the leader", leader_);
    }
    std::size_t bytes_in = 0;
    for (const bytes& b : batch) bytes_in += b.size();
    if (cfg_.uncommitted_bytes_max != 0 && uncommitted_bytes_ != 0 &&
        uncommitted_bytes_ + bytes_in > cfg_.uncommitted_bytes_max)
      return refuse(errc::busy, "multi-paxos: too many unchosen bytes; retry once slots are chosen");
    uncommitted_bytes_ += bytes_in;
    const term t = pack_ballot(promised_);
    log_index i = last_index();
    mark_dirty(i + 1);
    for (Buffer& b : batch) {
      if constexpr (std::is_const_v<Buffer>) log_.push_back(log_entry{++i, t, entry_kind::normal, b});
      else log_.push_back(log_entry{++i, t, entry_kind::normal, std::move(b)});
    }
    entries_to_send_ = true;  // sent with the next ready batch, shared by every proposal until then
    return i;
  }

  struct batch {
    std::uint64_t number = 0;
    log_index lo{}, hi{};  ///< slots written (hi == 0: none)
  };
  struct promise_state {
    node_id id{};
    log_index covered{};  ///< slots received up to here
    log_index commit{};   ///< the acceptor's chosen-up-to point
    bool complete = false;
    bool refused = false;
  };

  raw_node(const multi_config& c, Quorum q, std::vector<node_id> members, Rng rng, Observer obs)
      : cfg_(c), q_(std::move(q)), rng_(std::move(rng)), obs_(std::move(obs)), members_(std::move(members)) {
    for (node_id n : members_)
      if (n != cfg_.id)
        peers_.push_back(progress{n, {}, {}, raft::progress_state::probe, false, false, false, {},
                                  raft::inflights(cfg_.inflight_msgs_max, cfg_.inflight_bytes_max)});
    reset_election_timeout();
  }

  result<void> restore(const Storage& s) {
    const hard_state hs = s.load_hard_state();
    if (hs.term.value() >= multi_round_max)
      return make_error(errc::corrupted, "multi-paxos: stored promise has an absurd round");
    promised_ = ballot{hs.term.value(), hs.vote};
    highest_ = promised_;
    storage_ = &s;
    first_ = s.first_index();
    mem_first_ = first_;
    if (s.last_index() >= first_) {
      std::vector<log_entry> stored;
      if (auto r = s.entries(first_, s.last_index() + 1, std::numeric_limits<std::size_t>::max(), stored); !r)
        return r.error();
      for (auto& e : stored) log_.push_back(std::move(e));
    }
    for (std::size_t k = 0; k < log_.size(); ++k) highest_ = std::max(highest_, unpack_ballot(log_[k].term));
    chosen_ = std::min(std::max(hs.commit, first_ - 1), last_index());
    applied_ = first_ - 1;
    match_ = chosen_;
    extend_match();
    durable_ = last_index();
    persist_from_ = last_index() + 1;
    handed_hs_ = current_hs();
    return success();
  }

  // ---- the gate ------------------------------------------------------------

  result<void> reject(multi_reject why, const multi_message& m, errc code = errc::malformed_message) {
    ++stats_.rejected[static_cast<std::size_t>(why)];
    obs_.on_event(event{event_kind::message_rejected, cfg_.id, m.from, term{m.b.round}, m.index,
                        static_cast<std::uint64_t>(m.type), name_of(why)});
    return make_error(code, std::string("multi-paxos: rejected ") + std::string(name_of(m.type)) + ": " +
                                std::string(name_of(why)),
                      m.from);
  }
  error refuse(errc code, const char* why) {
    ++stats_.proposals_refused;
    return make_error(code, why, cfg_.id);
  }
  [[nodiscard]] bool is_member(node_id n) const noexcept {
    return std::binary_search(members_.begin(), members_.end(), n);
  }

  result<void> validate(const multi_message& m) {
    if (static_cast<std::uint8_t>(m.type) >= multi_type_count) return reject(multi_reject::malformed, m);
    if (m.to != cfg_.id) return reject(multi_reject::wrong_destination, m);
    if (m.from == cfg_.id || !is_member(m.from)) return reject(multi_reject::unknown_sender, m);
    if (m.b.round >= multi_round_max || m.promised.round >= multi_round_max)
      return reject(multi_reject::absurd_ballot, m);
    for (log_index i : {m.index, m.commit, m.last, m.hint})
      if (i.value() >= multi_slot_max) return reject(multi_reject::absurd_slot, m);
    switch (m.type) {
      case multi_type::prepare:
      case multi_type::heartbeat:
        if (m.b.node != m.from || !m.entries.empty()) return reject(multi_reject::malformed, m);
        return success();
      case multi_type::accept:
        if (m.b.node != m.from) return reject(multi_reject::malformed, m);
        if (m.index > last_index() + cfg_.slots_ahead_max) return reject(multi_reject::index_past_end, m);
        return validate_entries(m);
      case multi_type::promise:
        if (m.b.node != cfg_.id) return reject(multi_reject::malformed, m);
        if (m.reject ? !m.entries.empty() : (m.entries.empty() && m.index < m.last))
          return reject(multi_reject::malformed, m);
        if (!m.entries.empty() && m.entries.back().index > m.last) return reject(multi_reject::malformed, m);
        return validate_entries(m);
      case multi_type::nack:
        if (m.b.node != cfg_.id || m.promised <= m.b || !m.entries.empty()) return reject(multi_reject::malformed, m);
        return success();
      default:
        if (m.b.node != cfg_.id || !m.entries.empty()) return reject(multi_reject::malformed, m);
        return success();
    }
  }

  result<void> validate_entries(const multi_message& m) {
    if (m.entries.size() > cfg_.proposal_entries_max) return reject(multi_reject::oversized, m);
    const term top = pack_ballot(m.b);
    std::size_t total = 0;
    for (std::size_t k = 0; k < m.entries.size(); ++k) {
      const log_entry& e = m.entries[k];
      total += e.accounted_bytes();
      if (e.index != m.index + (k + 1) || e.kind != entry_kind::normal || e.term > top)
        return reject(multi_reject::malformed, m);
      if (e.term == top) continue;  // the common case: the sender's own ballot
      // An empty slot (term 0, no payload) appears only in promises.
      const bool empty_slot = e.term == term{};
      if (empty_slot ? (m.type != multi_type::promise || !e.data.empty()) : !is_member(unpack_ballot(e.term).node))
        return reject(multi_reject::malformed, m);
      // An accept carries older ballots only for slots already chosen.
      if (m.type == multi_type::accept && e.index > m.commit) return reject(multi_reject::malformed, m);
    }
    if (m.entries.size() > 1 && total > 2 * cfg_.msg_bytes_max) return reject(multi_reject::oversized, m);
    return success();
  }

  // ---- dispatch ------------------------------------------------------------

  result<void> step_message(multi_message& m) {
    ++stats_.steps;
    if (auto gate = validate(m); !gate) return gate;
    switch (m.type) {
      case multi_type::prepare: return handle_prepare(m);
      case multi_type::accept:
      case multi_type::heartbeat: return handle_from_leader(m);
      case multi_type::nack: handle_nack(m); return success();
      default: break;
    }
    if (m.b != promised_ || role_ == multi_role::follower) return success();  // a late answer to an old ballot
    switch (m.type) {
      case multi_type::promise:
        if (role_ == multi_role::candidate) handle_promise(m);
        return success();
      case multi_type::accept_response: return handle_accept_response(m);
      case multi_type::heartbeat_response: handle_heartbeat_response(m); return success();
      default: return success();
    }
  }

  // ---- acceptor --------------------------------------------------------------

  /// Whether a prepare from `from` would depose a leader we heard from recently.
  [[nodiscard]] bool in_lease(node_id from) const noexcept {
    return cfg_.check_quorum && leader_ != no_node && leader_ != from && election_elapsed_ < cfg_.election_ticks;
  }

  result<void> refuse_stale(const multi_message& m) {
    multi_message r = out(multi_type::nack, m.from);
    r.b = m.b;
    r.promised = promised_;
    send_now(std::move(r));
    return reject(multi_reject::stale_ballot, m, errc::stale_term);
  }

  /// Binds this node to ballot b (as a follower of `leader`, if known).
  void adopt_ballot(ballot b, node_id leader) {
    promised_ = b;
    highest_ = std::max(highest_, b);
    become_follower(leader);
    match_ = chosen_;
  }

  result<void> handle_prepare(const multi_message& m) {
    if (m.b < promised_) return refuse_stale(m);
    if (m.b > promised_) {
      if (in_lease(m.from)) return reject(multi_reject::in_lease, m, errc::stale_term);
      adopt_ballot(m.b, no_node);
    }
    multi_message r = out(multi_type::promise, m.from);
    r.b = m.b;
    r.index = m.index;
    r.commit = chosen_;
    r.last = last_index();
    if (m.index < last_index()) {
      if (m.index + 1 < first_) r.reject = true;  // compacted: a snapshot would be needed
      else fill_entries(m.index + 1, r.entries);
    }
    send_after_persist(std::move(r));  // a promise vouches for a durable promised ballot
    return success();
  }

  result<void> handle_from_leader(multi_message& m) {
    if (m.b < promised_) return refuse_stale(m);
    if (m.b > promised_) adopt_ballot(m.b, m.from);
    set_leader(m.from);
    election_elapsed_ = 0;
    extend_match();
    if (m.type == multi_type::heartbeat) {
      maybe_learn(m.commit);
      multi_message r = out(multi_type::heartbeat_response, m.from);
      r.b = m.b;
      send_now(std::move(r));
      return success();
    }
    multi_message r = out(multi_type::accept_response, m.from);
    r.b = m.b;
    if (m.index > match_) {
      // A gap below these slots (lost or reordered accepts): accept what came
      // (Paxos acceptors take slots in any order; missing ones stay empty)
      // and ask the leader to resend from our in-sync point.
      if (m.index <= last_index() + gap_slots_max) accept_entries(m);
      r.reject = true;
      r.index = m.index;
      r.hint = match_;
      send_now(std::move(r));
      return success();
    }
    accept_entries(m);
    maybe_learn(m.commit);
    r.index = match_;
    send_after_persist(std::move(r));  // an acceptance vouches for durable values
    return success();
  }
  /// Writes the accept's slots (not those already chosen, nor those already
  /// holding a value of the same ballot), padding a gap before them with
  /// empty slots (term 0: nothing accepted), then moves `match`.
  void accept_entries(multi_message& m) {
    while (last_index() < m.index) {
      mark_dirty(last_index() + 1);
      log_.push_back(log_entry{last_index() + 1, term{}, entry_kind::normal, bytes{}});
    }
    for (log_entry& e : m.entries) {
      const log_index s = e.index;
      if (s <= chosen_) continue;
      if (s <= last_index()) {
        log_entry& cur = at(s);
        if (cur.term == e.term) continue;  // one value per slot per ballot: already have it
        cur = std::move(e);
      } else {
        log_.push_back(std::move(e));
      }
      mark_dirty(s);
    }
    if (!m.entries.empty() && m.index <= match_) match_ = std::max(match_, m.index + m.entries.size());
    extend_match();
  }

  /// Slots holding a value of the promised ballot hold that leader's values:
  /// `match` covers them (those accepted out of order, and after a restart,
  /// which forgets `match`, everything this node had acknowledged).
  void extend_match() {
    match_ = std::max(match_, chosen_);
    const term t = pack_ballot(promised_);
    while (match_ < last_index() && at(match_ + 1).term == t) ++match_;
  }

  void maybe_learn(log_index commit) {
    const log_index c = std::min(commit, match_);
    if (c <= chosen_) return;
    chosen_ = c;
    obs_.on_event(event{event_kind::entries_committed, cfg_.id, leader_, term{promised_.round}, chosen_, 0, {}});
  }

  /// Outbid: a candidate backs off (its randomized timeout retries later); a
  /// leader runs phase 1 again at once with a higher ballot, which its
  /// followers accept (they refuse other candidates while it is live).
  void handle_nack(const multi_message& m) {
    highest_ = std::max(highest_, m.promised);
    if (m.b != promised_) return;
    if (role_ == multi_role::leader) start_election();
    else if (role_ == multi_role::candidate) become_follower(no_node);
  }

  // ---- candidate -------------------------------------------------------------

  void start_election() {
    ++stats_.elections_started;
    promised_ = ballot{std::max(promised_.round, highest_.round) + 1, cfg_.id};
    highest_ = promised_;
    set_role(multi_role::candidate);
    set_leader(no_node);
    election_elapsed_ = 0;
    reset_election_timeout();
    start_ = chosen_;
    recovered_.clear();
    recovered_last_ = last_index();
    for (log_index s = start_ + 1; s <= last_index(); ++s) merge_recovered(at(s));
    promises_.clear();
    for (const auto& p : peers_) promises_.push_back(promise_state{p.id, start_, {}, false, false});
    if (tally() == quorum::vote_result::won) {
      become_leader();
      return;
    }
    for (const auto& p : peers_) {
      multi_message m = out(multi_type::prepare, p.id);
      m.b = promised_;
      m.index = start_;
      send_after_persist(std::move(m));  // our own promise is durable before we ask for others
    }
  }

  void merge_recovered(const log_entry& e) {
    const auto k = static_cast<std::size_t>(e.index - start_) - 1;
    if (recovered_.size() <= k) recovered_.resize(k + 1);
    if (e.term > recovered_[k].term) recovered_[k] = e;
  }

  void handle_promise(const multi_message& m) {
    promise_state* p = find_promise(m.from);
    if (p == nullptr || p->complete || p->refused) return;
    if (m.reject) {
      p->refused = true;
    } else {
      if (m.index != p->covered) return;  // a duplicate or an old page
      for (const log_entry& e : m.entries) merge_recovered(e);
      p->commit = m.commit;
      if (m.entries.empty() || m.entries.back().index >= m.last) {
        p->complete = true;
        recovered_last_ = std::max(recovered_last_, m.last);
      } else {
        p->covered = m.entries.back().index;
        multi_message next = out(multi_type::prepare, m.from);
        next.b = promised_;
        next.index = p->covered;
        send_now(std::move(next));
        return;
      }
    }
    const auto outcome = tally();
    if (outcome == quorum::vote_result::won) become_leader();
    else if (outcome == quorum::vote_result::lost) become_follower(no_node);
  }

  [[nodiscard]] quorum::vote_result tally() const {
    return q_.result_of([this](node_id n) {
      if (n == cfg_.id) return 1;
      for (const auto& p : promises_)
        if (p.id == n) return p.complete ? 1 : p.refused ? -1 : 0;
      return 0;
    });
  }
  promise_state* find_promise(node_id n) {
    for (auto& p : promises_)
      if (p.id == n) return &p;
    return nullptr;
  }

  // ---- leader ----------------------------------------------------------------

  void become_leader() {
    set_role(multi_role::leader);
    set_leader(cfg_.id);
    const term t = pack_ballot(promised_);
    const log_index top = std::max(recovered_last_, last_index());
    if (top > start_) mark_dirty(start_ + 1);
    for (log_index s = start_ + 1; s <= top; ++s) {
      const auto k = static_cast<std::size_t>(s - start_) - 1;
      log_entry v = k < recovered_.size() && recovered_[k].term != term{} ? recovered_[k] : log_entry{};
      if (v.term == term{}) ++stats_.gaps_filled;
      else ++stats_.slots_recovered;
      v.index = s;
      v.term = t;
      v.kind = entry_kind::normal;
      if (s <= last_index()) at(s) = std::move(v);
      else log_.push_back(std::move(v));
    }
    recovered_.clear();
    recovered_.shrink_to_fit();
    mark_dirty(last_index() + 1);
    log_.push_back(log_entry{last_index() + 1, t, entry_kind::normal, bytes{}});  // this leadership's no-op
    heartbeat_elapsed_ = 0;
    election_elapsed_ = 0;
    uncommitted_bytes_ = 0;
    for (auto& p : peers_) {
      const promise_state* ps = find_promise(p.id);
      p.match = log_index{};
      p.next = ps != nullptr && ps->complete ? ps->commit + 1 : last_index() + 1;
      p.state = raft::progress_state::probe;
      p.probe_sent = false;
      p.recent_active = true;
      p.window.reset();
    }
    promises_.clear();
    if (peers_.empty()) (void)maybe_choose();
    broadcast_accept(true);
  }

  result<void> handle_accept_response(const multi_message& m) {
    progress* pr = find_progress(m.from);
    if (pr == nullptr) return success();
    pr->recent_active = true;
    if (m.index > last_index() || m.hint > last_index()) return reject(multi_reject::index_past_end, m);
    if (m.reject) {
      if (pr->maybe_decrease_to(m.index, m.hint)) {
        if (pr->state == raft::progress_state::replicate) pr->become_probe();
        send_accept(*pr, true);
      }
      return success();
    }
    handle_accept_success(*pr, m.index);
    return success();
  }

  void handle_accept_success(progress& pr, log_index index) {
    const bool was_paused = pr.paused();
    if (!pr.maybe_update(index)) {
      if (pr.state == raft::progress_state::replicate) pr.window.free_le(index);
      return;
    }
    if (pr.state == raft::progress_state::probe) pr.become_replicate();
    else pr.window.free_le(index);
    if (maybe_choose()) {
      broadcast_accept(true);
    } else {
      if (was_paused) send_accept(pr, true);
      send_more(pr);
    }
  }

  void handle_heartbeat_response(const multi_message& m) {
    progress* pr = find_progress(m.from);
    if (pr == nullptr) return;
    pr->recent_active = true;
    pr->probe_sent = false;
    if (pr->state == raft::progress_state::replicate && pr->window.full()) pr->window.free_first_one();
    if (pr->match < last_index()) send_accept(*pr, true);
  }

  void send_more(progress& pr) {
    while (pr.next <= last_index() && send_accept(pr, false)) {
    }
  }

  /// Sends an accept to one follower; false if paused or nothing to send.
  bool send_accept(progress& pr, bool send_if_empty) {
    if (pr.paused()) return false;
    if (pr.next < first_) {  // the follower needs compacted slots: a snapshot (not yet implemented)
      pr.state = raft::progress_state::snapshot;
      obs_.on_event(event{event_kind::custom, cfg_.id, pr.id, term{promised_.round}, pr.next, 0, "needs snapshot"});
      return false;
    }
    multi_message m = out(multi_type::accept, pr.id);
    m.b = promised_;
    m.index = pr.next - 1;
    m.commit = chosen_;
    std::size_t bytes_out = 0;
    if (pr.next <= last_index()) bytes_out = fill_entries(pr.next, m.entries);
    if (m.entries.empty() && !send_if_empty) {
      recycle_entries(m.entries);
      return false;
    }
    pr.sent(m.entries.empty() ? m.index : m.entries.back().index, bytes_out, !m.entries.empty());
    send_now(std::move(m));
    return true;
  }

  void broadcast_accept(bool send_if_empty) {
    for (auto& p : peers_) {
      if (send_if_empty) send_accept(p, true);
      send_more(p);
    }
  }

  bool maybe_choose() {
    const log_index ci = q_.committed_index([this](node_id n) {
      if (n == cfg_.id) return durable_;
      const progress* p = find_progress(n);
      return p != nullptr ? p->match : log_index{};
    });
    if (ci <= chosen_) return false;
    const log_index before = chosen_;
    chosen_ = std::min(ci, last_index());
    obs_.on_event(event{event_kind::entries_committed, cfg_.id, no_node, term{promised_.round}, chosen_,
                        chosen_ - before, {}});
    return true;
  }

  void tick_leader() {
    if (++heartbeat_elapsed_ >= cfg_.heartbeat_ticks) {
      heartbeat_elapsed_ = 0;
      for (auto& p : peers_) {
        multi_message m = out(multi_type::heartbeat, p.id);
        m.b = promised_;
        m.commit = std::min(p.match, chosen_);
        send_now(std::move(m));
      }
    }
    if (++election_elapsed_ >= cfg_.election_ticks) {
      election_elapsed_ = 0;
      if (cfg_.check_quorum) {
        const auto active = detail::phase2_vote(q_, [this](node_id n) {
          if (n == cfg_.id) return 1;
          const progress* p = find_progress(n);
          return p != nullptr && p->recent_active ? 1 : -1;
        });
        for (auto& p : peers_) p.recent_active = false;
        if (active != quorum::vote_result::won) become_follower(no_node);
      }
    }
  }

  // ---- shared ----------------------------------------------------------------

  void tick_election() {
    if (++election_elapsed_ >= randomized_timeout_) start_election();
  }

  void become_follower(node_id leader) {
    set_role(multi_role::follower);
    set_leader(leader);
    election_elapsed_ = 0;
    reset_election_timeout();
    promises_.clear();
    recovered_.clear();
  }

  void set_role(multi_role r) {
    if (r == role_) return;
    role_ = r;
    obs_.on_event(event{event_kind::role_changed, cfg_.id, no_node, term{promised_.round}, {},
                        static_cast<std::uint64_t>(r), {}});
  }
  void set_leader(node_id l) {
    if (l == leader_) return;
    leader_ = l;
    obs_.on_event(event{event_kind::leader_changed, cfg_.id, l, term{promised_.round}, {}, 0, {}});
  }
  void reset_election_timeout() {
    randomized_timeout_ = cfg_.election_ticks + uniform_below(rng_, cfg_.election_ticks);
  }

  progress* find_progress(node_id n) {
    for (auto& p : peers_)
      if (p.id == n) return &p;
    return nullptr;
  }
  const progress* find_progress(node_id n) const {
    for (const auto& p : peers_)
      if (p.id == n) return &p;
    return nullptr;
  }

  log_entry& at(log_index s) { return log_[static_cast<std::size_t>(s - mem_first_)]; }
  const log_entry& at(log_index s) const { return log_[static_cast<std::size_t>(s - mem_first_)]; }

  /// Forgets the slots up to `limit` from memory (applied and persisted).
  void trim_to(log_index limit, bool may_move) {
    const auto n = limit < mem_first_ ? std::size_t{0} : static_cast<std::size_t>(limit + 1 - mem_first_);
    log_.drop_front(n, may_move);
    if (n == 0) return;
    mem_first_ = limit + 1;
  }
  void mark_dirty(log_index s) { persist_from_ = std::min(persist_from_, s); }

  /// Copies slots [from, ...] into out, at most msg_bytes_max (at least one);
  /// the bytes. Slots no longer in memory come from the storage (a storage
  /// error ends the copy early; the caller sends what it got, or nothing).
  std::size_t fill_entries(log_index from, std::vector<log_entry>& out) {
    std::size_t total = 0;
    if (from < mem_first_) {
      if (!storage_->entries(from, std::min(mem_first_, last_index() + 1), cfg_.msg_bytes_max, out)) return 0;
      for (const auto& e : out) total += e.accounted_bytes();
      if (out.empty() || out.back().index + 1 < mem_first_ || total >= cfg_.msg_bytes_max) return total;
      from = mem_first_;
    }
    std::size_t n = 0;
    for (log_index s = from; s <= last_index(); ++s, ++n) {
      const log_entry& e = at(s);
      if ((!out.empty() || n != 0) && total + e.accounted_bytes() > cfg_.msg_bytes_max) break;
      total += e.accounted_bytes();
    }
    if (n != 0) append_shared(log_.range(static_cast<std::size_t>(from - mem_first_), n), out);
    return total;
  }

  /// Hands out chosen slots up to apply_bytes_max (at least one), as a view
  /// of the log: they stay in memory until the next take_ready().
  std::span<const log_entry> take_committed() {
    if (applied_ >= chosen_) return {};
    const log_entry* first = &at(applied_ + 1);
    std::size_t total = 0, n = 0, payload = 0;
    while (applied_ < chosen_) {
      const log_entry& e = at(applied_ + 1);
      if (n != 0 && total + e.accounted_bytes() > apply_bytes_max) break;
      total += e.accounted_bytes();
      payload += e.data.size();
      ++n;
      ++applied_;
    }
    if (role_ == multi_role::leader) uncommitted_bytes_ = payload >= uncommitted_bytes_ ? 0 : uncommitted_bytes_ - payload;
    return {first, n};
  }

  /// Entry buffers circulate instead of being allocated per message (as in
  /// raft::raw_node): a stepped message's buffer is kept for the next one built.
  static constexpr std::size_t spare_buffers_max = 32;
  static constexpr std::size_t spare_buffer_entries_max = 1 << 14;
  void recycle_entries(std::vector<log_entry>& v) {
    if (v.capacity() == 0 || v.capacity() > spare_buffer_entries_max || spare_entries_.size() >= spare_buffers_max)
      return;
    v.clear();
    spare_entries_.push_back(std::move(v));
  }
  multi_message out(multi_type t, node_id to) {
    multi_message m;
    if (!spare_entries_.empty()) {  // responses carry the buffer back to the leader, empty
      m.entries = std::move(spare_entries_.back());
      spare_entries_.pop_back();
    }
    m.type = t;
    m.from = cfg_.id;
    m.to = to;
    return m;
  }
  void send_now(multi_message&& m) { msgs_.push_back(std::move(m)); }
  void send_after_persist(multi_message&& m) { after_.push_back(std::move(m)); }

  [[nodiscard]] hard_state current_hs() const { return hard_state{term{promised_.round}, promised_.node, chosen_}; }
  [[nodiscard]] bool hs_changed() const { return current_hs() != handed_hs_; }

  multi_config cfg_;
  Quorum q_;
  Rng rng_;
  Observer obs_;
  std::vector<node_id> members_;
  std::vector<progress> peers_;
  detail::slot_window log_;  ///< slots [mem_first_, last_index()]
  const Storage* storage_ = nullptr;  ///< read back slots trimmed from memory
  log_index first_{1};      ///< the compaction point + 1
  log_index mem_first_{1};  ///< log_ holds [mem_first_, last_index()]
  multi_role role_ = multi_role::follower;
  ballot promised_{};
  ballot highest_{};  ///< the highest ballot seen anywhere
  node_id leader_{};
  log_index chosen_{};
  log_index applied_{};
  log_index match_{};
  log_index durable_{};
  log_index persist_from_{1};
  // candidate state
  log_index start_{};
  log_index recovered_last_{};
  std::vector<log_entry> recovered_;  ///< slot start_ + 1 + k: the highest-ballot value seen
  std::vector<promise_state> promises_;
  std::uint32_t election_elapsed_ = 0;
  std::uint32_t heartbeat_elapsed_ = 0;
  std::uint64_t randomized_timeout_ = 0;
  std::size_t uncommitted_bytes_ = 0;
  bool entries_to_send_ = false;
  hard_state handed_hs_{};
  std::uint64_t batch_no_ = 0;
  ring_queue<batch> pending_;
  std::vector<multi_message> msgs_;
  std::vector<multi_message> after_;
  std::vector<std::vector<log_entry>> spare_entries_;
  multi_ready ready_;
  multi_stats stats_;
};

}  // namespace cohort::paxos
