// cohort/partition/bounded_load.hpp - consistent hashing with bounded loads.
//
// Mirrokni, Thorup and Zadimoghaddam, "Consistent Hashing with Bounded Loads"
// (SODA 2018): a ring of member points as in consistent hashing, but each
// member has a capacity c = ceil((1 + eps) * total / members); a key taken
// (`acquire`) goes to the first member clockwise from the key's hash whose load
// is below the capacity computed with the new key counted. The load of every
// member stays at most ceil((1 + eps) * total / members) at all times:
//
//   acquire(key)  assigns and counts one unit of load; returns the member.
//   release(key)  uncounts it. The capacity may drop by one, so members left
//                 above it each hand keys (their smallest keys first) to the
//                 first member clockwise from that key with room. Every move is
//                 reported in last_moves().
//   lookup(key)   the member holding an acquired key, or, for any other key,
//                 the member acquire would choose now; never changes load and
//                 never allocates.
//   add(m)        the capacity may drop; members above it hand keys over as
//                 above (moves reported).
//   remove(id)    the member's keys go, in key order, each to the first member
//                 clockwise with room; every other member keeps its keys and
//                 load (the capacity can only rise). Removing the last member
//                 while it holds keys is refused (errc::invalid_argument).
//
// The keys taken are remembered (a sorted map from key bytes to member), so
// memory is O(keys + members * points). Rebalancing scans the key map
// (O(keys) per key moved); lookups and acquire are O(log keys + walk). Weights
// are not supported (a weight other than 1 is refused).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cohort/core/result.hpp"
#include "cohort/partition/concepts.hpp"
#include "cohort/partition/detail/scoring.hpp"
#include "cohort/partition/hash.hpp"

namespace cohort::partition {

/// A key handed from one member to another by rebalancing.
struct moved_key {
  std::string key;
  node_id from;
  node_id to;
  friend bool operator==(const moved_key&, const moved_key&) = default;
};

/// Consistent hashing with bounded loads.
/// Invariants: ring_ sorted by (hash, member index), `points_` entries per
/// member, each index < members_.size(); members_ ids distinct; members_[i].load
/// == the number of keys_ entries mapped to members_[i].id; total_ == keys_.size();
/// every load <= capacity(total_) (when there are members).
template <hasher H = default_hash>
class bounded_load {
 public:
  static constexpr double default_epsilon = 0.25;
  static constexpr double epsilon_max = 1000.0;
  static constexpr std::size_t default_points = 40;
  static constexpr std::size_t points_max = 4096;

  struct point {
    std::uint64_t hash;
    std::size_t index;  ///< into members()
    friend constexpr auto operator<=>(const point&, const point&) = default;
  };
  struct member_load {
    node_id id;
    std::uint64_t load = 0;
    friend bool operator==(const member_load&, const member_load&) = default;
  };

  bounded_load() = default;

  /// errc::invalid_argument unless 0 < epsilon <= 1000 (finite) and 1 <= points <= 4096.
  static result<bounded_load> create(double epsilon, std::size_t points = default_points, H hash = H{}) {
    if (!__builtin_isfinite(epsilon) || epsilon <= 0.0 || epsilon > epsilon_max)
      return make_error(errc::invalid_argument, "bounded_load: epsilon " + std::to_string(epsilon) + " must be in (0, 1000]");
    if (points == 0 || points > points_max)
      return make_error(errc::invalid_argument, "bounded_load: points " + std::to_string(points) + " must be in [1, 4096]");
    bounded_load b;
    b.epsilon_ = epsilon;
    b.points_ = points;
    b.hash_ = std::move(hash);
    return b;
  }

  /// ceil((1 + eps) * total / members): the most any member may hold at `total`; 0 without members.
  [[nodiscard]] std::uint64_t capacity(std::uint64_t total) const noexcept {
    if (members_.empty()) return 0;
    return static_cast<std::uint64_t>(__builtin_ceil((1.0 + epsilon_) * static_cast<double>(total) / static_cast<double>(members_.size())));
  }

  /// Takes one unit of load for `key`: errc::no_members when empty, errc::conflict if already taken.
  result<node_id> acquire(bytes_view key) {
    if (members_.empty()) return make_error(errc::no_members, "bounded_load: acquire with no members");
    const std::string_view k = as_text(key);
    if (keys_.find(k) != keys_.end()) return make_error(errc::conflict, "bounded_load: key already acquired");
    const std::size_t i = first_with_room(hash_(key), capacity(total_ + 1));
    keys_.emplace(std::string(k), members_[i].id);
    ++members_[i].load;
    ++total_;
    return members_[i].id;
  }

  /// Gives back `key`'s unit of load: errc::not_found if it was not acquired.
  /// Keys moved to keep the bound are in last_moves() (cleared first).
  result<void> release(bytes_view key) {
    const auto it = keys_.find(as_text(key));
    if (it == keys_.end()) return make_error(errc::not_found, "bounded_load: key was not acquired");
    last_moves_.clear();
    --members_[index_of(it->second)].load;
    --total_;
    keys_.erase(it);
    rebalance();
    return success();
  }

  /// Adds `m` (errors as in concepts.hpp; weight must be 1). Moves are in last_moves().
  result<void> add(const member& m) {
    if (auto ok = validate_member(m); !ok) return ok;
    if (m.weight != 1.0)
      return make_error(errc::invalid_argument, "bounded_load: weights are not supported (got " + std::to_string(m.weight) + ", need 1)", m.id);
    if (index_of(m.id) != npos) return make_error(errc::duplicate_member, "bounded_load: " + detail::id_text(m.id) + " already present", m.id);
    last_moves_.clear();
    members_.push_back(member_load{m.id, 0});
    const auto name = detail::name_bytes(m.name);
    for (std::size_t j = 0; j < points_; ++j) ring_.push_back(point{hash_(name, j), members_.size() - 1});
    std::sort(ring_.begin(), ring_.end());
    rebalance();
    return success();
  }

  /// Removes member `id`, handing its keys on (see the file comment). Errors:
  /// errc::unknown_member; errc::invalid_argument for the last member holding keys.
  result<void> remove(node_id id) {
    const std::size_t i = index_of(id);
    if (i == npos) return make_error(errc::unknown_member, "bounded_load: no member with " + detail::id_text(id), id);
    if (members_.size() == 1 && total_ > 0)
      return make_error(errc::invalid_argument, "bounded_load: cannot remove the last member while it holds " +
                                                    std::to_string(total_) + " keys", id);
    last_moves_.clear();
    std::erase_if(ring_, [&](const point& p) { return p.index == i; });
    for (auto& p : ring_) p.index -= p.index > i ? 1 : 0;
    std::sort(ring_.begin(), ring_.end());
    members_.erase(members_.begin() + static_cast<std::ptrdiff_t>(i));
    const std::uint64_t cap = capacity(total_);
    for (auto& [key, owner] : keys_) {
      if (owner != id) continue;
      const std::size_t to = first_with_room(hash_(as_key(key)), cap);
      owner = members_[to].id;
      ++members_[to].load;
      last_moves_.push_back(moved_key{key, id, owner});
    }
    return success();
  }

  /// The holder of an acquired key, else the member acquire would choose now.
  /// errc::no_members when empty. Changes nothing; never allocates.
  [[nodiscard]] result<node_id> lookup(bytes_view key) const {
    if (members_.empty()) return make_error(errc::no_members, "bounded_load: lookup with no members");
    if (const auto it = keys_.find(as_text(key)); it != keys_.end()) return it->second;
    return members_[first_with_room(hash_(key), capacity(total_ + 1))].id;
  }

  [[nodiscard]] std::size_t size() const noexcept { return members_.size(); }
  [[nodiscard]] bool contains(node_id id) const noexcept { return index_of(id) != npos; }
  /// The load of member `id` (0 if absent).
  [[nodiscard]] std::uint64_t load_of(node_id id) const noexcept {
    const std::size_t i = index_of(id);
    return i == npos ? 0 : members_[i].load;
  }
  [[nodiscard]] std::uint64_t total_load() const noexcept { return total_; }
  [[nodiscard]] double epsilon() const noexcept { return epsilon_; }
  [[nodiscard]] const std::vector<member_load>& members() const noexcept { return members_; }
  [[nodiscard]] const std::vector<point>& ring() const noexcept { return ring_; }
  /// The acquired keys and their holders.
  [[nodiscard]] const std::map<std::string, node_id, std::less<>>& assignments() const noexcept { return keys_; }
  /// Bytes of the ring and the per-member loads (the map of acquired keys,
  /// O(keys), is not counted: it is the caller's data).
  [[nodiscard]] std::size_t table_bytes() const noexcept {
    return ring_.size() * sizeof(point) + members_.size() * sizeof(member_load);
  }
  /// The keys moved by the last release, add or remove.
  [[nodiscard]] const std::vector<moved_key>& last_moves() const noexcept { return last_moves_; }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  static std::string_view as_text(bytes_view key) noexcept {
    return {reinterpret_cast<const char*>(key.data()), key.size()};
  }
  [[nodiscard]] std::size_t index_of(node_id id) const noexcept {
    for (std::size_t i = 0; i < members_.size(); ++i)
      if (members_[i].id == id) return i;
    return npos;
  }

  // The member of the first point clockwise from `h` whose load is below `cap`;
  // requires one to exist (which cap >= capacity(total) guarantees, see rebalance).
  [[nodiscard]] std::size_t first_with_room(std::uint64_t h, std::uint64_t cap) const noexcept {
    const auto it = std::lower_bound(ring_.begin(), ring_.end(), h, [](const point& p, std::uint64_t v) { return p.hash < v; });
    std::size_t at = static_cast<std::size_t>(it - ring_.begin());
    for (std::size_t step = 0; step < ring_.size(); ++step, ++at) {
      const std::size_t i = ring_[at % ring_.size()].index;
      if (members_[i].load < cap) return i;
    }
    COHORT_ASSERT(false, "bounded_load: no member below capacity (invariant broken)");
    return 0;
  }

  // Moves keys off members above capacity(total_) until none is. A destination
  // always exists: if every other member were at capacity, the total would exceed
  // members * capacity >= (1 + eps) * total.
  void rebalance() {
    const std::uint64_t cap = capacity(total_);
    for (std::size_t i = 0; i < members_.size(); ++i) {
      for (auto it = keys_.begin(); members_[i].load > cap && it != keys_.end(); ++it) {
        if (it->second != members_[i].id) continue;
        const std::size_t to = first_with_room(hash_(as_key(it->first)), cap);
        it->second = members_[to].id;
        --members_[i].load;
        ++members_[to].load;
        last_moves_.push_back(moved_key{it->first, members_[i].id, it->second});
      }
    }
  }

  H hash_{};
  double epsilon_ = default_epsilon;
  std::size_t points_ = default_points;
  std::vector<member_load> members_;
  std::vector<point> ring_;
  std::map<std::string, node_id, std::less<>> keys_;
  std::uint64_t total_ = 0;
  std::vector<moved_key> last_moves_;
};

static_assert(mutable_partitioner<bounded_load<>>);

}  // namespace cohort::partition
