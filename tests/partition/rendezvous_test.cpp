// Tests of rendezvous.hpp, plus the "lookups never allocate" check for all of
// partb's partitioners (this file replaces the global operator new to count).
#include <catch2/catch.hpp>

#include <cohort/core/random.hpp>
#include <cohort/partition/bounded_load.hpp>
#include <cohort/partition/maglev.hpp>
#include <cohort/partition/memento.hpp>
#include <cohort/partition/multi_probe.hpp>
#include <cohort/partition/placement.hpp>
#include <cohort/partition/rendezvous.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <string>
#include <tuple>
#include <vector>

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// GCC 12 flags free() of memory from the replaced operator new once both are
// inlined (-Wmismatched-new-delete); they are a matching malloc/free pair.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

// Counting replacement of the global allocation functions: the plain, sized and
// nothrow forms (all of which a sanitizer would otherwise pair with its own),
// and the array forms, so every new/delete pair goes through malloc/free.
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace cp = cohort::partition;
using cohort::node_id;

namespace {

std::vector<std::string> make_keys(std::size_t n, const std::string& prefix = "key-") {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (std::size_t i = 0; i < n; ++i) keys.push_back(prefix + std::to_string(i));
  return keys;
}

cp::member mk(std::uint64_t id, double weight = 1.0) {
  return cp::member{node_id(id), "node-" + std::to_string(id), weight, "", ""};
}

template <class P>
std::vector<node_id> assign(const P& p, const std::vector<std::string>& keys) {
  std::vector<node_id> out;
  out.reserve(keys.size());
  for (const auto& k : keys) out.push_back(p.lookup(cp::as_key(k)).value());
  return out;
}

// The dumb version: every member's score computed from scratch, all sorted.
std::vector<node_id> dumb_ranking(const std::vector<cp::member>& ms, const std::string& key) {
  const cp::default_hash h;
  std::vector<std::pair<double, node_id>> scored;
  for (const auto& m : ms) {
    const std::uint64_t ph = cp::mix64(h(cp::as_key(key)) ^ h(cp::as_key(m.name)));
    const double u = static_cast<double>((ph >> 12) * 2 + 1) / 9007199254740992.0;  // 2^53
    scored.emplace_back(-m.weight / std::log(u), m.id);
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<node_id> ids;
  for (const auto& s : scored) ids.push_back(s.second);
  return ids;
}

}  // namespace

TEST_CASE("rendezvous: lookup and top_k match sorting all scores", "[partition][rendezvous]") {
  cohort::xoshiro256ss rng(7);
  for (int trial = 0; trial < 60; ++trial) {
    cp::rendezvous<> r;
    std::vector<cp::member> ms;
    const auto n = 1 + cohort::uniform_below(rng, 40);
    for (std::uint64_t i = 0; i < n; ++i) {
      auto m = mk(1 + cohort::uniform_below(rng, 1000000));
      m.weight = trial % 2 == 0 ? 1.0 : 0.5 + cohort::uniform_unit(rng) * 20;
      if (r.add(m)) ms.push_back(m);
    }
    for (const auto& key : make_keys(50, "t" + std::to_string(trial) + "-")) {
      const auto dumb = dumb_ranking(ms, key);
      REQUIRE(r.lookup(cp::as_key(key)).value() == dumb.front());
      const std::size_t k = 1 + cohort::uniform_below(rng, ms.size());
      const auto top = r.top_k(cp::as_key(key), k).value();
      REQUIRE(std::vector<node_id>(dumb.begin(), dumb.begin() + static_cast<std::ptrdiff_t>(k)) == top);
    }
  }
}

TEST_CASE("rendezvous: the open-unit mapping never reaches 0 or 1", "[partition][rendezvous]") {
  CHECK(cp::detail::to_open_unit(0) > 0.0);
  CHECK(cp::detail::to_open_unit(~std::uint64_t{0}) < 1.0);
  CHECK(std::isfinite(cp::detail::hrw_score(0, 1e6)));
  CHECK(std::isfinite(cp::detail::hrw_score(~std::uint64_t{0}, 1e6)));
  CHECK(cp::detail::hrw_score(~std::uint64_t{0}, 1.0) > cp::detail::hrw_score(0, 1.0));
}

TEST_CASE("rendezvous: weights give proportional shares", "[partition][rendezvous]") {
  cp::rendezvous<> r;
  for (std::uint64_t i = 1; i <= 4; ++i) REQUIRE(r.add(mk(i, static_cast<double>(i))));
  const auto keys = make_keys(200000);
  std::vector<double> count(5, 0);
  for (auto id : assign(r, keys)) count[id.value()] += 1;
  // Expected share i/10; binomial sd <= 0.0011 at 200k keys; allow 0.006.
  for (std::uint64_t i = 1; i <= 4; ++i) CHECK(std::abs(count[i] / 200000.0 - static_cast<double>(i) / 10.0) < 0.006);
}

TEST_CASE("rendezvous: minimal movement and order independence", "[partition][rendezvous]") {
  cp::rendezvous<> a, b;
  for (std::uint64_t i = 1; i <= 50; ++i) REQUIRE(a.add(mk(i, 1.0 + static_cast<double>(i % 3))));
  for (std::uint64_t i = 50; i >= 1; --i) REQUIRE(b.add(mk(i, 1.0 + static_cast<double>(i % 3))));
  const auto keys = make_keys(20000);
  const auto before = assign(a, keys);
  REQUIRE(before == assign(b, keys));

  REQUIRE(a.add(mk(51, 2.0)));
  const auto grown = assign(a, keys);
  std::size_t moved = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (grown[i] == before[i]) continue;
    ++moved;
    REQUIRE(grown[i] == node_id(51));
  }
  CHECK(moved > 0);

  REQUIRE(a.remove(node_id(17)));
  const auto shrunk = assign(a, keys);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (grown[i] != node_id(17)) {
      REQUIRE(shrunk[i] == grown[i]);
    } else {
      REQUIRE(shrunk[i] != node_id(17));
    }
  }
}

TEST_CASE("rendezvous: bad input is refused and changes nothing", "[partition][rendezvous]") {
  cp::rendezvous<> r;
  CHECK(r.lookup(cp::as_key("x")).error().code == cohort::errc::no_members);
  node_id one[1];
  CHECK(r.top_k(cp::as_key("x"), one).error().code == cohort::errc::no_members);
  for (std::uint64_t i = 1; i <= 10; ++i) REQUIRE(r.add(mk(i)));
  const auto keys = make_keys(2000);
  const auto before = assign(r, keys);
  auto bad = [&](cohort::result<void> res, cohort::errc code) {
    REQUIRE(!res);
    CHECK(res.error().code == code);
    CHECK(!res.error().message.empty());
    CHECK(r.size() == 10);
    CHECK(assign(r, keys) == before);
  };
  bad(r.add(mk(3)), cohort::errc::duplicate_member);
  bad(r.add(mk(0)), cohort::errc::invalid_argument);
  for (double w : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity(), 1e6 + 1, 1e300})
    bad(r.add(mk(99, w)), cohort::errc::invalid_argument);
  bad(r.remove(node_id(99)), cohort::errc::unknown_member);
  CHECK(r.top_k(cp::as_key("x"), 0).error().code == cohort::errc::invalid_argument);
  CHECK(r.top_k(cp::as_key("x"), 11).error().code == cohort::errc::invalid_argument);
  CHECK(r.top_k(cp::as_key("x"), std::numeric_limits<std::size_t>::max()).error().code == cohort::errc::invalid_argument);
  CHECK(r.top_k(cp::as_key("x"), 10).value().size() == 10);
  CHECK(assign(r, keys) == before);
}

TEST_CASE("partb partitioners: lookups do not allocate", "[partition][alloc]") {
  const auto keys = make_keys(500);
  auto no_alloc = [&](const auto& p) {
    const long before = g_allocations.load();
    std::uint64_t sum = 0;
    for (const auto& k : keys) sum += p.lookup(cp::as_key(k)).value().value();
    CHECK(g_allocations.load() == before);
    CHECK(sum > 0);
  };
  cp::rendezvous<> r;
  cp::maglev<> mg = cp::maglev<>::create(1009).value();
  cp::multi_probe<> mp;
  cp::memento<> me;
  cp::placement<> pl;
  cp::bounded_load<> bl;
  for (std::uint64_t i = 1; i <= 20; ++i) {
    REQUIRE(r.add(mk(i)));
    REQUIRE(mg.add(mk(i)));
    REQUIRE(mp.add(mk(i)));
    REQUIRE(me.add(mk(i)));
    REQUIRE(pl.add(mk(i)));
    REQUIRE(bl.add(mk(i)));
  }
  REQUIRE(me.remove(node_id(4)));
  for (int i = 0; i < 100; ++i) REQUIRE(bl.acquire(cp::as_key(keys[static_cast<std::size_t>(i)])));
  no_alloc(r);
  no_alloc(mg);
  no_alloc(mp);
  no_alloc(me);
  no_alloc(pl);
  no_alloc(bl);
  const long before = g_allocations.load();
  node_id out[3];
  for (const auto& k : keys) {
    REQUIRE(r.top_k(cp::as_key(k), out));
    REQUIRE(pl.replicas(cp::as_key(k), out));
  }
  CHECK(g_allocations.load() == before);
}
