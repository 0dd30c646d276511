// cohort/raft/memory_storage.hpp - an in-memory `log_storage` for tests,
// examples and benchmarks.
//
// Everything written is immediately "durable" (sync() does nothing): use
// sim::storage to model crashes. Entries are kept in fixed-size chunks
// (chunked_vector): appending never moves what is stored and compaction frees
// whole chunks; payloads are shared `bytes`, never copied. Also models snapshot_log_storage.
// Invariants: first_index() == snap.meta.index + 1 after install/compact
// bookkeeping (base_); entries_[k].index == first_index() + k.
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
  [[nodiscard]] log_index last_index() const noexcept { return base_index_ + entries_.size(); }
  [[nodiscard]] result<term> term_at(log_index i) const {
    if (i < base_index_) return make_error(errc::compacted, "entry is compacted");
    if (i > last_index()) return make_error(errc::unavailable, "index past the end of the log");
    if (i == base_index_) return base_term_;
    return entries_[static_cast<std::size_t>(i - first_index())].term;
  }
  result<void> entries(log_index lo, log_index hi, std::size_t max_bytes, std::vector<log_entry>& out) const {
    if (!(lo < hi)) return make_error(errc::invalid_argument, "empty or inverted range");
    if (lo < first_index()) return make_error(errc::compacted, "entry is compacted");
    if (hi > last_index() + 1) return make_error(errc::unavailable, "index past the end of the log");
    std::size_t total = 0;
    out.reserve(out.size() + reserve_hint(lo, hi, max_bytes));
    const auto end = static_cast<std::size_t>(hi - first_index());
    for (auto k = static_cast<std::size_t>(lo - first_index()); k != end; ++k) {
      const log_entry& e = entries_[k];
      total += e.accounted_bytes();
      if (total > max_bytes && e.index != lo) break;
      out.push_back(e);
    }
    return success();
  }
  result<void> append(std::span<const log_entry> es) {
    if (es.empty()) return success();
    if (es.front().index < first_index() || es.front().index > last_index() + 1)
      return make_error(errc::invalid_argument, "append outside [first_index, last_index + 1]");
    entries_.truncate(static_cast<std::size_t>(es.front().index - first_index()));
    for (const log_entry& e : es) entries_.push_back(e);
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
    if (i >= first_index() && i <= last_index() && entries_[static_cast<std::size_t>(i - first_index())].term == sn.meta.term)
      entries_.drop_front(static_cast<std::size_t>(i - first_index()) + 1);  // keep the suffix after the snapshot
    else
      entries_.clear();
    snap_ = sn;
    base_index_ = i;
    base_term_ = sn.meta.term;
    return success();
  }
  result<void> compact(log_index i) {
    if (i < first_index()) return make_error(errc::compacted, "already compacted");
    if (i > last_index()) return make_error(errc::unavailable, "index past the end of the log");
    const auto n = static_cast<std::size_t>(i - first_index()) + 1;
    base_term_ = entries_[n - 1].term;
    base_index_ = i;
    entries_.drop_front(n);
    return success();
  }

 private:
  hard_state hs_{};
  cohort::snapshot snap_{};
  log_index base_index_{};
  term base_term_{};
  chunked_vector<log_entry> entries_;
};

static_assert(log_storage<memory_storage>);
static_assert(snapshot_log_storage<memory_storage>);

}  // namespace cohort::raft
