#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace raft_test;

TEST_CASE("raft: a node elects itself in one round and commits its empty entry", "[raft][election]") {
  harness h(3);
  h.elect(1);
  CHECK(h[1].current_term() == term{1});
  CHECK(h[2].leader() == n(1));
  CHECK(h[3].leader() == n(1));
  CHECK(h[1].committed() == log_index{1});
  CHECK(h[2].committed() == log_index{1});
  CHECK(h.applied[3].size() == 1);
  CHECK(h.applied[3][0].data.empty());
}

TEST_CASE("raft: pre-vote does not raise terms when the election cannot win", "[raft][election][prevote]") {
  harness h(3);
  h.elect(1);
  h.isolate(3);
  for (int i = 0; i < 100; ++i) {
    h.tick(3);
    h.stabilize();
  }
  CHECK(h[3].current_term() == term{1});  // pre-votes failed: no term inflation
  CHECK(h[3].role() != role::leader);
  h.heal();
  h[1].tick();  // a heartbeat brings 3 back
  h.stabilize();
  CHECK(h[1].role() == role::leader);
  CHECK(h[1].current_term() == term{1});
  CHECK(h[3].leader() == n(1));
}

TEST_CASE("raft: without pre-vote a rejoining node's higher term deposes the leader", "[raft][election]") {
  config c;
  c.pre_vote = false;
  c.check_quorum = false;
  harness h(3, c);
  h.elect(1);
  h.isolate(3);
  for (int i = 0; i < 40; ++i) h.tick(3);
  h.stabilize();
  CHECK(h[3].current_term() > term{1});
  h.heal();
  for (int i = 0; i < 40 && h[1].current_term() == term{1}; ++i) {
    h.tick(3);  // 3 times out again and campaigns at its higher term
    h.stabilize();
  }
  CHECK(h[1].current_term() > term{1});  // the disruption pre-vote prevents
}

TEST_CASE("raft: check-quorum makes an isolated leader step down", "[raft][election][checkquorum]") {
  harness h(3);
  h.elect(1);
  h.isolate(1);
  // Peers heard from before the cut count for the current check; the next
  // one, at most two election timeouts later, finds no quorum.
  for (int i = 0; i < 20; ++i) {
    h.tick(1);
    h.stabilize();
  }
  CHECK(h[1].role() == role::follower);
  CHECK(h[1].leader() == cohort::no_node);
}

TEST_CASE("raft: votes in lease are ignored; one vote per term; log up-to-date rule", "[raft][election][vote]") {
  harness h(3);
  h.elect(1);
  // 2 heard from the leader just now: a vote request at a higher term is ignored.
  message v;
  v.type = message_type::vote;
  v.from = n(3);
  v.to = n(2);
  v.term = term{5};
  v.index = log_index{100};
  v.log_term = term{1};
  auto r = h[2].step(v);
  CHECK_FALSE(r.has_value());
  CHECK(h[2].current_term() == term{1});
  CHECK(h[2].stats().rejected[static_cast<std::size_t>(reject_reason::in_lease)] == 1);

  // Without a leader: grant to the first, refuse the second in the same term.
  config c;
  c.pre_vote = false;
  harness g(3, c);
  v.to = n(1);
  v.from = n(2);
  REQUIRE(g[1].step(v).has_value());
  CHECK(g[1].voted_for() == n(2));
  v.from = n(3);
  REQUIRE(g[1].step(v).has_value());
  CHECK(g[1].voted_for() == n(2));
  auto& rd = g[1].take_ready();
  REQUIRE(rd.after_persist.size() == 2);  // vote responses wait for the vote to be durable
  CHECK_FALSE(rd.after_persist[0].reject);
  CHECK(rd.after_persist[1].reject);
  CHECK(rd.has_hard_state);
  CHECK(rd.hs.vote == n(2));
}

TEST_CASE("raft: a candidate with a stale log cannot win (§5.4.1)", "[raft][election][vote]") {
  harness h(3);
  h.elect(1);
  h.isolate(3);
  REQUIRE(h[1].propose(data("x")).has_value());
  h.stabilize();
  h.heal();
  // 3 missed entry 2; a vote request from it is refused by 1 and 2.
  config c;
  message v;
  v.type = message_type::vote;
  v.from = n(3);
  v.term = term{9};
  v.index = log_index{1};
  v.log_term = term{1};
  for (std::uint64_t to : {1, 2}) {
    for (int i = 0; i < 30; ++i) h.tick(to);  // out of the leader lease
    v.to = n(to);
    (void)h[to].step(v);
    CHECK(h[to].voted_for() != n(3));
  }
}

TEST_CASE("raft: a new leader is elected after the old one is lost", "[raft][election]") {
  harness h(5);
  h.elect(1);
  h.isolate(1);
  for (int round = 0; round < 200 && h[2].role() != role::leader && h[3].role() != role::leader &&
                      h[4].role() != role::leader && h[5].role() != role::leader;
       ++round) {
    for (std::uint64_t i = 2; i <= 5; ++i) h.tick(i);
    h.stabilize();
  }
  int leaders = 0;
  for (std::uint64_t i = 2; i <= 5; ++i) leaders += h[i].role() == role::leader;
  CHECK(leaders == 1);
}
