// Tests of multi_probe.hpp.
#include <catch2/catch.hpp>

#include <cohort/core/random.hpp>
#include <cohort/partition/multi_probe.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "common.hpp"

namespace cp = cohort::partition;
using cohort::node_id;

namespace {

cp::member mk(std::uint64_t id) { return cp::member{node_id(id), "server-" + std::to_string(id), 1.0, "", ""}; }

std::vector<std::string> make_keys(std::size_t n) { return partition_test::make_keys(n, "mp"); }
using partition_test::assign;

// The dumb version: for every probe, every member's clockwise distance.
node_id dumb_lookup(const std::vector<cp::member>& ms, const std::string& key, std::size_t probes) {
  const cp::default_hash h;
  const std::uint64_t kh = h(cp::as_key(key));
  std::uint64_t best_d = 0, best_point = 0;
  node_id best = cohort::no_node;
  for (std::size_t j = 0; j < probes; ++j) {
    const std::uint64_t probe = cp::mix64(kh + j * 0x9e3779b97f4a7c15ULL);
    for (const auto& m : ms) {
      const std::uint64_t point = h(cp::as_key(m.name));
      const std::uint64_t d = point - probe;
      const bool closer = best == cohort::no_node || d < best_d ||
                          (d == best_d && (point < best_point || (point == best_point && m.id < best)));
      if (closer) best_d = d, best_point = point, best = m.id;
    }
  }
  return best;
}

// The exact expected share of each ring point under ideal hashing: with gaps g_i
// (the arc before point i, as a fraction of the ring) and k independent uniform
// probes, a probe at distance t from the next point beats another probe with
// probability S(t) = sum_i max(g_i - t, 0), so
//   share_i = k * integral_0^{g_i} S(t)^(k-1) dt,
// integrated exactly piece by piece (S is linear between sorted gaps).
std::vector<long double> exact_shares(const std::vector<std::uint64_t>& sorted_points, std::size_t k) {
  const std::size_t n = sorted_points.size();
  std::vector<long double> gap(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t prev = sorted_points[(i + n - 1) % n];
    gap[i] = static_cast<long double>(sorted_points[i] - prev) / 18446744073709551616.0L;  // 2^64
  }
  if (n == 1) gap[0] = 1;
  std::vector<long double> g = gap;
  std::sort(g.begin(), g.end());
  // F(x) = k * integral_0^x S^(k-1), at each sorted gap value. On the piece
  // [g[j-1], g[j]], S(t) = A - c t with A = sum_{i >= j} g[i] and c = n - j.
  std::vector<long double> F(n);
  long double A = 0;
  for (auto v : g) A += v;  // = 1
  long double acc = 0, lo = 0;
  const long double kk = static_cast<long double>(k);
  for (std::size_t j = 0; j < n; ++j) {
    const long double c = static_cast<long double>(n - j);
    const long double hi = g[j];
    acc += (std::pow(A - c * lo, kk) - std::pow(A - c * hi, kk)) / c;
    F[j] = acc;
    A -= g[j];
    lo = hi;
  }
  std::vector<long double> share(n);
  for (std::size_t i = 0; i < n; ++i) share[i] = F[static_cast<std::size_t>(std::lower_bound(g.begin(), g.end(), gap[i]) - g.begin())];
  return share;
}

}  // namespace

TEST_CASE("multi_probe: lookup matches scanning every member's distance", "[partition][multi_probe]") {
  cohort::xoshiro256ss rng(5);
  for (int trial = 0; trial < 40; ++trial) {
    const std::size_t probes = 1 + cohort::uniform_below(rng, 30);
    auto mp = cp::multi_probe<>::create(probes).value();
    std::vector<cp::member> ms;
    const auto n = 1 + cohort::uniform_below(rng, 50);
    for (std::uint64_t i = 0; i < n; ++i) {
      auto m = mk(1 + cohort::uniform_below(rng, 200));
      if (mp.add(m)) ms.push_back(m);
    }
    if (trial % 5 == 0) {  // equal names: equal points, ties go to the smaller id
      cp::member twin = ms.front();
      twin.id = node_id(1000 + static_cast<std::uint64_t>(trial));
      REQUIRE(mp.add(twin));
      ms.push_back(twin);
    }
    for (int k = 0; k < 200; ++k) {
      const std::string key = "t" + std::to_string(trial) + "k" + std::to_string(k);
      REQUIRE(mp.lookup(cp::as_key(key)).value() == dumb_lookup(ms, key, probes));
    }
  }
}

TEST_CASE("multi_probe: 21 probes at 1000 members, max/mean <= 1.06", "[partition][multi_probe]") {
  cp::multi_probe<> mp;
  for (std::uint64_t i = 1; i <= 1000; ++i) REQUIRE(mp.add(mk(i)));
  std::vector<std::uint64_t> points;
  for (const auto& p : mp.ring()) points.push_back(p.hash);
  const auto share = exact_shares(points, 21);
  long double sum = 0, mx = 0;
  for (auto s : share) sum += s, mx = std::max(mx, s);
  CHECK(std::abs(static_cast<double>(sum) - 1.0) < 1e-9);
  // The expected load (exact, for ideal independent probes) of the most
  // loaded member. The paper's 1 + 1/(k - 1) = 1.05 is the many-member limit;
  // finite rings fluctuate around it (median 1.050 and 95th percentile 1.059
  // over random rings of 1000: docs/partitioners.md). These 1000 members give
  // 1.0528, so the bound asserted is 1.06.
  const double ratio = static_cast<double>(mx * 1000);
  CHECK(ratio <= 1.06);
  CHECK(ratio > 1.0);
  UNSCOPED_INFO("exact max/mean at 1000 members, 21 probes: " << ratio);

  // Sampled check that the real probes behave like ideal ones: 1M keys, mean
  // 1000 per member (sd ~3.2%); every member within 6 sd of its exact share,
  // and the sampled max/mean within 1.05 + 6 sd.
  const std::size_t keys = 1000000;
  std::map<node_id, double> count;
  for (std::size_t i = 0; i < keys; ++i) ++count[mp.lookup(cp::as_key("s" + std::to_string(i))).value()];
  double sampled_max = 0;
  for (std::size_t i = 0; i < mp.ring().size(); ++i) {
    const double expected = static_cast<double>(share[i]) * keys;
    const double got = count[mp.ring()[i].id];
    REQUIRE(std::abs(got - expected) <= 6 * std::sqrt(expected));
    sampled_max = std::max(sampled_max, got);
  }
  CHECK(sampled_max / (keys / 1000.0) <= ratio + 6 * std::sqrt(1000.0) / 1000.0);
}

TEST_CASE("multi_probe: monotone on add, minimal movement on remove", "[partition][multi_probe]") {
  cp::multi_probe<> mp;
  for (std::uint64_t i = 1; i <= 100; ++i) REQUIRE(mp.add(mk(i)));
  const auto keys = make_keys(20000);
  const auto before = assign(mp, keys);
  REQUIRE(mp.add(mk(101)));
  const auto after = assign(mp, keys);
  std::size_t moved = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (after[i] == before[i]) continue;
    ++moved;
    REQUIRE(after[i] == node_id(101));
  }
  CHECK(moved > 0);
  REQUIRE(mp.remove(node_id(101)));
  CHECK(assign(mp, keys) == before);
  REQUIRE(mp.remove(node_id(7)));
  const auto removed = assign(mp, keys);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (before[i] != node_id(7)) {
      REQUIRE(removed[i] == before[i]);
    } else {
      REQUIRE(removed[i] != node_id(7));
    }
  }
}

TEST_CASE("multi_probe: bad input is refused and changes nothing", "[partition][multi_probe]") {
  CHECK(cp::multi_probe<>::create(0).error().code == cohort::errc::invalid_argument);
  CHECK(cp::multi_probe<>::create(1025).error().code == cohort::errc::invalid_argument);
  cp::multi_probe<> mp;
  CHECK(mp.probes() == 21);
  CHECK(mp.lookup(cp::as_key("x")).error().code == cohort::errc::no_members);
  for (std::uint64_t i = 1; i <= 10; ++i) REQUIRE(mp.add(mk(i)));
  const auto keys = make_keys(2000);
  const auto before = assign(mp, keys);
  auto refused = [&](cohort::result<void> r, cohort::errc code) {
    REQUIRE(!r);
    CHECK(r.error().code == code);
    CHECK(!r.error().message.empty());
    CHECK(mp.size() == 10);
    CHECK(assign(mp, keys) == before);
  };
  refused(mp.add(mk(4)), cohort::errc::duplicate_member);
  refused(mp.add(mk(0)), cohort::errc::invalid_argument);
  for (double w : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity(), 2.0, 1e7}) {
    auto m = mk(50);
    m.weight = w;
    refused(mp.add(m), cohort::errc::invalid_argument);
  }
  refused(mp.remove(node_id(50)), cohort::errc::unknown_member);
}
