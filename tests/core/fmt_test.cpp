// Exact text of the formatters in cohort/fmt/core.hpp. Scenario tests compare
// this text, so each public type's rendering is pinned here.
#include <cohort/fmt/core.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

using cohort::errc;
using cohort::log_index;
using cohort::node_id;
using cohort::term;

namespace {

std::vector<node_id> ids(std::initializer_list<std::uint64_t> v) {
  std::vector<node_id> out;
  for (auto x : v) out.emplace_back(x);
  return out;
}

cohort::bytes raw(std::initializer_list<unsigned> v) {
  std::string s;
  for (auto x : v) s.push_back(static_cast<char>(x));
  return cohort::bytes::copy_of(s);
}

}  // namespace

TEST_CASE("fmt: identifiers print their number and accept integer specs", "[fmt]") {
  CHECK(fmt::format("{}", node_id{12}) == "12");
  CHECK(fmt::format("{}", term{0}) == "0");
  CHECK(fmt::format("{:<3}|", log_index{5}) == "5  |");
  CHECK(fmt::format("{:x}", term{255}) == "ff");
  CHECK(fmt::format("{}", log_index{std::numeric_limits<std::uint64_t>::max()}) == "18446744073709551615");
}

TEST_CASE("fmt: enums print their names", "[fmt]") {
  CHECK(fmt::format("{}", errc::not_leader) == "not_leader");
  CHECK(fmt::format("{:>12}", errc::busy) == "        busy");
  CHECK(fmt::format("{}", cohort::entry_kind::config) == "config");
  CHECK(fmt::format("{}", cohort::event_kind::storage_durable) == "storage_durable");
}

TEST_CASE("fmt: error and result", "[fmt]") {
  const auto e = cohort::make_error(errc::not_leader, "propose on follower", node_id{2});
  CHECK(fmt::format("{}", e) == "not_leader: propose on follower (node 2)");
  CHECK(fmt::format("{}", cohort::make_error(errc::too_large, "batch of 9 > 8")) == "too_large: batch of 9 > 8");

  cohort::result<int> ok = 42;
  cohort::result<int> bad = cohort::make_error(errc::compacted, "index 3");
  CHECK(fmt::format("{}", ok) == "42");
  CHECK(fmt::format("{}", bad) == "error(compacted: index 3)");
  cohort::result<log_index> idx = log_index{7};
  CHECK(fmt::format("{}", idx) == "7");
  CHECK(fmt::format("{}", cohort::success()) == "ok");
  CHECK(fmt::format("{}", cohort::result<void>(e)) == "error(not_leader: propose on follower (node 2))");
}

TEST_CASE("fmt: bytes print as text when short and printable, else as hex", "[fmt]") {
  CHECK(fmt::format("{}", cohort::bytes{}) == "\"\"");
  CHECK(fmt::format("{}", cohort::bytes::copy_of("abc")) == "\"abc\"");
  CHECK(fmt::format("{}", cohort::bytes::copy_of("with space~")) == "\"with space~\"");
  // Quotes, backslashes and control bytes switch to hex.
  CHECK(fmt::format("{}", cohort::bytes::copy_of("a\"b")) == "0x612262(3 bytes)");
  CHECK(fmt::format("{}", cohort::bytes::copy_of("a\\")) == "0x615c(2 bytes)");
  CHECK(fmt::format("{}", raw({0x00, 0x7f, 0xff})) == "0x007fff(3 bytes)");
  // Up to 16 bytes of hex are shown, then an ellipsis and the size.
  CHECK(fmt::format("{}", raw({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})) ==
        "0x0102030405060708090a0b0c0d0e0f10(16 bytes)");
  CHECK(fmt::format("{}", raw({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17})) ==
        "0x0102030405060708090a0b0c0d0e0f10…(17 bytes)");
  // Printable text longer than 32 bytes is shown as hex too.
  CHECK(fmt::format("{}", cohort::bytes::copy_of(std::string(32, 'a'))) == "\"" + std::string(32, 'a') + "\"");
  CHECK(fmt::format("{}", cohort::bytes::copy_of(std::string(33, 'a'))) ==
        "0x61616161616161616161616161616161…(33 bytes)");
}

TEST_CASE("fmt: log entry, hard state", "[fmt]") {
  const cohort::log_entry e{log_index{6}, term{2}, cohort::entry_kind::normal, cohort::bytes::copy_of("x")};
  CHECK(fmt::format("{}", e) == "2/6 normal \"x\"");
  CHECK(fmt::format("{}", cohort::log_entry{log_index{1}, term{1}, cohort::entry_kind::config, {}}) ==
        "1/1 config \"\"");
  CHECK(fmt::format("{}", cohort::hard_state{term{3}, node_id{1}, log_index{5}}) == "term=3 vote=1 commit=5");
  CHECK(fmt::format("{}", cohort::hard_state{}) == "term=0 vote=0 commit=0");
}

TEST_CASE("fmt: membership and snapshot_meta show only the lists in use", "[fmt]") {
  cohort::membership m;
  CHECK(fmt::format("{}", m) == "voters=()");
  m.voters = ids({1, 2, 3});
  CHECK(fmt::format("{}", m) == "voters=(1 2 3)");
  m.voters_outgoing = ids({1, 2});
  m.learners = ids({4});
  m.learners_next = ids({5});
  m.auto_leave = true;
  CHECK(fmt::format("{}", m) == "voters=(1 2 3)&&(1 2) learners=(4) learners_next=(5) autoleave");

  cohort::snapshot_meta meta{log_index{9}, term{2}, {}};
  meta.config.voters = ids({1});
  CHECK(fmt::format("{}", meta) == "index=9 term=2 voters=(1)");
}

TEST_CASE("fmt: time points as seconds with nanoseconds", "[fmt]") {
  using namespace std::chrono_literals;
  CHECK(fmt::format("{}", cohort::mono_time{}) == "0.000000000s");
  CHECK(fmt::format("{}", cohort::mono_time{12s + 345ns}) == "12.000000345s");
  CHECK(fmt::format("{}", cohort::wall_time{1500ms}) == "1.500000000s");
  CHECK(fmt::format("{}", cohort::wall_time{-1500ms}) == "-1.500000000s");
  CHECK(fmt::format("{}", cohort::wall_time{cohort::duration{std::numeric_limits<std::int64_t>::min()}}) ==
        "-9223372036.854775808s");
  CHECK(fmt::format("{}", cohort::mono_time{cohort::duration{std::numeric_limits<std::int64_t>::max()}}) ==
        "9223372036.854775807s");
}

TEST_CASE("fmt: events print only the fields in use", "[fmt]") {
  cohort::event e{};
  e.kind = cohort::event_kind::entries_committed;
  e.node = node_id{1};
  CHECK(fmt::format("{}", e) == "entries_committed node=1");
  e.peer = node_id{2};
  e.term = term{3};
  e.index = log_index{4};
  e.value = 5;
  e.detail = "stale";
  CHECK(fmt::format("{}", e) == "entries_committed node=1 peer=2 term=3 index=4 value=5 stale");
}

TEST_CASE("fmt: types without a spec of their own refuse one", "[fmt]") {
  CHECK_THROWS_AS(fmt::format(fmt::runtime("{:>5}"), cohort::hard_state{}), fmt::format_error);
  CHECK_THROWS_AS(fmt::format(fmt::runtime("{:x}"), cohort::bytes{}), fmt::format_error);
  CHECK_THROWS_AS(fmt::format(fmt::runtime("{:s}"), cohort::mono_time{}), fmt::format_error);
}
