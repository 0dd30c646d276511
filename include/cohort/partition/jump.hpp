// cohort/partition/jump.hpp - jump consistent hash (Lamping and Veach, 2014).
//
// jump_hash(key, n) maps a 64-bit key to a bucket in [0, n) with perfect
// balance in expectation and minimal movement when n grows by one (only keys
// that move to the new bucket move). No table: O(log n) time, O(1) memory.
// The `jump` partitioner puts members in buckets in insertion order; it can
// only remove the last member (anything else would renumber buckets).
// Weights are not supported (every member counts 1); use rendezvous or ring.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cohort/core/result.hpp"
#include "cohort/partition/concepts.hpp"
#include "cohort/partition/detail/scoring.hpp"
#include "cohort/partition/hash.hpp"

namespace cohort::partition {

/// The bucket of `key` among `buckets` (> 0), as in the paper's listing.
constexpr std::int32_t jump_hash(std::uint64_t key, std::int32_t buckets) noexcept {
  std::int64_t b = -1, j = 0;
  while (j < buckets) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = static_cast<std::int64_t>(static_cast<double>(b + 1) *
                                  (static_cast<double>(std::int64_t{1} << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<std::int32_t>(b);
}

template <hasher H = default_hash>
class jump {
 public:
  static constexpr std::size_t members_max = 1U << 30;

  jump() = default;
  explicit jump(H hash) : hash_(std::move(hash)) {}

  /// Appends a member (its weight must be 1: jump hash has no weights).
  result<void> add(const member& m) {
    if (auto v = validate_member(m); !v) return v;
    if (m.weight != 1.0) return make_error(errc::invalid_argument, "jump: weights are not supported (use weight 1)", m.id);
    if (contains(m.id)) return make_error(errc::duplicate_member, "jump: " + detail::id_text(m.id) + " already present", m.id);
    if (ids_.size() >= members_max) return make_error(errc::capacity_exceeded, "jump: too many members", m.id);
    ids_.push_back(m.id);
    return success();
  }
  /// Removes the last member; any other is errc::invalid_argument.
  result<void> remove(node_id id) {
    if (!contains(id)) return make_error(errc::unknown_member, "jump: no member with " + detail::id_text(id), id);
    if (ids_.back() != id)
      return make_error(errc::invalid_argument, "jump: only the last member can be removed", id);
    ids_.pop_back();
    return success();
  }
  [[nodiscard]] result<node_id> lookup(bytes_view key) const {
    if (ids_.empty()) return make_error(errc::no_members, "jump: no members");
    return ids_[static_cast<std::size_t>(jump_hash(hash_(key), static_cast<std::int32_t>(ids_.size())))];
  }
  [[nodiscard]] std::size_t size() const noexcept { return ids_.size(); }
  [[nodiscard]] bool contains(node_id id) const noexcept { return std::find(ids_.begin(), ids_.end(), id) != ids_.end(); }
  [[nodiscard]] std::size_t table_bytes() const noexcept { return ids_.size() * sizeof(node_id); }

 private:
  H hash_{};
  std::vector<node_id> ids_;
};

static_assert(mutable_partitioner<jump<>>);

}  // namespace cohort::partition
