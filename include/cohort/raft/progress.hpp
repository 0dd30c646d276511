// cohort/raft/progress.hpp - the leader's view of each follower.
//
// A follower's progress is in one of three states:
//   probe      the leader does not know where the follower's log matches; it
//              sends one append per heartbeat (or per response) and waits;
//   replicate  the logs match up to `match`; the leader streams appends
//              optimistically (next = last sent + 1) within the in-flight window;
//   snapshot   the follower needs a snapshot (issue 6); nothing else is sent.
// Invariants: match < next; in replicate, every in-flight append ends in
// (match, next - 1]; the window holds at most `capacity` messages and, if
// bytes_max > 0, at most bytes_max bytes (but always admits one message).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "cohort/core/assert.hpp"
#include "cohort/core/types.hpp"

namespace cohort::raft {

/// A ring of the last index of each append in flight, with its size.
class inflights {
 public:
  inflights(std::size_t capacity = 256, std::size_t bytes_max = 0) : cap_(capacity), bytes_max_(bytes_max) {}

  [[nodiscard]] bool full() const noexcept {
    return count_ == cap_ || (bytes_max_ != 0 && count_ != 0 && bytes_ >= bytes_max_);
  }
  [[nodiscard]] std::size_t count() const noexcept { return count_; }
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }

  void add(log_index last, std::size_t bytes) {
    COHORT_ASSERT(count_ < cap_, "inflights: add to a full window");
    if (ring_.size() < cap_) ring_.resize(cap_);
    ring_[(start_ + count_) % cap_] = slot{last, bytes};
    ++count_;
    bytes_ += bytes;
  }
  /// Frees every append ending at or before `index` (acknowledged).
  void free_le(log_index index) noexcept {
    while (count_ != 0 && ring_[start_].last <= index) {
      bytes_ -= ring_[start_].bytes;
      start_ = (start_ + 1) % cap_;
      --count_;
    }
  }
  /// Frees the oldest append (it was probably lost): lets one more through.
  void free_first_one() noexcept {
    if (count_ == 0) return;
    bytes_ -= ring_[start_].bytes;
    start_ = (start_ + 1) % cap_;
    --count_;
  }
  void reset() noexcept { count_ = start_ = bytes_ = 0; }

 private:
  struct slot {
    log_index last{};
    std::size_t bytes = 0;
  };
  std::size_t cap_;
  std::size_t bytes_max_;
  std::vector<slot> ring_;
  std::size_t start_ = 0;
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
};

enum class progress_state : std::uint8_t { probe, replicate, snapshot };

constexpr std::string_view name_of(progress_state s) noexcept {
  switch (s) {
    case progress_state::probe: return "probe";
    case progress_state::replicate: return "replicate";
    case progress_state::snapshot: return "snapshot";
  }
  return "unknown";
}

struct progress {
  node_id id{};
  log_index match{};
  log_index next{1};
  progress_state state = progress_state::probe;
  bool probe_sent = false;     ///< probe: an append is out, wait for its answer or a heartbeat response
  bool recent_active = false;  ///< heard from since the last check-quorum round
  bool learner = false;
  log_index pending_snapshot{};
  inflights window{};

  void become_probe() noexcept {
    const log_index from = state == progress_state::snapshot ? std::max(match, pending_snapshot) : match;
    state = progress_state::probe;
    next = from + 1;
    probe_sent = false;
    window.reset();
  }
  void become_replicate() noexcept {
    state = progress_state::replicate;
    next = match + 1;
    probe_sent = false;
    window.reset();
  }
  /// An acknowledgement up to n; true if match moved.
  bool maybe_update(log_index n) noexcept {
    bool moved = false;
    if (match < n) {
      match = n;
      moved = true;
      probe_sent = false;
    }
    if (next < n + 1) next = n + 1;
    return moved;
  }
  /// A rejection of the append whose previous index was `rejected`; the
  /// follower suggests retrying after `hint`. False if the rejection is stale.
  bool maybe_decrease_to(log_index rejected, log_index hint) noexcept {
    if (state == progress_state::replicate) {
      if (rejected <= match) return false;  // an old append; a later one has matched already
      next = match + 1;
      return true;
    }
    if (next != rejected + 1) return false;  // not the probe we are waiting for
    next = std::max(std::min(rejected, hint + 1), match + 1);
    probe_sent = false;
    return true;
  }
  [[nodiscard]] bool paused() const noexcept {
    switch (state) {
      case progress_state::probe: return probe_sent;
      case progress_state::replicate: return window.full();
      case progress_state::snapshot: return true;
    }
    return true;
  }
  /// Records an append ending at `last` carrying `bytes`.
  void sent(log_index last, std::size_t bytes, bool carried_entries) {
    if (state == progress_state::replicate) {
      if (carried_entries) {
        next = last + 1;
        window.add(last, bytes);
      }
    } else if (state == progress_state::probe) {
      probe_sent = true;
    }
  }
};

}  // namespace cohort::raft
