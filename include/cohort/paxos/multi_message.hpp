// cohort/paxos/multi_message.hpp - Multi-Paxos messages, settings and the
// ballot encoding used in storage.
//
// One plain aggregate for every message type (fixed-width fields, a vector of
// entries), so a transport can encode it field by field. Which fields mean
// something depends on `type`:
//
//   type                b                 index                 commit           other
//   prepare             candidate's       send accepted slots   -                -
//                                         above this one
//   promise             the prepare's     = the prepare's index acceptor's       last: acceptor's last slot;
//                                                               chosen-up-to     entries: accepted slots (index, ...]
//                                                                                (a page: at most msg_bytes_max);
//                                                                                reject: slots above index compacted
//   accept              leader's          slot before entries   leader's         entries: values (term = packed
//                                                               chosen-up-to     accepted ballot, see below)
//   accept_response     the accept's      accepted: in-sync     -                reject: gap; index = the accept's
//                                         slot (see multi.hpp)                   slot, hint = in-sync slot
//   heartbeat           leader's          -                     chosen-up-to     -
//   heartbeat_response  the heartbeat's   -                     -                -
//   nack                the refused one   -                     -                promised: what the acceptor
//                                                                                promised instead
//
// Entries are cohort::log_entry with index = slot and term = the ballot the
// value was accepted in, packed by pack_ballot(): (round << 16) | node. So a
// Multi-Paxos log fits any `log_storage` unchanged (a slot's accepted ballot
// is its entry's term; the promised ballot is the hard state's (term, vote) =
// (round, node); the hard state's commit is the chosen-up-to slot). The
// packing needs node ids below 2^16 and rounds below 2^46, which
// multi_config::validate() and the gate enforce. A no-op (a gap filled by a
// new leader) is an entry of kind normal with an empty payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "cohort/core/log.hpp"
#include "cohort/core/result.hpp"
#include "cohort/core/types.hpp"
#include "cohort/paxos/ballot.hpp"

namespace cohort::paxos {

/// Node ids a Multi-Paxos group may use: [1, node_id_max].
inline constexpr std::uint64_t multi_node_id_max = 0xFFFF;
/// Rounds at or above this are treated as hostile.
inline constexpr std::uint64_t multi_round_max = std::uint64_t{1} << 46;
/// Slots at or above this are treated as hostile.
inline constexpr std::uint64_t multi_slot_max = std::uint64_t{1} << 62;

/// A ballot as an entry's term: (round << 16) | node. Order-preserving for
/// valid ballots (round < multi_round_max, node <= multi_node_id_max).
constexpr term pack_ballot(ballot b) noexcept { return term{(b.round << 16) | (b.node.value() & 0xFFFF)}; }
constexpr ballot unpack_ballot(term t) noexcept { return ballot{t.value() >> 16, node_id{t.value() & 0xFFFF}}; }

enum class multi_type : std::uint8_t {
  prepare = 0,
  promise = 1,
  accept = 2,
  accept_response = 3,
  heartbeat = 4,
  heartbeat_response = 5,
  nack = 6,
};
inline constexpr std::uint8_t multi_type_count = 7;

constexpr std::string_view name_of(multi_type t) noexcept {
  switch (t) {
    case multi_type::prepare: return "prepare";
    case multi_type::promise: return "promise";
    case multi_type::accept: return "accept";
    case multi_type::accept_response: return "accept_response";
    case multi_type::heartbeat: return "heartbeat";
    case multi_type::heartbeat_response: return "heartbeat_response";
    case multi_type::nack: return "nack";
  }
  return "unknown";
}

struct multi_message {
  multi_type type = multi_type::heartbeat;
  node_id from{};
  node_id to{};
  ballot b{};
  log_index index{};
  log_index commit{};
  log_index last{};   ///< promise: the acceptor's last slot
  log_index hint{};   ///< rejected accept_response: the acceptor's in-sync slot
  ballot promised{};  ///< nack: the ballot the acceptor is bound to
  bool reject = false;
  std::vector<log_entry> entries{};

  friend bool operator==(const multi_message&, const multi_message&) = default;
};

/// A Multi-Paxos node's settings, validated before use. The members come
/// from the quorum policy given at creation.
struct multi_config {
  node_id id{};                         ///< this node, in [1, multi_node_id_max]
  std::uint32_t election_ticks = 10;    ///< followers wait [election_ticks, 2*election_ticks) ticks without a leader
  std::uint32_t heartbeat_ticks = 1;    ///< leader heartbeat period; must be < election_ticks
  std::size_t msg_bytes_max = 1 << 20;  ///< accept and promise messages carry at most this many accounted bytes (at least one entry)
  std::size_t inflight_msgs_max = 256;  ///< accept messages in flight per follower
  std::size_t inflight_bytes_max = 0;   ///< bytes in flight per follower (0: no limit)
  std::size_t proposal_entries_max = 1 << 16;  ///< entries in one propose call
  std::size_t uncommitted_bytes_max = 0;       ///< leader refuses proposals beyond this many unchosen bytes (0: no limit)
  /// An accept whose first slot lies further than this past our last slot is
  /// hostile (a leader never runs that far ahead of a follower it probes).
  std::uint64_t slots_ahead_max = std::uint64_t{1} << 24;
  /// The leader steps down after election_ticks without hearing from a
  /// phase-2 quorum; acceptors refuse prepares while their leader is live.
  bool check_quorum = true;

  [[nodiscard]] result<void> validate() const {
    if (id == no_node || id.value() > multi_node_id_max)
      return make_error(errc::invalid_config, "multi-paxos config: id must be in [1, 65535]");
    if (election_ticks < 2) return make_error(errc::invalid_config, "multi-paxos config: election_ticks must be at least 2");
    if (heartbeat_ticks == 0 || heartbeat_ticks >= election_ticks)
      return make_error(errc::invalid_config, "multi-paxos config: heartbeat_ticks must be in [1, election_ticks)");
    if (msg_bytes_max == 0) return make_error(errc::invalid_config, "multi-paxos config: msg_bytes_max must be positive");
    if (inflight_msgs_max == 0)
      return make_error(errc::invalid_config, "multi-paxos config: inflight_msgs_max must be positive");
    if (proposal_entries_max == 0)
      return make_error(errc::invalid_config, "multi-paxos config: proposal_entries_max must be positive");
    if (slots_ahead_max == 0) return make_error(errc::invalid_config, "multi-paxos config: slots_ahead_max must be positive");
    return success();
  }
};

}  // namespace cohort::paxos
