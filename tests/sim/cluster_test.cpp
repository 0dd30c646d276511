#include <catch2/catch.hpp>

#include <cohort/sim.hpp>

#include <cstring>
#include <map>

#include "../../examples/toy/register.hpp"
#include "support/seeds.hpp"

using namespace std::chrono_literals;
using cohort::node_id;

namespace {

// The tag stored last in a storage's durable image.
toy::tag durable_tag(const cohort::sim::storage& s) {
  const auto& es = s.durable().entries;
  if (es.empty()) return {};
  std::uint64_t w[3];
  std::memcpy(w, es.back().data.view().data(), sizeof w);
  return toy::tag{w[0], w[1]};
}

cohort::sim::options calm(std::uint64_t seed) {
  cohort::sim::options o;
  o.seed = seed;
  o.phases.safety = 2s;
  o.phases.liveness = 5s;
  return o;
}

struct toy_run {
  std::uint64_t digest;
  bool ok;
  std::size_t ops;
};

toy_run run_toy(cohort::sim::options o, toy::variant v) {
  auto c = toy::make_cluster(o, v);
  REQUIRE(c.has_value());
  auto& cl = *c.value();
  toy::clients<cohort::sim::cluster<toy::server>> clients(cl, 3, 30, 300ms);
  const auto rep = cl.run([&] { return clients.done(); });
  return {rep.digest, rep.ok, clients.history().size()};
}

}  // namespace

TEST_CASE("cluster: invalid options are refused", "[sim][cluster]") {
  auto o = calm(1);
  o.servers = 0;
  auto c = toy::make_cluster(o, toy::variant::abd);
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().code == cohort::errc::invalid_config);
  o = calm(1);
  o.link.loss_ppm = 1'000'001;
  CHECK(toy::make_cluster(o, toy::variant::abd).error().code == cohort::errc::invalid_config);
  o = calm(1);
  o.faults.interval_min = 0s;
  CHECK_FALSE(toy::make_cluster(o, toy::variant::abd).has_value());
}

TEST_CASE("cluster: the same seed gives the same trace digest, another seed another", "[sim][cluster][determinism]") {
  const auto o = cohort::sim::swarm(11, calm(11));
  const auto a = run_toy(o, toy::variant::abd);
  const auto b = run_toy(o, toy::variant::abd);
  CHECK(a.digest == b.digest);
  CHECK(a.ops == b.ops);
  const auto other = run_toy(cohort::sim::swarm(12, calm(12)), toy::variant::abd);
  CHECK(other.digest != a.digest);
}

// The digest of one fixed run, identical in every build (g++ and clang,
// debug, sanitizers and release): every draw and every order is defined in
// integer arithmetic. If the simulator's behaviour changes on purpose, update
// the value and say why in the commit.
TEST_CASE("cluster: a fixed run has the same digest in every build", "[sim][cluster][determinism]") {
  auto o = cohort::sim::swarm(2024, calm(2024));
  const auto r = run_toy(o, toy::variant::abd);
  INFO("digest " << std::hex << r.digest);
  CHECK(r.ok);
  CHECK(r.digest == 0xb1efe52196d449a4ULL);
}

TEST_CASE("cluster: crash loses the server object and unsynced writes; restart rebuilds it", "[sim][cluster]") {
  auto c = toy::make_cluster(calm(3), toy::variant::abd);
  REQUIRE(c.has_value());
  auto& cl = *c.value();
  toy::clients<cohort::sim::cluster<toy::server>> clients(cl, 2, 10, 300ms);
  cl.run_for(300ms);
  REQUIRE(cl.server(node_id{2}) != nullptr);
  const toy::tag before = cl.server(node_id{2})->current_tag();
  REQUIRE(cl.crash(node_id{2}).has_value());
  CHECK(cl.server(node_id{2}) == nullptr);
  CHECK(cl.crash(node_id{2}).error().code == cohort::errc::stopped);
  CHECK(cl.crash(node_id{9}).error().code == cohort::errc::unknown_member);
  CHECK(cl.down_count() == 1);
  REQUIRE(cl.restart(node_id{2}).has_value());
  REQUIRE(cl.server(node_id{2}) != nullptr);
  CHECK(cl.server(node_id{2})->current_tag() == before);  // it synced before acknowledging
  CHECK(cl.restart(node_id{2}).error().code == cohort::errc::invalid_argument);
  CHECK(cl.run_until([&] { return clients.done(); }, 10s));
}

TEST_CASE("cluster: a violated invariant stops the run and names the seed and the replay command", "[sim][cluster]") {
  auto o = calm(77);
  o.replay = "COHORT_SEED={seed} cohort_sim_tests \"[toy]\"";
  auto c = toy::make_cluster(o, toy::variant::abd);
  REQUIRE(c.has_value());
  auto& cl = *c.value();
  toy::clients<cohort::sim::cluster<toy::server>> clients(cl, 2, 10, 300ms);
  cl.set_invariant([&]() -> cohort::result<void> {
    auto* s = cl.server(node_id{1});
    if (s != nullptr && s->current_tag().ts >= 3) return cohort::make_error(cohort::errc::conflict, "tag reached 3");
    return cohort::success();
  });
  const auto rep = cl.run([&] { return clients.done(); });
  CHECK_FALSE(rep.ok);
  CHECK(rep.what == "tag reached 3");
  CHECK(rep.replay == "COHORT_SEED=77 cohort_sim_tests \"[toy]\"");
  CHECK_THAT(rep.summary(), Catch::Contains("seed 77 failed at") && Catch::Contains("replay: COHORT_SEED=77"));
  CHECK(cl.server(node_id{1})->current_tag().ts == 3);  // stopped right at the event that broke it
}

TEST_CASE("cluster: a run that cannot converge fails its liveness phase", "[sim][cluster]") {
  auto o = calm(5);
  o.phases.liveness = 1s;
  auto c = toy::make_cluster(o, toy::variant::abd);
  REQUIRE(c.has_value());
  const auto rep = c.value()->run([] { return false; });
  CHECK_FALSE(rep.ok);
  CHECK_THAT(rep.what, Catch::Contains("did not converge"));
}

TEST_CASE("cluster: ABD replicas never lose a durable tag, over swarm seeds", "[sim][cluster][toy][swarm]") {
  for (std::uint64_t seed : cohort_test::seeds(1, 20)) {
    auto o = cohort::sim::swarm(seed, calm(seed));
    o.replay = cohort_test::replay_command("cohort_sim_tests", "cluster: ABD replicas never lose a durable tag, over swarm seeds");
    auto c = toy::make_cluster(o, toy::variant::abd);
    REQUIRE(c.has_value());
    auto& cl = *c.value();
    toy::clients<cohort::sim::cluster<toy::server>> clients(cl, 3, 20, 300ms);
    std::map<std::uint64_t, toy::tag> high;
    cl.set_invariant([&]() -> cohort::result<void> {
      for (node_id n : cl.servers()) {
        const toy::tag t = durable_tag(*cl.storage(n));
        if (t < high[n.value()]) return cohort::make_error(cohort::errc::corrupted, "a durable tag went backwards");
        high[n.value()] = t;
      }
      return cohort::success();
    });
    const auto rep = cl.run([&] { return clients.done(); });
    INFO(rep.summary());
    REQUIRE(rep.ok);
    CHECK(rep.network.sent > 0);
  }
}
