// cohort/partition/bulk.hpp - lookups over ranges of keys.
//
// lookup_all(p, keys): a lazy range-v3 view of p.lookup(key) for each key of
// `keys` (a range of anything convertible to bytes_view or std::string_view),
// e.g. to count keys per member or to route a batch:
//   for (auto owner : lookup_all(ring, keys)) ...
// The view holds a reference to `p`, which must outlive it.
#pragma once

#include <range/v3/view/transform.hpp>

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

}  // namespace cohort::partition
