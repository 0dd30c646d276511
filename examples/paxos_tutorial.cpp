// examples/paxos_tutorial.cpp - the program docs/paxos.md walks through.
//
// Part 1 drives Multi-Paxos's raw level (paxos::raw_node) by hand, following
// its contract. Part 2 plugs a transport, a clock and a state machine into
// the policy-based paxos::node and runs three nodes in one process. Part 3
// uses flexible quorums (N = 5, |Q1| = 4, |Q2| = 2). The code blocks of
// docs/paxos.md are copied from this file verbatim. Exits 0 only if every
// replica learned the same commands.
#include <cohort/paxos.hpp>
#include <cohort/raft/memory_storage.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tutorial {

using namespace std::chrono_literals;
namespace paxos = cohort::paxos;
using cohort::node_id;

// ---- part 1: the raw level ----------------------------------------------------

// Three raw nodes over in-memory storage, joined by one queue.
using raw_t = paxos::raw_node<cohort::raft::memory_storage>;

struct raw_cluster {
  std::map<std::uint64_t, std::unique_ptr<cohort::raft::memory_storage>> storage;
  std::map<std::uint64_t, std::unique_ptr<raw_t>> nodes;
  std::map<std::uint64_t, std::vector<std::string>> learned;
  std::deque<paxos::multi_message> queue;

  raw_cluster() {
    const cohort::quorum::majority_config members({node_id{1}, node_id{2}, node_id{3}});
    for (std::uint64_t i = 1; i <= 3; ++i) {
      paxos::multi_config c;
      c.id = node_id{i};
      storage[i] = std::make_unique<cohort::raft::memory_storage>();
      auto n = raw_t::create(c, *storage[i], members, cohort::xoshiro256ss(i));
      if (!n) std::abort();  // only for an invalid config
      nodes[i] = std::make_unique<raw_t>(std::move(n).value());
    }
  }

  // One node's ready batch, in the order the contract asks for.
  void drive(std::uint64_t i) {
    raw_t& n = *nodes[i];
    while (n.has_ready()) {
      paxos::multi_ready& r = n.take_ready();
      (void)storage[i]->append(r.entries);                    // 1. persist accepted slots
      if (r.has_hard_state) (void)storage[i]->save_hard_state(r.hs);  //    and the promise
      for (auto& m : r.messages) queue.push_back(std::move(m));        // 2. send now
      (void)storage[i]->sync();                               // 3. make it durable
      for (auto& m : r.after_persist) queue.push_back(std::move(m));   // 4. promises, acceptances
      for (const auto& e : r.committed)                      //    chosen slots, in order
        if (!e.data.empty()) learned[i].emplace_back(e.data.as_string_view());  // (skip no-ops)
      n.acknowledge(r.number);
    }
  }

  void run() {
    for (int round = 0; round < 100; ++round) {
      for (auto& [i, n] : nodes) drive(i);
      if (queue.empty()) return;
      auto batch = std::move(queue);
      queue.clear();
      for (auto& m : batch) (void)nodes[m.to.value()]->step(std::move(m));
    }
  }
};

bool part1() {
  raw_cluster c;
  (void)c.nodes[1]->campaign();  // phase 1 once, for every slot from here on
  c.run();
  auto slot = c.nodes[1]->propose(cohort::bytes::copy_of(std::string("x = 1")));
  auto refused = c.nodes[2]->propose(cohort::bytes::copy_of(std::string("y = 2")));
  // refused.error().code == errc::not_leader, refused.error().node == node 1
  c.run();
  std::printf("part 1: 'x = 1' chosen at slot %llu; node 2 refused with '%s', leader %llu\n",
              static_cast<unsigned long long>(slot->value()), std::string(to_string(refused.error().code)).c_str(),
              static_cast<unsigned long long>(refused.error().node.value()));
  return c.learned[1] == std::vector<std::string>{"x = 1"} && c.learned[2] == c.learned[1] &&
         c.learned[3] == c.learned[1];
}

// ---- part 2: the policy-based node ---------------------------------------------

// A transport: one mailbox per node, in this process.
struct mailboxes {
  std::map<std::uint64_t, std::deque<paxos::multi_message>> inbox;
};
struct mailbox_transport {
  mailboxes* net;
  void send(node_id to, paxos::multi_message m) { net->inbox[to.value()].push_back(std::move(m)); }
};

// A clock the program moves by hand.
struct manual_clock {
  const cohort::mono_time* t;
  cohort::mono_time now() const { return *t; }
};

// A state machine: the commands, in the order they were chosen.
struct journal {
  std::vector<std::string> lines;
  void apply(const cohort::log_entry& e) { lines.emplace_back(e.data.as_string_view()); }
};

using node_t = paxos::node<mailbox_transport, cohort::raft::memory_storage, manual_clock, journal>;

bool part2() {
  mailboxes net;
  cohort::mono_time now{};
  std::map<std::uint64_t, cohort::raft::memory_storage> disks;
  std::map<std::uint64_t, journal> journals;
  std::map<std::uint64_t, std::unique_ptr<node_t>> nodes;
  const cohort::quorum::majority_config members({node_id{1}, node_id{2}, node_id{3}});
  for (std::uint64_t i = 1; i <= 3; ++i) {
    paxos::multi_config c;
    c.id = node_id{i};
    auto n = node_t::create(c, members, mailbox_transport{&net}, disks[i], manual_clock{&now}, journals[i],
                            cohort::xoshiro256ss(i), cohort::null_observer{}, 10ms);
    if (!n) return false;
    nodes[i] = std::make_unique<node_t>(std::move(n).value());
  }
  auto step = [&] {  // one tick of time: deliver, then poll every node
    now += 10ms;
    for (auto& [i, box] : net.inbox)
      while (!box.empty()) {
        (void)nodes[i]->receive(std::move(box.front()));
        box.pop_front();
      }
    for (auto& [i, n] : nodes) (void)n->poll();
  };
  std::uint64_t leader = 0;
  for (int t = 0; t < 100 && leader == 0; ++t) {
    step();
    for (auto& [i, n] : nodes)
      if (n->role() == paxos::multi_role::leader) leader = i;
  }
  if (leader == 0) return false;
  for (const char* cmd : {"open", "write", "close"}) (void)nodes[leader]->propose(cohort::bytes::copy_of(std::string(cmd)));
  for (int t = 0; t < 5; ++t) step();
  std::printf("part 2: node %llu leads; node 3 applied %zu commands\n", static_cast<unsigned long long>(leader),
              journals[3].lines.size());
  for (auto& [i, j] : journals)
    if (j.lines != std::vector<std::string>{"open", "write", "close"}) return false;
  return true;
}

// ---- part 3: flexible quorums ----------------------------------------------------

bool part3() {
  // Five acceptors; phase 2 (every command) waits for 2, phase 1 (a new
  // leader) for 4: 4 + 2 > 5, so every phase-1 quorum meets every phase-2 one.
  std::vector<node_id> five{node_id{1}, node_id{2}, node_id{3}, node_id{4}, node_id{5}};
  auto q = cohort::quorum::flexible_config::create(five, 4, 2);
  if (!q) return false;
  using flex_t = paxos::raw_node<cohort::raft::memory_storage, cohort::quorum::flexible_config>;
  paxos::multi_config c;
  c.id = node_id{1};
  cohort::raft::memory_storage disk;
  auto n = flex_t::create(c, disk, *q);
  if (!n) return false;
  std::printf("part 3: a 5-node group with |Q1| = %zu, |Q2| = %zu\n", n->quorum().phase1_size(),
              n->quorum().phase2_size());
  auto bad = cohort::quorum::flexible_config::create(five, 3, 2);  // 3 + 2 = 5: quorums could miss each other
  return !bad.has_value();
}

}  // namespace tutorial

int main() {
  const bool ok = tutorial::part1() && tutorial::part2() && tutorial::part3();
  std::printf("%s\n", ok ? "all replicas agree" : "FAILED");
  return ok ? 0 : 1;
}
