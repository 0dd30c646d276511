#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace raft_test;

namespace {

struct snapshot_of {
  term t;
  node_id vote;
  log_index last, committed;
  role r;
  explicit snapshot_of(node_t& nd) : t(nd.current_term()), vote(nd.voted_for()), last(nd.last_index()), committed(nd.committed()), r(nd.role()) {}
  bool operator==(const snapshot_of& o) const {
    return t == o.t && vote == o.vote && last == o.last && committed == o.committed && r == o.r;
  }
};

message append_from(std::uint64_t from, std::uint64_t to, term t, log_index prev, term prev_term) {
  message m;
  m.type = message_type::append;
  m.from = n(from);
  m.to = n(to);
  m.term = t;
  m.index = prev;
  m.log_term = prev_term;
  return m;
}

}  // namespace

TEST_CASE("raft gate: hostile messages are rejected, counted, and change nothing", "[raft][gate]") {
  harness h(3);
  h.elect(1);
  h.stabilize();
  node_t& f = h[2];
  const snapshot_of before(f);
  const auto check = [&](message m, reject_reason why) {
    const auto count = f.stats().rejected[static_cast<std::size_t>(why)];
    auto r = f.step(std::move(m));
    CHECK_FALSE(r.has_value());
    CHECK(f.stats().rejected[static_cast<std::size_t>(why)] == count + 1);
    CHECK(snapshot_of(f) == before);
    CHECK_FALSE(f.has_ready());
  };
  auto m = append_from(1, 2, term{1}, log_index{1}, term{1});
  m.to = n(3);
  check(m, reject_reason::wrong_destination);
  check(append_from(9, 2, term{1}, log_index{1}, term{1}), reject_reason::unknown_sender);
  check(append_from(2, 2, term{1}, log_index{1}, term{1}), reject_reason::unknown_sender);
  check(append_from(1, 2, term{config::term_max}, log_index{1}, term{1}), reject_reason::absurd_term);
  m = append_from(1, 2, term{1}, log_index{1}, term{1});
  m.entries.push_back(cohort::log_entry{log_index{3}, term{1}, cohort::entry_kind::normal, {}});  // gap
  check(m, reject_reason::malformed);
  m.entries = {cohort::log_entry{log_index{2}, term{2}, cohort::entry_kind::normal, {}}};  // term beyond the message's
  check(m, reject_reason::malformed);
  m.entries = {cohort::log_entry{log_index{2}, term{1}, static_cast<cohort::entry_kind>(7), {}}};
  check(m, reject_reason::malformed);
  m.entries = {cohort::log_entry{log_index{2}, term{0}, cohort::entry_kind::normal, {}}};  // older than log_term
  check(m, reject_reason::malformed);
  check(append_from(1, 2, term{1}, log_index{1}, term{2}), reject_reason::malformed);  // log_term beyond term
  m = append_from(1, 2, term{2}, log_index{1}, term{1});  // terms that go down inside the message
  m.entries = {cohort::log_entry{log_index{2}, term{2}, cohort::entry_kind::normal, {}},
               cohort::log_entry{log_index{3}, term{1}, cohort::entry_kind::normal, {}},
               cohort::log_entry{log_index{4}, term{2}, cohort::entry_kind::normal, {}}};
  check(m, reject_reason::malformed);
  m.entries[1].term = term{3};  // a middle entry beyond the message's term (so the next one goes down)
  check(m, reject_reason::malformed);
  m.entries[1].term = term{2};
  m.entries[2].index = log_index{5};  // a gap after the first entries
  check(m, reject_reason::malformed);
  m = append_from(1, 2, term{1}, log_index{1}, term{1});
  for (std::uint64_t i = 0; i < 3; ++i)
    m.entries.push_back(cohort::log_entry{log_index{2 + i}, term{1}, cohort::entry_kind::normal, data(std::string(1 << 20, 'x'))});
  check(m, reject_reason::oversized);
  message hb;
  hb.type = message_type::heartbeat;
  hb.from = n(1);
  hb.to = n(2);
  hb.term = term{1};
  hb.entries.push_back({});
  check(hb, reject_reason::malformed);
  message bad_type = hb;
  bad_type.entries.clear();
  bad_type.type = static_cast<message_type>(200);
  check(bad_type, reject_reason::malformed);
}

TEST_CASE("raft gate: an acknowledgement past the leader's log is refused", "[raft][gate]") {
  harness h(3);
  h.elect(1);
  message m;
  m.type = message_type::append_response;
  m.from = n(2);
  m.to = n(1);
  m.term = term{1};
  m.index = log_index{1000};
  const auto committed = h[1].committed();
  auto r = h[1].step(m);
  CHECK_FALSE(r.has_value());
  CHECK(h[1].stats().rejected[static_cast<std::size_t>(reject_reason::index_past_end)] == 1);
  CHECK(h[1].committed() == committed);
  CHECK(h[1].progress_of(n(2))->match <= h[1].last_index());
}

TEST_CASE("raft gate: a stale leader learns the new term and steps down", "[raft][gate]") {
  harness h(3);
  h.elect(1);
  h.isolate(1);
  for (int i = 0; i < 30; ++i) h.tick(2), h.tick(3);
  h.stabilize();
  REQUIRE(h[2].campaign().has_value());
  h.stabilize();
  REQUIRE(h[2].role() == role::leader);
  REQUIRE(h[1].role() == role::leader);  // has not noticed yet
  h.heal();
  h[1].tick();  // heartbeats at the stale term
  h.stabilize();
  CHECK(h[1].role() == role::follower);
  CHECK(h[1].current_term() == h[2].current_term());
  CHECK(h[2].stats().rejected[static_cast<std::size_t>(reject_reason::stale_term)] >= 1);
}

TEST_CASE("raft config: invalid settings are refused at construction", "[raft][config]") {
  memory_storage s;
  config c;
  CHECK(node_t::create(c, s).error().code == cohort::errc::invalid_config);  // id 0
  c.id = n(1);
  CHECK(node_t::create(c, s).error().code == cohort::errc::invalid_config);  // no voters
  c.voters = {n(1), n(1)};
  CHECK_FALSE(node_t::create(c, s).has_value());
  c.voters = {n(1), n(2)};
  c.heartbeat_ticks = 10;
  CHECK_FALSE(node_t::create(c, s).has_value());
  c.heartbeat_ticks = 1;
  c.election_ticks = 1;
  CHECK_FALSE(node_t::create(c, s).has_value());
  c.election_ticks = 10;
  CHECK(node_t::create(c, s).has_value());
}
