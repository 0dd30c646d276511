// cohort/partition/multi_probe.hpp - multi-probe consistent hashing.
//
// Appleton and O'Reilly, "Multi-probe consistent hashing" (2015): each member
// has ONE point on a 64-bit ring (the hash of its name); a key is hashed k times
// (probes) and goes to the member whose point is the closest clockwise
// successor of any probe. With k = 21 the peak-to-mean load is about 1.05 with
// memory of one point per member (a classic ring needs hundreds of points per
// member for that). Lookup is O(k log members). Adding a member moves keys
// only to it; removing one moves only its keys.
//
// Probes: probe_j = mix64(key_hash + j * 0x9e3779b97f4a7c15) for j in [0, k).
// Ties (two members with equal points, i.e. equal names) go to the smaller id.
// Weights are not supported: a weight other than 1 is refused
// (errc::invalid_argument), so nobody believes it is honoured.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
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
/// distinct; 1 <= probes_ <= probes_max.
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
  result<void> add(const member& m) {
    if (auto ok = validate_member(m); !ok) return ok;
    if (m.weight != 1.0)
      return make_error(errc::invalid_argument,
                        "multi_probe: weights are not supported (got " + std::to_string(m.weight) + ", need 1)", m.id);
    if (contains(m.id)) return make_error(errc::duplicate_member, "multi_probe: " + detail::id_text(m.id) + " already present", m.id);
    const point p{hash_(detail::name_bytes(m.name)), m.id};
    ring_.insert(std::upper_bound(ring_.begin(), ring_.end(), p), p);
    return success();
  }

  /// Removes member `id`; errc::unknown_member if absent.
  result<void> remove(node_id id) {
    const auto it = std::find_if(ring_.begin(), ring_.end(), [&](const point& p) { return p.id == id; });
    if (it == ring_.end()) return make_error(errc::unknown_member, "multi_probe: no member with " + detail::id_text(id), id);
    ring_.erase(it);
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
      std::size_t i = successor(probe);
      const std::uint64_t d = ring_[i].hash - probe;  // clockwise distance, mod 2^64
      if (d < best_distance || (d == best_distance && i < best)) best_distance = d, best = i;
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

 private:
  // The index of the first point >= h, wrapping to 0; requires a non-empty ring.
  [[nodiscard]] std::size_t successor(std::uint64_t h) const noexcept {
    const auto it = std::lower_bound(ring_.begin(), ring_.end(), h, [](const point& p, std::uint64_t v) { return p.hash < v; });
    return it == ring_.end() ? 0 : static_cast<std::size_t>(it - ring_.begin());
  }

  H hash_{};
  std::size_t probes_ = default_probes;
  std::vector<point> ring_;
};

static_assert(mutable_partitioner<multi_probe<>>);

}  // namespace cohort::partition
