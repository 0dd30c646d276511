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
// decode() checks every length and enum value and that nothing trails: a
// malformed payload gives errc::malformed_message, never a read out of bounds.
// Value ranges (TTL bounds, permits <= limit, ...) are the service's to check.
//
// `command` owns its lock name; `command_view` (the same fields, the name a
// std::string_view) refers to bytes kept alive elsewhere. encode() takes
// either and writes one buffer of the exact size; decode_view() reads a
// payload without allocating, its name referring into the payload (what the
// lock service applies); decode() gives a command that owns its name.
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

enum class command_kind : std::uint8_t {
  tick = 1,       ///< only moves the service's time (the leader proposes it periodically)
  open_session,   ///< opens a session with a TTL
  keep_alive,     ///< renews a session for its TTL
  close_session,  ///< ends a session: its locks are released at once (no lock-delay)
  acquire,        ///< takes a lock (exclusive, shared or semaphore permits), waiting up to `wait`
  release,        ///< gives back the grant with `token`
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
  fencing_token token{};                     ///< release
  Name name{};                               ///< acquire, release: the lock's name

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
  return v;
}

/// The longest lock name accepted by encode/decode.
inline constexpr std::size_t name_bytes_max = 1024;

namespace detail {

class writer {
 public:
  explicit writer(std::span<std::byte> out) : out_(out) {}
  void u8(std::uint8_t v) { put(&v, 1); }
  void u16(std::uint16_t v) { le(v, 2); }
  void u32(std::uint32_t v) { le(v, 4); }
  void u64(std::uint64_t v) { le(v, 8); }
  void i64(std::int64_t v) { le(static_cast<std::uint64_t>(v), 8); }
  void str(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    put(s.data(), s.size());
  }

 private:
  void le(std::uint64_t v, std::size_t n) {
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(out_.data() + at_, &v, n);
      at_ += n;
    } else {
      for (std::size_t i = 0; i < n; ++i) out_[at_++] = static_cast<std::byte>(v >> (8 * i));
    }
  }
  void put(const void* p, std::size_t n) {
    if (n != 0) std::memcpy(out_.data() + at_, p, n);
    at_ += n;
  }
  std::span<std::byte> out_;
  std::size_t at_ = 0;
};

/// Bounds-checked reads; after the first failure every read fails.
class reader {
 public:
  explicit reader(bytes_view in) : in_(in) {}
  bool u8(std::uint8_t& v) { return le(v); }
  bool u16(std::uint16_t& v) { return le(v); }
  bool u32(std::uint32_t& v) { return le(v); }
  bool u64(std::uint64_t& v) { return le(v); }
  bool i64(std::int64_t& v) {
    std::uint64_t w = 0;
    if (!le(w)) return false;
    v = static_cast<std::int64_t>(w);
    return true;
  }
  /// `s` refers to the bytes read (valid while the input is).
  bool str(std::string_view& s, std::size_t max) {
    std::uint16_t n = 0;
    if (!u16(n) || n > max || in_.size() - at_ < n) return ok_ = false;
    s = std::string_view(reinterpret_cast<const char*>(in_.data() + at_), n);
    at_ += n;
    return true;
  }
  [[nodiscard]] bool at_end() const noexcept { return ok_ && at_ == in_.size(); }
  /// Whether `n` more bytes are there (if not, every later read fails): the
  /// check for a run of fixed-size fields, read then with take().
  bool need(std::size_t n) {
    if (!ok_ || in_.size() - at_ < n) return ok_ = false;
    return true;
  }
  /// The next field of sizeof(U) bytes, after need() covered it.
  template <class U>
  U take() noexcept {
    std::make_unsigned_t<U> v = 0;
    copy_at(v);
    return static_cast<U>(v);
  }

 private:
  /// One unsigned field of sizeof(U) bytes (a fixed size, so the copy is inlined).
  template <class U>
  bool le(U& v) {
    if (!ok_ || in_.size() - at_ < sizeof(U)) return ok_ = false;
    copy_at(v);
    return true;
  }
  template <class U>
  void copy_at(U& v) noexcept {
    constexpr std::size_t n = sizeof(U);
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(&v, in_.data() + at_, n);
    } else {
      v = 0;
      for (std::size_t i = 0; i < n; ++i)
        v = static_cast<U>(v | U(std::to_integer<std::uint8_t>(in_[at_ + i])) << (8 * i));
    }
    at_ += n;
  }
  bytes_view in_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

inline constexpr std::uint8_t format_version = 1;
inline constexpr std::size_t header_bytes = 10;

template <class Name>
std::size_t body_bytes(const basic_command<Name>& c) {
  switch (c.kind) {
    case command_kind::tick: return 0;
    case command_kind::open_session: return 16;
    case command_kind::keep_alive:
    case command_kind::close_session: return 8;
    case command_kind::acquire: return 8 + 8 + 1 + 4 + 4 + 8 + 8 + 2 + std::string_view(c.name).size();
    case command_kind::release: return 8 + 8 + 2 + std::string_view(c.name).size();
  }
  return 0;
}

template <class Name>
void write_body(writer& w, const basic_command<Name>& c) {
  switch (c.kind) {
    case command_kind::tick: break;
    case command_kind::open_session:
      w.i64(c.ttl.count());
      w.u64(c.owner);
      break;
    case command_kind::keep_alive:
    case command_kind::close_session: w.u64(c.session.value()); break;
    case command_kind::acquire:
      w.u64(c.session.value());
      w.u64(c.request);
      w.u8(static_cast<std::uint8_t>(c.mode));
      w.u32(c.permits);
      w.u32(c.limit);
      w.i64(c.wait.count());
      w.i64(c.lock_delay.count());
      w.str(c.name);
      break;
    case command_kind::release:
      w.u64(c.session.value());
      w.u64(c.token.value());
      w.str(c.name);
      break;
  }
}

/// Reads the fields of `c.kind`: the fixed-size ones after one length check.
inline bool read_body(reader& r, command_view& c) {
  switch (c.kind) {
    case command_kind::tick: return true;
    case command_kind::open_session:
      if (!r.need(8 + 8)) return false;
      c.ttl = duration{r.take<std::int64_t>()};
      c.owner = r.take<std::uint64_t>();
      return true;
    case command_kind::keep_alive:
    case command_kind::close_session:
      if (!r.need(8)) return false;
      c.session = session_id{r.take<std::uint64_t>()};
      return true;
    case command_kind::acquire: {
      if (!r.need(8 + 8 + 1 + 4 + 4 + 8 + 8)) return false;
      c.session = session_id{r.take<std::uint64_t>()};
      c.request = r.take<std::uint64_t>();
      const auto m = r.take<std::uint8_t>();
      if (m > 2) return false;
      c.mode = static_cast<lock_mode>(m);
      c.permits = r.take<std::uint32_t>();
      c.limit = r.take<std::uint32_t>();
      c.wait = duration{r.take<std::int64_t>()};
      c.lock_delay = duration{r.take<std::int64_t>()};
      return r.str(c.name, name_bytes_max);
    }
    case command_kind::release:
      if (!r.need(8 + 8)) return false;
      c.session = session_id{r.take<std::uint64_t>()};
      c.token = fencing_token{r.take<std::uint64_t>()};
      return r.str(c.name, name_bytes_max);
  }
  return false;
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
    detail::writer w(out);
    w.u8(detail::format_version);
    w.u8(static_cast<std::uint8_t>(c.kind));
    w.i64(stamp.time_since_epoch().count());
    detail::write_body(w, c);
  });
}

namespace detail {

/// What is wrong with a payload, if anything.
enum class parse_status : std::uint8_t { ok, bad_version, bad_kind, bad_body };

/// Reads `payload` into `c` (its name referring to the payload's bytes);
/// allocates nothing. `c` is meaningful only if the status is ok.
inline parse_status parse(bytes_view payload, command_view& c) {
  reader r(payload);
  std::uint8_t version = 0, kind = 0;
  std::int64_t stamp = 0;
  if (!r.u8(version) || version != format_version) return parse_status::bad_version;
  if (!r.u8(kind) || kind < 1 || kind > static_cast<std::uint8_t>(command_kind::release)) return parse_status::bad_kind;
  c.kind = static_cast<command_kind>(kind);
  if (!r.i64(stamp) || !read_body(r, c) || !r.at_end()) return parse_status::bad_body;
  c.stamp = mono_time{duration{stamp}};
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
  return c;
}

}  // namespace cohort::lock
