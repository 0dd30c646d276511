#include <catch2/catch.hpp>

#include <cohort/check/history.hpp>

#include <string>

using namespace cohort::check;

namespace {
using h_t = history<int, std::string>;

void require_same(const h_t& a, const h_t& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto &x = a.operations()[i], &y = b.operations()[i];
    CHECK(x.client == y.client);
    CHECK(x.input == y.input);
    CHECK(x.output == y.output);
    CHECK(x.status == y.status);
    CHECK(x.invoked == y.invoked);
    CHECK(x.completed == y.completed);
  }
}
}  // namespace

TEST_CASE("history: logical time orders invocations and completions", "[check]") {
  h_t h;
  const auto a = h.invoke(7, 1);
  const auto b = h.invoke(8, 2);
  REQUIRE(h.ok(b, "two").has_value());
  const auto c = h.invoke(9, 3);
  REQUIRE(h.fail(a).has_value());
  REQUIRE(h.indeterminate(c).has_value());
  const auto& ops = h.operations();
  CHECK(ops[a].client == 7);
  CHECK(ops[a].invoked < ops[b].invoked);
  CHECK(ops[b].completed < ops[c].invoked);
  CHECK(ops[c].invoked < ops[a].completed);
  CHECK(ops[b].output == "two");
  CHECK(ops[a].status == outcome::fail);
  CHECK(ops[c].status == outcome::indeterminate);
  CHECK(ops[c].completed == std::numeric_limits<std::uint64_t>::max());  // open forever
  const auto d = h.invoke(1, 4);
  CHECK(ops[d].status == outcome::pending);
  CHECK(std::string(name_of(outcome::indeterminate)) == "indeterminate");
  h.clear();
  CHECK(h.size() == 0);
  CHECK(h.operations()[h.invoke(1, 1)].invoked == 1);
}

TEST_CASE("history: completing an unknown or completed operation is an error and changes nothing", "[check]") {
  h_t h;
  const auto a = h.invoke(1, 1);
  REQUIRE(h.ok(a, "x").has_value());
  const auto b = h.invoke(2, 2);
  REQUIRE(h.indeterminate(b).has_value());
  const auto c = h.invoke(3, 3);
  REQUIRE(h.fail(c).has_value());
  const h_t before = h;
  for (auto id : {a, b, c}) {
    CHECK(h.ok(id, "y").error().code == cohort::errc::conflict);
    CHECK(h.fail(id).error().code == cohort::errc::conflict);
    CHECK(h.indeterminate(id).error().code == cohort::errc::conflict);
  }
  CHECK(h.ok(3, "y").error().code == cohort::errc::not_found);
  CHECK(h.fail(99).error().code == cohort::errc::not_found);
  CHECK_THAT(h.indeterminate(99).error().message, Catch::Contains("99"));
  require_same(h, before);
  // The logical clock did not move either: the next invocation follows c's failure.
  CHECK(h.operations()[h.invoke(4, 4)].invoked == h.operations()[c].completed + 1);
}
