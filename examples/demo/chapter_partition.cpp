// Chapter 5: partitioners - who moves when a member leaves and another joins.
#include <cohort/fmt.hpp>
#include <cohort/partition.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "demo.hpp"

namespace {

namespace cp = cohort::partition;
using cohort::node_id;

constexpr std::size_t key_count = 100'000;
constexpr std::uint64_t members = 10;
constexpr node_id leaving{4}, joining{11};

cp::member member_no(std::uint64_t i) { return cp::member{node_id{i}, "10.0.0." + std::to_string(i) + ":11211", 1.0, {}, {}}; }

const std::vector<std::string>& keys() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> k(key_count);
    for (std::size_t i = 0; i < key_count; ++i) k[i] = "user:" + std::to_string(i);
    return k;
  }();
  return all;
}

template <class P>
std::vector<node_id> owners(const P& p) {
  std::vector<node_id> o;
  o.reserve(key_count);
  for (const auto& k : keys()) o.push_back(p.lookup(cp::as_key(k)).value());
  return o;
}

// What one change did: keys that moved, and those of them that moved for no
// reason (on a removal: keys the removed member did not hold; on an addition:
// keys that did not go to the new member).
struct change {
  std::size_t moved = 0, needless = 0;
};

change compare(const std::vector<node_id>& before, const std::vector<node_id>& after, node_id removed, node_id added) {
  change c;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (before[i] == after[i]) continue;
    ++c.moved;
    const bool needed = removed != cohort::no_node ? before[i] == removed : after[i] == added;
    c.needless += needed ? 0 : 1;
  }
  return c;
}

double max_over_mean(const std::vector<node_id>& owner) {
  std::vector<std::size_t> count(32, 0);
  for (auto id : owner) ++count[id.value()];
  const auto used = static_cast<std::size_t>(std::count_if(count.begin(), count.end(), [](auto n) { return n > 0; }));
  return static_cast<double>(*std::max_element(count.begin(), count.end())) * static_cast<double>(used) / key_count;
}

// Builds 10 members, removes `gone` (member 4, or the last one for jump), then
// adds member 11; prints one row; returns whether a minimal algorithm stayed
// minimal (`minimal`) or, for the others, that nothing was lost.
template <class P>
bool show(const char* name, P p, bool minimal, node_id gone = leaving) {
  for (std::uint64_t i = 1; i <= members; ++i)
    if (!p.add(member_no(i))) return false;
  const auto start = owners(p);
  if (!p.remove(gone)) return false;
  const auto mid = owners(p);
  if (!p.add(member_no(joining.value()))) return false;
  const auto end = owners(p);
  const change out = compare(start, mid, gone, cohort::no_node), in = compare(mid, end, cohort::no_node, joining);
  const auto held = static_cast<std::size_t>(std::count(start.begin(), start.end(), gone));
  const auto took = static_cast<std::size_t>(std::count(end.begin(), end.end(), joining));
  demo::say("{:<12} {:>8} {:>8} {:>9} | {:>8} {:>8} {:>9} | {:>8.3f}", name, held, out.moved, out.needless, took, in.moved,
            in.needless, max_over_mean(end));
  const bool lossless = out.moved >= held && in.moved >= took;
  return minimal ? lossless && out.moved == held && out.needless == 0 && in.needless == 0 : lossless;
}

// Members 1..10 with weights 1,2,3 cycling, then member 11 (weight 2) joins:
// the keys that moved, and those that did not go to the joiner.
template <class P>
change weighted_join(P p) {
  auto weighted = [](std::uint64_t i) {
    auto m = member_no(i);
    m.weight = static_cast<double>(1 + (i - 1) % 3);
    return m;
  };
  for (std::uint64_t i = 1; i <= members; ++i) (void)p.add(weighted(i));
  const auto before = owners(p);
  (void)p.add(weighted(joining.value()));
  return compare(before, owners(p), cohort::no_node, joining);
}

bool run() {
  demo::say("{} members 10.0.0.1..10 hold {} keys \"user:0\".. ; member {} leaves, then member {} joins.", members,
            key_count, leaving, joining);
  demo::say("\"needless\": keys that moved although neither their old nor their new owner changed.");
  demo::say("");
  demo::say("{:<12} {:>8} {:>8} {:>9} | {:>8} {:>8} {:>9} | {:>8}", "", "leaver", "moved", "needless", "joiner", "moved",
            "needless", "max/mean");
  demo::say("{:<12} {:>8} {:>8} {:>9} | {:>8} {:>8} {:>9} | {:>8}", "algorithm", "held", "on leave", "", "takes", "on join",
            "", "after");
  bool ok = true;
  ok &= show("ketama_ring", cp::ketama_ring{}, false);
  ok &= show("ring", cp::ring<>{}, true);
  ok &= show("jump", cp::jump<>{}, true, node_id{members});
  ok &= show("rendezvous", cp::rendezvous<>{}, true);
  ok &= show("maglev", cp::maglev<>{}, false);
  ok &= show("multi_probe", cp::multi_probe<>{}, true);
  ok &= show("memento", cp::memento<>{}, true);
  demo::say("");
  demo::say("ring, rendezvous, multi_probe and memento move only what must move. jump too, but it can only lose");
  demo::say("its last member (10 above); asked to remove member 4 it refuses and changes nothing:");
  cp::jump<> j;
  for (std::uint64_t i = 1; i <= members; ++i) (void)j.add(member_no(i));
  const auto before = owners(j);
  const cohort::result<void> refused = j.remove(leaving);
  demo::say("  jump.remove(4) -> {}; still {} members, same owners: {}", refused.error().message, j.size(),
            owners(j) == before ? "yes" : "NO");
  demo::say("maglev rebuilds its table and moves a little more than needed, for one table read per lookup.");
  demo::say("");
  demo::say("ketama_ring follows libmemcached: each server's point count is rounded from its share of the total,");
  demo::say("so when the shares change, servers that stayed can gain or lose points. With weights 1,2,3 cycling");
  demo::say("and member 11 (weight 2) joining:");
  const change k = weighted_join(cp::ketama_ring{}), r = weighted_join(cp::ring<>{});
  demo::say("  ketama_ring moves {} keys, {} of them between servers that stayed;", k.moved, k.needless);
  demo::say("  ring (points per unit of weight, never rounded from shares) moves {}, {} needlessly.", r.moved, r.needless);
  return ok && k.needless > 0 && r.needless == 0 && !refused && refused.error().code == cohort::errc::invalid_argument && j.size() == members &&
         owners(j) == before;
}

const demo::register_chapter reg(5, "Partitioners: who moves when a member leaves and another joins", run);

}  // namespace
