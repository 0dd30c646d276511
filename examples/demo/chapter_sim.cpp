// Chapter 2: the deterministic simulator and the linearizability checker.
#include <cohort/check.hpp>
#include <cohort/fmt.hpp>
#include <cohort/sim/trace_export.hpp>

#include <fstream>

#include "../toy/register.hpp"
#include "demo.hpp"

namespace {

using namespace std::chrono_literals;

struct outcome {
  cohort::sim::run_report report;
  cohort::check::check_result check;
  std::string trace_json;
};

outcome run_register(std::uint64_t seed, toy::variant v, bool keep_trace) {
  cohort::sim::options base;
  base.phases.safety = 2s;
  base.phases.liveness = 10s;
  base.keep_trace = keep_trace;
  base.replay = "scripts/demo --chapter 2   (seed {seed})";
  auto o = cohort::sim::swarm(seed, base);
  auto c = toy::make_cluster(o, v).value();
  toy::clients<cohort::sim::cluster<toy::server>> clients(*c, 3, 20, 300ms);
  outcome out;
  out.report = c->run([&] { return clients.done(); });
  out.check = cohort::check::check_linearizable(cohort::check::register_model{}, clients.history());
  if (keep_trace) out.trace_json = cohort::sim::to_chrome_json(c->trace(), "toy register");
  return out;
}

bool run() {
  demo::say("A replicated register on 3 simulated servers, 3 clients, one seed driving every fault:");
  const auto knobs = cohort::sim::swarm(7);
  demo::say("seed 7 draws: delay {}..{} us, loss {}%, duplication {}%, crash mode {}, drift up to {} ppm",
            knobs.link.delay_min.count() / 1000, knobs.link.delay_max.count() / 1000, knobs.link.loss_ppm / 10000.0,
            knobs.link.duplicate_ppm / 10000.0, cohort::sim::name_of(knobs.storage.mode), knobs.clocks.drift_ppm_max);
  demo::say("");
  demo::say("The broken variant acknowledges a write before a majority has it. The checker:");
  std::uint64_t caught = 0;
  outcome bad;
  for (std::uint64_t seed = 1; seed <= 20 && caught == 0; ++seed) {
    bad = run_register(seed, toy::variant::ack_before_quorum, false);
    if (bad.check.v == cohort::check::verdict::not_linearizable) caught = seed;
  }
  if (caught == 0) return false;
  demo::say("seed {}: {} after {} search steps", caught, cohort::check::name_of(bad.check.v), bad.check.steps);
  for (const auto& line : demo::split_lines(bad.check.cex.text)) demo::say("  {}", line);
  demo::say("");
  const auto good = run_register(caught, toy::variant::abd, true);
  demo::say("The correct variant (ABD: quorum reads with write-back) under the same seed: {}, {} events",
            cohort::check::name_of(good.check.v), good.report.events);
  demo::say("Same seed, same run: trace digest {:016x} (run it again, it will not change).", good.report.digest);
  std::ofstream("toy-register.trace.json") << good.trace_json;
  demo::say("Its trace is in toy-register.trace.json: open it in ui.perfetto.dev (one track per node,");
  demo::say("an arrow per delivered message).");
  return good.report.ok && good.check.linearizable();
}

const demo::register_chapter reg(2, "The simulator finds the bug; the checker explains it", run);

}  // namespace
