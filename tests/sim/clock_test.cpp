#include <catch2/catch.hpp>

#include <cohort/sim/clock.hpp>

using namespace std::chrono_literals;
using cohort::mono_time;
using cohort::wall_time;
using cohort::sim::clock_params;
using cohort::sim::scheduler;
using cohort::sim::virtual_clock;

TEST_CASE("virtual clock: offset and drift", "[sim][clock]") {
  scheduler s;
  virtual_clock fast(s, clock_params{5s, -3s, 100});  // 100 ppm fast
  virtual_clock slow(s, clock_params{0s, 0s, -250});
  CHECK(fast.now() == mono_time{5s});
  CHECK(fast.wall_now() == wall_time{-3s});
  s.run_for(10s);
  CHECK(fast.now() == mono_time{5s + 10s + 1ms});  // 10 s * 100e-6 = 1 ms
  CHECK(slow.now() == mono_time{10s - 2500us});
  CHECK(fast.wall_now() == wall_time{7s + 1ms});
}

TEST_CASE("virtual clock: drift change keeps readings continuous", "[sim][clock]") {
  scheduler s;
  virtual_clock c(s, clock_params{0s, 0s, 1000});
  s.run_for(1s);
  const auto before = c.now();
  c.set_drift_ppm(-1000);
  CHECK(c.now() == before);
  s.run_for(1s);
  CHECK(c.now() == before + 1s - 1ms);
  CHECK(c.drift_ppm() == -1000);
}

TEST_CASE("virtual clock: steps move wall time both ways, monotonic only forward", "[sim][clock]") {
  scheduler s;
  virtual_clock c(s, clock_params{});
  s.run_for(1s);
  c.step(-500ms);
  CHECK(c.wall_now() == wall_time{500ms});
  CHECK(c.now() == mono_time{1s});
  c.step(2s);
  CHECK(c.wall_now() == wall_time{2500ms});
  CHECK(c.now() == mono_time{3s});
  auto prev = c.now();
  for (int i = 0; i < 100; ++i) {
    s.run_for(1ms);
    c.step(i % 2 ? -1ms : 1ms);
    CHECK(c.now() >= prev);
    prev = c.now();
  }
}

TEST_CASE("virtual clock: true_span inverts the drift", "[sim][clock]") {
  scheduler s;
  for (std::int64_t ppm : {-100000, -7, 0, 13, 250000}) {
    virtual_clock c(s, clock_params{0s, 0s, ppm});
    const auto start = c.now();
    const auto span = c.true_span(10ms);
    s.run_for(span);
    CHECK(c.now() - start >= 10ms);
    CHECK(c.now() - start < 10ms + 2ns);
  }
}

TEST_CASE("draw_clock_params stays within bounds", "[sim][clock]") {
  cohort::xoshiro256ss r(3);
  for (int i = 0; i < 1000; ++i) {
    const auto p = cohort::sim::draw_clock_params(r, 1s, 200);
    CHECK(p.mono_offset >= 0s);
    CHECK(p.mono_offset <= 1s);
    CHECK(p.wall_offset >= -1s);
    CHECK(p.wall_offset <= 1s);
    CHECK(p.drift_ppm >= -200);
    CHECK(p.drift_ppm <= 200);
  }
}
