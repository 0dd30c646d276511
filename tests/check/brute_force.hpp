// tests/check/brute_force.hpp - the dumb linearizability checker that the
// real one is compared with: every subset of the indeterminate operations,
// every order of the chosen ones consistent with real time, run through the
// model. Exponential: for histories of up to ~8 operations.
#pragma once

#include <cohort/check.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace cohort_test {

// The dumb checker: every subset of indeterminate operations, every order
// consistent with real time, run through the model.
template <cohort::check::model M>
bool brute_force(const M& m, const std::vector<cohort::check::operation<typename M::input, typename M::output>>& ops) {
  std::vector<std::size_t> must, maybe;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].status == cohort::check::outcome::ok) must.push_back(i);
    else if (ops[i].status != cohort::check::outcome::fail) maybe.push_back(i);
  }
  for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << maybe.size()); ++mask) {
    std::vector<std::size_t> chosen = must;
    for (std::size_t b = 0; b < maybe.size(); ++b)
      if (mask >> b & 1) chosen.push_back(maybe[b]);
    std::sort(chosen.begin(), chosen.end());
    do {
      bool ok = true;
      // real time: if a completed before b was invoked, a comes first
      for (std::size_t x = 0; x < chosen.size() && ok; ++x)
        for (std::size_t y = x + 1; y < chosen.size() && ok; ++y)
          if (ops[chosen[y]].completed < ops[chosen[x]].invoked) ok = false;
      if (!ok) continue;
      auto s = m.init();
      for (std::size_t i : chosen) {
        const auto& op = ops[i];
        if (op.status == cohort::check::outcome::ok) {
          auto n = m.step(s, op.input, op.output);
          if (!n) {
            ok = false;
            break;
          }
          s = *n;
        } else {
          s = m.step_unknown(s, op.input);
        }
      }
      if (ok) return true;
    } while (std::next_permutation(chosen.begin(), chosen.end()));
  }
  return false;
}

}  // namespace cohort_test
