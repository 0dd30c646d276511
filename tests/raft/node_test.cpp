// tests/raft/node_test.cpp - the policy-based raft::node: a 3-node cluster
// over an in-test transport and a manual clock; asynchronous durability;
// storage failures; refused configs; restart; archetype instantiation.
#include <cohort/raft/memory_storage.hpp>
#include <cohort/raft/node.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
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
using namespace cohort::raft;

constexpr duration tick = 10ms;

/// Every node's mailbox, plus a record of every message sent.
struct network {
  std::map<std::uint64_t, std::deque<message>> inbox;
  std::vector<message> sent;
};

struct queue_transport {
  network* net;
  void send(node_id to, message m) {
    net->sent.push_back(m);
    net->inbox[to.value()].push_back(std::move(m));
  }
};

struct manual_clock {
  const mono_time* source;
  mono_time now() { return *source; }
};

/// Records each applied entry (index, payload).
struct counting_machine {
  std::vector<std::pair<std::uint64_t, std::string>> applied;
  void apply(const log_entry& e) { applied.emplace_back(e.index.value(), std::string(e.data.as_string_view())); }
  [[nodiscard]] std::vector<std::string> payloads() const {
    std::vector<std::string> out;
    for (const auto& a : applied) out.push_back(a.second);
    return out;
  }
};

/// memory_storage with injected failures. With Async it models
/// async_log_storage: a requested sync is durable at once if auto_durable,
/// else only when the test calls make_durable().
template <bool Async>
class test_storage {
 public:
  memory_storage mem;
  bool fail_append = false;
  bool fail_hard_state = false;
  bool fail_sync = false;
  bool auto_durable = true;

  [[nodiscard]] cohort::hard_state load_hard_state() const { return mem.load_hard_state(); }
  [[nodiscard]] log_index first_index() const { return mem.first_index(); }
  [[nodiscard]] log_index last_index() const { return mem.last_index(); }
  [[nodiscard]] cohort::result<cohort::term> term_at(log_index i) const { return mem.term_at(i); }
  cohort::result<void> entries(log_index lo, log_index hi, std::size_t max, std::vector<log_entry>& out) const {
    return mem.entries(lo, hi, max, out);
  }
  cohort::result<void> append(std::span<const log_entry> es) {
    if (fail_append) return cohort::make_error(errc::storage_failure, "injected append failure");
    return mem.append(es);
  }
  cohort::result<void> save_hard_state(const cohort::hard_state& hs) {
    if (fail_hard_state) return cohort::make_error(errc::storage_failure, "injected hard state failure");
    return mem.save_hard_state(hs);
  }
  cohort::result<void> sync() {
    if (fail_sync) return cohort::make_error(errc::storage_failure, "injected sync failure");
    return cohort::success();
  }
  std::uint64_t request_sync()
    requires Async
  {
    ++requested_;
    if (auto_durable) durable_ = requested_;
    return requested_;
  }
  [[nodiscard]] std::uint64_t durable_ticket() const
    requires Async
  {
    return durable_;
  }
  void make_durable() { durable_ = requested_; }
  [[nodiscard]] std::uint64_t requested() const { return requested_; }

 private:
  std::uint64_t requested_ = 0;
  std::uint64_t durable_ = 0;
};
static_assert(!cohort::async_log_storage<test_storage<false>>);
static_assert(cohort::async_log_storage<test_storage<true>>);

config base_config() {
  config c;
  c.election_ticks = 10;
  c.heartbeat_ticks = 1;
  return c;
}

/// Answers each command with "payload@index": apply() returns a value, so
/// the node keeps outcomes of its own proposals.
struct echo_machine {
  std::vector<std::string> applied;
  std::string apply(const log_entry& e) {
    applied.emplace_back(e.data.as_string_view());
    return std::string(e.data.as_string_view()) + "@" + std::to_string(e.index.value());
  }
};

/// Nodes 1..count of raft::node over queue_transport and a shared manual clock.
template <class Storage, class Machine = counting_machine>
struct cluster {
  using node_t = node<queue_transport, Storage, manual_clock, Machine>;
  struct member {
    Storage storage;
    Machine machine;
    std::optional<node_t> n;
  };

  network net;
  mono_time now{};
  config base;
  std::vector<node_id> voters;
  std::map<std::uint64_t, std::unique_ptr<member>> members;

  explicit cluster(std::size_t count, config c = base_config()) : base(c) {
    for (std::uint64_t i = 1; i <= count; ++i) voters.push_back(node_id{i});
    for (std::uint64_t i = 1; i <= count; ++i) {
      members[i] = std::make_unique<member>();
      start(i);
    }
  }
  /// (Re)creates node i over its storage, with a fresh state machine.
  void start(std::uint64_t i) {
    member& m = *members.at(i);
    m.n.reset();
    m.machine = Machine{};
    config c = base;
    c.id = node_id{i};
    c.voters = voters;
    auto r = node_t::create(c, queue_transport{&net}, m.storage, manual_clock{&now}, m.machine,
                            cohort::xoshiro256ss(i * 7919), cohort::null_observer{}, tick);
    REQUIRE(r.has_value());
    m.n.emplace(std::move(r).value());
  }
  node_t& operator[](std::uint64_t i) { return *members.at(i)->n; }
  member& at(std::uint64_t i) { return *members.at(i); }

  /// Delivers node i's mailbox and polls it (stopped nodes drop their mail).
  void step(std::uint64_t i) {
    member& m = *members.at(i);
    auto& q = net.inbox[i];
    std::deque<message> mail;
    mail.swap(q);
    if (!m.n || m.n->stopped()) return;
    for (auto& msg : mail) (void)m.n->receive(std::move(msg));
    (void)m.n->poll();
  }
  bool mail_pending() {
    for (auto& [i, q] : net.inbox)
      if (!q.empty() && members.at(i)->n && !members.at(i)->n->stopped()) return true;
    return false;
  }
  /// Steps every node until no mail is left (time stands still).
  void settle() {
    for (int round = 0; round < 200; ++round) {
      for (auto& [i, m] : members) step(i);
      if (!mail_pending()) return;
    }
    FAIL("cluster did not settle");
  }
  /// Advances the clock by one tick interval `count` times, settling each time.
  void run(int count) {
    for (int k = 0; k < count; ++k) {
      now += tick;
      settle();
    }
  }
  node_t* leader() {
    node_t* found = nullptr;
    for (auto& [i, m] : members)
      if (m->n && !m->n->stopped() && m->n->role() == role::leader) found = &*m->n;
    return found;
  }
  node_t& elect() {
    for (int k = 0; k < 100 && leader() == nullptr; ++k) run(1);
    REQUIRE(leader() != nullptr);
    run(2);  // let every follower hear of the leader
    return *leader();
  }
  std::size_t count_sent(node_id from, message_type t) const {
    return static_cast<std::size_t>(std::count_if(net.sent.begin(), net.sent.end(),
                                                  [&](const message& m) { return m.from == from && m.type == t; }));
  }
};

bytes data(const std::string& s) { return bytes::copy_of(s); }

std::uint64_t other_than(std::uint64_t a, std::uint64_t b = 0) {
  for (std::uint64_t i = 1; i <= 3; ++i)
    if (i != a && i != b) return i;
  return 0;
}

}  // namespace

TEST_CASE("raft::node: a 3-node cluster elects a leader, replicates and applies the same sequence", "[raft][node]") {
  cluster<memory_storage> c(3);
  auto& l = c.elect();
  const node_id lid = l.id();
  for (std::uint64_t i = 1; i <= 3; ++i) {
    CHECK(c[i].leader() == lid);
    CHECK(c[i].term() == l.term());
  }
  std::vector<std::uint64_t> indexes;
  for (const char* s : {"a", "b", "c"}) {
    auto r = l.propose(data(s));
    REQUIRE(r.has_value());
    indexes.push_back(r->value());
  }
  const std::vector<bytes> batch{data("d"), data("e")};
  auto rb = l.propose(std::span<const bytes>(batch));
  REQUIRE(rb.has_value());
  c.run(3);

  const std::vector<std::string> want{"a", "b", "c", "d", "e"};
  for (std::uint64_t i = 1; i <= 3; ++i) {
    INFO("node " << i);
    CHECK(c.at(i).machine.payloads() == want);
    CHECK(c.at(i).machine.applied == c.at(lid.value()).machine.applied);
    CHECK(c[i].applied() == c[i].committed());
    CHECK(c[i].committed() == *rb);
  }
  // The indexes propose() returned are the ones applied; the leader's empty
  // entry of its term came before them and was not passed to apply().
  const auto& applied = c.at(lid.value()).machine.applied;
  for (std::size_t k = 0; k < indexes.size(); ++k) CHECK(applied[k].first == indexes[k]);
  CHECK(applied.back().first == rb->value());
  CHECK(applied.front().first > 1);
}

/// Records payloads and lets the test react to each (e.g. propose from apply()).
struct reacting_machine {
  std::vector<std::string> applied;
  std::function<void(const std::string&)> on_apply;
  void apply(const log_entry& e) {
    applied.emplace_back(e.data.as_string_view());
    if (on_apply) on_apply(applied.back());
  }
};

TEST_CASE("raft::node: a state machine may propose from apply(), even enough to move the log", "[raft][node]") {
  // The committed entries a batch hands out view the core's log; a proposal
  // made while applying them appends to that log (here enough entries to
  // reallocate it). The driver must not apply through a stale view (ASan
  // would see it), and every replica applies the same sequence.
  cluster<memory_storage, reacting_machine> c(3);
  auto& l = c.elect();
  const std::uint64_t lid = l.id().value();
  std::vector<bytes> fan;
  for (int k = 0; k < 3000; ++k) fan.push_back(data("f" + std::to_string(k)));
  int proposed_from_apply = 0;
  c.at(lid).machine.on_apply = [&](const std::string& s) {
    if (s != "fanout") return;
    auto r = c[lid].propose(std::span<const bytes>(fan));
    REQUIRE(r.has_value());
    ++proposed_from_apply;
  };
  REQUIRE(l.propose(data("fanout")).has_value());
  REQUIRE(l.propose(data("after")).has_value());
  c.run(5);
  CHECK(proposed_from_apply == 1);
  std::vector<std::string> want{"fanout", "after"};
  for (int k = 0; k < 3000; ++k) want.push_back("f" + std::to_string(k));
  for (std::uint64_t i = 1; i <= 3; ++i) {
    INFO("node " << i);
    CHECK(c.at(i).machine.applied == want);
  }
}

TEST_CASE("raft::node: each command proposed here gets apply()'s result back, in index order", "[raft][node]") {
  cluster<memory_storage, echo_machine> c(3);
  auto& l = c.elect();
  auto ra = l.propose(data("a"));
  const std::vector<bytes> batch{data("b"), data("c")};
  auto rb = l.propose(std::span<const bytes>(batch));
  REQUIRE(ra.has_value());
  REQUIRE(rb.has_value());
  CHECK(l.take_outcomes().empty());  // nothing is applied before the next poll
  c.run(3);
  const auto out = l.take_outcomes();
  REQUIRE(out.size() == 3);
  const std::uint64_t a = ra->value();
  CHECK(out[0].index.value() == a);
  CHECK(out[1].index.value() == a + 1);
  CHECK(out[2].index.value() == a + 2);
  REQUIRE(out[0].value.has_value());
  REQUIRE(out[2].value.has_value());
  CHECK(*out[0].value == "a@" + std::to_string(a));
  CHECK(*out[1].value == "b@" + std::to_string(a + 1));
  CHECK(*out[2].value == "c@" + std::to_string(a + 2));
  CHECK(l.take_outcomes().empty());  // taken once
  for (std::uint64_t i = 1; i <= 3; ++i) {
    if (i == l.id().value()) continue;
    CHECK(c[i].take_outcomes().empty());  // followers proposed nothing
    CHECK(c.at(i).machine.applied == std::vector<std::string>{"a", "b", "c"});
  }
}

TEST_CASE("raft::node: a proposal whose index another leader took is reported dropped", "[raft][node]") {
  cluster<memory_storage, echo_machine> c(3);
  auto& old_leader = c.elect();
  const std::uint64_t o = old_leader.id().value();
  auto kept = old_leader.propose(data("kept"));
  REQUIRE(kept.has_value());
  c.run(2);
  // Cut the old leader off: what it proposes now reaches nobody.
  auto lost1 = old_leader.propose(data("lost1"));
  auto lost2 = old_leader.propose(data("lost2"));
  REQUIRE(lost1.has_value());
  REQUIRE(lost2.has_value());
  auto isolate = [&] {
    c.net.inbox[o].clear();
    for (auto& [i, q] : c.net.inbox)
      std::erase_if(q, [&](const message& m) { return m.from.value() == o; });
  };
  c.step(o);
  isolate();
  typename decltype(c)::node_t* fresh = nullptr;
  for (int k = 0; k < 200 && fresh == nullptr; ++k) {
    c.now += tick;
    for (std::uint64_t i = 1; i <= 3; ++i)
      if (i != o) c.step(i);
    isolate();
    for (std::uint64_t i = 1; i <= 3; ++i)
      if (i != o && c[i].role() == role::leader) fresh = &c[i];
  }
  REQUIRE(fresh != nullptr);
  REQUIRE(fresh->term() > old_leader.term());
  // The new leader's own entries take the old leader's uncommitted indexes.
  REQUIRE(fresh->propose(data("x")).has_value());
  REQUIRE(fresh->propose(data("y")).has_value());
  c.run(5);  // heal: the old leader steps down and its log is overwritten
  CHECK(old_leader.role() == role::follower);
  const auto out = old_leader.take_outcomes();
  REQUIRE(out.size() == 3);
  CHECK(out[0].index == *kept);
  REQUIRE(out[0].value.has_value());
  CHECK(*out[0].value == "kept@" + std::to_string(kept->value()));
  CHECK(out[1].index == *lost1);
  CHECK(out[2].index == *lost2);
  for (std::size_t k = 1; k < 3; ++k) {
    REQUIRE_FALSE(out[k].value.has_value());
    CHECK(out[k].value.error().code == errc::proposal_dropped);
  }
  for (std::uint64_t i = 1; i <= 3; ++i) {
    const auto& applied = c.at(i).machine.applied;
    CHECK(std::find(applied.begin(), applied.end(), "lost1") == applied.end());
    CHECK(std::count(applied.begin(), applied.end(), "x") == 1);
  }
}

TEST_CASE("raft::node: a proposal to a follower returns not_leader naming the leader", "[raft][node]") {
  cluster<memory_storage> c(3);
  auto& l = c.elect();
  const std::uint64_t f = other_than(l.id().value());
  const log_index last = c[f].raw().last_index();
  auto r = c[f].propose(data("x"));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::not_leader);
  CHECK(r.error().node == l.id());
  CHECK(c[f].raw().last_index() == last);

  SECTION("empty payloads are refused on every node, changing nothing") {
    const log_index llast = l.raw().last_index();
    auto e = l.propose(bytes{});
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().code == errc::invalid_argument);
    const std::vector<bytes> mixed{data("ok"), bytes{}};
    CHECK(l.propose(std::span<const bytes>(mixed)).error().code == errc::invalid_argument);
    CHECK(l.raw().last_index() == llast);
  }
}

TEST_CASE("raft::node: one tick per elapsed interval, at most election_ticks after a pause", "[raft][node]") {
  config cfg = base_config();
  cfg.check_quorum = false;  // the paused leader must stay leader for the count
  cluster<memory_storage> c(3, cfg);
  auto& l = c.elect();
  const node_id peer{other_than(l.id().value())};
  auto heartbeats = [&] {
    return std::count_if(c.net.sent.begin(), c.net.sent.end(), [&](const message& m) {
      return m.from == l.id() && m.to == peer && m.type == message_type::heartbeat;
    });
  };
  auto after = [&](duration d) {
    const auto before = heartbeats();
    c.now += d;
    REQUIRE(l.poll().has_value());
    return heartbeats() - before;
  };
  CHECK(after(0ms) == 0);
  CHECK(after(100 * tick + 5ms) == cfg.election_ticks);  // capped; the 5ms phase is kept
  CHECK(after(5ms) == 1);
  CHECK(after(25ms) == 2);
  CHECK(after(4ms) == 0);
  CHECK(after(1ms) == 1);
  CHECK(after(0ms) == 0);
  CHECK(l.role() == role::leader);
}

TEST_CASE("raft::node: with async storage nothing waits-for-durability leaves or is applied early", "[raft][node]") {
  using storage_t = test_storage<true>;
  cluster<storage_t> c(3);

  SECTION("a candidate asks for votes only once its own vote is durable") {
    c.at(1).storage.auto_durable = false;
    REQUIRE(c[1].raw().campaign().has_value());  // pre-vote first: sent at once
    c.settle();
    CHECK(c[1].raw().role() == role::candidate);
    CHECK(c.count_sent(node_id{1}, message_type::pre_vote) == 2);
    CHECK(c.count_sent(node_id{1}, message_type::vote) == 0);
    CHECK(c[1].pending_batches() > 0);
    c.at(1).storage.make_durable();
    c.settle();
    CHECK(c.count_sent(node_id{1}, message_type::vote) == 2);
    CHECK(c[1].role() == role::leader);
    // Its first entry as leader waits for durability in turn.
    CHECK(c[1].pending_batches() > 0);
    c.at(1).storage.auto_durable = true;
    c.at(1).storage.make_durable();
    c.settle();
    CHECK(c[1].pending_batches() == 0);
  }

  SECTION("the leader replicates while its write is in flight; no one applies before durability") {
    auto& l = c.elect();
    const std::uint64_t li = l.id().value();
    const std::uint64_t f = other_than(li);      // manual durability
    const std::uint64_t g = other_than(li, f);   // durable at once
    c.at(li).storage.auto_durable = false;
    c.at(f).storage.auto_durable = false;
    const auto responses_before = c.count_sent(node_id{f}, message_type::append_response);

    auto idx = l.propose(data("x"));
    REQUIRE(idx.has_value());
    REQUIRE(l.poll().has_value());
    CHECK(l.pending_batches() == 1);
    CHECK(c.count_sent(l.id(), message_type::append) >= 2);  // sent before the leader's write is durable

    c.settle();
    // f wrote x but it is not durable: its acknowledgement has not left.
    CHECK(c.count_sent(node_id{f}, message_type::append_response) == responses_before);
    CHECK(c[f].pending_batches() > 0);
    // Only g's acknowledgement counts (the leader counts itself once durable): not committed.
    CHECK(l.committed() < *idx);

    c.at(f).storage.make_durable();
    c.settle();
    CHECK(c.count_sent(node_id{f}, message_type::append_response) > responses_before);
    CHECK(l.committed() == *idx);  // committed by f and g
    CHECK(c.at(li).machine.applied.empty());  // ... but not durable on the leader yet
    CHECK(l.applied() < *idx);

    c.run(2);  // heartbeats carry the commit index
    CHECK(c.at(g).machine.payloads() == std::vector<std::string>{"x"});
    // f learnt the commit index in a batch that is not durable yet: not applied.
    CHECK(c.at(f).machine.applied.empty());
    CHECK(c[f].pending_batches() > 0);

    for (std::uint64_t i : {li, f}) {
      c.at(i).storage.auto_durable = true;
      c.at(i).storage.make_durable();
    }
    c.settle();
    for (std::uint64_t i = 1; i <= 3; ++i) {
      INFO("node " << i);
      CHECK(c.at(i).machine.payloads() == std::vector<std::string>{"x"});
      CHECK(c[i].pending_batches() == 0);
    }
  }
}

TEST_CASE("raft::node: a storage failure stops the node without acknowledging", "[raft][node]") {
  SECTION("sync() fails on a follower") {
    cluster<test_storage<false>> c(3);
    auto& l = c.elect();
    const std::uint64_t f = other_than(l.id().value());
    const log_index durable = c[f].raw().log().durable();
    const auto responses = c.count_sent(node_id{f}, message_type::append_response);
    c.at(f).storage.fail_sync = true;
    REQUIRE(l.propose(data("x")).has_value());
    REQUIRE(l.poll().has_value());
    for (auto& msg : c.net.inbox[f]) REQUIRE(c[f].receive(std::move(msg)).has_value());
    c.net.inbox[f].clear();
    auto r = c[f].poll();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::storage_failure);
    CHECK(c[f].stopped());
    CHECK(c[f].stop_reason().code == errc::storage_failure);
    CHECK(c[f].raw().log().durable() == durable);  // never acknowledged
    CHECK(c.count_sent(node_id{f}, message_type::append_response) == responses);
    CHECK(c[f].poll().error().code == errc::stopped);
    CHECK(c[f].propose(data("y")).error().code == errc::stopped);
    CHECK(c[f].receive(message{}).error().code == errc::stopped);
    // The others go on: x commits with two of three.
    c.run(3);
    CHECK(c.at(l.id().value()).machine.payloads() == std::vector<std::string>{"x"});
    CHECK(c.at(f).machine.applied.empty());
  }

  SECTION("a write fails while an async batch is pending: that batch never finishes") {
    cluster<test_storage<true>> c(3);
    auto& l = c.elect();
    const std::uint64_t f = other_than(l.id().value());
    c.at(f).storage.auto_durable = false;
    const log_index durable = c[f].raw().log().durable();
    const auto responses = c.count_sent(node_id{f}, message_type::append_response);
    REQUIRE(l.propose(data("x")).has_value());
    c.settle();
    REQUIRE(c[f].pending_batches() > 0);
    c.at(f).storage.fail_append = true;
    REQUIRE(l.propose(data("y")).has_value());
    REQUIRE(l.poll().has_value());
    c.step(f);
    CHECK(c[f].stopped());
    CHECK(c[f].stop_reason().code == errc::storage_failure);
    c.at(f).storage.make_durable();  // too late: a stopped node calls no policy
    CHECK(c[f].poll().error().code == errc::stopped);
    CHECK(c[f].raw().log().durable() == durable);
    CHECK(c.count_sent(node_id{f}, message_type::append_response) == responses);
    CHECK(c.at(f).machine.applied.empty());
  }

  SECTION("save_hard_state fails: nothing of the batch leaves") {
    cluster<test_storage<false>> c(3);
    c.at(1).storage.fail_hard_state = true;
    REQUIRE(c[1].raw().campaign().has_value());  // pre-vote changes no hard state
    c.settle();
    CHECK(c[1].stopped());  // the real campaign's term and vote could not be saved
    CHECK(c.count_sent(node_id{1}, message_type::vote) == 0);
    CHECK(c.at(1).storage.load_hard_state() == cohort::hard_state{});
  }
}

TEST_CASE("raft::node: invalid configurations are refused with a clear error", "[raft][node]") {
  using node_t = cluster<memory_storage>::node_t;
  network net;
  mono_time now{};
  memory_storage storage;
  counting_machine machine;
  auto try_create = [&](const config& c, duration interval) {
    return node_t::create(c, queue_transport{&net}, storage, manual_clock{&now}, machine, cohort::xoshiro256ss(1),
                          cohort::null_observer{}, interval);
  };
  config good = base_config();
  good.id = node_id{1};
  good.voters = {node_id{1}, node_id{2}, node_id{3}};
  REQUIRE(try_create(good, tick).has_value());

  struct refused {
    const char* what;
    config c;
    duration interval;
    const char* mentions;
  };
  std::vector<refused> cases;
  auto with = [&](const char* what, auto change, const char* mentions, duration interval = tick) {
    config c = good;
    change(c);
    cases.push_back(refused{what, c, interval, mentions});
  };
  with("zero id", [](config& c) { c.id = node_id{}; }, "id");
  with("election_ticks 1", [](config& c) { c.election_ticks = 1; }, "election_ticks");
  with("heartbeat not below election", [](config& c) { c.heartbeat_ticks = c.election_ticks; }, "heartbeat_ticks");
  with("no voters", [](config& c) { c.voters.clear(); }, "voters");
  with("not a voter", [](config& c) { c.voters = {node_id{2}, node_id{3}}; }, "not among the voters");
  with("voter twice", [](config& c) { c.voters.push_back(node_id{2}); }, "twice");
  with("zero msg_bytes_max", [](config& c) { c.msg_bytes_max = 0; }, "msg_bytes_max");
  with("zero tick_interval", [](config&) {}, "tick_interval", duration{0});
  with("negative tick_interval", [](config&) {}, "tick_interval", -1ms);

  for (const auto& k : cases) {
    INFO(k.what);
    auto r = try_create(k.c, k.interval);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::invalid_config);
    CHECK(r.error().message.find(k.mentions) != std::string::npos);
  }
  // Nothing was written, sent or applied by any refused (or accepted) create.
  CHECK(storage.last_index() == log_index{});
  CHECK(storage.load_hard_state() == cohort::hard_state{});
  CHECK(net.sent.empty());
  CHECK(machine.applied.empty());
}

TEST_CASE("raft::node: a restarted node replays its committed log into a fresh state machine", "[raft][node]") {
  cluster<memory_storage> c(3);
  auto& l = c.elect();
  for (const char* s : {"a", "b", "c"}) REQUIRE(l.propose(data(s)).has_value());
  c.run(3);
  const std::uint64_t f = other_than(l.id().value());
  const auto before = c.at(f).machine.applied;
  REQUIRE(before.size() == 3);

  c.start(f);  // same storage, fresh state machine
  CHECK(c.at(f).machine.applied.empty());
  REQUIRE(c[f].poll().has_value());
  CHECK(c.at(f).machine.applied == before);  // up to the durable commit index
  REQUIRE(c.leader() != nullptr);
  REQUIRE(c.leader()->propose(data("d")).has_value());
  c.run(3);
  CHECK(c.at(f).machine.payloads() == std::vector<std::string>{"a", "b", "c", "d"});
}

// ---- the node uses nothing its concepts do not promise ----------------------

namespace {

using cohort_test::missing;
template <missing M = missing::none>
using transport_a = cohort_test::transport_archetype<message, M>;

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
static_assert(!node_instantiable<transport_a<>, cohort_test::log_storage_archetype<>, cohort_test::clock_archetype<>,
                                 cohort_test::state_machine_archetype<missing::apply>>);

template <class Storage>
void single_voter_over_archetypes() {
  using node_t = node<transport_a<>, Storage, cohort_test::clock_archetype<>, cohort_test::state_machine_archetype<>,
                      cohort_test::rng_archetype<>, cohort_test::observer_archetype<>>;
  typename transport_a<>::sent_list sent;
  std::vector<cohort::event> events;
  std::string applied;
  mono_time now{};
  Storage storage;
  cohort_test::state_machine_archetype<> machine(&applied);
  config c = base_config();
  c.id = node_id{1};
  c.voters = {node_id{1}};
  auto r = node_t::create(c, transport_a<>(&sent), storage, cohort_test::clock_archetype<>(&now), machine,
                          cohort_test::rng_archetype<>(5), cohort_test::observer_archetype<>(&events), tick);
  REQUIRE(r.has_value());
  node_t& n = *r;
  for (int k = 0; k < 40 && n.role() != role::leader; ++k) {
    now += tick;
    REQUIRE(n.poll().has_value());
  }
  REQUIRE(n.role() == role::leader);
  REQUIRE(n.propose(bytes::copy_of("hi")).has_value());
  REQUIRE(n.poll().has_value());
  CHECK(applied == "hi");
  CHECK(n.applied() == n.committed());
  CHECK(sent.empty());  // nobody to send to
  CHECK_FALSE(events.empty());
}

}  // namespace

TEST_CASE("raft::node: instantiates with archetypes of exactly its concepts", "[raft][node]") {
  single_voter_over_archetypes<cohort_test::log_storage_archetype<>>();
  single_voter_over_archetypes<cohort_test::async_log_storage_archetype<>>();
}
