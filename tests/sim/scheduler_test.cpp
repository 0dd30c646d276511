#include <catch2/catch.hpp>

#include <cohort/core/random.hpp>
#include <cohort/sim/scheduler.hpp>

#include <vector>

using namespace std::chrono_literals;
using cohort::mono_time;
using cohort::sim::scheduler;

TEST_CASE("scheduler runs events in time order, ties in scheduling order", "[sim][scheduler]") {
  scheduler s;
  std::vector<int> order;
  s.at(mono_time{30ms}, [&] { order.push_back(3); });
  s.at(mono_time{10ms}, [&] { order.push_back(1); });
  s.at(mono_time{20ms}, [&] { order.push_back(2); });
  s.at(mono_time{20ms}, [&] { order.push_back(22); });
  CHECK(s.pending() == 4);
  CHECK(s.run_until(mono_time{25ms}) == 3);
  CHECK(order == std::vector<int>{1, 2, 22});
  CHECK(s.now() == mono_time{25ms});
  CHECK(s.step());
  CHECK(order.back() == 3);
  CHECK(s.now() == mono_time{30ms});
  CHECK_FALSE(s.step());
  CHECK(s.executed() == 4);
}

TEST_CASE("scheduler: events scheduled from events, in the past, and cancelled", "[sim][scheduler]") {
  scheduler s(mono_time{1s});
  std::vector<int> order;
  s.after(5ms, [&] {
    order.push_back(1);
    s.after(0ms, [&] { order.push_back(2); });
    s.at(mono_time{0s}, [&] { order.push_back(3); });  // the past means now
  });
  auto id = s.after(6ms, [&] { order.push_back(99); });
  auto id2 = s.after(7ms, [&] { order.push_back(4); });
  CHECK(s.cancel(id));
  CHECK_FALSE(s.cancel(id));  // twice: no
  CHECK(s.pending() == 2);
  s.run_for(1s);
  CHECK(order == std::vector<int>{1, 2, 3, 4});
  CHECK_FALSE(s.cancel(id2));  // already ran
  CHECK(s.now() == mono_time{2s});
  CHECK(s.idle());
}

TEST_CASE("scheduler: a reused slot does not resurrect a cancelled event", "[sim][scheduler]") {
  scheduler s;
  int ran = 0;
  auto a = s.after(10ms, [&] { ran += 100; });
  CHECK(s.cancel(a));
  s.after(20ms, [&] { ran += 1; });  // takes a's slot
  CHECK_FALSE(s.cancel(a));          // the stale id must not cancel the new event
  s.run_for(1s);
  CHECK(ran == 1);
}

TEST_CASE("scheduler: same schedule, same order, over many random events", "[sim][scheduler]") {
  auto run = [] {
    scheduler s;
    cohort::xoshiro256ss r(7);
    std::vector<std::uint64_t> seen;
    for (int i = 0; i < 2000; ++i) {
      const auto t = mono_time{std::chrono::microseconds(cohort::uniform_below(r, 1000))};
      s.at(t, [&seen, &s, i] { seen.push_back(static_cast<std::uint64_t>(s.now().time_since_epoch().count()) * 4096 + static_cast<std::uint64_t>(i)); });
    }
    s.run_for(1s);
    return seen;
  };
  const auto a = run();
  CHECK(a == run());
  for (std::size_t i = 1; i < a.size(); ++i) CHECK((a[i - 1] >> 12) <= (a[i] >> 12));
}
