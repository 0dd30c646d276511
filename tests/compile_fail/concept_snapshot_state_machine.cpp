// A snapshot_state_machine must have restore(bytes): a machine that can save
// its state but not load it back is rejected.
// expect: (satisfaction of [^ a-z_]*snapshot_state_machine<|does not satisfy 'snapshot_state_machine')
#include <cohort/core/concepts.hpp>

struct machine_without_restore {
  void apply(const cohort::log_entry&) {}
  cohort::bytes snapshot() const { return {}; }
  // no restore()
};

template <cohort::snapshot_state_machine Machine>
cohort::result<void> reload(Machine& m) { return m.restore(m.snapshot()); }

cohort::result<void> use() {
  machine_without_restore m;
  return reload(m);
}
