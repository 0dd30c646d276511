// cohort/partition/multi_probe.hpp - multi-probe consistent hashing.
//
// Appleton and O'Reilly, "Multi-probe consistent hashing" (2015): each member
// has ONE point on a 64-bit ring (the hash of its name); a key is hashed k times
// (probes) and goes to the member whose point is the closest clockwise
// successor of any probe. The paper's bound on the peak-to-mean load is
// 1 + 1/(k - 1), 1.05 for k = 21, with memory of one point per member (a
// classic ring needs hundreds of points per member for that). It is the limit
// for many members; on a finite ring the busiest member's expected load
// fluctuates around it (exactly computed over 200 random rings of 1000
// members: median 1.050, 95th percentile 1.059; 26 probes: 1.040 and 1.047;
// see docs/partitioners.md). Adding a member moves keys only to it; removing
// one moves only its keys.
//
// Lookup: k probes, each finding its successor through a bucket index over the
// top bits of the hash (at least two buckets per point, so a probe reads one
// bucket entry and one or two hashes): O(k) expected, no binary searches (k
// of them, with their mispredicted branches, made a lookup several times
// slower). Memory: 24 bytes per point (the ring, and its hashes packed for the
// scan) plus 4 bytes per bucket.
//
// Probes: probe_j = mix64(key_hash + j * 0x9e3779b97f4a7c15) for j in [0, k).
// Ties (two members with equal points, i.e. equal names) go to the smaller id.
// Weights are not supported: a weight other than 1 is refused
// (errc::invalid_argument), so nobody believes it is honoured.
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

/// Multi-probe consistent hashing.
/// Invariants: `ring_` is sorted by (point, id), one entry per member, ids
/// distinct; 1 <= probes_ <= probes_max; hashes_ and buckets_ as in index_buckets().
template <hasher H = default_hash>
class multi_probe {
 public:
  static constexpr std::size_t default_probes = 21;
  static constexpr std::size_t probes_max = 1024;
  static constexpr std::uint64_t probe_step = 0x9e3779b97f4a7c15ULL;

  struct point {
    std::uint64_t hash;
    node_id id;
    friend constexpr auto operator<=>(const point&, const point&) = default;
  };

  multi_probe() = default;

  /// A partitioner with `probes` probes: errc::invalid_argument unless in [1, 1024].
  static result<multi_probe> create(std::size_t probes, H hash = H{}) {
    if (probes == 0 || probes > probes_max)
      return make_error(errc::invalid_argument, "multi_probe: probes = " + std::to_string(probes) + " must be in [1, 1024]");
    multi_probe p;
    p.probes_ = probes;
    p.hash_ = std::move(hash);
    return p;
  }

  /// Adds `m`: errors as in concepts.hpp, and errc::invalid_argument for a weight other than 1.
  result<void> add(const member& m) { return add_all(std::span<const member>(&m, 1)); }

  /// Adds every member of `list` and indexes once: the same ring as add() of
  /// each. Errors as add(), also for an id repeated within the list; on error
  /// nothing changes.
  result<void> add_all(std::span<const member> list) {
    if (auto v = validate_new_members(list, member_ids(), "multi_probe"); !v) return v;
    for (const member& m : list)
      if (m.weight != 1.0)
        return make_error(errc::invalid_argument,
                          "multi_probe: weights are not supported (got " + std::to_string(m.weight) + ", need 1)", m.id);
    for (const member& m : list) ring_.push_back(point{hash_(detail::name_bytes(m.name)), m.id});
    std::sort(ring_.begin(), ring_.end());
    index_buckets();
    return success();
  }

  /// Removes member `id`; errc::unknown_member if absent.
  result<void> remove(node_id id) {
    const auto it = std::find_if(ring_.begin(), ring_.end(), [&](const point& p) { return p.id == id; });
    if (it == ring_.end()) return make_error(errc::unknown_member, "multi_probe: no member with " + detail::id_text(id), id);
    ring_.erase(it);
    index_buckets();
    return success();
  }

  /// The member whose point is the closest clockwise successor of one of the
  /// key's probes; errc::no_members when empty. Never allocates.
  [[nodiscard]] result<node_id> lookup(bytes_view key) const {
    if (ring_.empty()) return make_error(errc::no_members, "multi_probe: lookup with no members");
    const std::uint64_t kh = hash_(key);
    std::uint64_t best_distance = ~std::uint64_t{0};
    std::size_t best = 0;
    for (std::size_t j = 0; j < probes_; ++j) {
      const std::uint64_t probe = mix64(kh + j * probe_step);
      const std::size_t i = successor(probe);
      const std::uint64_t d = hashes_[i] - probe;  // clockwise distance, mod 2^64
      // Without branches (which probe wins is unpredictable): bit masks, not ?: or &&.
      const bool closer = (d < best_distance) | ((d == best_distance) & (i < best));
      const std::uint64_t take = std::uint64_t{0} - static_cast<std::uint64_t>(closer);
      best_distance = (d & take) | (best_distance & ~take);
      best = static_cast<std::size_t>((i & take) | (best & ~take));
    }
    return ring_[best].id;
  }

  [[nodiscard]] std::size_t size() const noexcept { return ring_.size(); }
  [[nodiscard]] bool contains(node_id id) const noexcept {
    return std::any_of(ring_.begin(), ring_.end(), [&](const point& p) { return p.id == id; });
  }
  [[nodiscard]] std::size_t probes() const noexcept { return probes_; }
  /// The ring, sorted by point.
  [[nodiscard]] const std::vector<point>& ring() const noexcept { return ring_; }
  /// The j-th probe of a key hash (for tests and tools).
  [[nodiscard]] static std::uint64_t probe(std::uint64_t key_hash, std::size_t j) noexcept {
    return mix64(key_hash + j * probe_step);
  }
  [[nodiscard]] const H& hash() const noexcept { return hash_; }
  /// Bytes of the lookup structures: the ring and its bucket index.
  [[nodiscard]] std::size_t table_bytes() const noexcept {
    return ring_.size() * sizeof(point) + hashes_.size() * sizeof(std::uint64_t) + buckets_.size() * sizeof(std::uint32_t);
  }

 private:
  [[nodiscard]] std::vector<node_id> member_ids() const {
    std::vector<node_id> ids;
    for (const auto& p : ring_) ids.push_back(p.id);
    return ids;
  }
  // The index of the first point >= h, wrapping to 0; requires a non-empty ring.
  // Bucket b holds the points with hash >> shift_ == b, from buckets_[b] to
  // buckets_[b + 1]; if none of them is >= h, the successor is buckets_[b + 1].
  // The first two points are read at once and counted without branches (the
  // points before h in a bucket: none or one, mostly); the loop finishes the
  // rare longer bucket. It cannot run past the end: hashes_ ends with two
  // sentinels 2^64 - 1.
  [[nodiscard]] std::size_t successor(std::uint64_t h) const noexcept {
    std::size_t i = buckets_[static_cast<std::size_t>(h >> shift_)];
    i += static_cast<std::size_t>(hashes_[i] < h) + static_cast<std::size_t>(hashes_[i + 1] < h);
    while (hashes_[i] < h) ++i;
    const std::size_t n = ring_.size();
    return i * static_cast<std::size_t>(i != n);  // i, or 0 past the last point (wrap)
  }

  // buckets_[b] = the first point with hash >= b << shift_, for 2^bits >= 2 * points
  // buckets; hashes_ = the points' hashes and two sentinels.
  void index_buckets() {
    hashes_.clear();
    for (const auto& p : ring_) hashes_.push_back(p.hash);
    hashes_.insert(hashes_.end(), 2, ~std::uint64_t{0});
    unsigned bits = 1;
    while (bits < 30 && (std::size_t{1} << bits) < 2 * ring_.size()) ++bits;
    shift_ = 64 - bits;
    const std::size_t n = std::size_t{1} << bits;
    buckets_.assign(n + 1, static_cast<std::uint32_t>(ring_.size()));
    std::size_t p = 0;
    for (std::size_t b = 0; b < n; ++b) {
      const std::uint64_t start = static_cast<std::uint64_t>(b) << shift_;
      while (p < ring_.size() && ring_[p].hash < start) ++p;
      buckets_[b] = static_cast<std::uint32_t>(p);
    }
  }

  H hash_{};
  std::size_t probes_ = default_probes;
  std::vector<point> ring_;
  std::vector<std::uint64_t> hashes_{~std::uint64_t{0}, ~std::uint64_t{0}};  ///< ring_'s hashes, then two sentinels
  std::vector<std::uint32_t> buckets_{0, 0, 0};
  unsigned shift_ = 63;
};

static_assert(mutable_partitioner<multi_probe<>>);

}  // namespace cohort::partition
