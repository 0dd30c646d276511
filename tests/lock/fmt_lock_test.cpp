// Exact text of the formatters in cohort/fmt/lock.hpp: commands of every
// kind, grants, replies, a whole `applied` from the service, the counter's
// types, and enumerator values no command should carry.
#include <cohort/fmt/lock.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <string>

#include "lock_harness.hpp"

using namespace std::chrono_literals;
using namespace cohort::lock;

TEST_CASE("fmt lock: enumerators, and values without one", "[fmt][lock]") {
  CHECK(fmt::format("{}", command_kind::open_session) == "open_session");
  CHECK(fmt::format("{}", lock_mode::semaphore) == "semaphore");
  CHECK(fmt::format("{}", reply_kind::queued) == "queued");
  CHECK(fmt::format("{}", counter_op::compare_and_set) == "compare_and_set");
  CHECK(fmt::format("{}", static_cast<command_kind>(0)) == "unknown(0)");
  CHECK(fmt::format("{}", static_cast<lock_mode>(9)) == "unknown(9)");
  CHECK(fmt::format("{}", static_cast<reply_kind>(200)) == "unknown(200)");
  CHECK(fmt::format("{}", static_cast<counter_op>(4)) == "unknown(4)");
}

TEST_CASE("fmt lock: a command of each kind shows the fields it carries", "[fmt][lock]") {
  const session_id s{3};
  CHECK(fmt::format("{}", command::tick()) == "tick");
  CHECK(fmt::format("{}", command::open_session(2s, 7)) == "open_session ttl=2.000000000s owner=7");
  CHECK(fmt::format("{}", command::keep_alive(s)) == "keep_alive session=3");
  CHECK(fmt::format("{}", command::close_session(s)) == "close_session session=3");
  CHECK(fmt::format("{}", command::acquire(s, 1, "db")) == "acquire session=3 request=1 \"db\" exclusive wait=forever");
  CHECK(fmt::format("{}", command::acquire(s, 2, "db", lock_mode::shared, 0s)) ==
        "acquire session=3 request=2 \"db\" shared wait=0.000000000s");
  command sem = command::acquire_permits(s, 4, "pool", 2, 5, 1500ms);
  sem.lock_delay = 250ms;
  CHECK(fmt::format("{}", sem) ==
        "acquire session=3 request=4 \"pool\" semaphore wait=1.500000000s permits=2/5 lock_delay=0.250000000s");
  CHECK(fmt::format("{}", command::release(s, "db", fencing_token{9})) == "release session=3 \"db\" token=9");
  CHECK(fmt::format("{}", command::bind(s, "db")) == "bind session=3 \"db\"");
  CHECK(fmt::format("{}", command::acquire_handle(s, 5, lock_handle{2}, lock_mode::shared, 0s)) ==
        "acquire_handle session=3 request=5 handle=2 shared wait=0.000000000s");
  CHECK(fmt::format("{}", command::release_handle(s, lock_handle{2}, fencing_token{9})) ==
        "release_handle session=3 handle=2 token=9");
  // A stamped command, decoded from its payload (a view into it).
  const auto payload = encode(command::release(s, "a\"b\n", fencing_token{9}), cohort::mono_time{12s});
  REQUIRE(payload.has_value());
  const auto view = decode_view(*payload);
  REQUIRE(view.has_value());
  CHECK(fmt::format("{}", *view) == "release session=3 \"a\\\"b\\n\" token=9 at=12.000000000s");
}

TEST_CASE("fmt lock: grants, replies and what an entry did, from the service", "[fmt][lock]") {
  lock_test::svc s;
  const session_id a = s.open(10s);
  const session_id b = s.open(10s);
  const auto ra = s.apply(command::acquire(a, 1, "db"));
  REQUIRE(ra.reply.has_value());
  CHECK(fmt::format("{}", ra) == fmt::format("reply=granted session={} token={}", a, ra.reply->token));
  const auto rb = s.apply(command::acquire(b, 1, "db"));
  CHECK(fmt::format("{}", rb) == fmt::format("reply=queued session={}", b));
  const auto rel = s.apply(command::release(a, "db", ra.reply->token));
  REQUIRE(rel.granted.size() == 1);
  CHECK(fmt::format("{}", rel) ==
        fmt::format("reply=released session={} token={} granted=[session={} owner=0 request=1 \"db\" token={} exclusive]",
                    a, ra.reply->token, b, rel.granted[0].token));
  const auto bad = s.apply(command::release(a, "db", fencing_token{1}));
  REQUIRE_FALSE(bad.reply.has_value());
  CHECK(fmt::format("{}", bad).rfind("reply=error(", 0) == 0);

  // By handle: the reply to bind and the notice carry the handle, not the name.
  const auto hb = s.apply(command::bind(b, "db"));
  REQUIRE(hb.reply.has_value());
  CHECK(fmt::format("{}", hb) == fmt::format("reply=bound session={} handle={}", b, hb.reply->handle));
  const auto qa = s.apply(command::acquire(a, 2, "db"));
  CHECK(fmt::format("{}", qa) == fmt::format("reply=queued session={}", a));
  const auto rh = s.apply(command::release_handle(b, hb.reply->handle, rel.granted[0].token));
  REQUIRE(rh.granted.size() == 1);
  CHECK(fmt::format("{}", rh.granted[0]) ==
        fmt::format("session={} owner=0 request=2 \"db\" token={} exclusive", a, rh.granted[0].token));
  grant by_handle = rh.granted[0];
  by_handle.lock.clear();
  by_handle.handle = lock_handle{4};
  CHECK(fmt::format("{}", by_handle) ==
        fmt::format("session={} owner=0 request=2 \"\" token={} exclusive handle=4", a, by_handle.token));

  applied many;
  many.reply = reply{reply_kind::session_opened, session_id{5}, {}, 2s};
  grant g{session_id{6}, 7, 8, "pool", fencing_token{}, lock_mode::semaphore, 3};
  many.timed_out = {g, g};
  many.expired = {session_id{4}, session_id{6}};
  CHECK(fmt::format("{}", many) ==
        "reply=session_opened session=5 ttl=2.000000000s timed_out=[session=6 owner=7 request=8 \"pool\" token=0 "
        "semaphore permits=3; session=6 owner=7 request=8 \"pool\" token=0 semaphore permits=3] expired=(4 6)");
}

TEST_CASE("fmt lock: the counter's commands and replies", "[fmt][lock]") {
  CHECK(fmt::format("{}", counter_command::add(1, 2, -5)) == "add client=1 request=2 delta=-5");
  CHECK(fmt::format("{}", counter_command::get(1, 3)) == "get client=1 request=3");
  CHECK(fmt::format("{}", counter_command::compare_and_set(1, 4, 3, 4)) ==
        "compare_and_set client=1 request=4 expected=3 desired=4");
  CHECK(fmt::format("{}", counter_reply{5, true}) == "value=5 swapped=true");
}
