// tests/support/archetypes.hpp - minimal models of cohort's concepts.
//
// Each archetype provides exactly the members its concept requires (plus a
// constructor), nothing more: a component instantiated with one can only use
// what the concept promises. Refinements necessarily model their base concept
// too (an async_log_storage is a log_storage), but no archetype models a
// sibling refinement (the snapshot storage has no request_sync).
//
// Every archetype takes a `missing` parameter naming one member to leave out
// (`missing::none` by default). Each member carries a requires-clause, so
// `clock_archetype<missing::now>` is the same type minus `now()`: the negative
// case of its concept (see tests/core/concepts_test.cpp).
//
// Test-side state is reached through pointers handed to the constructor (the
// clock reads a time the test moves, the transport appends to the test's
// vector), so that inspecting an archetype adds no member to it.
#pragma once

#include <cohort/core/concepts.hpp>
#include <cohort/core/random.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cohort_test {

/// The member an archetype leaves out; `none` for the full model.
enum class missing {
  none,
  now,
  wall_now,
  next,
  send,
  load_hard_state,
  first_index,
  last_index,
  term_at,
  entries,
  append,
  save_hard_state,
  sync,
  request_sync,
  durable_ticket,
  snapshot,
  install_snapshot,
  compact,
  apply,
  restore,
  on_event,
};

/// A clock reading `*source`, which the test advances (and keeps monotonic).
template <missing Missing = missing::none>
class clock_archetype {
 public:
  explicit clock_archetype(const cohort::mono_time* source) : source_(source) {}
  cohort::mono_time now()
    requires(Missing != missing::now)
  {
    return *source_;
  }

 private:
  const cohort::mono_time* source_;
};

/// A wall clock: a monotonic reading and a calendar reading, both test-driven.
template <missing Missing = missing::none>
class wall_clock_archetype {
 public:
  wall_clock_archetype(const cohort::mono_time* mono, const cohort::wall_time* wall) : mono_(mono), wall_(wall) {}
  cohort::mono_time now()
    requires(Missing != missing::now)
  {
    return *mono_;
  }
  cohort::wall_time wall_now()
    requires(Missing != missing::wall_now)
  {
    return *wall_;
  }

 private:
  const cohort::mono_time* mono_;
  const cohort::wall_time* wall_;
};

/// A seeded generator (SplitMix64 underneath, so draws are reproducible).
template <missing Missing = missing::none>
class rng_archetype {
 public:
  explicit rng_archetype(std::uint64_t seed) : gen_(seed) {}
  std::uint64_t next()
    requires(Missing != missing::next)
  {
    return gen_.next();
  }

 private:
  cohort::splitmix64 gen_;
};

/// A transport that appends every (destination, message) to the test's vector.
template <class Message, missing Missing = missing::none>
class transport_archetype {
 public:
  using sent_list = std::vector<std::pair<cohort::node_id, Message>>;
  explicit transport_archetype(sent_list* sink) : sink_(sink) {}
  void send(cohort::node_id to, Message msg)
    requires(Missing != missing::send)
  {
    sink_->emplace_back(to, std::move(msg));
  }

 private:
  sent_list* sink_;
};

/// A message type a transport can carry: movable, not copyable.
struct move_only_message {
  std::uint64_t tag = 0;
  cohort::bytes payload;
  move_only_message() = default;
  move_only_message(std::uint64_t t, cohort::bytes p) : tag(t), payload(std::move(p)) {}
  move_only_message(move_only_message&&) = default;
  move_only_message& operator=(move_only_message&&) = default;
  move_only_message(const move_only_message&) = delete;
  move_only_message& operator=(const move_only_message&) = delete;
};

namespace detail {

/// The in-memory log behind the storage archetypes; follows the contract of
/// cohort::log_storage (and the snapshot operations of snapshot_log_storage).
/// Invariant: log[k].index == snap.meta.index + 1 + k.
class memory_log {
 public:
  cohort::hard_state hard{};
  cohort::snapshot snap{};
  std::vector<cohort::log_entry> log;

  cohort::log_index first() const { return snap.meta.index + 1; }
  cohort::log_index last() const { return snap.meta.index + log.size(); }

  cohort::result<cohort::term> term_at(cohort::log_index i) const {
    if (i < snap.meta.index) return cohort::make_error(cohort::errc::compacted, "index below the snapshot");
    if (i > last()) return cohort::make_error(cohort::errc::unavailable, "index past the last entry");
    if (i == snap.meta.index) return snap.meta.term;
    return log[i - first()].term;
  }

  cohort::result<void> entries(cohort::log_index lo, cohort::log_index hi, std::size_t max_bytes,
                               std::vector<cohort::log_entry>& out) const {
    if (lo >= hi) return cohort::make_error(cohort::errc::invalid_argument, "empty range");
    if (lo < first()) return cohort::make_error(cohort::errc::compacted, "lo below the first entry");
    if (hi > last() + 1) return cohort::make_error(cohort::errc::unavailable, "range past the log");
    std::size_t total = 0;
    for (auto i = lo; i < hi; ++i) {
      const auto& e = log[i - first()];
      total += e.accounted_bytes();
      if (total > max_bytes && i != lo) break;
      out.push_back(e);
    }
    return cohort::success();
  }

  cohort::result<void> append(std::span<const cohort::log_entry> es) {
    if (es.empty()) return cohort::success();
    const auto at = es.front().index;
    if (at < first() || at > last() + 1) return cohort::make_error(cohort::errc::invalid_argument, "append gap");
    log.erase(log.begin() + static_cast<std::ptrdiff_t>(at - first()), log.end());
    log.insert(log.end(), es.begin(), es.end());
    return cohort::success();
  }

  cohort::result<void> install(const cohort::snapshot& sn) {
    if (sn.meta.index < snap.meta.index) return cohort::make_error(cohort::errc::invalid_argument, "older snapshot");
    const auto t = term_at(sn.meta.index);
    const bool keep_tail = t && *t == sn.meta.term;
    if (keep_tail) {
      log.erase(log.begin(), log.begin() + static_cast<std::ptrdiff_t>(sn.meta.index - snap.meta.index));
    } else {
      log.clear();
    }
    snap = sn;
    return cohort::success();
  }

  cohort::result<void> compact(cohort::log_index i) {
    if (i < first()) return cohort::make_error(cohort::errc::compacted, "already compacted");
    if (i > last()) return cohort::make_error(cohort::errc::unavailable, "past the last entry");
    const auto t = log[i - first()].term;
    log.erase(log.begin(), log.begin() + static_cast<std::ptrdiff_t>(i - snap.meta.index));
    snap.meta.index = i;
    snap.meta.term = t;
    return cohort::success();
  }
};

}  // namespace detail

/// A log_storage over memory_log: every write is "durable" at the next sync().
template <missing Missing = missing::none>
class log_storage_archetype {
 public:
  log_storage_archetype() = default;

  cohort::hard_state load_hard_state() const
    requires(Missing != missing::load_hard_state)
  {
    return m_.hard;
  }
  cohort::log_index first_index() const
    requires(Missing != missing::first_index)
  {
    return m_.first();
  }
  cohort::log_index last_index() const
    requires(Missing != missing::last_index)
  {
    return m_.last();
  }
  cohort::result<cohort::term> term_at(cohort::log_index i) const
    requires(Missing != missing::term_at)
  {
    return m_.term_at(i);
  }
  cohort::result<void> entries(cohort::log_index lo, cohort::log_index hi, std::size_t max_bytes,
                               std::vector<cohort::log_entry>& out) const
    requires(Missing != missing::entries)
  {
    return m_.entries(lo, hi, max_bytes, out);
  }
  cohort::result<void> append(std::span<const cohort::log_entry> es)
    requires(Missing != missing::append)
  {
    return m_.append(es);
  }
  cohort::result<void> save_hard_state(const cohort::hard_state& hs)
    requires(Missing != missing::save_hard_state)
  {
    m_.hard = hs;
    return cohort::success();
  }
  cohort::result<void> sync()
    requires(Missing != missing::sync)
  {
    return cohort::success();
  }

 protected:
  detail::memory_log m_;
};

/// A log_storage whose syncs are requested and complete by ticket. Here a
/// requested sync completes at once; the ticket still counts up strictly.
template <missing Missing = missing::none>
class async_log_storage_archetype : public log_storage_archetype<Missing> {
 public:
  std::uint64_t request_sync()
    requires(Missing != missing::request_sync)
  {
    return ++ticket_;
  }
  std::uint64_t durable_ticket() const
    requires(Missing != missing::durable_ticket)
  {
    return ticket_;
  }

 private:
  std::uint64_t ticket_ = 0;
};

/// A log_storage that keeps a snapshot and compacts.
template <missing Missing = missing::none>
class snapshot_log_storage_archetype : public log_storage_archetype<Missing> {
 public:
  cohort::result<cohort::snapshot> snapshot() const
    requires(Missing != missing::snapshot)
  {
    return this->m_.snap;
  }
  cohort::result<void> install_snapshot(const cohort::snapshot& sn)
    requires(Missing != missing::install_snapshot)
  {
    return this->m_.install(sn);
  }
  cohort::result<void> compact(cohort::log_index i)
    requires(Missing != missing::compact)
  {
    return this->m_.compact(i);
  }
};

/// A state machine that appends each applied payload to the test's string.
template <missing Missing = missing::none>
class state_machine_archetype {
 public:
  explicit state_machine_archetype(std::string* applied) : applied_(applied) {}
  void apply(const cohort::log_entry& e)
    requires(Missing != missing::apply)
  {
    applied_->append(e.data.as_string_view());
  }

 private:
  std::string* applied_;
};

/// A state machine whose state is the concatenation of applied payloads. Its
/// snapshot is 'S' followed by that text; restore() refuses anything else.
template <missing Missing = missing::none>
class snapshot_state_machine_archetype {
 public:
  void apply(const cohort::log_entry& e)
    requires(Missing != missing::apply)
  {
    state_.append(e.data.as_string_view());
  }
  cohort::bytes snapshot() const
    requires(Missing != missing::snapshot)
  {
    return cohort::bytes::copy_of("S" + state_);
  }
  cohort::result<void> restore(const cohort::bytes& b)
    requires(Missing != missing::restore)
  {
    const auto text = b.as_string_view();
    if (text.empty() || text.front() != 'S') return cohort::make_error(cohort::errc::corrupted, "no 'S' header");
    state_.assign(text.substr(1));
    return cohort::success();
  }

 private:
  std::string state_;
};

/// An observer that appends every event to the test's vector.
template <missing Missing = missing::none>
class observer_archetype {
 public:
  explicit observer_archetype(std::vector<cohort::event>* sink) : sink_(sink) {}
  void on_event(const cohort::event& ev)
    requires(Missing != missing::on_event)
  {
    sink_->push_back(ev);
  }

 private:
  std::vector<cohort::event>* sink_;
};

}  // namespace cohort_test
