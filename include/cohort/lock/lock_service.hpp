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
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
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
    std::deque<waiter> queue;
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
    auto c = decode(e.data);
    if (!c) {
      out.reply = std::move(c).error();
      return;
    }
    run(*c, e.index, e.term, out);
  }

  /// Applies a decoded command as if it were the entry (index, term).
  applied apply(const command& c, log_index index, cohort::term t) {
    applied out;
    run(c, index, t, out);
    return out;
  }

  // ---- queries ---------------------------------------------------------------

  /// The service's time (see the file comment), as a duration since its start.
  [[nodiscard]] duration now() const noexcept { return duration{now_}; }
  [[nodiscard]] std::size_t session_count() const noexcept { return sessions_.size(); }
  [[nodiscard]] bool has_session(session_id s) const { return sessions_.count(s) != 0; }
  /// The session's expiry on the service's clock, or errc::not_found.
  [[nodiscard]] result<duration> expiry_of(session_id s) const {
    auto it = sessions_.find(s);
    if (it == sessions_.end()) return unknown_session(s);
    return duration{it->second.expiry};
  }
  /// The owner given when the session was opened (0 if unknown).
  [[nodiscard]] std::uint64_t owner_of(session_id s) const {
    auto it = sessions_.find(s);
    return it == sessions_.end() ? 0 : it->second.owner;
  }
  /// The lock's state, or nullptr if it does not exist.
  [[nodiscard]] const lock_state* find(std::string_view name) const {
    auto it = locks_.find(name);
    return it == locks_.end() ? nullptr : &it->second;
  }
  [[nodiscard]] const std::map<std::string, lock_state, std::less<>>& locks() const noexcept { return locks_; }
  [[nodiscard]] const service_config& config() const noexcept { return cfg_; }

  /// Whole-state equality (replicas that applied the same entries compare equal).
  friend bool operator==(const lock_service&, const lock_service&) = default;

 private:
  static constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();

  explicit lock_service(const service_config& c) : cfg_(c) {}

  static void clear(applied& out) {
    out.reply = reply{};
    out.granted.clear();
    out.timed_out.clear();
    out.freed.clear();
    out.expired.clear();
  }

  void run(const command& c, log_index index, cohort::term t, applied& out) {
    advance(t, c.stamp);
    run_timers(index, out);
    if (auto v = validate(c); !v) {
      out.reply = std::move(v).error();
      return;
    }
    out.reply = execute(c, index, out);
  }
  static error unknown_session(session_id s) {
    return make_error(errc::not_found, "lock service: unknown or expired session " + std::to_string(s.value()));
  }
  static std::int64_t add_sat(std::int64_t a, duration d) {
    return d.count() > never - a ? never : a + d.count();
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

  // ---- validation (no state change) -------------------------------------------

  [[nodiscard]] result<void> validate(const command& c) const {
    switch (c.kind) {
      case command_kind::tick: return success();
      case command_kind::open_session: return check_ttl(c.ttl);
      case command_kind::keep_alive:
      case command_kind::close_session: return check_session(c.session);
      case command_kind::acquire: return check_acquire(c);
      case command_kind::release: return check_release(c);
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
  [[nodiscard]] result<void> check_session(session_id s) const {
    auto it = sessions_.find(s);
    if (it == sessions_.end()) return unknown_session(s);
    return success();
  }
  [[nodiscard]] result<void> check_acquire(const command& c) const {
    if (auto v = check_session(c.session); !v) return v;
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
    if (auto v = check_kind(c); !v) return v;
    return check_single(c);
  }
  /// A session holds or waits for a lock through one request at a time
  /// (locks are not reentrant: a second request would wait for itself).
  [[nodiscard]] result<void> check_single(const command& c) const {
    const lock_state* l = find(c.name);
    if (l == nullptr) return success();
    auto other = [&](session_id s, std::uint64_t request) { return s == c.session && request != c.request; };
    const bool holds = std::any_of(l->holders.begin(), l->holders.end(),
                                   [&](const holder& h) { return other(h.session, h.request); });
    const bool waits = std::any_of(l->queue.begin(), l->queue.end(),
                                   [&](const waiter& w) { return other(w.session, w.request); });
    if (holds || waits)
      return make_error(errc::conflict, "lock service: session " + std::to_string(c.session.value()) + " already " +
                                            (holds ? "holds '" : "waits for '") + c.name + "' (another request)");
    return success();
  }
  [[nodiscard]] result<void> check_kind(const command& c) const {
    const lock_state* l = find(c.name);
    if (l == nullptr) return success();
    const bool sem = c.mode == lock_mode::semaphore;
    if (l->semaphore != sem || (sem && l->limit != c.limit))
      return make_error(errc::conflict, "lock service: lock '" + c.name + "' is " +
                                            (l->semaphore ? "a semaphore of " + std::to_string(l->limit) + " permits"
                                                          : std::string("a reader/writer lock")));
    return success();
  }
  [[nodiscard]] result<void> check_release(const command& c) const {
    if (auto v = check_session(c.session); !v) return v;
    if (const lock_state* l = find(c.name))
      for (const holder& h : l->holders)
        if (h.session == c.session && h.token == c.token) return success();
    return release_refusal(c);
  }
  /// Why a release that matches no grant is refused (the slow path).
  [[nodiscard]] error release_refusal(const command& c) const {
    bool holds_this = false;
    for (const auto& [name, l] : locks_)
      for (const holder& h : l.holders) {
        if (h.session != c.session) continue;
        if (name == c.name) holds_this = true;
        else if (h.token == c.token)
          return make_error(errc::invalid_argument, "lock service: token " + std::to_string(c.token.value()) +
                                                        " belongs to lock '" + name + "', not '" + c.name + "'");
      }
    if (holds_this)
      return make_error(errc::conflict, "lock service: token " + std::to_string(c.token.value()) +
                                            " is not the session's current grant of '" + c.name + "'");
    return make_error(errc::not_found, "lock service: session " + std::to_string(c.session.value()) +
                                           " does not hold '" + c.name + "'");
  }

  // ---- execution (the command was validated) -------------------------------------

  result<reply> execute(const command& c, log_index index, applied& out) {
    switch (c.kind) {
      case command_kind::tick: return reply{};
      case command_kind::open_session: return open(c, index);
      case command_kind::keep_alive: return keep_alive(c.session);
      case command_kind::close_session: return close(c.session, index, out);
      case command_kind::acquire: return acquire(c, index);
      case command_kind::release: return release(c, index, out);
    }
    return reply{};
  }

  reply open(const command& c, log_index index) {
    const session_id s{index.value()};
    sessions_[s] = session_state{add_sat(now_, c.ttl), c.ttl, 0, c.owner};
    session_timers_.emplace(add_sat(now_, c.ttl), s.value());
    return reply{reply_kind::session_opened, s, {}, c.ttl};
  }

  reply keep_alive(session_id s) {
    session_state& st = sessions_.at(s);
    session_timers_.erase({st.expiry, s.value()});
    st.expiry = add_sat(now_, st.ttl);
    session_timers_.emplace(st.expiry, s.value());
    return reply{reply_kind::kept_alive, s, {}, st.ttl};
  }

  reply close(session_id s, log_index index, applied& out) {
    drop_session_everywhere(s, false, out);
    pump_all(index, out);
    return reply{reply_kind::session_closed, s, {}, {}};
  }

  result<reply> acquire(const command& c, log_index index) {
    session_state& st = sessions_.at(c.session);
    auto it = locks_.find(c.name);
    if (auto known = replay(c, st, it == locks_.end() ? nullptr : &it->second)) return *known;
    st.highest_request = c.request;
    const duration delay = c.lock_delay == default_lock_delay ? cfg_.lock_delay : c.lock_delay;
    const bool fresh = it == locks_.end();
    if (fresh) {
      it = locks_.emplace_hint(it, c.name, lock_state{});
      it->second.semaphore = c.mode == lock_mode::semaphore;
      it->second.limit = it->second.semaphore ? c.limit : 1;
    }
    lock_state& l = it->second;
    const std::uint32_t permits = l.semaphore ? c.permits : 1;
    if (l.queue.empty() && now_ >= l.delay_until && grantable(l, c.mode, permits)) {
      l.holders.push_back(holder{c.session, c.request, fencing_token{index.value()}, c.mode, permits, delay});
      return reply{reply_kind::granted, c.session, fencing_token{index.value()}, {}};
    }
    if (c.wait == duration::zero()) {
      if (fresh) locks_.erase(it);
      return make_error(errc::conflict, "lock service: '" + c.name + "' is not available");
    }
    const std::int64_t deadline = c.wait == wait_forever ? never : add_sat(now_, c.wait);
    l.queue.push_back(waiter{c.session, c.request, c.mode, permits, delay, deadline});
    if (deadline != never) lock_timers_.emplace(deadline, c.name);
    return reply{reply_kind::queued, c.session, {}, {}};
  }

  /// The answer to a retried acquire, if the request is not new.
  static std::optional<result<reply>> replay(const command& c, const session_state& st, const lock_state* l) {
    if (l != nullptr) {
      for (const holder& h : l->holders)
        if (h.session == c.session && h.request == c.request)
          return result<reply>(reply{reply_kind::granted, c.session, h.token, {}});
      for (const waiter& w : l->queue)
        if (w.session == c.session && w.request == c.request)
          return result<reply>(reply{reply_kind::queued, c.session, {}, {}});
    }
    if (c.request <= st.highest_request)
      return result<reply>(make_error(errc::conflict, "lock service: request " + std::to_string(c.request) +
                                                          " of session " + std::to_string(c.session.value()) +
                                                          " already completed (released, refused or timed out)"));
    return std::nullopt;
  }

  reply release(const command& c, log_index index, applied& out) {
    auto it = locks_.find(c.name);
    auto& hs = it->second.holders;
    hs.erase(std::find_if(hs.begin(), hs.end(),
                          [&](const holder& h) { return h.session == c.session && h.token == c.token; }));
    pump(it, index, out);
    return reply{reply_kind::released, c.session, c.token, {}};
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

  /// Grants waiters from the front while they fit; erases the lock once idle.
  void pump(std::map<std::string, lock_state, std::less<>>::iterator it, log_index index, applied& out) {
    lock_state& l = it->second;
    if (now_ >= l.delay_until) {
      while (!l.queue.empty()) {
        const waiter w = l.queue.front();
        if (w.deadline > now_ && !grantable(l, w.mode, w.permits)) break;
        l.queue.pop_front();
        if (w.deadline <= now_) {  // its wait ended before its turn came
          out.timed_out.push_back(grant{w.session, owner_of(w.session), w.request, it->first, {}, w.mode, w.permits});
          continue;
        }
        const fencing_token tok{index.value()};
        l.holders.push_back(holder{w.session, w.request, tok, w.mode, w.permits, w.lock_delay});
        out.granted.push_back(grant{w.session, owner_of(w.session), w.request, it->first, tok, w.mode, w.permits});
      }
    }
    if (l.holders.empty() && l.queue.empty() && now_ >= l.delay_until) locks_.erase(it);
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
      auto it = locks_.find(name);
      if (it == locks_.end()) continue;
      drop_late_waiters(it->first, it->second, out);
      pump(it, index, out);
    }
  }

  void pump_all(log_index index, applied& out) {
    for (auto it = locks_.begin(); it != locks_.end();) {
      auto next = std::next(it);
      pump(it, index, out);
      it = next;
    }
  }

  void drop_late_waiters(const std::string& name, lock_state& l, applied& out) {
    auto late = [&](const waiter& w) { return w.deadline <= now_; };
    for (const waiter& w : l.queue)
      if (late(w)) out.timed_out.push_back(grant{w.session, owner_of(w.session), w.request, name, {}, w.mode, w.permits});
    l.queue.erase(std::remove_if(l.queue.begin(), l.queue.end(), late), l.queue.end());
  }

  /// Frees a session's grants (with lock-delay if it expired) and drops its
  /// waiters, without handing anything on yet.
  void drop_session_everywhere(session_id s, bool expired, applied& out) {
    auto st = sessions_.find(s);
    const std::uint64_t owner = st->second.owner;
    session_timers_.erase({st->second.expiry, s.value()});
    sessions_.erase(st);
    for (auto& [name, l] : locks_) drop_session(name, l, s, owner, expired, out);
  }

  /// Whether the lock changed.
  bool drop_session(const std::string& name, lock_state& l, session_id s, std::uint64_t owner, bool expired,
                    applied& out) {
    bool changed = false;
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
      changed = true;
    }
    const auto before = l.queue.size();
    l.queue.erase(std::remove_if(l.queue.begin(), l.queue.end(), [s](const waiter& w) { return w.session == s; }),
                  l.queue.end());
    return changed || l.queue.size() != before;
  }

  service_config cfg_;
  std::map<std::string, lock_state, std::less<>> locks_;
  std::map<session_id, session_state> sessions_;
  std::set<std::pair<std::int64_t, std::uint64_t>> session_timers_;  ///< (expiry, session)
  std::set<std::pair<std::int64_t, std::string>> lock_timers_;       ///< (wait deadline or delay end, lock)
  std::int64_t now_ = 0;
  std::int64_t last_stamp_ = 0;
  cohort::term epoch_term_{};
  bool started_ = false;
};

static_assert(state_machine<lock_service>);

}  // namespace cohort::lock
