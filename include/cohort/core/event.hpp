// cohort/core/event.hpp - what cores report to the `observer` policy.
//
// An event is a small value (no allocation; `detail` points to a string with
// static storage) describing something a core did or refused, for metrics,
// tracing and tests. Cores report events synchronously, in the order they
// happen; an observer must not call back into the core that reported it.
#pragma once

#include <cstdint>
#include <string_view>

#include "cohort/core/types.hpp"

namespace cohort {

enum class event_kind : std::uint8_t {
  message_sent,        ///< peer: destination; value: message type code
  message_received,    ///< peer: sender; value: message type code
  message_rejected,    ///< peer: sender; detail: the counted reason
  role_changed,        ///< value: new role code; term: the term it took effect in
  leader_changed,      ///< peer: the new leader (no_node if unknown)
  entries_committed,   ///< index: new commit index
  entries_applied,     ///< index: last applied index
  proposal_rejected,   ///< detail: why; value: the errc code
  storage_written,     ///< index: last index written; value: ticket
  storage_durable,     ///< value: the durable ticket
  snapshot_sent,       ///< peer: destination; index: snapshot index
  snapshot_installed,  ///< index: snapshot index
  custom,              ///< component-specific; detail says what
};

/// The kind's name, e.g. "message_sent".
constexpr std::string_view name_of(event_kind k) noexcept {
  switch (k) {
    case event_kind::message_sent: return "message_sent";
    case event_kind::message_received: return "message_received";
    case event_kind::message_rejected: return "message_rejected";
    case event_kind::role_changed: return "role_changed";
    case event_kind::leader_changed: return "leader_changed";
    case event_kind::entries_committed: return "entries_committed";
    case event_kind::entries_applied: return "entries_applied";
    case event_kind::proposal_rejected: return "proposal_rejected";
    case event_kind::storage_written: return "storage_written";
    case event_kind::storage_durable: return "storage_durable";
    case event_kind::snapshot_sent: return "snapshot_sent";
    case event_kind::snapshot_installed: return "snapshot_installed";
    case event_kind::custom: return "custom";
  }
  return "unknown";
}

struct event {
  event_kind kind = event_kind::custom;
  node_id node{};   ///< the node reporting
  node_id peer{};   ///< the other node involved, if any
  cohort::term term{};
  log_index index{};
  std::uint64_t value = 0;
  std::string_view detail{};  ///< static storage; empty if none
};

}  // namespace cohort
