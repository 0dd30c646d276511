// Exact text of the formatters in cohort/fmt/paxos.hpp: single-decree and
// Multi-Paxos messages, states, settings, statistics and ready batches.
#include <cohort/fmt/paxos.hpp>
#include <cohort/raft/memory_storage.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

#include "messages.hpp"

using cohort::bytes;
using cohort::log_entry;
using cohort::log_index;
using cohort::node_id;
using namespace cohort::paxos;

namespace {

ballot bal(std::uint64_t round, std::uint64_t node) { return ballot{round, node_id{node}}; }

message msg(message_type t, std::uint64_t from, std::uint64_t to, ballot b) {
  return paxos_test::make_message<message>(t, from, to, b);
}

multi_message mmsg(multi_type t, std::uint64_t from, std::uint64_t to, ballot b) {
  return paxos_test::make_message<multi_message>(t, from, to, b);
}

log_entry slot(std::uint64_t index, ballot b, const char* data) {
  return log_entry{log_index{index}, pack_ballot(b), cohort::entry_kind::normal, bytes::copy_of(data)};
}

std::vector<node_id> ids(std::initializer_list<std::uint64_t> v) {
  std::vector<node_id> out;
  for (auto x : v) out.emplace_back(x);
  return out;
}

}  // namespace

TEST_CASE("fmt paxos: ballots print as round.node", "[fmt][paxos]") {
  CHECK(fmt::format("{}", bal(3, 1)) == "3.1");
  CHECK(fmt::format("{}", ballot{}) == "0.0");
  CHECK(fmt::format("{}", bal(18446744073709551615u, 65535)) == "18446744073709551615.65535");
}

TEST_CASE("fmt paxos: enums print their names, or unknown(n) off the wire", "[fmt][paxos]") {
  CHECK(fmt::format("{}", message_type::prepare) == "prepare");
  CHECK(fmt::format("{}", message_type::nack) == "nack");
  CHECK(fmt::format("{}", static_cast<message_type>(7)) == "unknown(7)");
  CHECK(fmt::format("{}", multi_type::accept_response) == "accept_response");
  CHECK(fmt::format("{}", multi_type::heartbeat_response) == "heartbeat_response");
  CHECK(fmt::format("{}", static_cast<multi_type>(multi_type_count)) == "unknown(7)");
  CHECK(fmt::format("{}", static_cast<multi_type>(255)) == "unknown(255)");
  CHECK(fmt::format("{}", multi_role::candidate) == "candidate");
  CHECK(fmt::format("{}", static_cast<multi_role>(3)) == "unknown(3)");
  CHECK(fmt::format("{}", multi_reject::in_lease) == "in_lease");
  CHECK(fmt::format("{}", multi_reject::wrong_destination) == "wrong_destination");
  CHECK(fmt::format("{}", multi_reject::count_) == "unknown(9)");
}

TEST_CASE("fmt paxos: single-decree messages show the fields their type uses", "[fmt][paxos]") {
  CHECK(fmt::format("{}", msg(message_type::prepare, 1, 2, bal(3, 1))) == "1->2 prepare b=3.1");

  auto promise = msg(message_type::promise, 2, 1, bal(3, 1));
  CHECK(fmt::format("{}", promise) == "2->1 promise b=3.1");
  promise.accepted_ballot = bal(2, 3);
  promise.has_value = true;
  promise.value = bytes::copy_of("x");
  CHECK(fmt::format("{}", promise) == "2->1 promise b=3.1 accepted=2.3 \"x\"");

  auto accept = msg(message_type::accept, 1, 3, bal(3, 1));
  accept.has_value = true;
  accept.value = bytes::copy_of("v1");
  accept.instance = 4;
  CHECK(fmt::format("{}", accept) == "1->3 accept b=3.1 instance=4 \"v1\"");

  auto accepted = msg(message_type::accepted, 3, 2, bal(3, 1));
  accepted.has_value = true;
  CHECK(fmt::format("{}", accepted) == "3->2 accepted b=3.1 \"\"");

  auto nack = msg(message_type::nack, 2, 1, bal(3, 1));
  nack.accepted_ballot = bal(4, 2);
  CHECK(fmt::format("{}", nack) == "2->1 nack b=3.1 promised=4.2");

  auto hostile = msg(static_cast<message_type>(9), 5, 1, bal(1, 5));
  CHECK(fmt::format("{}", hostile) == "5->1 unknown(9) b=1.5");
}

TEST_CASE("fmt paxos: acceptor state, single config", "[fmt][paxos]") {
  CHECK(fmt::format("{}", acceptor_state{}) == "promised=0.0 accepted=none");
  CHECK(fmt::format("{}", acceptor_state{bal(3, 1), bal(2, 1), bytes::copy_of("x")}) ==
        "promised=3.1 accepted=2.1 \"x\"");
  single_config c;
  c.id = node_id{2};
  c.backoff_ticks = 4;
  CHECK(fmt::format("{}", c) == "id=2 timeout_ticks=10 backoff_ticks=4");
}

TEST_CASE("fmt paxos: single_ready from a node that starts a round", "[fmt][paxos]") {
  single_config c;
  c.id = node_id{1};
  auto n = single_node<>::create(c, ids({1, 2, 3}), cohort::quorum::majority_config(ids({1, 2, 3})),
                                 cohort::xoshiro256ss(1));
  REQUIRE(n);
  CHECK(fmt::format("{}", single_ready{}) == "empty");
  REQUIRE(n->propose(bytes::copy_of("v")));
  CHECK(fmt::format("{}", n->take_ready()) ==
        "persist(promised=1.1 accepted=none) messages=[1->2 prepare b=1.1, 1->3 prepare b=1.1]");

  auto promise = msg(message_type::promise, 2, 1, bal(1, 1));
  REQUIRE(n->step(promise));
  CHECK(fmt::format("{}", n->take_ready()) ==
        "persist(promised=1.1 accepted=1.1 \"v\") messages=[1->2 accepted b=1.1 \"v\", 1->3 accepted b=1.1 \"v\", "
        "1->2 accept b=1.1 \"v\", 1->3 accept b=1.1 \"v\"]");

  auto accepted = msg(message_type::accepted, 2, 1, bal(1, 1));
  accepted.has_value = true;
  accepted.value = bytes::copy_of("v");
  REQUIRE(n->step(accepted));
  CHECK(fmt::format("{}", n->take_ready()) == "chosen=\"v\"");
}

TEST_CASE("fmt paxos: multi messages show the fields their type uses", "[fmt][paxos]") {
  auto prepare = mmsg(multi_type::prepare, 1, 2, bal(3, 1));
  prepare.index = log_index{4};
  CHECK(fmt::format("{}", prepare) == "1->2 prepare b=3.1 index=4");

  auto promise = mmsg(multi_type::promise, 2, 1, bal(3, 1));
  promise.index = log_index{4};
  promise.commit = log_index{3};
  promise.last = log_index{6};
  promise.entries = {slot(5, bal(2, 2), "a"), slot(6, bal(2, 2), "")};
  CHECK(fmt::format("{}", promise) == "2->1 promise b=3.1 index=4 commit=3 last=6 [2.2/5 \"a\", 2.2/6 \"\"]");
  promise.entries.clear();
  promise.reject = true;
  CHECK(fmt::format("{}", promise) == "2->1 promise b=3.1 index=4 commit=3 last=6 rejected");

  auto accept = mmsg(multi_type::accept, 1, 3, bal(3, 1));
  accept.index = log_index{5};
  accept.commit = log_index{4};
  accept.entries = {slot(6, bal(3, 1), "x")};
  accept.entries.push_back(log_entry{log_index{7}, pack_ballot(bal(3, 1)), cohort::entry_kind::config, {}});
  CHECK(fmt::format("{}", accept) == "1->3 accept b=3.1 index=5 commit=4 [3.1/6 \"x\", 3.1/7 config \"\"]");

  auto response = mmsg(multi_type::accept_response, 3, 1, bal(3, 1));
  response.index = log_index{7};
  CHECK(fmt::format("{}", response) == "3->1 accept_response b=3.1 index=7");
  response.reject = true;
  response.hint = log_index{2};
  CHECK(fmt::format("{}", response) == "3->1 accept_response b=3.1 index=7 rejected hint=2");

  auto heartbeat = mmsg(multi_type::heartbeat, 1, 2, bal(3, 1));
  heartbeat.commit = log_index{9};
  CHECK(fmt::format("{}", heartbeat) == "1->2 heartbeat b=3.1 commit=9");
  CHECK(fmt::format("{}", mmsg(multi_type::heartbeat_response, 2, 1, bal(3, 1))) == "2->1 heartbeat_response b=3.1");

  auto nack = mmsg(multi_type::nack, 2, 1, bal(3, 1));
  nack.promised = bal(5, 3);
  CHECK(fmt::format("{}", nack) == "2->1 nack b=3.1 promised=5.3");

  auto hostile = mmsg(static_cast<multi_type>(200), 9, 1, bal(1, 9));
  hostile.index = log_index{4};
  CHECK(fmt::format("{}", hostile) == "9->1 unknown(200) b=1.9");
}

TEST_CASE("fmt paxos: multi stats list the non-zero reject reasons", "[fmt][paxos]") {
  multi_stats s;
  CHECK(fmt::format("{}", s) ==
        "steps=0 proposals_refused=0 elections_started=0 slots_recovered=0 gaps_filled=0 rejected=0");
  s.steps = 9;
  s.elections_started = 1;
  s.gaps_filled = 2;
  s.rejected[static_cast<std::size_t>(multi_reject::stale_ballot)] = 2;
  s.rejected[static_cast<std::size_t>(multi_reject::unknown_sender)] = 1;
  s.rejected[static_cast<std::size_t>(multi_reject::in_lease)] = 4;
  CHECK(fmt::format("{}", s) ==
        "steps=9 proposals_refused=0 elections_started=1 slots_recovered=0 gaps_filled=2 rejected=7 "
        "(unknown_sender=1 stale_ballot=2 in_lease=4)");
}

TEST_CASE("fmt paxos: multi config prints every field", "[fmt][paxos]") {
  multi_config c;
  c.id = node_id{3};
  c.check_quorum = false;
  c.inflight_bytes_max = 4096;
  CHECK(fmt::format("{}", c) ==
        "id=3 election_ticks=10 heartbeat_ticks=1 msg_bytes_max=1048576 inflight_msgs_max=256 "
        "inflight_bytes_max=4096 proposal_entries_max=65536 uncommitted_bytes_max=0 slots_ahead_max=16777216 "
        "check_quorum=false");
}

TEST_CASE("fmt paxos: multi_ready shows the parts in use", "[fmt][paxos]") {
  multi_ready r;
  r.number = 4;
  CHECK(fmt::format("{}", r) == "#4 empty");

  r.has_hard_state = true;
  r.hs = cohort::hard_state{cohort::term{3}, node_id{1}, log_index{5}};
  CHECK(fmt::format("{}", r) == "#4 hs=(promised=3.1 chosen=5)");

  const std::vector<log_entry> own{slot(6, bal(3, 1), "x")};
  r.entries = own;
  auto hb = mmsg(multi_type::heartbeat, 1, 2, bal(3, 1));
  r.messages.push_back(hb);
  hb.to = node_id{3};
  r.messages.push_back(hb);
  auto resp = mmsg(multi_type::accept_response, 1, 2, bal(3, 1));
  resp.index = log_index{6};
  r.after_persist.push_back(resp);
  const std::vector<log_entry> chosen{slot(5, bal(2, 2), "w")};
  r.committed = chosen;
  CHECK(fmt::format("{}", r) ==
        "#4 hs=(promised=3.1 chosen=5) entries=[3.1/6 \"x\"] "
        "messages=[1->2 heartbeat b=3.1 commit=0, 1->3 heartbeat b=3.1 commit=0] "
        "after_persist=[1->2 accept_response b=3.1 index=6] committed=[2.2/5 \"w\"]");

  r.has_hard_state = false;
  r.entries = {};
  r.messages.clear();
  r.after_persist.clear();
  CHECK(fmt::format("{}", r) == "#4 committed=[2.2/5 \"w\"]");
}

TEST_CASE("fmt paxos: a candidate's first batch", "[fmt][paxos]") {
  cohort::raft::memory_storage store;
  multi_config c;
  c.id = node_id{1};
  auto n = raw_node<cohort::raft::memory_storage>::create(c, store, cohort::quorum::majority_config(ids({1, 2, 3})),
                                                           cohort::xoshiro256ss(1));
  REQUIRE(n);
  REQUIRE(n->campaign());
  REQUIRE(n->has_ready());
  CHECK(fmt::format("{}", n->role()) == "candidate");
  CHECK(fmt::format("{}", n->promised()) == "1.1");
  // It saves its own promise and sends prepare only once that is durable.
  CHECK(fmt::format("{}", n->take_ready()) ==
        "#1 hs=(promised=1.1 chosen=0) after_persist=[1->2 prepare b=1.1 index=0, 1->3 prepare b=1.1 index=0]");
}
