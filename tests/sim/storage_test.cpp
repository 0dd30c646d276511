#include <catch2/catch.hpp>

#include <cohort/sim/storage.hpp>

#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using cohort::errc;
using cohort::log_entry;
using cohort::log_index;
using cohort::term;
using cohort::sim::crash_mode;
using cohort::sim::storage;
using cohort::sim::storage_options;

namespace {

std::vector<log_entry> run_of(std::uint64_t from, std::uint64_t count, std::uint64_t t) {
  std::vector<log_entry> es;
  for (std::uint64_t i = 0; i < count; ++i)
    es.push_back(log_entry{log_index{from + i}, term{t}, cohort::entry_kind::normal,
                           cohort::bytes::copy_of(std::string(10, static_cast<char>('a' + (from + i) % 26)))});
  return es;
}

storage make(crash_mode m, std::uint64_t seed = 1) {
  storage_options o;
  o.mode = m;
  return storage(cohort::xoshiro256ss(seed), o);
}

}  // namespace

TEST_CASE("storage: reads follow the log_storage contract", "[sim][storage]") {
  storage s = make(crash_mode::lose_unsynced);
  CHECK(s.first_index() == log_index{1});
  CHECK(s.last_index() == log_index{0});
  CHECK(s.term_at(log_index{0}).value() == term{0});
  CHECK(s.term_at(log_index{1}).error().code == errc::unavailable);
  REQUIRE(s.append(run_of(1, 5, 1)).has_value());
  REQUIRE(s.append(run_of(6, 2, 2)).has_value());
  CHECK(s.last_index() == log_index{7});
  CHECK(s.term_at(log_index{6}).value() == term{2});
  std::vector<log_entry> out;
  REQUIRE(s.entries(log_index{2}, log_index{8}, 1000, out).has_value());
  CHECK(out.size() == 6);
  out.clear();
  REQUIRE(s.entries(log_index{2}, log_index{8}, 2 * (10 + log_entry::overhead_bytes), out).has_value());
  CHECK(out.size() == 2);
  out.clear();
  REQUIRE(s.entries(log_index{2}, log_index{8}, 0, out).has_value());
  CHECK(out.size() == 1);  // at least one
  out.clear();
  CHECK(s.entries(log_index{2}, log_index{9}, 1000, out).error().code == errc::unavailable);
  CHECK(out.empty());
  // Overwrite a suffix with a new term.
  REQUIRE(s.append(run_of(4, 1, 3)).has_value());
  CHECK(s.last_index() == log_index{4});
  CHECK(s.term_at(log_index{4}).value() == term{3});
}

TEST_CASE("storage: bad writes are refused and change nothing", "[sim][storage]") {
  storage s = make(crash_mode::lose_unsynced);
  REQUIRE(s.append(run_of(1, 3, 1)).has_value());
  const auto before = s.live();
  CHECK(s.append(run_of(5, 1, 1)).error().code == errc::invalid_argument);  // gap
  auto broken = run_of(2, 3, 1);
  broken[2].index = log_index{9};
  CHECK(s.append(broken).error().code == errc::invalid_argument);  // not contiguous
  auto backwards = run_of(2, 2, 2);
  backwards[1].term = term{1};
  CHECK(s.append(backwards).error().code == errc::invalid_argument);  // terms decrease
  CHECK(s.compact(log_index{4}).error().code == errc::unavailable);
  CHECK(s.live() == before);
  REQUIRE(s.compact(log_index{2}).has_value());
  CHECK(s.compact(log_index{1}).error().code == errc::compacted);
  CHECK(s.term_at(log_index{0}).error().code == errc::compacted);
  CHECK(s.term_at(log_index{2}).value() == term{1});  // the compaction point keeps its term
  CHECK(s.append(run_of(1, 1, 1)).error().code == errc::invalid_argument);
}

TEST_CASE("storage: a crash loses exactly the unsynced writes", "[sim][storage]") {
  storage s = make(crash_mode::lose_unsynced);
  REQUIRE(s.append(run_of(1, 3, 1)).has_value());
  REQUIRE(s.save_hard_state({term{1}, cohort::node_id{2}, log_index{2}}).has_value());
  REQUIRE(s.sync().has_value());
  REQUIRE(s.append(run_of(4, 3, 1)).has_value());
  REQUIRE(s.save_hard_state({term{2}, cohort::node_id{3}, log_index{5}}).has_value());
  CHECK(s.unsynced_records() == 2);
  const auto r = s.crash();
  CHECK(r.unsynced == 2);
  CHECK(r.kept == 0);
  CHECK(s.append(run_of(4, 1, 1)).error().code == errc::stopped);
  CHECK(s.recover() == 0);
  CHECK(s.last_index() == log_index{3});
  CHECK(s.load_hard_state() == cohort::hard_state{term{1}, cohort::node_id{2}, log_index{2}});
}

TEST_CASE("storage: lose_suffix keeps a prefix of the unsynced writes, never a gap", "[sim][storage]") {
  std::set<std::uint64_t> kept_counts;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    storage s = make(crash_mode::lose_suffix, seed);
    REQUIRE(s.append(run_of(1, 2, 1)).has_value());
    REQUIRE(s.sync().has_value());
    for (std::uint64_t i = 3; i <= 6; ++i) REQUIRE(s.append(run_of(i, 1, 1)).has_value());
    const auto r = s.crash();
    s.recover();
    CHECK(s.last_index() == log_index{2 + r.kept});
    kept_counts.insert(r.kept);
  }
  CHECK(kept_counts.size() == 5);  // 0..4 all happen
}

TEST_CASE("storage: a torn write is detected by its checksum and discarded", "[sim][storage]") {
  int torn_seen = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    storage s = make(crash_mode::torn_write, seed);
    REQUIRE(s.append(run_of(1, 2, 1)).has_value());
    REQUIRE(s.sync().has_value());
    REQUIRE(s.append(run_of(3, 4, 1)).has_value());  // multi-entry records: a tear truncates them
    REQUIRE(s.append(run_of(7, 4, 1)).has_value());
    const auto r = s.crash();
    REQUIRE(r.torn);
    CHECK(s.recover() == 1);
    ++torn_seen;
    CHECK(s.last_index() == log_index{2 + 4 * r.kept});  // whole records only
    CHECK(s.torn_writes_detected() == 1);
    // Entries that survive are intact.
    std::vector<log_entry> out;
    REQUIRE(s.entries(log_index{1}, s.last_index() + 1, 1 << 20, out).has_value());
    const auto expect = run_of(1, out.size(), 1);
    CHECK(out == expect);
  }
  CHECK(torn_seen == 40);
}

TEST_CASE("storage: asynchronous syncs complete in ticket order after a latency", "[sim][storage]") {
  cohort::sim::scheduler sched;
  storage_options o;
  o.sync_latency_min = 1ms;
  o.sync_latency_max = 5ms;
  storage s(cohort::xoshiro256ss(4), o, &sched);
  REQUIRE(s.append(run_of(1, 1, 1)).has_value());
  const auto t1 = s.request_sync();
  REQUIRE(s.append(run_of(2, 1, 1)).has_value());
  const auto t2 = s.request_sync();
  CHECK(t2 > t1);
  CHECK(s.durable_ticket() == 0);
  CHECK(s.durable().entries.empty());
  sched.run_for(std::chrono::microseconds(999));
  CHECK(s.durable_ticket() == 0);
  std::uint64_t last = 0;
  while (sched.step()) {
    CHECK(s.durable_ticket() >= last);
    last = s.durable_ticket();
    if (last == t1) CHECK(s.durable().entries.size() == 1);
  }
  CHECK(s.durable_ticket() == t2);
  CHECK(s.durable().entries.size() == 2);
}

TEST_CASE("storage: a sync requested before a crash never completes after it", "[sim][storage]") {
  cohort::sim::scheduler sched;
  storage s(cohort::xoshiro256ss(4), storage_options{}, &sched);
  REQUIRE(s.append(run_of(1, 1, 1)).has_value());
  (void)s.request_sync();
  s.crash();
  s.recover();
  sched.run_for(1s);
  CHECK(s.durable().entries.empty());
  CHECK(s.last_index() == log_index{0});
}

TEST_CASE("storage: snapshots replace the log, keeping a matching suffix", "[sim][storage]") {
  storage s = make(crash_mode::lose_unsynced);
  REQUIRE(s.append(run_of(1, 10, 1)).has_value());
  cohort::snapshot sn;
  sn.meta.index = log_index{6};
  sn.meta.term = term{1};
  sn.meta.config.voters = {cohort::node_id{1}, cohort::node_id{2}};
  sn.data = cohort::bytes::copy_of(std::string("state"));
  REQUIRE(s.install_snapshot(sn).has_value());
  CHECK(s.first_index() == log_index{7});
  CHECK(s.last_index() == log_index{10});
  CHECK(s.snapshot().value() == sn);
  sn.meta.index = log_index{12};
  sn.meta.term = term{4};
  REQUIRE(s.install_snapshot(sn).has_value());
  CHECK(s.first_index() == log_index{13});
  CHECK(s.last_index() == log_index{12});
  CHECK(s.term_at(log_index{12}).value() == term{4});
  sn.meta.index = log_index{8};
  CHECK(s.install_snapshot(sn).error().code == errc::invalid_argument);
  REQUIRE(s.sync().has_value());
  s.crash();
  s.recover();
  CHECK(s.first_index() == log_index{13});
}

TEST_CASE("storage: injected failures change nothing", "[sim][storage]") {
  storage_options o;
  o.write_failure_ppm = 500'000;
  storage s(cohort::xoshiro256ss(2), o);
  int failures = 0;
  std::uint64_t next = 1;
  for (int i = 0; i < 100; ++i) {
    const auto before = s.live();
    auto r = s.append(run_of(next, 1, 1));
    if (r) {
      ++next;
    } else {
      CHECK(r.error().code == errc::storage_failure);
      CHECK(s.live() == before);
      ++failures;
    }
  }
  CHECK(failures > 30);
  CHECK(failures < 70);
}
