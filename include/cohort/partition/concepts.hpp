// cohort/partition/concepts.hpp - what every partitioner and hash policy offers.
//
// A partitioner maps keys (byte strings) to members. Members are identified by
// the user's `node_id` (non-zero, unique within a partitioner) and carry a name
// (the text hashed to place them, e.g. "10.0.0.1:11211" for ketama), a weight
// and failure-domain labels used by replica placement.
//
// Contract shared by all partitioners:
//   p.lookup(key)   the member owning `key`; errc::no_members when empty. Pure:
//                   the same members (added in the same order where the
//                   algorithm depends on order) give the same answer on every
//                   platform and compiler. Never allocates.
//   p.size()        the number of members.
//   p.contains(id)  whether a member with that id is present.
// Mutable partitioners (`mutable_partitioner`) also:
//   p.add(m)        errc::duplicate_member if m.id is present; errc::invalid_argument
//                   for id 0, or a weight that is zero, negative, NaN, infinite or
//                   above `member::weight_max`; errc::capacity_exceeded where the
//                   algorithm has a fixed capacity. On error nothing changes.
//   p.remove(id)    errc::unknown_member if absent; errc::invalid_argument where
//                   the algorithm cannot remove that member (jump hash removes
//                   only the last one). On error nothing changes.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cohort/core/bytes.hpp"
#include "cohort/core/result.hpp"
#include "cohort/core/types.hpp"

namespace cohort::partition {

/// A member of a partitioned set.
struct member {
  node_id id{};
  std::string name;   ///< the text hashed to place the member (host:port for ketama)
  double weight = 1.0;
  std::string zone;   ///< failure domain labels for replica placement (may be empty)
  std::string rack;

  static constexpr double weight_max = 1e6;

  friend bool operator==(const member&, const member&) = default;
};

/// The checks shared by every `add`: returns an error, or success.
inline result<void> validate_member(const member& m) {
  if (m.id == no_node) return make_error(errc::invalid_argument, "member id 0 is reserved");
  if (!__builtin_isfinite(m.weight) || m.weight <= 0.0 || m.weight > member::weight_max)
    return make_error(errc::invalid_argument,
                      "member weight must be finite, positive and at most 1e6 (got " + std::to_string(m.weight) + ")",
                      m.id);
  return success();
}

/// The checks shared by every `add_all`: each member as validate_member, and
/// ids distinct within `list` and absent from `present`; the first problem in
/// list order, as an error naming `who`. O(n log n).
inline result<void> validate_new_members(std::span<const member> list, std::vector<node_id> present, std::string_view who) {
  std::sort(present.begin(), present.end());
  std::vector<std::pair<node_id, std::size_t>> ids;  // (id, position in list)
  for (std::size_t i = 0; i < list.size(); ++i) ids.emplace_back(list[i].id, i);
  std::sort(ids.begin(), ids.end());
  std::vector<bool> repeated(list.size(), false);
  for (std::size_t j = 1; j < ids.size(); ++j) repeated[ids[j].second] = ids[j].first == ids[j - 1].first;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (auto v = validate_member(list[i]); !v) return v;
    if (repeated[i] || std::binary_search(present.begin(), present.end(), list[i].id))
      return make_error(errc::duplicate_member,
                        std::string(who) + ": id " + std::to_string(list[i].id.value()) + " already present", list[i].id);
  }
  return success();
}

/// A 64-bit hash of bytes: `h(data)` and `h(data, seed)`; deterministic across
/// platforms (defined on the byte sequence, little-endian reads).
template <class H>
concept hasher = requires(const H& h, bytes_view data, std::uint64_t seed) {
  { h(data) } -> std::same_as<std::uint64_t>;
  { h(data, seed) } -> std::same_as<std::uint64_t>;
};

template <class P>
concept partitioner = requires(const P& p, bytes_view key, node_id id) {
  { p.lookup(key) } -> std::same_as<result<node_id>>;
  { p.size() } -> std::convertible_to<std::size_t>;
  { p.contains(id) } -> std::same_as<bool>;
};

template <class P>
concept mutable_partitioner = partitioner<P> && requires(P& p, const member& m, node_id id) {
  { p.add(m) } -> std::same_as<result<void>>;
  { p.remove(id) } -> std::same_as<result<void>>;
};

/// A view of a string's bytes, for lookups by text key.
inline bytes_view as_key(std::string_view s) noexcept { return std::as_bytes(std::span(s.data(), s.size())); }

}  // namespace cohort::partition
