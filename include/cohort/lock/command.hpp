// cohort/lock/command.hpp - the lock service's commands and their binary encoding.
//
// A client builds a `command` (open_session, keep_alive, acquire, ...) and
// sends it to the leader; the leader stamps it with its own monotonic clock
// reading and proposes `encode(cmd, clock.now())`. Time enters the state
// machine only through these stamps (see lock_service.hpp), so every replica
// computes the same expiries.
//
// Encoding (little-endian, fixed-width):
//   u8 version (1) | u8 kind | i64 stamp_ns | kind-specific fields:
//     tick           -
//     open_session   i64 ttl_ns | u64 owner
//     keep_alive     u64 session
//     close_session  u64 session
//     acquire        u64 session | u64 request | u8 mode | u32 permits | u32 limit |
//                    i64 wait_ns | i64 lock_delay_ns | u16 name_len | name bytes
//     release        u64 session | u64 token | u16 name_len | name bytes
//     bind           u64 session | u16 name_len | name bytes
//     acquire_handle u64 session | u64 request | u8 mode | u32 permits | u32 limit |
//                    i64 wait_ns | i64 lock_delay_ns | u64 handle
//     release_handle u64 session | u64 token | u64 handle
// (acquire_handle is acquire with the handle in place of the name: the same
// offsets up to it.) Every field sits at a fixed offset for its kind (the name last), so decoding
// is one length check per kind and loads at known positions. decode() checks
// every length and enum value and that nothing trails: a malformed payload
// gives errc::malformed_message, never a read out of bounds, and a payload it
// accepts is exactly what encode() gives for the decoded command.
// Value ranges (TTL bounds, permits <= limit, ...) are the service's to check.
//
// `command` owns its lock name; `command_view` (the same fields, the name a
// std::string_view) refers to bytes kept alive elsewhere. encode() takes
// either and writes one buffer of the exact size; decode_view() reads a
// payload without allocating, its name referring into the payload (what the
// lock service applies); decode() gives a command that owns its name.
//
// Lock handles. bind(session, name) gives a `lock_handle`: a number the
// service assigns to the session's use of that lock, valid until the session
// ends. acquire_handle and release_handle are acquire and release with the
// handle in place of the name: a fixed-size payload, and the service finds
// the session and the lock by indexing an array instead of hashing and
// comparing the name (the fast form; see lock_service.hpp). Both forms may be
// mixed freely: they act on the same lock state.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "cohort/core/bytes.hpp"
#include "cohort/core/result.hpp"
#include "cohort/core/time.hpp"
#include "cohort/core/types.hpp"
#include "cohort/lock/fencing.hpp"

namespace cohort::lock {

struct session_id_tag {};
/// A client session (the log index of the command that opened it); no arithmetic.
using session_id = tagged_u64<session_id_tag>;

struct lock_handle_tag {};
/// A session's handle on a lock (given by command::bind; 0 = none); no arithmetic.
using lock_handle = tagged_u64<lock_handle_tag>;

enum class command_kind : std::uint8_t {
  tick = 1,       ///< only moves the service's time (the leader proposes it periodically)
  open_session,   ///< opens a session with a TTL
  keep_alive,     ///< renews a session for its TTL
  close_session,  ///< ends a session: its locks are released at once (no lock-delay)
  acquire,        ///< takes a lock (exclusive, shared or semaphore permits), waiting up to `wait`
  release,        ///< gives back the grant with `token`
  bind,           ///< gives the session a handle on a lock (by name) for the fast forms
  acquire_handle, ///< acquire, the lock named by the session's handle
  release_handle, ///< release, the lock named by the session's handle
};

enum class lock_mode : std::uint8_t {
  exclusive = 0,  ///< one holder (of a reader/writer lock)
  shared = 1,     ///< any number of shared holders, no exclusive one
  semaphore = 2,  ///< `permits` of a semaphore's `limit`
};

constexpr std::string_view name_of(command_kind k) noexcept {
  switch (k) {
    case command_kind::tick: return "tick";
    case command_kind::open_session: return "open_session";
    case command_kind::keep_alive: return "keep_alive";
    case command_kind::close_session: return "close_session";
    case command_kind::acquire: return "acquire";
    case command_kind::release: return "release";
    case command_kind::bind: return "bind";
    case command_kind::acquire_handle: return "acquire_handle";
    case command_kind::release_handle: return "release_handle";
  }
  return "unknown";
}
constexpr std::string_view name_of(lock_mode m) noexcept {
  switch (m) {
    case lock_mode::exclusive: return "exclusive";
    case lock_mode::shared: return "shared";
    case lock_mode::semaphore: return "semaphore";
  }
  return "unknown";
}

/// Waits until granted (or the session ends).
inline constexpr duration wait_forever = duration::max();
/// Asks for the service's configured lock-delay.
inline constexpr duration default_lock_delay = duration{-1};

/// One command; only the fields of its kind are encoded (see the file comment).
/// `Name` owns the lock's name (`command`) or refers to bytes kept alive
/// elsewhere (`command_view`: the payload it was decoded from, or a `command`).
template <class Name>
struct basic_command {
  command_kind kind = command_kind::tick;
  mono_time stamp{};  ///< the leader's clock reading at proposal (set by encode)
  session_id session{};
  std::uint64_t request = 0;  ///< acquire: the client's request id (increasing per session)
  duration ttl{};             ///< open_session
  std::uint64_t owner = 0;    ///< open_session: opaque to the service (e.g. the client's address), reported with grants
  lock_mode mode = lock_mode::exclusive;
  std::uint32_t permits = 1;  ///< semaphore: permits wanted
  std::uint32_t limit = 1;    ///< semaphore: permits that exist
  duration wait{};            ///< acquire: zero = try once; wait_forever = no deadline
  duration lock_delay = default_lock_delay;  ///< acquire: held-lock delay after an expiry
  fencing_token token{};                     ///< release, release_handle
  Name name{};                               ///< acquire, release, bind: the lock's name
  lock_handle handle{};                      ///< acquire_handle, release_handle: the session's handle

  static basic_command tick() { return basic_command{}; }
  static basic_command open_session(duration ttl, std::uint64_t owner = 0) {
    basic_command c;
    c.kind = command_kind::open_session;
    c.ttl = ttl;
    c.owner = owner;
    return c;
  }
  static basic_command keep_alive(session_id s) { return of_session(command_kind::keep_alive, s); }
  static basic_command close_session(session_id s) { return of_session(command_kind::close_session, s); }
  static basic_command acquire(session_id s, std::uint64_t request, Name name, lock_mode m = lock_mode::exclusive,
                               duration wait = wait_forever) {
    basic_command c = of_session(command_kind::acquire, s);
    c.request = request;
    c.name = std::move(name);
    c.mode = m;
    c.wait = wait;
    return c;
  }
  static basic_command acquire_permits(session_id s, std::uint64_t request, Name name, std::uint32_t permits,
                                       std::uint32_t limit, duration wait = wait_forever) {
    basic_command c = acquire(s, request, std::move(name), lock_mode::semaphore, wait);
    c.permits = permits;
    c.limit = limit;
    return c;
  }
  static basic_command release(session_id s, Name name, fencing_token t) {
    basic_command c = of_session(command_kind::release, s);
    c.name = std::move(name);
    c.token = t;
    return c;
  }

  static basic_command bind(session_id s, Name name) {
    basic_command c = of_session(command_kind::bind, s);
    c.name = std::move(name);
    return c;
  }
  static basic_command acquire_handle(session_id s, std::uint64_t request, lock_handle h,
                                      lock_mode m = lock_mode::exclusive, duration wait = wait_forever) {
    basic_command c = of_session(command_kind::acquire_handle, s);
    c.request = request;
    c.handle = h;
    c.mode = m;
    c.wait = wait;
    return c;
  }
  static basic_command acquire_handle_permits(session_id s, std::uint64_t request, lock_handle h,
                                              std::uint32_t permits, std::uint32_t limit,
                                              duration wait = wait_forever) {
    basic_command c = acquire_handle(s, request, h, lock_mode::semaphore, wait);
    c.permits = permits;
    c.limit = limit;
    return c;
  }
  static basic_command release_handle(session_id s, lock_handle h, fencing_token t) {
    basic_command c = of_session(command_kind::release_handle, s);
    c.handle = h;
    c.token = t;
    return c;
  }

  friend bool operator==(const basic_command&, const basic_command&) = default;

 private:
  static basic_command of_session(command_kind k, session_id s) {
    basic_command c;
    c.kind = k;
    c.session = s;
    return c;
  }
};

/// A command that owns its lock name: what clients build.
using command = basic_command<std::string>;
/// A command whose name refers to bytes it does not own: what the service
/// decodes and applies without copying the name (see decode_view).
using command_view = basic_command<std::string_view>;

/// `c`'s fields, its name referring to `c.name` (valid while `c` is unchanged).
inline command_view view_of(const command& c) {
  command_view v;
  v.kind = c.kind;
  v.stamp = c.stamp;
  v.session = c.session;
  v.request = c.request;
  v.ttl = c.ttl;
  v.owner = c.owner;
  v.mode = c.mode;
  v.permits = c.permits;
  v.limit = c.limit;
  v.wait = c.wait;
  v.lock_delay = c.lock_delay;
  v.token = c.token;
  v.name = c.name;
  v.handle = c.handle;
  return v;
}

/// The longest lock name accepted by encode/decode.
inline constexpr std::size_t name_bytes_max = 1024;

namespace detail {

inline constexpr std::uint8_t format_version = 1;
inline constexpr std::size_t header_bytes = 10;  ///< version, kind, stamp

/// The fixed-size fields of each kind's body, up to the name (or all of it).
/// Offsets within the body, as the file comment lays them out.
namespace at {
inline constexpr std::size_t open_ttl = 0, open_owner = 8, open_end = 16;
inline constexpr std::size_t session = 0, session_end = 8;  // keep_alive, close_session
inline constexpr std::size_t acq_request = 8, acq_mode = 16, acq_permits = 17, acq_limit = 21, acq_wait = 25,
                             acq_delay = 33, acq_name_len = 41, acq_end = 43;
inline constexpr std::size_t rel_token = 8, rel_name_len = 16, rel_end = 18;
inline constexpr std::size_t bind_name_len = 8, bind_end = 10;
inline constexpr std::size_t acqh_handle = 41, acqh_end = 49;  // the acquire's fields up to acq_delay, then the handle
inline constexpr std::size_t relh_handle = 16, relh_end = 24;  // the release's fields up to rel_token, then the handle
}  // namespace at

/// Fixed-size little-endian stores and loads at a position known to be in
/// bounds (the callers check the length once for a whole run of fields).
template <class U>
void store(std::byte* p, U v) noexcept {
  using W = std::make_unsigned_t<U>;
  const W w = static_cast<W>(v);
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &w, sizeof(W));
  } else {
    for (std::size_t i = 0; i < sizeof(W); ++i) p[i] = static_cast<std::byte>(w >> (8 * i));
  }
}
template <class U>
U load(const std::byte* p) noexcept {
  using W = std::make_unsigned_t<U>;
  W w = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&w, p, sizeof(W));
  } else {
    for (std::size_t i = 0; i < sizeof(W); ++i) w = static_cast<W>(w | W(std::to_integer<std::uint8_t>(p[i])) << (8 * i));
  }
  return static_cast<U>(w);
}

/// The bytes of `c`'s body: its fixed fields, then the name if it has one.
template <class Name>
std::size_t body_bytes(const basic_command<Name>& c) {
  switch (c.kind) {
    case command_kind::tick: return 0;
    case command_kind::open_session: return at::open_end;
    case command_kind::keep_alive:
    case command_kind::close_session: return at::session_end;
    case command_kind::acquire: return at::acq_end + std::string_view(c.name).size();
    case command_kind::release: return at::rel_end + std::string_view(c.name).size();
    case command_kind::bind: return at::bind_end + std::string_view(c.name).size();
    case command_kind::acquire_handle: return at::acqh_end;
    case command_kind::release_handle: return at::relh_end;
  }
  return 0;
}

/// Writes the fields an acquire and an acquire_handle share (up to acq_delay).
template <class Name>
void write_acquire(std::byte* b, const basic_command<Name>& c) {
  store(b + at::session, c.session.value());
  store(b + at::acq_request, c.request);
  store(b + at::acq_mode, static_cast<std::uint8_t>(c.mode));
  store(b + at::acq_permits, c.permits);
  store(b + at::acq_limit, c.limit);
  store(b + at::acq_wait, c.wait.count());
  store(b + at::acq_delay, c.lock_delay.count());
}

/// Writes `c`'s body at `b` (body_bytes(c) bytes).
template <class Name>
void write_body(std::byte* b, const basic_command<Name>& c) {
  const std::string_view name(c.name);
  switch (c.kind) {
    case command_kind::tick: break;
    case command_kind::open_session:
      store(b + at::open_ttl, c.ttl.count());
      store(b + at::open_owner, c.owner);
      break;
    case command_kind::keep_alive:
    case command_kind::close_session: store(b + at::session, c.session.value()); break;
    case command_kind::acquire:
      write_acquire(b, c);
      store(b + at::acq_name_len, static_cast<std::uint16_t>(name.size()));
      if (!name.empty()) std::memcpy(b + at::acq_end, name.data(), name.size());
      break;
    case command_kind::acquire_handle:
      write_acquire(b, c);
      store(b + at::acqh_handle, c.handle.value());
      break;
    case command_kind::bind:
      store(b + at::session, c.session.value());
      store(b + at::bind_name_len, static_cast<std::uint16_t>(name.size()));
      if (!name.empty()) std::memcpy(b + at::bind_end, name.data(), name.size());
      break;
    case command_kind::release_handle:
      store(b + at::session, c.session.value());
      store(b + at::rel_token, c.token.value());
      store(b + at::relh_handle, c.handle.value());
      break;
    case command_kind::release:
      store(b + at::session, c.session.value());
      store(b + at::rel_token, c.token.value());
      store(b + at::rel_name_len, static_cast<std::uint16_t>(name.size()));
      if (!name.empty()) std::memcpy(b + at::rel_end, name.data(), name.size());
      break;
  }
}

}  // namespace detail

/// The payload to propose for `c` (a command or a command_view), stamped with
/// the leader's reading `stamp`, in one buffer of the exact size.
/// errc::too_large if the name is longer than name_bytes_max.
template <class Name>
result<bytes> encode(const basic_command<Name>& c, mono_time stamp) {
  const std::string_view name(c.name);
  if (name.size() > name_bytes_max)
    return make_error(errc::too_large, "lock command: name of " + std::to_string(name.size()) + " bytes exceeds " +
                                           std::to_string(name_bytes_max));
  return bytes::build(detail::header_bytes + detail::body_bytes(c), [&](std::span<std::byte> out) {
    std::byte* p = out.data();
    detail::store(p, detail::format_version);
    detail::store(p + 1, static_cast<std::uint8_t>(c.kind));
    detail::store(p + 2, stamp.time_since_epoch().count());
    detail::write_body(p + detail::header_bytes, c);
  });
}

namespace detail {

/// What is wrong with a payload, if anything.
enum class parse_status : std::uint8_t { ok, bad_version, bad_kind, bad_body };

/// Reads the name of `n` bytes (its length field at `len`) that must end the
/// body exactly at `end`: the body's last field.
inline bool read_name(const std::byte* len, const std::byte* name, const std::byte* end, std::string_view& out) {
  const std::size_t n = load<std::uint16_t>(len);
  if (n > name_bytes_max || static_cast<std::size_t>(end - name) != n) return false;
  out = std::string_view(reinterpret_cast<const char*>(name), n);
  return true;
}

/// Reads the fields an acquire and an acquire_handle share (the body has them).
inline bool read_acquire(const std::byte* b, command_view& c) {
  const auto m = load<std::uint8_t>(b + at::acq_mode);
  if (m > static_cast<std::uint8_t>(lock_mode::semaphore)) return false;
  c.session = session_id{load<std::uint64_t>(b + at::session)};
  c.request = load<std::uint64_t>(b + at::acq_request);
  c.mode = static_cast<lock_mode>(m);
  c.permits = load<std::uint32_t>(b + at::acq_permits);
  c.limit = load<std::uint32_t>(b + at::acq_limit);
  c.wait = duration{load<std::int64_t>(b + at::acq_wait)};
  c.lock_delay = duration{load<std::int64_t>(b + at::acq_delay)};
  return true;
}

/// Reads the body `b` of `size` bytes into `c` (whose kind is set): one
/// length check for the fixed fields, then loads at fixed offsets.
inline bool read_body(const std::byte* b, std::size_t size, command_view& c) {
  switch (c.kind) {
    case command_kind::tick: return size == 0;
    case command_kind::open_session:
      if (size != at::open_end) return false;
      c.ttl = duration{load<std::int64_t>(b + at::open_ttl)};
      c.owner = load<std::uint64_t>(b + at::open_owner);
      return true;
    case command_kind::keep_alive:
    case command_kind::close_session:
      if (size != at::session_end) return false;
      c.session = session_id{load<std::uint64_t>(b + at::session)};
      return true;
    case command_kind::acquire:
      return size >= at::acq_end && read_acquire(b, c) &&
             read_name(b + at::acq_name_len, b + at::acq_end, b + size, c.name);
    case command_kind::acquire_handle:
      if (size != at::acqh_end || !read_acquire(b, c)) return false;
      c.handle = lock_handle{load<std::uint64_t>(b + at::acqh_handle)};
      return true;
    case command_kind::bind:
      if (size < at::bind_end) return false;
      c.session = session_id{load<std::uint64_t>(b + at::session)};
      return read_name(b + at::bind_name_len, b + at::bind_end, b + size, c.name);
    case command_kind::release_handle:
      if (size != at::relh_end) return false;
      c.session = session_id{load<std::uint64_t>(b + at::session)};
      c.token = fencing_token{load<std::uint64_t>(b + at::rel_token)};
      c.handle = lock_handle{load<std::uint64_t>(b + at::relh_handle)};
      return true;
    case command_kind::release:
      if (size < at::rel_end) return false;
      c.session = session_id{load<std::uint64_t>(b + at::session)};
      c.token = fencing_token{load<std::uint64_t>(b + at::rel_token)};
      return read_name(b + at::rel_name_len, b + at::rel_end, b + size, c.name);
  }
  return false;
}

/// Reads `payload` into `c` (its name referring to the payload's bytes);
/// allocates nothing. `c` is meaningful only if the status is ok.
inline parse_status parse(bytes_view payload, command_view& c) {
  const std::byte* p = payload.data();
  const std::size_t n = payload.size();
  if (n < 1 || load<std::uint8_t>(p) != format_version) return parse_status::bad_version;
  const std::uint8_t kind = n < 2 ? 0 : load<std::uint8_t>(p + 1);
  if (kind < 1 || kind > static_cast<std::uint8_t>(command_kind::release_handle)) return parse_status::bad_kind;
  c.kind = static_cast<command_kind>(kind);
  if (n < header_bytes || !read_body(p + header_bytes, n - header_bytes, c)) return parse_status::bad_body;
  c.stamp = mono_time{duration{load<std::int64_t>(p + 2)}};
  return parse_status::ok;
}

/// The error for a payload parse() refused (`kind`: what parse() had read).
inline error parse_error(parse_status st, command_kind kind) {
  switch (st) {
    case parse_status::bad_version:
      return make_error(errc::malformed_message, "lock command: missing or unknown format version");
    case parse_status::bad_kind: return make_error(errc::malformed_message, "lock command: unknown kind");
    default:
      return make_error(errc::malformed_message, "lock command: " + std::string(name_of(kind)) +
                                                     " payload truncated, bad field or trailing bytes");
  }
}

}  // namespace detail

/// The command in `payload` (with its stamp), its name referring to the
/// payload's bytes (valid while they are), or errc::malformed_message.
/// Nothing is allocated unless the payload is malformed.
inline result<command_view> decode_view(bytes_view payload) {
  command_view c;
  if (const auto st = detail::parse(payload, c); st != detail::parse_status::ok) return detail::parse_error(st, c.kind);
  return c;
}

/// The command in `payload` (with its stamp), or errc::malformed_message.
inline result<command> decode(bytes_view payload) {
  auto v = decode_view(payload);
  if (!v) return std::move(v).error();
  command c;
  c.kind = v->kind;
  c.stamp = v->stamp;
  c.session = v->session;
  c.request = v->request;
  c.ttl = v->ttl;
  c.owner = v->owner;
  c.mode = v->mode;
  c.permits = v->permits;
  c.limit = v->limit;
  c.wait = v->wait;
  c.lock_delay = v->lock_delay;
  c.token = v->token;
  c.name = std::string(v->name);
  c.handle = v->handle;
  return c;
}

}  // namespace cohort::lock
