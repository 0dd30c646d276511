// Tests of memento.hpp against a reference model of the removed-set semantics:
//   - with nothing removed it is jump consistent hash over the members in order;
//   - every key maps to a present member;
//   - removing a member moves exactly its keys (others stay);
//   - adding a member restores the last removed bucket: the assignment returns
//     to exactly what it was before that removal, with the new id in place of
//     the removed one (LIFO);
//   - balance over the working members is that of a uniform hash.
#include <catch2/catch.hpp>

#include <cohort/core/random.hpp>
#include <cohort/partition/memento.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common.hpp"

namespace cp = cohort::partition;
using cohort::node_id;

namespace {

cp::member mk(std::uint64_t id) { return cp::member{node_id(id), "m-" + std::to_string(id), 1.0, "", ""}; }

std::vector<std::string> make_keys(std::size_t n) { return partition_test::make_keys(n, "memento-"); }
using partition_test::assign;

// Jump consistent hash as printed in Lamping and Veach's paper (figure 1).
std::int32_t paper_jump(std::uint64_t key, std::int32_t num_buckets) {
  std::int64_t b = -1, j = 0;
  while (j < num_buckets) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = static_cast<std::int64_t>(static_cast<double>(b + 1) * (static_cast<double>(1LL << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<std::int32_t>(b);
}

}  // namespace

TEST_CASE("memento: without removals it is jump hash", "[partition][memento]") {
  cp::memento<> me;
  std::vector<node_id> by_bucket;
  const cp::default_hash h;
  for (std::uint64_t i = 1; i <= 300; ++i) {
    REQUIRE(me.add(mk(i * 7)));
    by_bucket.push_back(node_id(i * 7));
    for (int k = 0; k < 20; ++k) {
      const std::string key = "j" + std::to_string(i) + "-" + std::to_string(k);
      const auto b = paper_jump(h(cp::as_key(key)), static_cast<std::int32_t>(by_bucket.size()));
      REQUIRE(me.lookup(cp::as_key(key)).value() == by_bucket[static_cast<std::size_t>(b)]);
    }
  }
  // Removing the highest bucket with nothing else removed shrinks jump hash.
  REQUIRE(me.remove(node_id(300 * 7)));
  CHECK(me.buckets().size() == 299);
  CHECK(me.last_removed() == cp::memento<>::none);
}

TEST_CASE("memento: random removals and LIFO restores follow the model", "[partition][memento]") {
  cohort::xoshiro256ss rng(2024);
  const auto keys = make_keys(3000);
  for (int trial = 0; trial < 25; ++trial) {
    cp::memento<> me;
    const std::uint64_t n = 2 + cohort::uniform_below(rng, 60);
    std::vector<node_id> present;
    std::uint64_t next_id = 1;
    for (std::uint64_t i = 0; i < n; ++i, ++next_id) {
      REQUIRE(me.add(mk(next_id)));
      present.push_back(node_id(next_id));
    }
    // A stack of (assignment before the removal, removed id): restores pop it.
    std::vector<std::pair<std::vector<node_id>, node_id>> history;
    auto current = assign(me, keys);
    for (int step = 0; step < 80; ++step) {
      const bool remove = present.size() > 1 && (history.empty() || cohort::chance(rng, 3, 5));
      if (remove) {
        const auto victim_at = cohort::uniform_below(rng, present.size());
        const node_id victim = present[victim_at];
        REQUIRE(me.remove(victim));
        present.erase(present.begin() + static_cast<std::ptrdiff_t>(victim_at));
        const auto after = assign(me, keys);
        for (std::size_t i = 0; i < keys.size(); ++i) {
          if (current[i] != victim) {
            REQUIRE(after[i] == current[i]);  // only the victim's keys move
          } else {
            REQUIRE(std::find(present.begin(), present.end(), after[i]) != present.end());
          }
        }
        history.emplace_back(current, victim);
        current = after;
      } else {
        const node_id fresh(next_id++);
        REQUIRE(me.add(mk(fresh.value())));
        present.push_back(fresh);
        const auto after = assign(me, keys);
        if (!history.empty()) {  // restored the last removed bucket: back to before its removal
          auto expected = history.back().first;
          for (auto& e : expected)
            if (e == history.back().second) e = fresh;
          REQUIRE(after == expected);
          // The new member now stands for the removed one in older snapshots too.
          const node_id gone = history.back().second;
          history.pop_back();
          for (auto& [snapshot, victim] : history)
            for (auto& e : snapshot)
              if (e == gone) e = fresh;
        }
        for (std::size_t i = 0; i < keys.size(); ++i) REQUIRE((after[i] == current[i] || after[i] == fresh));
        current = after;
      }
      CHECK(me.size() == present.size());
    }
  }
}

TEST_CASE("memento: balance after many removals", "[partition][memento]") {
  cp::memento<> me;
  for (std::uint64_t i = 1; i <= 100; ++i) REQUIRE(me.add(mk(i)));
  cohort::xoshiro256ss rng(3);
  std::vector<std::uint64_t> ids;
  for (std::uint64_t i = 1; i <= 100; ++i) ids.push_back(i);
  for (int r = 0; r < 40; ++r) {
    const auto at = cohort::uniform_below(rng, ids.size());
    REQUIRE(me.remove(node_id(ids[at])));
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(at));
  }
  const std::size_t n_keys = 600000;
  std::map<node_id, double> count;
  for (std::size_t i = 0; i < n_keys; ++i) ++count[me.lookup(cp::as_key("b" + std::to_string(i))).value()];
  REQUIRE(count.size() == 60);
  const double mean = n_keys / 60.0;  // 10000, sd 1%
  for (auto& [id, c] : count) CHECK(std::abs(c - mean) <= 5 * std::sqrt(mean));
}

TEST_CASE("memento: bad input is refused and changes nothing", "[partition][memento]") {
  cp::memento<> me;
  CHECK(me.lookup(cp::as_key("x")).error().code == cohort::errc::no_members);
  for (std::uint64_t i = 1; i <= 10; ++i) REQUIRE(me.add(mk(i)));
  REQUIRE(me.remove(node_id(3)));
  const auto keys = make_keys(2000);
  const auto before = assign(me, keys);
  const auto buckets = me.buckets().size();
  const auto last = me.last_removed();
  auto refused = [&](cohort::result<void> r, cohort::errc code) {
    REQUIRE(!r);
    CHECK(r.error().code == code);
    CHECK(!r.error().message.empty());
    CHECK(me.size() == 9);
    CHECK(me.buckets().size() == buckets);
    CHECK(me.last_removed() == last);
    CHECK(assign(me, keys) == before);
  };
  refused(me.add(mk(4)), cohort::errc::duplicate_member);
  refused(me.add(mk(0)), cohort::errc::invalid_argument);
  for (double w : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity(), 3.0}) {
    auto m = mk(50);
    m.weight = w;
    refused(me.add(m), cohort::errc::invalid_argument);
  }
  refused(me.remove(node_id(3)), cohort::errc::unknown_member);
  refused(me.remove(node_id(0)), cohort::errc::unknown_member);
  // Removing every member, then looking up.
  for (std::uint64_t i = 1; i <= 10; ++i)
    if (i != 3) REQUIRE(me.remove(node_id(i)));
  CHECK(me.lookup(cp::as_key("x")).error().code == cohort::errc::no_members);
  REQUIRE(me.add(mk(77)));
  CHECK(me.lookup(cp::as_key("x")).value() == node_id(77));
}
