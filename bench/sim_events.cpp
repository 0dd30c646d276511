// bench/sim_events.cpp - simulated events per second on a small cluster.
//
// The toy ABD register (examples/toy/register.hpp) on 5 servers with 10
// clients, under a fixed swarm of faults, for a given span of simulated
// time. Prints one JSON line with the median of --runs runs:
//   {"bench":"sim-events","servers":5,"clients":10,"sim_seconds":...,
//    "events":...,"messages":...,"seconds":...,"events_per_sec":...,"digest":"..."}
// Usage: scripts/bench sim-events [--sim-seconds S] [--runs R] [--seed N]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "../examples/toy/register.hpp"

namespace {

struct outcome {
  double seconds;
  std::uint64_t events;
  std::uint64_t messages;
  std::uint64_t digest;
};

outcome run_once(std::uint64_t seed, std::int64_t sim_seconds) {
  cohort::sim::options o;
  o.servers = 5;
  o = cohort::sim::swarm(seed, o);
  o.phases.safety = std::chrono::seconds(sim_seconds);
  o.phases.liveness = std::chrono::seconds(60);
  auto c = toy::make_cluster(o, toy::variant::abd);
  if (!c) {
    fmt::print(stderr, "bad options: {}\n", c.error().message);
    std::exit(1);
  }
  auto& cl = *c.value();
  // Enough operations to keep the clients busy for the whole span.
  toy::clients<cohort::sim::cluster<toy::server>> clients(cl, 10, static_cast<std::size_t>(sim_seconds) * 100,
                                                          std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  cl.start_faults();
  cl.run_for(std::chrono::seconds(sim_seconds));
  const auto stop = std::chrono::steady_clock::now();
  return {std::chrono::duration<double>(stop - start).count(), cl.scheduler().executed(), cl.network().totals().sent,
          cl.trace().digest()};
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t sim_seconds = 60;
  int runs = 3;
  std::uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--sim-seconds") sim_seconds = std::atoll(argv[i + 1]);
    else if (flag == "--runs") runs = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      fmt::print(stderr, "unknown flag {}\n", flag);
      return 2;
    }
  }
  std::vector<outcome> all;
  for (int r = 0; r < runs; ++r) all.push_back(run_once(seed, sim_seconds));
  for (const auto& o : all)
    if (o.digest != all.front().digest) {
      fmt::print(stderr, "runs of one seed differ: the simulator is not deterministic\n");
      return 1;
    }
  std::sort(all.begin(), all.end(), [](const outcome& a, const outcome& b) { return a.seconds < b.seconds; });
  const outcome& m = all[all.size() / 2];
  fmt::print(
      "{{\"bench\":\"sim-events\",\"servers\":5,\"clients\":10,\"sim_seconds\":{},\"runs\":{},\"events\":{},"
      "\"messages\":{},\"seconds\":{:.4f},\"events_per_sec\":{:.0f},\"digest\":\"{:016x}\"}}\n",
      sim_seconds, runs, m.events, m.messages, m.seconds, static_cast<double>(m.events) / m.seconds, m.digest);
  return 0;
}
