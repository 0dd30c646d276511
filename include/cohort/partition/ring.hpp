// cohort/partition/ring.hpp - cohort's consistent hash ring.
//
// Each member gets round(weight * points_per_unit) points (at least one),
// point j at hash(name, seed j). The count depends only on the member's own
// weight, never on the others', so adding a member moves only the keys its
// points take, and removing one moves only its keys (unlike ketama's
// per-server rounding). A key goes to the first point at or after its hash,
// wrapping around; ties between equal 64-bit points go to the smaller id.
//
// Lookup: one 64-bit hash of the key, a bucket index over its top bits
// (about one point per bucket) and a short binary search. Memory: 16 bytes
// per point (hash, member id) plus 4 bytes per bucket.
// Building: add() merges the member's sorted points in (O(points)); add_all()
// adds a list with one sort, the same ring as adding it member by member.
// Invariants: points_ sorted by (hash, id); buckets_ as in index_buckets().
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cohort/core/result.hpp"
#include "cohort/partition/concepts.hpp"
#include "cohort/partition/detail/scoring.hpp"
#include "cohort/partition/hash.hpp"

namespace cohort::partition {

template <hasher H = default_hash>
class ring {
 public:
  struct point {
    std::uint64_t hash;
    node_id id;
  };
  static constexpr std::uint32_t default_points_per_unit = 160;
  static constexpr std::uint64_t points_max = std::uint64_t{1} << 26;

  ring() = default;
  explicit ring(std::uint32_t points_per_unit, H hash = H{}) : per_unit_(points_per_unit), hash_(std::move(hash)) {
    COHORT_ASSERT(points_per_unit > 0, "ring: points_per_unit must be positive");
  }
  /// A ring with `points_per_unit` points per unit of weight (0 is refused).
  static result<ring> create(std::uint32_t points_per_unit, H hash = H{}) {
    if (points_per_unit == 0) return make_error(errc::invalid_config, "ring: points_per_unit must be positive");
    return ring(points_per_unit, std::move(hash));
  }

  /// Adds `m`: errors as in concepts.hpp; errc::capacity_exceeded beyond 2^26 points.
  result<void> add(const member& m) { return add_all(std::span<const member>(&m, 1)); }

  /// Adds every member of `list` (in order), sorting and indexing once: the
  /// same ring as add() of each in turn. Errors as add(), also for an id
  /// repeated within the list; on error nothing changes.
  result<void> add_all(std::span<const member> list) {
    std::uint64_t total = points_.size();
    if (auto v = validate_new_members(list, member_ids(), "ring"); !v) return v;
    for (const member& m : list) {
      total += point_count(m.weight);
      if (total > points_max) return make_error(errc::capacity_exceeded, "ring: more than 2^26 points", m.id);
    }
    const auto old_end = static_cast<std::ptrdiff_t>(points_.size());
    for (const member& m : list) {
      members_.push_back(m);
      const std::uint64_t count = point_count(m.weight);
      for (std::uint64_t j = 0; j < count; ++j) points_.push_back(point{hash_(detail::name_bytes(m.name), j), m.id});
    }
    std::sort(points_.begin() + old_end, points_.end(), before);
    std::inplace_merge(points_.begin(), points_.begin() + old_end, points_.end(), before);
    index_buckets();
    return success();
  }
  result<void> remove(node_id id) {
    const auto it = std::find_if(members_.begin(), members_.end(), [id](const member& m) { return m.id == id; });
    if (it == members_.end()) return make_error(errc::unknown_member, "ring: no member with " + detail::id_text(id), id);
    members_.erase(it);
    std::erase_if(points_, [id](const point& p) { return p.id == id; });
    index_buckets();
    return success();
  }

  [[nodiscard]] result<node_id> lookup(bytes_view key) const {
    if (points_.empty()) return make_error(errc::no_members, "ring: no members");
    return points_[find(hash_(key))].id;
  }
  /// The owner of a hash value (for bulk lookups that hash keys themselves).
  [[nodiscard]] node_id owner_of_hash(std::uint64_t h) const { return points_[find(h)].id; }

  [[nodiscard]] std::size_t size() const noexcept { return members_.size(); }
  [[nodiscard]] bool contains(node_id id) const noexcept {
    return std::any_of(members_.begin(), members_.end(), [id](const member& m) { return m.id == id; });
  }
  [[nodiscard]] const std::vector<point>& points() const noexcept { return points_; }
  [[nodiscard]] std::size_t table_bytes() const noexcept {
    return points_.size() * sizeof(point) + buckets_.size() * sizeof(std::uint32_t);
  }
  [[nodiscard]] const H& hash() const noexcept { return hash_; }
  /// The number of points a member of weight `w` gets: round(w * points per unit), at least 1.
  [[nodiscard]] std::uint64_t point_count(double w) const noexcept {
    return static_cast<std::uint64_t>(std::max(1.0, std::round(w * per_unit_)));
  }
  [[nodiscard]] std::uint32_t points_per_unit() const noexcept { return per_unit_; }

 private:
  [[nodiscard]] std::vector<node_id> member_ids() const {
    std::vector<node_id> ids;
    for (const auto& m : members_) ids.push_back(m.id);
    return ids;
  }
  static bool before(const point& a, const point& b) noexcept {
    return a.hash != b.hash ? a.hash < b.hash : a.id < b.id;
  }
  [[nodiscard]] std::size_t find(std::uint64_t h) const noexcept {
    const auto b = static_cast<std::size_t>(h >> shift_);
    std::size_t lo = buckets_[b], hi = buckets_[b + 1];
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (points_[mid].hash < h) lo = mid + 1;
      else hi = mid;
    }
    return lo == points_.size() ? 0 : lo;
  }
  void index_buckets() {
    unsigned bits = 1;
    while (bits < 24 && (std::size_t{1} << bits) < points_.size()) ++bits;
    shift_ = 64 - bits;
    const std::size_t n = std::size_t{1} << bits;
    buckets_.assign(n + 1, static_cast<std::uint32_t>(points_.size()));
    std::size_t p = 0;
    for (std::size_t b = 0; b < n; ++b) {
      const std::uint64_t start = static_cast<std::uint64_t>(b) << shift_;
      while (p < points_.size() && points_[p].hash < start) ++p;
      buckets_[b] = static_cast<std::uint32_t>(p);
    }
  }

  std::uint32_t per_unit_ = default_points_per_unit;
  H hash_{};
  std::vector<member> members_;
  std::vector<point> points_;
  std::vector<std::uint32_t> buckets_{0, 0, 0};
  unsigned shift_ = 63;
};

static_assert(mutable_partitioner<ring<>>);

}  // namespace cohort::partition
