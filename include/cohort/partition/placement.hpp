// cohort/partition/placement.hpp - replica placement across failure domains.
//
// N distinct members for a key, spread over zones first, then racks, built on
// the rendezvous ranking (rendezvous.hpp): every member gets its weighted HRW
// score for the key, and replicas are chosen greedily, one slot at a time:
//
//   slot s takes, among the members not chosen yet, the best-scoring member of
//   the best tier available:
//     tier 0: its zone is used by no chosen replica;
//     tier 1: its zone is used, but its (zone, rack) pair is not;
//     tier 2: any other member.
//
// Empty labels are labels like any other (all members with zone "" share one
// zone). Replica 0 is the member with the highest score overall, so
// `lookup(key)` equals rendezvous' lookup.
//
// Stability: a member that is not chosen for a key never influences that key's
// replicas. Hence adding a member changes a key's replicas only if the new
// member is among them, and removing a member changes them only if it was among
// them. (When it is, the slots after it may be re-chosen, because the zones and
// racks already used change; tests measure how much.)
//
// Errors: n == 0 and n > size() are errc::invalid_argument (the caller decides
// whether to ask for fewer: `std::min(n, p.size())`); with no members,
// errc::no_members. Replicas are computed in O(members x n x n) time without
// allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cohort/core/result.hpp"
#include "cohort/partition/concepts.hpp"
#include "cohort/partition/rendezvous.hpp"

namespace cohort::partition {

/// Replica placement over labelled members.
/// Invariants: those of rendezvous<H> (members, ids distinct, weights valid).
template <hasher H = default_hash>
class placement {
 public:
  placement() = default;
  explicit placement(H hash) : hrw_(std::move(hash)) {}

  /// Adds `m` with its zone and rack labels; errors as in concepts.hpp.
  result<void> add(const member& m) { return hrw_.add(m); }
  /// Removes member `id`; errc::unknown_member if absent.
  result<void> remove(node_id id) { return hrw_.remove(id); }

  /// The first replica (the highest-scoring member); errc::no_members when empty.
  [[nodiscard]] result<node_id> lookup(bytes_view key) const { return hrw_.lookup(key); }

  /// Writes out.size() distinct replicas for `key` into `out`, in slot order (see
  /// the file comment). errc::no_members when empty; errc::invalid_argument when
  /// out is empty or longer than size(). Never allocates.
  result<void> replicas(bytes_view key, std::span<node_id> out) const {
    const auto slots = hrw_.slots();
    if (slots.empty()) return make_error(errc::no_members, "placement: no members");
    if (out.empty() || out.size() > slots.size()) return refuse(out.size());
    // While choosing, out[s] holds the chosen member's index (as a node_id);
    // ids are written at the end.
    const std::uint64_t kh = hrw_.hash()(key);
    for (std::size_t s = 0; s < out.size(); ++s) out[s] = node_id(pick(kh, out.first(s)));
    for (auto& o : out) o = slots[o.value()].id;
    return success();
  }

  /// As above, returning a new vector of n ids (allocates).
  [[nodiscard]] result<std::vector<node_id>> replicas(bytes_view key, std::size_t n) const {
    if (n > size()) return refuse(n);  // before allocating
    std::vector<node_id> out(n);
    if (auto ok = replicas(key, std::span<node_id>(out)); !ok) return std::move(ok).error();
    return out;
  }

  [[nodiscard]] std::size_t size() const noexcept { return hrw_.size(); }
  [[nodiscard]] bool contains(node_id id) const noexcept { return hrw_.contains(id); }
  [[nodiscard]] const std::vector<member>& members() const noexcept { return hrw_.members(); }
  /// Bytes of the lookup structure (the ranking's records; labels are in members()).
  [[nodiscard]] std::size_t table_bytes() const noexcept { return hrw_.table_bytes(); }
  /// The underlying ranking.
  [[nodiscard]] const rendezvous<H>& ranking() const noexcept { return hrw_; }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  [[nodiscard]] cohort::error refuse(std::size_t n) const {
    if (size() == 0) return make_error(errc::no_members, "placement: no members");
    return make_error(errc::invalid_argument,
                      "placement: " + std::to_string(n) + " replicas asked; must be in [1, " + std::to_string(size()) + "]");
  }

  // The index of the next replica, given the indexes of those already chosen.
  [[nodiscard]] std::size_t pick(std::uint64_t kh, std::span<const node_id> chosen) const {
    const auto slots = hrw_.slots();
    std::size_t best = npos;
    int best_tier = 3;
    double best_score = 0;
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const int t = tier(i, chosen);
      if (t > best_tier || t == 3) continue;
      const double sc = rendezvous<H>::score(kh, slots[i]);
      if (best == npos || t < best_tier || rendezvous<H>::better(sc, slots[i].id, best_score, slots[best].id))
        best = i, best_tier = t, best_score = sc;
    }
    return best;
  }

  // 0, 1 or 2 as in the file comment; 3 if member i is already chosen.
  [[nodiscard]] int tier(std::size_t i, std::span<const node_id> chosen) const {
    const auto& ms = hrw_.members();
    int t = 0;
    for (const node_id c : chosen) {
      if (c.value() == i) return 3;
      const member& other = ms[c.value()];
      if (other.zone != ms[i].zone) continue;
      t = other.rack == ms[i].rack ? 2 : (t > 1 ? t : 1);
    }
    return t;
  }

  rendezvous<H> hrw_;
};

static_assert(mutable_partitioner<placement<>>);

}  // namespace cohort::partition
