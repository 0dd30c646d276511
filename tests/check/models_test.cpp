// Each model against the brute-force checker, on small histories taken from
// real executions (linearizable by construction) and on the same histories
// with one output corrupted; plus hand-written cases per model.
#include <catch2/catch.hpp>

#include <cohort/check.hpp>

#include <algorithm>
#include <optional>
#include <vector>

#include "brute_force.hpp"
#include "support/assert_capture.hpp"

using namespace cohort::check;

namespace {

// A real object behind `Spec` serves `clients` clients, each running one
// operation at a time; an operation takes effect at one random instant
// between its invocation and its completion (or, if it fails, never; if it
// times out, maybe).
template <class Spec>
history<typename Spec::input, typename Spec::output> run_real(cohort::xoshiro256ss& rng, Spec& spec, int n,
                                                               std::uint64_t clients = 3) {
  history<typename Spec::input, typename Spec::output> h;
  struct live {
    std::size_t id;
    bool applied;
    int fate;  // 0 ok, 1 fail, 2 indeterminate
    typename Spec::output out;
  };
  std::vector<std::optional<live>> running(clients);
  int issued = 0;
  auto busy = [&] { return std::any_of(running.begin(), running.end(), [](auto& r) { return r.has_value(); }); };
  while (issued < n || busy()) {
    const auto c = cohort::uniform_below(rng, clients);
    auto& r = running[c];
    if (!r) {
      if (issued == n) continue;
      const auto fate = cohort::uniform_below(rng, 10);
      r = live{h.invoke(c, spec.random_input(rng, c)), false, fate == 0 ? 1 : fate == 1 ? 2 : 0, {}};
      ++issued;
    } else if (!r->applied) {
      r->applied = true;
      if (r->fate == 0 || (r->fate == 2 && cohort::chance(rng, 1, 2))) r->out = spec.apply(h.operations()[r->id].input);
    } else {
      const auto res = r->fate == 0 ? h.ok(r->id, r->out) : r->fate == 1 ? h.fail(r->id) : h.indeterminate(r->id);
      REQUIRE(res.has_value());
      r.reset();
    }
  }
  return h;
}

struct register_spec {
  using input = register_input;
  using output = register_output;
  std::int64_t value = 0;
  input random_input(cohort::xoshiro256ss& rng, std::uint64_t) {
    const auto v = static_cast<std::int64_t>(cohort::uniform_below(rng, 3));
    switch (cohort::uniform_below(rng, 3)) {
      case 0: return input::read();
      case 1: return input::write(v);
      default: return input::cas(v, v + 1);
    }
  }
  output apply(const input& in) {
    switch (in.k) {
      case input::kind::read: return output::read(value);
      case input::kind::write: value = in.value; return output::done();
      case input::kind::cas: {
        const bool swapped = value == in.expected;
        if (swapped) value = in.value;
        return output::cas(swapped);
      }
    }
    return {};
  }
  static bool mutate(cohort::xoshiro256ss& rng, const input& in, output& out) {
    if (in.k == input::kind::read) out.value = (out.value + 1 + static_cast<std::int64_t>(cohort::uniform_below(rng, 3))) % 4;
    else if (in.k == input::kind::cas) out.ok = !out.ok;
    return in.k != input::kind::write;
  }
};

struct counter_spec {
  using input = counter_input;
  using output = std::int64_t;
  std::int64_t value = 0;
  input random_input(cohort::xoshiro256ss& rng, std::uint64_t) {
    return cohort::chance(rng, 1, 2) ? input::read() : input::add(1 + static_cast<std::int64_t>(cohort::uniform_below(rng, 3)));
  }
  output apply(const input& in) { return in.is_read ? value : (value += in.delta, 0); }
  static bool mutate(cohort::xoshiro256ss& rng, const input& in, output& out) {
    if (in.is_read) out += cohort::chance(rng, 1, 2) ? 1 : -1;
    return in.is_read;
  }
};

struct mutex_spec {
  using input = mutex_input;
  using output = mutex_output;
  std::optional<std::uint64_t> holder;
  std::uint64_t token = 0;
  input random_input(cohort::xoshiro256ss& rng, std::uint64_t c) {
    return cohort::chance(rng, 1, 2) ? input::lock(c) : input::unlock(c);
  }
  output apply(const input& in) {
    if (in.acquire) {
      if (holder) return {false, 0};
      holder = in.client;
      token += 1;  // the least legal token: corruptions below are then illegal more often
      return {true, token};
    }
    if (holder != in.client) return {false, 0};
    holder.reset();
    return {true, 0};
  }
  static bool mutate(cohort::xoshiro256ss& rng, const input& in, output& out) {
    if (in.acquire && out.ok && cohort::chance(rng, 1, 2)) out.token -= 1;
    else out.ok = !out.ok;
    return true;
  }
};

// Real executions must pass both checkers; corrupting one output must give
// the same verdict from both, and must often be illegal.
template <class Model, class Spec>
void compare_with_brute_force(const Model& model, std::uint64_t seed, int rounds) {
  cohort::xoshiro256ss rng(seed);
  int illegal = 0;
  for (int round = 0; round < rounds; ++round) {
    Spec spec;
    auto h = run_real(rng, spec, 2 + static_cast<int>(cohort::uniform_below(rng, 6)));
    INFO("seed " << seed << " round " << round);
    REQUIRE(cohort_test::brute_force(model, h.operations()));
    REQUIRE(check_linearizable(model, h).linearizable());
    auto ops = h.operations();
    const auto i = cohort::uniform_below(rng, ops.size());
    if (ops[i].status != outcome::ok || !Spec::mutate(rng, ops[i].input, ops[i].output)) continue;
    const bool expect = cohort_test::brute_force(model, ops);
    const auto got = check_linearizable(model, std::span<const typename decltype(h)::op>(ops));
    REQUIRE(got.v == (expect ? verdict::linearizable : verdict::not_linearizable));
    if (!expect) {
      ++illegal;
      CHECK(ops[got.cex.blocked].status == outcome::ok);  // only an ok operation can block the search
    }
  }
  CHECK(illegal > rounds / 10);
}

}  // namespace

TEST_CASE("check: register model agrees with brute force on corrupted real executions", "[check]") {
  compare_with_brute_force<register_model, register_spec>(register_model{}, 11, 1500);
}

TEST_CASE("check: counter model agrees with brute force on corrupted real executions", "[check]") {
  compare_with_brute_force<counter_model, counter_spec>(counter_model{}, 12, 1500);
}

TEST_CASE("check: mutex model agrees with brute force on corrupted real executions", "[check]") {
  compare_with_brute_force<mutex_model, mutex_spec>(mutex_model{}, 13, 1500);
}

TEST_CASE("check: an unobserved indeterminate write that a later indeterminate cas depends on is kept", "[check]") {
  // Pruning drops indeterminate writes nobody observed; the cas conditions
  // on 7, so the write of 7 must stay for "read -> 8" to be legal.
  history<register_input, register_output> h;
  const auto w = h.invoke(1, register_input::write(7));
  REQUIRE(h.indeterminate(w).has_value());
  const auto c = h.invoke(2, register_input::cas(7, 8));
  REQUIRE(h.indeterminate(c).has_value());
  const auto r = h.invoke(3, register_input::read());
  REQUIRE(h.ok(r, register_output::read(8)).has_value());
  CHECK(check_linearizable(register_model{}, h).linearizable());
  CHECK(cohort_test::brute_force(register_model{}, h.operations()));
  // Without the write the cas cannot have swapped.
  history<register_input, register_output> g;
  const auto c2 = g.invoke(2, register_input::cas(7, 8));
  REQUIRE(g.indeterminate(c2).has_value());
  const auto r2 = g.invoke(3, register_input::read());
  REQUIRE(g.ok(r2, register_output::read(8)).has_value());
  CHECK(check_linearizable(register_model{}, g).v == verdict::not_linearizable);
}

TEST_CASE("check: counter classics", "[check]") {
  using ch = history<counter_input, std::int64_t>;
  {
    ch h;  // an indeterminate add seen later, and a read that sees only part of a sum
    const auto a = h.invoke(1, counter_input::add(5));
    REQUIRE(h.indeterminate(a).has_value());
    const auto b = h.invoke(2, counter_input::add(1));
    REQUIRE(h.ok(b, 0).has_value());
    const auto r = h.invoke(3, counter_input::read());
    REQUIRE(h.ok(r, 6).has_value());
    CHECK(check_linearizable(counter_model{}, h).linearizable());
    const auto r2 = h.invoke(3, counter_input::read());
    REQUIRE(h.ok(r2, 1).has_value());  // the 5 cannot be taken back
    const auto res = check_linearizable(counter_model{}, h);
    REQUIRE(res.v == verdict::not_linearizable);
    CHECK(res.cex.blocked == r2);
    CHECK_THAT(res.cex.text, Catch::Contains("read -> 1"));
  }
  {
    ch h;  // a failed add observed
    const auto a = h.invoke(1, counter_input::add(5));
    REQUIRE(h.fail(a).has_value());
    const auto r = h.invoke(2, counter_input::read());
    REQUIRE(h.ok(r, 5).has_value());
    CHECK(check_linearizable(counter_model{}, h).v == verdict::not_linearizable);
  }
}

TEST_CASE("check: mutex with an indeterminate acquire", "[check]") {
  using mh = history<mutex_input, mutex_output>;
  auto run = [](std::uint64_t second_token) {
    mh h;  // 1's acquire timed out, yet 1's release succeeded: it was granted, with a token >= 1
    const auto a = h.invoke(1, mutex_input::lock(1));
    REQUIRE(h.indeterminate(a).has_value());
    const auto u = h.invoke(1, mutex_input::unlock(1));
    REQUIRE(h.ok(u, {true, 0}).has_value());
    const auto b = h.invoke(2, mutex_input::lock(2));
    REQUIRE(h.ok(b, {true, second_token}).has_value());
    return check_linearizable(mutex_model{}, h);
  };
  CHECK(run(2).linearizable());
  const auto bad = run(1);
  REQUIRE(bad.v == verdict::not_linearizable);
  CHECK_THAT(bad.cex.text, Catch::Contains("acquire by 2 -> token 1"));
  CHECK_THAT(bad.cex.text, Catch::Contains("acquire by 1 (indeterminate)"));
  {
    mh h;  // a refused release by the holder is illegal; a refused release by another is fine
    const auto a = h.invoke(1, mutex_input::lock(1));
    REQUIRE(h.ok(a, {true, 1}).has_value());
    const auto u = h.invoke(2, mutex_input::unlock(2));
    REQUIRE(h.ok(u, {false, 0}).has_value());
    CHECK(check_linearizable(mutex_model{}, h).linearizable());
    const auto v = h.invoke(1, mutex_input::unlock(1));
    REQUIRE(h.ok(v, {false, 0}).has_value());
    CHECK(check_linearizable(mutex_model{}, h).v == verdict::not_linearizable);
  }
  {
    mh h;  // client 0 is a client like any other
    const auto a = h.invoke(0, mutex_input::lock(0));
    REQUIRE(h.ok(a, {true, 1}).has_value());
    const auto b = h.invoke(1, mutex_input::lock(1));
    REQUIRE(h.ok(b, {true, 2}).has_value());
    CHECK(check_linearizable(mutex_model{}, h).v == verdict::not_linearizable);
  }
}

namespace {
// A register per key, split by key parity by the model itself (the tests
// below use one key per parity, so one register per part is exact).
struct parity_kv : register_model {
  std::vector<std::vector<std::size_t>> partition(std::span<const operation<input, output>> ops) const {
    std::vector<std::vector<std::size_t>> parts(2);
    for (std::size_t i = 0; i < ops.size(); ++i) parts[ops[i].input.key % 2].push_back(i);
    return parts;
  }
};
// Lists operation 0 again and again: a bug in the model, caught by an assertion.
struct broken_partition : register_model {
  std::vector<std::vector<std::size_t>> partition(std::span<const operation<input, output>> ops) const {
    return {std::vector<std::size_t>(ops.size(), 0)};
  }
};
}  // namespace

TEST_CASE("check: a model's own partition() is used, and a bad one is caught", "[check]") {
  static_assert(partitioning_model<parity_kv>);
  history<register_input, register_output> h;
  const auto a = h.invoke(1, register_input::write(1, 2));
  REQUIRE(h.ok(a, register_output::done()).has_value());
  const auto b = h.invoke(2, register_input::read(3));
  REQUIRE(h.ok(b, register_output::read(0)).has_value());
  auto res = check_linearizable(parity_kv{}, h);
  CHECK(res.linearizable());
  CHECK(res.partitions == 2);
  CHECK_FALSE(check_linearizable(register_model{}, h).linearizable());  // one register: 0 after 1 is stale
  const auto c = h.invoke(3, register_input::read(2));
  REQUIRE(h.ok(c, register_output::read(0)).has_value());
  res = check_linearizable(parity_kv{}, h);
  REQUIRE(res.v == verdict::not_linearizable);
  CHECK_THAT(res.cex.text, Catch::StartsWith("partition 0: "));
  CHECK(res.cex.blocked == c);
  CHECK_THROWS_AS(check_linearizable(broken_partition{}, h), cohort_test::assertion_failed);
}
