#include <cohort/core/event.hpp>
#include <cohort/core/log.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <type_traits>

using cohort::log_entry;
using cohort::log_index;
using cohort::node_id;

namespace {
std::vector<node_id> ids(std::initializer_list<std::uint64_t> v) {
  std::vector<node_id> out;
  for (auto x : v) out.emplace_back(x);
  return out;
}
}  // namespace

TEST_CASE("log_entry defaults, size accounting and equality", "[log]") {
  const log_entry empty{};
  CHECK(empty.index == log_index{0});
  CHECK(empty.term == cohort::term{0});
  CHECK(empty.kind == cohort::entry_kind::normal);
  CHECK(empty.data.empty());
  CHECK(empty.accounted_bytes() == log_entry::overhead_bytes);

  const log_entry e{log_index{3}, cohort::term{2}, cohort::entry_kind::config, cohort::bytes::copy_of("abcde")};
  CHECK(e.accounted_bytes() == 5 + log_entry::overhead_bytes);
  log_entry same = e;
  CHECK(same == e);
  CHECK(same.data.shares_with(e.data));  // copying an entry shares its payload
  same.data = cohort::bytes::copy_of("abcde");
  CHECK(same == e);  // equality is by content
  same.kind = cohort::entry_kind::normal;
  CHECK_FALSE(same == e);
}

TEST_CASE("entry and event kinds have stable names", "[log]") {
  STATIC_REQUIRE(cohort::name_of(cohort::entry_kind::normal) == "normal");
  STATIC_REQUIRE(cohort::name_of(cohort::entry_kind::config) == "config");
  CHECK(cohort::name_of(static_cast<cohort::entry_kind>(9)) == "unknown");

  using k = cohort::event_kind;
  const std::pair<k, const char*> all[] = {
      {k::message_sent, "message_sent"},         {k::message_received, "message_received"},
      {k::message_rejected, "message_rejected"}, {k::role_changed, "role_changed"},
      {k::leader_changed, "leader_changed"},     {k::entries_committed, "entries_committed"},
      {k::entries_applied, "entries_applied"},   {k::proposal_rejected, "proposal_rejected"},
      {k::storage_written, "storage_written"},   {k::storage_durable, "storage_durable"},
      {k::snapshot_sent, "snapshot_sent"},       {k::snapshot_installed, "snapshot_installed"},
      {k::custom, "custom"},
  };
  std::set<std::string> names;
  for (auto [kind, name] : all) {
    CHECK(cohort::name_of(kind) == name);
    CHECK(static_cast<std::size_t>(kind) == names.size());  // numbered in declaration order
    names.insert(name);
  }
  CHECK(cohort::name_of(static_cast<k>(std::size(all))) == "unknown");
}

TEST_CASE("hard_state compares field by field", "[log]") {
  const cohort::hard_state a{cohort::term{3}, node_id{1}, log_index{5}};
  CHECK(a == cohort::hard_state{cohort::term{3}, node_id{1}, log_index{5}});
  CHECK_FALSE(a == cohort::hard_state{cohort::term{3}, node_id{2}, log_index{5}});
  CHECK(cohort::hard_state{}.vote == cohort::no_node);
  STATIC_REQUIRE(std::is_trivially_copyable_v<cohort::hard_state>);
}

TEST_CASE("membership: contains every list, joint only with outgoing voters", "[log]") {
  cohort::membership m;
  m.voters = ids({1, 2, 3});
  m.learners = ids({7});
  CHECK_FALSE(m.is_joint());
  CHECK(m.contains(node_id{2}));
  CHECK(m.contains(node_id{7}));
  CHECK_FALSE(m.contains(node_id{4}));
  CHECK_FALSE(m.contains(cohort::no_node));

  m.voters_outgoing = ids({1, 4});
  m.learners_next = ids({9});
  CHECK(m.is_joint());
  CHECK(m.contains(node_id{4}));
  CHECK(m.contains(node_id{9}));

  cohort::membership copy = m;
  CHECK(copy == m);
  copy.auto_leave = true;
  CHECK_FALSE(copy == m);
}

TEST_CASE("a snapshot is empty until it covers an index", "[log]") {
  cohort::snapshot s;
  CHECK(s.empty());
  s.data = cohort::bytes::copy_of("state");
  CHECK(s.empty());  // emptiness is about what it covers, not its bytes
  s.meta.index = log_index{4};
  s.meta.term = cohort::term{2};
  CHECK_FALSE(s.empty());
  cohort::snapshot t = s;
  CHECK(t == s);
  t.meta.config.voters = ids({1});
  CHECK_FALSE(t == s);
}

TEST_CASE("events are small values with static detail text", "[log]") {
  STATIC_REQUIRE(std::is_trivially_copyable_v<cohort::event>);
  const cohort::event e{};
  CHECK(e.kind == cohort::event_kind::custom);
  CHECK(e.node == cohort::no_node);
  CHECK(e.value == 0);
  CHECK(e.detail.empty());
}

TEST_CASE("append_shared copies entries sharing their payloads; drop_payloads releases them", "[log]") {
  const cohort::bytes slab = cohort::bytes::copy_of(std::string_view("0123456789abcdef"));
  std::vector<log_entry> src;
  for (std::uint64_t i = 1; i <= 6; ++i)
    src.push_back(log_entry{log_index{i}, cohort::term{i / 3 + 1}, i == 4 ? cohort::entry_kind::config : cohort::entry_kind::normal,
                            i == 5 ? cohort::bytes{} : slab.slice(i, 2)});
  std::vector<log_entry> out{log_entry{log_index{99}, cohort::term{9}, cohort::entry_kind::normal, {}}};
  cohort::append_shared(src, out);
  REQUIRE(out.size() == 7);
  CHECK(out[0].index == log_index{99});
  for (std::size_t k = 0; k < src.size(); ++k) {
    CHECK(out[k + 1] == src[k]);
    CHECK((src[k].data.empty() || out[k + 1].data.shares_with(src[k].data)));
  }
  CHECK(slab.use_count() == 1 + 2 * 5);
  cohort::drop_payloads(std::span<log_entry>(out).subspan(1));
  CHECK(slab.use_count() == 1 + 5);
  CHECK(out[3].index == log_index{3});  // only the payloads go
  CHECK(out[3].data.empty());
}
