// Tests of bulk construction (add_all), bulk lookups (bulk.hpp lookup_many)
// and table_bytes() across the partitioners.
#include <catch2/catch.hpp>

#include <cohort/partition.hpp>
#include <cohort/partition/bulk.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "common.hpp"

namespace cp = cohort::partition;
using cohort::node_id;

namespace {

cp::member mk(std::uint64_t id, double weight = 1.0) {
  return cp::member{node_id(id), "member-" + std::to_string(id), weight, "", ""};
}
std::vector<cp::member> list_of(std::uint64_t first, std::uint64_t n, bool weighted) {
  std::vector<cp::member> out;
  for (std::uint64_t i = first; i < first + n; ++i) out.push_back(mk(i, weighted ? 1.0 + static_cast<double>(i % 3) : 1.0));
  return out;
}
const std::vector<std::string>& test_keys() {
  static const auto k = partition_test::make_keys(3000, "bulk");
  return k;
}

// add_all of a list equals add() of each member in order, also when the list
// is split over two calls; compared on the observable structure and lookups.
template <class P, class Same>
void check_add_all(P fresh, bool weighted, Same same_structure) {
  for (std::uint64_t n : {1U, 2U, 17U, 150U}) {
    const auto list = list_of(1, n, weighted);
    P one_by_one = fresh, bulk = fresh, split = fresh;
    for (const auto& m : list) REQUIRE(one_by_one.add(m));
    REQUIRE(bulk.add_all(list));
    REQUIRE(split.add_all(std::span(list).first(n / 3)));
    REQUIRE(split.add_all(std::span(list).subspan(n / 3)));
    const auto want = partition_test::assign(one_by_one, test_keys());
    for (const P* p : {&bulk, &split}) {
      REQUIRE(p->size() == n);
      REQUIRE(same_structure(*p, one_by_one));
      REQUIRE(partition_test::assign(*p, test_keys()) == want);
      CHECK(p->table_bytes() == one_by_one.table_bytes());
    }
  }
}

// A list with one bad member is refused whole: nothing changes.
template <class P>
void check_add_all_refused(P p) {
  for (std::uint64_t i = 1; i <= 5; ++i) REQUIRE(p.add(mk(i)));
  const auto before = partition_test::assign(p, test_keys());
  const auto bytes = p.table_bytes();
  const auto refused = [&](std::vector<cp::member> list, cohort::errc code) {
    const auto r = p.add_all(list);
    REQUIRE(!r);
    CHECK(r.error().code == code);
    CHECK(!r.error().message.empty());
    CHECK(p.size() == 5);
    CHECK(p.table_bytes() == bytes);
    CHECK(partition_test::assign(p, test_keys()) == before);
  };
  refused({mk(10), mk(11), mk(10)}, cohort::errc::duplicate_member);
  refused({mk(10), mk(3)}, cohort::errc::duplicate_member);
  refused({mk(10), mk(0)}, cohort::errc::invalid_argument);
  refused({mk(10), mk(11, -1.0)}, cohort::errc::invalid_argument);
  REQUIRE(p.add_all({}));
  CHECK(p.size() == 5);
}

}  // namespace

TEST_CASE("add_all: ring and maglev build what one-by-one adds build", "[partition][bulk]") {
  check_add_all(cp::ring<>(40), true, [](const cp::ring<>& a, const cp::ring<>& b) {
    return a.points().size() == b.points().size() &&
           std::equal(a.points().begin(), a.points().end(), b.points().begin(),
                      [](const auto& x, const auto& y) { return x.hash == y.hash && x.id == y.id; });
  });
  check_add_all(cp::maglev<>::create(4099).value(), true,
                [](const cp::maglev<>& a, const cp::maglev<>& b) { return a.table() == b.table() && a.members() == b.members(); });
}

TEST_CASE("add_all: a list with one bad member changes nothing", "[partition][bulk]") {
  check_add_all_refused(cp::ring<>(20));
  check_add_all_refused(cp::maglev<>::create(1009).value());
  check_add_all_refused(cp::ketama_ring{});
  auto small = cp::maglev<>::create(7).value();
  REQUIRE(small.add_all(list_of(1, 5, false)));
  const auto r = small.add_all(list_of(6, 2, false));  // 7 members need a table larger than 7
  CHECK(r.error().code == cohort::errc::capacity_exceeded);
  CHECK(small.size() == 5);
}

TEST_CASE("add_all: maglev counts changed slots against the table before the call", "[partition][bulk]") {
  auto m = cp::maglev<>::create(4099).value();
  REQUIRE(m.add_all(list_of(1, 10, false)));
  CHECK(m.last_rebuild_changed() == 4099);  // from empty: every slot
  const auto before = m.table();
  REQUIRE(m.add_all(list_of(11, 2, false)));
  std::uint64_t changed = 0;
  for (std::size_t i = 0; i < before.size(); ++i) changed += before[i] != m.table()[i];
  CHECK(m.last_rebuild_changed() == changed);
  CHECK(changed > 0);
}

TEST_CASE("bulk lookup_many: equals lookup for every partitioner", "[partition][bulk]") {
  const auto& keys = test_keys();
  std::vector<cohort::bytes_view> in;
  for (const auto& k : keys) in.push_back(cp::as_key(k));
  auto check = [&](const auto& p) {
    std::vector<node_id> out(in.size());
    REQUIRE(cp::lookup_many(p, in, out));
    REQUIRE(out == partition_test::assign(p, keys));
    std::vector<node_id> short_out(in.size() - 1, node_id{99});
    CHECK(cp::lookup_many(p, in, short_out).error().code == cohort::errc::invalid_argument);
    CHECK(std::all_of(short_out.begin(), short_out.end(), [](node_id x) { return x == node_id{99}; }));
  };
  const auto list = list_of(1, 30, false);
  cp::ketama_ring ketama;
  cp::ring<> ring;
  cp::jump<> jump;
  cp::rendezvous<> hrw;
  cp::multi_probe<> mp;
  cp::memento<> memento;
  auto maglev = cp::maglev<>::create(1009).value();
  for (const auto& m : list) {
    REQUIRE(ketama.add(m));
    REQUIRE(ring.add(m));
    REQUIRE(jump.add(m));
    REQUIRE(hrw.add(m));
    REQUIRE(mp.add(m));
    REQUIRE(memento.add(m));
    REQUIRE(maglev.add(m));
  }
  REQUIRE(memento.remove(node_id{4}));
  check(ketama), check(ring), check(jump), check(hrw), check(mp), check(memento), check(maglev);
  std::vector<node_id> out(2);
  CHECK(cp::lookup_many(cp::ring<>{}, std::span(in).first(2), out).error().code == cohort::errc::no_members);
  CHECK(cp::lookup_many(cp::ketama_ring{}, std::span(in).first(2), out).error().code == cohort::errc::no_members);
}

TEST_CASE("table_bytes: every partitioner reports its lookup structures", "[partition][bulk]") {
  // Each grows with members and is at least the obvious per-member record.
  auto check = [](auto p, std::size_t per_member_min) {
    CHECK(p.table_bytes() < 64);
    for (std::uint64_t i = 1; i <= 10; ++i) REQUIRE(p.add(mk(i)));
    const auto ten = p.table_bytes();
    CHECK(ten >= 10 * per_member_min);
    for (std::uint64_t i = 11; i <= 20; ++i) REQUIRE(p.add(mk(i)));
    CHECK(p.table_bytes() > ten);
    return p.table_bytes();
  };
  CHECK(check(cp::ring<>(10), 10 * cp::ring<>::bytes_per_point) >= 200 * cp::ring<>::bytes_per_point);
  CHECK(check(cp::ketama_ring{}, 160 * sizeof(cp::ketama_ring::point)) > 0);
  CHECK(check(cp::jump<>{}, sizeof(node_id)) == 20 * sizeof(node_id));
  CHECK(check(cp::rendezvous<>{}, sizeof(cp::rendezvous<>::slot)) == 20 * sizeof(cp::rendezvous<>::slot));
  CHECK(check(cp::memento<>{}, sizeof(cp::memento<>::bucket)) == 20 * sizeof(cp::memento<>::bucket));
  CHECK(check(cp::multi_probe<>{}, sizeof(cp::multi_probe<>::point)) >= 20 * sizeof(cp::multi_probe<>::point));
  CHECK(check(cp::placement<>{}, sizeof(cp::rendezvous<>::slot)) == 20 * sizeof(cp::rendezvous<>::slot));
  CHECK(check(cp::bounded_load<>{}, sizeof(cp::bounded_load<>::point)) >= 20 * 40 * sizeof(cp::bounded_load<>::point));
  // Maglev: the whole table once there are members.
  auto m = cp::maglev<>::create(1009).value();
  CHECK(m.table_bytes() == 0);
  REQUIRE(m.add(mk(1)));
  CHECK(m.table_bytes() == 1009 * sizeof(node_id) + sizeof(cp::maglev<>::slot));
}

TEST_CASE("multi_probe: the bucket index finds the successor a binary search finds", "[partition][multi_probe]") {
  // Member counts giving several bucket-table sizes; every key checked against
  // the same rule with std::lower_bound on the sorted points.
  for (std::uint64_t n : {1U, 3U, 64U, 1000U, 2500U}) {
    cp::multi_probe<> mp;
    REQUIRE(mp.add_all(list_of(1, n, false)));
    const auto& ring = mp.ring();
    std::vector<std::uint64_t> hashes;
    for (const auto& p : ring) hashes.push_back(p.hash);
    const auto reference = [&](std::uint64_t kh) {
      std::uint64_t best_d = ~std::uint64_t{0};
      std::size_t best = 0;
      for (std::size_t j = 0; j < mp.probes(); ++j) {
        const std::uint64_t probe = cp::multi_probe<>::probe(kh, j);
        auto it = std::lower_bound(hashes.begin(), hashes.end(), probe);
        const std::size_t i = it == hashes.end() ? 0 : static_cast<std::size_t>(it - hashes.begin());
        const std::uint64_t d = hashes[i] - probe;
        if (d < best_d || (d == best_d && i < best)) best_d = d, best = i;
      }
      return ring[best].id;
    };
    for (int k = 0; k < 2000; ++k) {
      const std::string key = "mp" + std::to_string(k);
      REQUIRE(mp.lookup(cp::as_key(key)).value() == reference(mp.hash()(cp::as_key(key))));
    }
  }
}
