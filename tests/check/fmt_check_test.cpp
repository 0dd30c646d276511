#include <catch2/catch.hpp>

#include <cohort/check.hpp>
#include <cohort/fmt/check.hpp>

using namespace cohort::check;

TEST_CASE("fmt/check: outcomes, verdicts and results", "[check]") {
  CHECK(fmt::format("{}", outcome::fail) == "fail");
  CHECK(fmt::format("{}", verdict::unknown) == "unknown (search budget exhausted)");
  history<register_input, register_output> h;
  const auto w = h.invoke(1, register_input::write(1));
  REQUIRE(h.ok(w, register_output::done()).has_value());
  const auto r = h.invoke(2, register_input::read());
  REQUIRE(h.ok(r, register_output::read(1)).has_value());
  auto res = check_linearizable(register_model{}, h);
  CHECK(fmt::format("{}", res) == fmt::format("linearizable ({} steps, 1 partitions)", res.steps));
  const auto r2 = h.invoke(2, register_input::read());
  REQUIRE(h.ok(r2, register_output::read(0)).has_value());
  res = check_linearizable(register_model{}, h);
  CHECK(fmt::format("{}", res) == fmt::format("not linearizable ({} steps, 1 partitions)\n", res.steps) + res.cex.text);
  CHECK_THAT(fmt::format("{}", res), Catch::Contains("#2 client 2 read -> 0"));
}
