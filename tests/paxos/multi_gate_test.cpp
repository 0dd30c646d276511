// The Multi-Paxos gate: every hostile message is rejected with a counted
// reason and changes nothing (no state, no output).
#include <catch2/catch.hpp>

#include "multi_harness.hpp"

using namespace paxos_test;
using cohort::log_entry;
using cohort::term;

namespace {

struct view {
  ballot promised;
  multi_role role;
  node_id leader;
  log_index last, chosen, applied;
  explicit view(node_t& nd)
      : promised(nd.promised()), role(nd.role()), leader(nd.leader()), last(nd.last_index()), chosen(nd.chosen()),
        applied(nd.applied()) {}
  bool operator==(const view& o) const {
    return promised == o.promised && role == o.role && leader == o.leader && last == o.last && chosen == o.chosen &&
           applied == o.applied;
  }
};

multi_message accept_from(std::uint64_t from, std::uint64_t to, ballot b, log_index prev, log_index commit) {
  multi_message m;
  m.type = multi_type::accept;
  m.from = n(from);
  m.to = n(to);
  m.b = b;
  m.index = prev;
  m.commit = commit;
  return m;
}

log_entry slot(std::uint64_t s, ballot b, const std::string& v) {
  return log_entry{log_index{s}, pack_ballot(b), cohort::entry_kind::normal, val(v)};
}

}  // namespace

TEST_CASE("multi-paxos gate: hostile messages are rejected, counted, and change nothing", "[paxos][multi][gate]") {
  harness h(3);
  h.elect(1);
  REQUIRE(h[1].propose(val("a")).has_value());
  h.stabilize();
  node_t& f = h[2];
  const ballot b = h[1].promised();
  const view before(f);
  const auto check = [&](multi_message m, multi_reject why) {
    const auto count = f.stats().count(why);
    const auto total = f.stats().rejected_total();
    auto r = f.step(std::move(m));
    CHECK_FALSE(r.has_value());
    CHECK(f.stats().count(why) == count + 1);
    CHECK(f.stats().rejected_total() == total + 1);
    CHECK(view(f) == before);
    CHECK_FALSE(f.has_ready());
  };
  const log_index c{2};

  auto m = accept_from(1, 2, b, c, c);
  m.to = n(3);
  check(m, multi_reject::wrong_destination);
  check(accept_from(9, 2, b, c, c), multi_reject::unknown_sender);
  check(accept_from(2, 2, ballot{1, n(2)}, c, c), multi_reject::unknown_sender);
  check(accept_from(1, 2, ballot{multi_round_max, n(1)}, c, c), multi_reject::absurd_ballot);
  m = accept_from(1, 2, b, c, c);
  m.type = static_cast<multi_type>(42);
  check(m, multi_reject::malformed);
  check(accept_from(1, 2, ballot{b.round + 1, n(3)}, c, c), multi_reject::malformed);  // ballot not its sender's
  check(accept_from(1, 2, b, log_index{multi_slot_max}, c), multi_reject::absurd_slot);
  check(accept_from(1, 2, b, c, log_index{multi_slot_max + 5}), multi_reject::absurd_slot);

  m = accept_from(1, 2, b, c, c);
  m.entries = {slot(4, b, "gap")};  // not contiguous with prev
  check(m, multi_reject::malformed);
  m.entries = {slot(3, ballot{b.round + 1, n(1)}, "future")};  // a ballot above the message's
  check(m, multi_reject::malformed);
  m.entries = {slot(3, ballot{b.round - 1 + 1, n(9)}, "stranger")};  // accepted by a non-member's ballot
  check(m, multi_reject::malformed);
  m.entries = {slot(3, ballot{0, n(2)}, "old, not chosen")};  // older ballot above the commit point
  check(m, multi_reject::malformed);
  m.entries = {log_entry{log_index{3}, term{}, cohort::entry_kind::normal, {}}};  // an empty slot in an accept
  check(m, multi_reject::malformed);
  m.entries = {log_entry{log_index{3}, pack_ballot(b), static_cast<cohort::entry_kind>(1), val("cfg")}};
  check(m, multi_reject::malformed);

  m = accept_from(1, 2, b, c, c);
  const std::string big(1 << 20, 'x');
  m.entries = {slot(3, b, big), slot(4, b, big), slot(5, b, big)};
  check(m, multi_reject::oversized);

  check(accept_from(1, 2, b, log_index{2 + f.settings().slots_ahead_max + 1}, c), multi_reject::index_past_end);

  multi_message p;
  p.type = multi_type::prepare;
  p.from = n(3);
  p.to = n(2);
  p.b = ballot{b.round + 1, n(3)};
  p.entries = {slot(3, b, "x")};  // a prepare carries no entries
  check(p, multi_reject::malformed);
  p.entries.clear();
  check(p, multi_reject::in_lease);  // 2 hears from its leader

  multi_message pr;  // a promise for a ballot 2 never used
  pr.type = multi_type::promise;
  pr.from = n(3);
  pr.to = n(2);
  pr.b = ballot{7, n(1)};
  check(pr, multi_reject::malformed);
  pr.b = ballot{7, n(2)};
  pr.index = log_index{0};
  pr.last = log_index{5};  // claims slots but sends none
  check(pr, multi_reject::malformed);

  multi_message nk;
  nk.type = multi_type::nack;
  nk.from = n(3);
  nk.to = n(2);
  nk.b = ballot{3, n(2)};
  nk.promised = ballot{2, n(3)};  // a nack must name a higher promise
  check(nk, multi_reject::malformed);

  // A stale ballot is refused (counted) with a nack, and nothing else changes.
  const auto stale = f.stats().count(multi_reject::stale_ballot);
  auto r = f.step(accept_from(3, 2, ballot{0, n(3)}, c, c));
  CHECK(r.error().code == cohort::errc::stale_term);
  CHECK(f.stats().count(multi_reject::stale_ballot) == stale + 1);
  CHECK(view(f) == before);
  auto& rd = f.take_ready();
  CHECK_FALSE(rd.has_hard_state);
  CHECK(rd.entries.empty());
  REQUIRE(rd.messages.size() == 1);
  CHECK(rd.messages[0].type == multi_type::nack);
  f.acknowledge(rd.number);

  // The leader refuses acknowledgements of slots it never had.
  node_t& l = h[1];
  multi_message ar;
  ar.type = multi_type::accept_response;
  ar.from = n(2);
  ar.to = n(1);
  ar.b = b;
  ar.index = log_index{100};
  const auto past = l.stats().count(multi_reject::index_past_end);
  CHECK_FALSE(l.step(ar).has_value());
  CHECK(l.stats().count(multi_reject::index_past_end) == past + 1);
  CHECK(l.chosen() == log_index{2});
}

TEST_CASE("multi-paxos gate: invalid configurations are refused at creation", "[paxos][multi][gate]") {
  storage_t s;
  const auto q = cohort::quorum::majority_config({n(1), n(2), n(3)});
  multi_config c;
  c.id = n(1);
  CHECK(node_t::create(c, s, q).has_value());
  c.id = n(4);
  CHECK(node_t::create(c, s, q).error().code == cohort::errc::invalid_config);  // not a member
  c.id = n(70000);
  CHECK(node_t::create(c, s, q).error().code == cohort::errc::invalid_config);  // id does not pack into a ballot
  c.id = n(1);
  c.heartbeat_ticks = c.election_ticks;
  CHECK(node_t::create(c, s, q).error().code == cohort::errc::invalid_config);
  c = multi_config{};
  c.id = n(1);
  CHECK(node_t::create(c, s, cohort::quorum::majority_config({n(1), n(70000)})).error().code ==
        cohort::errc::invalid_config);
}
