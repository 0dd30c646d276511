// cohort/raft/raw_node.hpp - the Raft core as a pure state machine.
//
// Inputs: step(message), tick(), propose(...), campaign(), acknowledge(n).
// Outputs: numbered `ready` batches taken with take_ready(), which the driver
// acts on in this order:
//   1. append `entries` and save `hs` (if has_hard_state) to its log_storage;
//   2. send `messages` now (they depend on nothing unwritten);
//   3. make the writes durable (sync, or an asynchronous sync);
//   4. once durable: send `after_persist` (votes and acknowledgements that
//      promise durable state), apply `committed` in order, and call
//      acknowledge(number).
// Batches may be taken before earlier ones are acknowledged (asynchronous
// storage); acknowledge(n) covers every batch up to n. `committed` entries
// are always durable locally before they are handed out.
//
// Structure (after etcd-raft's raft.go): step() passes every message through
// one validation gate (unknown sender, wrong destination, absurd term,
// malformed or oversized entries: counted, rejected, nothing changes), then
// the term rules common to all roles, then one step function per role,
// swapped by become_*(). Ticks drive elections and heartbeats. Randomness
// (election timeouts) comes only from the `rng` policy.
//
// Invariants (checked in debug builds and by the simulation tests):
//   - at most one vote per term, persisted before it is announced;
//   - a leader's log contains every committed entry (leader completeness);
//   - committed only advances, and only by counting replicas of an entry of
//     the current term (§5.4.2);
//   - the leader counts its own log only once durable.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "cohort/core/concepts.hpp"
#include "cohort/core/ring_queue.hpp"
#include "cohort/core/random.hpp"
#include "cohort/core/result.hpp"
#include "cohort/quorum/majority.hpp"
#include "cohort/raft/config.hpp"
#include "cohort/raft/log.hpp"
#include "cohort/raft/message.hpp"
#include "cohort/raft/progress.hpp"

namespace cohort::raft {

enum class role : std::uint8_t { follower, pre_candidate, candidate, leader };

constexpr std::string_view name_of(role r) noexcept {
  switch (r) {
    case role::follower: return "follower";
    case role::pre_candidate: return "pre_candidate";
    case role::candidate: return "candidate";
    case role::leader: return "leader";
  }
  return "unknown";
}

/// Why a message was refused at the gate (or by a role); each is counted.
enum class reject_reason : std::uint8_t {
  wrong_destination,
  unknown_sender,
  absurd_term,
  malformed,            ///< entries not contiguous, terms out of order, bad type
  oversized,            ///< more bytes or entries than the limits allow
  stale_term,
  index_past_end,       ///< acknowledges entries the leader never had
  conflicts_committed,  ///< would truncate committed entries
  in_lease,             ///< vote request while a leader is known and heard from recently
  unsupported,          ///< a message type this version does not handle yet
  count_
};
inline constexpr std::size_t reject_reason_count = static_cast<std::size_t>(reject_reason::count_);

constexpr std::string_view name_of(reject_reason r) noexcept {
  constexpr std::array<std::string_view, reject_reason_count> names{
      "wrong_destination", "unknown_sender", "absurd_term", "malformed",      "oversized",
      "stale_term",        "index_past_end", "conflicts_committed", "in_lease", "unsupported"};
  const auto i = static_cast<std::size_t>(r);
  return i < names.size() ? names[i] : "unknown";
}

struct node_stats {
  std::array<std::uint64_t, reject_reason_count> rejected{};
  std::uint64_t steps = 0;
  std::uint64_t proposals_refused = 0;
  std::uint64_t elections_started = 0;
  [[nodiscard]] std::uint64_t rejected_total() const noexcept {
    std::uint64_t t = 0;
    for (auto v : rejected) t += v;
    return t;
  }
};

/// One batch of outputs (see the header comment for what to do with it).
/// `entries` and `committed` view the node's own log: persist and apply them
/// (or copy them) before the next call into the node, which may move them.
struct ready {
  std::uint64_t number = 0;
  bool has_hard_state = false;
  hard_state hs{};
  std::span<const log_entry> entries;
  std::vector<message> messages;
  std::vector<message> after_persist;
  std::span<const log_entry> committed;

  [[nodiscard]] bool empty() const noexcept {
    return !has_hard_state && entries.empty() && messages.empty() && after_persist.empty() && committed.empty();
  }
};

template <log_storage Storage, rng Rng = xoshiro256ss, observer Observer = null_observer>
class raw_node {
 public:
  /// A node over `storage` (which must outlive it). errc::invalid_config if
  /// the config is invalid or names no voters for an empty storage.
  static result<raw_node> create(const config& c, Storage& storage, Rng rng = Rng{}, Observer obs = Observer{}) {
    if (auto v = c.validate(); !v) return v.error();
    std::vector<node_id> voters = c.voters;
    if (auto sn = snapshot_config(storage); !sn.empty()) voters = sn;
    if (voters.empty()) return make_error(errc::invalid_config, "raft: no voters in the config or the storage");
    return raw_node(c, storage, std::move(voters), std::move(rng), std::move(obs));
  }

  // ---- inputs --------------------------------------------------------------

  /// Handles one message from a peer. Errors: errc::malformed_message or
  /// errc::stale_term (with the counted reason in stats()); nothing changed.
  result<void> step(message m) {
    auto r = step_message(m);
    recycle_entries(m.entries);
    return r;
  }

  /// One unit of logical time: elections and heartbeats are counted in ticks.
  void tick() {
    if (role_ == role::leader) tick_leader();
    else tick_election();
  }

  /// Proposes one command; returns the index it will have if committed.
  /// errc::not_leader (with the leader's id when known) on a non-leader,
  /// unless forward_proposals is set and a leader is known (then it is sent
  /// there and log_index{0} is returned); errc::busy beyond the uncommitted
  /// byte limit.
  result<log_index> propose(bytes data) { return propose_moved(std::span<bytes>(&data, 1)); }
  /// Proposes several commands at once (all or none).
  result<log_index> propose(std::span<const bytes> batch) { return propose_batch(batch); }
  /// As propose(batch), but moves each buffer into the log instead of sharing
  /// it (one reference-count update less per entry). On an error the batch is
  /// left as it was.
  result<log_index> propose_moved(std::span<bytes> batch) { return propose_batch(batch); }

  /// Starts an election now (pre-vote first if configured).
  result<void> campaign() {
    if (role_ == role::leader) return make_error(errc::invalid_argument, "already the leader");
    if (!voters_.contains(cfg_.id)) return make_error(errc::invalid_argument, "not a voter");
    start_election(cfg_.pre_vote);
    return success();
  }

  // ---- outputs -------------------------------------------------------------

  [[nodiscard]] bool has_ready() const {
    return entries_to_send_ || commit_to_send_ || !msgs_.empty() || !after_.empty() || hs_changed() || log_.handed() < log_.last_index() ||
           log_.has_committed_to_apply();
  }
  /// The next batch; valid until the next take_ready(). Its number is
  /// acknowledged with acknowledge() once its writes are durable.
  ready& take_ready() {
    if (entries_to_send_ || commit_to_send_) {
      const bool commit_news = commit_to_send_;
      entries_to_send_ = commit_to_send_ = false;
      if (role_ == role::leader) broadcast_append(commit_news);
    }
    ready& r = ready_;
    r.number = ++batch_no_;
    r.messages.swap(msgs_);
    msgs_.clear();
    r.after_persist.swap(after_);
    after_.clear();
    // The previous batch's committed view is done with: applied entries may
    // leave memory now, before r.entries views it.
    log_.end_apply();
    auto c = log_.take_committed(apply_bytes_max);
    r.committed = c ? *c : std::span<const log_entry>{};  // reads of our own log cannot fail here
    if (role_ == role::leader) release_uncommitted(r.committed);
    const auto es = log_.take_unpersisted();
    r.entries = es;
    r.has_hard_state = hs_changed();
    r.hs = current_hs();
    if (r.has_hard_state) handed_hs_ = r.hs;
    pending_.push_back(batch{r.number, es.empty() ? log_index{} : es.back().index, es.empty() ? term{} : es.back().term});
    return r;
  }
  /// Every batch up to `number` is durable.
  void acknowledge(std::uint64_t number) {
    while (!pending_.empty() && pending_.front().number <= number) {
      const batch b = pending_.front();
      pending_.pop_front();
      if (b.last != log_index{}) log_.stable_to(b.last, b.last_term);
    }
    if (role_ == role::leader && maybe_commit()) commit_to_send_ = true;
  }

  // ---- state ---------------------------------------------------------------

  [[nodiscard]] node_id id() const noexcept { return cfg_.id; }
  [[nodiscard]] raft::role role() const noexcept { return role_; }
  [[nodiscard]] term current_term() const noexcept { return term_; }
  [[nodiscard]] node_id voted_for() const noexcept { return vote_; }
  [[nodiscard]] node_id leader() const noexcept { return leader_; }
  [[nodiscard]] log_index committed() const noexcept { return log_.committed(); }
  [[nodiscard]] log_index applied() const noexcept { return log_.applied(); }
  [[nodiscard]] log_index last_index() const { return log_.last_index(); }
  [[nodiscard]] const raft_log<Storage>& log() const noexcept { return log_; }
  [[nodiscard]] const node_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] const quorum::majority_config& voters() const noexcept { return voters_; }
  [[nodiscard]] const config& settings() const noexcept { return cfg_; }
  /// The observer policy, so a driver can report its own events (storage
  /// written and durable, entries applied) through the same sink.
  [[nodiscard]] Observer& observer() noexcept { return obs_; }
  /// A follower's progress as the leader sees it (nullptr if not leader or unknown).
  [[nodiscard]] const progress* progress_of(node_id id) const {
    return role_ == role::leader ? find_progress(id) : nullptr;
  }

  static constexpr std::size_t apply_bytes_max = std::size_t{64} << 20;

 private:
  result<void> step_message(message& m) {
    ++stats_.steps;
    if (auto gate = validate(m); !gate) return gate;
    if (m.term > term_) {
      if (auto r = on_higher_term(m); !r) return r;
    } else if (m.term < term_) {
      return on_lower_term(m);
    }
    switch (m.type) {
      case message_type::vote:
      case message_type::pre_vote: handle_vote_request(m); return success();
      default: break;
    }
    switch (role_) {
      case role::follower: return step_follower(m);
      case role::pre_candidate:
      case role::candidate: return step_candidate(m);
      case role::leader: return step_leader(m);
    }
    return success();
  }

  struct batch {
    std::uint64_t number;
    log_index last;
    term last_term;
  };

  raw_node(const config& c, Storage& s, std::vector<node_id> voters, Rng rng, Observer obs)
      : cfg_(c), rng_(std::move(rng)), obs_(std::move(obs)), log_(s), voters_(std::move(voters)) {
    const hard_state hs = s.load_hard_state();
    term_ = hs.term;
    vote_ = hs.vote;
    handed_hs_ = current_hs();
    for (node_id v : voters_.voters())
      if (v != cfg_.id) peers_.push_back(progress{v, {}, {}, progress_state::probe, false, false, false, {},
                                                  inflights(cfg_.inflight_msgs_max, cfg_.inflight_bytes_max)});
    reset_election_timeout();
  }

  static std::vector<node_id> snapshot_config(const Storage& s) {
    if constexpr (snapshot_log_storage<Storage>) {
      auto sn = s.snapshot();
      if (sn && !sn->meta.config.voters.empty()) return sn->meta.config.voters;
    }
    return {};
  }

  // ---- the gate ------------------------------------------------------------

  result<void> reject(reject_reason why, const message& m, errc code = errc::malformed_message) {
    ++stats_.rejected[static_cast<std::size_t>(why)];
    obs_.on_event(event{event_kind::message_rejected, cfg_.id, m.from, m.term, m.index,
                        static_cast<std::uint64_t>(m.type), name_of(why)});
    return make_error(code, std::string("raft: rejected ") + std::string(name_of(m.type)) + ": " +
                                std::string(name_of(why)),
                      m.from);
  }
  error refuse(errc code, const char* why) {
    ++stats_.proposals_refused;
    return make_error(code, why, cfg_.id);
  }

  [[nodiscard]] bool is_member(node_id n) const noexcept { return voters_.contains(n); }

  result<void> validate(const message& m) {
    if (static_cast<std::uint8_t>(m.type) >= message_type_count) return reject(reject_reason::malformed, m);
    if (m.to != cfg_.id) return reject(reject_reason::wrong_destination, m);
    if (m.from == cfg_.id || !is_member(m.from)) return reject(reject_reason::unknown_sender, m);
    if (m.term.value() >= config::term_max) return reject(reject_reason::absurd_term, m);
    switch (m.type) {
      case message_type::append: return validate_entries(m, true);
      case message_type::propose: return validate_entries(m, false);
      case message_type::snapshot:
      case message_type::timeout_now: return reject(reject_reason::unsupported, m);
      default:
        if (!m.entries.empty()) return reject(reject_reason::malformed, m);
        return success();
    }
  }
  result<void> validate_entries(const message& m, bool indexed) {
    if (!indexed && m.entries.size() > cfg_.proposal_entries_max) return reject(reject_reason::oversized, m);
    // One pass, one branch: every entry's flaws are or-ed into one word.
    // Indexes must follow m.index one by one; terms must not decrease from
    // m.log_term on, so checking the last one against m.term covers all.
    std::uint64_t flaws = 0;
    std::size_t payload = 0;
    constexpr auto kind_max = static_cast<std::uint8_t>(entry_kind::config);
    if (indexed) {
      std::uint64_t want = m.index.value();
      std::uint64_t prev = m.log_term.value();
      for (const log_entry& e : m.entries) {
        payload += e.data.size();
        flaws |= e.index.value() ^ ++want;
        flaws |= static_cast<std::uint64_t>(e.term.value() < prev);
        flaws |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(e.kind) > kind_max);
        prev = e.term.value();
      }
      flaws |= static_cast<std::uint64_t>(prev > m.term.value());  // the last entry's term, or m.log_term
    } else {
      for (const log_entry& e : m.entries) {
        payload += e.data.size();
        flaws |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(e.kind) > kind_max);
      }
    }
    const std::size_t total = payload + m.entries.size() * log_entry::overhead_bytes;
    if (flaws != 0) return reject(reject_reason::malformed, m);
    validated_bytes_ = total;
    // The leader sends at most msg_bytes_max, or a single larger entry.
    if (m.entries.size() > 1 && total > 2 * cfg_.msg_bytes_max) return reject(reject_reason::oversized, m);
    return success();
  }

  // ---- term rules common to every role --------------------------------------

  [[nodiscard]] bool in_lease() const noexcept {
    return cfg_.check_quorum && leader_ != no_node && election_elapsed_ < cfg_.election_ticks;
  }

  result<void> on_higher_term(const message& m) {
    const bool vote_request = m.type == message_type::vote || m.type == message_type::pre_vote;
    if (vote_request && in_lease()) return reject(reject_reason::in_lease, m, errc::stale_term);
    if (m.type == message_type::pre_vote) return success();  // answering a pre-vote changes nothing
    if (m.type == message_type::pre_vote_response && !m.reject) return success();  // the future term we asked about
    const bool from_leader = m.type == message_type::append || m.type == message_type::heartbeat ||
                             m.type == message_type::snapshot;
    become_follower(m.term, from_leader ? m.from : no_node);
    return success();
  }

  result<void> on_lower_term(const message& m) {
    if ((cfg_.check_quorum || cfg_.pre_vote) &&
        (m.type == message_type::append || m.type == message_type::heartbeat)) {
      // A stale leader (e.g. back from a partition): tell it our term so it
      // steps down, since pre-vote / check-quorum stop it from disrupting us.
      send_now(out(message_type::append_response, m.from));
    } else if (m.type == message_type::pre_vote) {
      message r = out(message_type::pre_vote_response, m.from);
      r.reject = true;
      send_now(std::move(r));
    }
    return reject(reject_reason::stale_term, m, errc::stale_term);
  }

  void handle_vote_request(const message& m) {
    const bool pre = m.type == message_type::pre_vote;
    const bool can_vote = vote_ == m.from || (vote_ == no_node && leader_ == no_node) || (pre && m.term > term_);
    message r = out(pre ? message_type::pre_vote_response : message_type::vote_response, m.from);
    if (can_vote && log_.is_up_to_date(m.index, m.log_term)) {
      r.term = m.term;  // for a pre-vote: the term it asked about
      if (!pre) {
        election_elapsed_ = 0;
        vote_ = m.from;
      }
    } else {
      r.reject = true;
    }
    if (pre) send_now(std::move(r));
    else send_after_persist(std::move(r));  // a granted vote is a promise: durable first
  }

  // ---- followers -------------------------------------------------------------

  result<void> step_follower(message& m) {
    switch (m.type) {
      case message_type::propose:
        if (leader_ == no_node) return make_error(errc::not_leader, "no leader to forward to");
        m.to = leader_;
        m.from = cfg_.id;
        m.term = term_;
        send_now(std::move(m));
        return success();
      case message_type::append:
        election_elapsed_ = 0;
        set_leader(m.from);
        return handle_append(m);
      case message_type::heartbeat:
        election_elapsed_ = 0;
        set_leader(m.from);
        log_.commit_to(m.commit);
        send_now(out(message_type::heartbeat_response, m.from));
        return success();
      default: return success();  // late responses from an earlier role
    }
  }

  result<void> handle_append(message& m) {
    message r = out(message_type::append_response, m.from);
    if (m.index < log_.committed()) {
      r.index = log_.committed();
      send_after_persist(std::move(r));
      return success();
    }
    log_index last_new{};
    switch (log_.maybe_append(m.index, m.log_term, m.entries, validated_bytes_, last_new)) {
      case raft_log<Storage>::append_outcome::ok:
        log_.commit_to(std::min(m.commit, last_new));
        r.index = last_new;
        send_after_persist(std::move(r));
        return success();
      case raft_log<Storage>::append_outcome::conflicts_committed:
        return reject(reject_reason::conflicts_committed, m);
      case raft_log<Storage>::append_outcome::mismatch: {
        const auto [hi, ht] = log_.conflict_hint(std::min(m.index, log_.last_index()), m.log_term);
        r.index = m.index;
        r.reject = true;
        r.hint_index = hi;
        r.hint_term = ht;
        send_now(std::move(r));
        return success();
      }
    }
    return success();
  }

  // ---- candidates ------------------------------------------------------------

  result<void> step_candidate(message& m) {
    switch (m.type) {
      case message_type::propose: return make_error(errc::not_leader, "no leader: an election is in progress");
      case message_type::append:
      case message_type::heartbeat:
        become_follower(term_, m.from);  // a leader of our term exists
        return step_follower(m);
      case message_type::vote_response:
      case message_type::pre_vote_response: {
        const bool mine = (role_ == role::pre_candidate) == (m.type == message_type::pre_vote_response);
        if (!mine) return success();
        record_vote(m.from, !m.reject);
        const auto outcome = tally();
        if (outcome == quorum::vote_result::won) {
          if (role_ == role::pre_candidate) start_election(false);
          else become_leader();
        } else if (outcome == quorum::vote_result::lost) {
          become_follower(term_, no_node);
        }
        return success();
      }
      default: return success();
    }
  }

  void start_election(bool pre) {
    ++stats_.elections_started;
    if (pre) {
      set_role(role::pre_candidate);
      set_leader(no_node);
    } else {
      set_role(role::candidate);
      term_ = term_ + 1;
      vote_ = cfg_.id;
      set_leader(no_node);
    }
    election_elapsed_ = 0;
    reset_election_timeout();
    votes_.clear();
    record_vote(cfg_.id, true);
    if (tally() == quorum::vote_result::won) {
      if (pre) start_election(false);
      else become_leader();
      return;
    }
    for (const auto& p : peers_) {
      message m = out(pre ? message_type::pre_vote : message_type::vote, p.id);
      m.term = pre ? term_ + 1 : term_;
      m.index = log_.last_index();
      m.log_term = log_.last_term();
      if (pre) send_now(std::move(m));
      else send_after_persist(std::move(m));  // our own vote must be durable before we ask for others
    }
  }

  void record_vote(node_id from, bool granted) {
    for (auto& v : votes_)
      if (v.first == from) return;
    votes_.emplace_back(from, granted);
  }
  [[nodiscard]] quorum::vote_result tally() const {
    return voters_.result_of([this](node_id n) {
      for (const auto& v : votes_)
        if (v.first == n) return v.second ? 1 : -1;
      return 0;
    });
  }

  template <class Buffer>
  result<log_index> propose_batch(std::span<Buffer> batch) {
    constexpr bool move_in = !std::is_const_v<Buffer>;
    if (batch.empty()) return make_error(errc::invalid_argument, "empty proposal");
    if (batch.size() > cfg_.proposal_entries_max)
      return refuse(errc::too_large, "proposal has more entries than proposal_entries_max");
    if (role_ != role::leader) {
      if (cfg_.forward_proposals && leader_ != no_node) {
        message m = out(message_type::propose, leader_);
        m.entries.reserve(batch.size());
        for (Buffer& b : batch) {
          if constexpr (move_in) m.entries.push_back(log_entry{log_index{}, term{}, entry_kind::normal, std::move(b)});
          else m.entries.push_back(log_entry{log_index{}, term{}, entry_kind::normal, b});
        }
        send_now(std::move(m));
        return log_index{};
      }
      ++stats_.proposals_refused;
      return make_error(errc::not_leader, "not the leader", leader_);
    }
    if (cfg_.uncommitted_bytes_max != 0) {  // without a limit, nothing to count
      std::size_t bytes_in = 0;
      for (const bytes& b : batch) bytes_in += b.size();
      if (uncommitted_bytes_ != 0 && uncommitted_bytes_ + bytes_in > cfg_.uncommitted_bytes_max)
        return refuse(errc::busy, "too many uncommitted bytes; retry once entries commit");
      uncommitted_bytes_ += bytes_in;
    }
    const log_index i = log_.append_payloads(batch, term_);
    // New entries go out with the next ready batch, so proposals made between
    // two batches share append messages instead of sending one each.
    entries_to_send_ = true;
    return i;
  }

  // ---- leaders ---------------------------------------------------------------

  result<void> step_leader(message& m) {
    progress* pr = find_progress(m.from);
    switch (m.type) {
      case message_type::propose: {
        forwarded_.clear();
        for (auto& e : m.entries) forwarded_.push_back(std::move(e.data));
        auto r = propose_moved(std::span<bytes>(forwarded_));
        forwarded_.clear();
        if (!r) return r.error();
        return success();
      }
      case message_type::append_response:
        if (pr == nullptr) return success();
        pr->recent_active = true;
        if (m.reject) return handle_append_rejection(*pr, m);
        if (m.index > log_.last_index()) return reject(reject_reason::index_past_end, m);
        handle_append_success(*pr, m.index);
        return success();
      case message_type::heartbeat_response:
        if (pr == nullptr) return success();
        pr->recent_active = true;
        pr->probe_sent = false;
        // A full window with a live follower means appends were lost: let
        // one through, which the follower rejects, moving us back to probe.
        if (pr->state == progress_state::replicate && pr->window.full()) pr->window.free_first_one();
        if (pr->match < log_.last_index()) send_append(*pr, true);
        return success();
      default: return success();
    }
  }

  result<void> handle_append_rejection(progress& pr, const message& m) {
    if (m.index > log_.last_index()) return reject(reject_reason::index_past_end, m);
    log_index hint = m.hint_index;
    if (m.hint_term != term{}) hint = log_.conflict_hint(m.hint_index, m.hint_term).first;
    if (pr.maybe_decrease_to(m.index, hint)) {
      if (pr.state == progress_state::replicate) pr.become_probe();
      send_append(pr, true);
    }
    return success();
  }

  void handle_append_success(progress& pr, log_index index) {
    const bool was_paused = pr.paused();
    if (!pr.maybe_update(index)) {
      if (pr.state == progress_state::replicate) pr.window.free_le(index);
      return;
    }
    if (pr.state == progress_state::probe) pr.become_replicate();
    else pr.window.free_le(index);
    if (maybe_commit()) commit_to_send_ = true;
    if (commit_to_send_) return;  // the next batch's broadcast serves this follower too
    // A follower we were waiting on may not know the commit index yet.
    if (was_paused) send_append(pr, true);
    send_more(pr);
  }

  void send_more(progress& pr) {
    while (pr.next <= log_.last_index() && send_append(pr, false)) {
    }
  }

  /// Sends an append to one follower; false if it is paused or nothing to send.
  bool send_append(progress& pr, bool send_if_empty) {
    if (pr.paused()) return false;
    const log_index prev = pr.next - 1;
    auto prev_term = log_.term_at(prev);
    if (!prev_term) return false;  // compacted: needs a snapshot (snapshots come with issue 6)
    message m = out(message_type::append, pr.id);
    m.index = prev;
    m.log_term = *prev_term;
    m.commit = log_.committed();
    std::size_t bytes_out = 0;
    if (pr.next <= log_.last_index()) {
      if (!log_.entries_from(pr.next, cfg_.msg_bytes_max, m.entries, &bytes_out)) return false;
    }
    if (m.entries.empty() && !send_if_empty) return false;
    pr.sent(m.entries.empty() ? prev : m.entries.back().index, bytes_out, !m.entries.empty());
    send_now(std::move(m));
    return true;
  }

  /// New entries to every follower that is not paused; with
  /// send_if_empty, an empty append (the commit index) to those that got
  /// nothing else.
  void broadcast_append(bool send_if_empty) {
    for (auto& p : peers_) {
      bool sent = false;
      while (p.next <= log_.last_index() && send_append(p, false)) sent = true;
      if (!sent && send_if_empty) send_append(p, true);
    }
  }

  bool maybe_commit() {
    const log_index ci = voters_.committed_index([this](node_id n) {
      if (n == cfg_.id) return log_.durable();
      const progress* p = find_progress(n);
      return p != nullptr ? p->match : log_index{};
    });
    const log_index before = log_.committed();
    if (!log_.maybe_commit(ci, term_)) return false;
    obs_.on_event(event{event_kind::entries_committed, cfg_.id, no_node, term_, log_.committed(),
                        log_.committed() - before, {}});
    return true;
  }

  void become_leader() {
    set_role(role::leader);
    set_leader(cfg_.id);
    heartbeat_elapsed_ = 0;
    election_elapsed_ = 0;
    uncommitted_bytes_ = 0;
    for (auto& p : peers_) {
      p.match = log_index{};
      p.next = log_.last_index() + 1;
      p.state = progress_state::probe;
      p.probe_sent = false;
      p.recent_active = true;
      p.window.reset();
    }
    log_.append_one(log_entry{log_.last_index() + 1, term_, entry_kind::normal, bytes{}});
    if (peers_.empty()) (void)maybe_commit();
    broadcast_append(true);
  }

  void tick_leader() {
    if (++heartbeat_elapsed_ >= cfg_.heartbeat_ticks) {
      heartbeat_elapsed_ = 0;
      for (auto& p : peers_) {
        message m = out(message_type::heartbeat, p.id);
        m.commit = std::min(p.match, log_.committed());
        send_now(std::move(m));
      }
    }
    if (++election_elapsed_ >= cfg_.election_ticks) {
      election_elapsed_ = 0;
      if (cfg_.check_quorum) {
        const auto active = voters_.result_of([this](node_id n) {
          if (n == cfg_.id) return 1;
          const progress* p = find_progress(n);
          return p != nullptr && p->recent_active ? 1 : -1;
        });
        for (auto& p : peers_) p.recent_active = false;
        if (active != quorum::vote_result::won) become_follower(term_, no_node);
      }
    }
  }

  // ---- shared ----------------------------------------------------------------

  void tick_election() {
    ++election_elapsed_;
    if (election_elapsed_ >= randomized_timeout_ && voters_.contains(cfg_.id)) start_election(cfg_.pre_vote);
  }

  void become_follower(term t, node_id leader) {
    if (t != term_) {
      term_ = t;
      vote_ = no_node;
    }
    set_role(role::follower);
    set_leader(leader);
    election_elapsed_ = 0;
    reset_election_timeout();
    votes_.clear();
  }

  void set_role(raft::role r) {
    if (r == role_) return;
    role_ = r;
    obs_.on_event(event{event_kind::role_changed, cfg_.id, no_node, term_, {}, static_cast<std::uint64_t>(r), {}});
  }
  void set_leader(node_id l) {
    if (l == leader_) return;
    leader_ = l;
    obs_.on_event(event{event_kind::leader_changed, cfg_.id, l, term_, {}, 0, {}});
  }
  void reset_election_timeout() { randomized_timeout_ = cfg_.election_ticks + uniform_below(rng_, cfg_.election_ticks); }

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

  /// Entry buffers circulate instead of being allocated per message: every
  /// message stepped gives its (cleared) entries buffer to this pool, and
  /// every message built takes one, so with an in-process transport a
  /// leader's append buffers come back inside the followers' responses. A
  /// transport that serializes simply drops them; the pool stays bounded.
  static constexpr std::size_t spare_buffers_max = 32;
  static constexpr std::size_t spare_buffer_entries_max = 1 << 14;
  void recycle_entries(std::vector<log_entry>& v) {
    if (v.capacity() == 0 || v.capacity() > spare_buffer_entries_max || spare_entries_.size() >= spare_buffers_max)
      return;
    v.clear();
    spare_entries_.push_back(std::move(v));
  }

  message out(message_type t, node_id to) {
    message m;
    if (!spare_entries_.empty()) {
      m.entries = std::move(spare_entries_.back());
      spare_entries_.pop_back();
    }
    m.type = t;
    m.from = cfg_.id;
    m.to = to;
    m.term = term_;
    return m;
  }
  void send_now(message&& m) { msgs_.push_back(std::move(m)); }
  void send_after_persist(message&& m) { after_.push_back(std::move(m)); }

  [[nodiscard]] hard_state current_hs() const { return hard_state{term_, vote_, log_.committed()}; }
  [[nodiscard]] bool hs_changed() const { return current_hs() != handed_hs_; }

  void release_uncommitted(std::span<const log_entry> applied) {
    if (cfg_.uncommitted_bytes_max == 0) return;  // not counted
    std::size_t n = 0;
    for (const auto& e : applied) n += e.data.size();
    uncommitted_bytes_ = n >= uncommitted_bytes_ ? 0 : uncommitted_bytes_ - n;
  }

  config cfg_;
  Rng rng_;
  Observer obs_;
  raft_log<Storage> log_;
  quorum::majority_config voters_;
  std::vector<progress> peers_;
  std::vector<std::pair<node_id, bool>> votes_;
  raft::role role_ = role::follower;
  term term_{};
  node_id vote_{};
  node_id leader_{};
  std::uint32_t election_elapsed_ = 0;
  std::uint32_t heartbeat_elapsed_ = 0;
  std::uint64_t randomized_timeout_ = 0;
  std::size_t uncommitted_bytes_ = 0;
  bool entries_to_send_ = false;  ///< proposals wait for the next ready batch, to share append messages
  bool commit_to_send_ = false;
  std::size_t validated_bytes_ = 0;  ///< the accounted bytes of the entries of the message being stepped   ///< the commit index advanced: every follower hears of it in the next batch
  hard_state handed_hs_{};
  std::uint64_t batch_no_ = 0;
  ring_queue<batch> pending_;
  std::vector<message> msgs_;
  std::vector<message> after_;
  std::vector<std::vector<log_entry>> spare_entries_;  ///< see recycle_entries()
  std::vector<bytes> forwarded_;                       ///< scratch for a forwarded proposal
  ready ready_;
  node_stats stats_;
};

}  // namespace cohort::raft
