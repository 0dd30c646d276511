// tests/fuzz/raft_fuzz.hpp - the Raft fuzz target: arbitrary bytes drive
// three raw nodes through ticks, deliveries, drops, duplicates, proposals,
// campaigns and (in the second mode) forged messages with arbitrary fields.
//
// After every operation it checks what must hold whatever arrives:
//   every node: committed <= last index, applied <= committed, committed and
//   term never decrease, at most one vote per term, a leader leads itself;
//   honest mode (no forged messages): at most one leader per term, and no
//   two nodes apply different entries at one index.
// Returns "" or a description of the first violation. Used by libFuzzer
// (raft_fuzzer.cpp, clang) and by a seeded test in every build.
#pragma once

#include <cohort/fmt.hpp>
#include <cohort/raft.hpp>

#include "fuzz/fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace raft_fuzz {

using namespace cohort::raft;
using cohort::log_index;
using cohort::node_id;
using cohort::term;

using fuzz_support::reader;

class world {
 public:
  using node_t = raw_node<memory_storage>;

  world() {
    config c;
    c.voters = {node_id{1}, node_id{2}, node_id{3}};
    c.msg_bytes_max = 256;
    c.inflight_msgs_max = 4;
    for (std::uint64_t i = 1; i <= 3; ++i) {
      c.id = node_id{i};
      stores_[i] = std::make_unique<memory_storage>();
      nodes_[i] = std::make_unique<node_t>(node_t::create(c, *stores_[i], cohort::xoshiro256ss(i)).value());
    }
  }

  std::string run(reader& in) {
    const bool forge = (in.byte() & 1) != 0;
    for (int steps = 0; !in.done() && steps < 4000; ++steps) {
      const auto op = static_cast<std::uint8_t>(in.byte());
      node_t& n = *nodes_[1 + op / 16 % 3];
      switch (op % 9) {
        case 0: n.tick(); break;
        case 1: wire_.deliver(in.byte(), false, nodes_); break;
        case 2: wire_.drop(in.byte()); break;
        case 3: (void)n.propose(cohort::bytes::copy_of(std::string(in.byte() % 40, 'p'))); break;
        case 4: (void)n.campaign(); break;
        case 5: process(n); break;
        case 6: wire_.deliver(in.byte(), true, nodes_); break;
        case 7:
          if (forge) (void)n.step(forged(in, n.id()));
          else for (auto& [i, x] : nodes_) process(*x);
          break;
        case 8: for (int t = 0; t < 10; ++t) n.tick(); break;
      }
      if (auto v = check(!forge); !v.empty()) return v;
    }
    return {};
  }

 private:
  void process(node_t& n) {
    if (!n.has_ready()) return;
    auto& r = n.take_ready();
    memory_storage& s = *stores_[n.id().value()];
    (void)s.append(r.entries);
    if (r.has_hard_state) (void)s.save_hard_state(r.hs);
    wire_.send(r.messages);
    wire_.send(r.after_persist);
    for (auto& e : r.committed) {
      auto [it, fresh] = applied_.emplace(e.index.value(), e);
      if (!fresh && !(it->second == e) && violation_.empty())
        violation_ = fmt::format("node {} applied {} at index {}, another node applied {}", n.id().value(), e,
                                 e.index.value(), it->second);
      if (e.index != n.applied() - (r.committed.back().index - e.index) && violation_.empty())
        violation_ = "applied entries out of order";
    }
    n.acknowledge(r.number);
  }
  static message forged(reader& in, node_id to) {
    message m;
    m.type = static_cast<message_type>(in.byte() % 12);  // includes one invalid type
    m.from = node_id{in.byte() % 5};                    // includes unknown senders and 0
    m.to = (in.byte() % 8 == 0) ? node_id{in.byte()} : to;
    const std::uint64_t tsel = in.byte();
    m.term = term{tsel % 16 == 15 ? in.u64(8) : tsel % 8};
    m.log_term = term{in.byte() % 8};
    m.index = log_index{in.u64(1) % 40};
    m.commit = log_index{in.u64(1) % 50};
    m.reject = (in.byte() & 1) != 0;
    m.hint_index = log_index{in.byte() % 40};
    m.hint_term = term{in.byte() % 8};
    const int count = in.byte() % 5;
    for (int k = 0; k < count; ++k) {
      const std::uint64_t how = in.byte();
      m.entries.push_back(cohort::log_entry{how % 7 == 0 ? log_index{in.byte()} : m.index + (k + 1),
                                            term{how % 11 == 0 ? in.byte() % 9 : m.term.value()},
                                            static_cast<cohort::entry_kind>(how % 13 == 0 ? 5 : 0),
                                            cohort::bytes::copy_of(std::string(in.byte() % 8, 'f'))});
    }
    return m;
  }

  std::string check(bool honest) {
    if (!violation_.empty()) return violation_;
    for (auto& [i, n] : nodes_) {
      auto& seen = seen_[i];
      if (n->committed() > n->last_index()) return fmt::format("node {}: committed past the log", i);
      if (n->applied() > n->committed()) return fmt::format("node {}: applied past committed", i);
      if (n->committed() < seen.committed) return fmt::format("node {}: committed went back", i);
      if (n->current_term() < seen.t) return fmt::format("node {}: term went back", i);
      if (n->role() == role::leader && n->leader() != n->id()) return fmt::format("node {}: leader of someone else", i);
      if (n->voted_for() != cohort::no_node) {
        auto [it, fresh] = seen.votes.emplace(n->current_term().value(), n->voted_for());
        if (!fresh && it->second != n->voted_for())
          return fmt::format("node {}: voted for {} and {} in term {}", i, it->second.value(), n->voted_for().value(),
                             n->current_term().value());
      }
      seen.committed = n->committed();
      seen.t = n->current_term();
      if (honest && n->role() == role::leader) {
        auto [it, fresh] = leaders_.emplace(n->current_term().value(), i);
        if (!fresh && it->second != i)
          return fmt::format("two leaders in term {}: {} and {}", n->current_term().value(), it->second, i);
      }
    }
    return {};
  }

  struct seen_state {
    log_index committed{};
    term t{};
    std::map<std::uint64_t, node_id> votes;
  };
  std::map<std::uint64_t, std::unique_ptr<memory_storage>> stores_;
  std::map<std::uint64_t, std::unique_ptr<node_t>> nodes_;
  fuzz_support::wire<message> wire_;
  std::map<std::uint64_t, cohort::log_entry> applied_;
  std::map<std::uint64_t, seen_state> seen_;
  std::map<std::uint64_t, std::uint64_t> leaders_;
  std::string violation_;
};

inline std::string run_one(const std::uint8_t* data, std::size_t size) {
  reader in(data, size);
  world w;
  return w.run(in);
}

}  // namespace raft_fuzz
