// cohort/raft/message.hpp - what Raft nodes say to each other.
//
// One plain aggregate for every message type (as etcd-raft's raftpb.Message):
// fixed-width fields, a vector of entries and a snapshot, so a transport can
// encode it field by field. Which fields mean something depends on `type`:
//
//   type              index / log_term                 entries  commit  reject / hint
//   append            previous entry (index, term)     yes      yes     -
//   append_response   accepted: last index matched;    -        -       rejected: reject=true,
//                     rejected: the index rejected                      hint = (index, term) to retry from
//   heartbeat         -                                -        yes     -
//   heartbeat_response-                                -        -       -
//   vote / pre_vote   candidate's last (index, term)   -        -       -
//   vote_response /   -                                -        -       reject = not granted
//     pre_vote_response
//   propose           -                                yes (forwarded proposals)
//   snapshot          (issue 6) the snapshot in `snap`
//   timeout_now       (issue 6) leadership transfer
//
// `term` is the sender's term, except in pre_vote (the term the sender would
// campaign in) and in a granted pre_vote_response (the same future term).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "cohort/core/log.hpp"
#include "cohort/core/types.hpp"

namespace cohort::raft {

enum class message_type : std::uint8_t {
  append = 0,
  append_response = 1,
  heartbeat = 2,
  heartbeat_response = 3,
  vote = 4,
  vote_response = 5,
  pre_vote = 6,
  pre_vote_response = 7,
  propose = 8,
  snapshot = 9,
  timeout_now = 10,
};
inline constexpr std::uint8_t message_type_count = 11;

constexpr std::string_view name_of(message_type t) noexcept {
  switch (t) {
    case message_type::append: return "append";
    case message_type::append_response: return "append_response";
    case message_type::heartbeat: return "heartbeat";
    case message_type::heartbeat_response: return "heartbeat_response";
    case message_type::vote: return "vote";
    case message_type::vote_response: return "vote_response";
    case message_type::pre_vote: return "pre_vote";
    case message_type::pre_vote_response: return "pre_vote_response";
    case message_type::propose: return "propose";
    case message_type::snapshot: return "snapshot";
    case message_type::timeout_now: return "timeout_now";
  }
  return "unknown";
}

struct message {
  message_type type = message_type::heartbeat;
  node_id from{};
  node_id to{};
  cohort::term term{};
  cohort::term log_term{};
  log_index index{};
  log_index commit{};
  std::vector<log_entry> entries{};
  bool reject = false;
  log_index hint_index{};      ///< append_response rejection: retry from here
  cohort::term hint_term{};    ///< ... the follower's term at hint_index
  /// Snapshot messages only (issue 6); shared and immutable, so that the
  /// common messages stay small (about 100 bytes) and cheap to move.
  std::shared_ptr<const cohort::snapshot> snap{};

  friend bool operator==(const message&, const message&) = default;
};

}  // namespace cohort::raft
