// tests/fuzz/paxos_fuzz.hpp - the Multi-Paxos fuzz target: arbitrary bytes
// drive three raw nodes through ticks, deliveries, drops, duplicates,
// proposals, campaigns and (in the second mode) forged messages with
// arbitrary fields.
//
// After every operation it checks what must hold whatever arrives:
//   every node: applied <= chosen <= last slot, chosen and the promised
//   ballot never decrease, a leader leads itself, a gate rejection changes
//   neither the promise nor the log's extent;
//   honest mode (no forged messages): no two nodes learn different values
//   for a slot, every learned value was proposed (or is a no-op), and at
//   most one leader per ballot.
// Returns "" or a description of the first violation. Used by libFuzzer
// (paxos_fuzzer.cpp, clang) and by a seeded test in every build.
#pragma once

#include <cohort/paxos.hpp>
#include <cohort/raft/memory_storage.hpp>

#include "fuzz/fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace paxos_fuzz {

using namespace cohort::paxos;
using cohort::log_index;
using cohort::node_id;

using fuzz_support::reader;

class world {
 public:
  using storage_t = cohort::raft::memory_storage;
  using node_t = raw_node<storage_t>;

  world() {
    multi_config c;
    c.msg_bytes_max = 256;
    c.inflight_msgs_max = 4;
    const cohort::quorum::majority_config q({node_id{1}, node_id{2}, node_id{3}});
    for (std::uint64_t i = 1; i <= 3; ++i) {
      c.id = node_id{i};
      stores_[i] = std::make_unique<storage_t>();
      nodes_[i] = std::make_unique<node_t>(node_t::create(c, *stores_[i], q, cohort::xoshiro256ss(i)).value());
    }
  }

  std::string run(reader& in) {
    const bool forge = (in.byte() & 1) != 0;
    forge_ = forge;
    for (int steps = 0; !in.done() && steps < 4000; ++steps) {
      const auto op = static_cast<std::uint8_t>(in.byte());
      const std::uint64_t who = 1 + op / 16 % 3;
      node_t& n = *nodes_[who];
      switch (op % 10) {
        case 0: n.tick(); break;
        case 1: wire_.deliver(in.byte(), false, nodes_); break;
        case 2: wire_.drop(in.byte()); break;
        case 3: propose(n, in.byte()); break;
        case 4: (void)n.campaign(); break;
        case 5: process(n); break;
        case 6: wire_.deliver(in.byte(), true, nodes_); break;
        case 7:
          if (forge) step_forged(n, forged(in, n.id()));
          else for (auto& [i, x] : nodes_) process(*x);
          break;
        case 8: for (int t = 0; t < 10; ++t) n.tick(); break;
        case 9: restart(who); break;
      }
      if (auto v = check(!forge); !v.empty()) return v;
    }
    return {};
  }

 private:
  void propose(node_t& n, std::uint64_t len) {
    const std::string v = "p" + std::to_string(++proposals_) + std::string(len % 24, 'x');
    proposed_.insert(v);
    (void)n.propose(cohort::bytes::copy_of(v));
  }
  void process(node_t& n) {
    if (!n.has_ready()) return;
    auto& r = n.take_ready();
    storage_t& s = *stores_[n.id().value()];
    (void)s.append(r.entries);
    if (r.has_hard_state) (void)s.save_hard_state(r.hs);
    wire_.send(r.messages);
    wire_.send(r.after_persist);
    for (auto& e : r.committed) learn(n.id(), e);
    n.acknowledge(r.number);
  }
  void learn(node_id who, const cohort::log_entry& e) {
    if (forge_) return;  // forged messages from members may carry anything: agreement is for honest runs
    const std::string v(e.data.as_string_view());
    auto [it, fresh] = learned_.emplace(e.index.value(), v);
    if (!fresh && it->second != v && violation_.empty())
      violation_ = "node " + std::to_string(who.value()) + " learned '" + v + "' at slot " +
                   std::to_string(e.index.value()) + ", another learned '" + it->second + "'";
    if (!v.empty() && !proposed_.count(v) && violation_.empty())
      violation_ = "learned a value nobody proposed at slot " + std::to_string(e.index.value());
  }
  /// A restart from storage (memory storage: everything written survives).
  void restart(std::uint64_t i) {
    multi_config c;
    c.msg_bytes_max = 256;
    c.inflight_msgs_max = 4;
    c.id = node_id{i};
    auto r = node_t::create(c, *stores_[i], cohort::quorum::majority_config({node_id{1}, node_id{2}, node_id{3}}),
                            cohort::xoshiro256ss(i + 100 * ++restarts_));
    if (!r) {
      violation_ = "restart failed: " + r.error().message;
      return;
    }
    nodes_[i] = std::make_unique<node_t>(std::move(r).value());
    seen_[i] = seen_state{};  // what was not yet persisted is lost, as in a crash
  }
  /// A forged message: a gate rejection must leave the node as it was.
  void step_forged(node_t& n, multi_message m) {
    const ballot p = n.promised();
    const log_index last = n.last_index(), chosen = n.chosen();
    const auto rejected = n.stats().rejected_total();
    const bool to_me = m.to == n.id();
    (void)n.step(std::move(m));
    if (n.stats().rejected_total() != rejected && to_me &&
        (n.promised() != p || n.last_index() != last || n.chosen() != chosen) && violation_.empty())
      violation_ = "a rejected message changed node " + std::to_string(n.id().value());
  }
  static multi_message forged(reader& in, node_id to) {
    multi_message m;
    m.type = static_cast<multi_type>(in.byte() % 8);  // includes one invalid type
    m.from = node_id{in.byte() % 5};                  // includes unknown senders and 0
    m.to = (in.byte() % 8 == 0) ? node_id{in.byte()} : to;
    const std::uint64_t bsel = in.byte();
    m.b = ballot{bsel % 16 == 15 ? in.u64(8) : bsel % 6, node_id{in.byte() % 5}};
    m.promised = ballot{in.byte() % 8, node_id{in.byte() % 5}};
    m.index = log_index{in.u64(1) % 40};
    m.commit = log_index{in.byte() % 16 == 0 ? in.u64(8) : in.u64(1) % 50};
    m.last = log_index{in.u64(1) % 50};
    m.hint = log_index{in.byte() % 40};
    m.reject = (in.byte() & 1) != 0;
    const int count = static_cast<int>(in.byte() % 5);
    for (int k = 0; k < count; ++k) {
      const std::uint64_t how = in.byte();
      const ballot eb{how % 11 == 0 ? in.byte() % 7 : m.b.round, how % 5 == 0 ? node_id{in.byte() % 5} : m.b.node};
      m.entries.push_back(cohort::log_entry{how % 7 == 0 ? log_index{in.byte()} : m.index + (k + 1),
                                            how % 17 == 0 ? cohort::term{} : pack_ballot(eb),
                                            static_cast<cohort::entry_kind>(how % 13 == 0 ? 5 : 0),
                                            cohort::bytes::copy_of(std::string(in.byte() % 8, 'f'))});
    }
    return m;
  }

  std::string check(bool honest) {
    if (!violation_.empty()) return violation_;
    for (auto& [i, n] : nodes_) {
      auto& seen = seen_[i];
      const std::string who = "node " + std::to_string(i);
      if (n->chosen() > n->last_index()) return who + ": chosen past the log";
      if (n->applied() > n->chosen()) return who + ": applied past chosen";
      if (n->chosen() < seen.chosen) return who + ": chosen went back";
      if (n->promised() < seen.promised) return who + ": promise went back";
      if (n->role() == multi_role::leader && n->leader() != n->id()) return who + ": leader of someone else";
      if (n->role() != multi_role::follower && n->promised().node != n->id()) return who + ": leads another's ballot";
      seen.chosen = n->chosen();
      seen.promised = n->promised();
      if (honest && n->role() == multi_role::leader) {
        auto [it, fresh] = leaders_.emplace(n->promised(), i);
        if (!fresh && it->second != i) return "two leaders of one ballot";
      }
    }
    return {};
  }

  struct seen_state {
    log_index chosen{};
    ballot promised{};
  };
  std::map<std::uint64_t, std::unique_ptr<storage_t>> stores_;
  std::map<std::uint64_t, std::unique_ptr<node_t>> nodes_;
  fuzz_support::wire<multi_message> wire_;
  std::map<std::uint64_t, std::string> learned_;
  std::set<std::string> proposed_;
  std::map<std::uint64_t, seen_state> seen_;
  std::map<ballot, std::uint64_t> leaders_;
  std::uint64_t proposals_ = 0;
  std::uint64_t restarts_ = 0;
  bool forge_ = false;
  std::string violation_;
};

inline std::string run_one(const std::uint8_t* data, std::size_t size) {
  reader in(data, size);
  world w;
  return w.run(in);
}

}  // namespace paxos_fuzz
