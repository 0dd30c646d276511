// The fence, the lease tracker and the counter state machine.
#include <catch2/catch.hpp>

#include <cohort/lock.hpp>

using namespace std::chrono_literals;
using cohort::errc;
using cohort::mono_time;
using namespace cohort::lock;

TEST_CASE("fence: accepts tokens at least the highest seen, refuses older ones", "[lock][fence]") {
  fence f;
  CHECK(f.admit(fencing_token{0}).error().code == errc::invalid_argument);
  CHECK(f.highest() == fencing_token{0});
  CHECK(f.admit(fencing_token{5}).has_value());
  CHECK(f.admit(fencing_token{5}).has_value());  // the same grant again
  CHECK(f.admit(fencing_token{9}).has_value());
  CHECK_FALSE(f.would_admit(fencing_token{5}));
  CHECK(f.admit(fencing_token{5}).error().code == errc::stale_term);
  CHECK(f.highest() == fencing_token{9});  // a refusal remembers nothing
  const fence restored(fencing_token{9});
  CHECK_FALSE(restored.would_admit(fencing_token{8}));
  CHECK(restored.would_admit(fencing_token{9}));
}

TEST_CASE("lease tracker: send time plus TTL minus the drift and the margin", "[lock][lease]") {
  CHECK(lease_tracker::create({-1, 0ms}).error().code == errc::invalid_config);
  CHECK(lease_tracker::create({200, -1ms}).error().code == errc::invalid_config);
  auto t = *lease_tracker::create({200, 50ms});
  // 10s with 200 ppm either side: 4ms of drift, 50ms of margin.
  CHECK(t.usable(10s) == 10s - 4ms - 50ms);
  CHECK(t.usable(1ns) == 0ns);  // rounds the drift up
  CHECK(t.usable(40ms) == 0ns);
  CHECK_FALSE(t.valid(mono_time{0s}));
  t.renewed(mono_time{100s}, 10s);
  CHECK(t.valid(mono_time{100s}));
  CHECK(t.valid(mono_time{110s - 54ms - 1ns}));
  CHECK_FALSE(t.valid(mono_time{110s - 54ms}));
  CHECK(t.remaining(mono_time{105s}) == 5s - 54ms);
  // A late reply to an older request does not shorten the lease.
  t.renewed(mono_time{99s}, 10s);
  CHECK(t.valid_until() == mono_time{110s - 54ms});
  t.renewed(mono_time{104s}, 10s);
  CHECK(t.valid_until() == mono_time{114s - 54ms});
  t.lost();
  CHECK_FALSE(t.valid(mono_time{105s}));
  CHECK(t.remaining(mono_time{105s}) == 0ns);
}

TEST_CASE("counter: add, get and compare-and-set", "[lock][counter]") {
  counter c;
  CHECK(c.apply(counter_command::add(1, 1, 5))->value == 5);
  CHECK(c.apply(counter_command::add(2, 1, -2))->value == 3);
  CHECK(c.apply(counter_command::get(1, 2))->value == 3);
  auto r = c.apply(counter_command::compare_and_set(1, 3, 4, 10));
  CHECK(r->value == 3);
  CHECK_FALSE(r->swapped);
  r = c.apply(counter_command::compare_and_set(1, 4, 3, 10));
  CHECK(r->swapped);
  CHECK(c.value() == 10);
}

TEST_CASE("counter: a retried command applies once; an older one is refused", "[lock][counter]") {
  counter c;
  CHECK(c.apply(counter_command::add(1, 1, 5))->value == 5);
  CHECK(c.apply(counter_command::add(1, 1, 5))->value == 5);  // duplicate: same answer
  CHECK(c.value() == 5);
  CHECK(c.apply(counter_command::add(1, 2, 1))->value == 6);
  CHECK(c.apply(counter_command::add(1, 1, 5)).error().code == errc::conflict);
  CHECK(c.apply(counter_command::add(0, 3, 1)).error().code == errc::invalid_argument);
  CHECK(c.value() == 6);
  c.forget_client(1);
  CHECK(c.client_count() == 0);
}

TEST_CASE("counter: malformed payloads are refused and change nothing", "[lock][counter]") {
  counter c;
  (void)c.apply(counter_command::add(1, 1, 5));
  const auto good = encode(counter_command::add(1, 2, 7));
  REQUIRE(decode_counter(good).value() == counter_command::add(1, 2, 7));
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto r = c.apply(cohort::log_entry{cohort::log_index{9}, cohort::term{1}, cohort::entry_kind::normal,
                                       good.slice(0, n)});
    REQUIRE(r.error().code == errc::malformed_message);
  }
  std::vector<std::byte> bad(good.begin(), good.end());
  bad[1] = std::byte{9};
  CHECK(c.apply(cohort::log_entry{cohort::log_index{9}, cohort::term{1}, cohort::entry_kind::normal,
                                  cohort::bytes::copy_of(cohort::bytes_view(bad))})
            .error()
            .code == errc::malformed_message);
  CHECK(c.value() == 5);
  CHECK(c.apply(cohort::log_entry{cohort::log_index{9}, cohort::term{1}, cohort::entry_kind::normal, good})->value ==
        12);
}
