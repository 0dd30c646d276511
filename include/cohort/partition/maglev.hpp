// cohort/partition/maglev.hpp - Maglev lookup-table hashing.
//
// Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
// Balancer", NSDI 2016, section 3.4: each member i has a permutation of the
// table positions, permutation[i][j] = (offset_i + j * skip_i) mod M, with
// offset = h1(name) mod M and skip = h2(name) mod (M - 1) + 1 (M prime, so every
// skip generates the whole table). Members take turns claiming their next
// unclaimed preferred position until the table is full. A lookup is one hash
// and one table read.
//
// Weights (an extension; the paper's members are equal): in each round of
// turns every member earns weight / max_weight turns of credit and takes one
// turn per whole credit, so the heaviest members take one turn per round and a
// member's share of the table is close to its share of the total weight. With
// equal weights this is exactly the paper's construction. A member so light that
// it earns no turn before the table fills owns no position.
//
// Table size: the paper uses M much larger than the member count (M > 100 N)
// so that balance is within a few percent and a change moves little more than
// the minimum; at the default M = 65537 that means up to about 650 members.
// With fewer positions per member, both balance and disruption degrade.
//
// Changes rebuild the whole table (O(M log M) expected), so building n members
// one add() at a time costs n rebuilds; add_all(list) rebuilds once, with the
// same table. `last_rebuild_changed()` reports how many positions changed owner. The result depends on the set of
// members and on their order of addition (turn order), as in the paper.
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

/// A Maglev table over members with weights.
/// Invariants: M (table_size_) is a prime > members; when there are members,
/// `table_` has M entries, each a present member's id; otherwise it is empty.
/// `slots_[i]` describes `members_[i]`.
template <hasher H = default_hash>
class maglev {
 public:
  static constexpr std::uint64_t default_table_size = 65537;
  /// The largest accepted table size (tables are built whole on every change).
  static constexpr std::uint64_t table_size_max = 1ULL << 26;
  /// Seeds of the two name hashes (offset and skip).
  static constexpr std::uint64_t offset_seed = 0x6d61676c65762d31ULL;
  static constexpr std::uint64_t skip_seed = 0x6d61676c65762d32ULL;

  struct slot {
    node_id id;
    std::uint64_t offset;
    std::uint64_t skip;
    double weight;
  };

  /// A table of the default size (65537).
  maglev() = default;

  /// A table of `table_size` positions: errc::invalid_argument unless it is a
  /// prime in [3, table_size_max].
  static result<maglev> create(std::uint64_t table_size, H hash = H{}) {
    if (table_size < 3 || table_size > table_size_max || !is_prime(table_size))
      return make_error(errc::invalid_argument, "maglev: table size " + std::to_string(table_size) +
                                                    " must be a prime in [3, " + std::to_string(table_size_max) + "]");
    maglev m;
    m.table_size_ = table_size;
    m.hash_ = std::move(hash);
    return m;
  }

  /// Adds `m` and rebuilds. Errors as in concepts.hpp, and errc::capacity_exceeded
  /// if the table would not be larger than the number of members.
  result<void> add(const member& m) { return add_all(std::span<const member>(&m, 1)); }

  /// Adds every member of `list`, in order, and rebuilds once: the same table
  /// as add() of each in turn (last_rebuild_changed() then counts against the
  /// table before the call). Errors as add(), also for an id repeated within
  /// the list; on error nothing changes.
  result<void> add_all(std::span<const member> list) {
    if (auto v = validate_new_members(list, member_ids(), "maglev"); !v) return v;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const member& m = list[i];
      if (slots_.size() + i + 1 >= table_size_)
        return make_error(errc::capacity_exceeded, "maglev: table size " + std::to_string(table_size_) +
                                                       " must exceed the member count " + std::to_string(slots_.size() + i + 1), m.id);
    }
    for (const member& m : list) {
      const auto name = detail::name_bytes(m.name);
      slots_.push_back(slot{m.id, hash_(name, offset_seed) % table_size_, hash_(name, skip_seed) % (table_size_ - 1) + 1, m.weight});
      members_.push_back(m);
    }
    rebuild();
    return success();
  }

  /// Removes member `id` and rebuilds; errc::unknown_member if absent.
  result<void> remove(node_id id) {
    std::size_t i = 0;
    while (i < slots_.size() && slots_[i].id != id) ++i;
    if (i == slots_.size()) return make_error(errc::unknown_member, "maglev: no member with " + detail::id_text(id), id);
    slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(i));
    members_.erase(members_.begin() + static_cast<std::ptrdiff_t>(i));
    rebuild();
    return success();
  }

  /// The owner of `key`'s table position; errc::no_members when empty. Never allocates.
  [[nodiscard]] result<node_id> lookup(bytes_view key) const {
    if (table_.empty()) return make_error(errc::no_members, "maglev: lookup with no members");
    return table_[detail::fast_range(hash_(key), table_size_)];
  }

  [[nodiscard]] std::size_t size() const noexcept { return slots_.size(); }
  [[nodiscard]] bool contains(node_id id) const noexcept {
    for (const auto& s : slots_)
      if (s.id == id) return true;
    return false;
  }
  [[nodiscard]] std::uint64_t table_size() const noexcept { return table_size_; }
  /// The table (position -> owner); empty when there are no members.
  [[nodiscard]] const std::vector<node_id>& table() const noexcept { return table_; }
  [[nodiscard]] std::span<const slot> slots() const noexcept { return slots_; }
  [[nodiscard]] const std::vector<member>& members() const noexcept { return members_; }
  /// How many table positions changed owner in the last add or remove (all M on
  /// the first add; all on removing the last member).
  [[nodiscard]] std::uint64_t last_rebuild_changed() const noexcept { return last_changed_; }
  /// Bytes of the lookup structures: the table and the member records.
  [[nodiscard]] std::size_t table_bytes() const noexcept {
    return table_.size() * sizeof(node_id) + slots_.size() * sizeof(slot);
  }

  /// Trial division; exact for every n < 2^64 (slow only for huge n, which create() bounds).
  static constexpr bool is_prime(std::uint64_t n) noexcept {
    if (n < 2) return false;
    if (n % 2 == 0) return n == 2;
    for (std::uint64_t d = 3; d <= n / d; d += 2)
      if (n % d == 0) return false;
    return true;
  }

 private:
  [[nodiscard]] std::vector<node_id> member_ids() const {
    std::vector<node_id> ids;
    for (const auto& s : slots_) ids.push_back(s.id);
    return ids;
  }
  void rebuild() {
    std::vector<node_id> next(slots_.empty() ? 0 : table_size_, no_node);
    if (!slots_.empty()) fill(next);
    std::uint64_t changed = 0;
    for (std::uint64_t p = 0; p < table_size_; ++p) {
      const node_id before = table_.empty() ? no_node : table_[p];
      const node_id after = next.empty() ? no_node : next[p];
      changed += before != after ? 1 : 0;
    }
    table_ = std::move(next);
    last_changed_ = changed;
  }

  // The paper's population loop, with weighted turns (see the file comment).
  void fill(std::vector<node_id>& t) const {
    double w_max = 0;
    for (const auto& s : slots_) w_max = s.weight > w_max ? s.weight : w_max;
    std::vector<std::uint64_t> next_j(slots_.size(), 0);
    std::vector<double> credit(slots_.size(), 0.0);
    std::uint64_t filled = 0;
    while (true) {
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        credit[i] += slots_[i].weight / w_max;
        for (; credit[i] >= 1.0; credit[i] -= 1.0) {
          std::uint64_t c = position(slots_[i], next_j[i]);
          while (t[c] != no_node) c = position(slots_[i], ++next_j[i]);
          t[c] = slots_[i].id;
          ++next_j[i];
          if (++filled == table_size_) return;
        }
      }
    }
  }

  [[nodiscard]] std::uint64_t position(const slot& s, std::uint64_t j) const noexcept {
    return (s.offset + j * s.skip) % table_size_;  // < 2^26 + 2^52: no overflow
  }

  H hash_{};
  std::uint64_t table_size_ = default_table_size;
  std::vector<slot> slots_;
  std::vector<member> members_;
  std::vector<node_id> table_;
  std::uint64_t last_changed_ = 0;
};

static_assert(mutable_partitioner<maglev<>>);

}  // namespace cohort::partition
