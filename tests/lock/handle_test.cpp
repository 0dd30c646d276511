// Lock handles: bind gives a session a handle on a lock, acquire_handle and
// release_handle use it in place of the name (the service's fast path). The
// rules are the lock service's (lock_service_test.cpp); these tests check
// what the handle adds: its life, its checks, its notices, mixing with the
// commands by name, and equality.
#include <catch2/catch.hpp>

#include <cohort/lock.hpp>

#include "lock_harness.hpp"

using namespace std::chrono_literals;
using cohort::errc;
using namespace cohort::lock;
using lock_test::svc;

namespace {

lock_handle bind(svc& s, session_id who, const std::string& name) {
  const reply r = s.ok(command::bind(who, name));
  REQUIRE(r.kind == reply_kind::bound);
  CHECK(r.session == who);
  REQUIRE(r.handle != lock_handle{});
  return r.handle;
}

}  // namespace

TEST_CASE("lock handles: acquire and release by handle; notices carry the handle, not the name", "[lock]") {
  svc s;
  const session_id a = s.open(), b = s.open();
  const lock_handle ha = bind(s, a, "L"), hb = bind(s, b, "L");
  CHECK(ha != hb);  // a handle is the session's own
  CHECK(*s.m.lock_of(a, ha) == "L");
  CHECK(s.m.find("L") == nullptr);  // a handle alone makes no lock
  CHECK(s.m.locks().empty());
  const fencing_token ta = s.granted(command::acquire_handle(a, 1, ha));
  CHECK(ta == fencing_token{s.last.value()});
  CHECK(s.queued(command::acquire_handle(b, 1, hb)));
  REQUIRE(s.m.find("L") != nullptr);
  CHECK(s.m.find("L")->holders.at(0).handle == ha);
  auto r = s.apply(command::release_handle(a, ha, ta));
  REQUIRE(r.reply.has_value());
  CHECK(r.reply->kind == reply_kind::released);
  REQUIRE(r.granted.size() == 1);
  CHECK(r.granted[0].session == b);
  CHECK(r.granted[0].handle == hb);
  CHECK(r.granted[0].lock.empty());
  CHECK(r.granted[0].token > ta);
  // The lock is gone once idle; the handles stay and find it again.
  s.ok(command::release_handle(b, hb, r.granted[0].token));
  CHECK(s.m.find("L") == nullptr);
  CHECK(s.m.locks().empty());
  const fencing_token again = s.granted(command::acquire_handle(a, 2, ha, lock_mode::shared));
  CHECK(again > r.granted[0].token);
  CHECK(s.m.find("L")->holders.at(0).mode == lock_mode::shared);
}

TEST_CASE("lock handles: bind again gives the same handle; handles end with their session", "[lock]") {
  svc s;
  const session_id a = s.open(1s), b = s.open(10s);
  const lock_handle h = bind(s, a, "L");
  CHECK(bind(s, a, "L") == h);
  const lock_handle m = bind(s, a, "M");
  CHECK(m != h);
  const lock_handle hb = bind(s, b, "L");
  s.granted(command::acquire_handle(a, 1, h));
  CHECK(s.queued(command::acquire_handle(b, 1, hb)));
  auto r = s.at(1s).tick();  // a expires holding L: the notice of the freed grant names the handle
  REQUIRE(r.freed.size() == 1);
  CHECK(r.freed[0].handle == h);
  CHECK(r.freed[0].lock.empty());
  CHECK(s.m.lock_of(a, h).error().code == errc::not_found);
  CHECK(s.refused(command::acquire_handle(a, 2, h)) == errc::not_found);  // unknown session
  // b's handle still works after the lock-delay hands L on.
  r = s.at(2s).tick();
  REQUIRE(r.granted.size() == 1);
  CHECK(r.granted[0].handle == hb);
  CHECK(*s.m.lock_of(b, hb) == "L");
  s.ok(command::close_session(b));
  CHECK(s.m.find("L") == nullptr);
  // Handles are reused by later binds, of other sessions: never valid for the old one.
  const session_id c = s.open();
  const lock_handle hc = bind(s, c, "N");
  CHECK(s.m.lock_of(b, hc).error().code == errc::not_found);
}

TEST_CASE("lock handles: a bad handle is refused and changes nothing", "[lock]") {
  svc s;
  const session_id a = s.open(), b = s.open();
  const lock_handle ha = bind(s, a, "L");
  const fencing_token ta = s.granted(command::acquire_handle(a, 1, ha));
  const lock_service before = s.m;
  auto same = [&](errc want, const command& c) {
    INFO(name_of(c.kind));
    CHECK(s.refused(c) == want);
    CHECK(s.m == s.ticked(before));
  };
  same(errc::invalid_argument, command::acquire_handle(b, 1, ha));             // a's handle, b's command
  same(errc::invalid_argument, command::release_handle(b, ha, ta));
  same(errc::invalid_argument, command::acquire_handle(a, 2, lock_handle{}));   // no handle
  same(errc::invalid_argument, command::acquire_handle(a, 2, lock_handle{99}));  // never given
  same(errc::invalid_argument, command::acquire_handle(a, 2, lock_handle{~0ULL}));
  same(errc::not_found, command::acquire_handle(session_id{77}, 1, ha));        // unknown session
  same(errc::not_found, command::bind(session_id{77}, "L"));
  same(errc::invalid_argument, command::bind(a, ""));
  same(errc::conflict, command::acquire_handle(a, 2, ha));                      // holds L (request 1)
  same(errc::conflict, command::acquire_handle(a, 2, ha, lock_mode::semaphore));  // L is a reader/writer lock
  same(errc::conflict, command::release_handle(a, ha, fencing_token{ta.value() + 1}));  // not the grant's token
  command late = command::acquire_handle(a, 2, ha);
  late.wait = -1s;
  same(errc::invalid_argument, late);
  CHECK(s.apply(command::acquire_handle(a, 2, ha)).reply.error().message.find("'L'") != std::string::npos);
  // Retries get the same answer as by name.
  CHECK(s.granted(command::acquire_handle(a, 1, ha)) == ta);
  CHECK(s.granted(command::acquire(a, 1, "L")) == ta);
}

TEST_CASE("lock handles: commands by name and by handle act on the same lock", "[lock]") {
  svc s;
  const session_id a = s.open(), b = s.open();
  const lock_handle ha = bind(s, a, "L");
  const fencing_token t = s.granted(command::acquire(a, 1, "L"));
  CHECK(s.refused(command::acquire_handle(a, 2, ha)) == errc::conflict);  // not reentrant, whatever the form
  CHECK(s.queued(command::acquire(b, 1, "L")));
  auto r = s.apply(command::release_handle(a, ha, t));  // released by handle
  REQUIRE(r.granted.size() == 1);
  CHECK(r.granted[0].lock == "L");  // b asked by name: its notice names the lock
  CHECK(r.granted[0].handle == lock_handle{});
  CHECK(s.refused(command::release(a, "L", t)) == errc::not_found);
  // A semaphore by handle: the general path (the fast one takes reader/writer locks only).
  const lock_handle hs = bind(s, a, "S");
  s.granted(command::acquire_handle_permits(a, 3, hs, 2, 3));
  CHECK(s.m.find("S")->semaphore);
  CHECK(s.refused(command::acquire_handle_permits(b, 2, bind(s, b, "S"), 2, 3, 0s)) == errc::conflict);
}

TEST_CASE("lock handles: equality compares handles by number, session and lock name", "[lock]") {
  svc x, y;
  for (svc* s : {&x, &y}) {
    const session_id a = s->open();
    bind(*s, a, "L");
  }
  CHECK(x.m == y.m);
  const session_id a{1};
  bind(x, a, "M");
  bind(y, a, "N");
  CHECK_FALSE(x.m == y.m);
}

TEST_CASE("lock handles: commands round-trip through the encoding", "[lock]") {
  for (command c : {command::bind(session_id{3}, "a/lock"), command::acquire_handle(session_id{3}, 9, lock_handle{5}),
                    command::acquire_handle_permits(session_id{3}, 9, lock_handle{5}, 2, 7, 250ms),
                    command::release_handle(session_id{3}, lock_handle{5}, fencing_token{12})}) {
    c.lock_delay = c.kind == command_kind::acquire_handle ? 30ms : c.lock_delay;
    const auto b = encode(c, cohort::mono_time{42ns});
    REQUIRE(b.has_value());
    const auto d = decode(*b);
    REQUIRE(d.has_value());
    c.stamp = cohort::mono_time{42ns};
    CHECK(*d == c);
  }
  // The fixed sizes: header 10, acquire_handle 49, release_handle 24.
  CHECK(encode(command::acquire_handle(session_id{1}, 1, lock_handle{1}), {})->size() == 59);
  CHECK(encode(command::release_handle(session_id{1}, lock_handle{1}, fencing_token{1}), {})->size() == 34);
}

TEST_CASE("lock handles: a session binds at most handles_per_session_max", "[lock]") {
  service_config cfg;
  cfg.handles_per_session_max = 2;
  svc s;
  s.m = *lock_service::create(cfg);
  const session_id a = s.open(), b = s.open();
  const lock_handle l = bind(s, a, "L");
  bind(s, a, "M");
  const lock_service before = s.m;
  CHECK(s.refused(command::bind(a, "N")) == errc::capacity_exceeded);
  CHECK(s.m == s.ticked(before));
  CHECK(bind(s, a, "L") == l);  // a name it has: no new handle, so no refusal
  bind(s, b, "N");              // the allowance is per session
  s.ok(command::close_session(a));
  const session_id c = s.open();
  bind(s, c, "N");
  bind(s, c, "O");
  cfg.handles_per_session_max = 0;
  CHECK(lock_service::create(cfg).error().code == errc::invalid_config);
}
