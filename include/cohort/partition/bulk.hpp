// cohort/partition/bulk.hpp - lookups over ranges of keys.
//
// lookup_all(p, keys): a lazy range-v3 view of p.lookup(key) for each key of
// `keys` (a range of anything convertible to bytes_view or std::string_view),
// e.g. to count keys per member or to route a batch:
//   for (auto owner : lookup_all(ring, keys)) ...
// The view holds a reference to `p`, which must outlive it.
//
// lookup_many(p, keys, out): out[i] = p.lookup(keys[i]) into caller storage,
// through p.lookup_many when the partitioner has one (ketama_ring hashes eight
// keys at a time) and one lookup per key otherwise. errc::no_members when p is
// empty, errc::invalid_argument when the spans' sizes differ (nothing is
// written then; any other error of p.lookup, which no cohort partitioner has
// once it has members, stops at that key). Never allocates.
#pragma once

#include <range/v3/view/transform.hpp>

#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "cohort/partition/concepts.hpp"

namespace cohort::partition {

namespace detail {
inline bytes_view key_bytes(bytes_view k) noexcept { return k; }
inline bytes_view key_bytes(std::string_view k) noexcept { return as_key(k); }
}  // namespace detail

template <partitioner P, class Keys>
auto lookup_all(const P& p, Keys&& keys) {
  return ranges::views::transform(static_cast<Keys&&>(keys), [&p](const auto& k) { return p.lookup(detail::key_bytes(k)); });
}

template <partitioner P>
result<void> lookup_many(const P& p, std::span<const bytes_view> keys, std::span<node_id> out) {
  if constexpr (requires { p.lookup_many(keys, out); }) {
    return p.lookup_many(keys, out);
  } else {
    if (keys.size() != out.size())
      return make_error(errc::invalid_argument, "lookup_many: " + std::to_string(keys.size()) + " keys but " +
                                                    std::to_string(out.size()) + " outputs");
    if (p.size() == 0) return make_error(errc::no_members, "lookup_many: no members");
    for (std::size_t i = 0; i < keys.size(); ++i) {
      auto owner = p.lookup(keys[i]);
      if (!owner) return std::move(owner).error();  // only if lookup fails with members present
      out[i] = *owner;
    }
    return success();
  }
}

}  // namespace cohort::partition
