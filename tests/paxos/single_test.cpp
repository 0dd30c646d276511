// Single-decree Paxos: the rules of "Paxos Made Simple" as scenarios, dueling
// proposers, hostile input, and the register under the simulator.
#include <catch2/catch.hpp>

#include <cohort/paxos/single.hpp>
#include <cohort/sim.hpp>

#include <cstring>
#include <deque>
#include <map>
#include <set>

#include "messages.hpp"
#include "support/seeds.hpp"

using namespace cohort::paxos;
using cohort::node_id;
using cohort::bytes;

namespace {

using node_t = single_node<>;

std::vector<node_id> members(std::size_t n) {
  std::vector<node_id> v;
  for (std::uint64_t i = 1; i <= n; ++i) v.push_back(node_id{i});
  return v;
}

message msg(message_type t, std::uint64_t from, std::uint64_t to, ballot b) {
  return paxos_test::make_message<message>(t, from, to, b);
}

// Nodes joined by a queue the test controls.
struct net {
  std::map<std::uint64_t, node_t> nodes;
  std::deque<message> q;
  std::set<std::uint64_t> down;
  explicit net(std::size_t n) {
    for (std::uint64_t i = 1; i <= n; ++i) {
      single_config c;
      c.id = node_id{i};
      nodes.emplace(i, node_t::create(c, members(n), cohort::quorum::majority_config(members(n)), cohort::xoshiro256ss(i)).value());
    }
  }
  void flush() {
    for (auto& [i, nd] : nodes)
      while (nd.has_ready())
        for (auto& m : nd.take_ready().messages) q.push_back(m);
  }
  void deliver_all() {
    for (int rounds = 0; rounds < 10000; ++rounds) {
      flush();
      if (q.empty()) return;
      message m = q.front();
      q.pop_front();
      if (!down.count(m.to.value()) && !down.count(m.from.value())) (void)nodes.at(m.to.value()).step(m);
    }
  }
};

}  // namespace

TEST_CASE("acceptor: promise and accept rules (P1a, P2c)", "[paxos][single]") {
  acceptor a(node_id{1});
  std::vector<message> out;
  const std::vector<node_id> learners = members(3);
  CHECK(a.handle(msg(message_type::prepare, 2, 1, ballot{5, node_id{2}}), learners, out));
  REQUIRE(out.back().type == message_type::promise);
  CHECK_FALSE(out.back().has_value);
  // A lower prepare is refused with the promise it is bound to.
  CHECK_FALSE(a.handle(msg(message_type::prepare, 3, 1, ballot{4, node_id{3}}), learners, out));
  REQUIRE(out.back().type == message_type::nack);
  CHECK(out.back().accepted_ballot == ballot{5, node_id{2}});
  // A lower accept too.
  auto acc = msg(message_type::accept, 3, 1, ballot{4, node_id{3}});
  acc.value = bytes::copy_of(std::string("x"));
  CHECK_FALSE(a.handle(acc, learners, out));
  CHECK(out.back().type == message_type::nack);
  CHECK(a.state().accepted.is_zero());
  // The promised ballot's accept is taken and announced to every learner.
  out.clear();
  auto acc2 = msg(message_type::accept, 2, 1, ballot{5, node_id{2}});
  acc2.value = bytes::copy_of(std::string("v"));
  CHECK(a.handle(acc2, learners, out));
  REQUIRE(out.size() == 2);  // to the proposer (2) and to learner 3
  CHECK(out[0].to == node_id{2});
  CHECK(out[1].to == node_id{3});
  // A later prepare learns what was accepted.
  out.clear();
  a.handle(msg(message_type::prepare, 3, 1, ballot{7, node_id{3}}), learners, out);
  REQUIRE(out.back().type == message_type::promise);
  CHECK(out.back().has_value);
  CHECK(out.back().accepted_ballot == ballot{5, node_id{2}});
  CHECK(out.back().value.as_string_view() == "v");
}

TEST_CASE("paxos: one proposer gets its value chosen everywhere", "[paxos][single]") {
  net n(3);
  REQUIRE(n.nodes.at(1).propose(bytes::copy_of(std::string("first"))).has_value());
  n.deliver_all();
  for (auto& [i, nd] : n.nodes) {
    REQUIRE(nd.chosen().has_value());
    CHECK(nd.chosen()->as_string_view() == "first");
  }
}

TEST_CASE("paxos: a later proposer adopts the value a minority accepted (P2c)", "[paxos][single]") {
  net n(3);
  // Node 1 gets "a" accepted by itself and node 2, then everything stops.
  REQUIRE(n.nodes.at(1).propose(bytes::copy_of(std::string("a"))).has_value());
  n.flush();
  // deliver prepares and promises, then only the accept to node 2
  for (int k = 0; k < 2; ++k) {
    auto m = n.q.front();
    n.q.pop_front();
    if (m.to == node_id{2}) (void)n.nodes.at(2).step(m);
  }
  n.flush();
  std::deque<message> keep;
  while (!n.q.empty()) {
    auto m = n.q.front();
    n.q.pop_front();
    if (m.type == message_type::promise) (void)n.nodes.at(m.to.value()).step(m);
    else keep.push_back(m);
  }
  n.flush();
  for (auto& m : n.q)
    if (m.type == message_type::accept && m.to == node_id{2}) (void)n.nodes.at(2).step(m);
  n.q.clear();
  n.flush();
  n.q.clear();  // the accepted messages are lost
  REQUIRE(n.nodes.at(2).acceptor_view().value.as_string_view() == "a");
  // Node 3 proposes "b" with a higher ballot; node 2's promise carries "a".
  n.down.insert(1);
  REQUIRE(n.nodes.at(3).propose(bytes::copy_of(std::string("b"))).has_value());
  n.deliver_all();
  REQUIRE(n.nodes.at(3).chosen().has_value());
  CHECK(n.nodes.at(3).chosen()->as_string_view() == "a");
  CHECK(n.nodes.at(2).chosen()->as_string_view() == "a");
}

TEST_CASE("paxos: dueling proposers terminate thanks to randomized backoff", "[paxos][single]") {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    net n(5);
    for (std::uint64_t i = 1; i <= 5; ++i)
      REQUIRE(n.nodes.at(i).propose(bytes::copy_of("v" + std::to_string(i))).has_value());
    // Interleave deliveries with ticks so rounds collide and back off.
    cohort::xoshiro256ss r(seed);
    int ticks = 0;
    for (; ticks < 5000; ++ticks) {
      n.flush();
      const auto k = n.q.empty() ? 0 : cohort::uniform_below(r, std::min<std::size_t>(n.q.size(), 6));
      for (std::uint64_t d = 0; d < k; ++d) {
        const auto pick = cohort::uniform_below(r, n.q.size());
        auto m = n.q[pick];
        n.q.erase(n.q.begin() + static_cast<std::ptrdiff_t>(pick));
        (void)n.nodes.at(m.to.value()).step(m);
      }
      for (auto& [i, nd] : n.nodes) nd.tick();
      bool all = true;
      for (auto& [i, nd] : n.nodes) all = all && nd.chosen().has_value();
      if (all) break;
    }
    INFO("seed " << seed);
    REQUIRE(ticks < 5000);
    std::set<std::string> chosen;
    for (auto& [i, nd] : n.nodes) chosen.insert(std::string(nd.chosen()->as_string_view()));
    CHECK(chosen.size() == 1);
  }
}

TEST_CASE("paxos: hostile messages are refused and change nothing", "[paxos][single]") {
  net n(3);
  node_t& nd = n.nodes.at(1);
  const auto before = nd.acceptor_view();
  CHECK_FALSE(nd.step(msg(message_type::prepare, 9, 1, ballot{3, node_id{9}})).has_value());      // unknown
  CHECK_FALSE(nd.step(msg(message_type::prepare, 2, 3, ballot{3, node_id{2}})).has_value());      // not for us
  CHECK_FALSE(nd.step(msg(message_type::prepare, 2, 1, ballot{3, node_id{3}})).has_value());      // someone else's ballot
  CHECK_FALSE(nd.step(msg(message_type::prepare, 2, 1, ballot{node_t::round_max, node_id{2}})).has_value());
  auto bad_type = msg(message_type::prepare, 2, 1, ballot{3, node_id{2}});
  bad_type.type = static_cast<message_type>(77);
  CHECK_FALSE(nd.step(bad_type).has_value());
  auto other_instance = msg(message_type::prepare, 2, 1, ballot{3, node_id{2}});
  other_instance.instance = 4;
  CHECK_FALSE(nd.step(other_instance).has_value());
  CHECK(nd.rejected() == 6);
  CHECK(nd.acceptor_view() == before);
  CHECK_FALSE(nd.has_ready());
  single_config c;
  CHECK(node_t::create(c, members(3), cohort::quorum::majority_config(members(3)), cohort::xoshiro256ss(1)).error().code ==
        cohort::errc::invalid_config);
  c.id = node_id{4};
  CHECK_FALSE(node_t::create(c, members(3), cohort::quorum::majority_config(members(3)), cohort::xoshiro256ss(1)).has_value());
}

TEST_CASE("paxos: flexible quorums (N=5, q1=4, q2=2) still choose one value", "[paxos][single][flexible]") {
  std::map<std::uint64_t, single_node<cohort::quorum::flexible_config>> nodes;
  for (std::uint64_t i = 1; i <= 5; ++i) {
    single_config c;
    c.id = node_id{i};
    nodes.emplace(i, single_node<cohort::quorum::flexible_config>::create(
                         c, members(5), cohort::quorum::flexible_config::create(members(5), 4, 2).value(),
                         cohort::xoshiro256ss(i))
                         .value());
  }
  REQUIRE(nodes.at(1).propose(bytes::copy_of(std::string("x"))).has_value());
  REQUIRE(nodes.at(2).propose(bytes::copy_of(std::string("y"))).has_value());
  std::deque<message> q;
  for (int round = 0; round < 20000; ++round) {
    for (auto& [i, nd] : nodes)
      while (nd.has_ready())
        for (auto& m : nd.take_ready().messages) q.push_back(m);
    if (q.empty()) {
      for (auto& [i, nd] : nodes) nd.tick();
      continue;
    }
    auto m = q.front();
    q.pop_front();
    (void)nodes.at(m.to.value()).step(m);
  }
  std::set<std::string> chosen;
  for (auto& [i, nd] : nodes) {
    REQUIRE(nd.chosen().has_value());
    chosen.insert(std::string(nd.chosen()->as_string_view()));
  }
  CHECK(chosen.size() == 1);
}

// ---------------------------------------------------------------------------
// The register under the simulator: acceptor state persisted (append + sync)
// before replies leave; crashes lose unsynced writes; many seeds.

namespace {

struct sim_paxos {
  using message = cohort::paxos::message;
  using context = cohort::sim::node_context<message>;

  sim_paxos(context& ctx, std::size_t n, std::map<std::uint64_t, std::string>* chosen_log)
      : ctx_(ctx), log_(chosen_log) {
    single_config c;
    c.id = ctx.id;
    node_.emplace(node_t::create(c, members(n), cohort::quorum::majority_config(members(n)), ctx.rng, restore()).value());
    (void)node_->propose(bytes::copy_of("value-of-" + std::to_string(ctx.id.value())));
    drive();
  }
  void receive(node_id, message&& m) {
    (void)node_->step(m);
    drive();
  }
  void tick() {
    node_->tick();
    drive();
  }

 private:
  acceptor_state restore() {
    acceptor_state s;
    auto& st = ctx_.storage;
    if (st.last_index() < st.first_index()) return s;
    std::vector<cohort::log_entry> out;
    if (!st.entries(st.last_index(), st.last_index() + 1, 1 << 20, out)) return s;
    const auto d = out[0].data.view();
    std::uint64_t w[4];
    std::memcpy(w, d.data(), sizeof w);
    s.promised = ballot{w[0], node_id{w[1]}};
    s.accepted = ballot{w[2], node_id{w[3]}};
    s.value = out[0].data.slice(32, d.size() - 32);
    return s;
  }
  void drive() {
    while (node_->has_ready()) {
      auto r = node_->take_ready();
      if (r.persist) {
        std::uint64_t w[4] = {r.state.promised.round, r.state.promised.node.value(), r.state.accepted.round,
                              r.state.accepted.node.value()};
        std::vector<std::byte> raw(32 + r.state.value.size());
        std::memcpy(raw.data(), w, 32);
        if (!r.state.value.empty()) std::memcpy(raw.data() + 32, r.state.value.view().data(), r.state.value.size());
        const cohort::log_entry e{ctx_.storage.last_index() + 1, cohort::term{1}, cohort::entry_kind::normal,
                                  bytes::copy_of(cohort::bytes_view(raw.data(), raw.size()))};
        if (!ctx_.storage.append(std::span(&e, 1)) || !ctx_.storage.sync()) return;  // cannot persist: say nothing
      }
      for (auto& m : r.messages) ctx_.transport.send(m.to, std::move(m));
      if (r.chosen) {
        auto [it, fresh] = log_->emplace(ctx_.id.value(), std::string(r.chosen->as_string_view()));
        if (!fresh && it->second != r.chosen->as_string_view()) it->second = "CHANGED";
      }
    }
  }
  context ctx_;
  std::map<std::uint64_t, std::string>* log_;
  std::optional<node_t> node_;
};

}  // namespace

TEST_CASE("paxos sim: one value chosen, a proposed one, learned everywhere, over swarm seeds", "[paxos][sim][swarm]") {
  using namespace std::chrono_literals;
  for (std::uint64_t seed : cohort_test::seeds(1, 150)) {
    std::map<std::uint64_t, std::string> chosen;
    cohort::sim::options base;
    base.servers = 5;
    base.phases.safety = 2s;
    base.phases.liveness = 20s;
    base.replay = cohort_test::replay_command("cohort_paxos_tests", "paxos sim: one value chosen, a proposed one, learned everywhere, over swarm seeds");
    auto o = cohort::sim::swarm(seed, base);
    auto c = cohort::sim::cluster<sim_paxos>::create(o, [&chosen](sim_paxos::context& ctx) {
      return std::make_unique<sim_paxos>(ctx, 5, &chosen);
    });
    REQUIRE(c.has_value());
    auto& cl = *c.value();
    cl.set_invariant([&]() -> cohort::result<void> {
      std::set<std::string> values;
      for (auto& [n, v] : chosen) values.insert(v);
      if (values.size() > 1) return cohort::make_error(cohort::errc::conflict, "two values chosen");
      for (auto& v : values)
        if (v.rfind("value-of-", 0) != 0) return cohort::make_error(cohort::errc::conflict, "a value nobody proposed: " + v);
      return cohort::success();
    });
    const auto rep = cl.run([&] { return chosen.size() == 5; });
    INFO(rep.summary());
    REQUIRE(rep.ok);
  }
}
