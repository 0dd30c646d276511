#include <catch2/catch.hpp>

#include <cohort/check.hpp>

#include "brute_force.hpp"

#include <algorithm>
#include <numeric>

using namespace cohort::check;
using rin = register_input;
using rout = register_output;
using reg_history = history<rin, rout>;

namespace {

// Builds histories from a script of events in time order.
struct builder {
  reg_history h;
  std::size_t call(std::uint64_t client, rin in) { return h.invoke(client, in); }
  void ok(std::size_t id, rout out = rout::done()) { REQUIRE(h.ok(id, out).has_value()); }
  void read_ok(std::size_t id, std::int64_t v) { ok(id, rout::read(v)); }
  void lost(std::size_t id) { REQUIRE(h.indeterminate(id).has_value()); }
  void failed(std::size_t id) { REQUIRE(h.fail(id).has_value()); }
};

}  // namespace

TEST_CASE("check: a sequential history is linearizable", "[check]") {
  builder b;
  auto w = b.call(1, rin::write(1));
  b.ok(w);
  auto r = b.call(2, rin::read());
  b.read_ok(r, 1);
  const auto res = check_linearizable(register_model{}, b.h);
  CHECK(res.linearizable());
}

TEST_CASE("check: a stale read after a completed write is not linearizable", "[check]") {
  builder b;
  auto w = b.call(1, rin::write(1));
  b.ok(w);
  auto r = b.call(2, rin::read());
  b.read_ok(r, 0);
  const auto res = check_linearizable(register_model{}, b.h);
  REQUIRE(res.v == verdict::not_linearizable);
  CHECK(res.cex.blocked == r);
  CHECK_THAT(res.cex.text, Catch::Contains("read -> 0"));
  CHECK_THAT(res.cex.text, Catch::Contains("write 1"));
}

TEST_CASE("check: a read concurrent with a write may see either value", "[check]") {
  for (std::int64_t seen : {0, 1}) {
    builder b;
    auto w = b.call(1, rin::write(1));
    auto r = b.call(2, rin::read());
    b.read_ok(r, seen);
    b.ok(w);
    CHECK(check_linearizable(register_model{}, b.h).linearizable());
  }
}

TEST_CASE("check: two reads that see two concurrent writes in opposite orders are not linearizable", "[check]") {
  builder b;
  auto w1 = b.call(1, rin::write(1));
  auto w2 = b.call(2, rin::write(2));
  auto r1 = b.call(3, rin::read());
  b.read_ok(r1, 1);
  auto r2 = b.call(3, rin::read());
  b.read_ok(r2, 2);
  auto r3 = b.call(4, rin::read());
  b.read_ok(r3, 1);
  b.ok(w1);
  b.ok(w2);
  // 3 sees 1 then 2; 4 sees 1 after 3 saw 2: 1 must be both before and after 2.
  const auto res = check_linearizable(register_model{}, b.h);
  CHECK(res.v == verdict::not_linearizable);
  CHECK(res.v == (cohort_test::brute_force(register_model{}, b.h.operations()) ? verdict::linearizable : verdict::not_linearizable));
}

TEST_CASE("check: an indeterminate write may be observed later, or never", "[check]") {
  {
    builder b;
    auto w = b.call(1, rin::write(7));
    b.lost(w);
    auto r = b.call(2, rin::read());
    b.read_ok(r, 7);
    CHECK(check_linearizable(register_model{}, b.h).linearizable());
  }
  {
    builder b;
    auto w = b.call(1, rin::write(7));
    b.lost(w);
    auto r = b.call(2, rin::read());
    b.read_ok(r, 0);
    auto r2 = b.call(2, rin::read());
    b.read_ok(r2, 7);  // took effect late: still legal
    CHECK(check_linearizable(register_model{}, b.h).linearizable());
  }
  {
    builder b;  // observed, then unobserved: illegal
    auto w = b.call(1, rin::write(7));
    b.lost(w);
    auto r = b.call(2, rin::read());
    b.read_ok(r, 7);
    auto r2 = b.call(2, rin::read());
    b.read_ok(r2, 0);
    CHECK(check_linearizable(register_model{}, b.h).v == verdict::not_linearizable);
  }
  {
    builder b;  // observed before it was invoked: illegal
    auto r = b.call(2, rin::read());
    b.read_ok(r, 7);
    auto w = b.call(1, rin::write(7));
    b.lost(w);
    CHECK(check_linearizable(register_model{}, b.h).v == verdict::not_linearizable);
  }
}

TEST_CASE("check: a failed write must not be observed", "[check]") {
  builder b;
  auto w = b.call(1, rin::write(5));
  b.failed(w);
  auto r = b.call(2, rin::read());
  b.read_ok(r, 5);
  CHECK(check_linearizable(register_model{}, b.h).v == verdict::not_linearizable);
}

TEST_CASE("check: compare-and-set", "[check]") {
  builder b;
  auto c1 = b.call(1, rin::cas(0, 1));
  auto c2 = b.call(2, rin::cas(0, 2));
  b.ok(c1, rout::cas(true));
  b.ok(c2, rout::cas(true));  // both swapped from 0: impossible
  CHECK(check_linearizable(register_model{}, b.h).v == verdict::not_linearizable);
  builder g;
  c1 = g.call(1, rin::cas(0, 1));
  c2 = g.call(2, rin::cas(0, 2));
  g.ok(c1, rout::cas(true));
  g.ok(c2, rout::cas(false));
  auto r = g.call(3, rin::read());
  g.read_ok(r, 1);
  CHECK(check_linearizable(register_model{}, g.h).linearizable());
}

TEST_CASE("check: key-value histories are split per key", "[check]") {
  history<rin, rout> h;
  auto a = h.invoke(1, rin::write(1, 10));
  REQUIRE(h.ok(a, rout::done()).has_value());
  auto b = h.invoke(2, rin::read(11));
  REQUIRE(h.ok(b, rout::read(0)).has_value());
  auto c = h.invoke(2, rin::read(10));
  REQUIRE(h.ok(c, rout::read(1)).has_value());
  auto res = check_linearizable(kv_model{}, h);
  CHECK(res.linearizable());
  CHECK(res.partitions == 2);
  auto d = h.invoke(3, rin::read(10));
  REQUIRE(h.ok(d, rout::read(0)).has_value());
  res = check_linearizable(kv_model{}, h);
  REQUIRE(res.v == verdict::not_linearizable);
  CHECK_THAT(res.cex.text, Catch::StartsWith("key 10: "));
  CHECK(res.cex.blocked == d);
}

TEST_CASE("check: counter", "[check]") {
  history<counter_input, std::int64_t> h;
  auto a = h.invoke(1, counter_input::add(2));
  auto b = h.invoke(2, counter_input::add(3));
  REQUIRE(h.ok(a, 0).has_value());
  auto r = h.invoke(3, counter_input::read());
  REQUIRE(h.ok(r, 2).has_value());  // b still in flight: 2 is fine
  REQUIRE(h.ok(b, 0).has_value());
  CHECK(check_linearizable(counter_model{}, h).linearizable());
  auto r2 = h.invoke(3, counter_input::read());
  REQUIRE(h.ok(r2, 2).has_value());  // both adds completed: must be 5
  CHECK(check_linearizable(counter_model{}, h).v == verdict::not_linearizable);
}

TEST_CASE("check: mutex with fencing tokens", "[check]") {
  using mh = history<mutex_input, mutex_output>;
  {
    mh h;  // two holders at once
    auto a = h.invoke(1, mutex_input::lock(1));
    REQUIRE(h.ok(a, {true, 1}).has_value());
    auto b = h.invoke(2, mutex_input::lock(2));
    REQUIRE(h.ok(b, {true, 2}).has_value());
    CHECK(check_linearizable(mutex_model{}, h).v == verdict::not_linearizable);
  }
  {
    mh h;  // handed over properly, tokens increase
    auto a = h.invoke(1, mutex_input::lock(1));
    REQUIRE(h.ok(a, {true, 1}).has_value());
    auto b = h.invoke(2, mutex_input::lock(2));
    auto u = h.invoke(1, mutex_input::unlock(1));
    REQUIRE(h.ok(u, {true, 0}).has_value());
    REQUIRE(h.ok(b, {true, 2}).has_value());
    CHECK(check_linearizable(mutex_model{}, h).linearizable());
  }
  {
    mh h;  // a token that goes backwards
    auto a = h.invoke(1, mutex_input::lock(1));
    REQUIRE(h.ok(a, {true, 5}).has_value());
    auto u = h.invoke(1, mutex_input::unlock(1));
    REQUIRE(h.ok(u, {true, 0}).has_value());
    auto b = h.invoke(2, mutex_input::lock(2));
    REQUIRE(h.ok(b, {true, 5}).has_value());
    CHECK(check_linearizable(mutex_model{}, h).v == verdict::not_linearizable);
  }
  {
    mh h;  // an acquire that timed out may hold the lock: a refusal to another is legal
    auto a = h.invoke(1, mutex_input::lock(1));
    REQUIRE(h.indeterminate(a).has_value());
    auto b = h.invoke(2, mutex_input::lock(2));
    REQUIRE(h.ok(b, {false, 0}).has_value());
    CHECK(check_linearizable(mutex_model{}, h).linearizable());
  }
}

TEST_CASE("check: history recorder refuses bad completions and changes nothing", "[check]") {
  reg_history h;
  auto a = h.invoke(1, rin::write(1));
  REQUIRE(h.ok(a, rout::done()).has_value());
  CHECK(h.ok(a, rout::done()).error().code == cohort::errc::conflict);
  CHECK(h.fail(a).error().code == cohort::errc::conflict);
  CHECK(h.ok(99, rout::done()).error().code == cohort::errc::not_found);
  CHECK(h.operations()[a].status == outcome::ok);
  CHECK(h.size() == 1);
}

TEST_CASE("check: the search budget gives 'unknown', not a wrong answer", "[check]") {
  builder b;
  std::vector<std::size_t> ws;
  for (int i = 0; i < 12; ++i) ws.push_back(b.call(static_cast<std::uint64_t>(i), rin::write(i)));
  auto r = b.call(99, rin::read());
  b.read_ok(r, 1000);  // never written
  for (auto w : ws) b.ok(w);
  check_options o;
  o.step_budget = 50;
  CHECK(check_linearizable(register_model{}, b.h, o).v == verdict::unknown);
  CHECK(check_linearizable(register_model{}, b.h).v == verdict::not_linearizable);
}

TEST_CASE("check: agrees with brute force on random small histories", "[check]") {
  cohort::xoshiro256ss rng(2024);
  int legal = 0, illegal = 0;
  for (int round = 0; round < 3000; ++round) {
    // Random concurrent operations on one register; reads return a value
    // that a real execution could produce, or a random one.
    reg_history h;
    struct open_op {
      std::size_t id;
      bool read;
    };
    std::vector<open_op> open;
    std::int64_t value = 0;
    const int n = 2 + static_cast<int>(cohort::uniform_below(rng, 5));
    int issued = 0;
    while (issued < n || !open.empty()) {
      if (issued < n && (open.empty() || cohort::chance(rng, 1, 2))) {
        const bool rd = cohort::chance(rng, 1, 2);
        const auto v = static_cast<std::int64_t>(cohort::uniform_below(rng, 3));
        open.push_back({h.invoke(cohort::uniform_below(rng, 3), rd ? rin::read() : (cohort::chance(rng, 1, 4) ? rin::cas(v, v + 1) : rin::write(v))), rd});
        ++issued;
      } else {
        const auto k = cohort::uniform_below(rng, open.size());
        const auto op = open[k];
        open.erase(open.begin() + static_cast<std::ptrdiff_t>(k));
        const auto& in = h.operations()[op.id].input;
        const auto fate = cohort::uniform_below(rng, 10);
        if (fate == 0) {
          REQUIRE(h.indeterminate(op.id).has_value());
          if (!op.read && cohort::chance(rng, 1, 2)) value = register_model{}.step_unknown(value, in);
        } else if (fate == 1 && !op.read) {
          REQUIRE(h.fail(op.id).has_value());
        } else if (op.read) {
          const std::int64_t seen = cohort::chance(rng, 4, 5) ? value : static_cast<std::int64_t>(cohort::uniform_below(rng, 4));
          REQUIRE(h.ok(op.id, rout::read(seen)).has_value());
        } else if (in.k == rin::kind::cas) {
          const bool swapped = value == in.expected;
          if (swapped) value = in.value;
          REQUIRE(h.ok(op.id, rout::cas(cohort::chance(rng, 9, 10) ? swapped : !swapped)).has_value());
        } else {
          value = in.value;
          REQUIRE(h.ok(op.id, rout::done()).has_value());
        }
      }
    }
    const bool expect = cohort_test::brute_force(register_model{}, h.operations());
    const auto got = check_linearizable(register_model{}, h);
    INFO("round " << round);
    REQUIRE(got.v == (expect ? verdict::linearizable : verdict::not_linearizable));
    (expect ? legal : illegal)++;
  }
  CHECK(legal > 300);
  CHECK(illegal > 300);
}

#include "support/kv_history.hpp"

TEST_CASE("check: large key-value histories from real executions pass; one corrupted read fails", "[check]") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    auto h = cohort_test::make_kv_history(seed, 10'000, 10, 8);
    const auto res = check_linearizable(kv_model{}, h);
    REQUIRE(res.linearizable());
    CHECK(res.partitions == 8);
    // Change one completed read to a value that key never held at that time.
    auto ops = h.operations();
    for (std::size_t i = ops.size() / 2; i < ops.size(); ++i) {
      if (ops[i].status == outcome::ok && ops[i].input.k == rin::kind::read) {
        ops[i].output.value = -1;
        const auto bad = check_linearizable(kv_model{}, std::span<const reg_history::op>(ops));
        CHECK(bad.v == verdict::not_linearizable);
        CHECK(bad.cex.blocked == i);
        break;
      }
    }
  }
}

TEST_CASE("check: the counterexample names the deepest point: placed, blocked and concurrent operations", "[check]") {
  builder b;
  const auto w1 = b.call(1, rin::write(1));
  b.ok(w1);
  const auto r = b.call(2, rin::read());
  const auto w2 = b.call(3, rin::write(2));
  const auto r2 = b.call(4, rin::read());
  b.read_ok(r, 0);  // 0 was overwritten before r began
  b.ok(w2);
  b.read_ok(r2, 5);  // never written
  const auto res = check_linearizable(register_model{}, b.h);
  REQUIRE(res.v == verdict::not_linearizable);
  CHECK(res.cex.linearized == std::vector<std::size_t>{w1, w2});
  CHECK(res.cex.blocked == r);
  CHECK(res.cex.pending == std::vector<std::size_t>{r2});
  CHECK(res.cex.text ==
        "no legal order: after\n"
        "  #0 client 1 write 1\n"
        "  #2 client 3 write 2\n"
        "this one cannot come next, yet it completed before anything later was invoked:\n"
        "  #1 client 2 read -> 0\n"
        "nor can any operation concurrent with it:\n"
        "  #3 client 4 read -> 5\n");
}

TEST_CASE("check: the step budget is shared by all partitions", "[check]") {
  auto h = cohort_test::make_kv_history(3, 2000, 10, 8, 0);
  const auto full = check_linearizable(kv_model{}, h);
  REQUIRE(full.linearizable());
  REQUIRE(full.steps > 100);
  check_options o;
  o.step_budget = full.steps - 1;
  const auto cut = check_linearizable(kv_model{}, h, o);
  CHECK(cut.v == verdict::unknown);
  CHECK(cut.steps <= o.step_budget);
  o.step_budget = full.steps;
  CHECK(check_linearizable(kv_model{}, h, o).linearizable());
}
