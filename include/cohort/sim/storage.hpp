// cohort/sim/storage.hpp - in-memory log storage that forgets on crash.
//
// `sim::storage` models `log_storage`, `async_log_storage` and
// `snapshot_log_storage`. Reads see every write made so far (the live image).
// Writes are kept as checksummed records that become durable only when a sync
// covering them completes: `sync()` at once, `request_sync()` after a drawn
// latency on the simulation's scheduler (completing in ticket order).
//
// `crash()` keeps the durable image plus, depending on `crash_mode`:
//   lose_unsynced  nothing that was not synced;
//   lose_suffix    a random prefix of the unsynced records (a disk that wrote
//                  some of them before the power went);
//   torn_write     a random prefix, then the next record half-written: its
//                  content damaged, its checksum as originally computed.
// `recover()` replays the surviving records, verifying each checksum; a torn
// record fails the check and is discarded (and counted), never applied.
// Synced data is never lost: what a node acknowledged after a sync survives.
//
// Invariants of an image: first_index() == base.index + 1; entries are
// contiguous from first_index(); base.term is the term of entry base.index.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cohort/core/concepts.hpp"
#include "cohort/core/log.hpp"
#include "cohort/core/random.hpp"
#include "cohort/core/result.hpp"
#include "cohort/sim/scheduler.hpp"
#include "cohort/sim/trace.hpp"

namespace cohort::sim {

enum class crash_mode : std::uint8_t { lose_unsynced, lose_suffix, torn_write };

constexpr std::string_view name_of(crash_mode m) noexcept {
  switch (m) {
    case crash_mode::lose_unsynced: return "lose_unsynced";
    case crash_mode::lose_suffix: return "lose_suffix";
    case crash_mode::torn_write: return "torn_write";
  }
  return "unknown";
}

struct storage_options {
  crash_mode mode = crash_mode::lose_unsynced;
  duration sync_latency_min = std::chrono::microseconds(100);
  duration sync_latency_max = std::chrono::milliseconds(2);
  std::uint32_t write_failure_ppm = 0;  ///< chance that a write or sync returns errc::storage_failure

  [[nodiscard]] result<void> validate() const {
    if (sync_latency_min < duration::zero() || sync_latency_max < sync_latency_min)
      return make_error(errc::invalid_config, "storage sync latency must satisfy 0 <= min <= max");
    if (write_failure_ppm > 1'000'000) return make_error(errc::invalid_config, "write_failure_ppm is at most 1000000");
    return success();
  }
};

/// The content of a log store: hard state, snapshot, compaction point, entries.
struct log_image {
  hard_state hs{};
  cohort::snapshot snap{};
  log_index base_index{};  ///< the entry just before the first kept one
  cohort::term base_term{};
  std::vector<log_entry> entries;

  [[nodiscard]] log_index first_index() const noexcept { return base_index + 1; }
  [[nodiscard]] log_index last_index() const noexcept { return base_index + entries.size(); }
  friend bool operator==(const log_image&, const log_image&) = default;
};

namespace detail {

enum class op : std::uint8_t { append, hard_state, install_snapshot, compact };

/// One write, as it would be laid out in a write-ahead file.
struct record {
  op kind = op::append;
  std::vector<log_entry> entries;  // append
  hard_state hs{};                 // hard_state
  cohort::snapshot snap{};         // install_snapshot
  log_index index{};               // compact
  std::uint64_t checksum = 0;
};

struct fnv {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  void u64(std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i) h = (h ^ ((v >> (8 * i)) & 0xffU)) * 0x100000001b3ULL;
  }
  void data(const bytes& b) noexcept {
    u64(b.size());
    for (std::byte c : b.view()) h = (h ^ static_cast<std::uint8_t>(c)) * 0x100000001b3ULL;
  }
  void ids(const std::vector<node_id>& v) noexcept {
    u64(v.size());
    for (node_id n : v) u64(n.value());
  }
};

inline std::uint64_t checksum_of(const record& r) noexcept {
  fnv f;
  f.u64(static_cast<std::uint64_t>(r.kind));
  f.u64(r.entries.size());
  for (const auto& e : r.entries) {
    f.u64(e.index.value());
    f.u64(e.term.value());
    f.u64(static_cast<std::uint64_t>(e.kind));
    f.data(e.data);
  }
  f.u64(r.hs.term.value());
  f.u64(r.hs.vote.value());
  f.u64(r.hs.commit.value());
  f.u64(r.snap.meta.index.value());
  f.u64(r.snap.meta.term.value());
  f.ids(r.snap.meta.config.voters);
  f.ids(r.snap.meta.config.voters_outgoing);
  f.ids(r.snap.meta.config.learners);
  f.ids(r.snap.meta.config.learners_next);
  f.u64(r.snap.meta.config.auto_leave ? 1 : 0);
  f.data(r.snap.data);
  f.u64(r.index.value());
  return f.h;
}

/// Damages a record's content as a write cut short would (its checksum kept).
inline void tear(record& r) {
  switch (r.kind) {
    case op::append:
      if (r.entries.size() > 1) {
        r.entries.resize(r.entries.size() / 2);
      } else if (!r.entries.empty()) {
        auto& d = r.entries.front().data;
        d = d.size() > 1 ? d.slice(0, d.size() / 2) : bytes{};
        r.entries.front().term = cohort::term{r.entries.front().term.value() >> 1};
      }
      break;
    case op::hard_state: r.hs.vote = no_node, r.hs.commit = log_index{}; break;  // the record's second half never landed
    case op::install_snapshot: r.snap.data = bytes{}, r.snap.meta.term = cohort::term{}; break;
    case op::compact: r.index = log_index{r.index.value() >> 1}; break;
  }
}

inline void apply(log_image& img, const record& r) {
  switch (r.kind) {
    case op::append: {
      if (r.entries.empty()) return;
      const auto keep = static_cast<std::size_t>(r.entries.front().index - img.first_index());
      img.entries.resize(std::min(keep, img.entries.size()));
      img.entries.insert(img.entries.end(), r.entries.begin(), r.entries.end());
      return;
    }
    case op::hard_state: img.hs = r.hs; return;
    case op::install_snapshot: {
      const log_index i = r.snap.meta.index;
      std::vector<log_entry> kept;
      if (i >= img.first_index() && i <= img.last_index() &&
          img.entries[static_cast<std::size_t>((i - img.first_index()))].term == r.snap.meta.term) {
        kept.assign(img.entries.begin() + static_cast<std::ptrdiff_t>((i - img.first_index())) + 1,
                    img.entries.end());
      }
      img.entries = std::move(kept);
      img.snap = r.snap;
      img.base_index = i;
      img.base_term = r.snap.meta.term;
      return;
    }
    case op::compact: {
      const auto n = static_cast<std::size_t>((r.index - img.first_index())) + 1;
      img.base_term = img.entries[n - 1].term;
      img.base_index = r.index;
      img.entries.erase(img.entries.begin(), img.entries.begin() + static_cast<std::ptrdiff_t>(n));
      return;
    }
  }
}

}  // namespace detail

/// What a crash did.
struct crash_report {
  std::size_t unsynced = 0;  ///< records written but not durable
  std::size_t kept = 0;      ///< of those, records that reached the disk whole
  bool torn = false;         ///< the next one reached it half-written
};

class storage {
 public:
  explicit storage(xoshiro256ss rng, storage_options o = {}, scheduler* s = nullptr, trace* t = nullptr,
                   node_id owner = no_node)
      : rng_(rng), opts_(o), sched_(s), trace_(t), owner_(owner) {
    COHORT_ASSERT(o.validate().has_value(), "invalid storage options");
  }
  storage(const storage&) = delete;
  storage& operator=(const storage&) = delete;

  // ---- log_storage: reads ------------------------------------------------

  [[nodiscard]] hard_state load_hard_state() const noexcept { return live_.hs; }
  [[nodiscard]] log_index first_index() const noexcept { return live_.first_index(); }
  [[nodiscard]] log_index last_index() const noexcept { return live_.last_index(); }
  [[nodiscard]] result<term> term_at(log_index i) const {
    if (down_) return stopped();
    if (i < live_.base_index) return make_error(errc::compacted, "entry " + idx(i) + " is compacted");
    if (i > live_.last_index()) return make_error(errc::unavailable, "entry " + idx(i) + " is past the end");
    if (i == live_.base_index) return live_.base_term;
    return live_.entries[offset(i)].term;
  }
  result<void> entries(log_index lo, log_index hi, std::size_t max_bytes, std::vector<log_entry>& out) const {
    if (down_) return stopped();
    if (!(lo < hi)) return make_error(errc::invalid_argument, "empty or inverted range");
    if (lo < live_.first_index()) return make_error(errc::compacted, "entry " + idx(lo) + " is compacted");
    if (hi > live_.last_index() + 1) return make_error(errc::unavailable, "entry " + idx(hi - 1) + " is past the end");
    std::size_t total = 0;
    for (log_index i = lo; i < hi; ++i) {
      const log_entry& e = live_.entries[offset(i)];
      total += e.accounted_bytes();
      if (total > max_bytes && i != lo) break;
      out.push_back(e);
    }
    return success();
  }

  // ---- log_storage: writes -----------------------------------------------

  result<void> append(std::span<const log_entry> es) {
    if (auto v = writable(); !v.has_value()) return v;
    if (es.empty()) return success();
    if (es.front().index < live_.first_index() || es.front().index > live_.last_index() + 1)
      return make_error(errc::invalid_argument, "append at " + idx(es.front().index) + " outside [" +
                                                    idx(live_.first_index()) + ", " + idx(live_.last_index() + 1) + "]");
    for (std::size_t k = 1; k < es.size(); ++k)
      if (es[k].index != es[k - 1].index + 1 || es[k].term < es[k - 1].term)
        return make_error(errc::invalid_argument, "appended entries must be contiguous with non-decreasing terms");
    detail::record r;
    r.kind = detail::op::append;
    r.entries.assign(es.begin(), es.end());
    return write(std::move(r));
  }
  result<void> save_hard_state(const hard_state& hs) {
    if (auto v = writable(); !v.has_value()) return v;
    detail::record r;
    r.kind = detail::op::hard_state;
    r.hs = hs;
    return write(std::move(r));
  }
  result<void> sync() {
    if (auto v = writable(); !v.has_value()) return v;
    const std::uint64_t t = ++tickets_;
    complete(t, written_);
    return success();
  }

  // ---- async_log_storage -------------------------------------------------

  /// Durable after a drawn latency on the scheduler (at once without one).
  std::uint64_t request_sync() {
    const std::uint64_t t = ++tickets_;
    if (down_) return t;  // never completes: the node is down
    if (sched_ == nullptr) {
      complete(t, written_);
      return t;
    }
    const duration lat{static_cast<std::int64_t>(uniform_between(rng_,
        static_cast<std::uint64_t>(opts_.sync_latency_min.count()), static_cast<std::uint64_t>(opts_.sync_latency_max.count())))};
    last_sync_at_ = std::max(last_sync_at_, sched_->now() + lat);
    const std::uint64_t upto = written_, epoch = epoch_;
    sched_->at(last_sync_at_, [this, t, upto, epoch] {
      if (epoch == epoch_) complete(t, upto);
    });
    return t;
  }
  [[nodiscard]] std::uint64_t durable_ticket() const noexcept { return durable_ticket_; }

  // ---- snapshot_log_storage ----------------------------------------------

  [[nodiscard]] result<cohort::snapshot> snapshot() const {
    if (down_) return stopped();
    return live_.snap;
  }
  result<void> install_snapshot(const cohort::snapshot& sn) {
    if (auto v = writable(); !v.has_value()) return v;
    if (sn.meta.index < live_.snap.meta.index)
      return make_error(errc::invalid_argument, "snapshot at " + idx(sn.meta.index) + " is older than the one at " +
                                                    idx(live_.snap.meta.index));
    detail::record r;
    r.kind = detail::op::install_snapshot;
    r.snap = sn;
    return write(std::move(r));
  }
  result<void> compact(log_index i) {
    if (auto v = writable(); !v.has_value()) return v;
    if (i < live_.first_index()) return make_error(errc::compacted, "entry " + idx(i) + " is already compacted");
    if (i > live_.last_index()) return make_error(errc::unavailable, "entry " + idx(i) + " is past the end");
    detail::record r;
    r.kind = detail::op::compact;
    r.index = i;
    return write(std::move(r));
  }

  // ---- simulation controls -----------------------------------------------

  /// The node crashed: unsynced writes are lost per the crash mode; every
  /// call fails with errc::stopped until recover().
  crash_report crash() {
    crash_report rep;
    rep.unsynced = pending_.size();
    switch (opts_.mode) {
      case crash_mode::lose_unsynced: break;
      case crash_mode::lose_suffix: rep.kept = uniform_below(rng_, pending_.size() + 1); break;
      case crash_mode::torn_write:
        if (!pending_.empty()) {
          rep.kept = uniform_below(rng_, pending_.size());
          rep.torn = true;
        }
        break;
    }
    surviving_.assign(std::make_move_iterator(pending_.begin()),
                      std::make_move_iterator(pending_.begin() + static_cast<std::ptrdiff_t>(rep.kept + (rep.torn ? 1 : 0))));
    if (rep.torn) detail::tear(surviving_.back());
    pending_.clear();
    live_ = log_image{};
    down_ = true;
    ++epoch_;
    ++crashes_;
    return rep;
  }
  /// Restart after a crash: replays the records that reached the disk,
  /// verifying checksums; returns how many were rejected as torn.
  std::size_t recover() {
    std::size_t rejected = 0;
    for (auto& r : surviving_) {
      if (detail::checksum_of(r) != r.checksum) {
        ++rejected;
        break;  // nothing after a bad record can be trusted
      }
      detail::apply(durable_, r);
    }
    surviving_.clear();
    torn_detected_ += rejected;
    live_ = durable_;
    written_ = durable_count_ = 0;
    durable_ticket_ = tickets_;  // tickets issued before the crash are void; the next ones are larger
    down_ = false;
    return rejected;
  }

  [[nodiscard]] bool down() const noexcept { return down_; }
  /// What would survive a crash that loses every unsynced write.
  [[nodiscard]] const log_image& durable() const noexcept { return durable_; }
  /// What reads see.
  [[nodiscard]] const log_image& live() const noexcept { return live_; }
  [[nodiscard]] std::size_t unsynced_records() const noexcept { return pending_.size(); }
  [[nodiscard]] std::uint64_t crashes() const noexcept { return crashes_; }
  [[nodiscard]] std::uint64_t torn_writes_detected() const noexcept { return torn_detected_; }
  [[nodiscard]] const storage_options& options() const noexcept { return opts_; }

 private:
  static std::string idx(log_index i) { return std::to_string(i.value()); }
  static error stopped() { return make_error(errc::stopped, "storage is down (node crashed)"); }
  [[nodiscard]] std::size_t offset(log_index i) const noexcept {
    return static_cast<std::size_t>((i - live_.first_index()));
  }
  result<void> writable() {
    if (down_) return stopped();
    if (chance(rng_, opts_.write_failure_ppm, 1'000'000))
      return make_error(errc::storage_failure, "injected storage failure", owner_);
    return success();
  }
  result<void> write(detail::record r) {
    r.checksum = detail::checksum_of(r);
    detail::apply(live_, r);
    pending_.push_back(std::move(r));
    ++written_;
    return success();
  }
  // Makes records [durable_count_, upto) durable and ticket t complete.
  void complete(std::uint64_t t, std::uint64_t upto) {
    std::size_t done = 0;
    while (durable_count_ < upto && done < pending_.size()) {
      detail::apply(durable_, pending_[done++]);
      ++durable_count_;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
    durable_ticket_ = std::max(durable_ticket_, t);
    if (trace_ != nullptr && sched_ != nullptr) trace_->add(sched_->now(), trace_kind::sync, owner_, no_node, 0, t);
  }

  xoshiro256ss rng_;
  storage_options opts_;
  scheduler* sched_;
  trace* trace_;
  node_id owner_;
  log_image live_;
  log_image durable_;
  std::vector<detail::record> pending_;   // written, not yet durable, in order
  std::vector<detail::record> surviving_; // between crash() and recover()
  std::uint64_t written_ = 0;             // records written since the last restart
  std::uint64_t durable_count_ = 0;       // of those, durable
  std::uint64_t tickets_ = 0;
  std::uint64_t durable_ticket_ = 0;
  std::uint64_t epoch_ = 0;
  std::uint64_t crashes_ = 0;
  std::uint64_t torn_detected_ = 0;
  mono_time last_sync_at_{};
  bool down_ = false;
};

static_assert(log_storage<storage>);
static_assert(async_log_storage<storage>);
static_assert(snapshot_log_storage<storage>);

}  // namespace cohort::sim
