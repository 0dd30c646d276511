// cohort/lock/counter.hpp - a linearizable counter as a replicated state machine.
//
// A model of cohort::state_machine for the common "distributed counter": one
// signed 64-bit value per instance, with
//   add(delta)                -> the value after adding (wraps like unsigned arithmetic),
//   get()                     -> the value,
//   compare_and_set(exp, new) -> the value before, and whether it was `exp` (then set to `new`).
// Run over Raft, every operation takes effect at its entry's position in the
// log: the counter is linearizable, including get (which goes through the
// log; a lease or ReadIndex read is the driver's optimisation).
//
// Exactly once: each command carries a client id and a request id that
// increases per client. The counter remembers each client's last request and
// its answer: a retried command with that id gets the same answer without
// applying twice; an older id is refused (errc::conflict). A client that
// never comes back keeps one entry (a few bytes) forever; a long-lived
// deployment retires client ids with forget_client (itself a command in a
// real deployment: proposing it keeps the replicas equal).
//
// Encoding (little-endian): u8 version (1) | u8 kind | u64 client | u64 request
// | i64 a | i64 b (add: a = delta; cas: a = expected, b = new). decode()
// checks the length and kind: errc::malformed_message, state unchanged.
// client 0 is refused (errc::invalid_argument).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "cohort/core/bytes.hpp"
#include "cohort/core/concepts.hpp"
#include "cohort/core/log.hpp"
#include "cohort/core/result.hpp"
#include "cohort/lock/command.hpp"

namespace cohort::lock {

enum class counter_op : std::uint8_t { add = 1, get = 2, compare_and_set = 3 };

constexpr std::string_view name_of(counter_op op) noexcept {
  switch (op) {
    case counter_op::add: return "add";
    case counter_op::get: return "get";
    case counter_op::compare_and_set: return "compare_and_set";
  }
  return "unknown";
}

struct counter_command {
  counter_op op = counter_op::get;
  std::uint64_t client = 0;
  std::uint64_t request = 0;
  std::int64_t a = 0;  ///< add: delta; compare_and_set: expected
  std::int64_t b = 0;  ///< compare_and_set: new value

  static counter_command add(std::uint64_t client, std::uint64_t request, std::int64_t delta) {
    return {counter_op::add, client, request, delta, 0};
  }
  static counter_command get(std::uint64_t client, std::uint64_t request) {
    return {counter_op::get, client, request, 0, 0};
  }
  static counter_command compare_and_set(std::uint64_t client, std::uint64_t request, std::int64_t expected,
                                         std::int64_t desired) {
    return {counter_op::compare_and_set, client, request, expected, desired};
  }
  friend bool operator==(const counter_command&, const counter_command&) = default;
};

struct counter_reply {
  std::int64_t value = 0;  ///< add: after; get: current; compare_and_set: before
  bool swapped = false;    ///< compare_and_set: whether it set the value
  friend bool operator==(const counter_reply&, const counter_reply&) = default;
};

inline constexpr std::size_t counter_command_bytes = 2 + 8 + 8 + 8 + 8;

inline bytes encode(const counter_command& c) {
  return bytes::build(counter_command_bytes, [&](std::span<std::byte> out) {
    std::byte* p = out.data();
    detail::store(p, detail::format_version);
    detail::store(p + 1, static_cast<std::uint8_t>(c.op));
    detail::store(p + 2, c.client);
    detail::store(p + 10, c.request);
    detail::store(p + 18, c.a);
    detail::store(p + 26, c.b);
  });
}

inline result<counter_command> decode_counter(bytes_view payload) {
  const std::byte* p = payload.data();
  const std::uint8_t op = payload.size() == counter_command_bytes ? detail::load<std::uint8_t>(p + 1) : 0;
  if (op < 1 || op > 3 || detail::load<std::uint8_t>(p) != detail::format_version)
    return make_error(errc::malformed_message, "counter command: bad version, kind or length");
  counter_command c;
  c.op = static_cast<counter_op>(op);
  c.client = detail::load<std::uint64_t>(p + 2);
  c.request = detail::load<std::uint64_t>(p + 10);
  c.a = detail::load<std::int64_t>(p + 18);
  c.b = detail::load<std::int64_t>(p + 26);
  return c;
}

class counter {
 public:
  /// Applies one committed entry (the state_machine concept).
  result<counter_reply> apply(const log_entry& e) {
    auto c = decode_counter(e.data);
    if (!c) return std::move(c).error();
    return apply(*c);
  }

  result<counter_reply> apply(const counter_command& c) {
    if (c.client == 0) return make_error(errc::invalid_argument, "counter: client id 0 is reserved");
    auto it = clients_.find(c.client);
    if (it != clients_.end()) {
      if (c.request == it->second.request) return it->second.answer;
      if (c.request < it->second.request)
        return make_error(errc::conflict, "counter: request " + std::to_string(c.request) + " of client " +
                                              std::to_string(c.client) + " is older than its last, " +
                                              std::to_string(it->second.request));
    }
    const counter_reply r = execute(c);
    clients_[c.client] = last{c.request, r};
    return r;
  }

  [[nodiscard]] std::int64_t value() const noexcept { return value_; }
  [[nodiscard]] std::size_t client_count() const noexcept { return clients_.size(); }
  void forget_client(std::uint64_t client) { clients_.erase(client); }

 private:
  struct last {
    std::uint64_t request = 0;
    counter_reply answer{};
  };

  counter_reply execute(const counter_command& c) {
    switch (c.op) {
      case counter_op::add:
        value_ = static_cast<std::int64_t>(static_cast<std::uint64_t>(value_) + static_cast<std::uint64_t>(c.a));
        return {value_, false};
      case counter_op::get: return {value_, false};
      case counter_op::compare_and_set: {
        const std::int64_t before = value_;
        if (before == c.a) value_ = c.b;
        return {before, before == c.a};
      }
    }
    return {value_, false};
  }

  std::int64_t value_ = 0;
  std::map<std::uint64_t, last> clients_;
};

static_assert(state_machine<counter>);

}  // namespace cohort::lock
