// cohort/raft/log.hpp - a Raft node's log: durable storage plus an in-memory
// window over its tail.
//
// Entries [storage.first_index(), mem_offset) are read from the user's
// `log_storage`; entries from mem_offset on are held here: those the driver
// has not yet made durable (handed out in a `ready` batch, then
// acknowledged), and, after that, durable ones until they are applied (at
// most retained_durable_max of them), so that applying and replicating
// recent entries need no storage reads.
//
// Invariants:
//   applied <= committed <= last_index()      (committed never decreases)
//   applied <= durable                        (only locally durable entries are applied)
//   handed <= last_index(), durable <= handed (what was given to the driver, and of that what is durable)
//   mem_offset <= durable + 1                 (every entry not yet durable is in memory)
//   mem_[head_ + k].index == mem_offset + k; slots before head_ are empty
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "cohort/core/assert.hpp"
#include "cohort/core/concepts.hpp"
#include "cohort/core/log.hpp"
#include "cohort/core/result.hpp"

namespace cohort::raft {

template <log_storage Storage>
class raft_log {
 public:
  explicit raft_log(Storage& s) : storage_(&s) {
    mem_offset_ = s.last_index() + 1;
    handed_ = durable_ = s.last_index();
    const log_index base = s.first_index() - 1;
    applied_ = base;
    committed_ = std::clamp(s.load_hard_state().commit, base, s.last_index());
  }

  [[nodiscard]] log_index first_index() const { return storage_->first_index(); }
  [[nodiscard]] log_index last_index() const {
    return mem_empty() ? storage_->last_index() : mem_offset_ + (mem_size() - 1);
  }
  [[nodiscard]] log_index committed() const noexcept { return committed_; }
  [[nodiscard]] log_index applied() const noexcept { return applied_; }
  [[nodiscard]] log_index durable() const noexcept { return durable_; }
  [[nodiscard]] log_index handed() const noexcept { return handed_; }

  /// The term of entry i; errc::compacted / errc::unavailable outside the log.
  [[nodiscard]] result<term> term_at(log_index i) const {
    if (!mem_empty() && i >= mem_offset_) {
      if (i > last_index()) return make_error(errc::unavailable, "index past the end of the log");
      return mem_at(i).term;
    }
    return storage_->term_at(i);
  }
  /// The term of entry i if the log has it (no error built: for hot paths).
  [[nodiscard]] std::optional<term> term_if(log_index i) const {
    if (i > last_index() || i + 1 < first_index()) return std::nullopt;
    if (!mem_empty() && i >= mem_offset_) return mem_at(i).term;
    auto t = storage_->term_at(i);
    return t ? std::optional<term>(*t) : std::nullopt;
  }
  /// term_at(i), or term 0 where there is no such entry.
  [[nodiscard]] term term_or_zero(log_index i) const { return term_if(i).value_or(term{}); }
  [[nodiscard]] term last_term() const { return term_or_zero(last_index()); }
  [[nodiscard]] bool match_term(log_index i, term t) const {
    const auto r = term_if(i);
    return r && *r == t;
  }
  /// Whether a log ending at (index, t) is at least as up to date as this one (§5.4.1).
  [[nodiscard]] bool is_up_to_date(log_index index, term t) const {
    const term lt = last_term();
    return t > lt || (t == lt && index >= last_index());
  }

  /// Appends entries (es.front().index may be at or before last_index()+1:
  /// anything from there on is replaced). Never touches committed entries.
  /// From a span of non-const entries the payloads are moved, not shared.
  /// `bytes_bound` is at least the accounted bytes of each entry (their
  /// total will do).
  template <class Entry>
    requires std::same_as<std::remove_const_t<Entry>, log_entry>
  void append(std::span<Entry> es, std::size_t bytes_bound) {
    if (es.empty()) return;
    const log_index after = es.front().index;
    COHORT_ASSERT(after > committed_ && after <= last_index() + 1, "raft_log::append outside (committed, last+1]");
    if (!mem_empty() && after == mem_offset_ + mem_size()) {
      // the common case: extend the tail
    } else if (mem_empty() || after <= mem_offset_) {
      mem_clear(after);
    } else {
      mem_.resize(head_ + static_cast<std::size_t>(after - mem_offset_));
    }
    if constexpr (std::is_const_v<Entry>) mem_.insert(mem_.end(), es.begin(), es.end());
    else mem_.insert(mem_.end(), std::make_move_iterator(es.begin()), std::make_move_iterator(es.end()));
    entry_bytes_bound_ = std::max(entry_bytes_bound_, bytes_bound);
    handed_ = std::min(handed_, after - 1);
    durable_ = std::min(durable_, after - 1);
  }
  /// Appends one entry built in place at last_index()+1.
  void append_one(log_entry e) {
    if (mem_empty()) mem_clear(e.index);
    COHORT_ASSERT(e.index == mem_offset_ + mem_size(), "raft_log::append_one not at the end");
    entry_bytes_bound_ = std::max(entry_bytes_bound_, e.accounted_bytes());
    mem_.push_back(std::move(e));
  }
  /// Appends a normal entry of term t per payload at last_index()+1 on; the
  /// payloads are moved in from a span of non-const buffers. The new last index.
  template <class Buffer>
    requires std::same_as<std::remove_const_t<Buffer>, bytes>
  log_index append_payloads(std::span<Buffer> payloads, term t) {
    log_index i = last_index();
    if (mem_empty()) mem_clear(i + 1);
    if (const std::size_t need = mem_.size() + payloads.size(); need > mem_.capacity())
      mem_.reserve(std::max(need, 2 * mem_.capacity()));  // geometric, as push_back would
    std::size_t largest = 0;
    for (Buffer& b : payloads) {
      largest = std::max(largest, b.size());
      if constexpr (std::is_const_v<Buffer>) mem_.push_back(log_entry{++i, t, entry_kind::normal, b});
      else mem_.push_back(log_entry{++i, t, entry_kind::normal, std::move(b)});
    }
    entry_bytes_bound_ = std::max(entry_bytes_bound_, largest + log_entry::overhead_bytes);
    return i;
  }

  enum class append_outcome : std::uint8_t { ok, mismatch, conflicts_committed };
  /// A follower's append: if the log matches (prev_index, prev_term), adds
  /// `es`, truncating a conflicting suffix, and sets `last_new` to the last
  /// index the leader's message vouches for. The new entries are moved out
  /// of `es` (what matched stays). `bytes_bound` as for append().
  append_outcome maybe_append(log_index prev_index, term prev_term, std::span<log_entry> es, std::size_t bytes_bound,
                              log_index& last_new) {
    if (!match_term(prev_index, prev_term)) return append_outcome::mismatch;
    last_new = prev_index + es.size();
    // The first entry that is new or conflicts with ours.
    std::size_t k = 0;
    while (k < es.size() && match_term(es[k].index, es[k].term)) ++k;
    if (k == es.size()) return append_outcome::ok;
    if (es[k].index <= committed_) return append_outcome::conflicts_committed;
    append(es.subspan(k), bytes_bound);
    return append_outcome::ok;
  }

  /// For a rejection hint: the largest i <= index whose term is <= t (or the
  /// start of the log), with its term. Lets the leader skip a whole term.
  [[nodiscard]] std::pair<log_index, term> conflict_hint(log_index index, term t) const {
    log_index i = std::min(index, last_index());
    const log_index floor = first_index() - 1;
    for (;;) {
      auto r = term_at(i);
      if (!r) return {i, term{}};
      if (*r <= t || i <= floor) return {i, *r};
      --i;
    }
  }

  /// Entries [lo, last_index()] up to max_bytes (at least one), into out;
  /// adds their accounted bytes to *taken if given.
  result<void> entries_from(log_index lo, std::size_t max_bytes, std::vector<log_entry>& out,
                            std::size_t* taken = nullptr) const {
    return slice(lo, last_index() + 1, max_bytes, out, taken);
  }
  result<void> slice(log_index lo, log_index hi, std::size_t max_bytes, std::vector<log_entry>& out,
                     std::size_t* taken = nullptr) const {
    std::size_t total = 0;
    auto r = slice_counted(lo, hi, max_bytes, out, total);
    if (taken != nullptr) *taken += total;
    return r;
  }
  /// Commits up to index if that entry has term t (the current term): §5.4.2.
  bool maybe_commit(log_index index, term t) {
    if (index > committed_ && term_or_zero(index) == t) {
      committed_ = index;
      return true;
    }
    return false;
  }
  /// Commits up to index as told by the leader (clamped to our log).
  void commit_to(log_index index) {
    index = std::min(index, last_index());
    if (index > committed_) committed_ = index;
  }

  /// The entries to persist next (not yet handed out); marks them handed.
  [[nodiscard]] std::span<const log_entry> take_unpersisted() {
    const log_index last = last_index();
    if (handed_ >= last) return {};
    const auto from = head_ + static_cast<std::size_t>(handed_ + 1 - mem_offset_);
    handed_ = last;
    return std::span<const log_entry>(mem_).subspan(from);
  }
  /// The driver made entries up to (index, t) durable.
  void stable_to(log_index index, term t) {
    if (index <= durable_ || index > handed_ || !match_term(index, t)) return;  // rewritten since
    durable_ = index;
    release();
  }
  /// The committed, durable entries not yet applied (up to max_bytes, at
  /// least one); marks them applied. The view is valid until end_apply() or
  /// the next append: until then the log keeps every entry in memory where
  /// it is. When some are no longer in memory (a restart, a slow applier),
  /// all are read (shared) into a buffer of the log's own instead.
  result<std::span<const log_entry>> take_committed(std::size_t max_bytes) {
    const log_index hi = std::min(committed_, durable_);
    if (hi <= applied_) return std::span<const log_entry>{};
    const log_index lo = applied_ + 1;
    holding_ = true;
    if (mem_empty() || lo < mem_offset_) {  // dropped from memory already: read through storage
      from_storage_.clear();
      if (auto r = slice(lo, hi + 1, max_bytes, from_storage_); !r) return r.error();
      applied_ = applied_ + from_storage_.size();
      return std::span<const log_entry>(from_storage_);
    }
    // hi <= last_index(): in memory too
    const std::size_t first = head_ + static_cast<std::size_t>(lo - mem_offset_);
    const auto from = mem_.begin() + static_cast<std::ptrdiff_t>(first);
    const auto count = static_cast<std::size_t>(hi - lo + 1);
    std::size_t total = 0;
    // No walk when even entries of the largest size in memory would fit.
    const bool all_fit = entry_bytes_bound_ != 0 && count <= max_bytes / entry_bytes_bound_;
    const auto to = all_fit ? from + static_cast<std::ptrdiff_t>(count)
                            : within_bytes(from, from + static_cast<std::ptrdiff_t>(count), total, max_bytes, false);
    const auto n = static_cast<std::size_t>(to - from);
    applied_ = applied_ + n;
    return std::span<const log_entry>(mem_).subspan(first, n);
  }
  /// The driver is done with the last take_committed() view: applied entries
  /// may now leave memory.
  void end_apply() {
    if (!holding_) return;
    holding_ = false;
    from_storage_.clear();
    release();
  }
  [[nodiscard]] bool has_committed_to_apply() const noexcept { return std::min(committed_, durable_) > applied_; }

 private:
  /// slice(); `total` (0 on entry) ends as the accounted bytes taken.
  result<void> slice_counted(log_index lo, log_index hi, std::size_t max_bytes, std::vector<log_entry>& out,
                             std::size_t& total) const {
    if (!(lo < hi)) return success();
    if (lo < first_index()) return make_error(errc::compacted, "entries are compacted");
    if (hi > last_index() + 1) return make_error(errc::unavailable, "index past the end of the log");
    const std::size_t start = out.size();
    out.reserve(start + reserve_hint(lo, hi, max_bytes));
    if (lo < mem_offset_ || mem_empty()) {
      const log_index stable_hi = mem_empty() ? hi : std::min(hi, mem_offset_);
      if (auto r = storage_->entries(lo, stable_hi, max_bytes, out); !r) return r;
      for (std::size_t k = start; k < out.size(); ++k) total += out[k].accounted_bytes();
      if (out.size() - start < static_cast<std::size_t>(stable_hi - lo)) return success();  // byte limit reached
      lo = stable_hi;
    }
    if (lo < hi) {
      const auto from = mem_.begin() + static_cast<std::ptrdiff_t>(head_ + static_cast<std::size_t>(lo - mem_offset_));
      const auto count = static_cast<std::size_t>(hi - lo);
      if (total <= max_bytes && entry_bytes_bound_ != 0 && count <= (max_bytes - total) / entry_bytes_bound_) {
        // All fit even at the largest size in memory: the copy counts the bytes.
        total += append_shared(std::span<const log_entry>(from, count), out);
      } else {
        std::size_t taken = total;
        const auto to = within_bytes(from, from + static_cast<std::ptrdiff_t>(count), taken, max_bytes, out.size() != start);
        append_shared(std::span<const log_entry>(from, to), out);
        total = taken;
      }
    }
    return success();
  }

  /// Durable entries kept in memory beyond the applied point, at most.
  static constexpr std::uint64_t retained_durable_max = 1 << 16;

  /// The end of the longest prefix of [from, to) that keeps `total` (the
  /// bytes already taken, updated) within max_bytes; at least one entry
  /// unless `have_some`.
  template <class It>
  static It within_bytes(It from, It to, std::size_t& total, std::size_t max_bytes, bool have_some) {
    std::size_t sum = total;  // a local, so that the loop keeps it in a register
    for (It it = from; it != to; ++it) {
      sum += it->accounted_bytes();
      if (sum > max_bytes && (have_some || it != from)) {
        total = sum - it->accounted_bytes();
        return it;
      }
    }
    total = sum;
    return to;
  }

  [[nodiscard]] bool mem_empty() const noexcept { return head_ == mem_.size(); }
  [[nodiscard]] std::size_t mem_size() const noexcept { return mem_.size() - head_; }
  [[nodiscard]] const log_entry& mem_at(log_index i) const {
    return mem_[head_ + static_cast<std::size_t>(i - mem_offset_)];
  }
  void mem_clear(log_index offset) {
    drop_payloads(std::span<log_entry>(mem_).subspan(head_));
    mem_.clear();  // keeps the capacity
    entry_bytes_bound_ = 0;
    head_ = 0;
    mem_offset_ = offset;
  }
  /// Drops from memory the durable entries that are applied (or beyond the
  /// retention cap); they stay readable from storage.
  void release() {
    if (holding_ || mem_empty()) return;
    log_index upto = std::min(durable_, applied_);
    if (durable_ - upto > retained_durable_max) upto = durable_ - retained_durable_max;
    if (upto < mem_offset_) return;
    const log_index mem_last = mem_offset_ + (mem_size() - 1);
    if (upto >= mem_last) {
      mem_clear(mem_last + 1);
      return;
    }
    const auto n = static_cast<std::size_t>(upto + 1 - mem_offset_);
    drop_payloads(std::span<log_entry>(mem_).subspan(head_, n));  // release the payloads now
    head_ += n;
    mem_offset_ = upto + 1;
    if (head_ >= 1024 && head_ * 2 >= mem_.size()) {  // amortized: each entry moves at most once more
      mem_.erase(mem_.begin(), mem_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  Storage* storage_;
  std::vector<log_entry> mem_;
  std::size_t head_ = 0;
  log_index mem_offset_{};
  log_index handed_{};
  log_index durable_{};
  log_index committed_{};
  log_index applied_{};
  std::vector<log_entry> from_storage_;  ///< the last take_committed() view when it came from storage
  bool holding_ = false;                 ///< a take_committed() view is out: nothing leaves memory
  std::size_t entry_bytes_bound_ = 0;    ///< no entry in memory accounts for more bytes (0: none there)
};

}  // namespace cohort::raft
