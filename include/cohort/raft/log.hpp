// cohort/raft/log.hpp - a Raft node's log: durable storage plus unstable tail.
//
// Entries [storage.first_index(), unstable_offset) are read from the user's
// `log_storage`; entries from unstable_offset on are held here until the
// driver has written them (they are handed out in a `ready` batch) and
// acknowledged that the write is durable.
//
// Invariants:
//   applied <= committed <= last_index()      (committed never decreases)
//   applied <= durable                        (only locally durable entries are applied)
//   handed <= last_index(), durable <= handed (what was given to the driver, and of that what is durable)
//   unstable_offset <= handed + 1              (entries not yet handed out are all in unstable)
//   unstable_[k].index == unstable_offset + k
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
    unstable_offset_ = s.last_index() + 1;
    handed_ = durable_ = s.last_index();
    const log_index base = s.first_index() - 1;
    applied_ = base;
    committed_ = std::clamp(s.load_hard_state().commit, base, s.last_index());
  }

  [[nodiscard]] log_index first_index() const { return storage_->first_index(); }
  [[nodiscard]] log_index last_index() const {
    return unstable_.empty() ? storage_->last_index() : unstable_offset_ + (unstable_.size() - 1);
  }
  [[nodiscard]] log_index committed() const noexcept { return committed_; }
  [[nodiscard]] log_index applied() const noexcept { return applied_; }
  [[nodiscard]] log_index durable() const noexcept { return durable_; }
  [[nodiscard]] log_index handed() const noexcept { return handed_; }

  /// The term of entry i; errc::compacted / errc::unavailable outside the log.
  [[nodiscard]] result<term> term_at(log_index i) const {
    if (!unstable_.empty() && i >= unstable_offset_) {
      if (i > last_index()) return make_error(errc::unavailable, "index past the end of the log");
      return unstable_[static_cast<std::size_t>(i - unstable_offset_)].term;
    }
    return storage_->term_at(i);
  }
  /// The term of entry i if the log has it (no error built: for hot paths).
  [[nodiscard]] std::optional<term> term_if(log_index i) const {
    if (i > last_index() || i + 1 < first_index()) return std::nullopt;
    if (!unstable_.empty() && i >= unstable_offset_) return unstable_[static_cast<std::size_t>(i - unstable_offset_)].term;
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
  template <class Entry>
    requires std::same_as<std::remove_const_t<Entry>, log_entry>
  void append(std::span<Entry> es) {
    if (es.empty()) return;
    const log_index after = es.front().index;
    COHORT_ASSERT(after > committed_ && after <= last_index() + 1, "raft_log::append outside (committed, last+1]");
    if (after == unstable_offset_ + unstable_.size() && !unstable_.empty()) {
      // the common case: extend the tail
    } else if (after <= unstable_offset_) {
      unstable_.clear();
      unstable_offset_ = after;
    } else {
      unstable_.resize(static_cast<std::size_t>(after - unstable_offset_));
    }
    if (unstable_.empty()) unstable_offset_ = after;
    if constexpr (std::is_const_v<Entry>) unstable_.insert(unstable_.end(), es.begin(), es.end());
    else unstable_.insert(unstable_.end(), std::make_move_iterator(es.begin()), std::make_move_iterator(es.end()));
    handed_ = std::min(handed_, after - 1);
    durable_ = std::min(durable_, after - 1);
  }
  /// Appends one entry built in place at last_index()+1.
  void append_one(log_entry e) {
    if (unstable_.empty()) unstable_offset_ = e.index;
    COHORT_ASSERT(e.index == unstable_offset_ + unstable_.size(), "raft_log::append_one not at the end");
    unstable_.push_back(std::move(e));
  }

  enum class append_outcome : std::uint8_t { ok, mismatch, conflicts_committed };
  /// A follower's append: if the log matches (prev_index, prev_term), adds
  /// `es`, truncating a conflicting suffix, and sets `last_new` to the last
  /// index the leader's message vouches for. The new entries are moved out
  /// of `es` (what matched stays).
  append_outcome maybe_append(log_index prev_index, term prev_term, std::span<log_entry> es, log_index& last_new) {
    if (!match_term(prev_index, prev_term)) return append_outcome::mismatch;
    last_new = prev_index + es.size();
    // The first entry that is new or conflicts with ours.
    std::size_t k = 0;
    while (k < es.size() && match_term(es[k].index, es[k].term)) ++k;
    if (k == es.size()) return append_outcome::ok;
    if (es[k].index <= committed_) return append_outcome::conflicts_committed;
    append(es.subspan(k));
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

  /// Entries [lo, last_index()] up to max_bytes (at least one), into out.
  result<void> entries_from(log_index lo, std::size_t max_bytes, std::vector<log_entry>& out) const {
    return slice(lo, last_index() + 1, max_bytes, out);
  }
  result<void> slice(log_index lo, log_index hi, std::size_t max_bytes, std::vector<log_entry>& out) const {
    if (!(lo < hi)) return success();
    if (lo < first_index()) return make_error(errc::compacted, "entries are compacted");
    if (hi > last_index() + 1) return make_error(errc::unavailable, "index past the end of the log");
    std::size_t total = 0;
    const std::size_t start = out.size();
    out.reserve(start + reserve_hint(lo, hi, max_bytes));
    if (lo < unstable_offset_) {
      const log_index stable_hi = std::min(hi, unstable_offset_);
      if (auto r = storage_->entries(lo, stable_hi, max_bytes, out); !r) return r;
      for (std::size_t k = start; k < out.size(); ++k) total += out[k].accounted_bytes();
      if (out.size() - start < static_cast<std::size_t>(stable_hi - lo)) return success();  // byte limit reached
      lo = stable_hi;
    }
    for (log_index i = lo; i < hi; ++i) {
      const log_entry& e = unstable_[static_cast<std::size_t>(i - unstable_offset_)];
      total += e.accounted_bytes();
      if (total > max_bytes && out.size() != start) break;
      out.push_back(e);
    }
    return success();
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
    const auto from = static_cast<std::size_t>(handed_ + 1 - unstable_offset_);
    handed_ = last;
    return std::span<const log_entry>(unstable_).subspan(from);
  }
  /// The driver made entries up to (index, t) durable.
  void stable_to(log_index index, term t) {
    if (index <= durable_ || index > handed_ || !match_term(index, t)) return;  // rewritten since
    durable_ = index;
    if (!unstable_.empty() && index >= unstable_offset_) {
      const auto n = static_cast<std::size_t>(index + 1 - unstable_offset_);
      unstable_.erase(unstable_.begin(), unstable_.begin() + static_cast<std::ptrdiff_t>(n));
      unstable_offset_ = index + 1;
    }
  }
  /// The committed, durable entries not yet applied (up to max_bytes, at
  /// least one); marks them applied.
  result<void> take_committed(std::size_t max_bytes, std::vector<log_entry>& out) {
    const log_index hi = std::min(committed_, durable_);
    if (hi <= applied_) return success();
    const std::size_t before = out.size();
    if (auto r = slice(applied_ + 1, hi + 1, max_bytes, out); !r) return r;
    applied_ = applied_ + (out.size() - before);
    return success();
  }
  [[nodiscard]] bool has_committed_to_apply() const noexcept { return std::min(committed_, durable_) > applied_; }

 private:
  Storage* storage_;
  std::vector<log_entry> unstable_;
  log_index unstable_offset_{};
  log_index handed_{};
  log_index durable_{};
  log_index committed_{};
  log_index applied_{};
};

}  // namespace cohort::raft
