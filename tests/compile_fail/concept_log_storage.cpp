// A log_storage must have sync(): storage that cannot make writes durable is rejected.
// expect: (satisfaction of [^ a-z_]*log_storage<|does not satisfy 'log_storage')
#include <cohort/core/concepts.hpp>

struct storage_without_sync {
  cohort::hard_state load_hard_state() const { return {}; }
  cohort::log_index first_index() const { return cohort::log_index{1}; }
  cohort::log_index last_index() const { return cohort::log_index{0}; }
  cohort::result<cohort::term> term_at(cohort::log_index) const { return cohort::term{0}; }
  cohort::result<void> entries(cohort::log_index, cohort::log_index, std::size_t,
                               std::vector<cohort::log_entry>&) const {
    return cohort::make_error(cohort::errc::unavailable, "empty");
  }
  cohort::result<void> append(std::span<const cohort::log_entry>) { return {}; }
  cohort::result<void> save_hard_state(const cohort::hard_state&) { return {}; }
  // no sync()
};

template <cohort::log_storage Storage>
cohort::log_index last_of(const Storage& s) { return s.last_index(); }

cohort::log_index use() {
  storage_without_sync s;
  return last_of(s);
}
