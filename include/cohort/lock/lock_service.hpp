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
// Storage (for speed; no rule depends on it): locks live in reused slots
// found through a hash index on the name, sessions in a vector sorted by id,
// waiters in a vector-backed FIFO; the payload is decoded in place
// (decode_view). Nothing whose order can show in a result is iterated in
// slot order: whole-service iterations go in name order, and equality
// compares locks by name. apply(entry, applied&) allocates nothing for an
// acquire or release once the buffers have grown (a lock's first use, a
// timer, an error message and a grant notice's name longer than the
// std::string's inline capacity do allocate).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
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

  void push_back(const T& v) {
    if (head_ != 0 && head_ * 2 >= items_.size()) compact();  // moves at most as many as were popped
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
    const std::size_t k = slot_of(s);
    if (k == no_session) return unknown_session(s);
    return duration{sessions_[k].second.expiry};
  }
  /// The owner given when the session was opened (0 if unknown).
  [[nodiscard]] std::uint64_t owner_of(session_id s) const {
    const std::size_t k = slot_of(s);
    return k == no_session ? 0 : sessions_[k].second.owner;
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
  static constexpr std::size_t no_session = std::numeric_limits<std::size_t>::max();

  /// The locks by name: a slot per lock (reused once the lock is erased, so
  /// the slots number at most the most locks that existed at once) and an
  /// open-addressing index (linear probing, backward-shift deletion) from
  /// the name's hash to its slot: a command finds its lock with one hash and
  /// one comparison. Slot numbers depend on the order of insertions, so
  /// equality compares locks by name, and every iteration whose order can
  /// show in results goes in name order.
  class lock_table {
   public:
    static constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

    explicit lock_table(std::uint64_t seed = 0) noexcept : seed_(seed) {}

    [[nodiscard]] std::size_t size() const noexcept { return live_; }
    /// The slot of the lock named `name`, or npos.
    [[nodiscard]] std::uint32_t find(std::string_view name) const noexcept {
      if (live_ == 0) return npos;
      const std::uint64_t h = hash_of(seed_, name);
      const std::size_t mask = index_.size() - 1;
      for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        const std::uint32_t v = index_[i];
        if (v == 0) return npos;
        const slot& s = slots_[v - 1];
        if (s.hash == h && same(s.name, name)) return v - 1;
      }
    }
    /// Adds an idle lock named `name` (which must not exist); its slot.
    std::uint32_t insert(std::string_view name) {
      if ((live_ + 1) * 4 > index_.size() * 3) rehash(std::max<std::size_t>(16, index_.size() * 2));
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
      place(id);
      ++live_;
      return id;
    }
    /// Removes the lock in slot `id`, keeping its buffers for the slot's next lock.
    void erase(std::uint32_t id) {
      slot& s = slots_[id];
      const std::size_t mask = index_.size() - 1;
      std::size_t hole = s.hash & mask;
      while (index_[hole] != id + 1) hole = (hole + 1) & mask;
      // Later entries of the probe run move back into the hole unless their
      // home position lies cyclically in (hole, j].
      for (std::size_t j = (hole + 1) & mask; index_[j] != 0; j = (j + 1) & mask) {
        const std::size_t home = slots_[index_[j] - 1].hash & mask;
        const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (stays) continue;
        index_[hole] = index_[j];
        hole = j;
      }
      index_[hole] = 0;
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
    /// The last n % 8 bytes of a name of n bytes, read as (at most) two
    /// overlapping loads within the name.
    static std::uint64_t tail_of(const char* p, std::size_t n) noexcept {
      const std::size_t r = n % 8;
      const char* t = p + (n - r);
      if (r >= 4) return (std::uint64_t{load32(t)} << 32) | load32(t + r - 4);
      if (r == 0) return 0;
      return std::uint64_t{static_cast<unsigned char>(t[0])} << 16 |
             std::uint64_t{static_cast<unsigned char>(t[r / 2])} << 8 | static_cast<unsigned char>(t[r - 1]);
    }
    /// A multiplicative hash over 8-byte words and the tail, finished by a
    /// full 64-bit mix (names differing in any byte spread over the index).
    /// Only the layout depends on it, never a result.
    static std::uint64_t hash_of(std::uint64_t seed, std::string_view name) noexcept {
      constexpr std::uint64_t k = 0xff51afd7ed558ccdULL;
      std::uint64_t h = (0x9e3779b97f4a7c15ULL ^ seed) * k ^ name.size();
      const std::size_t words = name.size() / 8;
      for (std::size_t i = 0; i < words; ++i) {
        h = (h ^ load64(name.data() + 8 * i)) * k;
        h ^= h >> 32;
      }
      h ^= tail_of(name.data(), name.size());
      h ^= h >> 33;
      h *= k;
      h ^= h >> 33;
      h *= 0xc4ceb9fe1a85ec53ULL;
      return h ^ (h >> 33);
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
    void place(std::uint32_t id) {
      const std::size_t mask = index_.size() - 1;
      std::size_t i = slots_[id].hash & mask;
      while (index_[i] != 0) i = (i + 1) & mask;
      index_[i] = id + 1;
    }
    void rehash(std::size_t n) {
      index_.assign(n, 0);
      for (std::uint32_t i = 0; i < slots_.size(); ++i)
        if (slots_[i].live) place(i);
    }

    std::vector<slot> slots_;
    std::vector<std::uint32_t> free_;   ///< slots of erased locks
    std::vector<std::uint32_t> index_;  ///< power-of-two size; 0 = empty, else slot + 1
    std::vector<std::uint32_t> order_;  ///< scratch for in_name_order (not state)
    std::size_t live_ = 0;
    std::uint64_t seed_ = 0;
  };

  /// What a valid command acts on, found once by validation.
  struct target {
    std::size_t session = no_session;       ///< position in sessions_ (keep_alive, acquire, release)
    std::uint32_t lock = lock_table::npos;  ///< acquire, release: the lock's slot (npos: not yet a lock)
    reply_kind retry = reply_kind::ticked;  ///< acquire: granted or queued if it retries a live request
    fencing_token retry_token{};            ///< acquire: the grant a retry repeats
  };

  explicit lock_service(const service_config& c) : cfg_(c), locks_(c.name_hash_seed) {}

  static void clear(applied& out) {
    out.reply = reply{};
    out.granted.clear();
    out.timed_out.clear();
    out.freed.clear();
    out.expired.clear();
  }

  void run(const command_view& c, log_index index, cohort::term t, applied& out) {
    advance(t, c.stamp);
    if (timer_due()) run_timers(index, out);
    target tg;
    if (auto v = validate(c, tg); !v) {
      out.reply = std::move(v).error();
      return;
    }
    // clear() left a default reply in out.reply: execution fills its fields.
    if (auto v = execute(c, tg, index, out, *out.reply); !v) out.reply = std::move(v).error();
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

  // ---- sessions (a vector sorted by id: ids are log indexes, so opening appends) ----

  /// The session's position in sessions_, or no_session (a binary search
  /// without data-dependent branches: the sessions of consecutive commands
  /// are unpredictable).
  [[nodiscard]] std::size_t slot_of(session_id s) const noexcept {
    std::size_t lo = 0, n = sessions_.size();
    if (n == 0) return no_session;
    while (n > 1) {
      const std::size_t half = n / 2;
      lo = sessions_[lo + half].first <= s ? lo + half : lo;
      n -= half;
    }
    return sessions_[lo].first == s ? lo : no_session;
  }

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

  [[nodiscard]] result<void> validate(const command_view& c, target& tg) const {
    switch (c.kind) {
      case command_kind::tick: return success();
      case command_kind::open_session: return check_ttl(c.ttl);
      case command_kind::keep_alive:
      case command_kind::close_session:
        if (!find_session(c.session, tg)) return unknown_session(c.session);
        return success();
      case command_kind::acquire: return check_acquire(c, tg);
      case command_kind::release: return check_release(c, tg);
    }
    return make_error(errc::malformed_message, "lock service: unknown command kind");
  }
  [[nodiscard]] result<void> check_ttl(duration ttl) const {
    if (ttl < cfg_.ttl_min || ttl > cfg_.ttl_max)
      return make_error(errc::invalid_argument, "lock service: ttl " + std::to_string(ttl.count()) +
                                                    "ns outside [" + std::to_string(cfg_.ttl_min.count()) + ", " +
                                                    std::to_string(cfg_.ttl_max.count()) + "]ns");
    return success();
  }
  /// Whether the session is live; notes its position in `tg`.
  bool find_session(session_id s, target& tg) const noexcept {
    tg.session = slot_of(s);
    return tg.session != no_session;
  }
  // The checks below are predicates, their errors built only when they fail.
  [[nodiscard]] result<void> check_acquire(const command_view& c, target& tg) const {
    if (!find_session(c.session, tg)) return unknown_session(c.session);
    if (c.name.empty()) return make_error(errc::invalid_argument, "lock service: empty lock name");
    if (c.wait < duration::zero() || (c.wait > cfg_.wait_max && c.wait != wait_forever))
      return make_error(errc::invalid_argument, "lock service: wait " + std::to_string(c.wait.count()) +
                                                    "ns is negative or longer than wait_max");
    if (c.lock_delay != default_lock_delay && (c.lock_delay < duration::zero() || c.lock_delay > cfg_.lock_delay_max))
      return make_error(errc::invalid_argument, "lock service: lock_delay " + std::to_string(c.lock_delay.count()) +
                                                    "ns outside [0, lock_delay_max]");
    if (c.mode == lock_mode::semaphore) {
      if (c.limit == 0 || c.limit > cfg_.permits_max || c.permits == 0 || c.permits > c.limit)
        return make_error(errc::invalid_argument, "lock service: " + std::to_string(c.permits) + " permits of a " +
                                                      std::to_string(c.limit) + "-permit semaphore");
    }
    tg.lock = locks_.find(c.name);
    if (tg.lock == lock_table::npos) return success();
    const lock_state& l = locks_.state(tg.lock);
    if (!kind_matches(c, l)) return kind_mismatch(c, l);
    if (const auto other = other_request(c, l, tg); other != other_none) return not_single(c, other);
    return success();
  }
  static constexpr int other_none = 0, other_holds = 1, other_waits = 2;
  /// A session holds or waits for a lock through one request at a time
  /// (locks are not reentrant: a second request would wait for itself):
  /// whether the session holds or waits through another request than `c`'s.
  /// The same pass notes in `tg` whether `c` retries the request that is there.
  [[nodiscard]] static int other_request(const command_view& c, const lock_state& l, target& tg) noexcept {
    int other = other_none;
    for (const holder& h : l.holders) {
      if (h.session != c.session) continue;
      if (h.request != c.request) {
        other = other_holds;
      } else {
        tg.retry = reply_kind::granted;
        tg.retry_token = h.token;
      }
    }
    if (other != other_none) return other;
    for (const waiter& w : l.queue) {
      if (w.session != c.session) continue;
      if (w.request != c.request) other = other_waits;
      else if (tg.retry == reply_kind::ticked) tg.retry = reply_kind::queued;
    }
    return other;
  }
  [[nodiscard]] static error not_single(const command_view& c, int other) {
    return make_error(errc::conflict, "lock service: session " + std::to_string(c.session.value()) + " already " +
                                          (other == other_holds ? "holds '" : "waits for '") + std::string(c.name) +
                                          "' (another request)");
  }
  [[nodiscard]] static bool kind_matches(const command_view& c, const lock_state& l) noexcept {
    const bool sem = c.mode == lock_mode::semaphore;
    return l.semaphore == sem && (!sem || l.limit == c.limit);
  }
  [[nodiscard]] static error kind_mismatch(const command_view& c, const lock_state& l) {
    return make_error(errc::conflict, "lock service: lock '" + std::string(c.name) + "' is " +
                                          (l.semaphore ? "a semaphore of " + std::to_string(l.limit) + " permits"
                                                       : std::string("a reader/writer lock")));
  }
  [[nodiscard]] result<void> check_release(const command_view& c, target& tg) const {
    if (!find_session(c.session, tg)) return unknown_session(c.session);
    tg.lock = locks_.find(c.name);
    if (tg.lock != lock_table::npos)
      for (const holder& h : locks_.state(tg.lock).holders)
        if (h.session == c.session && h.token == c.token) return success();
    return release_refusal(c);
  }
  /// Why a release that matches no grant is refused (the slow path).
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

  result<void> execute(const command_view& c, const target& tg, log_index index, applied& out, reply& r) {
    switch (c.kind) {
      case command_kind::tick: break;
      case command_kind::open_session: open(c, index, r); break;
      case command_kind::keep_alive: keep_alive(tg.session, r); break;
      case command_kind::close_session: close(c.session, index, out, r); break;
      case command_kind::acquire: return acquire(c, tg, index, r);
      case command_kind::release: release(c, tg, index, out, r); break;
    }
    return success();
  }

  void open(const command_view& c, log_index index, reply& r) {
    const session_id s{index.value()};
    const session_state st{add_sat(now_, c.ttl), c.ttl, 0, c.owner};
    auto it = std::lower_bound(sessions_.begin(), sessions_.end(), s,
                               [](const std::pair<session_id, session_state>& e, session_id k) { return e.first < k; });
    if (it != sessions_.end() && it->first == s) it->second = st;
    else sessions_.emplace(it, s, st);
    session_timers_.emplace(st.expiry, s.value());
    answer(r, reply_kind::session_opened, s, {}, c.ttl);
  }

  void keep_alive(std::size_t k, reply& r) {
    const session_id s = sessions_[k].first;
    session_state& st = sessions_[k].second;
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

  result<void> acquire(const command_view& c, const target& tg, log_index index, reply& r) {
    session_state& st = sessions_[tg.session].second;
    const bool fresh = tg.lock == lock_table::npos;
    if (tg.retry != reply_kind::ticked) {  // a retried request still live: the same answer
      answer(r, tg.retry, c.session, tg.retry_token);
      return success();
    }
    if (c.request <= st.highest_request)
      return make_error(errc::conflict, "lock service: request " + std::to_string(c.request) + " of session " +
                                            std::to_string(c.session.value()) +
                                            " already completed (released, refused or timed out)");
    st.highest_request = c.request;
    const duration delay = c.lock_delay == default_lock_delay ? cfg_.lock_delay : c.lock_delay;
    std::uint32_t id = tg.lock;
    if (fresh) {
      id = locks_.insert(c.name);
      lock_state& created = locks_.state(id);
      created.semaphore = c.mode == lock_mode::semaphore;
      created.limit = created.semaphore ? c.limit : 1;
    }
    lock_state& l = locks_.state(id);
    const std::uint32_t permits = l.semaphore ? c.permits : 1;
    if (l.queue.empty() && now_ >= l.delay_until && grantable(l, c.mode, permits)) {
      l.holders.push_back(holder{c.session, c.request, fencing_token{index.value()}, c.mode, permits, delay});
      answer(r, reply_kind::granted, c.session, fencing_token{index.value()});
      return success();
    }
    if (c.wait == duration::zero()) {
      if (fresh) locks_.erase(id);
      return make_error(errc::conflict, "lock service: '" + std::string(c.name) + "' is not available");
    }
    const std::int64_t deadline = c.wait == wait_forever ? never : add_sat(now_, c.wait);
    l.queue.push_back(waiter{c.session, c.request, c.mode, permits, delay, deadline});
    if (deadline != never) lock_timers_.emplace(deadline, std::string(c.name));
    answer(r, reply_kind::queued, c.session);
    return success();
  }

  void release(const command_view& c, const target& tg, log_index index, applied& out, reply& r) {
    auto& hs = locks_.state(tg.lock).holders;
    hs.erase(std::find_if(hs.begin(), hs.end(),
                          [&](const holder& h) { return h.session == c.session && h.token == c.token; }));
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
    g.owner = owner_of(w.session);
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
        const waiter w = l.queue.front();
        if (w.deadline > now_ && !grantable(l, w.mode, w.permits)) break;
        l.queue.pop_front();
        if (w.deadline <= now_) {  // its wait ended before its turn came
          report(out.timed_out, w, id, {});
          continue;
        }
        const fencing_token tok{index.value()};
        l.holders.push_back(holder{w.session, w.request, tok, w.mode, w.permits, w.lock_delay});
        report(out.granted, w, id, tok);
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
    const auto st = sessions_.begin() + static_cast<std::ptrdiff_t>(slot_of(s));
    const std::uint64_t owner = st->second.owner;
    session_timers_.erase({st->second.expiry, s.value()});
    sessions_.erase(st);
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
  std::vector<std::pair<session_id, session_state>> sessions_;       ///< sorted by id
  std::set<std::pair<std::int64_t, std::uint64_t>> session_timers_;  ///< (expiry, session)
  std::set<std::pair<std::int64_t, std::string>> lock_timers_;       ///< (wait deadline or delay end, lock)
  std::int64_t now_ = 0;
  std::int64_t last_stamp_ = 0;
  cohort::term epoch_term_{};
  bool started_ = false;
};

static_assert(state_machine<lock_service>);

}  // namespace cohort::lock
