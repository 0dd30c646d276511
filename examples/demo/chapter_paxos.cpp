// Chapter 4: Paxos. Two proposers duel over a write-once register and
// randomized backoff settles it; then a Multi-Paxos leader dies leaving a gap
// in its followers' slots, and the next leader fills it with a no-op.
#include <cohort/fmt.hpp>
#include <cohort/paxos.hpp>

#include <map>
#include <string>

#include "paxos/multi_sim_server.hpp"
#include "demo.hpp"

namespace {

using namespace std::chrono_literals;
using cohort::node_id;
namespace paxos = cohort::paxos;

// ---- single-decree: dueling proposers -------------------------------------------

bool duel() {
  using node_t = paxos::single_node<>;
  const std::vector<node_id> members{node_id{1}, node_id{2}, node_id{3}};
  std::map<std::uint64_t, node_t> nodes;
  for (std::uint64_t i = 1; i <= 3; ++i) {
    paxos::single_config c;
    c.id = node_id{i};
    c.timeout_ticks = 4;
    c.backoff_ticks = 3;
    nodes.emplace(i, node_t::create(c, members, cohort::quorum::majority_config(members), cohort::xoshiro256ss(i)).value());
  }
  (void)nodes.at(1).propose(cohort::bytes::copy_of(std::string("red")));
  (void)nodes.at(2).propose(cohort::bytes::copy_of(std::string("blue")));
  demo::say("Single-decree Paxos, 3 acceptors. Nodes 1 and 2 propose 'red' and 'blue' at the same instant,");
  demo::say("over a network that reorders everything and loses a quarter of the messages.");
  std::size_t nacks = 0, prepares = 0;
  cohort::xoshiro256ss net(11);
  std::map<std::uint64_t, std::string> chosen;
  for (int t = 0; t < 200 && chosen.size() < 3; ++t) {
    std::vector<paxos::message> in_flight;
    for (auto& [i, n] : nodes) {
      while (n.has_ready()) {
        auto r = n.take_ready();  // persist r.state first if r.persist (in memory here)
        for (auto& m : r.messages) in_flight.push_back(std::move(m));
        if (r.chosen && !chosen.count(i)) {
          chosen[i] = std::string(r.chosen->as_string_view());
          demo::say("tick {:3}  node {} learns '{}' (its ballot: round {})", t, i, chosen[i], n.current_ballot().round);
        }
      }
    }
    // A rough network: messages arrive in a shuffled order and a quarter are lost.
    for (std::size_t k = in_flight.size(); k > 1; --k) std::swap(in_flight[k - 1], in_flight[cohort::uniform_below(net, k)]);
    for (auto& m : in_flight) {
      nacks += m.type == paxos::message_type::nack;
      prepares += m.type == paxos::message_type::prepare;
      if (!cohort::chance(net, 1, 4)) (void)nodes.at(m.to.value()).step(m);
    }
    for (auto& [i, n] : nodes) n.tick();
  }
  demo::say("{} prepares and {} nacks on the way: a proposer that is outbid backs off a random number of ticks", prepares,
            nacks);
  demo::say("(drawn from its rng policy), so one of them gets a clear run. Everyone learned the same value.");
  const bool agreed = chosen.size() == 3 && chosen[1] == chosen[2] && chosen[2] == chosen[3];
  if (!agreed) demo::say("the proposers did not settle");
  return agreed;
}

// ---- Multi-Paxos: a leader change with gap filling ------------------------------

using cluster_t = cohort::sim::cluster<paxos_sim::server>;

paxos_sim::server* leader_of(cluster_t& c) {
  for (auto id : c.servers())
    if (auto* s = c.server(id); s && s->raw().role() == paxos::multi_role::leader) return s;
  return nullptr;
}

double ms(const cluster_t& c) { return static_cast<double>(c.now().time_since_epoch().count()) / 1e6; }

std::string describe(const cohort::log_entry& e) {
  if (e.term == cohort::term{}) return "(nothing accepted)";
  auto cmd = paxos_sim::command::decode(e.data);
  if (!cmd) return "no-op";
  return fmt::format("set x = {}", cmd->value);
}

bool gap() {
  cohort::sim::options o;
  o.seed = 4;
  o.servers = 5;
  paxos_sim::server_options so;
  for (std::uint64_t i = 1; i <= 5; ++i) so.members.push_back(node_id{i});
  auto c = cluster_t::create(o, [&so](paxos_sim::server::context& ctx) { return std::make_unique<paxos_sim::server>(ctx, so); })
               .value();
  demo::say("Multi-Paxos, 5 nodes in the simulator (10 ms ticks).");
  if (!c->run_until([&] { return leader_of(*c) != nullptr; }, 5s)) return false;
  c->run_for(100ms);
  auto* l = leader_of(*c);
  const node_id lid = l->raw().id();
  std::vector<node_id> others;
  for (auto id : c->servers())
    if (id != lid) others.push_back(id);
  const node_id f = others[0], x = others[3];
  demo::say("t={:7.1f} ms  node {} leads (ballot round {}), after one phase 1 for all slots", ms(*c), lid,
            l->raw().promised().round);

  auto& net = c->network();
  for (auto o2 : others) (void)net.block(lid, o2);
  const auto s1 = l->propose(paxos_sim::command{0, 1, 1, 0, 10}).value();
  c->run_for(20ms);
  demo::say("t={:7.1f} ms  node {} proposes 'set x = 10' at slot {}: every accept is lost", ms(*c), lid, s1);
  (void)net.block(lid, f, false);
  (void)net.block(f, lid);
  const auto s2 = l->propose(paxos_sim::command{0, 2, 1, 0, 20}).value();
  c->run_for(20ms);
  demo::say("t={:7.1f} ms  it proposes 'set x = 20' at slot {}: only node {} accepts it (out of order, its", ms(*c), s2, f);
  demo::say("              answers are lost); node {} holds slot {}: {}, slot {}: {}", f, s1,
            describe(*c->server(f)->raw().entry(s1)), s2, describe(*c->server(f)->raw().entry(s2)));
  (void)c->crash(lid);
  net.heal();
  (void)net.isolate(x);
  demo::say("t={:7.1f} ms  node {} crashes; node {} is cut off, so any new leader must hear from node {}", ms(*c), lid,
            x, f);
  if (!c->run_until([&] { return leader_of(*c) != nullptr; }, 5s)) return false;
  auto* nl = leader_of(*c);
  const auto gaps = nl->raw().stats().gaps_filled;
  demo::say("t={:7.1f} ms  node {} wins phase 1 (round {}): {} slot adopted from the promises, {} gap filled with a no-op",
            ms(*c), nl->raw().id(), nl->raw().promised().round, nl->raw().stats().slots_recovered, gaps);
  (void)c->restart(lid);
  net.heal();
  auto converged = [&] {
    auto* cur = leader_of(*c);
    if (cur == nullptr || cur->raw().chosen() != cur->raw().last_index()) return false;
    for (auto id : c->servers())
      if (c->server(id) == nullptr || c->server(id)->applied_index() != cur->raw().chosen()) return false;
    return true;
  };
  if (!c->run_until(converged, 5s)) return false;
  nl = leader_of(*c);
  bool same = true;
  for (auto id : c->servers()) {
    const auto& r = c->server(id)->raw();
    same = same && r.entry(s1).has_value() && r.entry(s2).has_value() && describe(*r.entry(s1)) == "no-op" &&
           describe(*r.entry(s2)) == "set x = 20";
  }
  demo::say("t={:7.1f} ms  node {} restarted; all five agree: slot {} = {}, slot {} = {}", ms(*c), lid, s1,
            describe(*nl->raw().entry(s1)), s2, describe(*nl->raw().entry(s2)));
  demo::say("'set x = 10' was never chosen (no quorum accepted it) and its proposer never answered a client: safe to drop.");
  if (!same) demo::say("replicas disagree on slots {} and {}", s1, s2);
  return same && gaps >= 1;
}

bool run() { return duel() && gap(); }

const demo::register_chapter reg(4, "Paxos: dueling proposers, then a leader change with gap filling", run);

}  // namespace
