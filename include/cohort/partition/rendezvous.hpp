// cohort/partition/rendezvous.hpp - rendezvous (highest random weight) hashing
// with weights and top-k replicas.
//
// Thaler and Ravishankar, "Using name-based mappings to increase hit rates"
// (1998): every member scores every key; the key goes to the highest score.
// Weights use the logarithmic method (detail::hrw_score): a member of weight w
// wins a key with probability w / sum of weights, and changing one member's
// presence moves only keys to or from that member. Lookup is O(members);
// memory is one small record per member. Ties (equal scores, which need equal
// 52-bit hashes) go to the smaller id, so the answer does not depend on the
// order members were added.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cohort/core/result.hpp"
#include "cohort/partition/concepts.hpp"
#include "cohort/partition/detail/scoring.hpp"
#include "cohort/partition/hash.hpp"

namespace cohort::partition {

/// Rendezvous hashing over members with weights.
/// Invariants: ids in `members_` are distinct and non-zero, weights valid
/// (validate_member); `slots_[i]` describes `members_[i]` (its id, the hash of
/// its name and its weight).
template <hasher H = default_hash>
class rendezvous {
 public:
  /// A member's rank record: what scoring needs, packed for the lookup loop.
  struct slot {
    node_id id;
    std::uint64_t name_hash;
    double weight;
  };

  rendezvous() = default;
  explicit rendezvous(H hash) : hash_(std::move(hash)) {}

  /// Adds `m`; errors as in concepts.hpp (duplicate_member, invalid_argument).
  result<void> add(const member& m) {
    if (auto ok = validate_member(m); !ok) return ok;
    if (contains(m.id)) return make_error(errc::duplicate_member, "rendezvous: " + detail::id_text(m.id) + " already present", m.id);
    slots_.push_back(slot{m.id, hash_(detail::name_bytes(m.name)), m.weight});
    members_.push_back(m);
    return success();
  }

  /// Removes the member `id`; errc::unknown_member if absent.
  result<void> remove(node_id id) {
    const auto i = index_of(id);
    if (i == npos) return make_error(errc::unknown_member, "rendezvous: no member with " + detail::id_text(id), id);
    slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(i));
    members_.erase(members_.begin() + static_cast<std::ptrdiff_t>(i));
    return success();
  }

  /// The member with the highest score for `key`; errc::no_members when empty. Never allocates.
  [[nodiscard]] result<node_id> lookup(bytes_view key) const {
    if (slots_.empty()) return no_members_error();
    const std::uint64_t kh = hash_(key);
    std::size_t best = 0;
    double best_score = score(kh, slots_[0]);
    for (std::size_t i = 1; i < slots_.size(); ++i) {
      const double s = score(kh, slots_[i]);
      if (better(s, slots_[i].id, best_score, slots_[best].id)) best = i, best_score = s;
    }
    return slots_[best].id;
  }

  /// Writes the `out.size()` highest-scoring members for `key` into `out`, best
  /// first, all distinct. errc::no_members when empty; errc::invalid_argument
  /// when out is empty or longer than size() (nothing is written then). O(members
  /// x k) time, no allocation.
  result<void> top_k(bytes_view key, std::span<node_id> out) const {
    if (out.empty() || out.size() > slots_.size()) return refuse_k(out.size());
    const std::uint64_t kh = hash_(key);
    double bound_score = 0;
    node_id bound_id = no_node;
    for (std::size_t j = 0; j < out.size(); ++j) {
      std::size_t best = npos;
      double best_score = 0;
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        const double s = score(kh, slots_[i]);
        if (j > 0 && !better(bound_score, bound_id, s, slots_[i].id)) continue;  // already ranked
        if (best == npos || better(s, slots_[i].id, best_score, slots_[best].id)) best = i, best_score = s;
      }
      out[j] = slots_[best].id;
      bound_score = best_score;
      bound_id = slots_[best].id;
    }
    return success();
  }

  /// As above, returning a new vector of k ids (allocates).
  [[nodiscard]] result<std::vector<node_id>> top_k(bytes_view key, std::size_t k) const {
    if (k > slots_.size()) return refuse_k(k);  // before allocating
    std::vector<node_id> out(k);
    if (auto ok = top_k(key, std::span<node_id>(out)); !ok) return std::move(ok).error();
    return out;
  }

  /// The score of member `id` for `key` (0 if absent): exposed for tests and tools.
  [[nodiscard]] double score_of(bytes_view key, node_id id) const {
    const auto i = index_of(id);
    return i == npos ? 0.0 : score(hash_(key), slots_[i]);
  }

  [[nodiscard]] std::size_t size() const noexcept { return slots_.size(); }
  [[nodiscard]] bool contains(node_id id) const noexcept { return index_of(id) != npos; }
  /// The members in the order they were added.
  [[nodiscard]] const std::vector<member>& members() const noexcept { return members_; }
  /// The scoring records, parallel to members().
  [[nodiscard]] std::span<const slot> slots() const noexcept { return slots_; }
  /// Bytes of the lookup structure: one scoring record per member.
  [[nodiscard]] std::size_t table_bytes() const noexcept { return slots_.size() * sizeof(slot); }
  [[nodiscard]] const H& hash() const noexcept { return hash_; }

  /// The score of a member record for a key hash (the ranking function).
  [[nodiscard]] static double score(std::uint64_t key_hash, const slot& s) noexcept {
    return detail::hrw_score(mix64(key_hash ^ s.name_hash), s.weight);
  }
  /// Whether (score a, id a) ranks before (score b, id b): higher score, then smaller id.
  [[nodiscard]] static constexpr bool better(double sa, node_id a, double sb, node_id b) noexcept {
    return sa > sb || (sa == sb && a < b);
  }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  [[nodiscard]] std::size_t index_of(node_id id) const noexcept {
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (slots_[i].id == id) return i;
    return npos;
  }
  [[nodiscard]] cohort::error refuse_k(std::size_t k) const {
    if (slots_.empty()) return no_members_error();
    return make_error(errc::invalid_argument, "rendezvous::top_k: k = " + std::to_string(k) + " must be in [1, " +
                                                  std::to_string(slots_.size()) + "]");
  }
  static cohort::error no_members_error() { return make_error(errc::no_members, "rendezvous: lookup with no members"); }

  H hash_{};
  std::vector<slot> slots_;
  std::vector<member> members_;
};

static_assert(mutable_partitioner<rendezvous<>>);

}  // namespace cohort::partition
