// tests/raft/harness.hpp - a few raw nodes joined by an in-memory queue, for
// scenario tests: the driver loop of raw_node's contract, done by hand.
#pragma once

#include <cohort/raft.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace raft_test {

using cohort::log_index;
using cohort::node_id;
using cohort::term;
using namespace cohort::raft;
using node_t = raw_node<memory_storage>;

inline node_id n(std::uint64_t v) { return node_id{v}; }

struct harness {
  std::map<std::uint64_t, std::unique_ptr<memory_storage>> stores;
  std::map<std::uint64_t, std::unique_ptr<node_t>> nodes;
  std::map<std::uint64_t, std::vector<cohort::log_entry>> applied;
  std::deque<message> queue;
  std::set<std::pair<std::uint64_t, std::uint64_t>> cut;  // (from, to) links that drop messages
  std::vector<message> delivered;                          // every message delivered, in order

  explicit harness(std::size_t count, config base = {}) {
    std::vector<node_id> voters;
    for (std::uint64_t i = 1; i <= count; ++i) voters.push_back(n(i));
    for (std::uint64_t i = 1; i <= count; ++i) {
      config c = base;
      c.id = n(i);
      c.voters = voters;
      add(i, c);
    }
  }
  void add(std::uint64_t i, const config& c) {
    stores[i] = std::make_unique<memory_storage>();
    auto r = node_t::create(c, *stores[i], cohort::xoshiro256ss(i));
    REQUIRE(r.has_value());
    nodes[i] = std::make_unique<node_t>(std::move(r).value());
  }
  node_t& operator[](std::uint64_t i) { return *nodes.at(i); }

  /// Drives one node's ready batch: persist, queue messages, apply, acknowledge.
  bool process(std::uint64_t i) {
    node_t& nd = *nodes.at(i);
    if (!nd.has_ready()) return false;
    ready& r = nd.take_ready();
    REQUIRE(stores[i]->append(r.entries).has_value());
    if (r.has_hard_state) REQUIRE(stores[i]->save_hard_state(r.hs).has_value());
    for (auto& m : r.messages) queue.push_back(m);
    for (auto& m : r.after_persist) queue.push_back(m);
    for (auto& e : r.committed) applied[i].push_back(e);
    nd.acknowledge(r.number);
    return true;
  }
  /// Delivers queued messages until the queue is empty (one pass per call).
  bool deliver() {
    if (queue.empty()) return false;
    std::deque<message> q;
    q.swap(queue);
    for (auto& m : q) {
      if (cut.count({m.from.value(), m.to.value()}) || !nodes.count(m.to.value())) continue;
      delivered.push_back(m);
      (void)nodes.at(m.to.value())->step(m);
    }
    return true;
  }
  void stabilize() {
    for (int rounds = 0; rounds < 10000; ++rounds) {
      bool any = false;
      for (auto& [i, nd] : nodes) any |= process(i);
      any |= deliver();
      if (!any) return;
    }
    FAIL("harness did not stabilize");
  }
  void tick(std::uint64_t i, int times = 1) {
    for (int k = 0; k < times; ++k) nodes.at(i)->tick();
  }
  void isolate(std::uint64_t i) {
    for (auto& [j, nd] : nodes)
      if (j != i) cut.insert({i, j}), cut.insert({j, i});
  }
  void heal() { cut.clear(); }
  /// Elects node i: campaign and deliver everything.
  void elect(std::uint64_t i) {
    REQUIRE(nodes.at(i)->campaign().has_value());
    stabilize();
    REQUIRE(nodes.at(i)->role() == role::leader);
  }
  std::size_t count_delivered(message_type t) const {
    return static_cast<std::size_t>(std::count_if(delivered.begin(), delivered.end(), [t](const message& m) { return m.type == t; }));
  }
};

inline cohort::bytes data(const std::string& s) { return cohort::bytes::copy_of(s); }

}  // namespace raft_test
