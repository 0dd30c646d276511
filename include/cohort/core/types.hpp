// cohort/core/types.hpp - the vocabulary of identifiers shared by every core.
//
// `node_id`, `term` and `log_index` are distinct types over a 64-bit unsigned
// integer: a term cannot be passed where an index is expected, and two
// different kinds cannot be compared or added. Each kind supports exactly the
// operations that make sense for it:
//
//   - all: explicit construction from std::uint64_t, `.value()`, ==, <=>,
//     std::hash, trivially copyable (so messages holding them stay encodable).
//   - term and log_index: ++, --, `+ n`, `- n` with an integer n, and the
//     distance `a - b` between two values of the same kind (an std::uint64_t;
//     the caller guarantees a >= b).
//   - node_id: no arithmetic. Zero is reserved as `no_node` (no vote, unknown
//     leader); valid members are non-zero.
//
// Formatting lives in cohort/fmt/types.hpp so that cores do not pull fmt in.
#pragma once

#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>  // declares std::hash and its integer specializations, lighter than <functional>
#include <type_traits>

namespace cohort {

namespace detail {

// Whether a tagged integer supports arithmetic (terms and indexes do, ids do
// not). Specialised per tag below.
template <class Tag>
inline constexpr bool is_ordinal_v = false;

}  // namespace detail

/// A 64-bit unsigned integer tagged with its meaning. See the file comment for
/// the operations each tag allows.
template <class Tag>
class tagged_u64 {
 public:
  using rep = std::uint64_t;

  constexpr tagged_u64() noexcept = default;
  constexpr explicit tagged_u64(rep v) noexcept : v_(v) {}

  [[nodiscard]] constexpr rep value() const noexcept { return v_; }

  friend constexpr bool operator==(tagged_u64, tagged_u64) noexcept = default;
  friend constexpr std::strong_ordering operator<=>(tagged_u64, tagged_u64) noexcept = default;
  // Spelled out (they win over the ones rewritten from <=>) so that a
  // comparison is one integer compare even where the optimiser does not see
  // through std::strong_ordering (e.g. or-ed into a branch-free check).
  friend constexpr bool operator<(tagged_u64 a, tagged_u64 b) noexcept { return a.v_ < b.v_; }
  friend constexpr bool operator<=(tagged_u64 a, tagged_u64 b) noexcept { return a.v_ <= b.v_; }
  friend constexpr bool operator>(tagged_u64 a, tagged_u64 b) noexcept { return a.v_ > b.v_; }
  friend constexpr bool operator>=(tagged_u64 a, tagged_u64 b) noexcept { return a.v_ >= b.v_; }

  constexpr tagged_u64& operator++() noexcept
    requires detail::is_ordinal_v<Tag>
  {
    ++v_;
    return *this;
  }
  constexpr tagged_u64 operator++(int) noexcept
    requires detail::is_ordinal_v<Tag>
  {
    auto old = *this;
    ++v_;
    return old;
  }
  constexpr tagged_u64& operator--() noexcept
    requires detail::is_ordinal_v<Tag>
  {
    --v_;
    return *this;
  }
  constexpr tagged_u64 operator--(int) noexcept
    requires detail::is_ordinal_v<Tag>
  {
    auto old = *this;
    --v_;
    return old;
  }
  constexpr tagged_u64& operator+=(rep n) noexcept
    requires detail::is_ordinal_v<Tag>
  {
    v_ += n;
    return *this;
  }
  constexpr tagged_u64& operator-=(rep n) noexcept
    requires detail::is_ordinal_v<Tag>
  {
    v_ -= n;
    return *this;
  }
  friend constexpr tagged_u64 operator+(tagged_u64 a, rep n) noexcept
    requires detail::is_ordinal_v<Tag>
  {
    return tagged_u64(a.v_ + n);
  }
  friend constexpr tagged_u64 operator-(tagged_u64 a, rep n) noexcept
    requires detail::is_ordinal_v<Tag>
  {
    return tagged_u64(a.v_ - n);
  }
  /// Distance between two values of the same kind; requires a >= b.
  friend constexpr rep operator-(tagged_u64 a, tagged_u64 b) noexcept
    requires detail::is_ordinal_v<Tag>
  {
    return a.v_ - b.v_;
  }

 private:
  rep v_ = 0;
};

struct node_id_tag {};
struct term_tag {};
struct log_index_tag {};

namespace detail {
template <>
inline constexpr bool is_ordinal_v<term_tag> = true;
template <>
inline constexpr bool is_ordinal_v<log_index_tag> = true;
}  // namespace detail

/// A member of a group. Zero (`no_node`) means "none" (no vote, no known leader).
using node_id = tagged_u64<node_id_tag>;
/// A Raft term or, in Paxos, the round part of a ballot.
using term = tagged_u64<term_tag>;
/// A position in a replicated log; the first entry is at index 1, index 0 is the empty prefix.
using log_index = tagged_u64<log_index_tag>;

inline constexpr node_id no_node{0};

static_assert(sizeof(node_id) == 8 && std::is_trivially_copyable_v<node_id>);
static_assert(!std::is_convertible_v<std::uint64_t, term>, "construction must be explicit");
static_assert(!std::equality_comparable_with<term, log_index>, "kinds must not mix");

}  // namespace cohort

template <class Tag>
struct std::hash<cohort::tagged_u64<Tag>> {
  std::size_t operator()(cohort::tagged_u64<Tag> v) const noexcept {
    return std::hash<std::uint64_t>{}(v.value());
  }
};
