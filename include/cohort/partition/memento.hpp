// cohort/partition/memento.hpp - MementoHash: constant-time consistent hashing
// that tolerates the removal of any member.
//
// Coluzzi, Brocco, Antonucci and Leidi, "MementoHash: A Stateful, Minimal
// Memory, Best Performing Consistent Hash Algorithm" (IEEE/ACM ToN, 2024;
// arXiv 2306.09783). Why Memento rather than AnchorHash or DxHash: it needs no
// capacity chosen up front (Anchor and Dx reserve a fixed bucket array), its
// algorithmic state grows only with the number of *removed* members, and with
// no removals it is exactly jump consistent hash (Lamping and Veach 2014),
// the fastest and best balanced of the bucket-based algorithms.
//
// Buckets: members occupy buckets [0, n). Removing the member of bucket b
// records "b was removed when w working buckets remained, after the bucket
// removed before it" (replacer w, previous). A key goes to jump(key, n); while
// that bucket is removed it is rehashed into [0, w) of that removal, and a
// bucket that was already removed at that time is replaced by its own
// replacer, until a bucket that was working at that time is found; repeat.
// Removing the member of the highest bucket while nothing else is removed
// simply shrinks n (jump hash). Adding a member restores the most recently
// removed bucket (LIFO, as the algorithm requires) or, with none removed,
// appends bucket n. Any member can be removed; adding always refills the
// last-removed bucket, so a member removed and re-added right after gets its
// keys back exactly.
//
// Movement: removing a member moves only its keys; adding one moves keys only
// to it. Balance is that of jump hash over the working buckets. Lookup is O(1)
// expected while few members are removed (the paper bounds the expected work
// by the ratio of all buckets to working buckets). Storage here is dense: the
// bucket -> member table (needed anyway) carries each bucket's replacer and
// previous-removed link, so lookups never touch a hash map. Weights are not
// supported (a weight other than 1 is refused). The result depends on the
// sequence of adds and removes, not only on the final set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "cohort/core/result.hpp"
#include "cohort/partition/concepts.hpp"
#include "cohort/partition/detail/scoring.hpp"
#include "cohort/partition/hash.hpp"

namespace cohort::partition {

namespace detail {
/// Jump consistent hash (Lamping and Veach, "A Fast, Minimal Memory,
/// Consistent Hash Algorithm", 2014): a bucket in [0, buckets) for buckets >= 1.
constexpr std::uint32_t memento_jump(std::uint64_t key, std::uint32_t buckets) noexcept {
  std::int64_t b = -1;
  std::int64_t j = 0;
  while (j < static_cast<std::int64_t>(buckets)) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = static_cast<std::int64_t>(static_cast<double>(b + 1) *
                                  (static_cast<double>(1LL << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<std::uint32_t>(b);
}
}  // namespace detail

/// MementoHash over members (see the file comment).
/// Invariants: buckets_.size() == n; a working bucket has a non-zero owner and
/// replacer == none; a removed bucket has owner no_node and replacer = the number
/// of working buckets just after its removal; the removed buckets form a stack
/// from last_removed_ through `previous` links (none = end); working count ==
/// members; owners distinct.
template <hasher H = default_hash>
class memento {
 public:
  static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
  /// The largest number of buckets (members plus removed members).
  static constexpr std::uint32_t buckets_max = (1U << 31) - 1;

  struct bucket {
    node_id owner;
    std::uint32_t replacer = none;
    std::uint32_t previous = none;
  };

  memento() = default;
  explicit memento(H hash) : hash_(std::move(hash)) {}

  /// Adds `m` into the most recently removed bucket, or a new last bucket.
  /// Errors as in concepts.hpp; errc::invalid_argument for a weight other than 1;
  /// errc::capacity_exceeded beyond buckets_max.
  result<void> add(const member& m) {
    if (auto ok = validate_member(m); !ok) return ok;
    if (m.weight != 1.0)
      return make_error(errc::invalid_argument, "memento: weights are not supported (got " + std::to_string(m.weight) + ", need 1)", m.id);
    if (contains(m.id)) return make_error(errc::duplicate_member, "memento: " + detail::id_text(m.id) + " already present", m.id);
    if (last_removed_ == none) {
      if (buckets_.size() >= buckets_max) return make_error(errc::capacity_exceeded, "memento: more than 2^31 - 1 buckets", m.id);
      buckets_.push_back(bucket{m.id, none, none});
    } else {
      bucket& b = buckets_[last_removed_];
      last_removed_ = b.previous;
      b = bucket{m.id, none, none};
    }
    ++working_;
    return success();
  }

  /// Removes member `id` (any member); errc::unknown_member if absent.
  result<void> remove(node_id id) {
    const std::uint32_t b = bucket_of(id);
    if (b == none) return make_error(errc::unknown_member, "memento: no member with " + detail::id_text(id), id);
    --working_;
    if (last_removed_ == none && b + 1 == buckets_.size()) {
      buckets_.pop_back();  // jump hash shrinks
      return success();
    }
    buckets_[b] = bucket{no_node, working_, last_removed_};
    last_removed_ = b;
    return success();
  }

  /// The owner of `key`; errc::no_members when empty. Never allocates.
  [[nodiscard]] result<node_id> lookup(bytes_view key) const {
    if (working_ == 0) return make_error(errc::no_members, "memento: lookup with no members");
    const std::uint64_t kh = hash_(key);
    std::uint32_t b = detail::memento_jump(kh, static_cast<std::uint32_t>(buckets_.size()));
    for (std::uint32_t w = buckets_[b].replacer; w != none; w = buckets_[b].replacer) {
      b = static_cast<std::uint32_t>(detail::fast_range(mix64(kh ^ (0x9e3779b97f4a7c15ULL * (b + 1ULL))), w));
      while (buckets_[b].replacer != none && buckets_[b].replacer >= w) b = buckets_[b].replacer;
    }
    return buckets_[b].owner;
  }

  [[nodiscard]] std::size_t size() const noexcept { return working_; }
  [[nodiscard]] bool contains(node_id id) const noexcept { return bucket_of(id) != none; }
  /// The bucket table, working and removed (for tests and tools).
  [[nodiscard]] const std::vector<bucket>& buckets() const noexcept { return buckets_; }
  /// The most recently removed bucket (the next add fills it), or `none`.
  [[nodiscard]] std::uint32_t last_removed() const noexcept { return last_removed_; }
  /// Bytes of the lookup structure: the bucket table, removed buckets included.
  [[nodiscard]] std::size_t table_bytes() const noexcept { return buckets_.size() * sizeof(bucket); }
  [[nodiscard]] const H& hash() const noexcept { return hash_; }

 private:
  [[nodiscard]] std::uint32_t bucket_of(node_id id) const noexcept {
    if (id == no_node) return none;
    for (std::size_t i = 0; i < buckets_.size(); ++i)
      if (buckets_[i].owner == id) return static_cast<std::uint32_t>(i);
    return none;
  }

  H hash_{};
  std::vector<bucket> buckets_;
  std::uint32_t last_removed_ = none;
  std::uint32_t working_ = 0;
};

static_assert(mutable_partitioner<memento<>>);

}  // namespace cohort::partition
