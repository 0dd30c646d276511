#include <cohort/core/errc.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <system_error>

using cohort::errc;

namespace {

// Every code, with the stable name and message the header documents. Codes are
// numbered from 1 in declaration order and never renumbered.
struct expected_code {
  errc code;
  int number;
  const char* name;
  const char* message;
};

const expected_code all_codes[] = {
    {errc::invalid_argument, 1, "invalid_argument", "invalid argument"},
    {errc::invalid_config, 2, "invalid_config", "invalid configuration"},
    {errc::not_leader, 3, "not_leader", "not the leader"},
    {errc::compacted, 4, "compacted", "log index compacted"},
    {errc::unavailable, 5, "unavailable", "log index or data unavailable"},
    {errc::stale_term, 6, "stale_term", "stale term"},
    {errc::malformed_message, 7, "malformed_message", "malformed message"},
    {errc::too_large, 8, "too_large", "too large"},
    {errc::proposal_dropped, 9, "proposal_dropped", "proposal dropped"},
    {errc::busy, 10, "busy", "busy"},
    {errc::duplicate_member, 11, "duplicate_member", "duplicate member"},
    {errc::unknown_member, 12, "unknown_member", "unknown member"},
    {errc::no_members, 13, "no_members", "no members"},
    {errc::capacity_exceeded, 14, "capacity_exceeded", "capacity exceeded"},
    {errc::storage_failure, 15, "storage_failure", "storage failure"},
    {errc::snapshot_unavailable, 16, "snapshot_unavailable", "snapshot temporarily unavailable"},
    {errc::timeout, 17, "timeout", "timed out"},
    {errc::not_found, 18, "not_found", "not found"},
    {errc::conflict, 19, "conflict", "conflict"},
    {errc::corrupted, 20, "corrupted", "corrupted data"},
    {errc::stopped, 21, "stopped", "stopped"},
};

}  // namespace

TEST_CASE("the category is named cohort and is a single instance", "[errc]") {
  CHECK(std::string(cohort::error_category().name()) == "cohort");
  CHECK(&cohort::error_category() == &cohort::error_category());
  CHECK(cohort::make_error_code(errc::busy).category() == cohort::error_category());
}

TEST_CASE("every code has its stable number, name and message", "[errc]") {
  std::set<std::string> names;
  std::set<std::string> messages;
  for (const auto& c : all_codes) {
    CAPTURE(c.name);
    CHECK(static_cast<int>(c.code) == c.number);
    CHECK(cohort::name_of(c.code) == c.name);
    CHECK(cohort::to_string(c.code) == c.message);
    CHECK(cohort::error_category().message(c.number) == c.message);
    CHECK(cohort::make_error_code(c.code).message() == c.message);
    names.insert(c.name);
    messages.insert(c.message);
  }
  // No two codes share a name or a message.
  CHECK(names.size() == std::size(all_codes));
  CHECK(messages.size() == std::size(all_codes));
}

TEST_CASE("the number after the last code is unknown", "[errc]") {
  // If this fails, a code was appended: add it to all_codes above.
  const auto next = static_cast<errc>(std::size(all_codes) + 1);
  CHECK(cohort::name_of(next) == "unknown");
  CHECK(cohort::to_string(next) == "unknown cohort error");
  CHECK(cohort::error_category().message(0) == "unknown cohort error");
}

TEST_CASE("errc converts to std::error_code and compares with it", "[errc]") {
  STATIC_REQUIRE(std::is_error_code_enum_v<errc>);
  std::error_code ec = errc::not_leader;  // implicit, through make_error_code
  CHECK(ec);
  CHECK(ec.value() == 3);
  CHECK(ec.category().name() == std::string("cohort"));
  CHECK(ec == errc::not_leader);
  CHECK(ec != errc::busy);
  CHECK(ec.message() == "not the leader");
  // A std::errc with the same number is a different error.
  CHECK(std::make_error_code(std::errc::no_such_file_or_directory).value() == 2);
  CHECK(std::error_code(errc::invalid_config) != std::make_error_code(std::errc::no_such_file_or_directory));
  CHECK_FALSE(std::error_code{});
}

TEST_CASE("name_of and to_string are constant expressions", "[errc]") {
  STATIC_REQUIRE(cohort::name_of(errc::stale_term) == "stale_term");
  STATIC_REQUIRE(cohort::to_string(errc::timeout) == "timed out");
}
