// tests/paxos/multi_node_test.cpp - the policy-based paxos::node: a 3-node
// cluster over an in-test transport and a manual clock; asynchronous
// durability; storage failures; compaction; archetype instantiation.
#include <cohort/paxos/node.hpp>
#include <cohort/raft/memory_storage.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/archetypes.hpp"

namespace {

using namespace std::chrono_literals;
using cohort::bytes;
using cohort::duration;
using cohort::errc;
using cohort::log_entry;
using cohort::log_index;
using cohort::mono_time;
using cohort::node_id;
using namespace cohort::paxos;

constexpr duration tick = 10ms;

struct network {
  std::map<std::uint64_t, std::deque<multi_message>> inbox;
};
struct queue_transport {
  network* net;
  void send(node_id to, multi_message m) { net->inbox[to.value()].push_back(std::move(m)); }
};
struct manual_clock {
  const mono_time* source;
  mono_time now() { return *source; }
};
struct recording_machine {
  std::vector<std::string> applied;
  void apply(const log_entry& e) { applied.emplace_back(e.data.as_string_view()); }
};

/// memory_storage with an injectable failure and, if Async, syncs that
/// complete only when the test says so.
template <bool Async>
struct test_storage {
  cohort::raft::memory_storage mem;
  bool fail_append = false;
  bool hold = false;  ///< async: keep requested syncs pending
  std::uint64_t requested = 0, durable = 0;

  [[nodiscard]] cohort::hard_state load_hard_state() const { return mem.load_hard_state(); }
  [[nodiscard]] log_index first_index() const { return mem.first_index(); }
  [[nodiscard]] log_index last_index() const { return mem.last_index(); }
  [[nodiscard]] cohort::result<cohort::term> term_at(log_index i) const { return mem.term_at(i); }
  cohort::result<void> entries(log_index lo, log_index hi, std::size_t max, std::vector<log_entry>& out) const {
    return mem.entries(lo, hi, max, out);
  }
  cohort::result<void> append(std::span<const log_entry> es) {
    if (fail_append && !es.empty()) return cohort::make_error(errc::storage_failure, "injected");
    return mem.append(es);
  }
  cohort::result<void> save_hard_state(const cohort::hard_state& hs) { return mem.save_hard_state(hs); }
  cohort::result<void> sync() { return cohort::success(); }
  std::uint64_t request_sync()
    requires Async
  {
    ++requested;
    if (!hold) durable = requested;
    return requested;
  }
  [[nodiscard]] std::uint64_t durable_ticket() const
    requires Async
  {
    return durable;
  }
  cohort::result<void> compact(log_index i) { return mem.compact(i); }
  [[nodiscard]] cohort::result<cohort::snapshot> snapshot() const { return mem.snapshot(); }
  cohort::result<void> install_snapshot(const cohort::snapshot& sn) { return mem.install_snapshot(sn); }
};

template <bool Async>
struct cluster {
  using node_t = node<queue_transport, test_storage<Async>, manual_clock, recording_machine>;
  struct member {
    test_storage<Async> storage;
    recording_machine machine;
    std::optional<node_t> n;
  };
  network net;
  mono_time now{};
  std::map<std::uint64_t, std::unique_ptr<member>> members;

  cluster() {
    for (std::uint64_t i = 1; i <= 3; ++i) {
      auto m = std::make_unique<member>();
      multi_config c;
      c.id = node_id{i};
      auto r = node_t::create(c, cohort::quorum::majority_config({node_id{1}, node_id{2}, node_id{3}}),
                              queue_transport{&net}, m->storage, manual_clock{&now}, m->machine,
                              cohort::xoshiro256ss(i), cohort::null_observer{}, tick);
      REQUIRE(r.has_value());
      m->n.emplace(std::move(r).value());
      members[i] = std::move(m);
    }
  }
  node_t& at(std::uint64_t i) { return *members.at(i)->n; }
  /// Advances the clock by `ticks` ticks, delivering and polling until quiet after each.
  void run(int ticks) {
    for (int t = 0; t < ticks; ++t) {
      now += tick;
      settle();
    }
  }
  void settle() {
    for (int k = 0; k < 200; ++k) {
      bool any = false;
      for (auto& [i, m] : members) REQUIRE(m->n->poll().has_value());
      for (auto& [i, q] : net.inbox) {
        std::deque<multi_message> in;
        in.swap(q);
        for (auto& msg : in) {
          any = true;
          (void)members.at(i)->n->receive(std::move(msg));
        }
      }
      if (!any) return;
    }
  }
  std::uint64_t leader() {
    for (auto& [i, m] : members)
      if (m->n->role() == multi_role::leader) return i;
    return 0;
  }
};

}  // namespace

TEST_CASE("paxos::node: elects a leader by timeout, replicates and applies everywhere", "[paxos][node]") {
  cluster<false> c;
  c.run(40);
  const auto l = c.leader();
  REQUIRE(l != 0);
  const std::uint64_t f = l == 1 ? 2 : 1;
  auto refused = c.at(f).propose(bytes::copy_of("x"));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == errc::not_leader);
  CHECK(refused.error().node == node_id{l});
  CHECK(c.at(l).propose(bytes{}).error().code == errc::invalid_argument);
  for (const char* v : {"a", "b", "c"}) REQUIRE(c.at(l).propose(bytes::copy_of(v)).has_value());
  c.run(2);
  for (std::uint64_t i = 1; i <= 3; ++i) {
    CHECK(c.members[i]->machine.applied == std::vector<std::string>{"a", "b", "c"});
    CHECK(c.at(i).applied() == c.at(l).chosen());
  }
}

TEST_CASE("paxos::node: with asynchronous storage nothing is vouched for before it is durable", "[paxos][node]") {
  cluster<true> c;
  c.run(40);
  const auto l = c.leader();
  REQUIRE(l != 0);
  for (auto& [i, m] : c.members) m->storage.hold = true;
  REQUIRE(c.at(l).propose(bytes::copy_of("slow")).has_value());
  c.run(3);
  for (std::uint64_t i = 1; i <= 3; ++i) CHECK(c.members[i]->machine.applied.empty());
  CHECK(c.at(l).pending_batches() > 0);
  for (auto& [i, m] : c.members) {
    m->storage.hold = false;
    m->storage.durable = m->storage.requested;
  }
  c.run(3);
  for (std::uint64_t i = 1; i <= 3; ++i) CHECK(c.members[i]->machine.applied == std::vector<std::string>{"slow"});
}

TEST_CASE("paxos::node: a storage failure stops the node for good", "[paxos][node]") {
  cluster<false> c;
  c.run(40);
  const auto l = c.leader();
  REQUIRE(l != 0);
  c.members[l]->storage.fail_append = true;
  REQUIRE(c.at(l).propose(bytes::copy_of("lost")).has_value());
  auto r = c.at(l).poll();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::storage_failure);
  CHECK(c.at(l).stopped());
  CHECK(c.at(l).poll().error().code == errc::stopped);
  CHECK(c.at(l).propose(bytes::copy_of("more")).error().code == errc::stopped);
  CHECK(c.members[l]->machine.applied.empty());
}

TEST_CASE("paxos::node: compaction below the applied slot, in the core and the storage", "[paxos][node]") {
  cluster<false> c;
  c.run(40);
  const auto l = c.leader();
  REQUIRE(l != 0);
  for (int k = 0; k < 10; ++k) REQUIRE(c.at(l).propose(bytes::copy_of("v" + std::to_string(k))).has_value());
  c.run(2);
  const log_index upto = c.at(l).applied();
  CHECK(c.at(l).compact(upto + 1).error().code == errc::unavailable);
  REQUIRE(c.at(l).compact(upto - 2).has_value());
  CHECK(c.at(l).raw().first_index() == upto - 1);
  CHECK(c.members[l]->storage.first_index() == upto - 1);
  REQUIRE(c.at(l).propose(bytes::copy_of("after")).has_value());
  c.run(2);
  for (std::uint64_t i = 1; i <= 3; ++i) CHECK(c.members[i]->machine.applied.back() == "after");
}

TEST_CASE("paxos::node: refuses bad configurations", "[paxos][node]") {
  using node_t = cluster<false>::node_t;
  network net;
  mono_time now{};
  test_storage<false> s;
  recording_machine m;
  multi_config c;
  c.id = node_id{4};
  const auto q = cohort::quorum::majority_config({node_id{1}, node_id{2}, node_id{3}});
  auto r = node_t::create(c, q, queue_transport{&net}, s, manual_clock{&now}, m, cohort::xoshiro256ss(1),
                          cohort::null_observer{}, tick);
  CHECK(r.error().code == errc::invalid_config);
  c.id = node_id{1};
  r = node_t::create(c, q, queue_transport{&net}, s, manual_clock{&now}, m, cohort::xoshiro256ss(1),
                     cohort::null_observer{}, duration::zero());
  CHECK(r.error().code == errc::invalid_config);
}

// ---- the node uses nothing its concepts do not promise ----------------------

namespace {

using cohort_test::missing;
template <missing M = missing::none>
using transport_a = cohort_test::transport_archetype<multi_message, M>;

template <class T, class S, class C, class M>
concept node_instantiable = requires { typename node<T, S, C, M>; };

static_assert(node_instantiable<transport_a<>, cohort_test::log_storage_archetype<>, cohort_test::clock_archetype<>,
                                cohort_test::state_machine_archetype<>>);
static_assert(!node_instantiable<transport_a<missing::send>, cohort_test::log_storage_archetype<>,
                                 cohort_test::clock_archetype<>, cohort_test::state_machine_archetype<>>);
static_assert(!node_instantiable<transport_a<>, cohort_test::log_storage_archetype<missing::sync>,
                                 cohort_test::clock_archetype<>, cohort_test::state_machine_archetype<>>);
static_assert(!node_instantiable<transport_a<>, cohort_test::log_storage_archetype<>,
                                 cohort_test::clock_archetype<missing::now>, cohort_test::state_machine_archetype<>>);

template <class Storage>
void single_member_over_archetypes() {
  using node_t = node<transport_a<>, Storage, cohort_test::clock_archetype<>, cohort_test::state_machine_archetype<>,
                      cohort_test::rng_archetype<>, cohort_test::observer_archetype<>>;
  typename transport_a<>::sent_list sent;
  std::vector<cohort::event> events;
  std::string applied;
  mono_time now{};
  Storage storage;
  cohort_test::state_machine_archetype<> machine(&applied);
  multi_config c;
  c.id = node_id{1};
  auto r = node_t::create(c, cohort::quorum::majority_config({node_id{1}}), transport_a<>(&sent), storage,
                          cohort_test::clock_archetype<>(&now), machine, cohort_test::rng_archetype<>(5),
                          cohort_test::observer_archetype<>(&events), tick);
  REQUIRE(r.has_value());
  node_t& n = *r;
  for (int k = 0; k < 40 && n.role() != multi_role::leader; ++k) {
    now += tick;
    REQUIRE(n.poll().has_value());
  }
  REQUIRE(n.role() == multi_role::leader);
  REQUIRE(n.propose(bytes::copy_of("hi")).has_value());
  REQUIRE(n.poll().has_value());
  CHECK(applied == "hi");
  CHECK(n.applied() == n.chosen());
  CHECK(sent.empty());
  CHECK_FALSE(events.empty());
}

}  // namespace

TEST_CASE("paxos::node: instantiates with archetypes of exactly its concepts", "[paxos][node]") {
  single_member_over_archetypes<cohort_test::log_storage_archetype<>>();
  single_member_over_archetypes<cohort_test::async_log_storage_archetype<>>();
}
