// Multi-Paxos scenarios from the rules of "Paxos Made Simple" (promise rules,
// value adoption, chosen-value stability) and the leader-based log on top
// (gap filling, catch-up, proposals to followers, paged phase 1, compaction).
#include <catch2/catch.hpp>

#include "multi_harness.hpp"

using namespace paxos_test;

namespace {

multi_config no_lease() {
  multi_config c;
  c.check_quorum = false;
  return c;
}

std::vector<std::string> log_values(node_t& nd, log_index lo, log_index hi) {
  std::vector<std::string> out;
  for (log_index s = lo; s <= hi; ++s) {
    const auto e = nd.entry(s);
    out.push_back(!e ? "<none>" : str(e->data));
  }
  return out;
}

}  // namespace

TEST_CASE("multi-paxos: a leader runs phase 1 once, then replicates batches to every node", "[paxos][multi]") {
  harness h(3);
  h.elect(1);
  CHECK(h[1].promised() == ballot{1, n(1)});
  for (std::uint64_t i = 2; i <= 3; ++i) {
    CHECK(h[i].role() == multi_role::follower);
    CHECK(h[i].leader() == n(1));
    CHECK(h[i].promised() == ballot{1, n(1)});
  }
  const auto prepares_before = std::count_if(h.delivered.begin(), h.delivered.end(),
                                             [](const multi_message& m) { return m.type == multi_type::prepare; });
  REQUIRE(h[1].propose(val("a")).has_value());
  REQUIRE(h[1].propose(val("b")).has_value());
  auto last = h[1].propose(val("c"));
  REQUIRE(last.has_value());
  CHECK(*last == log_index{4});  // slot 1 is the leader's no-op
  h.stabilize();
  const auto prepares_after = std::count_if(h.delivered.begin(), h.delivered.end(),
                                            [](const multi_message& m) { return m.type == multi_type::prepare; });
  CHECK(prepares_after == prepares_before);  // phase 2 only
  for (std::uint64_t i = 1; i <= 3; ++i) {
    CHECK(h[i].chosen() == log_index{4});
    CHECK(h.applied[i] == std::map<std::uint64_t, std::string>{{1, ""}, {2, "a"}, {3, "b"}, {4, "c"}});
  }
  // The three proposals made between two ready batches left in one accept per follower.
  std::size_t accepts_with_three = 0;
  for (const auto& m : h.delivered)
    if (m.type == multi_type::accept && m.entries.size() == 3) ++accepts_with_three;
  CHECK(accepts_with_three == 2);
  CHECK(h.violation.empty());
}

TEST_CASE("multi-paxos: proposals to a follower or a candidate get not_leader", "[paxos][multi]") {
  harness h(3);
  auto r = h[2].propose(val("x"));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == cohort::errc::not_leader);
  CHECK(r.error().node == cohort::no_node);
  h.elect(1);
  r = h[2].propose(val("x"));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == cohort::errc::not_leader);
  CHECK(r.error().node == n(1));
  CHECK(h[2].stats().proposals_refused == 2);
  CHECK(h[2].last_index() == log_index{1});
  h.isolate(3);
  REQUIRE(h[3].campaign().has_value());
  h.stabilize();
  CHECK(h[3].role() == multi_role::candidate);
  r = h[3].propose(val("x"));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == cohort::errc::not_leader);
}

TEST_CASE("multi-paxos: promise rules (lower ballots nacked, equal re-promised, higher adopted)", "[paxos][multi]") {
  harness h(3, no_lease());
  h.elect(1);
  REQUIRE(h[1].propose(val("v")).has_value());
  h.stabilize();
  node_t& a = h[2];
  const ballot bound = a.promised();

  multi_message p;
  p.type = multi_type::prepare;
  p.from = n(3);
  p.to = n(2);
  p.b = ballot{0, n(3)};  // below the promise
  auto r = a.step(p);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == cohort::errc::stale_term);
  CHECK(a.promised() == bound);
  auto& rd = a.take_ready();
  REQUIRE(rd.messages.size() == 1);
  CHECK(rd.messages[0].type == multi_type::nack);
  CHECK(rd.messages[0].promised == bound);
  CHECK_FALSE(rd.has_hard_state);
  a.acknowledge(rd.number);

  p.b = ballot{5, n(3)};  // higher: promised, with every accepted slot above index
  p.index = log_index{0};
  REQUIRE(a.step(p).has_value());
  CHECK(a.promised() == p.b);
  auto& rd2 = a.take_ready();
  CHECK(rd2.has_hard_state);
  CHECK(rd2.hs.term == cohort::term{5});
  CHECK(rd2.hs.vote == n(3));
  CHECK(rd2.messages.empty());  // the promise waits for the promised ballot to be durable
  REQUIRE(rd2.after_persist.size() == 1);
  const multi_message& pr = rd2.after_persist[0];
  CHECK(pr.type == multi_type::promise);
  CHECK(pr.last == log_index{2});
  REQUIRE(pr.entries.size() == 2);
  CHECK(unpack_ballot(pr.entries[1].term) == bound);
  CHECK(str(pr.entries[1].data) == "v");
  a.acknowledge(rd2.number);

  REQUIRE(a.step(p).has_value());  // the same ballot again: promised again, nothing new to persist
  auto& rd3 = a.take_ready();
  CHECK_FALSE(rd3.has_hard_state);
  CHECK(rd3.after_persist.size() == 1);
  a.acknowledge(rd3.number);

  // The old leader's accepts are now nacked by 2; it runs phase 1 again
  // above the nack's ballot, recovers its unchosen slot and leads on.
  REQUIRE(h[1].propose(val("w")).has_value());
  h.process(1);
  h.deliver_all();  // the accepts: 2 nacks, 3 accepts
  CHECK_FALSE(a.entry(log_index{3}).has_value());
  h.stabilize();
  CHECK(h[1].role() == multi_role::leader);
  CHECK(h[1].promised() > ballot{5, n(3)});
  CHECK(h.applied[2][3] == "w");
  CHECK(h.violation.empty());
}

TEST_CASE("multi-paxos: a new leader adopts an accepted value it never saw chosen", "[paxos][multi]") {
  harness h(5, no_lease());
  h.elect(1);
  for (std::uint64_t k : {3, 4, 5}) h.cut.insert({1, k});
  REQUIRE(h[1].propose(val("x")).has_value());
  h.stabilize();
  CHECK(h[1].chosen() == log_index{1});  // accepted by 1 and 2 only: not chosen
  REQUIRE(h[2].entry(log_index{2}).has_value());
  CHECK(str(h[2].entry(log_index{2})->data) == "x");
  h.stop(1);
  h.heal();
  h.elect(3);
  CHECK(h[3].stats().slots_recovered == 1);
  h.stabilize();
  for (std::uint64_t i = 2; i <= 5; ++i) {
    CHECK(h[i].chosen() == log_index{3});
    CHECK(h.applied[i][2] == "x");
    CHECK(unpack_ballot(h[i].entry(log_index{2})->term) == h[3].promised());  // re-proposed in the new ballot
  }
  // The old leader comes back, learns the same value, and cannot disturb it.
  h.start(1);
  h.tick_all(1);
  h.stabilize();
  CHECK(h[1].role() == multi_role::follower);
  CHECK(h.applied[1][2] == "x");
  CHECK(h.violation.empty());
}

TEST_CASE("multi-paxos: a gap in the accepted slots is filled with a no-op", "[paxos][multi]") {
  harness h(5, no_lease());
  h.elect(1);
  for (std::uint64_t k : {3, 4, 5}) h.cut.insert({1, k});
  h.cut.insert({1, 2});
  REQUIRE(h[1].propose(val("a")).has_value());  // slot 2: reaches nobody
  h.process_all();
  h.deliver_all();
  h.cut.erase({1, 2});
  h.cut.insert({2, 1});  // 2's answers are lost: the leader never resends slot 2
  REQUIRE(h[1].propose(val("b")).has_value());  // slot 3: reaches 2, out of order
  h.stabilize();
  REQUIRE(h[2].entry(log_index{2}).has_value());
  CHECK(h[2].entry(log_index{2})->term == cohort::term{});  // nothing accepted there
  CHECK(str(h[2].entry(log_index{3})->data) == "b");
  h.stop(1);
  h.heal();
  h.elect(4);
  CHECK(h[4].stats().gaps_filled == 1);
  CHECK(h[4].stats().slots_recovered == 1);
  h.stabilize();
  for (std::uint64_t i = 2; i <= 5; ++i) {
    CHECK(h[i].chosen() == log_index{4});
    CHECK(log_values(h[i], log_index{2}, log_index{4}) == std::vector<std::string>{"", "b", ""});
  }
  CHECK(h.violation.empty());
}

TEST_CASE("multi-paxos: chosen values stay chosen across many leader changes", "[paxos][multi]") {
  harness h(3, no_lease());
  h.elect(1);
  for (int k = 0; k < 5; ++k) REQUIRE(h[1].propose(val("v" + std::to_string(k))).has_value());
  h.stabilize();
  const auto first = h.applied[1];
  for (std::uint64_t leader : {2, 3, 1, 2}) {
    h.elect(leader);
    REQUIRE(h[leader].propose(val("from" + std::to_string(leader))).has_value());
    h.stabilize();
    for (std::uint64_t i = 1; i <= 3; ++i)
      for (const auto& [slot, v] : first) CHECK(h.applied[i].at(slot) == v);
  }
  CHECK(h.violation.empty());
  for (std::uint64_t i = 2; i <= 3; ++i) CHECK(h.applied[i] == h.applied[1]);
}

TEST_CASE("multi-paxos: a lagging replica catches up; a restarted one replays", "[paxos][multi]") {
  harness h(3);
  h.elect(1);
  h.isolate(3);
  for (int k = 0; k < 50; ++k) REQUIRE(h[1].propose(val("e" + std::to_string(k))).has_value());
  h.stabilize();
  CHECK(h[1].chosen() == log_index{51});
  CHECK(h[3].chosen() == log_index{1});
  h.heal();
  h.tick_all(2);  // heartbeats reveal the lag; the leader resends
  CHECK(h[3].chosen() == log_index{51});
  CHECK(h.applied[3] == h.applied[1]);
  h.stop(2);
  h.start(2);
  h.tick_all(2);
  CHECK(h[2].chosen() == log_index{51});
  CHECK(h.applied[2] == h.applied[1]);  // handed out again from the restored log
  CHECK(h.violation.empty());
}

TEST_CASE("multi-paxos: phase 1 is paged when the accepted slots exceed a message", "[paxos][multi]") {
  multi_config c = no_lease();
  c.msg_bytes_max = 200;  // a few entries per promise or accept
  harness h(3, c);
  h.elect(1);
  h.cut.insert({1, 3});
  for (int k = 0; k < 30; ++k) REQUIRE(h[1].propose(val("value-" + std::to_string(k))).has_value());
  h.stabilize();
  h.stop(1);
  h.heal();
  h.elect(3);  // 3 has nothing: 2's promise comes in pages
  std::size_t prepares_to_2 = 0;
  for (const auto& m : h.delivered)
    if (m.type == multi_type::prepare && m.to == n(2) && m.b == h[3].promised()) ++prepares_to_2;
  CHECK(prepares_to_2 > 3);
  h.stabilize();
  CHECK(h[3].stats().slots_recovered == 30);
  for (int k = 0; k < 30; ++k) CHECK(h.applied[3][static_cast<std::uint64_t>(k) + 2] == "value-" + std::to_string(k));
  CHECK(h.violation.empty());
}

TEST_CASE("multi-paxos: dueling candidates settle on one leader", "[paxos][multi]") {
  harness h(3, no_lease());
  REQUIRE(h[1].campaign().has_value());
  REQUIRE(h[2].campaign().has_value());
  h.stabilize();
  int leaders = 0;
  for (std::uint64_t i = 1; i <= 3; ++i) leaders += h[i].role() == multi_role::leader ? 1 : 0;
  if (leaders == 0) h.tick_all(40);  // randomized timeouts break the tie
  leaders = 0;
  std::uint64_t who = 0;
  for (std::uint64_t i = 1; i <= 3; ++i)
    if (h[i].role() == multi_role::leader) ++leaders, who = i;
  REQUIRE(leaders == 1);
  REQUIRE(h[who].propose(val("won")).has_value());
  h.stabilize();
  for (std::uint64_t i = 1; i <= 3; ++i) CHECK(h[i].chosen() == h[who].last_index());
}

TEST_CASE("multi-paxos: a live leader's followers refuse a higher prepare (check_quorum)", "[paxos][multi]") {
  harness h(3);
  h.elect(1);
  h.isolate(3);
  REQUIRE(h[3].campaign().has_value());
  REQUIRE(h[3].campaign().has_value());
  h.stabilize();
  h.heal();
  h.tick_all(1);  // 3 retries: its prepare reaches 1 and 2 while they hear from 1
  REQUIRE(h[3].campaign().has_value());
  h.stabilize();
  CHECK(h[2].stats().count(multi_reject::in_lease) >= 1);
  CHECK(h[1].role() == multi_role::leader);
  CHECK(h[2].leader() == n(1));
  // A leader that no longer hears from a quorum steps down.
  h.isolate(1);
  h.tick_all(25);
  CHECK(h[1].role() != multi_role::leader);
}

TEST_CASE("multi-paxos: flexible quorums, |Q1| = 4 and |Q2| = 2 of 5", "[paxos][multi][flexible]") {
  multi_config c = no_lease();
  std::vector<node_id> members{n(1), n(2), n(3), n(4), n(5)};
  auto q = cohort::quorum::flexible_config::create(members, 4, 2);
  REQUIRE(q.has_value());
  std::map<std::uint64_t, std::unique_ptr<storage_t>> stores;
  std::map<std::uint64_t, std::unique_ptr<raw_node<storage_t, cohort::quorum::flexible_config>>> nodes;
  for (std::uint64_t i = 1; i <= 5; ++i) {
    stores[i] = std::make_unique<storage_t>();
    c.id = n(i);
    auto r = raw_node<storage_t, cohort::quorum::flexible_config>::create(c, *stores[i], *q, cohort::xoshiro256ss(i));
    REQUIRE(r.has_value());
    nodes[i] = std::make_unique<raw_node<storage_t, cohort::quorum::flexible_config>>(std::move(r).value());
  }
  std::set<std::uint64_t> down;
  auto run = [&] {
    for (int round = 0; round < 200; ++round) {
      std::vector<multi_message> q2;
      bool any = false;
      for (auto& [i, nd] : nodes) {
        if (down.count(i) || !nd->has_ready()) continue;
        any = true;
        auto& r = nd->take_ready();
        REQUIRE(stores[i]->append(r.entries).has_value());
        if (r.has_hard_state) REQUIRE(stores[i]->save_hard_state(r.hs).has_value());
        for (auto& m : r.messages) q2.push_back(m);
        for (auto& m : r.after_persist) q2.push_back(m);
        nd->acknowledge(r.number);
      }
      for (auto& m : q2)
        if (!down.count(m.to.value())) (void)nodes[m.to.value()]->step(m);
      if (!any && q2.empty()) return;
    }
  };
  // Phase 1 needs four: with 3, 4 and 5 down a candidate cannot lead.
  down = {3, 4, 5};
  REQUIRE(nodes[1]->campaign().has_value());
  run();
  CHECK(nodes[1]->role() == multi_role::candidate);
  // With four up it leads; then phase 2 needs only two: 1 and 2 choose alone.
  down = {5};
  REQUIRE(nodes[1]->campaign().has_value());
  run();
  REQUIRE(nodes[1]->role() == multi_role::leader);
  down = {3, 4, 5};
  auto s = nodes[1]->propose(bytes::copy_of(std::string("fast")));
  REQUIRE(s.has_value());
  run();
  CHECK(nodes[1]->chosen() == *s);
  CHECK(nodes[2]->chosen() == *s);
  // A new leader must hear from four, so it meets 1 or 2 and adopts "fast".
  down = {1};
  REQUIRE(nodes[3]->campaign().has_value());
  run();
  REQUIRE(nodes[3]->role() == multi_role::leader);
  run();
  REQUIRE(nodes[4]->entry(*s).has_value());
  CHECK(nodes[4]->entry(*s)->data.as_string_view() == "fast");
  CHECK(nodes[4]->chosen() >= *s);
}

TEST_CASE("multi-paxos: compaction below the applied slot, and who then needs a snapshot", "[paxos][multi]") {
  harness h(3, no_lease());
  h.elect(1);
  h.isolate(3);
  for (int k = 0; k < 10; ++k) REQUIRE(h[1].propose(val("c" + std::to_string(k))).has_value());
  h.stabilize();
  CHECK(h[1].compact(log_index{20}).error().code == cohort::errc::unavailable);
  REQUIRE(h[1].compact(log_index{8}).has_value());
  CHECK(h[1].first_index() == log_index{9});
  CHECK(h[1].compact(log_index{5}).error().code == cohort::errc::compacted);
  h.heal();
  h.tick_all(2);
  const auto* p3 = h[1].progress_of(n(3));
  REQUIRE(p3 != nullptr);
  CHECK(p3->state == cohort::raft::progress_state::snapshot);  // needs slots 2..8: snapshot transfer is not yet there
  CHECK(h[3].chosen() == log_index{1});
  // Node 2 (up to date) still follows; a candidate behind 2's compaction point gets a refusing promise.
  REQUIRE(h[2].compact(log_index{8}).has_value());
  h.stop(1);
  REQUIRE(h[3].campaign().has_value());
  h.stabilize();
  CHECK(h[3].role() != multi_role::leader);
}

TEST_CASE("multi-paxos: a replica far behind catches up from the leader's storage", "[paxos][multi]") {
  harness h(3);
  h.elect(1);
  h.isolate(3);
  const int count = 5000;
  for (int k = 0; k < count; k += 64) {
    std::vector<bytes> batch;
    for (int j = k; j < std::min(count, k + 64); ++j) batch.push_back(val("s" + std::to_string(j)));
    REQUIRE(h[1].propose(std::span<const bytes>(batch)).has_value());
    h.stabilize();
  }
  CHECK(h[1].entry_at(log_index{2}) == nullptr);  // applied: moved out of memory, still in storage
  REQUIRE(h[1].entry(log_index{2}).has_value());
  CHECK(str(h[1].entry(log_index{2})->data) == "s0");
  h.heal();
  h.tick_all(3);
  CHECK(h[3].chosen() == h[1].chosen());
  CHECK(h.applied[3] == h.applied[1]);
  CHECK(h.violation.empty());
}
