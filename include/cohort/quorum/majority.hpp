// cohort/quorum/majority.hpp - majority and joint quorums, shared by Raft and
// Paxos.
//
// A `majority_config` is a set of voters; a quorum is any more-than-half of
// them. A `joint_config` (Raft's joint consensus) needs a majority of the
// incoming AND of the outgoing voters; with an empty outgoing set it is just
// the incoming majority.
//
// committed_index(acked): the highest index acknowledged by a quorum, where
// acked(id) gives a voter's acknowledged index (log_index{0} if none). For an
// empty voter set it is the largest index (an empty config does not constrain
// a joint one); callers never commit with no voters at all.
// vote_result(votes): won / lost / pending given votes(id) -> +1 granted,
// -1 rejected, 0 not yet.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "cohort/core/types.hpp"

namespace cohort::quorum {

enum class vote_result : std::uint8_t { pending, lost, won };

class majority_config {
 public:
  majority_config() = default;
  /// Duplicates are removed; the order does not matter.
  explicit majority_config(std::vector<node_id> voters) : voters_(std::move(voters)) {
    std::sort(voters_.begin(), voters_.end());
    voters_.erase(std::unique(voters_.begin(), voters_.end()), voters_.end());
  }

  [[nodiscard]] const std::vector<node_id>& voters() const noexcept { return voters_; }
  [[nodiscard]] bool contains(node_id n) const noexcept {
    return std::binary_search(voters_.begin(), voters_.end(), n);
  }
  [[nodiscard]] std::size_t size() const noexcept { return voters_.size(); }
  [[nodiscard]] bool empty() const noexcept { return voters_.empty(); }
  [[nodiscard]] std::size_t quorum() const noexcept { return voters_.size() / 2 + 1; }

  template <class Acked>
  [[nodiscard]] log_index committed_index(Acked&& acked) const {
    const std::size_t n = voters_.size();
    if (n == 0) return log_index{std::numeric_limits<std::uint64_t>::max()};
    constexpr std::size_t small = 16;
    std::array<std::uint64_t, small> stack{};
    std::vector<std::uint64_t> heap;
    std::uint64_t* v = stack.data();
    if (n > small) {
      heap.resize(n);
      v = heap.data();
    }
    for (std::size_t i = 0; i < n; ++i) v[i] = acked(voters_[i]).value();
    // The (n - quorum)-th smallest is acknowledged by at least a quorum.
    const std::size_t k = n - quorum();
    std::nth_element(v, v + k, v + n);
    return log_index{v[k]};
  }

  template <class Votes>
  [[nodiscard]] vote_result result_of(Votes&& votes) const {
    if (voters_.empty()) return vote_result::won;
    std::size_t yes = 0, missing = 0;
    for (node_id n : voters_) {
      const int v = votes(n);
      if (v > 0) ++yes;
      else if (v == 0) ++missing;
    }
    if (yes >= quorum()) return vote_result::won;
    if (yes + missing >= quorum()) return vote_result::pending;
    return vote_result::lost;
  }

  friend bool operator==(const majority_config&, const majority_config&) = default;

 private:
  std::vector<node_id> voters_;
};

class joint_config {
 public:
  joint_config() = default;
  explicit joint_config(majority_config incoming, majority_config outgoing = {})
      : in_(std::move(incoming)), out_(std::move(outgoing)) {}

  [[nodiscard]] const majority_config& incoming() const noexcept { return in_; }
  [[nodiscard]] const majority_config& outgoing() const noexcept { return out_; }
  [[nodiscard]] bool is_joint() const noexcept { return !out_.empty(); }
  [[nodiscard]] bool contains(node_id n) const noexcept { return in_.contains(n) || out_.contains(n); }
  /// Every voter of either half, sorted, without duplicates.
  [[nodiscard]] std::vector<node_id> voters() const {
    std::vector<node_id> all = in_.voters();
    all.insert(all.end(), out_.voters().begin(), out_.voters().end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
  }

  template <class Acked>
  [[nodiscard]] log_index committed_index(Acked&& acked) const {
    return std::min(in_.committed_index(acked), out_.committed_index(acked));
  }
  template <class Votes>
  [[nodiscard]] vote_result result_of(Votes&& votes) const {
    const vote_result a = in_.result_of(votes), b = out_.result_of(votes);
    if (a == b) return a;
    if (a == vote_result::lost || b == vote_result::lost) return vote_result::lost;
    return vote_result::pending;
  }

  friend bool operator==(const joint_config&, const joint_config&) = default;

 private:
  majority_config in_;
  majority_config out_;
};

}  // namespace cohort::quorum
