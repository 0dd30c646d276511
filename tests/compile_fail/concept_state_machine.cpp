// A state_machine must have apply(entry): a type that only reads is rejected.
// expect: (satisfaction of [^ a-z_]*state_machine<|does not satisfy 'state_machine')
#include <cohort/core/concepts.hpp>

struct machine_without_apply {
  std::uint64_t read() const { return 0; }
};

template <cohort::state_machine Machine>
void apply_one(Machine& m, const cohort::log_entry& e) { m.apply(e); }

void use() {
  machine_without_apply m;
  apply_one(m, cohort::log_entry{});
}
