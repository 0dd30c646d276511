// tests/paxos/multi_harness.hpp - a few Multi-Paxos raw nodes joined by an
// in-memory queue, for scenario tests: the driver loop of multi.hpp's
// contract done by hand, with links that can be cut and nodes that can be
// stopped and restarted from their (always durable) memory storage.
#pragma once

#include <cohort/paxos.hpp>
#include <cohort/raft/memory_storage.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace paxos_test {

using cohort::bytes;
using cohort::log_index;
using cohort::node_id;
using namespace cohort::paxos;
using storage_t = cohort::raft::memory_storage;
using node_t = raw_node<storage_t>;

inline node_id n(std::uint64_t v) { return node_id{v}; }
inline bytes val(const std::string& s) { return bytes::copy_of(s); }
inline std::string str(const bytes& b) { return std::string(b.as_string_view()); }

struct harness {
  multi_config base;
  std::vector<node_id> members;
  std::map<std::uint64_t, std::unique_ptr<storage_t>> stores;
  std::map<std::uint64_t, std::optional<node_t>> nodes;  ///< empty while down
  std::map<std::uint64_t, std::map<std::uint64_t, std::string>> applied;  ///< node -> slot -> payload ("" = no-op)
  std::deque<multi_message> queue;
  std::set<std::pair<std::uint64_t, std::uint64_t>> cut;  ///< (from, to) links that drop messages
  std::vector<multi_message> delivered;
  /// Checked after every delivery: chosen values agree across nodes.
  std::map<std::uint64_t, std::string> chosen_anywhere;
  std::string violation;

  explicit harness(std::size_t count, multi_config b = {}) : base(b) {
    for (std::uint64_t i = 1; i <= count; ++i) members.push_back(n(i));
    for (std::uint64_t i = 1; i <= count; ++i) {
      stores[i] = std::make_unique<storage_t>();
      start(i);
    }
  }
  void start(std::uint64_t i) {
    multi_config c = base;
    c.id = n(i);
    auto r = node_t::create(c, *stores[i], cohort::quorum::majority_config(members), cohort::xoshiro256ss(i * 7919));
    REQUIRE(r.has_value());
    nodes[i].emplace(std::move(r).value());
    applied[i].clear();
  }
  void stop(std::uint64_t i) { nodes[i].reset(); }
  node_t& operator[](std::uint64_t i) { return *nodes.at(i); }
  bool up(std::uint64_t i) const { return nodes.at(i).has_value(); }

  bool process(std::uint64_t i) {
    if (!up(i)) return false;
    node_t& nd = *nodes.at(i);
    if (!nd.has_ready()) return false;
    multi_ready& r = nd.take_ready();
    for (std::size_t k = 0; k < r.entries.size(); ++k) {  // the view of the log is intact
      REQUIRE(r.entries[k].index == r.entries[0].index + k);
      REQUIRE(nd.entry_at(r.entries[k].index) == &r.entries[k]);
    }
    REQUIRE(stores[i]->append(r.entries).has_value());
    if (r.has_hard_state) REQUIRE(stores[i]->save_hard_state(r.hs).has_value());
    for (auto& m : r.messages) queue.push_back(m);
    for (auto& m : r.after_persist) queue.push_back(m);
    for (auto& e : r.committed) learn(i, e);
    nd.acknowledge(r.number);
    return true;
  }
  void learn(std::uint64_t i, const cohort::log_entry& e) {
    const std::string v = str(e.data);
    applied[i][e.index.value()] = v;
    auto [it, fresh] = chosen_anywhere.emplace(e.index.value(), v);
    if (!fresh && it->second != v && violation.empty())
      violation = "slot " + std::to_string(e.index.value()) + " learned as '" + it->second + "' and '" + v + "'";
  }
  bool process_all() {
    bool any = false;
    for (auto& [i, nd] : nodes) any |= process(i);
    return any;
  }
  /// Delivers the queued messages (one pass); whether any was.
  bool deliver_all() {
    std::deque<multi_message> q;
    q.swap(queue);
    for (auto& m : q) deliver(std::move(m));
    return !q.empty();
  }
  void deliver(multi_message m) {
    const auto from = m.from.value(), to = m.to.value();
    if (cut.count({from, to}) || !nodes.count(to) || !up(to)) return;
    delivered.push_back(m);
    (void)(*this)[to].step(std::move(m));
  }
  /// Runs rounds until nothing is left to do.
  void stabilize(int rounds_max = 1000) {
    for (int k = 0; k < rounds_max; ++k) {
      const bool a = process_all();
      const bool b = deliver_all();
      if (!a && !b) return;
    }
    FAIL("no quiescence after " << rounds_max << " rounds");
  }
  void elect(std::uint64_t i) {
    REQUIRE((*this)[i].campaign().has_value());
    stabilize();
    REQUIRE((*this)[i].role() == multi_role::leader);
  }
  void isolate(std::uint64_t i) {
    for (node_id m : members)
      if (m.value() != i) {
        cut.insert({i, m.value()});
        cut.insert({m.value(), i});
      }
  }
  void heal() { cut.clear(); }
  /// Ticks every running node k times, stabilizing after each tick.
  void tick_all(int k = 1) {
    for (int t = 0; t < k; ++t) {
      for (auto& [i, nd] : nodes)
        if (nd) nd->tick();
      stabilize();
    }
  }
};

}  // namespace paxos_test
