// cohort/lock/detail/slot_table.hpp - keyed slots with a hash index: the
// storage of the lock service's locks, sessions and lock handles.
//
// A slot_table keeps each entry (a key and its state) in a slot of a vector,
// reused once the entry is erased (so the slots number at most the most
// entries that lived at once), and finds a key through an open-addressing
// index from the key's 64-bit hash to its slot (slot_index: linear probing,
// backward-shift deletion). Slot numbers depend on the order of insertions
// and erasures only, so replicas that do the same operations in the same
// order get the same numbers. Equality compares content: the same keys with
// equal states, whatever their slots.
//
// Traits (a struct of static members) says what a key is:
//   key_type              the stored key;   key_view  what find() takes
//   hash(seed, key_view)  a 64-bit hash;    same(const key_type&, key_view)
//   assign(key_type&, key_view)             stores a key (may reuse buffers)
//   state_type, reset(state_type&)          the state, and its value for a new entry
//                                           (reset may keep buffers; erase calls it)
// Not thread-safe; nothing here allocates once the vectors have grown
// (unless Traits::assign does).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace cohort::lock::detail {

/// An open-addressing index (linear probing, backward-shift deletion) from a
/// key's 64-bit hash to the slot (a number below 2^32 - 1) where a table
/// keeps the key. A cell holds the slot and the hash's low 32 bits, so a
/// probe looks at a key only when those bits match. At most 3/4 of the
/// power-of-two cells are used.
class slot_index {
 public:
  static constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

  /// The slot, indexed under hash `h`, for which `is_key(slot)` holds, or npos.
  template <class IsKey>
  [[nodiscard]] std::uint32_t find(std::uint64_t h, IsKey&& is_key) const {
    if (used_ == 0) return npos;
    const std::size_t mask = cells_.size() - 1;
    const auto lo = static_cast<std::uint32_t>(h);
    for (std::size_t i = lo & mask;; i = (i + 1) & mask) {
      const cell c = cells_[i];
      if (c.slot == 0) return npos;
      if (c.hash == lo && is_key(c.slot - 1)) return c.slot - 1;
    }
  }
  /// Indexes `slot` (whose key is not indexed yet) under hash `h`.
  void insert(std::uint64_t h, std::uint32_t slot) {
    if ((used_ + 1) * 4 > cells_.size() * 3) grow();
    place(cell{slot + 1, static_cast<std::uint32_t>(h)});
    ++used_;
  }
  /// Removes `slot`, indexed under hash `h`.
  void erase(std::uint64_t h, std::uint32_t slot) {
    const std::size_t mask = cells_.size() - 1;
    std::size_t hole = static_cast<std::uint32_t>(h) & mask;
    while (cells_[hole].slot != slot + 1) hole = (hole + 1) & mask;
    // Later cells of the probe run move back into the hole unless their home
    // position lies cyclically in (hole, j].
    for (std::size_t j = (hole + 1) & mask; cells_[j].slot != 0; j = (j + 1) & mask) {
      const std::size_t home = cells_[j].hash & mask;
      const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (stays) continue;
      cells_[hole] = cells_[j];
      hole = j;
    }
    cells_[hole] = cell{};
    --used_;
  }

 private:
  struct cell {
    std::uint32_t slot = 0;  ///< slot + 1; 0 = empty
    std::uint32_t hash = 0;  ///< the low 32 bits of the key's hash
  };
  void place(cell c) {
    const std::size_t mask = cells_.size() - 1;
    std::size_t i = c.hash & mask;
    while (cells_[i].slot != 0) i = (i + 1) & mask;
    cells_[i] = c;
  }
  void grow() {
    std::vector<cell> old(std::max<std::size_t>(16, cells_.size() * 2));
    old.swap(cells_);
    for (const cell& c : old)
      if (c.slot != 0) place(c);
  }
  std::vector<cell> cells_;
  std::size_t used_ = 0;
};

/// Keyed slots found through a slot_index (see the file comment).
template <class Traits>
class slot_table {
 public:
  using key_type = typename Traits::key_type;
  using key_view = typename Traits::key_view;
  using state_type = typename Traits::state_type;
  static constexpr std::uint32_t npos = slot_index::npos;

  explicit slot_table(std::uint64_t seed = 0) noexcept : seed_(seed) {}

  /// Live entries.
  [[nodiscard]] std::size_t size() const noexcept { return live_; }
  /// Slots ever used (live or free): live(k) for k below it says which are live.
  [[nodiscard]] std::uint32_t slot_count() const noexcept { return static_cast<std::uint32_t>(slots_.size()); }
  [[nodiscard]] bool live(std::uint32_t k) const noexcept { return k < slots_.size() && slots_[k].live; }

  /// The slot of key `key`, or npos.
  [[nodiscard]] std::uint32_t find(key_view key) const noexcept {
    if (live_ == 0) return npos;
    return index_.find(Traits::hash(seed_, key), [&](std::uint32_t k) { return Traits::same(slots_[k].key, key); });
  }
  /// Adds `key` (which must not be in the table) with a reset state; its slot.
  std::uint32_t insert(key_view key) {
    std::uint32_t k = 0;
    if (free_.empty()) {
      k = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
      Traits::reset(slots_.back().state);
    } else {
      k = free_.back();
      free_.pop_back();
    }
    slot& s = slots_[k];
    Traits::assign(s.key, key);
    s.hash = Traits::hash(seed_, key);
    s.live = true;
    index_.insert(s.hash, k);
    ++live_;
    return k;
  }
  /// Removes the entry in slot `k`, resetting its state for the slot's next entry.
  void erase(std::uint32_t k) {
    slot& s = slots_[k];
    index_.erase(s.hash, k);
    s.live = false;
    Traits::reset(s.state);
    free_.push_back(k);
    --live_;
  }
  [[nodiscard]] const key_type& key(std::uint32_t k) const noexcept { return slots_[k].key; }
  [[nodiscard]] state_type& state(std::uint32_t k) noexcept { return slots_[k].state; }
  [[nodiscard]] const state_type& state(std::uint32_t k) const noexcept { return slots_[k].state; }

  /// The same keys with equal states, whatever their slots.
  friend bool operator==(const slot_table& a, const slot_table& b) {
    if (a.live_ != b.live_) return false;
    for (const slot& s : a.slots_) {
      if (!s.live) continue;
      const std::uint32_t k = b.find(s.key);
      if (k == npos || !(b.slots_[k].state == s.state)) return false;
    }
    return true;
  }

 private:
  struct slot {
    key_type key{};
    std::uint64_t hash = 0;
    state_type state{};
    bool live = false;
  };
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_;  ///< slots of erased entries
  slot_index index_;
  std::size_t live_ = 0;
  std::uint64_t seed_ = 0;
};

}  // namespace cohort::lock::detail
