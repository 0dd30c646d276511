// Exact text of the formatters in cohort/fmt/partition.hpp: members, moved
// keys and the one-line summary of every partitioner.
#include <cohort/fmt/partition.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <string>

using cohort::node_id;
using cohort::partition::as_key;
using cohort::partition::member;

namespace {

member m(std::uint64_t id, std::string name, double weight = 1.0, std::string zone = {}, std::string rack = {}) {
  return member{node_id{id}, std::move(name), weight, std::move(zone), std::move(rack)};
}

template <class P>
void add_all(P& p, std::initializer_list<member> ms) {
  for (const auto& x : ms) REQUIRE(p.add(x));
}

}  // namespace

TEST_CASE("fmt partition: member shows name, weight and the labels in use", "[fmt][partition]") {
  CHECK(fmt::format("{}", m(1, "10.0.0.1:11211")) == "1 \"10.0.0.1:11211\" weight=1");
  CHECK(fmt::format("{}", m(2, "b", 2.5, "eu", "r2")) == "2 \"b\" weight=2.5 zone=\"eu\" rack=\"r2\"");
  CHECK(fmt::format("{}", m(3, "c", 1e6, "", "r9")) == "3 \"c\" weight=1000000 rack=\"r9\"");
  // Names are escaped, so odd bytes cannot break a line of output.
  CHECK(fmt::format("{}", m(4, "a\"b\n\x01")) == "4 \"a\\\"b\\n\\x01\" weight=1");
  CHECK(fmt::format("{}", member{}) == "0 \"\" weight=1");
}

TEST_CASE("fmt partition: ring, ketama, jump, maglev, multi_probe, rendezvous summaries", "[fmt][partition]") {
  auto r = cohort::partition::ring<>::create(4);
  REQUIRE(r);
  CHECK(fmt::format("{}", *r) == "ring members=() points=0 points_per_unit=4");
  add_all(*r, {m(3, "c"), m(1, "a"), m(2, "b", 0.5)});
  CHECK(fmt::format("{}", *r) == "ring members=(1 2 3) points=10 points_per_unit=4");

  cohort::partition::ketama_ring k;
  add_all(k, {m(3, "h3:11211"), m(1, "h1:11211")});
  CHECK(fmt::format("{}", k) == "ketama members=(3 1) points=320");

  cohort::partition::jump<> j;
  CHECK(fmt::format("{}", j) == "jump members=0");
  add_all(j, {m(5, "e"), m(6, "f")});
  CHECK(fmt::format("{}", j) == "jump members=2");

  auto mg = cohort::partition::maglev<>::create(13);
  REQUIRE(mg);
  add_all(*mg, {m(2, "b"), m(1, "a")});
  CHECK(fmt::format("{}", *mg) == "maglev members=(2 1) table_size=13");

  auto mp = cohort::partition::multi_probe<>::create(5);
  REQUIRE(mp);
  add_all(*mp, {m(9, "i"), m(4, "d"), m(7, "g")});
  CHECK(fmt::format("{}", *mp) == "multi_probe members=(4 7 9) probes=5");

  cohort::partition::rendezvous<> hrw;
  add_all(hrw, {m(8, "h"), m(2, "b"), m(5, "e")});
  REQUIRE(hrw.remove(node_id{2}));
  CHECK(fmt::format("{}", hrw) == "rendezvous members=(8 5)");
}

TEST_CASE("fmt partition: memento shows removed buckets", "[fmt][partition]") {
  cohort::partition::memento<> mm;
  CHECK(fmt::format("{}", mm) == "memento members=0 buckets=()");
  add_all(mm, {m(1, "a"), m(2, "b"), m(3, "c")});
  CHECK(fmt::format("{}", mm) == "memento members=3 buckets=(1 2 3)");
  REQUIRE(mm.remove(node_id{2}));
  CHECK(fmt::format("{}", mm) == "memento members=2 buckets=(1 - 3)");
  REQUIRE(mm.remove(node_id{3}));
  CHECK(fmt::format("{}", mm) == "memento members=1 buckets=(1 - -)");
  add_all(mm, {m(4, "d")});
  CHECK(fmt::format("{}", mm) == "memento members=2 buckets=(1 - 4)");
}

TEST_CASE("fmt partition: placement shows each member's failure domain", "[fmt][partition]") {
  cohort::partition::placement<> p;
  CHECK(fmt::format("{}", p) == "placement members=()");
  add_all(p, {m(1, "a", 1.0, "eu", "r1"), m(2, "b", 1.0, "eu", "r2"), m(3, "c")});
  CHECK(fmt::format("{}", p) == "placement members=(1@eu/r1 2@eu/r2 3@/)");
}

TEST_CASE("fmt partition: bounded_load loads and the keys a rebalance moved", "[fmt][partition]") {
  auto b = cohort::partition::bounded_load<>::create(0.25);
  REQUIRE(b);
  add_all(*b, {m(7, "g")});
  for (const char* key : {"b", "a", "c"}) REQUIRE(b->acquire(as_key(key)));
  // One member holds all 3 keys: capacity ceil(1.25 * 3 / 1) = 4.
  CHECK(fmt::format("{}", *b) == "bounded_load epsilon=0.25 total=3 capacity=4 loads=(7:3)");
  // A second member drops the capacity to ceil(1.25 * 3 / 2) = 2: member 7
  // hands its smallest key to the only member with room.
  add_all(*b, {m(8, "h")});
  CHECK(fmt::format("{}", *b) == "bounded_load epsilon=0.25 total=3 capacity=2 loads=(7:2 8:1)");
  REQUIRE(b->last_moves().size() == 1);
  CHECK(fmt::format("{}", b->last_moves().front()) == "\"a\" 7->8");
  CHECK(fmt::format("{}", cohort::partition::moved_key{"x\ty", node_id{1}, node_id{12}}) == "\"x\\ty\" 1->12");
}
