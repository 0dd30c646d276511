#include <catch2/catch.hpp>

#include <cohort/partition/bulk.hpp>
#include <cohort/partition/jump.hpp>
#include <cohort/partition/ring.hpp>

#include <map>
#include <string>
#include <vector>

namespace cp = cohort::partition;
using cohort::node_id;

namespace {
cp::member mk(std::uint64_t i, double w = 1) { return cp::member{node_id{i}, "node-" + std::to_string(i), w, {}, {}}; }
std::vector<std::string> keys(std::size_t n) {
  std::vector<std::string> k;
  for (std::size_t i = 0; i < n; ++i) k.push_back("k" + std::to_string(i * 7919));
  return k;
}
// The dumb ring: scan every point for the first >= h (ties to the smaller id), else the smallest.
node_id dumb(const cp::ring<>& r, std::uint64_t h) {
  const cp::ring<>::point* best = nullptr;
  const cp::ring<>::point* lowest = nullptr;
  auto less = [](const cp::ring<>::point& a, const cp::ring<>::point& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.id < b.id;
  };
  for (const auto& p : r.points()) {
    if (p.hash >= h && (!best || less(p, *best))) best = &p;
    if (!lowest || less(p, *lowest)) lowest = &p;
  }
  return (best ? best : lowest)->id;
}
}  // namespace

TEST_CASE("ring: lookup equals a linear scan of the points, over seeded member sets", "[partition][ring]") {
  cohort::xoshiro256ss rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    cp::ring<> r(1 + static_cast<std::uint32_t>(cohort::uniform_below(rng, 50)));
    const auto n = 1 + cohort::uniform_below(rng, 40);
    for (std::uint64_t i = 1; i <= n; ++i) REQUIRE(r.add(mk(i, 0.5 + static_cast<double>(cohort::uniform_below(rng, 4)))));
    for (int k = 0; k < 500; ++k) {
      const std::uint64_t h = rng.next();
      REQUIRE(r.owner_of_hash(h) == dumb(r, h));
    }
    CHECK(r.owner_of_hash(0) == dumb(r, 0));
    CHECK(r.owner_of_hash(~0ULL) == dumb(r, ~0ULL));
  }
}

TEST_CASE("ring: adding a member moves keys only to it; removing moves only its keys", "[partition][ring]") {
  cp::ring<> r;
  for (std::uint64_t i = 1; i <= 100; ++i) REQUIRE(r.add(mk(i)));
  const auto ks = keys(50000);
  std::vector<node_id> before;
  for (const auto& k : ks) before.push_back(r.lookup(cp::as_key(k)).value());
  REQUIRE(r.add(mk(101)));
  std::size_t moved = 0;
  for (std::size_t i = 0; i < ks.size(); ++i) {
    const node_id now = r.lookup(cp::as_key(ks[i])).value();
    if (now != before[i]) {
      REQUIRE(now == node_id{101});
      ++moved;
    }
  }
  CHECK(static_cast<double>(moved) / ks.size() < 1.3 / 101);
  REQUIRE(r.remove(node_id{101}));
  for (std::size_t i = 0; i < ks.size(); ++i) REQUIRE(r.lookup(cp::as_key(ks[i])).value() == before[i]);
}

TEST_CASE("ring: balance within its documented bound, weights respected", "[partition][ring]") {
  cp::ring<> r;
  for (std::uint64_t i = 1; i <= 50; ++i) REQUIRE(r.add(mk(i, i <= 25 ? 1.0 : 2.0)));
  std::map<node_id, double> count;
  const auto ks = keys(300000);
  for (const auto& k : ks) ++count[r.lookup(cp::as_key(k)).value()];
  const double unit = ks.size() / 75.0;
  for (auto& [id, c] : count) {
    const double expect = unit * (id.value() <= 25 ? 1.0 : 2.0);
    CHECK(c / expect < 1.25);  // 160 points per unit: a few percent of spread
    CHECK(c / expect > 0.75);
  }
}

TEST_CASE("ring and jump: bad input is refused and changes nothing", "[partition][ring][jump]") {
  cp::ring<> r;
  CHECK(r.lookup(cp::as_key("x")).error().code == cohort::errc::no_members);
  REQUIRE(r.add(mk(1)));
  const auto pts = r.points().size();
  CHECK(r.add(mk(1)).error().code == cohort::errc::duplicate_member);
  CHECK(r.add(mk(0)).error().code == cohort::errc::invalid_argument);
  CHECK(r.add(mk(2, 0)).error().code == cohort::errc::invalid_argument);
  CHECK(r.add(mk(2, std::nan(""))).error().code == cohort::errc::invalid_argument);
  CHECK(r.add(mk(2, 1e300)).error().code == cohort::errc::invalid_argument);
  CHECK(r.remove(node_id{7}).error().code == cohort::errc::unknown_member);
  CHECK(r.points().size() == pts);
  CHECK(cp::ring<>::create(0).error().code == cohort::errc::invalid_config);
  // Capacity: 2^26 points (checked before any point is made, so this costs nothing).
  cp::ring<> big(1'000'000);
  CHECK(big.add(mk(1, 68)).error().code == cohort::errc::capacity_exceeded);  // 6.8e7 points > 2^26
  CHECK(big.size() == 0);
  REQUIRE(big.add(mk(1, 0.25)));
  CHECK(big.add(mk(2, 67)).error().code == cohort::errc::capacity_exceeded);  // 2.5e5 + 6.7e7 > 2^26
  CHECK(big.size() == 1);
  CHECK(big.points().size() == 250'000);

  cp::jump<> j;
  CHECK(j.lookup(cp::as_key("x")).error().code == cohort::errc::no_members);
  for (std::uint64_t i = 1; i <= 3; ++i) REQUIRE(j.add(mk(i)));
  CHECK(j.add(mk(4, 2)).error().code == cohort::errc::invalid_argument);
  CHECK(j.remove(node_id{2}).error().code == cohort::errc::invalid_argument);
  CHECK(j.remove(node_id{9}).error().code == cohort::errc::unknown_member);
  CHECK(j.size() == 3);
  REQUIRE(j.remove(node_id{3}));
  CHECK(j.size() == 2);
}

TEST_CASE("jump: in range, moves only to the new bucket, balanced", "[partition][jump]") {
  // Brute force: the paper's defining property, bucket(k, n+1) is bucket(k, n) or n.
  cohort::splitmix64 sm(1);
  for (int t = 0; t < 20000; ++t) {
    const std::uint64_t key = sm.next();
    std::int32_t prev = 0;
    for (std::int32_t n = 1; n <= 64; ++n) {
      const std::int32_t b = cp::jump_hash(key, n);
      REQUIRE(b >= 0);
      REQUIRE(b < n);
      REQUIRE((b == prev || b == n - 1));
      prev = b;
    }
  }
  CHECK(cp::jump_hash(~0ULL, 1) == 0);
  std::map<std::int32_t, int> count;
  for (int t = 0; t < 100000; ++t) ++count[cp::jump_hash(sm.next(), 10)];
  for (auto& [b, c] : count) CHECK(std::abs(c - 10000) < 500);
}

TEST_CASE("bulk: lookup_all over a range of keys", "[partition][bulk]") {
  cp::ring<> r;
  for (std::uint64_t i = 1; i <= 5; ++i) REQUIRE(r.add(mk(i)));
  const std::vector<std::string> ks = keys(100);
  std::vector<node_id> got;
  for (auto res : cp::lookup_all(r, ks)) got.push_back(res.value());
  REQUIRE(got.size() == ks.size());
  for (std::size_t i = 0; i < ks.size(); ++i) CHECK(got[i] == r.lookup(cp::as_key(ks[i])).value());
  cp::ring<> empty;
  for (auto res : cp::lookup_all(empty, ks)) CHECK(res.error().code == cohort::errc::no_members);
}
