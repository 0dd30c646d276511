// cohort/lock/lock_service.hpp - the lock service: a replicated state machine.
//
// A model of cohort::state_machine: run it over raft::node (or any driver that
// applies committed entries in order) and every replica holds the same
// sessions, locks and queues. apply(e) decodes e.data (command.hpp) and
// returns an `applied`: the reply for the proposer, plus the waiters this
// entry granted or timed out and the sessions it expired, so the driver can
// notify their clients (each waiter is told only when its own turn comes).
//
// Time. The service never reads a clock. Each command carries the leader's
// monotonic reading (its stamp); the service's time `now()` advances by the
// difference between consecutive stamps of the same term. A new term is a
// new leader with a clock of another epoch: its first command sets the
// reference and does not advance time. So the service's time never runs
// faster than a leader's clock (within the drift bound) and stops while no
// leader stamps commands: leases only get longer across a failover, never
// shorter. The leader should propose `command::tick()` periodically (every
// few hundred milliseconds) so expiries happen without client traffic.
//
// Rules:
//   - sessions: open_session(ttl) gives a session id (the entry's index)
//     living until now + ttl; keep_alive renews it for its ttl; a session
//     whose time passes expires: its grants are freed, with its locks'
//     lock-delay, and its waiters dropped. close_session frees at once.
//   - locks: named; a reader/writer lock (exclusive and shared grants) or a
//     semaphore of `limit` permits, fixed while the lock exists (it exists
//     while it has holders, waiters or a lock-delay running).
//   - acquire: granted at once if the lock is free of conflicting holders, no
//     lock-delay runs and nobody waits before it (strict FIFO, no barging);
//     else, with wait == 0, refused (errc::conflict); else queued until
//     granted or now + wait passes (reported as timed out).
//     A release or expiry grants queued waiters from the front while they are
//     compatible: the next writer alone, or the run of readers at the front.
//     A session holds or waits for a lock through one request at a time
//     (not reentrant: another request by it is refused, errc::conflict).
//     Sessions expiring at one instant all expire before anything is handed
//     on, and a waiter whose wait has ended is not granted at that instant.
//   - fencing token: the index of the entry that made the grant.
//   - idempotency: request ids increase per session. A retried acquire with
//     a live request id gets the same answer (same grant, or still queued);
//     a lower id no longer live is refused (errc::conflict), never re-granted.
//   - release(name, token) frees only the grant with that token held by that
//     session: a late or duplicated release cannot free a newer grant.
//   - lock-delay: after a session expires holding a lock, the lock is granted
//     to nobody for the holder's lock-delay (configurable per acquire, capped
//     by config::lock_delay_max), so a holder whose lease lapsed unnoticed has
//     time to stop. An explicit release or close has no delay.
//   - handles: bind(session, name) gives the session a handle on the lock
//     named (the same one if it has one), valid until the session ends; the
//     handle is a number the service assigns (deterministic: every replica
//     assigns the same). acquire_handle and release_handle are acquire and
//     release naming the lock by the handle; the rules above hold alike, on
//     the same lock state, whatever form a request took. A notice (granted,
//     timed_out, freed) for a request by handle carries the handle and no
//     name. A handle keeps its lock's name known while the lock does not
//     exist (no holder, waiter or delay), and is no lock itself: find() and
//     locks() do not show it.
//
// Every command first moves the service's time to its stamp and runs the
// timers due by then (expiries, ended waits and lock-delays), exactly as a
// tick would: that is the passage of time, not the command's doing, and a
// refusal must agree with it (a session that expired by the stamp is gone).
// Then bad input gets an error value and changes nothing more: a malformed
// payload (errc::malformed_message; it has no stamp, so nothing at all
// changes), an unknown or expired session (errc::not_found), a TTL outside
// [ttl_min, ttl_max], a negative or too long wait or lock-delay, more permits
// than the semaphore has, an empty name (errc::invalid_argument), a release
// of a lock not held (errc::not_found), with a stale token (errc::conflict)
// or with another lock's token (errc::invalid_argument), a kind or limit
// that does not match the existing lock, a second request for a lock
// (errc::conflict), a handle that is not the session's
// (errc::invalid_argument). Two refusals are answers, not bad input: a try-acquire of
// a busy lock ("not available", which records the request id as used) and a
// retry of a finished request ("already completed"), both errc::conflict.
//
// Invariants: an exclusive holder is alone; semaphore holders' permits sum to
// at most the limit; every holder and waiter belongs to a live session;
// tokens of later exclusive grants of a lock are larger.
//
// Storage (for speed; no rule depends on it): locks, sessions and handles
// live in reused slots found through hash indexes (detail::slot_table: on
// the name, on the id, on (session, lock)); a handle is its slot + 1 and
// keeps the slots of its session and lock, so a command by handle finds
// both by indexing. Waiters wait in a ring buffer and carry their session's
// owner for the notice. Validation returns a one-byte refusal code, and the
// error value with its message is built only when a command is refused.
// Nothing whose order can show in a result is iterated in slot order:
// whole-service iterations go in name order, and equality compares locks by
// name, sessions by id and handles by number (with their session and lock name).
//
// Two paths. The fast path takes an acquire_handle or release_handle that
// needs nothing unusual (no timer due, a valid handle on an existing
// reader/writer lock, a new request by a session with no other request on
// that lock, or the release of a grant it holds): it reads the fields from
// the payload at fixed offsets and acts. Everything else (and anything the
// fast path declines, having changed nothing but the time) goes through the
// general path: decode into a command_view (the name left in the payload),
// run the timers, validate, execute. The two agree on every result (checked
// by tests/lock/random_test.cpp against apply(command, index, term), which
// never takes the fast path). apply(entry, applied&) allocates nothing for
// an acquire or release once the buffers have grown (a lock's first use, a
// bind, a timer, an error message and a by-name grant notice's name longer
// than the std::string's inline capacity do allocate).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cohort/core/concepts.hpp"
#include "cohort/core/log.hpp"
#include "cohort/core/result.hpp"
#include "cohort/core/time.hpp"
#include "cohort/lock/command.hpp"
#include "cohort/lock/detail/slot_table.hpp"
#include "cohort/lock/fencing.hpp"

namespace cohort::lock {


/// Bounds of the service; validate() refuses inconsistent ones.
struct service_config {
  duration ttl_min = std::chrono::milliseconds(100);
  duration ttl_max = std::chrono::minutes(10);
  duration lock_delay = std::chrono::seconds(1);  ///< used when an acquire asks for the default
  duration lock_delay_max = std::chrono::minutes(1);
  duration wait_max = std::chrono::hours(1);  ///< longest finite wait (wait_forever is allowed too)
  std::uint32_t permits_max = 1u << 20;       ///< largest semaphore limit
  /// Most lock handles one session may hold (bind beyond: errc::capacity_exceeded).
  std::uint32_t handles_per_session_max = 1u << 12;
  /// Seeds the hash that finds a lock by name. Lock names come from clients:
  /// with a seed they cannot guess (drawn once when the cluster is set up, the
  /// same on every replica) they cannot pick names that collide to slow every
  /// lookup down. The seed never changes results, only the table's layout.
  std::uint64_t name_hash_seed = 0;

  friend bool operator==(const service_config&, const service_config&) = default;

  [[nodiscard]] result<void> validate() const {
    if (ttl_min <= duration::zero() || ttl_max < ttl_min)
      return make_error(errc::invalid_config, "lock service: need 0 < ttl_min <= ttl_max");
    if (lock_delay < duration::zero() || lock_delay_max < lock_delay)
      return make_error(errc::invalid_config, "lock service: need 0 <= lock_delay <= lock_delay_max");
    if (wait_max < duration::zero() || permits_max == 0)
      return make_error(errc::invalid_config, "lock service: wait_max must be >= 0 and permits_max > 0");
    if (handles_per_session_max == 0)
      return make_error(errc::invalid_config, "lock service: handles_per_session_max must be > 0");
    return success();
  }
};

/// A grant (or a waiter's request) as reported to drivers and tests.
struct grant {
  session_id session{};
  std::uint64_t owner = 0;  ///< the session's owner (from open_session), to route the notice
  std::uint64_t request = 0;
  std::string lock;       ///< the lock's name; empty if the request named the lock by `handle`
  fencing_token token{};  ///< 0 for a waiter that timed out
  lock_mode mode = lock_mode::exclusive;
  std::uint32_t permits = 1;
  lock_handle handle{};  ///< the handle the request used (acquire_handle), else 0
  friend bool operator==(const grant&, const grant&) = default;
};

enum class reply_kind : std::uint8_t {
  ticked,
  session_opened,
  kept_alive,
  session_closed,
  granted,
  queued,
  released,
  bound,  ///< bind: `handle` is the session's handle on the lock
};

constexpr std::string_view name_of(reply_kind k) noexcept {
  switch (k) {
    case reply_kind::ticked: return "ticked";
    case reply_kind::session_opened: return "session_opened";
    case reply_kind::kept_alive: return "kept_alive";
    case reply_kind::session_closed: return "session_closed";
    case reply_kind::granted: return "granted";
    case reply_kind::queued: return "queued";
    case reply_kind::released: return "released";
    case reply_kind::bound: return "bound";
  }
  return "unknown";
}

/// The proposer's answer.
struct reply {
  reply_kind kind = reply_kind::ticked;
  session_id session{};
  fencing_token token{};  ///< granted: the fencing token
  duration ttl{};         ///< session_opened, kept_alive: the session's TTL
  lock_handle handle{};   ///< bound: the handle
  friend bool operator==(const reply&, const reply&) = default;
};

/// What one entry did.
struct applied {
  result<lock::reply> reply = lock::reply{};
  std::vector<grant> granted;         ///< queued waiters this entry granted (notify them)
  std::vector<grant> timed_out;       ///< waiters whose wait ended unanswered (notify: errc::timeout)
  std::vector<grant> freed;           ///< grants freed by expiry of their session
  std::vector<session_id> expired;    ///< sessions that expired at this entry
};

/// A FIFO queue in a ring buffer (a power-of-two vector, indexes that wrap):
/// a push at the back and a pop at the front each store or load one element
/// and move an index, and steady traffic through the queue does not allocate
/// once the buffer has grown to the longest the queue has been. Iterates
/// front to back; equality compares the elements in that order.
template <class T>
class fifo {
 public:
  using value_type = T;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;
    const_iterator() = default;
    const_iterator(const fifo* q, std::size_t i) noexcept : q_(q), i_(i) {}
    reference operator*() const { return q_->at(i_); }
    pointer operator->() const { return &q_->at(i_); }
    const_iterator& operator++() noexcept {
      ++i_;
      return *this;
    }
    const_iterator operator++(int) noexcept {
      const_iterator old = *this;
      ++i_;
      return old;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept { return a.i_ == b.i_; }

   private:
    const fifo* q_ = nullptr;
    std::size_t i_ = 0;  ///< position from the front
  };

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// The first element; the queue must not be empty.
  [[nodiscard]] const T& front() const { return items_[head_]; }
  [[nodiscard]] const_iterator begin() const noexcept { return {this, 0}; }
  [[nodiscard]] const_iterator end() const noexcept { return {this, size_}; }

  void push_back(const T& v) {
    if (size_ == items_.size()) grow();
    items_[(head_ + size_) & mask_] = v;
    ++size_;
  }
  /// Removes the first element; the queue must not be empty.
  void pop_front() noexcept {
    head_ = (head_ + 1) & mask_;
    --size_;
  }
  void clear() noexcept {
    head_ = 0;
    size_ = 0;
  }
  /// Whether an element matches `pred`.
  template <class Pred>
  [[nodiscard]] bool any_of(Pred pred) const {
    for (std::size_t i = 0, k = head_; i < size_; ++i, k = (k + 1) & mask_)
      if (pred(items_[k])) return true;
    return false;
  }
  /// Removes the elements matching `pred`, the others keeping their order.
  template <class Pred>
  void erase_if(Pred pred) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      const T& v = at(i);
      if (!pred(v)) {
        if (kept != i) at(kept) = v;
        ++kept;
      }
    }
    size_ = kept;
  }

  friend bool operator==(const fifo& a, const fifo& b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

 private:
  [[nodiscard]] const T& at(std::size_t i) const { return items_[(head_ + i) & mask_]; }
  [[nodiscard]] T& at(std::size_t i) { return items_[(head_ + i) & mask_]; }
  /// Doubles the buffer (at least 4), the elements moved to its start.
  void grow() {
    std::vector<T> bigger(std::max<std::size_t>(4, items_.size() * 2));
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = at(i);
    items_.swap(bigger);
    head_ = 0;
    mask_ = items_.size() - 1;
  }
  std::vector<T> items_;  ///< size 0 or a power of two
  std::size_t mask_ = 0;  ///< items_.size() - 1 (0 while empty)
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

/// The lock service; use it as `lock_service`. It is a template only so
/// that its member functions are compiled where they are used: a program
/// that includes cohort/cohort.hpp without using the service no longer
/// compiles all of it (0.3-0.4 s of cohort.hpp's parse time).
template <class = void>
class basic_lock_service {
 public:
  struct holder {
    session_id session{};
    std::uint64_t request = 0;
    fencing_token token{};
    lock_mode mode = lock_mode::exclusive;
    std::uint32_t permits = 1;
    duration lock_delay{};
    lock_handle handle{};  ///< the handle the request used, else 0 (its notices then carry no name)
    friend bool operator==(const holder&, const holder&) = default;
  };
  struct waiter {
    session_id session{};
    std::uint64_t owner = 0;  ///< the session's owner, for the notice (sessions keep theirs for life)
    std::uint64_t request = 0;
    lock_mode mode = lock_mode::exclusive;
    std::uint32_t permits = 1;
    duration lock_delay{};
    std::int64_t deadline = never;
    lock_handle handle{};  ///< the handle the request used, else 0
    friend bool operator==(const waiter&, const waiter&) = default;
  };
  struct lock_state {
    bool semaphore = false;
    std::uint32_t limit = 1;
    std::vector<holder> holders;
    fifo<waiter> queue;
    std::int64_t delay_until = std::numeric_limits<std::int64_t>::min();
    friend bool operator==(const lock_state&, const lock_state&) = default;
  };
  struct session_state {
    std::int64_t expiry = 0;
    duration ttl{};
    std::uint64_t highest_request = 0;
    std::uint64_t owner = 0;
    std::uint32_t handles = 0;  ///< lock handles the session holds (bind)
    friend bool operator==(const session_state&, const session_state&) = default;
  };
  /// A lock with its name, as listed by locks() (valid until the next apply).
  struct named_lock {
    std::string_view name;
    const lock_state* state = nullptr;
  };

  /// errc::invalid_config for an invalid config.
  static result<basic_lock_service> create(const service_config& c = {}) {
    if (auto v = c.validate(); !v) return v.error();
    return basic_lock_service(c);
  }

  /// Applies one committed entry (the state_machine concept).
  applied apply(const log_entry& e) {
    applied out;
    apply(e, out);
    return out;
  }
  /// The same, reusing `out`'s buffers (no allocation once they have grown):
  /// `out` is cleared, then filled.
  void apply(const log_entry& e, applied& out) {
    clear(out);
    if (!fast_path(e, out)) general_path(e, out);
  }

  /// Applies a decoded command as if it were the entry (index, term).
  applied apply(const command& c, log_index index, cohort::term t) {
    applied out;
    run(view_of(c), index, t, out);
    return out;
  }

 private:
  /// Every command the fast path leaves (out of line: the fast path's caller
  /// stays small).
  [[gnu::noinline]] void general_path(const log_entry& e, applied& out) {
    *out.reply = reply{};
    command_view c;
    if (const auto st = detail::parse(e.data, c); st != detail::parse_status::ok) {
      out.reply = detail::parse_error(st, c.kind);
      return;
    }
    run(c, e.index, e.term, out);
  }

 public:

  // ---- queries ---------------------------------------------------------------

  /// The service's time (see the file comment), as a duration since its start.
  [[nodiscard]] duration now() const noexcept { return duration{now_}; }
  [[nodiscard]] std::size_t session_count() const noexcept { return sessions_.size(); }
  [[nodiscard]] bool has_session(session_id s) const { return slot_of(s) != no_session; }
  /// The session's expiry on the service's clock, or errc::not_found.
  [[nodiscard]] result<duration> expiry_of(session_id s) const {
    const std::uint32_t k = slot_of(s);
    if (k == no_session) return unknown_session(s);
    return duration{sessions_.state(k).expiry};
  }
  /// The owner given when the session was opened (0 if unknown).
  [[nodiscard]] std::uint64_t owner_of(session_id s) const {
    const std::uint32_t k = slot_of(s);
    return k == no_session ? 0 : sessions_.state(k).owner;
  }
  /// The lock's state, or nullptr if it does not exist.
  [[nodiscard]] const lock_state* find(std::string_view name) const {
    const std::uint32_t id = locks_.find_active(name);
    return id == lock_table::npos ? nullptr : &locks_.state(id);
  }
  /// Every lock, in name order.
  [[nodiscard]] std::vector<named_lock> locks() const {
    std::vector<named_lock> out;
    for (const std::uint32_t id : locks_.sorted_ids()) out.push_back(named_lock{locks_.name(id), &locks_.state(id)});
    return out;
  }
  [[nodiscard]] const service_config& config() const noexcept { return cfg_; }

  /// The name of the lock a handle of session `s` refers to (valid until the
  /// next apply), or errc::not_found (not a handle of `s`, or `s` ended).
  [[nodiscard]] result<std::string_view> lock_of(session_id s, lock_handle h) const {
    const std::uint32_t k = binding_of(s, h);
    if (k == binding_table::npos)
      return make_error(errc::not_found, "lock service: no handle " + std::to_string(h.value()) + " of session " +
                                             std::to_string(s.value()));
    return std::string_view(locks_.name(bindings_.key(k).lock));
  }

  /// Whole-state equality (replicas that applied the same entries compare
  /// equal): locks and sessions by content, handles by number.
  friend bool operator==(const basic_lock_service& a, const basic_lock_service& b) {
    return a.cfg_ == b.cfg_ && a.now_ == b.now_ && a.last_stamp_ == b.last_stamp_ &&
           a.epoch_term_ == b.epoch_term_ && a.started_ == b.started_ && a.locks_ == b.locks_ &&
           a.sessions_ == b.sessions_ && a.session_timers_ == b.session_timers_ &&
           a.lock_timers_ == b.lock_timers_ && same_handles(a, b);
  }

 private:
  static constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();
  static constexpr std::uint32_t no_session = detail::slot_index::npos;

  /// The same handles, each of the same session on the lock of the same name.
  static bool same_handles(const basic_lock_service& a, const basic_lock_service& b) {
    if (a.bindings_.size() != b.bindings_.size()) return false;
    for (std::uint32_t k = 0; k < a.bindings_.slot_count(); ++k) {
      if (!a.bindings_.live(k)) continue;
      if (!b.bindings_.live(k)) return false;
      const binding_key x = a.bindings_.key(k), y = b.bindings_.key(k);
      if (x.session != y.session || a.locks_.name(x.lock) != b.locks_.name(y.lock)) return false;
    }
    return true;
  }
  /// The slot of session `s`'s handle `h`, or npos: an index and two comparisons.
  [[nodiscard]] std::uint32_t binding_of(session_id s, lock_handle h) const noexcept {
    const std::uint64_t k = h.value() - 1;  // handle 0 wraps to a slot that is never live
    return k < bindings_.slot_count() && bindings_.live(static_cast<std::uint32_t>(k)) &&
                   bindings_.key(static_cast<std::uint32_t>(k)).session == s
               ? static_cast<std::uint32_t>(k)
               : binding_table::npos;
  }

  /// A lock's slot: its state, whether it exists (`active`: it has holders,
  /// waiters or a lock-delay running), and how many handles refer to it. A
  /// slot that handles refer to stays (name and index) while the lock does
  /// not exist, so a handle keeps finding it; it goes with the last handle.
  struct lock_entry {
    lock_state state;
    std::uint32_t refs = 0;
    bool active = false;
    friend bool operator==(const lock_entry&, const lock_entry&) = default;
  };

  /// The lock table's keys: names, hashed with the config's seed.
  struct lock_traits {
    using key_type = std::string;
    using key_view = std::string_view;
    using state_type = lock_entry;
    static std::uint64_t load64(const char* p) noexcept {
      std::uint64_t v = 0;
      std::memcpy(&v, p, 8);
      return v;
    }
    static std::uint32_t load32(const char* p) noexcept {
      std::uint32_t v = 0;
      std::memcpy(&v, p, 4);
      return v;
    }
    static std::uint64_t mix(std::uint64_t h) noexcept {
      h *= 0xff51afd7ed558ccdULL;
      return h ^ (h >> 32);
    }
    /// A multiplicative hash: names of up to 16 bytes (the usual) are read
    /// as two possibly overlapping loads, longer ones a word at a time and
    /// then their last 16 bytes; the length and the seed enter first, and
    /// the last mix spreads every byte over the low bits the index uses.
    /// Only the layout depends on it, never a result.
    static std::uint64_t hash(std::uint64_t seed, std::string_view name) noexcept {
      const char* p = name.data();
      const std::size_t n = name.size();
      std::uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL), a = 0, b = 0;
      if (n > 16) {
        for (std::size_t i = 0; i + 16 < n; i += 8) h = mix(h ^ load64(p + i));
        a = load64(p + n - 16);
        b = load64(p + n - 8);
      } else if (n >= 8) {
        a = load64(p);
        b = load64(p + n - 8);
      } else if (n >= 4) {
        a = load32(p);
        b = load32(p + n - 4);
      } else if (n > 0) {
        a = std::uint64_t{static_cast<unsigned char>(p[0])} << 16 |
            std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8 | static_cast<unsigned char>(p[n - 1]);
      }
      h = mix(h ^ a);
      h = (h ^ b) * 0xc4ceb9fe1a85ec53ULL;
      return h ^ (h >> 29);
    }
    /// Name equality, inline for the short names locks usually have.
    static bool same(std::string_view a, std::string_view b) noexcept {
      const std::size_t n = a.size();
      if (n != b.size()) return false;
      if (n >= 8) {
        for (std::size_t i = 0; i + 8 <= n; i += 8)
          if (load64(a.data() + i) != load64(b.data() + i)) return false;
        return load64(a.data() + n - 8) == load64(b.data() + n - 8);
      }
      if (n >= 4) return load32(a.data()) == load32(b.data()) && load32(a.data() + n - 4) == load32(b.data() + n - 4);
      for (std::size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return false;
      return true;
    }
    static void assign(std::string& k, std::string_view v) { k.assign(v); }
    /// An idle lock, keeping the vectors' buffers for the slot's next lock.
    static void reset(lock_entry& e) noexcept {
      e.state.semaphore = false;
      e.state.limit = 1;
      e.state.holders.clear();
      e.state.queue.clear();
      e.state.delay_until = std::numeric_limits<std::int64_t>::min();
      e.refs = 0;
      e.active = false;
    }
  };

  /// The session table's keys: ids (log indexes, which clients do not
  /// choose), spread by a multiplicative hash.
  struct session_traits {
    using key_type = session_id;
    using key_view = session_id;
    using state_type = session_state;
    static std::uint64_t hash(std::uint64_t, session_id s) noexcept {
      const std::uint64_t h = s.value() * 0x9e3779b97f4a7c15ULL;
      return h ^ (h >> 29);
    }
    static bool same(session_id a, session_id b) noexcept { return a == b; }
    static void assign(session_id& k, session_id v) noexcept { k = v; }
    static void reset(session_state& st) noexcept { st = session_state{}; }
  };

  /// A lock handle's key: the session and its lock's slot (the handle is
  /// the binding's slot + 1). Its state: the session's slot, so that a
  /// command by handle finds both without hashing.
  struct binding_key {
    session_id session{};
    std::uint32_t lock = 0;
  };
  struct binding_traits {
    using key_type = binding_key;
    using key_view = binding_key;
    using state_type = std::uint32_t;  ///< the session's slot
    static std::uint64_t hash(std::uint64_t, binding_key k) noexcept {
      const std::uint64_t h = (k.session.value() ^ (std::uint64_t{k.lock} << 40)) * 0x9e3779b97f4a7c15ULL;
      return h ^ (h >> 29);
    }
    static bool same(binding_key a, binding_key b) noexcept { return a.session == b.session && a.lock == b.lock; }
    static void assign(binding_key& k, binding_key v) noexcept { k = v; }
    static void reset(std::uint32_t& st) noexcept { st = 0; }
  };

  /// The locks by name (detail::slot_table: a command by name finds its lock
  /// with one hash and one comparison). Slot numbers depend on the order of
  /// insertions, so equality compares locks by name, and every iteration
  /// whose order can show in results goes in name order. Slots that only
  /// handles keep (not `active`) are no lock: find() skips them.
  class lock_table : public detail::slot_table<lock_traits> {
   public:
    using base = detail::slot_table<lock_traits>;
    using base::base;
    [[nodiscard]] lock_state& state(std::uint32_t id) noexcept { return entry(id).state; }
    [[nodiscard]] const lock_state& state(std::uint32_t id) const noexcept { return entry(id).state; }
    [[nodiscard]] lock_entry& entry(std::uint32_t id) noexcept { return detail::slot_table<lock_traits>::state(id); }
    [[nodiscard]] const lock_entry& entry(std::uint32_t id) const noexcept {
      return detail::slot_table<lock_traits>::state(id);
    }
    [[nodiscard]] const std::string& name(std::uint32_t id) const noexcept { return this->key(id); }
    /// The slot of the existing lock `name`, or npos.
    [[nodiscard]] std::uint32_t find_active(std::string_view name) const noexcept {
      const std::uint32_t id = this->find(name);
      return id != base::npos && entry(id).active ? id : base::npos;
    }
    /// The slots of all existing locks, in name order.
    [[nodiscard]] std::vector<std::uint32_t> sorted_ids() const {
      std::vector<std::uint32_t> ids;
      sorted_ids(ids);
      return ids;
    }
    /// The same in a buffer kept for the purpose (valid until the next call):
    /// no allocation once it has grown.
    const std::vector<std::uint32_t>& in_name_order() {
      sorted_ids(order_);
      return order_;
    }
    friend bool operator==(const lock_table& a, const lock_table& b) {
      return static_cast<const base&>(a) == static_cast<const base&>(b);
    }

   private:
    void sorted_ids(std::vector<std::uint32_t>& ids) const {
      ids.clear();
      for (std::uint32_t i = 0; i < this->slot_count(); ++i)
        if (this->live(i) && entry(i).active) ids.push_back(i);
      std::sort(ids.begin(), ids.end(), [this](std::uint32_t a, std::uint32_t b) { return name(a) < name(b); });
    }
    std::vector<std::uint32_t> order_;  ///< scratch for in_name_order (not state)
  };

  /// The live sessions, by id (detail::slot_table).
  using session_table = detail::slot_table<session_traits>;
  /// The lock handles (detail::slot_table): the handle is the slot + 1.
  using binding_table = detail::slot_table<binding_traits>;

  /// What a valid command acts on, found once by validation.
  struct target {
    std::uint32_t session = no_session;     ///< slot in sessions_ (keep_alive, acquire, release)
    std::uint32_t lock = lock_table::npos;  ///< acquire, release: the lock's slot (npos: not yet a lock)
    reply_kind retry = reply_kind::ticked;  ///< acquire: granted or queued if it retries a live request
    fencing_token retry_token{};            ///< acquire: the grant a retry repeats
    std::uint32_t holder = 0;               ///< release: the grant's position in the lock's holders
  };

  /// Why a command is refused. Validation and execution return one of these
  /// (a byte, nothing to build or destroy on the path that succeeds); the
  /// error value with its message is built from it only for a refusal.
  enum class refusal : std::uint8_t {
    none,
    bad_kind,         ///< malformed_message: a command_kind out of range (a decoded payload never has one)
    unknown_session,  ///< not_found
    bad_ttl,          ///< invalid_argument
    empty_name,       ///< invalid_argument
    bad_wait,         ///< invalid_argument
    bad_lock_delay,   ///< invalid_argument
    bad_permits,      ///< invalid_argument
    kind_mismatch,    ///< conflict: mode or limit unlike the existing lock's
    bad_handle,       ///< invalid_argument: not a handle of the session
    too_many_handles, ///< capacity_exceeded: bind beyond handles_per_session_max
    holds_other,      ///< conflict: the session holds the lock through another request
    waits_other,      ///< conflict: the session waits for the lock through another request
    no_grant,         ///< release matching no grant (release_refusal says which error)
    not_available,    ///< conflict: a try-acquire of a busy lock (an answer)
    completed,        ///< conflict: a retry of a finished request (an answer)
  };

  explicit basic_lock_service(const service_config& c) : cfg_(c), locks_(c.name_hash_seed) {}

  // ---- the fast path: the usual commands by handle ------------------------------
  //
  // An acquire_handle or release_handle that needs nothing unusual (no timer
  // due, a valid handle of a live session on an existing reader/writer lock,
  // valid fields, a new request by a session with no other request on the
  // lock, a release of a grant it holds) is read straight from the payload
  // and executed with what the checks found: no command_view, no name, no
  // hash. Anything else returns false having changed nothing but the time
  // (advance() to the same stamp again is a no-op), and the general path
  // (parse, run) decides: the results are the same either way (a test checks
  // it against apply(command, index, term), which never takes this path).

  /// Whether the fast path applied `e` (else nothing but the time changed).
  bool fast_path(const log_entry& e, applied& out) {
    const std::byte* p = e.data.data();
    const std::size_t n = e.data.size();
    if (n < detail::header_bytes || detail::load<std::uint8_t>(p) != detail::format_version) return false;
    const auto kind = detail::load<std::uint8_t>(p + 1);
    const std::byte* b = p + detail::header_bytes;
    if (kind == static_cast<std::uint8_t>(command_kind::acquire_handle) &&
        n == detail::header_bytes + detail::at::acqh_end)
      return fast_acquire(b, e, out);
    if (kind == static_cast<std::uint8_t>(command_kind::release_handle) &&
        n == detail::header_bytes + detail::at::relh_end)
      return fast_release(b, e, out);
    return false;
  }
  /// Moves time to the entry's stamp; whether no timer is due then.
  bool advance_quietly(const log_entry& e) {
    advance(e.term, mono_time{duration{detail::load<std::int64_t>(e.data.data() + 2)}});
    return !timer_due();
  }
  /// Whether session `s` holds or waits for lock `l` (through any request).
  [[nodiscard]] static bool involved(const lock_state& l, session_id s) noexcept {
    for (const holder& h : l.holders)
      if (h.session == s) return true;
    return l.queue.any_of([s](const waiter& w) { return w.session == s; });
  }
  bool fast_acquire(const std::byte* b, const log_entry& e, applied& out) {
    namespace at = detail::at;
    using detail::load;
    const session_id s{load<std::uint64_t>(b + at::session)};
    const lock_handle h{load<std::uint64_t>(b + at::acqh_handle)};
    const std::uint32_t k = binding_of(s, h);
    const auto m = load<std::uint8_t>(b + at::acq_mode);
    if (k == binding_table::npos || m > static_cast<std::uint8_t>(lock_mode::shared) || !advance_quietly(e))
      return false;
    const duration wait{load<std::int64_t>(b + at::acq_wait)};
    const duration asked_delay{load<std::int64_t>(b + at::acq_delay)};
    if (!wait_allowed(wait) || !lock_delay_allowed(asked_delay)) return false;
    const std::uint32_t id = bindings_.key(k).lock;
    lock_entry& le = locks_.entry(id);
    lock_state& l = le.state;
    session_state& st = sessions_.state(bindings_.state(k));
    const std::uint64_t request = load<std::uint64_t>(b + at::acq_request);
    if (!le.active || l.semaphore || request <= st.highest_request || involved(l, s)) return false;
    const auto mode = static_cast<lock_mode>(m);
    const bool now_free = l.queue.empty() && now_ >= l.delay_until && grantable(l, mode, 1);
    if (!now_free && wait == duration::zero()) return false;  // refused: the general path builds the error
    st.highest_request = request;
    const duration delay = asked_delay == default_lock_delay ? cfg_.lock_delay : asked_delay;
    reply& r = *out.reply;
    if (now_free) {
      const fencing_token tok{e.index.value()};
      l.holders.push_back(holder{s, request, tok, mode, 1, delay, h});
      answer(r, reply_kind::granted, s, tok);
      return true;
    }
    const std::int64_t deadline = wait == wait_forever ? never : add_sat(now_, wait);
    l.queue.push_back(waiter{s, st.owner, request, mode, 1, delay, deadline, h});
    if (deadline != never) lock_timers_.emplace(deadline, locks_.name(id));
    answer(r, reply_kind::queued, s);
    return true;
  }
  bool fast_release(const std::byte* b, const log_entry& e, applied& out) {
    namespace at = detail::at;
    using detail::load;
    const session_id s{load<std::uint64_t>(b + at::session)};
    const std::uint32_t k = binding_of(s, lock_handle{load<std::uint64_t>(b + at::relh_handle)});
    if (k == binding_table::npos || !advance_quietly(e)) return false;
    const std::uint32_t id = bindings_.key(k).lock;
    lock_entry& le = locks_.entry(id);
    if (!le.active) return false;
    const fencing_token tok{load<std::uint64_t>(b + at::rel_token)};
    std::vector<holder>& hs = le.state.holders;
    auto it = hs.begin();
    while (it != hs.end() && !(it->session == s && it->token == tok)) ++it;
    if (it == hs.end()) return false;
    hs.erase(it);
    pump(id, e.index, out);
    answer(*out.reply, reply_kind::released, s, tok);
    return true;
  }

  /// Empties `out`; its reply holds a reply (not an error) whose fields the
  /// command's answer() all sets (the general path resets it first).
  static void clear(applied& out) {
    if (!out.reply) out.reply = reply{};
    out.granted.clear();
    out.timed_out.clear();
    out.freed.clear();
    out.expired.clear();
  }

  /// `out.reply` holds a default reply (clear() or a new `applied`).
  void run(const command_view& c, log_index index, cohort::term t, applied& out) {
    advance(t, c.stamp);
    if (timer_due()) [[unlikely]]
      run_timers(index, out);
    target tg;
    refusal why = validate(c, tg);
    if (why == refusal::none) why = execute(c, tg, index, out, *out.reply);
    if (why != refusal::none) [[unlikely]]
      out.reply = refusal_error(why, c, tg);
  }
  static void answer(reply& r, reply_kind k, session_id s, fencing_token t = {}, duration ttl = {},
                     lock_handle h = {}) {
    r.kind = k;
    r.session = s;
    r.token = t;
    r.ttl = ttl;
    r.handle = h;
  }
  static error unknown_session(session_id s) {
    return make_error(errc::not_found, "lock service: unknown or expired session " + std::to_string(s.value()));
  }
  static std::int64_t add_sat(std::int64_t a, duration d) {
    return d.count() > never - a ? never : a + d.count();
  }

  /// The session's slot in sessions_, or no_session.
  [[nodiscard]] std::uint32_t slot_of(session_id s) const noexcept { return sessions_.find(s); }

  // ---- time ------------------------------------------------------------------

  /// Moves the service's time to what a command stamped `stamp` in term `t` sees.
  void advance(cohort::term t, mono_time stamp) {
    const std::int64_t s = stamp.time_since_epoch().count();
    if (started_ && t == epoch_term_ && s > last_stamp_) now_ = add_sat(now_, duration{s - last_stamp_});
    if (!started_ || t != epoch_term_ || s > last_stamp_) last_stamp_ = s;
    started_ = true;
    epoch_term_ = t;
  }

  // ---- validation (no state change; fills `tg`) --------------------------------

  [[nodiscard]] refusal validate(const command_view& c, target& tg) const noexcept {
    switch (c.kind) {
      case command_kind::tick: return refusal::none;
      case command_kind::open_session:
        return c.ttl < cfg_.ttl_min || c.ttl > cfg_.ttl_max ? refusal::bad_ttl : refusal::none;
      case command_kind::keep_alive:
      case command_kind::close_session:
        return find_session(c.session, tg) ? refusal::none : refusal::unknown_session;
      case command_kind::acquire:
        if (!find_session(c.session, tg)) return refusal::unknown_session;
        if (c.name.empty()) return refusal::empty_name;
        tg.lock = locks_.find(c.name);
        return check_acquire(c, tg);
      case command_kind::acquire_handle:
        if (const refusal why = find_handle(c, tg); why != refusal::none) return why;
        return check_acquire(c, tg);
      case command_kind::release:
        if (!find_session(c.session, tg)) return refusal::unknown_session;
        tg.lock = locks_.find(c.name);
        return check_release(c, tg);
      case command_kind::release_handle:
        if (const refusal why = find_handle(c, tg); why != refusal::none) return why;
        return check_release(c, tg);
      case command_kind::bind:
        if (!find_session(c.session, tg)) return refusal::unknown_session;
        if (c.name.empty()) return refusal::empty_name;
        return check_bind(c, tg);
    }
    return refusal::bad_kind;
  }
  /// A new handle must fit the session's allowance (rebinding a name it has is free).
  refusal check_bind(const command_view& c, const target& tg) const noexcept {
    if (sessions_.state(tg.session).handles < cfg_.handles_per_session_max) return refusal::none;
    const std::uint32_t id = locks_.find(c.name);
    const bool has = id != lock_table::npos && bindings_.find(binding_key{c.session, id}) != binding_table::npos;
    return has ? refusal::none : refusal::too_many_handles;
  }
  /// The session and the lock of `c`'s handle, noted in `tg`.
  refusal find_handle(const command_view& c, target& tg) const noexcept {
    const std::uint32_t k = binding_of(c.session, c.handle);
    if (k == binding_table::npos) return find_session(c.session, tg) ? refusal::bad_handle : refusal::unknown_session;
    tg.session = bindings_.state(k);
    tg.lock = bindings_.key(k).lock;
    return refusal::none;
  }
  /// Whether `id` (a slot or npos) is an existing lock.
  [[nodiscard]] bool exists(std::uint32_t id) const noexcept {
    return id != lock_table::npos && locks_.entry(id).active;
  }
  /// Whether the session is live; notes its position in `tg`.
  bool find_session(session_id s, target& tg) const noexcept {
    tg.session = slot_of(s);
    return tg.session != no_session;
  }
  /// An acquire's wait: 0 to wait_max, or wait_forever (both paths check this).
  [[nodiscard]] bool wait_allowed(duration w) const noexcept {
    return w >= duration::zero() && (w <= cfg_.wait_max || w == wait_forever);
  }
  /// An acquire's lock-delay: the default, or 0 to lock_delay_max.
  [[nodiscard]] bool lock_delay_allowed(duration d) const noexcept {
    return d == default_lock_delay || (d >= duration::zero() && d <= cfg_.lock_delay_max);
  }
  /// The checks of an acquire whose session (and lock slot, if any) `tg` has.
  [[nodiscard]] refusal check_acquire(const command_view& c, target& tg) const noexcept {
    if (!wait_allowed(c.wait)) return refusal::bad_wait;
    if (!lock_delay_allowed(c.lock_delay)) return refusal::bad_lock_delay;
    if (c.mode == lock_mode::semaphore &&
        (c.limit == 0 || c.limit > cfg_.permits_max || c.permits == 0 || c.permits > c.limit))
      return refusal::bad_permits;
    if (!exists(tg.lock)) return refusal::none;
    const lock_state& l = locks_.state(tg.lock);
    if (!kind_matches(c, l)) return refusal::kind_mismatch;
    return other_request(c, l, tg);
  }
  /// A session holds or waits for a lock through one request at a time
  /// (locks are not reentrant: a second request would wait for itself):
  /// whether the session holds or waits through another request than `c`'s.
  /// The same pass notes in `tg` whether `c` retries the request that is there.
  [[nodiscard]] static refusal other_request(const command_view& c, const lock_state& l, target& tg) noexcept {
    refusal other = refusal::none;
    for (const holder& h : l.holders) {
      if (h.session != c.session) continue;
      if (h.request != c.request) {
        other = refusal::holds_other;
      } else {
        tg.retry = reply_kind::granted;
        tg.retry_token = h.token;
      }
    }
    if (other != refusal::none) return other;
    for (const waiter& w : l.queue) {
      if (w.session != c.session) continue;
      if (w.request != c.request) other = refusal::waits_other;
      else if (tg.retry == reply_kind::ticked) tg.retry = reply_kind::queued;
    }
    return other;
  }
  [[nodiscard]] static bool kind_matches(const command_view& c, const lock_state& l) noexcept {
    const bool sem = c.mode == lock_mode::semaphore;
    return l.semaphore == sem && (!sem || l.limit == c.limit);
  }
  /// The checks of a release whose session (and lock slot, if any) `tg` has.
  [[nodiscard]] refusal check_release(const command_view& c, target& tg) const noexcept {
    if (!exists(tg.lock)) return refusal::no_grant;
    const std::vector<holder>& hs = locks_.state(tg.lock).holders;
    for (tg.holder = 0; tg.holder < hs.size(); ++tg.holder)
      if (hs[tg.holder].session == c.session && hs[tg.holder].token == c.token) return refusal::none;
    return refusal::no_grant;
  }

  // ---- refusals: the error values, built only when a command is refused --------

  /// The name of the lock `c` is about: its own, or its handle's.
  [[nodiscard]] std::string_view name_in(const command_view& c, const target& tg) const {
    const bool by_handle = c.kind == command_kind::acquire_handle || c.kind == command_kind::release_handle;
    return by_handle && tg.lock != lock_table::npos ? std::string_view(locks_.name(tg.lock)) : c.name;
  }

  [[nodiscard]] error refusal_error(refusal why, const command_view& c, const target& tg) const {
    const std::string name(name_in(c, tg));
    switch (why) {
      case refusal::none:
      case refusal::bad_kind: break;
      case refusal::unknown_session: return unknown_session(c.session);
      case refusal::bad_ttl:
        return make_error(errc::invalid_argument, "lock service: ttl " + std::to_string(c.ttl.count()) +
                                                      "ns outside [" + std::to_string(cfg_.ttl_min.count()) + ", " +
                                                      std::to_string(cfg_.ttl_max.count()) + "]ns");
      case refusal::empty_name: return make_error(errc::invalid_argument, "lock service: empty lock name");
      case refusal::bad_wait:
        return make_error(errc::invalid_argument, "lock service: wait " + std::to_string(c.wait.count()) +
                                                      "ns is negative or longer than wait_max");
      case refusal::bad_lock_delay:
        return make_error(errc::invalid_argument, "lock service: lock_delay " + std::to_string(c.lock_delay.count()) +
                                                      "ns outside [0, lock_delay_max]");
      case refusal::bad_permits:
        return make_error(errc::invalid_argument, "lock service: " + std::to_string(c.permits) + " permits of a " +
                                                      std::to_string(c.limit) + "-permit semaphore");
      case refusal::kind_mismatch: return kind_mismatch(name, locks_.state(tg.lock));
      case refusal::too_many_handles:
        return make_error(errc::capacity_exceeded, "lock service: session " + std::to_string(c.session.value()) +
                                                       " already holds " + std::to_string(cfg_.handles_per_session_max) +
                                                       " lock handles");
      case refusal::bad_handle:
        return make_error(errc::invalid_argument, "lock service: " + std::to_string(c.handle.value()) +
                                                      " is not a lock handle of session " +
                                                      std::to_string(c.session.value()));
      case refusal::holds_other:
      case refusal::waits_other:
        return make_error(errc::conflict, "lock service: session " + std::to_string(c.session.value()) + " already " +
                                              (why == refusal::holds_other ? "holds '" : "waits for '") +
                                              name + "' (another request)");
      case refusal::no_grant: return release_refusal(c, name);
      case refusal::not_available:
        return make_error(errc::conflict, "lock service: '" + name + "' is not available");
      case refusal::completed:
        return make_error(errc::conflict, "lock service: request " + std::to_string(c.request) + " of session " +
                                              std::to_string(c.session.value()) +
                                              " already completed (released, refused or timed out)");
    }
    return make_error(errc::malformed_message, "lock service: unknown command kind");
  }
  [[nodiscard]] static error kind_mismatch(const std::string& name, const lock_state& l) {
    return make_error(errc::conflict, "lock service: lock '" + name + "' is " +
                                          (l.semaphore ? "a semaphore of " + std::to_string(l.limit) + " permits"
                                                       : std::string("a reader/writer lock")));
  }
  /// Why a release that matches no grant is refused.
  [[nodiscard]] error release_refusal(const command_view& c, const std::string& lock) const {
    bool holds_this = false;
    for (const std::uint32_t id : locks_.sorted_ids()) {
      const std::string& name = locks_.name(id);
      for (const holder& h : locks_.state(id).holders) {
        if (h.session != c.session) continue;
        if (name == lock) holds_this = true;
        else if (h.token == c.token)
          return make_error(errc::invalid_argument, "lock service: token " + std::to_string(c.token.value()) +
                                                        " belongs to lock '" + name + "', not '" + lock + "'");
      }
    }
    if (holds_this)
      return make_error(errc::conflict, "lock service: token " + std::to_string(c.token.value()) +
                                            " is not the session's current grant of '" + lock + "'");
    return make_error(errc::not_found, "lock service: session " + std::to_string(c.session.value()) +
                                           " does not hold '" + lock + "'");
  }

  // ---- execution (the command was validated; `tg` is what validation found) ------

  /// refusal::none, or an answer that is an error (not_available, completed).
  refusal execute(const command_view& c, const target& tg, log_index index, applied& out, reply& r) {
    switch (c.kind) {
      case command_kind::tick: break;
      case command_kind::open_session: open(c, index, r); break;
      case command_kind::keep_alive: keep_alive(tg.session, r); break;
      case command_kind::close_session: close(c.session, index, out, r); break;
      case command_kind::acquire:
      case command_kind::acquire_handle: return acquire(c, tg, index, r);
      case command_kind::release:
      case command_kind::release_handle: release(c, tg, index, out, r); break;
      case command_kind::bind: bind(c, tg, r); break;
    }
    return refusal::none;
  }

  void open(const command_view& c, log_index index, reply& r) {
    const session_id s{index.value()};
    session_state st{add_sat(now_, c.ttl), c.ttl, 0, c.owner};
    std::uint32_t k = slot_of(s);
    if (k == no_session) k = sessions_.insert(s);
    else st.handles = sessions_.state(k).handles;  // re-applied at the same index: the same session
    sessions_.state(k) = st;
    session_timers_.emplace(st.expiry, s.value());
    answer(r, reply_kind::session_opened, s, {}, c.ttl);
  }

  void keep_alive(std::uint32_t k, reply& r) {
    const session_id s = sessions_.key(k);
    session_state& st = sessions_.state(k);
    session_timers_.erase({st.expiry, s.value()});
    st.expiry = add_sat(now_, st.ttl);
    session_timers_.emplace(st.expiry, s.value());
    answer(r, reply_kind::kept_alive, s, {}, st.ttl);
  }

  void close(session_id s, log_index index, applied& out, reply& r) {
    drop_session_everywhere(s, false, out);
    pump_all(index, out);
    answer(r, reply_kind::session_closed, s);
  }

  refusal acquire(const command_view& c, const target& tg, log_index index, reply& r) {
    session_state& st = sessions_.state(tg.session);
    if (tg.retry != reply_kind::ticked) {  // a retried request still live: the same answer
      answer(r, tg.retry, c.session, tg.retry_token);
      return refusal::none;
    }
    if (c.request <= st.highest_request) return refusal::completed;
    st.highest_request = c.request;
    const duration delay = c.lock_delay == default_lock_delay ? cfg_.lock_delay : c.lock_delay;
    const bool fresh = !exists(tg.lock);
    const std::uint32_t id = fresh ? create_lock(c, tg.lock) : tg.lock;
    lock_state& l = locks_.state(id);
    const std::uint32_t permits = l.semaphore ? c.permits : 1;
    const fencing_token tok{index.value()};
    const lock_handle h = c.kind == command_kind::acquire_handle ? c.handle : lock_handle{};
    if (l.queue.empty() && now_ >= l.delay_until && grantable(l, c.mode, permits)) {
      l.holders.push_back(holder{c.session, c.request, tok, c.mode, permits, delay, h});
      answer(r, reply_kind::granted, c.session, tok);
      return refusal::none;
    }
    if (c.wait == duration::zero()) {
      if (fresh) retire(id);
      return refusal::not_available;
    }
    const std::int64_t deadline = c.wait == wait_forever ? never : add_sat(now_, c.wait);
    l.queue.push_back(waiter{c.session, st.owner, c.request, c.mode, permits, delay, deadline, h});
    if (deadline != never) lock_timers_.emplace(deadline, locks_.name(id));
    answer(r, reply_kind::queued, c.session);
    return refusal::none;
  }
  /// A new idle lock of the kind `c` asks for, in slot `id` (kept by
  /// handles) or, if npos, a new slot named by `c`; its slot.
  std::uint32_t create_lock(const command_view& c, std::uint32_t id) {
    if (id == lock_table::npos) id = locks_.insert(c.name);
    lock_entry& e = locks_.entry(id);
    e.active = true;
    e.state.semaphore = c.mode == lock_mode::semaphore;
    e.state.limit = e.state.semaphore ? c.limit : 1;
    return id;
  }
  /// Ends the idle lock in slot `id`: the slot goes unless handles keep it.
  void retire(std::uint32_t id) {
    lock_entry& e = locks_.entry(id);
    if (e.refs == 0) {
      locks_.erase(id);
      return;
    }
    const std::uint32_t refs = e.refs;
    lock_traits::reset(e);
    e.refs = refs;
  }

  /// Gives the session a handle on the lock named `c.name` (the one it has
  /// if it has one: a retried bind gets the same handle).
  void bind(const command_view& c, const target& tg, reply& r) {
    std::uint32_t id = locks_.find(c.name);
    if (id == lock_table::npos) id = locks_.insert(c.name);  // no lock yet: a slot the handle keeps
    const binding_key key{c.session, id};
    std::uint32_t k = bindings_.find(key);
    if (k == binding_table::npos) {
      k = bindings_.insert(key);
      bindings_.state(k) = tg.session;
      ++locks_.entry(id).refs;
      ++sessions_.state(tg.session).handles;
    }
    answer(r, reply_kind::bound, c.session, {}, {}, lock_handle{std::uint64_t{k} + 1});
  }
  /// Drops the handles of session `s` (which has `n`).
  void unbind_all(session_id s, std::uint32_t n) {
    for (std::uint32_t k = 0; n > 0 && k < bindings_.slot_count(); ++k) {
      if (!bindings_.live(k) || bindings_.key(k).session != s) continue;
      const std::uint32_t id = bindings_.key(k).lock;
      bindings_.erase(k);
      --n;
      lock_entry& e = locks_.entry(id);
      if (--e.refs == 0 && !e.active) locks_.erase(id);
    }
  }

  void release(const command_view& c, const target& tg, log_index index, applied& out, reply& r) {
    auto& hs = locks_.state(tg.lock).holders;
    hs.erase(hs.begin() + tg.holder);
    pump(tg.lock, index, out);
    answer(r, reply_kind::released, c.session, c.token);
  }

  // ---- grants and timers --------------------------------------------------------

  [[nodiscard]] static bool grantable(const lock_state& l, lock_mode m, std::uint32_t permits) {
    if (l.semaphore) {
      std::uint64_t used = 0;
      for (const holder& h : l.holders) used += h.permits;
      return used + permits <= l.limit;
    }
    if (m == lock_mode::exclusive) return l.holders.empty();
    return std::none_of(l.holders.begin(), l.holders.end(),
                        [](const holder& h) { return h.mode == lock_mode::exclusive; });
  }

  /// Appends the notice for waiter `w` of lock `id`, built in place (reusing
  /// the vector's elements: no string built and copied).
  /// A request by handle is told its handle, not the name (no copy).
  void report(std::vector<grant>& to, const waiter& w, std::uint32_t id, fencing_token tok) const {
    grant& g = to.emplace_back();
    g.session = w.session;
    g.owner = w.owner;
    g.request = w.request;
    if (w.handle == lock_handle{}) g.lock.assign(locks_.name(id));
    else g.lock.clear();
    g.token = tok;
    g.mode = w.mode;
    g.permits = w.permits;
    g.handle = w.handle;
  }

  /// Grants waiters from the front while they fit; erases the lock once idle.
  void pump(std::uint32_t id, log_index index, applied& out) {
    lock_state& l = locks_.state(id);
    if (now_ >= l.delay_until) {
      while (!l.queue.empty()) {
        const waiter& w = l.queue.front();
        if (w.deadline <= now_) {  // its wait ended before its turn came
          report(out.timed_out, w, id, {});
        } else if (grantable(l, w.mode, w.permits)) {
          const fencing_token tok{index.value()};
          l.holders.push_back(holder{w.session, w.request, tok, w.mode, w.permits, w.lock_delay, w.handle});
          report(out.granted, w, id, tok);
        } else {
          break;
        }
        l.queue.pop_front();  // last: it may release the element `w` refers to
      }
    }
    if (l.holders.empty() && l.queue.empty() && now_ >= l.delay_until) retire(id);
  }

  /// Whether a session expiry, an ended wait or a lock-delay is due by now.
  [[nodiscard]] bool timer_due() const noexcept {
    return (!session_timers_.empty() && session_timers_.begin()->first <= now_) ||
           (!lock_timers_.empty() && lock_timers_.begin()->first <= now_);
  }

  void run_timers(log_index index, applied& out) {
    if (!session_timers_.empty() && session_timers_.begin()->first <= now_) {
      // Every session due expires before any lock is handed on, so that no
      // grant goes to a session expiring at the same instant.
      while (!session_timers_.empty() && session_timers_.begin()->first <= now_) {
        const session_id s{session_timers_.begin()->second};
        out.expired.push_back(s);
        drop_session_everywhere(s, true, out);
      }
      pump_all(index, out);
    }
    while (!lock_timers_.empty() && lock_timers_.begin()->first <= now_) {
      const std::string name = lock_timers_.begin()->second;
      lock_timers_.erase(lock_timers_.begin());
      const std::uint32_t id = locks_.find_active(name);
      if (id == lock_table::npos) continue;
      drop_late_waiters(id, out);
      pump(id, index, out);
    }
  }

  /// Pumps every lock, in name order (pumping erases only the lock pumped).
  void pump_all(log_index index, applied& out) {
    for (const std::uint32_t id : locks_.in_name_order()) pump(id, index, out);
  }

  void drop_late_waiters(std::uint32_t id, applied& out) {
    lock_state& l = locks_.state(id);
    auto late = [&](const waiter& w) { return w.deadline <= now_; };
    for (const waiter& w : l.queue)
      if (late(w)) report(out.timed_out, w, id, {});
    l.queue.erase_if(late);
  }

  /// Frees a session's grants (with lock-delay if it expired) and drops its
  /// waiters, without handing anything on yet.
  void drop_session_everywhere(session_id s, bool expired, applied& out) {
    const std::uint32_t k = slot_of(s);
    const std::uint64_t owner = sessions_.state(k).owner;
    const std::uint32_t handles = sessions_.state(k).handles;
    session_timers_.erase({sessions_.state(k).expiry, s.value()});
    sessions_.erase(k);
    for (const std::uint32_t id : locks_.in_name_order()) drop_session(id, s, owner, expired, out);
    if (handles > 0) unbind_all(s, handles);
  }

  void drop_session(std::uint32_t id, session_id s, std::uint64_t owner, bool expired, applied& out) {
    lock_state& l = locks_.state(id);
    const std::string& name = locks_.name(id);
    for (auto h = l.holders.begin(); h != l.holders.end();) {
      if (h->session != s) {
        ++h;
        continue;
      }
      if (expired) {
        out.freed.push_back(grant{s, owner, h->request, h->handle == lock_handle{} ? name : std::string(), h->token,
                                  h->mode, h->permits, h->handle});
        if (h->lock_delay > duration::zero()) {
          l.delay_until = std::max(l.delay_until, add_sat(now_, h->lock_delay));
          lock_timers_.emplace(l.delay_until, name);
        }
      }
      h = l.holders.erase(h);
    }
    l.queue.erase_if([s](const waiter& w) { return w.session == s; });
  }

  service_config cfg_;
  lock_table locks_;
  session_table sessions_;
  binding_table bindings_;
  std::set<std::pair<std::int64_t, std::uint64_t>> session_timers_;  ///< (expiry, session)
  std::set<std::pair<std::int64_t, std::string>> lock_timers_;       ///< (wait deadline or delay end, lock)
  std::int64_t now_ = 0;
  std::int64_t last_stamp_ = 0;
  cohort::term epoch_term_{};
  bool started_ = false;
};
/// The replicated lock service (see the file comment).
using lock_service = basic_lock_service<>;

static_assert(state_machine<lock_service>);

}  // namespace cohort::lock
