// cohort/core/log.hpp - the records a replicated log is made of.
//
// Plain aggregates of fixed-width fields and `bytes`, so that every one of
// them can be encoded by a transport or a storage engine field by field.
// Shared by the Raft core, Multi-Paxos, the storage models and the simulator.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "cohort/core/bytes.hpp"
#include "cohort/core/types.hpp"

namespace cohort {

/// What an entry's payload means to the consensus core.
enum class entry_kind : std::uint8_t {
  normal = 0,  ///< an application command (may be empty: a new leader's entry of its term)
  config = 1,  ///< a membership change, decoded by the core
};

/// The kind's name ("normal", "config").
constexpr std::string_view name_of(entry_kind k) noexcept {
  switch (k) {
    case entry_kind::normal: return "normal";
    case entry_kind::config: return "config";
  }
  return "unknown";
}

/// One entry of a replicated log.
struct log_entry {
  log_index index{};
  cohort::term term{};
  entry_kind kind = entry_kind::normal;
  bytes data{};

  /// The bytes an entry counts for in size limits (payload plus a fixed overhead).
  [[nodiscard]] std::size_t accounted_bytes() const noexcept { return data.size() + overhead_bytes; }
  static constexpr std::size_t overhead_bytes = 24;

  friend bool operator==(const log_entry&, const log_entry&) = default;
};

/// Appends copies of `src` to `out`, the payloads shared (bytes::share_each:
/// a run of entries sliced from one buffer updates its count once). `src`
/// must not be part of `out`. Returns their accounted bytes.
inline std::size_t append_shared(std::span<const log_entry> src, std::vector<log_entry>& out) {
  const std::size_t at = out.size();
  out.resize(at + src.size());
  log_entry* dst = out.data() + at;
  std::size_t payload = 0;
  bytes::share_each(
      src.size(),
      [&src, &payload](std::size_t k) -> const bytes& {
        payload += src[k].data.size();
        return src[k].data;
      },
      [&src, dst](std::size_t k) -> bytes& {
        dst[k].index = src[k].index;
        dst[k].term = src[k].term;
        dst[k].kind = src[k].kind;
        return dst[k].data;
      });
  return payload + src.size() * log_entry::overhead_bytes;
}

/// Empties the payloads of `es` (bytes::reset_each: a run of entries sliced
/// from one buffer updates its count once); the rest of each entry stays.
inline void drop_payloads(std::span<log_entry> es) noexcept {
  bytes::reset_each(es.size(), [es](std::size_t k) -> bytes& { return es[k].data; });
}

/// How many entries of [lo, hi) a read limited to max_bytes can return at
/// most: what to reserve, so that a far-behind reader does not reserve room
/// for the whole range when the byte limit stops it after a few entries.
[[nodiscard]] constexpr std::size_t reserve_hint(log_index lo, log_index hi, std::size_t max_bytes) noexcept {
  const auto n = static_cast<std::size_t>(hi - lo);
  const std::size_t by_bytes = max_bytes / log_entry::overhead_bytes + 1;
  return n < by_bytes ? n : by_bytes;
}

/// The state a consensus node must have on stable storage before it acts on it.
struct hard_state {
  cohort::term term{};   ///< the latest term this node has seen
  node_id vote{};        ///< whom it voted for in `term` (no_node if nobody)
  log_index commit{};    ///< a known-committed index (an optimisation: may lag)

  friend bool operator==(const hard_state&, const hard_state&) = default;
};

/// A group's membership. Each list is sorted and free of duplicates.
/// `voters_outgoing` is non-empty only during a joint-consensus change.
struct membership {
  std::vector<node_id> voters;
  std::vector<node_id> voters_outgoing;
  std::vector<node_id> learners;
  std::vector<node_id> learners_next;  ///< voters_outgoing members that become learners on leaving the joint state
  bool auto_leave = false;             ///< leave the joint state automatically once entered

  [[nodiscard]] bool is_joint() const noexcept { return !voters_outgoing.empty(); }
  [[nodiscard]] bool contains(node_id n) const noexcept {
    auto has = [n](const std::vector<node_id>& v) { return std::binary_search(v.begin(), v.end(), n); };
    return has(voters) || has(voters_outgoing) || has(learners) || has(learners_next);
  }
  friend bool operator==(const membership&, const membership&) = default;
};

/// What a snapshot covers: every entry up to and including `index`.
struct snapshot_meta {
  log_index index{};
  cohort::term term{};
  membership config{};

  friend bool operator==(const snapshot_meta&, const snapshot_meta&) = default;
};

/// A state-machine snapshot and what it covers.
struct snapshot {
  snapshot_meta meta{};
  bytes data{};

  [[nodiscard]] bool empty() const noexcept { return meta.index == log_index{0}; }
  friend bool operator==(const snapshot&, const snapshot&) = default;
};

}  // namespace cohort
