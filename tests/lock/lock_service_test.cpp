// Scenario tests for the lock service state machine: one test per rule of the
// issue (sessions, FIFO, no herd wake-up, shared vs exclusive, semaphores,
// try-acquire with a deadline, idempotent retry, release bound to its token,
// lock-delay, deterministic time) and every kind of bad input leaving the
// state unchanged.
#include <catch2/catch.hpp>

#include <cohort/lock.hpp>

#include "lock_harness.hpp"

using namespace std::chrono_literals;
using cohort::errc;
using namespace cohort::lock;
using lock_test::svc;

TEST_CASE("lock service: config is validated", "[lock]") {
  service_config c;
  c.ttl_min = 0s;
  CHECK(lock_service::create(c).error().code == errc::invalid_config);
  c = {};
  c.lock_delay = 2min;  // above lock_delay_max
  CHECK(lock_service::create(c).error().code == errc::invalid_config);
  CHECK(lock_service::create().has_value());
}

TEST_CASE("lock service: a session lives for its TTL and keep-alive renews it", "[lock]") {
  svc s;
  const session_id a = s.open(2s);
  CHECK(a == session_id{1});
  s.at(1500ms).ok(command::keep_alive(a));
  CHECK(*s.m.expiry_of(a) == 3500ms);
  s.at(3400ms).tick();
  CHECK(s.m.has_session(a));
  auto r = s.at(3500ms).tick();
  REQUIRE(r.expired.size() == 1);
  CHECK(r.expired[0] == a);
  CHECK_FALSE(s.m.has_session(a));
  CHECK(s.apply(command::keep_alive(a)).reply.error().code == errc::not_found);
}

TEST_CASE("lock service: exclusive waiters are granted one at a time in FIFO order", "[lock]") {
  svc s;
  const session_id a = s.open(), b = s.open(), c = s.open(), d = s.open();
  const fencing_token ta = s.granted(command::acquire(a, 1, "L"));
  CHECK(s.queued(command::acquire(b, 1, "L")));
  CHECK(s.queued(command::acquire(c, 1, "L")));
  CHECK(s.queued(command::acquire(d, 1, "L")));
  auto r = s.apply(command::release(a, "L", ta));
  REQUIRE(r.reply.has_value());
  // Only the next waiter is woken (no herd): b, with the release's index as token.
  REQUIRE(r.granted.size() == 1);
  CHECK(r.granted[0].session == b);
  CHECK(r.granted[0].token == fencing_token{s.last.value()});
  CHECK(r.granted[0].token > ta);
  CHECK(s.m.find("L")->queue.size() == 2);
  r = s.apply(command::release(b, "L", r.granted[0].token));
  REQUIRE(r.granted.size() == 1);
  CHECK(r.granted[0].session == c);
}

TEST_CASE("lock service: a new request queues behind waiters even when it would fit (no barging)", "[lock]") {
  svc s;
  const session_id a = s.open(), b = s.open(), c = s.open();
  s.granted(command::acquire(a, 1, "L", lock_mode::shared));
  CHECK(s.queued(command::acquire(b, 1, "L", lock_mode::exclusive)));
  // c's shared request is compatible with a's, but the writer b waits first.
  CHECK(s.queued(command::acquire(c, 1, "L", lock_mode::shared)));
}

TEST_CASE("lock service: shared holders coexist; a writer waits for all; readers after it wake together", "[lock]") {
  svc s;
  const session_id r1 = s.open(), r2 = s.open(), w = s.open(), r3 = s.open(), r4 = s.open(), w2 = s.open();
  const auto t1 = s.granted(command::acquire(r1, 1, "L", lock_mode::shared));
  const auto t2 = s.granted(command::acquire(r2, 1, "L", lock_mode::shared));
  CHECK(t1 != t2);
  CHECK(s.queued(command::acquire(w, 1, "L")));
  CHECK(s.queued(command::acquire(r3, 1, "L", lock_mode::shared)));
  CHECK(s.queued(command::acquire(r4, 1, "L", lock_mode::shared)));
  CHECK(s.queued(command::acquire(w2, 1, "L")));
  CHECK(s.apply(command::release(r1, "L", t1)).granted.empty());  // r2 still reads
  auto r = s.apply(command::release(r2, "L", t2));
  REQUIRE(r.granted.size() == 1);
  CHECK(r.granted[0].session == w);
  r = s.apply(command::release(w, "L", r.granted[0].token));
  // The run of readers at the front wakes together, sharing one token; w2 keeps waiting.
  REQUIRE(r.granted.size() == 2);
  CHECK(r.granted[0].session == r3);
  CHECK(r.granted[1].session == r4);
  CHECK(r.granted[0].token == r.granted[1].token);
  CHECK(s.m.find("L")->queue.size() == 1);
}

TEST_CASE("lock service: semaphore permits", "[lock]") {
  svc s;
  const session_id a = s.open(), b = s.open(), c = s.open(), d = s.open();
  const auto ta = s.granted(command::acquire_permits(a, 1, "S", 2, 3));
  CHECK(s.queued(command::acquire_permits(b, 1, "S", 2, 3)));
  CHECK(s.queued(command::acquire_permits(c, 1, "S", 1, 3)));  // fits, but FIFO: behind b
  // More permits than exist, zero permits, a different limit, a lock used as a semaphore.
  CHECK(s.refused(command::acquire_permits(d, 1, "S", 4, 3)) == errc::invalid_argument);
  CHECK(s.refused(command::acquire_permits(d, 1, "S", 0, 3)) == errc::invalid_argument);
  CHECK(s.refused(command::acquire_permits(d, 1, "S", 1, 5)) == errc::conflict);
  CHECK(s.refused(command::acquire(d, 1, "S")) == errc::conflict);
  auto r = s.apply(command::release(a, "S", ta));
  REQUIRE(r.granted.size() == 2);  // b (2) and c (1) fill the 3 permits
  CHECK(r.granted[0].session == b);
  CHECK(r.granted[1].session == c);
  CHECK(r.granted[1].permits == 1);
}

TEST_CASE("lock service: try-acquire fails at once; a deadline times the waiter out", "[lock]") {
  svc s;
  const session_id a = s.open(), b = s.open(), c = s.open();
  const auto ta = s.granted(command::acquire(a, 1, "L"));
  CHECK(s.refused(command::acquire(b, 1, "L", lock_mode::exclusive, 0s)) == errc::conflict);
  CHECK(s.queued(command::acquire(b, 2, "L", lock_mode::exclusive, 500ms)));
  CHECK(s.queued(command::acquire(c, 1, "L", lock_mode::exclusive, 5s)));
  s.at(s.stamp.time_since_epoch() + 499ms).tick();
  CHECK(s.m.find("L")->queue.size() == 2);
  auto r = s.at(s.stamp.time_since_epoch() + 1ms).tick();
  REQUIRE(r.timed_out.size() == 1);
  CHECK(r.timed_out[0].session == b);
  CHECK(r.timed_out[0].request == 2);
  // The retry of a timed-out request is not granted later.
  CHECK(s.refused(command::acquire(b, 2, "L", lock_mode::exclusive, 500ms)) == errc::conflict);
  r = s.apply(command::release(a, "L", ta));
  REQUIRE(r.granted.size() == 1);
  CHECK(r.granted[0].session == c);
}

TEST_CASE("lock service: a retried acquire gets the same answer, never a second grant", "[lock]") {
  svc s;
  const session_id a = s.open(), b = s.open();
  const auto ta = s.granted(command::acquire(a, 7, "L"));
  CHECK(s.granted(command::acquire(a, 7, "L")) == ta);  // duplicate delivery: same token
  CHECK(s.queued(command::acquire(b, 3, "L")));
  CHECK(s.queued(command::acquire(b, 3, "L")));  // still one waiter
  CHECK(s.m.find("L")->queue.size() == 1);
  auto r = s.apply(command::release(a, "L", ta));
  REQUIRE(r.granted.size() == 1);
  const auto tb = r.granted[0].token;
  CHECK(s.granted(command::acquire(b, 3, "L")) == tb);  // lost notification: the retry learns the token
  // a's old request after its release: refused, b keeps the lock.
  CHECK(s.refused(command::acquire(a, 7, "L")) == errc::conflict);
  CHECK(s.refused(command::acquire(a, 6, "L")) == errc::conflict);
  CHECK(s.m.find("L")->holders.size() == 1);
  CHECK(s.m.find("L")->holders[0].session == b);
}

TEST_CASE("lock service: release is bound to the grant's token", "[lock]") {
  svc s;
  const session_id a = s.open(), b = s.open();
  const auto t1 = s.granted(command::acquire(a, 1, "L"));
  const auto tm = s.granted(command::acquire(a, 2, "M"));
  s.ok(command::release(a, "L", t1));
  const auto t2 = s.granted(command::acquire(a, 3, "L"));
  // A late duplicate of the first release cannot free the newer grant.
  CHECK(s.refused(command::release(a, "L", t1)) == errc::conflict);
  CHECK(s.refused(command::release(a, "L", tm)) == errc::invalid_argument);  // M's token on L
  CHECK(s.refused(command::release(b, "L", t2)) == errc::not_found);        // not b's
  CHECK(s.refused(command::release(a, "nope", t2)) == errc::invalid_argument);  // L's token
  CHECK(s.refused(command::release(a, "nope", fencing_token{12345})) == errc::not_found);
  CHECK(s.m.find("L")->holders.at(0).token == t2);
  s.ok(command::release(a, "L", t2));
  CHECK(s.m.find("L") == nullptr);
}

TEST_CASE("lock service: an expired holder's lock waits out the lock-delay, then goes to the next waiter", "[lock]") {
  svc s;
  const session_id a = s.open(1s), b = s.open(10s);
  command acq = command::acquire(a, 1, "L");
  acq.lock_delay = 300ms;
  const auto ta = s.granted(acq);
  CHECK(s.queued(command::acquire(b, 1, "L")));
  auto r = s.at(1s).tick();  // a's session expires holding L
  REQUIRE(r.expired.size() == 1);
  REQUIRE(r.freed.size() == 1);
  CHECK(r.freed[0].token == ta);
  CHECK(r.granted.empty());
  CHECK(s.at(1299ms).tick().granted.empty());
  r = s.at(1300ms).tick();
  REQUIRE(r.granted.size() == 1);
  CHECK(r.granted[0].session == b);
  CHECK(r.granted[0].token > ta);
}

TEST_CASE("lock service: new requests wait out the lock-delay too; close_session has none", "[lock]") {
  svc s;
  const session_id a = s.open(1s), b = s.open(10s), c = s.open(10s);
  s.granted(command::acquire(a, 1, "L"));  // default delay: 1s
  s.at(1s).tick();
  CHECK(s.refused(command::acquire(b, 1, "L", lock_mode::exclusive, 0s)) == errc::conflict);
  s.at(2s).tick();
  const auto tb = s.granted(command::acquire(b, 2, "L"));
  CHECK(s.queued(command::acquire(c, 1, "L")));
  auto r = s.apply(command::close_session(b));
  REQUIRE(r.granted.size() == 1);  // released at once: no delay after a close
  CHECK(r.granted[0].session == c);
  CHECK(r.granted[0].token > tb);
  CHECK(r.freed.empty());
}

TEST_CASE("lock service: lock-delay is capped by the config", "[lock]") {
  svc s;
  const session_id a = s.open();
  command acq = command::acquire(a, 1, "L");
  acq.lock_delay = 61s;
  CHECK(s.refused(acq) == errc::invalid_argument);
  acq.lock_delay = -2ns;
  CHECK(s.refused(acq) == errc::invalid_argument);
  acq.lock_delay = 60s;
  s.granted(acq);
}

TEST_CASE("lock service: an expired session's waiters are dropped", "[lock]") {
  svc s;
  const session_id a = s.open(10s), b = s.open(1s), c = s.open(10s);
  const auto ta = s.granted(command::acquire(a, 1, "L"));
  CHECK(s.queued(command::acquire(b, 1, "L")));
  CHECK(s.queued(command::acquire(c, 1, "L")));
  s.at(1s).tick();
  auto r = s.apply(command::release(a, "L", ta));
  REQUIRE(r.granted.size() == 1);
  CHECK(r.granted[0].session == c);
}

TEST_CASE("lock service: time comes from stamps; a new term sets a new reference", "[lock]") {
  svc s;
  const session_id a = s.open(5s);  // term 1, stamp 0
  s.at(2s).tick();
  CHECK(s.m.now() == 2s);
  s.at(1s).tick();  // a stamp going back within a term: time stands still
  CHECK(s.m.now() == 2s);
  // A new leader whose clock reads 1000s: its first command does not advance time.
  s.t = cohort::term{2};
  s.at(1000s).tick();
  CHECK(s.m.now() == 2s);
  s.at(1002s).tick();
  CHECK(s.m.now() == 4s);
  CHECK(s.m.has_session(a));
  s.at(1003s).tick();
  CHECK_FALSE(s.m.has_session(a));
}

TEST_CASE("lock service: bad input changes nothing", "[lock]") {
  svc s;
  const session_id a = s.open(2s), b = s.open(2s);
  const auto ta = s.granted(command::acquire(a, 1, "L"));
  s.granted(command::acquire_permits(b, 1, "S", 1, 2));
  CHECK(s.queued(command::acquire(b, 2, "L")));
  const lock_service before = s.m;
  auto same = [&](errc want, const command& c) {
    INFO(name_of(c.kind));
    CHECK(s.refused(c) == want);
    CHECK(s.m == before);
  };
  same(errc::invalid_argument, command::open_session(0s));                 // zero TTL
  same(errc::invalid_argument, command::open_session(std::chrono::hours(24 * 365)));  // absurd TTL
  same(errc::invalid_argument, command::open_session(-1s));
  same(errc::not_found, command::keep_alive(session_id{99}));               // unknown session
  same(errc::not_found, command::close_session(session_id{99}));
  same(errc::not_found, command::acquire(session_id{99}, 1, "L"));
  same(errc::invalid_argument, command::acquire(a, 2, ""));
  same(errc::invalid_argument, command::acquire(a, 2, "M", lock_mode::exclusive, -1s));
  same(errc::invalid_argument, command::acquire(a, 2, "M", lock_mode::exclusive, std::chrono::hours(2)));
  same(errc::invalid_argument, command::acquire_permits(a, 2, "S", 3, 2));  // more permits than exist
  same(errc::conflict, command::acquire(a, 2, "S", lock_mode::shared));      // a semaphore
  same(errc::not_found, command::release(b, "L", ta));                       // not held by b
  same(errc::conflict, command::release(a, "L", fencing_token{ta.value() + 100}));
  same(errc::invalid_argument, command::release(a, "S", ta));             // L's token on S
  same(errc::not_found, command::release(a, "T", fencing_token{999}));
  // A session expired by the command's stamp is unknown: time moves on (its
  // locks are freed, as a tick would), nothing else changes.
  s.stamp = s.stamp + 5s;
  auto r = s.apply(command::keep_alive(a));
  CHECK(r.reply.error().code == errc::not_found);
  CHECK(r.expired.size() == 2);
  CHECK(s.m == s.ticked(before));
  CHECK(s.m.now() == before.now() + 5s);
}

TEST_CASE("lock service: malformed payloads are refused and change nothing", "[lock]") {
  svc s;
  const session_id a = s.open();
  s.granted(command::acquire(a, 1, "L"));
  const lock_service before = s.m;
  const auto good = *encode(command::acquire(a, 2, "lock-name", lock_mode::shared, 1s), cohort::mono_time{5s});
  // Every truncation, and one trailing byte.
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto r = s.m.apply(cohort::log_entry{cohort::log_index{100}, cohort::term{1}, cohort::entry_kind::normal,
                                         good.slice(0, n)});
    REQUIRE(r.reply.error().code == errc::malformed_message);
  }
  std::vector<std::byte> longer(good.begin(), good.end());
  longer.push_back(std::byte{0});
  auto mutate = [&](std::size_t at, std::byte v) {
    std::vector<std::byte> c(good.begin(), good.end());
    c[at] = v;
    return cohort::bytes::copy_of(cohort::bytes_view(c));
  };
  for (const auto& bad : {cohort::bytes::copy_of(cohort::bytes_view(longer)), mutate(0, std::byte{2}),
                          mutate(1, std::byte{0}), mutate(1, std::byte{7}), mutate(26, std::byte{3})}) {
    auto r = s.m.apply(cohort::log_entry{cohort::log_index{100}, cohort::term{1}, cohort::entry_kind::normal, bad});
    CHECK(r.reply.error().code == errc::malformed_message);
  }
  CHECK(s.m == before);
}

TEST_CASE("lock service: commands round-trip through the encoding", "[lock]") {
  command acq = command::acquire_permits(session_id{3}, 9, "semaphore/a", 2, 5, 250ms);
  acq.lock_delay = 40ms;
  const std::vector<command> all{command::tick(),         command::open_session(3s, 42),
                                 command::keep_alive(session_id{4}), command::close_session(session_id{5}),
                                 acq,                     command::release(session_id{6}, "x", fencing_token{77})};
  for (command c : all) {
    const auto b = encode(c, cohort::mono_time{123456789ns});
    REQUIRE(b.has_value());
    auto d = decode(*b);
    REQUIRE(d.has_value());
    c.stamp = cohort::mono_time{123456789ns};
    CHECK(*d == c);
  }
  CHECK(encode(command::acquire(session_id{1}, 1, std::string(name_bytes_max + 1, 'x')), {}).error().code ==
        errc::too_large);
}

TEST_CASE("lock service: replicas applying the same entries agree", "[lock]") {
  svc x, y;
  for (svc* s : {&x, &y}) {
    const session_id a = s->open(1s), b = s->open(3s);
    s->granted(command::acquire(a, 1, "L"));
    (void)s->queued(command::acquire(b, 1, "L"));
    s->at(1500ms).tick();
    s->at(2500ms).tick();
  }
  CHECK(x.m == y.m);
  CHECK(x.m.find("L")->holders.at(0).session == session_id{2});
}

TEST_CASE("lock service: locks are not reentrant: one request per session and lock", "[lock]") {
  svc s;
  const session_id a = s.open();
  const auto t = s.granted(command::acquire(a, 1, "L"));
  CHECK(s.refused(command::acquire(a, 2, "L")) == errc::conflict);
  CHECK(s.granted(command::acquire(a, 1, "L")) == t);  // the same request is a retry
  s.granted(command::acquire(a, 3, "M"));
}

TEST_CASE("lock service: a session expiring with the holder's is not granted the lock", "[lock]") {
  svc s;
  const session_id a = s.open(1s), b = s.open(1s), c = s.open(10s);
  command acq = command::acquire(a, 1, "L");
  acq.lock_delay = 0s;
  s.granted(acq);
  CHECK(s.queued(command::acquire(b, 1, "L")));
  CHECK(s.queued(command::acquire(c, 1, "L")));
  auto r = s.at(1s).tick();  // a and b expire at the same instant
  CHECK(r.expired.size() == 2);
  REQUIRE(r.granted.size() == 1);
  CHECK(r.granted[0].session == c);
}

TEST_CASE("lock service: a waiter whose wait ended is not granted at the same instant", "[lock]") {
  svc s;
  const session_id a = s.open(1s), b = s.open(10s), c = s.open(10s);
  command acq = command::acquire(a, 1, "L");
  acq.lock_delay = 0s;
  s.granted(acq);
  CHECK(s.queued(command::acquire(b, 1, "L", lock_mode::exclusive, 1s)));  // its wait ends when a expires
  CHECK(s.queued(command::acquire(c, 1, "L")));
  auto r = s.at(1s).tick();
  REQUIRE(r.timed_out.size() == 1);
  CHECK(r.timed_out[0].session == b);
  REQUIRE(r.granted.size() == 1);
  CHECK(r.granted[0].session == c);
}

TEST_CASE("lock service: grant notices carry the session's owner", "[lock]") {
  svc s;
  const session_id a = s.open();
  const session_id b = s.ok(command::open_session(10s, 77)).session;
  const auto t = s.granted(command::acquire(a, 1, "L"));
  CHECK(s.queued(command::acquire(b, 1, "L")));
  auto r = s.apply(command::release(a, "L", t));
  REQUIRE(r.granted.size() == 1);
  CHECK(r.granted[0].owner == 77);
  CHECK(s.m.owner_of(b) == 77);
}

TEST_CASE("lock service: apply into a reused result clears it first", "[lock]") {
  auto m = *lock_service::create();
  applied out;
  auto entry = [](std::uint64_t i, const command& c, cohort::duration at) {
    return cohort::log_entry{cohort::log_index{i}, cohort::term{1}, cohort::entry_kind::normal,
                             *encode(c, cohort::mono_time{at})};
  };
  m.apply(entry(1, command::open_session(1s), 0s), out);
  const session_id a = out.reply->session;
  m.apply(entry(2, command::open_session(5s), 0s), out);
  const session_id b = out.reply->session;
  m.apply(entry(3, command::acquire(a, 1, "L"), 0s), out);
  m.apply(entry(4, command::acquire(b, 1, "L"), 0s), out);
  CHECK(out.reply->kind == reply_kind::queued);
  m.apply(entry(5, command::tick(), 1s), out);  // a expires; the delay holds L back
  CHECK(out.expired.size() == 1);
  CHECK(out.freed.size() == 1);
  m.apply(entry(6, command::tick(), 2s), out);
  CHECK(out.expired.empty());
  CHECK(out.freed.empty());
  REQUIRE(out.granted.size() == 1);
  CHECK(out.granted[0].token == fencing_token{6});
  m.apply(entry(7, command::keep_alive(a), 2s), out);
  CHECK(out.reply.error().code == errc::not_found);
  CHECK(out.granted.empty());
}
