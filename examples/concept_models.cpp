// Minimal models of each of cohort's concepts (core/concepts.hpp), the ones
// docs/concepts.md quotes. Each sits between `// [model:<concept>]` and
// `// [/model]` markers; a test checks that the doc quotes them verbatim.
// main() checks each model against its concept and exercises it.
#include <cohort/core.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <deque>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

namespace models {

using namespace cohort;

// [model:clock]
// A clock the caller moves by hand: handy in tests and for replaying a trace.
class manual_clock {
 public:
  mono_time now() const { return now_; }
  void advance(duration d) { now_ += d; }  // d >= 0 keeps now() monotonic

 private:
  mono_time now_{};
};
static_assert(cohort::clock<manual_clock>);
// [/model]

// [model:wall_clock]
// The operating system's clocks. Cores never read a global clock themselves;
// a program hands them this.
struct os_clocks {
  mono_time now() const {
    return mono_time{std::chrono::duration_cast<duration>(std::chrono::steady_clock::now().time_since_epoch())};
  }
  wall_time wall_now() const {
    return wall_time{std::chrono::duration_cast<duration>(std::chrono::system_clock::now().time_since_epoch())};
  }
};
static_assert(cohort::wall_clock<os_clocks>);
// [/model]

// [model:rng]
// Any 64-bit engine will do; cohort::xoshiro256ss is the toolkit's own.
class mt_rng {
 public:
  explicit mt_rng(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t next() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};
static_assert(cohort::rng<mt_rng>);
// [/model]

// [model:transport]
// Queues messages; the program's event loop delivers them later (a transport
// must never call back into the core from send()).
template <class Message>
class mailbox_transport {
 public:
  void send(node_id to, Message msg) { outbox_.emplace_back(to, std::move(msg)); }

  /// Hands every queued message to deliver(to, msg), oldest first.
  template <class Deliver>
  void flush(Deliver&& deliver) {
    while (!outbox_.empty()) {
      auto [to, msg] = std::move(outbox_.front());
      outbox_.pop_front();
      deliver(to, std::move(msg));
    }
  }

 private:
  std::deque<std::pair<node_id, Message>> outbox_;
};
struct ping {
  std::uint64_t seq = 0;
};
static_assert(cohort::transport<mailbox_transport<ping>, ping>);
// [/model]

// [model:log_storage]
// Entries in a vector after a compaction point (base_); nothing is ever lost,
// so sync() has nothing to do. Invariant: log_[k].index == base_.index + 1 + k.
class vector_storage {
 public:
  hard_state load_hard_state() const { return hard_; }
  log_index first_index() const { return base_.index + 1; }
  log_index last_index() const { return base_.index + log_.size(); }

  result<term> term_at(log_index i) const {
    if (i < base_.index) return make_error(errc::compacted, "below the compaction point");
    if (i > last_index()) return make_error(errc::unavailable, "past the last entry");
    return i == base_.index ? base_.term : at(i).term;
  }

  result<void> entries(log_index lo, log_index hi, std::size_t max_bytes, std::vector<log_entry>& out) const {
    if (lo < first_index()) return make_error(errc::compacted, "below the first entry");
    if (hi > last_index() + 1) return make_error(errc::unavailable, "past the last entry");
    std::size_t total = 0;
    for (log_index i = lo; i < hi; ++i) {
      total += at(i).accounted_bytes();
      if (total > max_bytes && i != lo) break;  // always at least one entry
      out.push_back(at(i));                     // shares the payload
    }
    return success();
  }

  result<void> append(std::span<const log_entry> es) {
    if (es.empty()) return success();
    const log_index from = es.front().index;
    if (from < first_index() || from > last_index() + 1) return make_error(errc::invalid_argument, "not contiguous");
    log_.resize(from - first_index());  // drop the conflicting suffix
    log_.insert(log_.end(), es.begin(), es.end());
    return success();
  }

  result<void> save_hard_state(const hard_state& hs) {
    hard_ = hs;
    return success();
  }
  result<void> sync() { return success(); }

 protected:
  const log_entry& at(log_index i) const { return log_[i - first_index()]; }

  hard_state hard_{};
  snapshot_meta base_{};  // index and term of the entry before the first
  std::vector<log_entry> log_;
};
static_assert(cohort::log_storage<vector_storage>);
// [/model]

// [model:async_log_storage]
// Syncs are requested now and complete later (here, when the program calls
// complete_syncs(), as a background flusher would).
class async_vector_storage : public vector_storage {
 public:
  std::uint64_t request_sync() { return ++requested_; }
  std::uint64_t durable_ticket() const { return durable_; }
  void complete_syncs() { durable_ = requested_; }

 private:
  std::uint64_t requested_ = 0;
  std::uint64_t durable_ = 0;
};
static_assert(cohort::async_log_storage<async_vector_storage>);
// [/model]

// [model:snapshot_log_storage]
// Keeps the latest snapshot and drops the entries it covers.
class snapshot_vector_storage : public vector_storage {
 public:
  result<cohort::snapshot> snapshot() const { return snap_; }

  result<void> install_snapshot(const cohort::snapshot& sn) {
    if (sn.meta.index < snap_.meta.index) return make_error(errc::invalid_argument, "older than the current one");
    const auto t = term_at(sn.meta.index);
    const bool keep_tail = t && *t == sn.meta.term;
    drop_through(keep_tail ? sn.meta.index : base_.index);
    if (!keep_tail) log_.clear();
    base_ = sn.meta;
    snap_ = sn;
    return success();
  }

  result<void> compact(log_index i) {
    if (i < first_index()) return make_error(errc::compacted, "already compacted");
    if (i > last_index()) return make_error(errc::unavailable, "past the last entry");
    const term t = at(i).term;
    drop_through(i);
    base_.index = i;
    base_.term = t;
    return success();
  }

 private:
  void drop_through(log_index i) { log_.erase(log_.begin(), log_.begin() + static_cast<long>(i - base_.index)); }

  cohort::snapshot snap_{};
};
static_assert(cohort::snapshot_log_storage<snapshot_vector_storage>);
// [/model]

// [model:state_machine]
// A counter; each command is a signed decimal delta ("+5", "-2"). A malformed
// command is committed anyway: it is refused in the result, never thrown.
class counter {
 public:
  result<std::int64_t> apply(const log_entry& e) {
    auto text = e.data.as_string_view();
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    std::int64_t delta = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), delta);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
      return make_error(errc::invalid_argument, "not a decimal delta");
    value_ += delta;
    return value_;
  }
  std::int64_t value() const { return value_; }

 protected:
  std::int64_t value_ = 0;
};
static_assert(cohort::state_machine<counter>);
// [/model]

// [model:snapshot_state_machine]
// The counter's whole state is 8 bytes (little-endian, so any replica can
// load it); anything else is not a snapshot of it.
class snapshot_counter : public counter {
 public:
  bytes snapshot() const {
    const auto u = static_cast<std::uint64_t>(value_);
    return bytes::build(8, [u](std::span<std::byte> out) {
      for (std::size_t i = 0; i < 8; ++i) out[i] = static_cast<std::byte>(u >> (8 * i));
    });
  }
  result<void> restore(const bytes& b) {
    if (b.size() != 8) return make_error(errc::corrupted, "a counter snapshot is 8 bytes");
    std::uint64_t u = 0;
    for (std::size_t i = 0; i < 8; ++i) u |= std::to_integer<std::uint64_t>(b[i]) << (8 * i);
    value_ = static_cast<std::int64_t>(u);
    return success();
  }
};
static_assert(cohort::snapshot_state_machine<snapshot_counter>);
// [/model]

// [model:observer]
// Counts events by kind: the start of a metrics exporter.
class counting_observer {
 public:
  void on_event(const event& ev) noexcept { ++counts_[static_cast<std::size_t>(ev.kind)]; }
  std::uint64_t count(event_kind k) const { return counts_[static_cast<std::size_t>(k)]; }

 private:
  std::array<std::uint64_t, static_cast<std::size_t>(event_kind::custom) + 1> counts_{};
};
static_assert(cohort::observer<counting_observer>);
// [/model]

}  // namespace models

namespace {

using namespace cohort;

int failures = 0;

void check(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  failures += ok ? 0 : 1;
}

log_entry entry(std::uint64_t index, std::uint64_t t, std::string_view data) {
  return {log_index{index}, term{t}, entry_kind::normal, bytes::copy_of(data)};
}

void exercise_clocks_and_rng() {
  models::manual_clock c;
  c.advance(std::chrono::milliseconds(5));
  check(c.now().time_since_epoch() == std::chrono::milliseconds(5), "manual_clock advances");
  models::os_clocks os;
  const auto a = os.now();
  check(os.now() >= a && os.wall_now().time_since_epoch().count() > 0, "os_clocks read the system");
  models::mt_rng r1(7), r2(7);
  check(r1.next() == r2.next() && uniform_below(r1, 6) < 6, "mt_rng is seeded and drives uniform_below");
}

void exercise_transport() {
  models::mailbox_transport<models::ping> t;
  t.send(node_id{2}, models::ping{1});
  t.send(node_id{3}, models::ping{2});
  std::uint64_t delivered = 0;
  t.flush([&](node_id to, models::ping p) { delivered += to.value() * 10 + p.seq; });
  check(delivered == 21 + 32, "mailbox_transport delivers on flush");
}

void exercise_storage() {
  models::snapshot_vector_storage s;
  const std::vector<log_entry> es{entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 2, "c")};
  check(s.append(es) && s.sync() && s.last_index() == log_index{3}, "vector_storage appends");
  std::vector<log_entry> out;
  check(s.entries(log_index{1}, log_index{4}, 0, out) && out.size() == 1, "entries returns at least one");
  check(s.compact(log_index{2}) && s.first_index() == log_index{3} && *s.term_at(log_index{2}) == term{1},
        "compact moves the first index");
  check(s.term_at(log_index{1}).error().code == errc::compacted, "compacted entries report errc::compacted");

  models::async_vector_storage a;
  check(a.append(es) && a.request_sync() == 1 && a.durable_ticket() == 0, "a sync is requested, not done");
  a.complete_syncs();
  check(a.durable_ticket() == 1, "the ticket becomes durable");
}

void exercise_state_machines() {
  models::snapshot_counter m;
  check(m.apply(entry(1, 1, "+5")) && *m.apply(entry(2, 1, "-2")) == 3, "counter applies deltas");
  check(!m.apply(entry(3, 1, "five")) && m.value() == 3, "a malformed command is refused, state unchanged");
  models::snapshot_counter copy;
  check(copy.restore(m.snapshot()) && copy.value() == 3, "snapshot_counter round-trips");
  check(copy.restore(bytes::copy_of("x")).error().code == errc::corrupted && copy.value() == 3,
        "bad snapshot bytes are refused, state unchanged");

  models::counting_observer o;
  o.on_event(event{event_kind::leader_changed});
  o.on_event(event{event_kind::leader_changed});
  check(o.count(event_kind::leader_changed) == 2 && o.count(event_kind::custom) == 0, "observer counts");
}

}  // namespace

int main() {
  exercise_clocks_and_rng();
  exercise_transport();
  exercise_storage();
  exercise_state_machines();
  std::printf("%s\n", failures == 0 ? "every model works" : "some models FAILED");
  return failures == 0 ? 0 : 1;
}
