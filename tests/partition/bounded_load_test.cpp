// Tests of bounded_load.hpp: randomized operation sequences (acquire, release,
// add, remove) checked step by step against a plain simulation of the same
// rules, with the load bound asserted after every operation.
#include <catch2/catch.hpp>

#include <cohort/core/random.hpp>
#include <cohort/partition/bounded_load.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace cp = cohort::partition;
using cohort::node_id;

namespace {

cp::member mk(std::uint64_t id) { return cp::member{node_id(id), "cache-" + std::to_string(id), 1.0, "", ""}; }

// The simulation: members in order of addition, every key's holder; the ring is
// rebuilt from scratch and scanned linearly for each placement.
struct sim {
  double eps;
  std::size_t points;
  std::vector<cp::member> members;
  std::map<std::string, node_id> held;
  std::vector<cp::moved_key> moves;

  std::uint64_t load(node_id id) const {
    std::uint64_t n = 0;
    for (auto& [k, v] : held) n += v == id ? 1 : 0;
    return n;
  }
  std::uint64_t cap(std::uint64_t total) const {
    return static_cast<std::uint64_t>(std::ceil((1.0 + eps) * static_cast<double>(total) / static_cast<double>(members.size())));
  }
  // Points sorted by (hash, member position); the first at or after h with room.
  node_id place(std::uint64_t h, std::uint64_t c) const {
    const cp::default_hash hash;
    std::vector<std::pair<std::uint64_t, std::size_t>> ring;
    for (std::size_t i = 0; i < members.size(); ++i)
      for (std::size_t j = 0; j < points; ++j) ring.emplace_back(hash(cp::as_key(members[i].name), j), i);
    std::sort(ring.begin(), ring.end());
    std::size_t start = 0;
    while (start < ring.size() && ring[start].first < h) ++start;
    for (std::size_t s = 0; s < ring.size(); ++s) {
      const auto& m = members[ring[(start + s) % ring.size()].second];
      if (load(m.id) < c) return m.id;
    }
    FAIL("no member with room");
    return cohort::no_node;
  }
  std::uint64_t key_hash(const std::string& k) const { return cp::default_hash{}(cp::as_key(k)); }
  void rebalance() {
    const std::uint64_t c = cap(held.size());
    for (const auto& m : members)
      for (auto& [k, v] : held)
        if (v == m.id && load(m.id) > c) {
          const node_id to = place(key_hash(k), c);
          moves.push_back({k, v, to});
          v = to;
        }
  }
  node_id acquire(const std::string& k) {
    const node_id to = place(key_hash(k), cap(held.size() + 1));
    held[k] = to;
    return to;
  }
  void release(const std::string& k) {
    moves.clear();
    held.erase(k);
    rebalance();
  }
  void add(const cp::member& m) {
    moves.clear();
    members.push_back(m);
    rebalance();
  }
  void remove(node_id id) {
    moves.clear();
    members.erase(std::find_if(members.begin(), members.end(), [&](auto& m) { return m.id == id; }));
    const std::uint64_t c = cap(held.size());
    for (auto& [k, v] : held)
      if (v == id) {
        const node_id to = place(key_hash(k), c);
        moves.push_back({k, v, to});
        v = to;
      }
  }
};

void check_invariants(const cp::bounded_load<>& b, const sim& s) {
  REQUIRE(b.size() == s.members.size());
  REQUIRE(b.total_load() == s.held.size());
  REQUIRE(std::map<std::string, node_id>(b.assignments().begin(), b.assignments().end()) == s.held);
  const std::uint64_t bound = b.capacity(b.total_load());
  std::uint64_t sum = 0;
  for (const auto& m : b.members()) {
    REQUIRE(m.load == s.load(m.id));
    REQUIRE(m.load <= bound);  // the paper's guarantee
    sum += m.load;
  }
  REQUIRE(sum == b.total_load());
}

}  // namespace

TEST_CASE("bounded_load: random operation sequences match the simulation and keep the bound", "[partition][bounded_load]") {
  cohort::xoshiro256ss rng(99);
  for (int trial = 0; trial < 30; ++trial) {
    const double eps = trial % 3 == 0 ? 0.05 : (trial % 3 == 1 ? 0.25 : 1.0);
    const std::size_t points = 1 + cohort::uniform_below(rng, 8);
    auto b = cp::bounded_load<>::create(eps, points).value();
    sim s{eps, points, {}, {}, {}};
    std::uint64_t next_id = 1, next_key = 0;
    std::vector<std::string> taken;
    for (int step = 0; step < 150; ++step) {
      const auto op = cohort::uniform_below(rng, 20);
      if (s.members.empty() || op == 0) {
        const auto m = mk(next_id++);
        REQUIRE(b.add(m));
        s.add(m);
        REQUIRE(b.last_moves() == s.moves);
      } else if (op == 1 && s.members.size() > 1) {
        const node_id id = s.members[cohort::uniform_below(rng, s.members.size())].id;
        REQUIRE(b.remove(id));
        s.remove(id);
        REQUIRE(b.last_moves() == s.moves);
      } else if (op < 8 && !taken.empty()) {
        const auto at = cohort::uniform_below(rng, taken.size());
        REQUIRE(b.release(cp::as_key(taken[at])));
        s.release(taken[at]);
        REQUIRE(b.last_moves() == s.moves);
        taken.erase(taken.begin() + static_cast<std::ptrdiff_t>(at));
      } else {
        const std::string key = "key" + std::to_string(next_key++);
        const node_id predicted = b.lookup(cp::as_key(key)).value();
        const node_id got = b.acquire(cp::as_key(key)).value();
        REQUIRE(got == predicted);  // lookup predicts without changing load
        REQUIRE(got == s.acquire(key));
        REQUIRE(b.lookup(cp::as_key(key)).value() == got);
        taken.push_back(key);
      }
      check_invariants(b, s);
    }
  }
}

TEST_CASE("bounded_load: the bound holds under heavy skew", "[partition][bounded_load]") {
  // One point per member makes plain consistent hashing very uneven; the
  // capacity still caps every member.
  auto b = cp::bounded_load<>::create(0.1, 1).value();
  for (std::uint64_t i = 1; i <= 20; ++i) REQUIRE(b.add(mk(i)));
  for (int k = 0; k < 5000; ++k) {
    REQUIRE(b.acquire(cp::as_key("skew" + std::to_string(k))));
    for (const auto& m : b.members()) REQUIRE(m.load <= b.capacity(b.total_load()));
  }
  std::uint64_t mx = 0;
  for (const auto& m : b.members()) mx = std::max(mx, m.load);
  CHECK(mx <= static_cast<std::uint64_t>(std::ceil(1.1 * 5000 / 20)));
  // Releasing keeps it too (keys move off members left above the new capacity).
  for (int k = 0; k < 5000; k += 2) {
    REQUIRE(b.release(cp::as_key("skew" + std::to_string(k))));
    for (const auto& m : b.members()) REQUIRE(m.load <= b.capacity(b.total_load()));
  }
}

TEST_CASE("bounded_load: bad input is refused and changes nothing", "[partition][bounded_load]") {
  for (double e : {0.0, -0.5, std::nan(""), std::numeric_limits<double>::infinity(), 1001.0})
    CHECK(cp::bounded_load<>::create(e).error().code == cohort::errc::invalid_argument);
  CHECK(cp::bounded_load<>::create(0.2, 0).error().code == cohort::errc::invalid_argument);
  CHECK(cp::bounded_load<>::create(0.2, 5000).error().code == cohort::errc::invalid_argument);

  cp::bounded_load<> b;
  CHECK(b.lookup(cp::as_key("x")).error().code == cohort::errc::no_members);
  CHECK(b.acquire(cp::as_key("x")).error().code == cohort::errc::no_members);
  REQUIRE(b.add(mk(1)));
  REQUIRE(b.acquire(cp::as_key("only")));
  CHECK(b.remove(node_id(1)).error().code == cohort::errc::invalid_argument);  // last member holds a key
  for (std::uint64_t i = 2; i <= 8; ++i) REQUIRE(b.add(mk(i)));
  for (int k = 0; k < 200; ++k) REQUIRE(b.acquire(cp::as_key("k" + std::to_string(k))));
  const auto held = b.assignments();
  const auto members = b.members();
  std::vector<node_id> predicted;
  for (int k = 0; k < 300; ++k) predicted.push_back(b.lookup(cp::as_key("p" + std::to_string(k))).value());
  auto refused = [&](auto r, cohort::errc code) {
    REQUIRE(!r);
    CHECK(r.error().code == code);
    CHECK(!r.error().message.empty());
    CHECK(b.assignments() == held);
    CHECK(b.members() == members);
    for (int k = 0; k < 300; ++k) CHECK(b.lookup(cp::as_key("p" + std::to_string(k))).value() == predicted[static_cast<std::size_t>(k)]);
  };
  refused(b.acquire(cp::as_key("k7")), cohort::errc::conflict);
  refused(b.release(cp::as_key("never")), cohort::errc::not_found);
  refused(b.add(mk(3)), cohort::errc::duplicate_member);
  refused(b.add(mk(0)), cohort::errc::invalid_argument);
  for (double w : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity(), 2.0}) {
    auto m = mk(50);
    m.weight = w;
    refused(b.add(m), cohort::errc::invalid_argument);
  }
  refused(b.remove(node_id(50)), cohort::errc::unknown_member);
}
