// cohort/partition/ring.hpp - cohort's consistent hash ring.
//
// Each member gets round(weight * points_per_unit) points (at least one),
// point j at hash(name, seed j). The count depends only on the member's own
// weight, never on the others', so adding a member moves only the keys its
// points take, and removing one moves only its keys (unlike ketama's
// per-server rounding).
// Positions are 32 bits: a point sits at the top 32 bits of its hash, and a
// key goes to the first point at or after the top 32 bits of its own hash,
// wrapping around; ties between points at one position go to the smaller id.
// In 64-bit terms (what points() and owner_of_hash() speak): a point with
// hash x is at position_of(x) = x | (2^32 - 1), and a key with hash h goes to
// the first point whose position is >= h. The ring depends only on the set of
// members, not on the order in which they were added or removed.
//
// Movement on a join is exactly the new member's share: a sum of v random
// arcs for v points, off the ideal by about 1/sqrt(v) (sd): 7.9% at the
// default 160 points per unit; 1280 keep about 97% of joins within 5% of the
// ideal, for 8 times the memory and build time and slower lookups once the
// table leaves the caches (docs/partitioners.md has the measured trade-off).
//
// Layout, 4 bytes a point: the positions are cut into 2^b buckets (about 2-4
// points a bucket, and 2^b >= the number of members); a point is one 32-bit
// word, the low 32 - b bits of its position above an s-bit member slot (2^s
// >= the number of members), words in (position, id) order; one 32-bit start
// index per bucket and one node_id per slot. Lookup: one 64-bit hash of the
// key, the bucket's start and end, a count of the bucket's words below the
// key's (a few compares in one or two cache lines) and the slot's id.
// Memory: 4 bytes a point + 4 a bucket + 8 a member.
// Building: add() decodes the words, merges the member's sorted points in and
// encodes again (O(points)); add_all() adds a list with one sort, the same
// ring as adding it member by member; remove() drops the member's points and
// renumbers the slots after it (O(points)).
// Invariants: words_ in (position, id) order; starts_[k] = the first word of
// bucket k, starts_[2^b] = words_.size(); ids_[slot] = members_[slot].id.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "cohort/core/result.hpp"
#include "cohort/partition/concepts.hpp"
#include "cohort/partition/detail/scoring.hpp"
#include "cohort/partition/hash.hpp"

namespace cohort::partition {

template <hasher H = default_hash>
class ring {
 public:
  /// A point as points() shows it: its position in 64-bit terms and its member.
  struct point {
    std::uint64_t hash;
    node_id id;
  };
  static constexpr std::uint32_t default_points_per_unit = 160;
  static constexpr std::uint64_t points_max = std::uint64_t{1} << 26;
  /// Bytes a point takes in the table (bucket starts and member ids come on top).
  static constexpr std::size_t bytes_per_point = sizeof(std::uint32_t);

  /// Where a point whose hash is `h` sits, in 64-bit terms (the ring keeps the top 32 bits).
  static constexpr std::uint64_t position_of(std::uint64_t h) noexcept { return h | 0xFFFF'FFFFULL; }

  /// The points in ring order, as values (the table holds them packed); a
  /// view of the ring, valid until it changes.
  class point_view {
   public:
    class iterator {
     public:
      using iterator_concept = std::forward_iterator_tag;
      using iterator_category = std::input_iterator_tag;
      using value_type = point;
      using difference_type = std::ptrdiff_t;
      using reference = point;
      using pointer = void;
      iterator() = default;
      iterator(const ring* r, std::size_t i) : r_(r), i_(i) { settle(); }
      point operator*() const { return r_->point_in(bucket_, i_); }
      iterator& operator++() {
        ++i_;
        settle();
        return *this;
      }
      iterator operator++(int) {
        iterator old = *this;
        ++*this;
        return old;
      }
      friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.i_ == b.i_; }

     private:
      void settle() {  // bucket_: the bucket holding word i_
        if (r_ == nullptr || i_ >= r_->words_.size()) return;
        while (r_->starts_[bucket_ + 1] <= i_) ++bucket_;
      }
      const ring* r_ = nullptr;
      std::size_t i_ = 0, bucket_ = 0;
    };
    explicit point_view(const ring& r) : r_(&r) {}
    [[nodiscard]] iterator begin() const { return iterator(r_, 0); }
    [[nodiscard]] iterator end() const { return iterator(r_, size()); }
    [[nodiscard]] std::size_t size() const noexcept { return r_->words_.size(); }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    /// The i-th point (O(log buckets)); requires i < size().
    [[nodiscard]] point operator[](std::size_t i) const { return r_->point_in(r_->bucket_of(i), i); }

   private:
    const ring* r_;
  };

  ring() = default;
  explicit ring(std::uint32_t points_per_unit, H hash = H{}) : per_unit_(points_per_unit), hash_(std::move(hash)) {
    COHORT_ASSERT(points_per_unit > 0, "ring: points_per_unit must be positive");
  }
  /// A ring with `points_per_unit` points per unit of weight (0 is refused).
  static result<ring> create(std::uint32_t points_per_unit, H hash = H{}) {
    if (points_per_unit == 0) return make_error(errc::invalid_config, "ring: points_per_unit must be positive");
    return ring(points_per_unit, std::move(hash));
  }

  /// Adds `m`: errors as in concepts.hpp; errc::capacity_exceeded beyond 2^26 points.
  result<void> add(const member& m) { return add_all(std::span<const member>(&m, 1)); }

  /// Adds every member of `list` (in order), sorting and indexing once: the
  /// same ring as add() of each in turn. Errors as add(), also for an id
  /// repeated within the list; on error nothing changes.
  result<void> add_all(std::span<const member> list) {
    std::uint64_t total = words_.size();
    if (auto v = validate_new_members(list, member_ids(), "ring"); !v) return v;
    for (const member& m : list) {
      total += point_count(m.weight);
      if (total > points_max) return make_error(errc::capacity_exceeded, "ring: more than 2^26 points", m.id);
    }
    std::vector<item> items = decode();
    const auto old_end = static_cast<std::ptrdiff_t>(items.size());
    items.reserve(total);
    for (const member& m : list) {
      const auto slot = static_cast<std::uint32_t>(members_.size());
      members_.push_back(m);
      ids_.push_back(m.id);
      const std::uint64_t count = point_count(m.weight);
      for (std::uint64_t j = 0; j < count; ++j)
        items.push_back(item{static_cast<std::uint32_t>(hash_(detail::name_bytes(m.name), j) >> 32), slot});
    }
    const auto before = [this](const item& a, const item& b) {
      return a.pos != b.pos ? a.pos < b.pos : ids_[a.slot] < ids_[b.slot];
    };
    std::sort(items.begin() + old_end, items.end(), before);
    std::inplace_merge(items.begin(), items.begin() + old_end, items.end(), before);
    encode(items);
    return success();
  }
  result<void> remove(node_id id) {
    const auto it = std::find_if(members_.begin(), members_.end(), [id](const member& m) { return m.id == id; });
    if (it == members_.end()) return make_error(errc::unknown_member, "ring: no member with " + detail::id_text(id), id);
    const auto slot = static_cast<std::uint32_t>(it - members_.begin());
    std::vector<item> items = decode();
    members_.erase(it);
    ids_.erase(ids_.begin() + slot);
    std::erase_if(items, [slot](const item& x) { return x.slot == slot; });
    for (item& x : items) x.slot -= x.slot > slot ? 1 : 0;
    encode(items);
    return success();
  }

  [[nodiscard]] result<node_id> lookup(bytes_view key) const {
    if (words_.empty()) return make_error(errc::no_members, "ring: no members");
    return ids_[words_[find(hash_(key))] & slot_mask_];
  }
  /// The owner of a hash value (for bulk lookups that hash keys themselves); requires members.
  [[nodiscard]] node_id owner_of_hash(std::uint64_t h) const { return ids_[words_[find(h)] & slot_mask_]; }

  [[nodiscard]] std::size_t size() const noexcept { return members_.size(); }
  [[nodiscard]] bool contains(node_id id) const noexcept {
    return std::any_of(members_.begin(), members_.end(), [id](const member& m) { return m.id == id; });
  }
  /// Every point in ring order: (position_of(hash), id), ascending by position, then id.
  [[nodiscard]] point_view points() const noexcept { return point_view(*this); }
  [[nodiscard]] std::size_t table_bytes() const noexcept {
    return (words_.size() + starts_.size()) * sizeof(std::uint32_t) + ids_.size() * sizeof(node_id);
  }
  [[nodiscard]] const H& hash() const noexcept { return hash_; }
  /// The number of points a member of weight `w` gets: round(w * points per unit), at least 1.
  [[nodiscard]] std::uint64_t point_count(double w) const noexcept {
    return static_cast<std::uint64_t>(std::max(1.0, __builtin_round(w * per_unit_)));
  }
  [[nodiscard]] std::uint32_t points_per_unit() const noexcept { return per_unit_; }

  /// The fraction of the hash space `fresh` would own if it joined now, which
  /// is exactly the fraction of keys its join would move (the ring is
  /// monotone); the ideal is its weight over the total. Each of its points
  /// takes the arc back to the point before it, old or new; at a shared
  /// position the smaller id wins. O(points of fresh * log). Errors as add();
  /// nothing changes.
  [[nodiscard]] result<double> join_share(const member& fresh) const {
    if (auto v = validate_new_members(std::span<const member>(&fresh, 1), ids_, "ring"); !v) return v.error();
    if (words_.empty()) return 1.0;
    std::vector<std::uint32_t> mine;
    for (std::uint64_t j = 0; j < point_count(fresh.weight); ++j)
      mine.push_back(static_cast<std::uint32_t>(hash_(detail::name_bytes(fresh.name), j) >> 32));
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
    double share = 0;
    for (std::size_t j = 0; j < mine.size(); ++j) {
      const std::uint32_t at = mine[j];
      const std::size_t next = find(static_cast<std::uint64_t>(at) << 32);  // the first old point at or after `at`
      const point first = points()[next];
      if (position_of(first.hash) >> 32 == at && first.id < fresh.id) continue;  // a tie the old point wins
      const std::size_t prev = (next == 0 ? words_.size() : next) - 1;
      auto gap = static_cast<std::uint32_t>(at - static_cast<std::uint32_t>(points()[prev].hash >> 32));
      if (gap == 0) gap = ~std::uint32_t{0};  // `at` is the only old position: all the way round (less 1/2^32)
      if (mine.size() > 1) gap = std::min(gap, static_cast<std::uint32_t>(at - mine[(j + mine.size() - 1) % mine.size()]));
      share += static_cast<double>(gap) / 0x1p32;
    }
    return share;
  }

 private:
  struct item {  // a point while building: 32-bit position and member slot
    std::uint32_t pos;
    std::uint32_t slot;
  };

  [[nodiscard]] std::vector<node_id> member_ids() const { return ids_; }
  static unsigned bits_for(std::size_t n) noexcept {  // the least b with 2^b >= n
    unsigned b = 0;
    while ((std::size_t{1} << b) < n) ++b;
    return b;
  }
  [[nodiscard]] std::size_t find(std::uint64_t h) const noexcept {
    const auto key = static_cast<std::uint32_t>(h >> 32);
    const std::size_t b = key >> offset_bits_;
    const std::uint32_t below = (key & offset_mask_) << slot_bits_;
    std::size_t at = starts_[b];
    const std::size_t end = starts_[b + 1];
    for (std::size_t i = at; i < end; ++i) at += words_[i] < below ? 1 : 0;
    return at == words_.size() ? 0 : at;
  }
  [[nodiscard]] std::size_t bucket_of(std::size_t i) const {
    return static_cast<std::size_t>(std::upper_bound(starts_.begin(), starts_.end(), i) - starts_.begin()) - 1;
  }
  [[nodiscard]] point point_in(std::size_t bucket, std::size_t i) const {
    const std::uint32_t w = words_[i];
    const auto pos = static_cast<std::uint64_t>((bucket << offset_bits_) | (w >> slot_bits_));
    return point{position_of(pos << 32), ids_[w & slot_mask_]};
  }
  [[nodiscard]] std::vector<item> decode() const {
    std::vector<item> items;
    items.reserve(words_.size());
    for (std::size_t b = 0; b + 1 < starts_.size(); ++b)
      for (std::size_t i = starts_[b]; i < starts_[b + 1]; ++i)
        items.push_back(item{static_cast<std::uint32_t>((b << offset_bits_) | (words_[i] >> slot_bits_)), words_[i] & slot_mask_});
    return items;
  }
  /// Packs `items` (in (position, id) order, slots < ids_.size()) into words_ and starts_.
  void encode(const std::vector<item>& items) {
    slot_bits_ = bits_for(ids_.size());
    const unsigned bucket_bits = std::max({1U, bits_for((items.size() + 3) / 4), slot_bits_});
    offset_bits_ = 32 - bucket_bits;
    offset_mask_ = (std::uint32_t{1} << offset_bits_) - 1;
    slot_mask_ = (std::uint32_t{1} << slot_bits_) - 1;
    words_.resize(items.size());
    const std::size_t n = std::size_t{1} << bucket_bits;
    starts_.assign(n + 1, static_cast<std::uint32_t>(items.size()));
    std::size_t b = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::size_t mine = items[i].pos >> offset_bits_;
      while (b <= mine) starts_[b++] = static_cast<std::uint32_t>(i);
      words_[i] = ((items[i].pos & offset_mask_) << slot_bits_) | items[i].slot;
    }
    words_.shrink_to_fit();
  }

  std::uint32_t per_unit_ = default_points_per_unit;
  H hash_{};
  std::vector<member> members_;
  std::vector<node_id> ids_;               // by slot
  std::vector<std::uint32_t> words_;       // (position's low offset_bits_) << slot_bits_ | slot
  std::vector<std::uint32_t> starts_{0, 0, 0};
  unsigned slot_bits_ = 0, offset_bits_ = 31;
  std::uint32_t slot_mask_ = 0, offset_mask_ = 0x7FFF'FFFF;
};

static_assert(mutable_partitioner<ring<>>);

}  // namespace cohort::partition
