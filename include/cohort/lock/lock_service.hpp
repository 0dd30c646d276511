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
// (errc::conflict). Two refusals are answers, not bad input: a try-acquire of
// a busy lock ("not available", which records the request id as used) and a
// retry of a finished request ("already completed"), both errc::conflict.
//
// Invariants: an exclusive holder is alone; semaphore holders' permits sum to
// at most the limit; every holder and waiter belongs to a live session;
// tokens of later exclusive grants of a lock are larger.
//
// Storage (for speed; no rule depends on it): locks and sessions live in
// reused slots found through hash indexes (on the name, on the id), waiters
// in a vector-backed FIFO and carry their session's owner for the notice;
// the payload is decoded in place (fixed offsets, one length check per
// kind). Validation returns a one-byte refusal code, and the error value
// with its message is built only when a command is refused. Nothing whose
// order can show in a result is iterated in slot order: whole-service
// iterations go in name order, and equality compares locks by name and
// sessions by id. apply(entry, applied&) allocates nothing for an
// acquire or release once the buffers have grown (a lock's first use, a
// timer, an error message and a grant notice's name longer than the
// std::string's inline capacity do allocate).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
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
#include "cohort/lock/fencing.hpp"

namespace cohort::lock {

namespace detail {

/// An open-addressing index (linear probing, backward-shift deletion) from a
/// key's 64-bit hash to the slot (a number below 2^32 - 1) where a table
/// keeps the key. A cell holds the slot and the hash's low 32 bits, so a
/// probe looks at a key only when those bits match. At most 3/4 of the
/// power-of-two cells are used.
class slot_index {
 public:
  static constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

  /// The slot, indexed under hash `h`, for which `is_key(slot)` holds, or npos.
  template <class IsKey>
  [[nodiscard]] std::uint32_t find(std::uint64_t h, IsKey&& is_key) const {
    if (used_ == 0) return npos;
    const std::size_t mask = cells_.size() - 1;
    const auto lo = static_cast<std::uint32_t>(h);
    for (std::size_t i = lo & mask;; i = (i + 1) & mask) {
      const cell c = cells_[i];
      if (c.slot == 0) return npos;
      if (c.hash == lo && is_key(c.slot - 1)) return c.slot - 1;
    }
  }
  /// Indexes `slot` (whose key is not indexed yet) under hash `h`.
  void insert(std::uint64_t h, std::uint32_t slot) {
    if ((used_ + 1) * 4 > cells_.size() * 3) grow();
    place(cell{slot + 1, static_cast<std::uint32_t>(h)});
    ++used_;
  }
  /// Removes `slot`, indexed under hash `h`.
  void erase(std::uint64_t h, std::uint32_t slot) {
    const std::size_t mask = cells_.size() - 1;
    std::size_t hole = static_cast<std::uint32_t>(h) & mask;
    while (cells_[hole].slot != slot + 1) hole = (hole + 1) & mask;
    // Later cells of the probe run move back into the hole unless their home
    // position lies cyclically in (hole, j].
    for (std::size_t j = (hole + 1) & mask; cells_[j].slot != 0; j = (j + 1) & mask) {
      const std::size_t home = cells_[j].hash & mask;
      const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (stays) continue;
      cells_[hole] = cells_[j];
      hole = j;
    }
    cells_[hole] = cell{};
    --used_;
  }

 private:
  struct cell {
    std::uint32_t slot = 0;  ///< slot + 1; 0 = empty
    std::uint32_t hash = 0;  ///< the low 32 bits of the key's hash
  };
  void place(cell c) {
    const std::size_t mask = cells_.size() - 1;
    std::size_t i = c.hash & mask;
    while (cells_[i].slot != 0) i = (i + 1) & mask;
    cells_[i] = c;
  }
  void grow() {
    std::vector<cell> old(std::max<std::size_t>(16, cells_.size() * 2));
    old.swap(cells_);
    for (const cell& c : old)
      if (c.slot != 0) place(c);
  }
  std::vector<cell> cells_;
  std::size_t used_ = 0;
};

}  // namespace detail

/// Bounds of the service; validate() refuses inconsistent ones.
struct service_config {
  duration ttl_min = std::chrono::milliseconds(100);
  duration ttl_max = std::chrono::minutes(10);
  duration lock_delay = std::chrono::seconds(1);  ///< used when an acquire asks for the default
  duration lock_delay_max = std::chrono::minutes(1);
  duration wait_max = std::chrono::hours(1);  ///< longest finite wait (wait_forever is allowed too)
  std::uint32_t permits_max = 1u << 20;       ///< largest semaphore limit
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
    return success();
  }
};

/// A grant (or a waiter's request) as reported to drivers and tests.
struct grant {
  session_id session{};
  std::uint64_t owner = 0;  ///< the session's owner (from open_session), to route the notice
  std::uint64_t request = 0;
  std::string lock;
  fencing_token token{};  ///< 0 for a waiter that timed out
  lock_mode mode = lock_mode::exclusive;
  std::uint32_t permits = 1;
  friend bool operator==(const grant&, const grant&) = default;
};

enum class reply_kind : std::uint8_t { ticked, session_opened, kept_alive, session_closed, granted, queued, released };

constexpr std::string_view name_of(reply_kind k) noexcept {
  switch (k) {
    case reply_kind::ticked: return "ticked";
    case reply_kind::session_opened: return "session_opened";
    case reply_kind::kept_alive: return "kept_alive";
    case reply_kind::session_closed: return "session_closed";
    case reply_kind::granted: return "granted";
    case reply_kind::queued: return "queued";
    case reply_kind::released: return "released";
  }
  return "unknown";
}

/// The proposer's answer.
struct reply {
  reply_kind kind = reply_kind::ticked;
  session_id session{};
  fencing_token token{};  ///< granted: the fencing token
  duration ttl{};         ///< session_opened, kept_alive: the session's TTL
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

/// A FIFO queue over a vector whose front moves: steady traffic through it
/// (push at the back, pop at the front) does not allocate once the vector
/// has grown. Iterates front to back; equality compares the elements.
template <class T>
class fifo {
 public:
  using value_type = T;
  using const_iterator = typename std::vector<T>::const_iterator;

  [[nodiscard]] bool empty() const noexcept { return head_ == items_.size(); }
  [[nodiscard]] std::size_t size() const noexcept { return items_.size() - head_; }
  /// The first element; the queue must not be empty.
  [[nodiscard]] const T& front() const { return items_[head_]; }
  [[nodiscard]] const_iterator begin() const noexcept { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  [[nodiscard]] const_iterator end() const noexcept { return items_.end(); }

  /// Compacts only when the vector is full and at least half of it was
  /// popped (else it grows): a compaction moves no more elements than were
  /// popped since the last one, so a push costs O(1) amortized.
  void push_back(const T& v) {
    if (items_.size() == items_.capacity() && head_ != 0 && head_ * 2 >= items_.size()) compact();
    items_.push_back(v);
  }
  /// Removes the first element; the queue must not be empty.
  void pop_front() {
    if (++head_ == items_.size()) clear();
  }
  void clear() noexcept {
    items_.clear();
    head_ = 0;
  }
  /// Removes the elements matching `pred`, the others keeping their order.
  template <class Pred>
  void erase_if(Pred pred) {
    compact();
    items_.erase(std::remove_if(items_.begin(), items_.end(), pred), items_.end());
  }

  friend bool operator==(const fifo& a, const fifo& b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

 private:
  void compact() {
    items_.erase(items_.begin(), begin());
    head_ = 0;
  }
  std::vector<T> items_;
  std::size_t head_ = 0;
};

class lock_service {
 public:
  struct holder {
    session_id session{};
    std::uint64_t request = 0;
    fencing_token token{};
    lock_mode mode = lock_mode::exclusive;
    std::uint32_t permits = 1;
    duration lock_delay{};
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
    friend bool operator==(const session_state&, const session_state&) = default;
  };
  /// A lock with its name, as listed by locks() (valid until the next apply).
  struct named_lock {
    std::string_view name;
    const lock_state* state = nullptr;
  };

  /// errc::invalid_config for an invalid config.
  static result<lock_service> create(const service_config& c = {}) {
    if (auto v = c.validate(); !v) return v.error();
    return lock_service(c);
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
    command_view c;
    if (const auto st = detail::parse(e.data, c); st != detail::parse_status::ok) {
      out.reply = detail::parse_error(st, c.kind);
      return;
    }
    run(c, e.index, e.term, out);
  }

  /// Applies a decoded command as if it were the entry (index, term).
  applied apply(const command& c, log_index index, cohort::term t) {
    applied out;
    run(view_of(c), index, t, out);
    return out;
  }

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
    const std::uint32_t id = locks_.find(name);
    return id == lock_table::npos ? nullptr : &locks_.state(id);
  }
  /// Every lock, in name order.
  [[nodiscard]] std::vector<named_lock> locks() const {
    std::vector<named_lock> out;
    for (const std::uint32_t id : locks_.sorted_ids()) out.push_back(named_lock{locks_.name(id), &locks_.state(id)});
    return out;
  }
  [[nodiscard]] const service_config& config() const noexcept { return cfg_; }

  /// Whole-state equality (replicas that applied the same entries compare equal).
  friend bool operator==(const lock_service&, const lock_service&) = default;

 private:
  static constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();
  static constexpr std::uint32_t no_session = detail::slot_index::npos;

  /// The locks by name: a slot per lock (reused once the lock is erased, so
  /// the slots number at most the most locks that existed at once) and an
  /// open-addressing index (linear probing, backward-shift deletion) from
  /// the name's hash to its slot (detail::slot_index): a command finds its
  /// lock with one hash and one comparison. Slot numbers depend on the order of insertions, so
  /// equality compares locks by name, and every iteration whose order can
  /// show in results goes in name order.
  class lock_table {
   public:
    static constexpr std::uint32_t npos = detail::slot_index::npos;

    explicit lock_table(std::uint64_t seed = 0) noexcept : seed_(seed) {}

    [[nodiscard]] std::size_t size() const noexcept { return live_; }
    /// The slot of the lock named `name`, or npos.
    [[nodiscard]] std::uint32_t find(std::string_view name) const noexcept {
      if (live_ == 0) return npos;
      return index_.find(hash_of(seed_, name), [&](std::uint32_t id) { return same(slots_[id].name, name); });
    }
    /// Adds an idle lock named `name` (which must not exist); its slot.
    std::uint32_t insert(std::string_view name) {
      std::uint32_t id = 0;
      if (free_.empty()) {
        id = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
      } else {
        id = free_.back();
        free_.pop_back();
      }
      slot& s = slots_[id];
      s.name.assign(name);
      s.hash = hash_of(seed_, name);
      s.live = true;
      index_.insert(s.hash, id);
      ++live_;
      return id;
    }
    /// Removes the lock in slot `id`, keeping its buffers for the slot's next lock.
    void erase(std::uint32_t id) {
      slot& s = slots_[id];
      index_.erase(s.hash, id);
      s.live = false;
      s.state.semaphore = false;
      s.state.limit = 1;
      s.state.holders.clear();
      s.state.queue.clear();
      s.state.delay_until = std::numeric_limits<std::int64_t>::min();
      free_.push_back(id);
      --live_;
    }
    [[nodiscard]] lock_state& state(std::uint32_t id) noexcept { return slots_[id].state; }
    [[nodiscard]] const lock_state& state(std::uint32_t id) const noexcept { return slots_[id].state; }
    [[nodiscard]] const std::string& name(std::uint32_t id) const noexcept { return slots_[id].name; }
    /// The slots of all locks, in name order.
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
      if (a.live_ != b.live_) return false;
      for (const slot& s : a.slots_) {
        if (!s.live) continue;
        const std::uint32_t id = b.find(s.name);
        if (id == npos || !(b.slots_[id].state == s.state)) return false;
      }
      return true;
    }

   private:
    struct slot {
      std::string name;
      std::uint64_t hash = 0;
      lock_state state;
      bool live = false;
    };
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
    static std::uint64_t hash_of(std::uint64_t seed, std::string_view name) noexcept {
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
    void sorted_ids(std::vector<std::uint32_t>& ids) const {
      ids.clear();
      for (std::uint32_t i = 0; i < slots_.size(); ++i)
        if (slots_[i].live) ids.push_back(i);
      std::sort(ids.begin(), ids.end(),
                [this](std::uint32_t a, std::uint32_t b) { return slots_[a].name < slots_[b].name; });
    }
    std::vector<slot> slots_;
    std::vector<std::uint32_t> free_;   ///< slots of erased locks
    detail::slot_index index_;
    std::vector<std::uint32_t> order_;  ///< scratch for in_name_order (not state)
    std::size_t live_ = 0;
    std::uint64_t seed_ = 0;
  };

  /// The live sessions: a slot per session (reused once it ends) found
  /// through a detail::slot_index on the id. Ids are log indexes, which
  /// clients do not choose, spread by a multiplicative hash. Equality
  /// compares content, not slots.
  class session_table {
   public:
    static constexpr std::uint32_t npos = detail::slot_index::npos;

    [[nodiscard]] std::size_t size() const noexcept { return live_; }
    /// The slot of session `s`, or npos.
    [[nodiscard]] std::uint32_t find(session_id s) const noexcept {
      if (live_ == 0) return npos;
      return index_.find(hash_of(s), [&](std::uint32_t k) { return slots_[k].id == s; });
    }
    /// Adds session `s` (which must not exist); its slot.
    std::uint32_t insert(session_id s, const session_state& st) {
      std::uint32_t k = 0;
      if (free_.empty()) {
        k = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
      } else {
        k = free_.back();
        free_.pop_back();
      }
      slots_[k] = slot{s, st, true};
      index_.insert(hash_of(s), k);
      ++live_;
      return k;
    }
    void erase(std::uint32_t k) {
      index_.erase(hash_of(slots_[k].id), k);
      slots_[k].live = false;
      free_.push_back(k);
      --live_;
    }
    [[nodiscard]] session_id id(std::uint32_t k) const noexcept { return slots_[k].id; }
    [[nodiscard]] session_state& state(std::uint32_t k) noexcept { return slots_[k].state; }
    [[nodiscard]] const session_state& state(std::uint32_t k) const noexcept { return slots_[k].state; }

    friend bool operator==(const session_table& a, const session_table& b) {
      if (a.live_ != b.live_) return false;
      for (const slot& s : a.slots_) {
        if (!s.live) continue;
        const std::uint32_t k = b.find(s.id);
        if (k == npos || !(b.slots_[k].state == s.state)) return false;
      }
      return true;
    }

   private:
    struct slot {
      session_id id{};
      session_state state;
      bool live = false;
    };
    static std::uint64_t hash_of(session_id s) noexcept {
      const std::uint64_t h = s.value() * 0x9e3779b97f4a7c15ULL;
      return h ^ (h >> 29);
    }
    std::vector<slot> slots_;
    std::vector<std::uint32_t> free_;  ///< slots of ended sessions
    detail::slot_index index_;
    std::size_t live_ = 0;
  };

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
    holds_other,      ///< conflict: the session holds the lock through another request
    waits_other,      ///< conflict: the session waits for the lock through another request
    no_grant,         ///< release matching no grant (release_refusal says which error)
    not_available,    ///< conflict: a try-acquire of a busy lock (an answer)
    completed,        ///< conflict: a retry of a finished request (an answer)
  };

  explicit lock_service(const service_config& c) : cfg_(c), locks_(c.name_hash_seed) {}

  static void clear(applied& out) {
    if (out.reply) *out.reply = reply{};
    else out.reply = reply{};
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
  static void answer(reply& r, reply_kind k, session_id s, fencing_token t = {}, duration ttl = {}) {
    r.kind = k;
    r.session = s;
    r.token = t;
    r.ttl = ttl;
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
      case command_kind::acquire: return check_acquire(c, tg);
      case command_kind::release: return check_release(c, tg);
    }
    return refusal::bad_kind;
  }
  /// Whether the session is live; notes its position in `tg`.
  bool find_session(session_id s, target& tg) const noexcept {
    tg.session = slot_of(s);
    return tg.session != no_session;
  }
  [[nodiscard]] refusal check_acquire(const command_view& c, target& tg) const noexcept {
    if (!find_session(c.session, tg)) return refusal::unknown_session;
    if (c.name.empty()) return refusal::empty_name;
    if (c.wait < duration::zero() || (c.wait > cfg_.wait_max && c.wait != wait_forever)) return refusal::bad_wait;
    if (c.lock_delay != default_lock_delay && (c.lock_delay < duration::zero() || c.lock_delay > cfg_.lock_delay_max))
      return refusal::bad_lock_delay;
    if (c.mode == lock_mode::semaphore &&
        (c.limit == 0 || c.limit > cfg_.permits_max || c.permits == 0 || c.permits > c.limit))
      return refusal::bad_permits;
    tg.lock = locks_.find(c.name);
    if (tg.lock == lock_table::npos) return refusal::none;
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
  [[nodiscard]] refusal check_release(const command_view& c, target& tg) const noexcept {
    if (!find_session(c.session, tg)) return refusal::unknown_session;
    tg.lock = locks_.find(c.name);
    if (tg.lock == lock_table::npos) return refusal::no_grant;
    const std::vector<holder>& hs = locks_.state(tg.lock).holders;
    for (tg.holder = 0; tg.holder < hs.size(); ++tg.holder)
      if (hs[tg.holder].session == c.session && hs[tg.holder].token == c.token) return refusal::none;
    return refusal::no_grant;
  }

  // ---- refusals: the error values, built only when a command is refused --------

  [[nodiscard]] error refusal_error(refusal why, const command_view& c, const target& tg) const {
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
      case refusal::kind_mismatch: return kind_mismatch(c, locks_.state(tg.lock));
      case refusal::holds_other:
      case refusal::waits_other:
        return make_error(errc::conflict, "lock service: session " + std::to_string(c.session.value()) + " already " +
                                              (why == refusal::holds_other ? "holds '" : "waits for '") +
                                              std::string(c.name) + "' (another request)");
      case refusal::no_grant: return release_refusal(c);
      case refusal::not_available:
        return make_error(errc::conflict, "lock service: '" + std::string(c.name) + "' is not available");
      case refusal::completed:
        return make_error(errc::conflict, "lock service: request " + std::to_string(c.request) + " of session " +
                                              std::to_string(c.session.value()) +
                                              " already completed (released, refused or timed out)");
    }
    return make_error(errc::malformed_message, "lock service: unknown command kind");
  }
  [[nodiscard]] static error kind_mismatch(const command_view& c, const lock_state& l) {
    return make_error(errc::conflict, "lock service: lock '" + std::string(c.name) + "' is " +
                                          (l.semaphore ? "a semaphore of " + std::to_string(l.limit) + " permits"
                                                       : std::string("a reader/writer lock")));
  }
  /// Why a release that matches no grant is refused.
  [[nodiscard]] error release_refusal(const command_view& c) const {
    bool holds_this = false;
    for (const std::uint32_t id : locks_.sorted_ids()) {
      const std::string& name = locks_.name(id);
      for (const holder& h : locks_.state(id).holders) {
        if (h.session != c.session) continue;
        if (name == c.name) holds_this = true;
        else if (h.token == c.token)
          return make_error(errc::invalid_argument, "lock service: token " + std::to_string(c.token.value()) +
                                                        " belongs to lock '" + name + "', not '" +
                                                        std::string(c.name) + "'");
      }
    }
    if (holds_this)
      return make_error(errc::conflict, "lock service: token " + std::to_string(c.token.value()) +
                                            " is not the session's current grant of '" + std::string(c.name) + "'");
    return make_error(errc::not_found, "lock service: session " + std::to_string(c.session.value()) +
                                           " does not hold '" + std::string(c.name) + "'");
  }

  // ---- execution (the command was validated; `tg` is what validation found) ------

  /// refusal::none, or an answer that is an error (not_available, completed).
  refusal execute(const command_view& c, const target& tg, log_index index, applied& out, reply& r) {
    switch (c.kind) {
      case command_kind::tick: break;
      case command_kind::open_session: open(c, index, r); break;
      case command_kind::keep_alive: keep_alive(tg.session, r); break;
      case command_kind::close_session: close(c.session, index, out, r); break;
      case command_kind::acquire: return acquire(c, tg, index, r);
      case command_kind::release: release(c, tg, index, out, r); break;
    }
    return refusal::none;
  }

  void open(const command_view& c, log_index index, reply& r) {
    const session_id s{index.value()};
    const session_state st{add_sat(now_, c.ttl), c.ttl, 0, c.owner};
    if (const std::uint32_t k = slot_of(s); k != no_session) sessions_.state(k) = st;
    else sessions_.insert(s, st);
    session_timers_.emplace(st.expiry, s.value());
    answer(r, reply_kind::session_opened, s, {}, c.ttl);
  }

  void keep_alive(std::uint32_t k, reply& r) {
    const session_id s = sessions_.id(k);
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
    const bool fresh = tg.lock == lock_table::npos;
    const std::uint32_t id = fresh ? create_lock(c) : tg.lock;
    lock_state& l = locks_.state(id);
    const std::uint32_t permits = l.semaphore ? c.permits : 1;
    const fencing_token tok{index.value()};
    if (l.queue.empty() && now_ >= l.delay_until && grantable(l, c.mode, permits)) {
      l.holders.push_back(holder{c.session, c.request, tok, c.mode, permits, delay});
      answer(r, reply_kind::granted, c.session, tok);
      return refusal::none;
    }
    if (c.wait == duration::zero()) {
      if (fresh) locks_.erase(id);
      return refusal::not_available;
    }
    const std::int64_t deadline = c.wait == wait_forever ? never : add_sat(now_, c.wait);
    l.queue.push_back(waiter{c.session, st.owner, c.request, c.mode, permits, delay, deadline});
    if (deadline != never) lock_timers_.emplace(deadline, std::string(c.name));
    answer(r, reply_kind::queued, c.session);
    return refusal::none;
  }
  /// A new idle lock of the kind `c` asks for; its slot.
  std::uint32_t create_lock(const command_view& c) {
    const std::uint32_t id = locks_.insert(c.name);
    lock_state& l = locks_.state(id);
    l.semaphore = c.mode == lock_mode::semaphore;
    l.limit = l.semaphore ? c.limit : 1;
    return id;
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
  void report(std::vector<grant>& to, const waiter& w, std::uint32_t id, fencing_token tok) const {
    grant& g = to.emplace_back();
    g.session = w.session;
    g.owner = w.owner;
    g.request = w.request;
    g.lock.assign(locks_.name(id));
    g.token = tok;
    g.mode = w.mode;
    g.permits = w.permits;
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
          l.holders.push_back(holder{w.session, w.request, tok, w.mode, w.permits, w.lock_delay});
          report(out.granted, w, id, tok);
        } else {
          break;
        }
        l.queue.pop_front();  // last: it may release the element `w` refers to
      }
    }
    if (l.holders.empty() && l.queue.empty() && now_ >= l.delay_until) locks_.erase(id);
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
      const std::uint32_t id = locks_.find(name);
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
    session_timers_.erase({sessions_.state(k).expiry, s.value()});
    sessions_.erase(k);
    for (const std::uint32_t id : locks_.in_name_order()) drop_session(id, s, owner, expired, out);
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
        out.freed.push_back(grant{s, owner, h->request, name, h->token, h->mode, h->permits});
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
  std::set<std::pair<std::int64_t, std::uint64_t>> session_timers_;  ///< (expiry, session)
  std::set<std::pair<std::int64_t, std::string>> lock_timers_;       ///< (wait deadline or delay end, lock)
  std::int64_t now_ = 0;
  std::int64_t last_stamp_ = 0;
  cohort::term epoch_term_{};
  bool started_ = false;
};

static_assert(state_machine<lock_service>);

}  // namespace cohort::lock
