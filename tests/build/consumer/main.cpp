// Uses the core vocabulary and a formatter, so that both the include paths and
// the fmt dependency of cohort::cohort are proven to reach a consumer.
#include <cohort/cohort.hpp>
#include <cohort/fmt.hpp>

#include <fmt/format.h>

int main() {
  cohort::result<cohort::log_index> r = cohort::make_error(cohort::errc::not_leader, "follower", cohort::node_id{2});
  const std::string text = fmt::format("{}", r);
  fmt::print("{}\n", text);
  return text == "error(not_leader: follower (node 2))" ? 0 : 1;
}
