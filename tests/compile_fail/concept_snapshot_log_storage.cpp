// A snapshot_log_storage must have compact(): storage that keeps snapshots but
// cannot discard the entries they cover is rejected.
// expect: (satisfaction of [^ a-z_]*snapshot_log_storage<|does not satisfy 'snapshot_log_storage')
#include <cohort/core/concepts.hpp>

struct storage_without_compact {
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
  cohort::result<void> sync() { return {}; }
  cohort::result<cohort::snapshot> snapshot() const { return cohort::snapshot{}; }
  cohort::result<void> install_snapshot(const cohort::snapshot&) { return {}; }
  // no compact()
};

template <cohort::snapshot_log_storage Storage>
cohort::result<void> compact_to(Storage& s, cohort::log_index i) { return s.compact(i); }

cohort::result<void> use() {
  storage_without_compact s;
  return compact_to(s, cohort::log_index{1});
}
