// Chapter 3: a Raft cluster in the simulator loses its leader and recovers.
#include <cohort/fmt.hpp>
#include <cohort/sim/trace_export.hpp>

#include <fstream>

#include "raft/sim_server.hpp"
#include "demo.hpp"

namespace {

using namespace std::chrono_literals;
using cluster_t = cohort::sim::cluster<raft_sim::server>;

raft_sim::server* leader_of(cluster_t& c) {
  raft_sim::server* found = nullptr;
  cohort::term best{};
  for (auto id : c.servers())
    if (auto* s = c.server(id); s && s->raw().role() == cohort::raft::role::leader && s->raw().current_term() >= best)
      found = s, best = s->raw().current_term();
  return found;
}

double ms(const cluster_t& c) { return static_cast<double>(c.now().time_since_epoch().count()) / 1e6; }

bool run() {
  cohort::sim::options o;
  o.seed = 3;
  o.servers = 5;
  o.keep_trace = true;
  raft_sim::server_options so;
  for (std::uint64_t i = 1; i <= 5; ++i) so.members.push_back(cohort::node_id{i});
  auto c = cluster_t::create(o, [&so](raft_sim::server::context& ctx) { return std::make_unique<raft_sim::server>(ctx, so); })
               .value();
  demo::say("Five Raft nodes on a simulated network (0.5-5 ms delays), ticking every 10 ms, timeouts of 10-20 ticks.");
  if (!c->run_until([&] { return leader_of(*c) != nullptr; }, 5s)) return false;
  auto* first = leader_of(*c);
  const auto old_id = first->raw().id();
  const auto old_term = first->raw().current_term();
  demo::say("t={:7.1f} ms  node {} is elected leader of term {}", ms(*c), old_id, old_term);
  c->run_for(200ms);

  (void)c->network().isolate(old_id);
  demo::say("t={:7.1f} ms  the network cuts node {} off from the others", ms(*c), old_id);
  auto other_leader = [&] {
    for (auto id : c->servers())
      if (auto* s = c->server(id); s && id != old_id && s->raw().role() == cohort::raft::role::leader) return s;
    return static_cast<raft_sim::server*>(nullptr);
  };
  if (!c->run_until([&] { return other_leader() != nullptr; }, 5s)) return false;
  auto* second = other_leader();
  demo::say("t={:7.1f} ms  node {} is elected leader of term {} by the majority side", ms(*c), second->raw().id(),
            second->raw().current_term());
  if (!c->run_until([&] { return c->server(old_id)->raw().role() != cohort::raft::role::leader; }, 5s)) return false;
  demo::say("t={:7.1f} ms  node {}, hearing from no quorum, steps down (check-quorum)", ms(*c), old_id);

  c->network().heal();
  demo::say("t={:7.1f} ms  the partition heals", ms(*c));
  auto converged = [&] {
    auto* l = leader_of(*c);
    if (l == nullptr) return false;
    for (auto id : c->servers())
      if (c->server(id)->raw().leader() != l->raw().id() || c->server(id)->raw().committed() != l->raw().committed())
        return false;
    return true;
  };
  if (!c->run_until(converged, 5s)) return false;
  auto* final_leader = leader_of(*c);
  demo::say("t={:7.1f} ms  all five follow node {} in term {}, commit index {} everywhere", ms(*c),
            final_leader->raw().id(), final_leader->raw().current_term(), final_leader->raw().committed());
  demo::say("pre-vote kept node {} from inflating terms while cut off: it rejoined at term {}.", old_id,
            c->server(old_id)->raw().current_term());
  std::ofstream("raft-failover.trace.json") << cohort::sim::to_chrome_json(c->trace(), "raft failover");
  demo::say("{} messages sent; the trace is in raft-failover.trace.json (ui.perfetto.dev).", c->network().totals().sent);
  return second->raw().current_term() > old_term && final_leader->raw().current_term() == second->raw().current_term();
}

const demo::register_chapter reg(3, "Raft: a leader lost to a partition, a new one elected, convergence", run);

}  // namespace
