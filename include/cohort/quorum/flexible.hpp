// cohort/quorum/flexible.hpp - flexible quorums (Howard, Malkhi and Spiegelman,
// "Flexible Paxos", 2016) and a grid quorum system.
//
// Paxos needs only that every phase-1 (leader election) quorum intersects
// every phase-2 (replication) quorum, not that all quorums intersect. With N
// acceptors, any Q1 of size q1 and Q2 of size q2 intersect when q1 + q2 > N:
// e.g. N = 5, q2 = 2 (replication waits for two acceptors), q1 = 4 (a new
// leader must hear from four).
//
// `flexible_config`: sizes q1, q2 over a voter set; create() refuses sizes
// that break q1 + q2 > N (or are 0 or > N).
// `grid_config`: acceptors in an r x c grid; a phase-1 quorum holds a full
// row, a phase-2 quorum holds at least one acceptor of every row, so every
// phase-1 quorum meets every phase-2 quorum. Phase 2 needs only r acceptors
// and phase 1 only c, instead of majorities of r*c.
//
// Both answer committed_index(acked) for phase 2 and result_of(votes) for
// phase 1 (and phase2_result_of for phase-2 votes), as majority_config does.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "cohort/core/result.hpp"
#include "cohort/quorum/majority.hpp"

namespace cohort::quorum {

class flexible_config {
 public:
  /// Errors: errc::invalid_config for q1 + q2 <= N, a size of 0 or above N,
  /// duplicate or zero voter ids.
  static result<flexible_config> create(std::vector<node_id> voters, std::size_t q1, std::size_t q2) {
    std::sort(voters.begin(), voters.end());
    if (std::adjacent_find(voters.begin(), voters.end()) != voters.end())
      return make_error(errc::invalid_config, "flexible quorum: a voter is listed twice");
    if (!voters.empty() && voters.front() == no_node)
      return make_error(errc::invalid_config, "flexible quorum: voter id 0 is reserved");
    const std::size_t n = voters.size();
    if (n == 0) return make_error(errc::invalid_config, "flexible quorum: no voters");
    if (q1 == 0 || q2 == 0 || q1 > n || q2 > n)
      return make_error(errc::invalid_config, "flexible quorum: sizes must be in [1, N]");
    if (q1 + q2 <= n)
      return make_error(errc::invalid_config, "flexible quorum: q1 + q2 must exceed N so phase-1 and phase-2 quorums intersect");
    return flexible_config(std::move(voters), q1, q2);
  }

  [[nodiscard]] const std::vector<node_id>& voters() const noexcept { return voters_; }
  [[nodiscard]] bool contains(node_id n) const noexcept { return std::binary_search(voters_.begin(), voters_.end(), n); }
  [[nodiscard]] std::size_t phase1_size() const noexcept { return q1_; }
  [[nodiscard]] std::size_t phase2_size() const noexcept { return q2_; }

  /// The highest index acknowledged by some phase-2 quorum.
  template <class Acked>
  [[nodiscard]] log_index committed_index(Acked&& acked) const {
    std::vector<std::uint64_t> v;
    v.reserve(voters_.size());
    for (node_id n : voters_) v.push_back(acked(n).value());
    std::sort(v.begin(), v.end(), std::greater<>());
    return log_index{v[q2_ - 1]};
  }
  /// Phase 1 (votes: +1 granted, -1 refused, 0 unknown).
  template <class Votes>
  [[nodiscard]] vote_result result_of(Votes&& votes) const {
    return tally(votes, q1_);
  }
  /// Phase 2 acceptance of one value.
  template <class Votes>
  [[nodiscard]] vote_result phase2_result_of(Votes&& votes) const {
    return tally(votes, q2_);
  }

 private:
  flexible_config(std::vector<node_id> v, std::size_t q1, std::size_t q2) : voters_(std::move(v)), q1_(q1), q2_(q2) {}
  template <class Votes>
  [[nodiscard]] vote_result tally(Votes& votes, std::size_t need) const {
    std::size_t yes = 0, missing = 0;
    for (node_id n : voters_) {
      const int v = votes(n);
      if (v > 0) ++yes;
      else if (v == 0) ++missing;
    }
    if (yes >= need) return vote_result::won;
    return yes + missing >= need ? vote_result::pending : vote_result::lost;
  }
  std::vector<node_id> voters_;
  std::size_t q1_, q2_;
};

/// Acceptors in `rows` rows (row-major order of `voters`). Phase 1: every
/// acceptor of some row. Phase 2: at least one acceptor of every row.
class grid_config {
 public:
  static result<grid_config> create(std::vector<node_id> voters, std::size_t rows) {
    if (rows == 0 || voters.empty() || voters.size() % rows != 0)
      return make_error(errc::invalid_config, "grid quorum: the voters must fill rows x columns exactly");
    auto sorted = voters;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end() || sorted.front() == no_node)
      return make_error(errc::invalid_config, "grid quorum: voter ids must be distinct and non-zero");
    return grid_config(std::move(voters), rows);
  }
  [[nodiscard]] std::size_t rows() const noexcept { return rows_; }
  [[nodiscard]] std::size_t columns() const noexcept { return grid_.size() / rows_; }
  [[nodiscard]] const std::vector<node_id>& voters() const noexcept { return grid_; }
  [[nodiscard]] bool contains(node_id n) const noexcept { return std::find(grid_.begin(), grid_.end(), n) != grid_.end(); }

  /// Highest index acked by one acceptor in every row: min over rows of the row's max.
  template <class Acked>
  [[nodiscard]] log_index committed_index(Acked&& acked) const {
    std::uint64_t best = std::numeric_limits<std::uint64_t>::max();
    for (std::size_t r = 0; r < rows_; ++r) {
      std::uint64_t row_max = 0;
      for (std::size_t c = 0; c < columns(); ++c) row_max = std::max(row_max, acked(grid_[r * columns() + c]).value());
      best = std::min(best, row_max);
    }
    return log_index{best};
  }
  /// Phase 1: won when some row granted entirely; lost when every row has a refusal.
  template <class Votes>
  [[nodiscard]] vote_result result_of(Votes&& votes) const {
    bool all_rows_broken = true;
    for (std::size_t r = 0; r < rows_; ++r) {
      bool full = true, broken = false;
      for (std::size_t c = 0; c < columns(); ++c) {
        const int v = votes(grid_[r * columns() + c]);
        full = full && v > 0;
        broken = broken || v < 0;
      }
      if (full) return vote_result::won;
      all_rows_broken = all_rows_broken && broken;
    }
    return all_rows_broken ? vote_result::lost : vote_result::pending;
  }
  /// Phase 2: won when every row has a grant; lost when some row refused entirely.
  template <class Votes>
  [[nodiscard]] vote_result phase2_result_of(Votes&& votes) const {
    bool all_rows = true;
    for (std::size_t r = 0; r < rows_; ++r) {
      bool any = false, all_refused = true;
      for (std::size_t c = 0; c < columns(); ++c) {
        const int v = votes(grid_[r * columns() + c]);
        any = any || v > 0;
        all_refused = all_refused && v < 0;
      }
      if (all_refused) return vote_result::lost;
      all_rows = all_rows && any;
    }
    return all_rows ? vote_result::won : vote_result::pending;
  }

 private:
  grid_config(std::vector<node_id> v, std::size_t rows) : grid_(std::move(v)), rows_(rows) {}
  std::vector<node_id> grid_;
  std::size_t rows_;
};

}  // namespace cohort::quorum
