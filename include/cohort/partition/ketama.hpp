// cohort/partition/ketama.hpp - a ketama continuum compatible with libmemcached.
//
// Assignments are identical to libmemcached 1.1.4 with
// MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED (the libketama-compatible mode) for the
// same servers in the same order with the same (integer) weights:
//   - a key hashes to the first 4 bytes of its MD5 digest, little-endian;
//   - server i of n, weight w_i of total W, gets
//       4 * floor(float(float(w_i / W) * 160 / 4 * n + 1e-10))
//     points, computed in single precision as libmemcached does;
//   - its points come from MD5 digests of "host-k" (or "host:port-k" when the
//     port is not 11211), k = 0, 1, ..., four 32-bit points per digest;
//   - points sort by value, ties by server position; a key goes to the first
//     point >= its hash, wrapping to the first point.
// Member names are "host:port" (or "host", meaning port 11211).
//
// libmemcached's quirk, kept for compatibility: the point count is rounded
// per server from its share of the total, in float. Adding one server
// changes every server's share, so the rounding of old servers can change
// too (e.g. from 160 to 156 points) and keys move between old servers, not
// only to the new one. cohort's own `ring` does not have this flaw.
//
// Lookup: one MD5 of the key (a single 64-byte block for keys of up to 55
// bytes, no buffering), then a bucket index over the top bits of the hash
// narrows the binary search to a few points. lookup_many() hashes eight keys
// at a time side by side (md5_short_many), several times the throughput.
// Memory: 8 bytes per point, 4 bytes per bucket, 8 bytes per member id.
//
// Building: add() rebuilds the continuum (every server's share changes), so
// adding n servers one at a time costs O(n^2) digests; add_all(list) builds
// once, with the same result as adding the list in order.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/core/result.hpp"
#include "cohort/partition/concepts.hpp"
#include "cohort/partition/detail/scoring.hpp"
#include "cohort/partition/hash.hpp"

namespace cohort::partition {

class ketama_ring {
 public:
  struct point {
    std::uint32_t value;
    std::uint32_t index;  ///< position of the member in insertion order
  };
  static constexpr std::uint32_t points_per_server = 160;
  static constexpr std::string_view default_port_suffix = ":11211";

  /// The hash of a key on the continuum: MD5's first 4 bytes, little-endian.
  static std::uint32_t key_hash(bytes_view key) noexcept { return md5_first_word(key); }

  /// Adds a server at the end of the list; errors as in concepts.hpp.
  result<void> add(const member& m) { return add_all(std::span<const member>(&m, 1)); }

  /// Adds the servers of `list` at the end, in order, building the continuum
  /// once: the same result as add() of each in turn. Errors as add() (also for
  /// an id repeated within the list); on error nothing changes.
  result<void> add_all(std::span<const member> list) {
    if (auto v = validate_new_members(list, member_ids(), "ketama"); !v) return v;
    for (const member& m : list)
      if (m.name.empty()) return make_error(errc::invalid_argument, "ketama: a member needs a host name", m.id);
    members_.insert(members_.end(), list.begin(), list.end());
    rebuild();
    return success();
  }
  result<void> remove(node_id id) {
    const auto it = std::find_if(members_.begin(), members_.end(), [id](const member& m) { return m.id == id; });
    if (it == members_.end()) return make_error(errc::unknown_member, "ketama: no member with " + detail::id_text(id), id);
    members_.erase(it);
    rebuild();
    return success();
  }

  [[nodiscard]] result<node_id> lookup(bytes_view key) const {
    if (points_.empty()) return make_error(errc::no_members, "ketama: no members");
    return ids_[points_[find(key_hash(key))].index];
  }

  /// out[i] = lookup(keys[i]) for every i, faster: keys of up to 55 bytes are
  /// hashed eight at a time (md5_short_many). errc::no_members when empty,
  /// errc::invalid_argument when the spans' sizes differ (nothing written).
  /// Never allocates.
  result<void> lookup_many(std::span<const bytes_view> keys, std::span<node_id> out) const {
    if (points_.empty()) return make_error(errc::no_members, "ketama: no members");
    if (keys.size() != out.size())
      return make_error(errc::invalid_argument, "ketama::lookup_many: " + std::to_string(keys.size()) + " keys but " +
                                                    std::to_string(out.size()) + " outputs");
    constexpr std::size_t lanes = md5_lanes;
    std::size_t i = 0;
    for (; i + lanes <= keys.size(); i += lanes) {
      const auto group = keys.subspan(i, lanes);
      const bool short_keys = std::all_of(group.begin(), group.end(),
                                          [](bytes_view k) { return k.size() <= detail::md5_single_block_max; });
      if (!short_keys) {
        for (std::size_t l = 0; l < lanes; ++l) out[i + l] = ids_[points_[find(key_hash(group[l]))].index];
        continue;
      }
      bytes_view in[lanes];
      std::copy(group.begin(), group.end(), in);
      std::array<std::uint8_t, 16> digest[lanes];
      md5_short_many(in, digest);
      for (std::size_t l = 0; l < lanes; ++l) out[i + l] = ids_[points_[find(digest_point(digest[l], 0))].index];
    }
    for (; i < keys.size(); ++i) out[i] = ids_[points_[find(key_hash(keys[i]))].index];
    return success();
  }

  /// The position (insertion order) of the server owning a hash value.
  [[nodiscard]] std::size_t owner_index(std::uint32_t hash) const { return points_[find(hash)].index; }

  [[nodiscard]] std::size_t size() const noexcept { return members_.size(); }
  [[nodiscard]] bool contains(node_id id) const noexcept {
    return std::any_of(members_.begin(), members_.end(), [id](const member& m) { return m.id == id; });
  }
  [[nodiscard]] const std::vector<point>& points() const noexcept { return points_; }
  [[nodiscard]] const std::vector<member>& members() const noexcept { return members_; }
  /// Bytes of the lookup structures (points, bucket index, member ids).
  [[nodiscard]] std::size_t table_bytes() const noexcept {
    return points_.size() * sizeof(point) + buckets_.size() * sizeof(std::uint32_t) + ids_.size() * sizeof(node_id);
  }

  /// libmemcached's point count for a server of weight w among n of total W.
  static std::uint32_t point_count(double w, double total, std::size_t n) noexcept {
    const float pct = static_cast<float>(w) / static_cast<float>(total);
    const float raw = pct * static_cast<float>(points_per_server) / 4.0F * static_cast<float>(n) + 0.0000000001F;
    return static_cast<std::uint32_t>(__builtin_floor(static_cast<double>(raw)) * 4);
  }

 private:
  [[nodiscard]] std::vector<node_id> member_ids() const {
    std::vector<node_id> ids;
    for (const auto& m : members_) ids.push_back(m.id);
    return ids;
  }
  // Point x (0..3) of a digest: bytes [4x, 4x + 4) little-endian.
  static std::uint32_t digest_point(const std::array<std::uint8_t, 16>& d, std::uint32_t x) noexcept {
    return static_cast<std::uint32_t>(d[4 * x]) | static_cast<std::uint32_t>(d[4 * x + 1]) << 8 |
           static_cast<std::uint32_t>(d[4 * x + 2]) << 16 | static_cast<std::uint32_t>(d[4 * x + 3]) << 24;
  }

  // The first point with value >= h, wrapping to 0; requires points. Bucket
  // b's points are [buckets_[b], buckets_[b + 1]) (under one a bucket on
  // average). The first three are read at once and counted without branches: a
  // mispredicted branch here would also discard the start of the next
  // lookup's MD5, which the CPU otherwise overlaps with this one. A longer
  // bucket (rare) finishes with a loop.
  [[nodiscard]] std::size_t find(std::uint32_t h) const noexcept {
    const std::uint32_t b = h >> shift_;
    const std::size_t lo = buckets_[b], hi = buckets_[b + 1], last = points_.size() - 1;
    std::size_t i = lo;  // + how many of the first three are below h (points are sorted)
    for (std::size_t k = 0; k < 3; ++k)
      i += static_cast<std::size_t>((lo + k < hi) & (points_[std::min(lo + k, last)].value < h));
    while (i < hi && points_[i].value < h) ++i;
    return i == points_.size() ? 0 : i;
  }

  void rebuild() {
    points_.clear();
    ids_.clear();
    double total = 0;
    for (const auto& m : members_) total += m.weight;
    std::string text;
    for (std::uint32_t i = 0; i < members_.size(); ++i) {
      const std::string& name = members_[i].name;
      text = name.size() > default_port_suffix.size() && name.ends_with(default_port_suffix)
                 ? name.substr(0, name.size() - default_port_suffix.size())
                 : name;
      text += '-';
      const std::size_t prefix_len = text.size();
      const std::uint32_t count = point_count(members_[i].weight, total, members_.size());
      for (std::uint32_t k = 0; k < count / 4; ++k) {
        text.resize(prefix_len);
        text += std::to_string(k);
        const auto d = md5(as_key(text));
        for (std::uint32_t x = 0; x < 4; ++x) points_.push_back(point{digest_point(d, x), i});
      }
      ids_.push_back(members_[i].id);
    }
    std::sort(points_.begin(), points_.end(),
              [](const point& a, const point& b) { return a.value != b.value ? a.value < b.value : a.index < b.index; });
    index_buckets();
  }

  // buckets_[b] = first point with value >= b << shift_ (2^bits buckets, ~1 point each).
  void index_buckets() {
    unsigned bits = 1;
    while (bits < 20 && (std::size_t{1} << bits) < points_.size()) ++bits;
    shift_ = 32 - bits;
    const std::size_t n = std::size_t{1} << bits;
    buckets_.assign(n + 1, static_cast<std::uint32_t>(points_.size()));
    std::size_t p = 0;
    for (std::size_t b = 0; b < n; ++b) {
      const std::uint64_t start = static_cast<std::uint64_t>(b) << shift_;
      while (p < points_.size() && points_[p].value < start) ++p;
      buckets_[b] = static_cast<std::uint32_t>(p);
    }
  }

  std::vector<member> members_;
  std::vector<node_id> ids_;  ///< members_[i].id, packed for lookups
  std::vector<point> points_;
  std::vector<std::uint32_t> buckets_{0, 0, 0};
  unsigned shift_ = 31;
};

static_assert(mutable_partitioner<ketama_ring>);

}  // namespace cohort::partition
