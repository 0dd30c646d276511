// The concepts of core/concepts.hpp against the archetypes of
// tests/support/archetypes.hpp: each archetype models its concept, the same
// archetype minus any one required member does not, and no archetype models a
// concept it was not written for.
#include <cohort/core/concepts.hpp>

#include <catch2/catch.hpp>

#include "support/archetypes.hpp"

using cohort_test::missing;
namespace ct = cohort_test;

namespace {

struct plain_message {
  std::uint64_t value = 0;
};
using msg = plain_message;

// Types with a member of the right name but the wrong shape.
struct clock_with_wall_reading {
  cohort::wall_time now();
};
struct clock_with_integer_reading {
  std::int64_t now();
};
struct rng_with_32_bits {
  std::uint32_t next();
};
struct transport_taking_lvalue {
  void send(cohort::node_id, msg&);
};
struct transport_taking_raw_id {
  void send(std::uint64_t, msg);
};
struct unmovable_message {
  unmovable_message(unmovable_message&&) = delete;
};
struct observer_taking_mutable_event {
  void on_event(cohort::event&);
};
struct state_machine_mutating_entry {
  void apply(cohort::log_entry&);
};

}  // namespace

TEST_CASE("clock: the archetype models clock, not wall_clock; dropping now() breaks it", "[concepts]") {
  STATIC_REQUIRE(cohort::clock<ct::clock_archetype<>>);
  STATIC_REQUIRE_FALSE(cohort::wall_clock<ct::clock_archetype<>>);
  STATIC_REQUIRE_FALSE(cohort::clock<ct::clock_archetype<missing::now>>);
  STATIC_REQUIRE_FALSE(cohort::clock<clock_with_wall_reading>);
  STATIC_REQUIRE_FALSE(cohort::clock<clock_with_integer_reading>);

  cohort::mono_time t{cohort::duration{5}};
  ct::clock_archetype<> c(&t);
  CHECK(c.now() == t);
  t += cohort::duration{10};
  CHECK(c.now().time_since_epoch().count() == 15);
}

TEST_CASE("wall_clock: the archetype models wall_clock; dropping either reading breaks it", "[concepts]") {
  STATIC_REQUIRE(cohort::wall_clock<ct::wall_clock_archetype<>>);
  STATIC_REQUIRE(cohort::clock<ct::wall_clock_archetype<>>);  // a refinement
  STATIC_REQUIRE_FALSE(cohort::wall_clock<ct::wall_clock_archetype<missing::wall_now>>);
  STATIC_REQUIRE(cohort::clock<ct::wall_clock_archetype<missing::wall_now>>);
  STATIC_REQUIRE_FALSE(cohort::wall_clock<ct::wall_clock_archetype<missing::now>>);
  STATIC_REQUIRE_FALSE(cohort::clock<ct::wall_clock_archetype<missing::now>>);

  cohort::mono_time m{cohort::duration{1}};
  cohort::wall_time w{cohort::duration{2}};
  ct::wall_clock_archetype<> c(&m, &w);
  CHECK(c.now() == m);
  CHECK(c.wall_now() == w);
}

TEST_CASE("rng: the archetype models rng; dropping next() or narrowing it breaks it", "[concepts]") {
  STATIC_REQUIRE(cohort::rng<ct::rng_archetype<>>);
  STATIC_REQUIRE(cohort::rng<cohort::xoshiro256ss>);
  STATIC_REQUIRE(cohort::rng<cohort::splitmix64>);
  STATIC_REQUIRE_FALSE(cohort::rng<ct::rng_archetype<missing::next>>);
  STATIC_REQUIRE_FALSE(cohort::rng<rng_with_32_bits>);

  ct::rng_archetype<> a(7);
  ct::rng_archetype<> b(7);
  CHECK(a.next() == b.next());
}

TEST_CASE("transport: the archetype models transport<M>; dropping send() breaks it", "[concepts]") {
  STATIC_REQUIRE(cohort::transport<ct::transport_archetype<msg>, msg>);
  STATIC_REQUIRE(cohort::transport<ct::transport_archetype<ct::move_only_message>, ct::move_only_message>);
  STATIC_REQUIRE_FALSE(cohort::transport<ct::transport_archetype<msg, missing::send>, msg>);
  // A transport of one message type is not a transport of another.
  STATIC_REQUIRE_FALSE(cohort::transport<ct::transport_archetype<msg>, ct::move_only_message>);
  // send must accept an rvalue and a node_id (not a raw integer).
  STATIC_REQUIRE_FALSE(cohort::transport<transport_taking_lvalue, msg>);
  STATIC_REQUIRE_FALSE(cohort::transport<transport_taking_raw_id, msg>);
  // Messages must be movable.
  STATIC_REQUIRE_FALSE(cohort::transport<ct::transport_archetype<msg>, unmovable_message>);

  ct::transport_archetype<ct::move_only_message>::sent_list sent;
  ct::transport_archetype<ct::move_only_message> t(&sent);
  t.send(cohort::node_id{2}, ct::move_only_message{9, cohort::bytes::copy_of("hi")});
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].first == cohort::node_id{2});
  CHECK(sent[0].second.tag == 9);
  CHECK(sent[0].second.payload.as_string_view() == "hi");
}

TEST_CASE("log_storage: the archetype models it; each of its eight members is required", "[concepts]") {
  using cohort::log_storage;
  STATIC_REQUIRE(log_storage<ct::log_storage_archetype<>>);
  STATIC_REQUIRE_FALSE(cohort::async_log_storage<ct::log_storage_archetype<>>);
  STATIC_REQUIRE_FALSE(cohort::snapshot_log_storage<ct::log_storage_archetype<>>);
  STATIC_REQUIRE_FALSE(log_storage<ct::log_storage_archetype<missing::load_hard_state>>);
  STATIC_REQUIRE_FALSE(log_storage<ct::log_storage_archetype<missing::first_index>>);
  STATIC_REQUIRE_FALSE(log_storage<ct::log_storage_archetype<missing::last_index>>);
  STATIC_REQUIRE_FALSE(log_storage<ct::log_storage_archetype<missing::term_at>>);
  STATIC_REQUIRE_FALSE(log_storage<ct::log_storage_archetype<missing::entries>>);
  STATIC_REQUIRE_FALSE(log_storage<ct::log_storage_archetype<missing::append>>);
  STATIC_REQUIRE_FALSE(log_storage<ct::log_storage_archetype<missing::save_hard_state>>);
  STATIC_REQUIRE_FALSE(log_storage<ct::log_storage_archetype<missing::sync>>);
  // Dropping a member the concept does not name changes nothing.
  STATIC_REQUIRE(log_storage<ct::log_storage_archetype<missing::request_sync>>);
}

TEST_CASE("async_log_storage: the archetype models it, not snapshot storage; each member is required",
          "[concepts]") {
  using cohort::async_log_storage;
  STATIC_REQUIRE(async_log_storage<ct::async_log_storage_archetype<>>);
  STATIC_REQUIRE(cohort::log_storage<ct::async_log_storage_archetype<>>);
  STATIC_REQUIRE_FALSE(cohort::snapshot_log_storage<ct::async_log_storage_archetype<>>);
  STATIC_REQUIRE_FALSE(async_log_storage<ct::async_log_storage_archetype<missing::request_sync>>);
  STATIC_REQUIRE_FALSE(async_log_storage<ct::async_log_storage_archetype<missing::durable_ticket>>);
  STATIC_REQUIRE(cohort::log_storage<ct::async_log_storage_archetype<missing::durable_ticket>>);
  STATIC_REQUIRE_FALSE(async_log_storage<ct::async_log_storage_archetype<missing::sync>>);

  ct::async_log_storage_archetype<> s;
  CHECK(s.durable_ticket() == 0);
  const auto t1 = s.request_sync();
  const auto t2 = s.request_sync();
  CHECK(t2 > t1);
  CHECK(s.durable_ticket() >= t1);
}

TEST_CASE("snapshot_log_storage: the archetype models it, not async storage; each member is required",
          "[concepts]") {
  using cohort::snapshot_log_storage;
  STATIC_REQUIRE(snapshot_log_storage<ct::snapshot_log_storage_archetype<>>);
  STATIC_REQUIRE(cohort::log_storage<ct::snapshot_log_storage_archetype<>>);
  STATIC_REQUIRE_FALSE(cohort::async_log_storage<ct::snapshot_log_storage_archetype<>>);
  STATIC_REQUIRE_FALSE(snapshot_log_storage<ct::snapshot_log_storage_archetype<missing::snapshot>>);
  STATIC_REQUIRE_FALSE(snapshot_log_storage<ct::snapshot_log_storage_archetype<missing::install_snapshot>>);
  STATIC_REQUIRE_FALSE(snapshot_log_storage<ct::snapshot_log_storage_archetype<missing::compact>>);
  STATIC_REQUIRE_FALSE(snapshot_log_storage<ct::snapshot_log_storage_archetype<missing::term_at>>);
}

TEST_CASE("state_machine: the archetype models it, not snapshot_state_machine; apply() is required",
          "[concepts]") {
  STATIC_REQUIRE(cohort::state_machine<ct::state_machine_archetype<>>);
  STATIC_REQUIRE_FALSE(cohort::snapshot_state_machine<ct::state_machine_archetype<>>);
  STATIC_REQUIRE_FALSE(cohort::state_machine<ct::state_machine_archetype<missing::apply>>);
  // apply takes the entry by const reference: a mutating apply does not qualify.
  STATIC_REQUIRE_FALSE(cohort::state_machine<state_machine_mutating_entry>);

  std::string applied;
  ct::state_machine_archetype<> m(&applied);
  m.apply(cohort::log_entry{cohort::log_index{1}, cohort::term{1}, cohort::entry_kind::normal,
                            cohort::bytes::copy_of("ab")});
  m.apply(cohort::log_entry{cohort::log_index{2}, cohort::term{1}, cohort::entry_kind::normal,
                            cohort::bytes::copy_of("c")});
  CHECK(applied == "abc");
}

TEST_CASE("snapshot_state_machine: the archetype models it; apply, snapshot and restore are required",
          "[concepts]") {
  using cohort::snapshot_state_machine;
  STATIC_REQUIRE(snapshot_state_machine<ct::snapshot_state_machine_archetype<>>);
  STATIC_REQUIRE(cohort::state_machine<ct::snapshot_state_machine_archetype<>>);
  STATIC_REQUIRE_FALSE(snapshot_state_machine<ct::snapshot_state_machine_archetype<missing::apply>>);
  STATIC_REQUIRE_FALSE(cohort::state_machine<ct::snapshot_state_machine_archetype<missing::apply>>);
  STATIC_REQUIRE_FALSE(snapshot_state_machine<ct::snapshot_state_machine_archetype<missing::snapshot>>);
  STATIC_REQUIRE_FALSE(snapshot_state_machine<ct::snapshot_state_machine_archetype<missing::restore>>);

  ct::snapshot_state_machine_archetype<> a;
  a.apply(cohort::log_entry{cohort::log_index{1}, cohort::term{1}, cohort::entry_kind::normal,
                            cohort::bytes::copy_of("xy")});
  ct::snapshot_state_machine_archetype<> b;
  REQUIRE(b.restore(a.snapshot()));
  CHECK(b.snapshot() == a.snapshot());
  // Invalid bytes: errc::corrupted, state unchanged.
  const auto before = b.snapshot();
  auto r = b.restore(cohort::bytes::copy_of("junk"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == cohort::errc::corrupted);
  CHECK(b.snapshot() == before);
}

TEST_CASE("observer: the archetype and null_observer model it; on_event() is required", "[concepts]") {
  STATIC_REQUIRE(cohort::observer<ct::observer_archetype<>>);
  STATIC_REQUIRE(cohort::observer<cohort::null_observer>);
  STATIC_REQUIRE_FALSE(cohort::observer<ct::observer_archetype<missing::on_event>>);
  STATIC_REQUIRE_FALSE(cohort::observer<observer_taking_mutable_event>);

  std::vector<cohort::event> seen;
  ct::observer_archetype<> o(&seen);
  o.on_event(cohort::event{cohort::event_kind::leader_changed, cohort::node_id{1}, cohort::node_id{2}});
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].peer == cohort::node_id{2});
}

TEST_CASE("archetypes model no concept they were not written for", "[concepts]") {
  using clk = ct::clock_archetype<>;
  using gen = ct::rng_archetype<>;
  using obs = ct::observer_archetype<>;
  using sm = ct::state_machine_archetype<>;
  using st = ct::log_storage_archetype<>;
  STATIC_REQUIRE_FALSE(cohort::rng<clk>);
  STATIC_REQUIRE_FALSE(cohort::observer<clk>);
  STATIC_REQUIRE_FALSE(cohort::clock<gen>);
  STATIC_REQUIRE_FALSE(cohort::state_machine<gen>);
  STATIC_REQUIRE_FALSE(cohort::clock<obs>);
  STATIC_REQUIRE_FALSE(cohort::state_machine<obs>);
  STATIC_REQUIRE_FALSE(cohort::observer<sm>);
  STATIC_REQUIRE_FALSE(cohort::log_storage<sm>);
  STATIC_REQUIRE_FALSE(cohort::state_machine<st>);
  STATIC_REQUIRE_FALSE(cohort::transport<st, msg>);
  STATIC_REQUIRE_FALSE(cohort::snapshot_state_machine<ct::snapshot_log_storage_archetype<>>);
}

namespace {

cohort::log_entry entry(std::uint64_t index, std::uint64_t term, const char* data = "") {
  return {cohort::log_index{index}, cohort::term{term}, cohort::entry_kind::normal, cohort::bytes::copy_of(data)};
}

}  // namespace

TEST_CASE("the log storage archetype follows the log_storage contract", "[concepts][archetype]") {
  using cohort::errc;
  using cohort::log_index;
  ct::snapshot_log_storage_archetype<> s;
  CHECK(s.first_index() == log_index{1});
  CHECK(s.last_index() == log_index{0});
  CHECK(*s.term_at(log_index{0}) == cohort::term{0});
  CHECK(s.term_at(log_index{1}).error().code == errc::unavailable);

  const std::vector<cohort::log_entry> es{entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 2, "c")};
  REQUIRE(s.append(es));
  REQUIRE(s.save_hard_state(cohort::hard_state{cohort::term{2}, cohort::node_id{1}, log_index{1}}));
  REQUIRE(s.sync());
  CHECK(s.last_index() == log_index{3});
  CHECK(s.load_hard_state().vote == cohort::node_id{1});

  SECTION("entries stops at max_bytes but returns at least one") {
    std::vector<cohort::log_entry> out;
    REQUIRE(s.entries(log_index{1}, log_index{4}, 0, out));
    CHECK(out.size() == 1);
    out.clear();
    REQUIRE(s.entries(log_index{1}, log_index{4}, 2 * es[0].accounted_bytes(), out));
    CHECK(out == std::vector<cohort::log_entry>{es[0], es[1]});
    out.clear();
    CHECK(s.entries(log_index{2}, log_index{5}, 1000, out).error().code == errc::unavailable);
    CHECK(out.empty());
  }
  SECTION("append replaces a conflicting suffix and refuses a gap unchanged") {
    const std::vector<cohort::log_entry> tail{entry(2, 3, "z")};
    REQUIRE(s.append(tail));
    CHECK(s.last_index() == log_index{2});
    CHECK(*s.term_at(log_index{2}) == cohort::term{3});
    const std::vector<cohort::log_entry> gap{entry(9, 3)};
    CHECK(s.append(gap).error().code == errc::invalid_argument);
    CHECK(s.last_index() == log_index{2});
  }
  SECTION("compact and install_snapshot move the first index") {
    REQUIRE(s.compact(log_index{2}));
    CHECK(s.first_index() == log_index{3});
    CHECK(*s.term_at(log_index{2}) == cohort::term{1});
    CHECK(s.term_at(log_index{1}).error().code == errc::compacted);
    CHECK(s.compact(log_index{1}).error().code == errc::compacted);
    CHECK(s.compact(log_index{4}).error().code == errc::unavailable);

    cohort::snapshot sn;
    sn.meta.index = log_index{3};
    sn.meta.term = cohort::term{2};
    REQUIRE(s.install_snapshot(sn));
    CHECK(s.first_index() == log_index{4});
    CHECK(s.snapshot()->meta.index == log_index{3});
    sn.meta.index = log_index{1};
    CHECK(s.install_snapshot(sn).error().code == errc::invalid_argument);
    CHECK(s.first_index() == log_index{4});
  }
}
