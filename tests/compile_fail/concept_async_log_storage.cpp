// An async_log_storage must have durable_ticket(): storage that can request a
// sync but never says when it completed is rejected.
// expect: (satisfaction of [^ a-z_]*async_log_storage<|does not satisfy 'async_log_storage')
#include <cohort/core/concepts.hpp>

struct storage_without_durable_ticket {
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
  std::uint64_t request_sync() { return ++ticket; }
  // no durable_ticket()
  std::uint64_t ticket = 0;
};

template <cohort::async_log_storage Storage>
std::uint64_t flush(Storage& s) { return s.request_sync(); }

std::uint64_t use() {
  storage_without_durable_ticket s;
  return flush(s);
}
