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
// arcs for v points, off the ideal by about 1/sqrt(v) (sd): 2.9% at the
// default 1152 points per unit, which keeps about 95.5% of joins within 5% of
// the ideal (160 points: 7.9%, a quarter of joins beyond 5%; docs/partitioners.md
// has the measured trade-off).
//
// Layout: one cache line of the table per lookup. The 32-bit positions are
// cut into n "lines", n = max(2^s, ceil(points / 8)); one multiplication,
// p * n, splits a position p into its line (the high 32 bits) and its
// fraction (the low 32 bits, which grow with p inside a line). A line is a
// 64-byte-aligned block of 16 words of 32 bits: a point is the top 32 - s bits
// of its fraction above an s-bit member slot (2^s > the number of members; as
// n >= 2^s, two positions of one line never share those bits), in (position,
// id) order; the words after the line's points are padding: all-ones fraction
// bits above the "carry", the slot of the first point after the line
// (wrapping). A padding word is at or above any key's fraction bits, so a
// lookup hashes the key, finds by a branch-free bisection of its line the
// first word at or above the key's fraction bits, and that word's slot (a
// point's or the carry) gives the id (ids_, 8 bytes a member, stays cached).
// A line holds 15 points at most. A line with more (Poisson with mean 8:
// about 0.8% of lines) keeps its first 15 and a padding word whose slot is
// 2^s - 1, no member's; a lookup that reaches it goes on to a side table: the
// overfull lines' numbers (ascending, bisected) and the rest of their points,
// each line's followed by its carry.
// Memory (table_bytes()): 64 bytes a line, so 8 bytes a point once points
// outnumber 8 * 2^s (below that the 2^s lines dominate: 1000 members of one
// point each take 1024 lines) + 4 bytes a line for the index of its first
// point (for points() and rebuilding; lookups never read it) + 8 bytes a
// member + per overfull line 8 bytes, and 4 per point past its 15th plus one.
// Building: add() decodes the points (a division each), merges the member's
// sorted points in and encodes again (O(points)); add_all() adds a list with
// one sort, the same ring as adding it member by member; remove() drops the
// member's points and renumbers the slots after it (O(points)).
// Invariants: line k holds the first min(c_k, 15) of its c_k points in
// (position, id) order, then padding: the carry's if c_k <= 15, else 2^s - 1
// once; starts_[k] = the index of line k's first point in ring order,
// starts_[n] = points; overfull_ ascending, line overfull_[i]'s words at
// extra_[extra_at_[i], extra_at_[i + 1]) (points 16.. then the carry's
// padding); ids_[slot] = members_[slot].id, slot < 2^s - 1.
#pragma once

#include <algorithm>
#include <array>
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
  static constexpr std::uint32_t default_points_per_unit = 1152;
  static constexpr std::uint64_t points_max = std::uint64_t{1} << 26;
  /// Points a line holds on average, at most (more lines when 2^s needs them); 15 at most in a line.
  static constexpr std::size_t points_per_line = 8;
  /// A lower bound: the table takes at least this many bytes a point (a 64-byte
  /// line and its 4-byte start per points_per_line points, rounded down).
  static constexpr std::size_t bytes_per_point = (64 + 4) / points_per_line;

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
      point operator*() const { return r_->point_in(line_, i_); }
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
      void settle() {  // line_: the line holding point i_
        if (r_ == nullptr || i_ >= r_->point_total()) return;
        while (r_->starts_[line_ + 1] <= i_) ++line_;
      }
      const ring* r_ = nullptr;
      std::size_t i_ = 0, line_ = 0;
    };
    explicit point_view(const ring& r) : r_(&r) {}
    [[nodiscard]] iterator begin() const { return iterator(r_, 0); }
    [[nodiscard]] iterator end() const { return iterator(r_, size()); }
    [[nodiscard]] std::size_t size() const noexcept { return r_->point_total(); }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    /// The i-th point (O(log lines)); requires i < size().
    [[nodiscard]] point operator[](std::size_t i) const { return r_->point_in(r_->line_of_index(i), i); }

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
    std::uint64_t total = point_total();
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
    if (lines_.empty()) return make_error(errc::no_members, "ring: no members");
    return ids_[slot_of(static_cast<std::uint32_t>(hash_(key) >> 32))];
  }
  /// The owner of a hash value (for bulk lookups that hash keys themselves); requires members.
  [[nodiscard]] node_id owner_of_hash(std::uint64_t h) const { return ids_[slot_of(static_cast<std::uint32_t>(h >> 32))]; }

  [[nodiscard]] std::size_t size() const noexcept { return members_.size(); }
  [[nodiscard]] bool contains(node_id id) const noexcept {
    return std::any_of(members_.begin(), members_.end(), [id](const member& m) { return m.id == id; });
  }
  /// Every point in ring order: (position_of(hash), id), ascending by position, then id.
  [[nodiscard]] point_view points() const noexcept { return point_view(*this); }
  [[nodiscard]] std::size_t table_bytes() const noexcept {
    return lines_.size() * sizeof(line) + (starts_.size() + overfull_.size() + extra_at_.size() + extra_.size()) * sizeof(std::uint32_t) +
           ids_.size() * sizeof(node_id);
  }
  /// The number of lines of the table (0 when empty), n in the file comment.
  [[nodiscard]] std::size_t line_count() const noexcept { return lines_.size(); }
  /// The number of lines holding more than 15 points (their lookups read the side table).
  [[nodiscard]] std::size_t overfull_lines() const noexcept { return overfull_.size(); }
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
    if (lines_.empty()) return 1.0;
    std::vector<std::uint32_t> mine;
    for (std::uint64_t j = 0; j < point_count(fresh.weight); ++j)
      mine.push_back(static_cast<std::uint32_t>(hash_(detail::name_bytes(fresh.name), j) >> 32));
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
    double share = 0;
    for (std::size_t j = 0; j < mine.size(); ++j) {
      const std::uint32_t at = mine[j];
      const std::size_t next = index_at(at);  // the first old point at or after `at`
      const point first = points()[next];
      if (position_of(first.hash) >> 32 == at && first.id < fresh.id) continue;  // a tie the old point wins
      const std::size_t prev = (next == 0 ? point_total() : next) - 1;
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
  static constexpr std::size_t line_words = 16, line_points_max = line_words - 1;
  struct alignas(64) line {  // one cache line of the table
    std::array<std::uint32_t, line_words> w;
  };

  [[nodiscard]] std::vector<node_id> member_ids() const { return ids_; }
  [[nodiscard]] std::size_t point_total() const noexcept { return starts_.empty() ? 0 : starts_.back(); }
  static unsigned bits_for(std::size_t n) noexcept {  // the least b with 2^b >= n
    unsigned b = 0;
    while ((std::size_t{1} << b) < n) ++b;
    return b;
  }
  [[nodiscard]] std::uint64_t scaled(std::uint32_t pos) const noexcept { return std::uint64_t{pos} * line_count_; }
  [[nodiscard]] std::uint32_t fraction_bits(std::uint64_t s) const noexcept {
    return static_cast<std::uint32_t>(s) & ~slot_mask_;
  }
  /// Counts the words of `w` below `below` (the compiler keeps it branch-free).
  static std::size_t count_below(const std::uint32_t* w, std::size_t n, std::uint32_t below) noexcept {
    std::size_t c = 0;
    for (std::size_t i = 0; i < n; ++i) c += w[i] < below ? 1 : 0;
    return c;
  }
  /// The slot owning the 32-bit key position `key`: one line read, the side table for an overfull line.
  [[nodiscard]] std::uint32_t slot_of(std::uint32_t key) const noexcept {
    const std::uint64_t s = scaled(key);
    const std::uint32_t below = fraction_bits(s);
    const std::uint32_t* w = lines_[static_cast<std::size_t>(s >> 32)].w.data();
    // Bisection over the 16 sorted words, no branch: w + c ends at the first word >= below (w[15] is).
    std::size_t c = w[7] < below ? 8 : 0;
    c += w[c + 3] < below ? 4 : 0;
    c += w[c + 1] < below ? 2 : 0;
    c += w[c] < below ? 1 : 0;
    const std::uint32_t slot = w[c] & slot_mask_;
    if (slot != slot_mask_) [[likely]]
      return slot;
    const std::size_t o = overfull_index(static_cast<std::size_t>(s >> 32));
    const std::uint32_t* more = extra_.data() + extra_at_[o];
    return more[count_below(more, extra_at_[o + 1] - extra_at_[o], below)] & slot_mask_;
  }
  /// The index (in ring order) of the first point at or after `key`, 0 past the last.
  [[nodiscard]] std::size_t index_at(std::uint32_t key) const noexcept {
    const std::uint64_t s = scaled(key);
    const std::uint32_t below = fraction_bits(s);
    const auto k = static_cast<std::size_t>(s >> 32);
    std::size_t at = starts_[k] + count_below(lines_[k].w.data(), line_points_max, below);
    if (starts_[k + 1] - starts_[k] > line_points_max && at - starts_[k] == line_points_max) {
      const std::size_t o = overfull_index(k);
      at += count_below(extra_.data() + extra_at_[o], extra_at_[o + 1] - extra_at_[o] - 1, below);
    }
    return at == point_total() ? 0 : at;
  }
  [[nodiscard]] std::size_t overfull_index(std::size_t k) const noexcept {
    return static_cast<std::size_t>(std::lower_bound(overfull_.begin(), overfull_.end(), k) - overfull_.begin());
  }
  [[nodiscard]] std::size_t line_of_index(std::size_t i) const {
    return static_cast<std::size_t>(std::upper_bound(starts_.begin(), starts_.end(), i) - starts_.begin()) - 1;
  }
  /// The word of point i, which line k holds.
  [[nodiscard]] std::uint32_t word_of(std::size_t k, std::size_t i) const {
    const std::size_t j = i - starts_[k];
    return j < line_points_max ? lines_[k].w[j] : extra_[extra_at_[overfull_index(k)] + (j - line_points_max)];
  }
  /// The 32-bit position of a word of line k: the least p with p * n at or above its line and fraction bits.
  [[nodiscard]] std::uint32_t position_in(std::size_t k, std::uint32_t word) const noexcept {
    const std::uint64_t low = (std::uint64_t{k} << 32) | (word & ~slot_mask_), n = line_count_;
    return static_cast<std::uint32_t>((low + n - 1) / n);
  }
  [[nodiscard]] point point_in(std::size_t k, std::size_t i) const {
    const std::uint32_t w = word_of(k, i);
    return point{position_of(std::uint64_t{position_in(k, w)} << 32), ids_[w & slot_mask_]};
  }
  [[nodiscard]] std::vector<item> decode() const {
    std::vector<item> items;
    items.reserve(point_total());
    for (std::size_t k = 0; k + 1 < starts_.size(); ++k)
      for (std::size_t i = starts_[k]; i < starts_[k + 1]; ++i) {
        const std::uint32_t w = word_of(k, i);
        items.push_back(item{position_in(k, w), w & slot_mask_});
      }
    return items;
  }
  /// Packs `items` (in (position, id) order, slots < ids_.size()) into the lines and the side table.
  void encode(const std::vector<item>& items) {
    lines_ = {}, starts_ = {}, overfull_ = {}, extra_at_ = {}, extra_ = {};
    line_count_ = 0;
    if (items.empty()) return;
    const unsigned slot_bits = bits_for(ids_.size() + 1);  // 2^s - 1 is no member's slot
    slot_mask_ = (std::uint32_t{1} << slot_bits) - 1;
    const std::size_t n = std::max(std::size_t{1} << slot_bits, (items.size() + points_per_line - 1) / points_per_line);
    lines_.resize(n);
    line_count_ = n;
    starts_.resize(n + 1);
    extra_at_.push_back(0);
    std::size_t i = 0;
    for (std::size_t k = 0; k < n; ++k) {
      starts_[k] = static_cast<std::uint32_t>(i);
      std::size_t end = i;
      while (end < items.size() && scaled(items[end].pos) >> 32 == k) ++end;
      const std::uint32_t carry = ~slot_mask_ | items[end == items.size() ? 0 : end].slot;
      auto& w = lines_[k].w;
      for (std::size_t j = 0; j < line_words; ++j)
        w[j] = i + j < end ? fraction_bits(scaled(items[i + j].pos)) | items[i + j].slot : carry;
      if (end - i > line_points_max) {
        w[line_points_max] = ~std::uint32_t{0};  // all-ones fraction bits, slot 2^s - 1: see the side table
        overfull_.push_back(static_cast<std::uint32_t>(k));
        for (std::size_t j = i + line_points_max; j < end; ++j)
          extra_.push_back(fraction_bits(scaled(items[j].pos)) | items[j].slot);
        extra_.push_back(carry);
        extra_at_.push_back(static_cast<std::uint32_t>(extra_.size()));
      }
      i = end;
    }
    starts_[n] = static_cast<std::uint32_t>(items.size());
    if (overfull_.empty()) extra_at_ = {};
  }

  std::uint32_t per_unit_ = default_points_per_unit;
  H hash_{};
  std::vector<member> members_;
  std::vector<node_id> ids_;            // by slot
  std::vector<line> lines_;             // n lines of 16 words: (fraction bits) | slot, then padding
  std::vector<std::uint32_t> starts_;   // n + 1: the index of each line's first point; empty when no points
  std::vector<std::uint32_t> overfull_; // lines with more than 15 points, ascending
  std::vector<std::uint32_t> extra_at_; // overfull_.size() + 1 starts into extra_ (empty when none)
  std::vector<std::uint32_t> extra_;    // per overfull line: its points from the 16th, then its carry
  std::uint64_t line_count_ = 0;        // lines_.size()
  std::uint32_t slot_mask_ = 0;         // 2^s - 1
};

static_assert(mutable_partitioner<ring<>>);

}  // namespace cohort::partition
