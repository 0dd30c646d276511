// cohort/paxos/ballot.hpp - Paxos ballots and messages.
//
// Ballots are totally ordered by (round, node): two proposers never use the
// same ballot, and a proposer outbids another by taking a higher round.
// Messages are plain aggregates (encodable field by field), for single-decree
// Paxos (instance 0) and, later, Multi-Paxos (one instance per log slot).
#pragma once

#include <compare>
#include <cstdint>
#include <string_view>

#include "cohort/core/bytes.hpp"
#include "cohort/core/types.hpp"

namespace cohort::paxos {

struct ballot {
  std::uint64_t round = 0;
  node_id node{};
  friend auto operator<=>(const ballot&, const ballot&) = default;
  friend bool operator==(const ballot&, const ballot&) = default;
  [[nodiscard]] bool is_zero() const noexcept { return round == 0 && node == no_node; }
};

enum class message_type : std::uint8_t {
  prepare = 0,   ///< phase 1a: b
  promise = 1,   ///< phase 1b: b, and the acceptor's accepted (ballot, value) if any
  accept = 2,    ///< phase 2a: b, value
  accepted = 3,  ///< phase 2b: b, value (to the proposer and every learner)
  nack = 4,      ///< refusal: `promised` is the ballot the acceptor is bound to
};
inline constexpr std::uint8_t message_type_count = 5;

constexpr std::string_view name_of(message_type t) noexcept {
  switch (t) {
    case message_type::prepare: return "prepare";
    case message_type::promise: return "promise";
    case message_type::accept: return "accept";
    case message_type::accepted: return "accepted";
    case message_type::nack: return "nack";
  }
  return "unknown";
}

struct message {
  message_type type = message_type::prepare;
  node_id from{};
  node_id to{};
  std::uint64_t instance = 0;
  ballot b{};
  ballot accepted_ballot{};  ///< promise: the acceptor's accepted ballot (zero: none); nack: its promise
  bool has_value = false;
  bytes value{};
  friend bool operator==(const message&, const message&) = default;
};

}  // namespace cohort::paxos
