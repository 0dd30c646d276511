// The checkers can fail: a deliberately broken replicated register is caught
// by the linearizability checker within a bounded number of seeds, and the
// correct one (ABD) passes many.
#include <catch2/catch.hpp>

#include "../../examples/toy/register.hpp"
#include "support/seeds.hpp"

using namespace std::chrono_literals;

namespace {

struct verdict_of_run {
  bool run_ok;
  cohort::check::check_result check;
  std::string summary;
};

verdict_of_run run(std::uint64_t seed, toy::variant v, const std::string& test) {
  cohort::sim::options base;
  base.phases.safety = 3s;
  base.phases.liveness = 10s;
  base.replay = cohort_test::replay_command("cohort_sim_tests", test);
  auto o = cohort::sim::swarm(seed, base);
  auto c = toy::make_cluster(o, v);
  REQUIRE(c.has_value());
  auto& cl = *c.value();
  toy::clients<cohort::sim::cluster<toy::server>> clients(cl, 4, 25, 300ms);
  auto rep = cl.run([&] { return clients.done(); });
  auto res = cohort::check::check_linearizable(cohort::check::register_model{}, clients.history());
  if (rep.ok && !res.linearizable()) {
    cl.fail("history not linearizable:\n" + res.cex.text);
    rep = cl.report();
  }
  return {rep.ok, res, rep.summary()};
}

// The first seed in [first, first + bound) whose run is caught, or 0.
std::uint64_t first_caught(toy::variant v, std::uint64_t first, std::uint64_t bound, const std::string& test) {
  for (std::uint64_t seed = first; seed < first + bound; ++seed) {
    const auto r = run(seed, v, test);
    if (r.check.v == cohort::check::verdict::not_linearizable) {
      INFO(r.summary);
      CHECK_FALSE(r.check.cex.text.empty());
      return seed;
    }
  }
  return 0;
}

}  // namespace

TEST_CASE("toy register: ABD is linearizable over swarm seeds", "[sim][toy][check][swarm]") {
  const std::string name = "toy register: ABD is linearizable over swarm seeds";
  for (std::uint64_t seed : cohort_test::seeds(1, 60)) {
    const auto r = run(seed, toy::variant::abd, name);
    INFO(r.summary);
    REQUIRE(r.run_ok);
    REQUIRE(r.check.linearizable());
  }
}

TEST_CASE("toy register: acknowledging before a quorum is caught within 20 seeds", "[sim][toy][check]") {
  CHECK(first_caught(toy::variant::ack_before_quorum, 1, 20, "ack") != 0);
}

TEST_CASE("toy register: last-writer-wins by skewed clocks is caught within 20 seeds", "[sim][toy][check]") {
  CHECK(first_caught(toy::variant::clock_lww, 1, 20, "lww") != 0);
}
