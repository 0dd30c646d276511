// cohort/raft/memory_storage.hpp - an in-memory `log_storage` for tests,
// examples and benchmarks.
//
// Everything written is immediately "durable" (sync() does nothing): use
// sim::storage to model crashes. Also models snapshot_log_storage.
//
// Layout: a log's terms and kinds change rarely (terms only grow along a
// log), so they are kept as runs, (first index, term, kind) each, and per
// entry only its payload is stored, in fixed-size chunks (chunked_vector):
// 24 bytes an entry instead of a whole log_entry's 48, appending never moves
// what is stored, and compaction frees whole chunks. Payloads are shared
// `bytes`, never copied.
//
// Invariants: first_index() == base_index_ + 1; data_[k] is the payload of
// index first_index() + k; runs_ is non-empty iff data_ is, sorted by
// strictly increasing `first`, runs_.front().first <= first_index(),
// runs_.back().first <= last_index(), and entry i has the term and kind of
// the last run with first <= i; neighbouring runs differ in term or kind.
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "cohort/core/chunked_vector.hpp"
#include "cohort/core/concepts.hpp"
#include "cohort/core/log.hpp"
#include "cohort/core/result.hpp"

namespace cohort::raft {

class memory_storage {
 public:
  memory_storage() = default;
  /// A log that starts after a snapshot (e.g. a bootstrapped cluster).
  explicit memory_storage(const cohort::snapshot& sn) : snap_(sn), base_index_(sn.meta.index), base_term_(sn.meta.term) {
    hs_.term = sn.meta.term;
    hs_.commit = sn.meta.index;
  }

  [[nodiscard]] hard_state load_hard_state() const noexcept { return hs_; }
  [[nodiscard]] log_index first_index() const noexcept { return base_index_ + 1; }
  [[nodiscard]] log_index last_index() const noexcept { return base_index_ + data_.size(); }
  [[nodiscard]] result<term> term_at(log_index i) const {
    if (i < base_index_) return make_error(errc::compacted, "entry is compacted");
    if (i > last_index()) return make_error(errc::unavailable, "index past the end of the log");
    if (i == base_index_) return base_term_;
    return run_of(i).t;
  }
  result<void> entries(log_index lo, log_index hi, std::size_t max_bytes, std::vector<log_entry>& out) const {
    if (!(lo < hi)) return make_error(errc::invalid_argument, "empty or inverted range");
    if (lo < first_index()) return make_error(errc::compacted, "entry is compacted");
    if (hi > last_index() + 1) return make_error(errc::unavailable, "index past the end of the log");
    std::size_t total = 0;
    out.reserve(out.size() + reserve_hint(lo, hi, max_bytes));
    auto r = std::upper_bound(runs_.begin(), runs_.end(), lo, [](log_index i, const run& x) { return i < x.first; }) - 1;
    for (log_index i = lo; i < hi; ++i) {
      if (r + 1 != runs_.end() && (r + 1)->first <= i) ++r;
      const bytes& d = data_[static_cast<std::size_t>(i - first_index())];
      total += d.size() + log_entry::overhead_bytes;
      if (total > max_bytes && i != lo) break;
      out.push_back(log_entry{i, r->t, r->kind, d});
    }
    return success();
  }
  result<void> append(std::span<const log_entry> es) {
    if (es.empty()) return success();
    if (es.front().index < first_index() || es.front().index > last_index() + 1)
      return make_error(errc::invalid_argument, "append outside [first_index, last_index + 1]");
    truncate_from(es.front().index);
    // The usual case, one term and kind throughout, takes one pass: it shares
    // the payloads and notes any entry that differs from the first. If one
    // does (a new term, a config entry), that pass is undone and the entries
    // go in a run at a time. A run is always recorded before its entries, so
    // an allocation failure part way leaves a consistent (shorter) log.
    add_run(es.front());
    const std::size_t before = data_.size();
    const term t0 = es.front().term;
    const entry_kind k0 = es.front().kind;
    bool mixed = false;
    data_.append_chunks(es.size(), [&es, &mixed, t0, k0](std::span<bytes> slots, std::size_t at) {
      bytes::share_each(
          slots.size(),
          [&es, &mixed, t0, k0, at](std::size_t i) -> const bytes& {
            const log_entry& e = es[at + i];
            mixed |= e.term != t0;
            mixed |= e.kind != k0;
            return e.data;
          },
          [slots](std::size_t i) -> bytes& { return slots[i]; });
    });
    if (!mixed) return success();
    data_.truncate(before);
    for (std::size_t k = 0; k < es.size();) {  // a run of equal term and kind at a time
      add_run(es[k]);
      std::size_t j = k + 1;
      while (j < es.size() && es[j].term == es[k].term && es[j].kind == es[k].kind) ++j;
      data_.append_chunks(j - k, [&es, k](std::span<bytes> slots, std::size_t at) {
        bytes::share_each(
            slots.size(), [&es, k, at](std::size_t i) -> const bytes& { return es[k + at + i].data; },
            [slots](std::size_t i) -> bytes& { return slots[i]; });
      });
      k = j;
    }
    return success();
  }
  result<void> save_hard_state(const hard_state& hs) {
    hs_ = hs;
    return success();
  }
  result<void> sync() { return success(); }

  [[nodiscard]] result<cohort::snapshot> snapshot() const { return snap_; }
  result<void> install_snapshot(const cohort::snapshot& sn) {
    if (sn.meta.index < snap_.meta.index) return make_error(errc::invalid_argument, "snapshot is older than the current one");
    const log_index i = sn.meta.index;
    if (i >= first_index() && i <= last_index() && run_of(i).t == sn.meta.term)
      drop_through(i);  // keep the suffix after the snapshot
    else
      clear_entries();
    snap_ = sn;
    base_index_ = i;
    base_term_ = sn.meta.term;
    return success();
  }
  result<void> compact(log_index i) {
    if (i < first_index()) return make_error(errc::compacted, "already compacted");
    if (i > last_index()) return make_error(errc::unavailable, "index past the end of the log");
    base_term_ = run_of(i).t;
    drop_through(i);
    base_index_ = i;
    return success();
  }

 private:
  struct run {
    log_index first;
    term t;
    entry_kind kind;
  };

  /// Starts a run at e unless e continues the last one.
  void add_run(const log_entry& e) {
    if (runs_.empty() || runs_.back().t != e.term || runs_.back().kind != e.kind)
      runs_.push_back(run{e.index, e.term, e.kind});
  }
  /// The run holding entry i (first_index() <= i <= last_index()).
  [[nodiscard]] const run& run_of(log_index i) const {
    if (runs_.back().first <= i) return runs_.back();  // the common case: the latest term
    return *(std::upper_bound(runs_.begin(), runs_.end(), i, [](log_index j, const run& x) { return j < x.first; }) - 1);
  }
  /// Removes entries from index i on (first_index() <= i <= last_index() + 1).
  void truncate_from(log_index i) {
    data_.truncate(static_cast<std::size_t>(i - first_index()));
    if (data_.empty()) runs_.clear();
    while (!runs_.empty() && runs_.back().first >= i) runs_.pop_back();
  }
  /// Removes entries up to and including i (first_index() <= i <= last_index());
  /// the caller moves base_index_ to i.
  void drop_through(log_index i) {
    data_.drop_front(static_cast<std::size_t>(i - first_index()) + 1);
    if (data_.empty()) {
      runs_.clear();
      return;
    }
    // Keep the run that covers i + 1 and everything after it.
    auto keep = std::upper_bound(runs_.begin(), runs_.end(), i + 1, [](log_index j, const run& x) { return j < x.first; }) - 1;
    runs_.erase(runs_.begin(), keep);
  }
  void clear_entries() {
    data_.clear();
    runs_.clear();
  }

  hard_state hs_{};
  cohort::snapshot snap_{};
  log_index base_index_{};
  term base_term_{};
  chunked_vector<bytes> data_;
  std::vector<run> runs_;
};

static_assert(log_storage<memory_storage>);
static_assert(snapshot_log_storage<memory_storage>);

}  // namespace cohort::raft
