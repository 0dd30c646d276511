// cohort/check/models.hpp - sequential specifications for the checker.
//
//   register_model  one integer register: read, write, compare-and-set;
//   kv_model        a map of registers, one per key (histories split by key);
//   counter_model   add(delta) returning nothing useful, read returning the sum;
//   mutex_model     a lock with fencing tokens: acquire by a client returns a
//                   token greater than every token granted before, or fails
//                   while another client holds it; release by the holder.
// Each is a model of check::model (see linearizability.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cohort/check/linearizability.hpp"

namespace cohort::check {

namespace detail {
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}
}  // namespace detail

// ---------------------------------------------------------------------------

struct register_input {
  enum class kind : std::uint8_t { read, write, cas } k = kind::read;
  std::int64_t value = 0;     ///< write: the value; cas: the new value
  std::int64_t expected = 0;  ///< cas: the value it must find
  std::uint64_t key = 0;      ///< used by kv_model only
  static register_input read(std::uint64_t key = 0) { return {kind::read, 0, 0, key}; }
  static register_input write(std::int64_t v, std::uint64_t key = 0) { return {kind::write, v, 0, key}; }
  static register_input cas(std::int64_t expected, std::int64_t v, std::uint64_t key = 0) {
    return {kind::cas, v, expected, key};
  }
};
struct register_output {
  std::int64_t value = 0;  ///< read: the value seen
  bool ok = true;          ///< cas: whether it swapped
  static register_output read(std::int64_t v) { return {v, true}; }
  static register_output done() { return {0, true}; }
  static register_output cas(bool swapped) { return {0, swapped}; }
};

struct register_model {
  using state = std::int64_t;
  using input = register_input;
  using output = register_output;
  std::int64_t initial = 0;

  [[nodiscard]] state init() const noexcept { return initial; }
  [[nodiscard]] std::optional<state> step(state s, const input& in, const output& out) const {
    switch (in.k) {
      case input::kind::read: return out.value == s ? std::optional<state>(s) : std::nullopt;
      case input::kind::write: return in.value;
      case input::kind::cas:
        if ((s == in.expected) != out.ok) return std::nullopt;
        return out.ok ? in.value : s;
    }
    return std::nullopt;
  }
  [[nodiscard]] state step_unknown(state s, const input& in) const {
    switch (in.k) {
      case input::kind::read: return s;
      case input::kind::write: return in.value;
      case input::kind::cas: return s == in.expected ? in.value : s;
    }
    return s;
  }
  [[nodiscard]] std::uint64_t hash(state s) const noexcept { return detail::mix(static_cast<std::uint64_t>(s)); }
  /// Pruning (see pruning_model): reads change nothing; a read observes its
  /// value; a compare-and-set conditions on its expected value (whether it
  /// completed or not), and a failed one observes only "not the expected
  /// value", which values cannot express, so it turns pruning off.
  [[nodiscard]] std::optional<std::int64_t> effect(const input& in) const {
    return in.k == input::kind::read ? std::nullopt : std::optional<std::int64_t>(in.value);
  }
  bool observe(const input& in, const output& out, bool known, std::vector<std::int64_t>& seen) const {
    switch (in.k) {
      case input::kind::read:
        if (known) seen.push_back(out.value);
        return true;
      case input::kind::write: return true;
      case input::kind::cas:
        if (known && !out.ok) return false;
        seen.push_back(in.expected);
        return true;
    }
    return false;
  }
  [[nodiscard]] std::string describe(const input& in, const output& out, bool known) const {
    switch (in.k) {
      case input::kind::read: return known ? "read -> " + std::to_string(out.value) : "read";
      case input::kind::write: return "write " + std::to_string(in.value);
      case input::kind::cas:
        return "cas " + std::to_string(in.expected) + " -> " + std::to_string(in.value) +
               (known ? (out.ok ? " ok" : " failed") : "");
    }
    return "?";
  }
};

/// A key-value map: the register model per key (inputs carry the key).
struct kv_model : register_model {
  [[nodiscard]] std::uint64_t key(const input& in) const noexcept { return in.key; }
  [[nodiscard]] std::string describe(const input& in, const output& out, bool known) const {
    return "key " + std::to_string(in.key) + " " + register_model::describe(in, out, known);
  }
};

// ---------------------------------------------------------------------------

struct counter_input {
  bool is_read = false;
  std::int64_t delta = 0;
  static counter_input add(std::int64_t d) { return {false, d}; }
  static counter_input read() { return {true, 0}; }
};
struct counter_model {
  using state = std::int64_t;
  using input = counter_input;
  using output = std::int64_t;  ///< read: the value; add: ignored

  [[nodiscard]] state init() const noexcept { return 0; }
  [[nodiscard]] std::optional<state> step(state s, const input& in, const output& out) const {
    if (in.is_read) return out == s ? std::optional<state>(s) : std::nullopt;
    return s + in.delta;
  }
  [[nodiscard]] state step_unknown(state s, const input& in) const { return in.is_read ? s : s + in.delta; }
  [[nodiscard]] std::uint64_t hash(state s) const noexcept { return detail::mix(static_cast<std::uint64_t>(s)); }
  [[nodiscard]] std::string describe(const input& in, const output& out, bool known) const {
    return in.is_read ? (known ? "read -> " + std::to_string(out) : "read") : "add " + std::to_string(in.delta);
  }
};

// ---------------------------------------------------------------------------

struct mutex_input {
  bool acquire = true;  ///< false: release
  std::uint64_t client = 0;
  static mutex_input lock(std::uint64_t c) { return {true, c}; }
  static mutex_input unlock(std::uint64_t c) { return {false, c}; }
};
struct mutex_output {
  bool ok = false;
  std::uint64_t token = 0;  ///< acquire: the fencing token granted
};
struct mutex_state {
  bool held = false;
  std::uint64_t holder = 0;      ///< the client holding it, when held (else 0)
  std::uint64_t last_token = 0;  ///< the greatest token granted (after an indeterminate grant: the least it can be)
  friend bool operator==(const mutex_state&, const mutex_state&) = default;
};
/// Safety of a lock with fencing: one holder at a time; tokens strictly
/// increase in grant order; only the holder releases; a refused acquire
/// means someone held it, a refused release that the caller did not. An
/// acquire whose outcome is unknown may have granted the lock with a token we
/// do not know: the state then assumes the least possible one (see
/// step_unknown).
struct mutex_model {
  using state = mutex_state;
  using input = mutex_input;
  using output = mutex_output;

  [[nodiscard]] state init() const noexcept { return {}; }
  [[nodiscard]] std::optional<state> step(const state& s, const input& in, const output& out) const {
    if (in.acquire) {
      if (!out.ok) return s.held ? std::optional<state>(s) : std::nullopt;
      if (s.held || out.token <= s.last_token) return std::nullopt;
      return state{true, in.client, out.token};
    }
    const bool mine = s.held && s.holder == in.client;
    if (!out.ok) return mine ? std::nullopt : std::optional<state>(s);
    if (!mine) return std::nullopt;
    return state{false, 0, s.last_token};
  }
  /// An acquire that may have been granted took some token greater than
  /// last_token; the least one (last_token + 1) constrains later grants
  /// least, so assuming it loses no legal order and admits no illegal one.
  [[nodiscard]] state step_unknown(const state& s, const input& in) const {
    if (in.acquire) return s.held ? s : state{true, in.client, s.last_token + 1};
    return s.held && s.holder == in.client ? state{false, 0, s.last_token} : s;
  }
  [[nodiscard]] std::uint64_t hash(const state& s) const noexcept {
    return detail::mix((s.holder * 2 + (s.held ? 1 : 0)) * 0x9e3779b97f4a7c15ULL ^ s.last_token);
  }
  [[nodiscard]] std::string describe(const input& in, const output& out, bool known) const {
    std::string s = in.acquire ? "acquire" : "release";
    s += " by " + std::to_string(in.client);
    if (known) s += out.ok ? (in.acquire ? " -> token " + std::to_string(out.token) : " ok") : " -> refused";
    return s;
  }
};

static_assert(model<register_model>);
static_assert(keyed_model<kv_model>);
static_assert(pruning_model<register_model>);
static_assert(model<counter_model>);
static_assert(model<mutex_model>);

}  // namespace cohort::check
