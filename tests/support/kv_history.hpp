// tests/support/kv_history.hpp - random key-value histories from a real
// linearizable execution: `clients` clients each run operations one at a
// time; every operation takes effect at one random instant between its
// invocation and its completion, so the history is linearizable by
// construction. Used by the checker's tests and its benchmark.
#pragma once

#include <cohort/check.hpp>

#include <cstdint>
#include <map>
#include <vector>

namespace cohort_test {

using kv_history = cohort::check::history<cohort::check::register_input, cohort::check::register_output>;

inline kv_history make_kv_history(std::uint64_t seed, std::size_t ops, std::size_t clients, std::uint64_t keys,
                                  std::uint64_t indeterminate_per_1000 = 10) {
  using namespace cohort::check;
  cohort::xoshiro256ss rng(seed);
  kv_history h;
  std::map<std::uint64_t, std::int64_t> kv;
  struct live {
    std::size_t id;
    int stage;  // 0: invoked, 1: took effect
    register_output out;
  };
  std::vector<std::optional<live>> running(clients);
  std::size_t issued = 0;
  std::int64_t next_value = 1;
  while (issued < ops || std::any_of(running.begin(), running.end(), [](auto& r) { return r.has_value(); })) {
    const std::size_t c = cohort::uniform_below(rng, clients);
    auto& r = running[c];
    if (!r) {
      if (issued == ops) continue;
      const std::uint64_t key = cohort::uniform_below(rng, keys);
      const auto kind = cohort::uniform_below(rng, 10);
      register_input in = kind < 5 ? register_input::read(key)
                          : kind < 9 ? register_input::write(next_value++, key)
                                     : register_input::cas(kv[key], next_value++, key);
      r = live{h.invoke(c, in), 0, {}};
      ++issued;
    } else if (r->stage == 0) {
      const auto& in = h.operations()[r->id].input;
      auto& v = kv[in.key];
      switch (in.k) {
        case register_input::kind::read: r->out = register_output::read(v); break;
        case register_input::kind::write: v = in.value, r->out = register_output::done(); break;
        case register_input::kind::cas: {
          const bool swapped = v == in.expected;
          if (swapped) v = in.value;
          r->out = register_output::cas(swapped);
          break;
        }
      }
      r->stage = 1;
    } else {
      if (cohort::uniform_below(rng, 1000) < indeterminate_per_1000) (void)h.indeterminate(r->id);
      else (void)h.ok(r->id, r->out);
      r.reset();
    }
  }
  return h;
}

}  // namespace cohort_test
