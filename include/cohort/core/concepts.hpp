// cohort/core/concepts.hpp - what cohort's cores need from the outside world.
//
// Every component is a template over these concepts; the toolkit itself does
// no I/O, reads no global clock and draws no global randomness. Each concept's
// comment below is its contract: what the core calls, with which ranges, who
// owns what, which errors may come back and how the core reacts, and what is
// *not* required. The syntactic requirements are checked by the compiler; the
// semantic ones are checked by the simulator and the tests.
//
// Models in the toolkit sit beside a static_assert of their concept; the tests
// instantiate every component with archetypes that model exactly one concept.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cohort/core/bytes.hpp"
#include "cohort/core/event.hpp"
#include "cohort/core/log.hpp"
#include "cohort/core/result.hpp"
#include "cohort/core/time.hpp"
#include "cohort/core/types.hpp"

namespace cohort {

// ---------------------------------------------------------------------------
// clock
//
// `c.now()` returns a `mono_time` that never decreases between two calls on
// the same object (it may stay equal). Its epoch is arbitrary, its rate may
// drift from real time by a bounded amount that the user states in the
// configuration of any component that depends on it (leases).
// Required: cheap (called per tick or per lease check), no side effects a
// core could observe. Not required: agreement between nodes, calendar
// meaning, thread safety (a core calls it from the thread that drives it).
template <class C>
concept clock = requires(C& c) {
  { c.now() } -> std::same_as<mono_time>;
};

// wall_clock: a clock that also gives a calendar reading. `c.wall_now()` may
// jump backwards or forwards (NTP steps); cores use it only for display and
// where a protocol explicitly bounds clock error.
template <class C>
concept wall_clock = clock<C> && requires(C& c) {
  { c.wall_now() } -> std::same_as<wall_time>;
};

// ---------------------------------------------------------------------------
// rng
//
// `r.next()` returns 64 bits, each uniformly distributed and independent of
// earlier draws to the degree a simulation or a randomized timeout needs (not
// cryptographic). Deterministic for a given seed if the user wants replayable
// runs: cores draw from it in a fixed order for a fixed input sequence.
// Derived draws (`uniform_below`, `chance`) are in core/random.hpp.
// Not required: thread safety, a particular algorithm.
template <class R>
concept rng = requires(R& r) {
  { r.next() } -> std::same_as<std::uint64_t>;
};

// ---------------------------------------------------------------------------
// transport<Message>
//
// `t.send(to, std::move(msg))` hands one message, by value, to the transport
// for delivery to node `to` (never the sender itself). Ownership passes to the
// transport. The return value, if any, is ignored.
// Delivery is best effort: the transport may delay, reorder, duplicate or drop
// messages, and cores are correct under all of that (lost messages are
// retransmitted by timeouts). It must not deliver a message that was never
// sent, nor alter one (use a checksummed encoding over real networks).
// Must not call back into the core synchronously (queue the message instead).
// Messages are plain aggregates of fixed-width fields, vectors and `bytes`,
// so a transport may encode them field by field.
// Not required: ordering, reliability, flow control, thread safety.
template <class T, class Message>
concept transport = std::movable<Message> && requires(T& t, node_id to, Message&& msg) {
  t.send(to, static_cast<Message&&>(msg));
};

// ---------------------------------------------------------------------------
// log_storage
//
// The persistent log and hard state of one consensus node. Indexes are
// contiguous: the storage holds entries [first_index(), last_index()] (empty
// when last_index() == first_index() - 1) and knows the term of the entry just
// before first_index() (the compaction point or snapshot, index 0 term 0 for a
// fresh log).
//
// Reads (called by the core, must be consistent with all writes made so far,
// durable or not):
//   cs.load_hard_state()         the latest saved hard_state.
//   cs.first_index(), cs.last_index().
//   cs.term_at(i)                term of entry i for first_index()-1 <= i <= last_index();
//                                errc::compacted for i < first_index()-1,
//                                errc::unavailable for i > last_index().
//   cs.entries(lo, hi, max_bytes, out)
//                                appends entries [lo, hi) to `out` (lo < hi,
//                                first_index() <= lo, hi <= last_index()+1),
//                                stopping before the total accounted_bytes()
//                                would exceed max_bytes, but always at least one
//                                entry. errc::compacted / errc::unavailable as
//                                above, leaving `out` unchanged.
// Writes (called by the driver with what the core asked to persist):
//   s.append(es)                 es is contiguous and es.front().index <=
//                                last_index()+1 and >= first_index(); any
//                                entries at or after es.front().index are
//                                replaced. Not durable until a sync.
//   s.save_hard_state(hs)        not durable until a sync.
//   s.sync()                     returns once every earlier write is durable.
// Errors from writes and sync are errc::storage_failure (or errc::invalid_argument
// for a broken precondition); the driver stops the node on either, because a
// node that cannot persist must not vote or acknowledge. Reads may return
// errc::storage_failure too; the core then stops as well.
// Ownership: `bytes` payloads are shared, not copied; the storage may keep them.
// Not required: thread safety, a particular on-disk format, durability of
// anything not followed by a successful sync.
template <class S>
concept log_storage =
    requires(S& s, const S& cs, log_index i, std::size_t max_bytes, std::vector<log_entry>& out,
             std::span<const log_entry> es, const hard_state& hs) {
      { cs.load_hard_state() } -> std::same_as<hard_state>;
      { cs.first_index() } -> std::same_as<log_index>;
      { cs.last_index() } -> std::same_as<log_index>;
      { cs.term_at(i) } -> std::same_as<result<term>>;
      { cs.entries(i, i, max_bytes, out) } -> std::same_as<result<void>>;
      { s.append(es) } -> std::same_as<result<void>>;
      { s.save_hard_state(hs) } -> std::same_as<result<void>>;
      { s.sync() } -> std::same_as<result<void>>;
    };

// async_log_storage: storage whose durability completes in the background.
//   s.request_sync()   starts making every earlier write durable and returns a
//                      ticket, strictly greater than any ticket returned before.
//   cs.durable_ticket() the greatest ticket whose writes are durable (0 if none);
//                      never decreases except across a crash and restart.
// The driver persists a batch, requests a sync, keeps going, and acknowledges
// the batch to the core once durable_ticket() reaches its ticket.
template <class S>
concept async_log_storage = log_storage<S> && requires(S& s, const S& cs) {
  { s.request_sync() } -> std::same_as<std::uint64_t>;
  { cs.durable_ticket() } -> std::same_as<std::uint64_t>;
};

// snapshot_log_storage: storage that also keeps a snapshot and can compact.
//   cs.snapshot()          the latest snapshot (empty() if none), or
//                          errc::snapshot_unavailable while one is being made
//                          (the core retries later).
//   s.install_snapshot(sn) replaces the log with sn: afterwards first_index() ==
//                          sn.meta.index + 1 and term_at(sn.meta.index) ==
//                          sn.meta.term; entries after sn.meta.index are kept if
//                          the entry at sn.meta.index has term sn.meta.term, else
//                          dropped. errc::invalid_argument if sn is older than the
//                          current snapshot. Not durable until a sync.
//   s.compact(i)           discards entries up to and including i (i must be
//                          applied and <= last_index()); errc::compacted if
//                          i < first_index(), errc::unavailable if i > last_index().
template <class S>
concept snapshot_log_storage = log_storage<S> && requires(S& s, const S& cs, const snapshot& sn, log_index i) {
  { cs.snapshot() } -> std::same_as<result<snapshot>>;
  { s.install_snapshot(sn) } -> std::same_as<result<void>>;
  { s.compact(i) } -> std::same_as<result<void>>;
};

// ---------------------------------------------------------------------------
// state_machine
//
// `m.apply(e)` applies one committed entry. The node driver calls it once per
// committed entry that carries a command (kind normal, non-empty data: a new
// leader's empty entry and membership entries are not passed), in index
// order, never concurrently; after a restart it replays from the log's start
// unless the state machine was restored from a snapshot. It must be deterministic: the same entries in the same order
// give the same state on every replica. The returned value, if any, goes back
// to the node where the entry was proposed (raft::node::take_outcomes(); e.g. a
// lock service's grant). It must not
// throw for any payload: a malformed command is the state machine's to reject
// in its result, since the entry is committed whatever it contains.
// Not required: snapshots (see snapshot_state_machine), thread safety.
template <class M>
concept state_machine = requires(M& m, const log_entry& e) { m.apply(e); };

// snapshot_state_machine: a state machine that can serialize and restore
// itself. `cm.snapshot()` returns its whole state as bytes (as of the last
// applied entry); `m.restore(b)` replaces its state with a snapshot's bytes,
// or returns errc::corrupted (leaving its state unchanged) if they are invalid.
template <class M>
concept snapshot_state_machine = state_machine<M> && requires(M& m, const M& cm, const bytes& b) {
  { cm.snapshot() } -> std::same_as<bytes>;
  { m.restore(b) } -> std::same_as<result<void>>;
};

// ---------------------------------------------------------------------------
// observer
//
// `o.on_event(ev)` receives every event a core reports (core/event.hpp),
// synchronously and in order. It must be cheap, must not throw and must not
// call back into the reporting core. `null_observer` ignores everything and
// costs nothing once inlined.
template <class O>
concept observer = requires(O& o, const event& ev) { o.on_event(ev); };

struct null_observer {
  constexpr void on_event(const event&) const noexcept {}
};
static_assert(observer<null_observer>);

}  // namespace cohort
