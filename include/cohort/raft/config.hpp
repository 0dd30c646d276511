// cohort/raft/config.hpp - a Raft node's settings, validated before use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cohort/core/result.hpp"
#include "cohort/core/types.hpp"

namespace cohort::raft {

struct config {
  node_id id{};                        ///< this node (non-zero)
  /// The voters when the storage holds no membership yet (a fresh cluster);
  /// ignored once the storage has a snapshot with a configuration.
  std::vector<node_id> voters{};
  std::uint32_t election_ticks = 10;   ///< followers wait [election_ticks, 2*election_ticks) ticks
  std::uint32_t heartbeat_ticks = 1;   ///< leader heartbeat period; must be < election_ticks
  std::size_t msg_bytes_max = 1 << 20; ///< append messages carry at most this many accounted bytes (at least one entry)
  std::size_t inflight_msgs_max = 256; ///< append messages in flight per follower
  std::size_t inflight_bytes_max = 0;  ///< bytes in flight per follower (0: no limit)
  std::size_t uncommitted_bytes_max = 0;  ///< leader refuses proposals beyond this many uncommitted bytes (0: no limit)
  std::size_t proposal_entries_max = 1 << 16;  ///< entries in one propose call
  bool pre_vote = true;
  bool check_quorum = true;
  bool forward_proposals = false;      ///< followers forward proposals to a known leader instead of refusing
  /// Terms at or above this are treated as hostile (no cluster gets there).
  static constexpr std::uint64_t term_max = std::uint64_t{1} << 62;

  [[nodiscard]] result<void> validate() const {
    if (id == no_node) return make_error(errc::invalid_config, "raft config: id must be non-zero");
    if (election_ticks < 2) return make_error(errc::invalid_config, "raft config: election_ticks must be at least 2");
    if (heartbeat_ticks == 0 || heartbeat_ticks >= election_ticks)
      return make_error(errc::invalid_config, "raft config: heartbeat_ticks must be in [1, election_ticks)");
    if (msg_bytes_max == 0) return make_error(errc::invalid_config, "raft config: msg_bytes_max must be positive");
    if (inflight_msgs_max == 0) return make_error(errc::invalid_config, "raft config: inflight_msgs_max must be positive");
    if (proposal_entries_max == 0)
      return make_error(errc::invalid_config, "raft config: proposal_entries_max must be positive");
    for (std::size_t i = 0; i < voters.size(); ++i) {
      if (voters[i] == no_node) return make_error(errc::invalid_config, "raft config: voter id 0 is reserved");
      for (std::size_t j = 0; j < i; ++j)
        if (voters[i] == voters[j])
          return make_error(errc::invalid_config, "raft config: voter listed twice", voters[i]);
    }
    return success();
  }
};

}  // namespace cohort::raft
