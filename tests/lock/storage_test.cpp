// The lock service's storage, checked through its public interface: the
// lock table (hash index, slot reuse, deletion), equality by content rather
// than layout, the waiter queues over long runs, and the allocation-free
// decoding (command_view) agreeing with decode and encode.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include <cohort/core/random.hpp>
#include <cohort/lock.hpp>

#include "lock_harness.hpp"
#include "support/seeds.hpp"

using namespace std::chrono_literals;
using cohort::errc;
using namespace cohort::lock;
using lock_test::svc;

namespace {

/// Lock names of many shapes: lengths 1 to 40, names differing in one byte,
/// in a byte's high bits, or only in length.
std::vector<std::string> many_names() {
  std::vector<std::string> out;
  for (int i = 0; i < 64; ++i) out.push_back("lock-" + std::to_string(i));
  for (std::size_t n = 1; n <= 40; ++n) out.push_back(std::string(n, 'q'));
  for (int i = 0; i < 16; ++i) out.push_back(std::string("abcdefghijklmnopqrstuvw") + static_cast<char>('A' + i * 8));
  for (int i = 0; i < 8; ++i)
    out.push_back(std::string(1, static_cast<char>(0x41 + 0x20 * (i % 2))) + "x" + static_cast<char>('0' + i));
  out.push_back(std::string("\x80\xff", 2));
  out.push_back(std::string("\x00z", 2));
  return out;
}

}  // namespace

TEST_CASE("lock table: random creation and removal of many locks, checked against a map", "[lock]") {
  const std::vector<std::string> names = many_names();
  for (const std::uint64_t seed : cohort_test::seeds(1, 6)) {
    INFO("seed " << seed << "; replay: "
                 << cohort_test::replay_command("cohort_lock_tests", "lock table: random creation and removal of "
                                                                     "many locks, checked against a map"));
    cohort::xoshiro256ss r(seed);
    svc s;
    const session_id a = s.open(60s);
    std::map<std::string, fencing_token> held;  // the model: lock name -> a's grant
    std::uint64_t request = 0;
    for (int step = 0; step < 1500; ++step) {
      const std::string& name = names[cohort::uniform_below(r, names.size())];
      if (auto it = held.find(name); it != held.end()) {
        REQUIRE(s.ok(command::release(a, name, it->second)).kind == reply_kind::released);
        held.erase(it);  // the lock had no waiter: it is gone
      } else {
        held[name] = s.granted(command::acquire(a, ++request, name));
      }
      // Every name is found exactly when the model holds it, with a's grant.
      for (const std::string& n : names) {
        const auto* l = s.m.find(n);
        const auto it = held.find(n);
        REQUIRE((l != nullptr) == (it != held.end()));
        if (l != nullptr) {
          REQUIRE(l->holders.size() == 1);
          CHECK(l->holders[0].token == it->second);
        }
      }
      // locks() lists them in name order.
      const auto listed = s.m.locks();
      REQUIRE(listed.size() == held.size());
      auto it = held.begin();
      for (const auto& [n, state] : listed) {
        CHECK(n == it->first);
        CHECK(state == s.m.find(it->first));
        ++it;
      }
    }
  }
}

TEST_CASE("lock service: equality compares content, not the order locks were created in", "[lock]") {
  auto run = [](lock_service& m, const std::vector<std::pair<std::uint64_t, command>>& cs) {
    for (auto [index, c] : cs) {
      c.stamp = cohort::mono_time{1s};
      REQUIRE(m.apply(c, cohort::log_index{index}, cohort::term{1}).reply.has_value());
    }
  };
  const session_id s1{1}, s2{2};
  const command open = command::open_session(10s);
  // x creates and drops two locks first (their slots are reused, the index
  // has had deletions); y holds the same two locks without that history; z
  // creates them in the other order (the entries' indexes are the same).
  lock_service x = *lock_service::create(), y = x, z = x;
  run(x, {{1, open}, {2, open}, {3, command::acquire(s1, 1, "tmp-1")}, {4, command::acquire(s2, 1, "tmp-2")},
          {5, command::release(s1, "tmp-1", fencing_token{3})}, {6, command::release(s2, "tmp-2", fencing_token{4})},
          {7, command::acquire(s1, 2, "alpha")}, {8, command::acquire(s2, 2, "beta")}});
  run(y, {{1, open}, {2, open}, {3, command::tick()}, {4, command::tick()}, {5, command::tick()},
          {6, command::tick()}, {7, command::acquire(s1, 2, "alpha")}, {8, command::acquire(s2, 2, "beta")}});
  run(z, {{1, open}, {2, open}, {3, command::tick()}, {4, command::tick()}, {5, command::tick()},
          {6, command::tick()}, {8, command::acquire(s2, 2, "beta")}, {7, command::acquire(s1, 2, "alpha")}});
  CHECK(x == y);
  CHECK(x == z);
  CHECK(z.locks().size() == 2);
  // A difference in one lock is seen.
  run(z, {{9, command::release(s2, "beta", fencing_token{8})}});
  CHECK_FALSE(x == z);
  run(x, {{9, command::release(s2, "beta", fencing_token{8})}});
  CHECK(x == z);
}

TEST_CASE("lock service: the name hash seed changes the table's layout, never a result", "[lock]") {
  const std::vector<std::string> names = many_names();
  service_config seeded;
  seeded.name_hash_seed = 0x5eed'1234'abcd'9876ULL;
  lock_service a = *lock_service::create(), b = *lock_service::create(seeded);
  cohort::xoshiro256ss r(11);
  std::uint64_t index = 0;
  auto both = [&](command c) {
    c.stamp = cohort::mono_time{1s};
    ++index;
    const applied x = a.apply(c, cohort::log_index{index}, cohort::term{1});
    const applied y = b.apply(c, cohort::log_index{index}, cohort::term{1});
    REQUIRE(x.reply.has_value() == y.reply.has_value());
    if (x.reply) CHECK(*x.reply == *y.reply);
    CHECK(x.granted == y.granted);
  };
  both(command::open_session(60s));
  both(command::open_session(60s));
  for (int step = 0; step < 600; ++step) {
    const std::string& name = names[cohort::uniform_below(r, names.size())];
    const session_id who{1 + cohort::uniform_below(r, 2)};
    if (cohort::uniform_below(r, 2) == 0) {
      both(command::acquire(who, index + 1, name));
    } else {
      const auto* l = a.find(name);
      if (l == nullptr || l->holders.empty()) continue;
      both(command::release(l->holders.front().session, name, l->holders.front().token));
    }
  }
  const auto la = a.locks(), lb = b.locks();
  REQUIRE(la.size() == lb.size());
  CHECK(la.size() > 10);
  for (std::size_t k = 0; k < la.size(); ++k) {
    CHECK(la[k].name == lb[k].name);
    CHECK(*la[k].state == *lb[k].state);
  }
}

TEST_CASE("lock service: a queue keeps FIFO order over many hand-offs and removals", "[lock]") {
  svc s;
  std::vector<session_id> ss;
  for (int i = 0; i < 6; ++i) ss.push_back(s.open(60s));
  std::vector<std::uint64_t> req(ss.size(), 0);
  fencing_token held = s.granted(command::acquire(ss[0], ++req[0], "L"));
  for (std::size_t i = 1; i < ss.size(); ++i) REQUIRE(s.queued(command::acquire(ss[i], ++req[i], "L")));
  // Round robin: the holder releases and queues again, 3000 times.
  std::size_t holder = 0;
  for (int k = 0; k < 3000; ++k) {
    auto r = s.apply(command::release(ss[holder], "L", held));
    REQUIRE(r.granted.size() == 1);
    const std::size_t next = (holder + 1) % ss.size();
    REQUIRE(r.granted[0].session == ss[next]);
    REQUIRE(s.queued(command::acquire(ss[holder], ++req[holder], "L")));
    held = r.granted[0].token;
    holder = next;
    REQUIRE(s.m.find("L")->queue.size() == ss.size() - 1);
  }
  // Removing a waiter from the middle keeps the others' order.
  const std::size_t gone = (holder + 2) % ss.size();
  s.ok(command::close_session(ss[gone]));
  std::vector<session_id> want;
  for (std::size_t k = 1; k < ss.size(); ++k)
    if ((holder + k) % ss.size() != gone) want.push_back(ss[(holder + k) % ss.size()]);
  std::vector<session_id> got;
  for (const auto& w : s.m.find("L")->queue) got.push_back(w.session);
  CHECK(got == want);
}

TEST_CASE("lock commands: command_view encodes as command does, and decode_view reads in place", "[lock]") {
  const std::string name = "a/lock/name/longer/than/sixteen/bytes";
  command c = command::acquire_permits(session_id{7}, 11, name, 2, 9, 3s);
  c.lock_delay = 20ms;
  command_view v = command_view::acquire_permits(session_id{7}, 11, name, 2, 9, 3s);
  v.lock_delay = 20ms;
  CHECK(view_of(c) == v);
  const auto a = encode(c, cohort::mono_time{5s});
  const auto b = encode(v, cohort::mono_time{5s});
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(std::equal(a->begin(), a->end(), b->begin(), b->end()));
  const auto d = decode_view(a->view());
  REQUIRE(d.has_value());
  CHECK(d->name == name);
  // The name refers to the payload's own bytes: nothing was copied.
  CHECK(reinterpret_cast<const std::byte*>(d->name.data()) >= a->data());
  CHECK(reinterpret_cast<const std::byte*>(d->name.data()) + d->name.size() == a->data() + a->size());
  const auto full = decode(a->view());
  REQUIRE(full.has_value());
  CHECK(view_of(*full) == *d);
  // Malformed: every truncation, the same error as decode gives.
  for (std::size_t n = 0; n < a->size(); ++n) {
    const auto t = a->slice(0, n);
    const auto e1 = decode_view(t.view());
    const auto e2 = decode(t.view());
    REQUIRE_FALSE(e1.has_value());
    REQUIRE_FALSE(e2.has_value());
    CHECK(e1.error() == e2.error());
  }
  const std::string too_long(name_bytes_max + 1, 'x');
  CHECK(encode(command_view::release(session_id{1}, too_long, fencing_token{1}), {}).error().code == errc::too_large);
}

TEST_CASE("lock commands: hostile bytes are refused, or decode to a command that encodes to the same bytes",
          "[lock][random]") {
  command acq = command::acquire_permits(session_id{3}, 9, "pool/a", 2, 5, 250ms);
  acq.lock_delay = 40ms;
  std::vector<cohort::bytes> valid;
  for (const command& c : {command::tick(), command::open_session(3s, 42), command::keep_alive(session_id{4}),
                           command::close_session(session_id{5}), acq, command::acquire(session_id{6}, 1, "L"),
                           command::release(session_id{6}, "a-longer-lock-name", fencing_token{77}),
                           command::bind(session_id{6}, "bound/lock"),
                           command::acquire_handle(session_id{6}, 4, lock_handle{3}, lock_mode::shared, 1s),
                           command::release_handle(session_id{6}, lock_handle{3}, fencing_token{78})})
    valid.push_back(*encode(c, cohort::mono_time{123456789ns}));
  // A service with state, which no malformed payload may change.
  svc s;
  const session_id a = s.open();
  s.granted(command::acquire(a, 1, "L"));
  const lock_service before = s.m;
  for (const std::uint64_t seed : cohort_test::seeds(1, 4)) {
    INFO("seed " << seed);
    cohort::xoshiro256ss r(seed);
    auto below = [&](std::uint64_t n) { return cohort::uniform_below(r, n); };
    std::size_t refused = 0, accepted = 0;
    for (int i = 0; i < 8000; ++i) {
      const cohort::bytes& base = valid[below(valid.size())];
      std::vector<std::byte> v(base.begin(), base.end());
      switch (below(5)) {
        case 0:  // one to three bytes overwritten
          for (std::uint64_t k = 1 + below(3); k > 0 && !v.empty(); --k) v[below(v.size())] = std::byte(below(256));
          break;
        case 1: v.resize(below(v.size() + 1)); break;  // truncated
        case 2:                                         // trailing bytes
          for (std::uint64_t k = 1 + below(4); k > 0; --k) v.push_back(std::byte(below(256)));
          break;
        case 3:  // random bytes behind a valid version byte
          v.assign(below(80), std::byte{0});
          for (auto& b : v) b = std::byte(below(256));
          if (!v.empty()) v[0] = std::byte{1};
          break;
        default:  // the kind, or a name length field (acquire: offset 51, release: 26, bind: 18), set at random
          if (v.size() > 1) v[1] = std::byte(below(12));
          if (v.size() > 52) v[51 + below(2)] = std::byte(below(256));
          else if (v.size() > 27) v[26 + below(2)] = std::byte(below(256));
          else if (v.size() > 19) v[18 + below(2)] = std::byte(below(256));
          break;
      }
      // In a buffer of exactly its size, so that the sanitizers catch a read past it.
      const cohort::bytes payload = cohort::bytes::copy_of(cohort::bytes_view(v));
      const auto d = decode_view(payload.view());
      if (!d) {
        ++refused;
        REQUIRE(d.error().code == errc::malformed_message);
        REQUIRE_FALSE(decode(payload.view()).has_value());
        if (i % 64 == 0) {
          const auto out = s.m.apply(cohort::log_entry{cohort::log_index{100}, cohort::term{1},
                                                       cohort::entry_kind::normal, payload});
          REQUIRE(out.reply.error().code == errc::malformed_message);
          REQUIRE(s.m == before);
        }
        continue;
      }
      ++accepted;
      // Every field is fixed-width and checked, so an accepted payload is canonical.
      const auto again = encode(*d, d->stamp);
      REQUIRE(again.has_value());
      REQUIRE(std::equal(again->begin(), again->end(), payload.begin(), payload.end()));
      const auto full = decode(payload.view());
      REQUIRE(full.has_value());
      REQUIRE(view_of(*full) == *d);
    }
    CHECK(refused > 500);
    CHECK(accepted > 500);
  }
}
