// bench/linearizability.cpp - how fast the checker decides a key-value history.
//
// A linearizable history of --ops operations (default 10,000) by --clients
// clients (10) over --keys keys (8), --indeterminate operations per 1000
// timing out (10), generated from a real execution, checked --runs times
// (5); prints the median as one JSON line:
//   {"bench":"linearizability","ops":...,"clients":...,"keys":...,"indeterminate_per_1000":...,"runs":...,
//    "seconds":...,"ops_per_sec":...,"steps":...}
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "../tests/support/kv_history.hpp"

int main(int argc, char** argv) {
  std::size_t ops = 10'000, clients = 10, runs = 5;
  std::uint64_t keys = 8, indeterminate = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string f = argv[i];
    const auto v = std::strtoull(argv[i + 1], nullptr, 10);
    if (f == "--ops") ops = v;
    else if (f == "--clients") clients = v;
    else if (f == "--keys") keys = v;
    else if (f == "--indeterminate") indeterminate = v;
    else if (f == "--runs") runs = std::max<std::size_t>(1, v);
    else {
      fmt::print(stderr, "unknown flag {}\n", f);
      return 2;
    }
  }
  const auto h = cohort_test::make_kv_history(42, ops, clients, keys, indeterminate);
  std::vector<double> secs;
  std::uint64_t steps = 0;
  for (std::size_t r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto res = cohort::check::check_linearizable(cohort::check::kv_model{}, h);
    const auto t1 = std::chrono::steady_clock::now();
    if (!res.linearizable()) {
      fmt::print(stderr, "generated history judged {}\n", cohort::check::name_of(res.v));
      return 1;
    }
    steps = res.steps;
    secs.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  std::sort(secs.begin(), secs.end());
  const double med = secs[secs.size() / 2];
  fmt::print("{{\"bench\":\"linearizability\",\"ops\":{},\"clients\":{},\"keys\":{},\"indeterminate_per_1000\":{},\"runs\":{},\"seconds\":{:.4f},"
             "\"ops_per_sec\":{:.0f},\"steps\":{}}}\n",
             ops, clients, keys, indeterminate, runs, med, static_cast<double>(ops) / med, steps);
  return 0;
}
