// Random command sequences against the lock service (good and bad commands
// mixed, by name and by handle, time moving in random steps, term changes):
// after every entry the invariants hold, every refused command left the
// state as a tick at its stamp would have, and the entry (which the fast
// path may take) did exactly what the same command applied through
// apply(command, index, term) (the general path only) did to a twin.
#include <catch2/catch.hpp>

#include <map>

#include <cohort/core/random.hpp>
#include <cohort/lock.hpp>

#include "lock_harness.hpp"
#include "support/seeds.hpp"

using namespace std::chrono_literals;
using namespace cohort::lock;

namespace {

/// The invariants, checked from the outside by a plain reading of the state.
std::string violation(const lock_service& m, cohort::duration now) {
  for (const auto& [lock_name, state] : m.locks()) {
    const std::string name(lock_name);
    const lock_service::lock_state& l = *state;
    std::uint64_t used = 0;
    bool exclusive = false;
    for (const auto& h : l.holders) {
      used += h.permits;
      exclusive = exclusive || h.mode == lock_mode::exclusive;
      if (!m.has_session(h.session)) return name + ": holder of a dead session";
    }
    for (const auto& w : l.queue)
      if (!m.has_session(w.session)) return name + ": waiter of a dead session";
    if (exclusive && l.holders.size() != 1) return name + ": exclusive holder not alone";
    if (l.semaphore && used > l.limit) return name + ": permits over the limit";
    const bool delayed = now.count() < l.delay_until;
    if (l.holders.empty() && l.queue.empty() && !delayed) return name + ": idle lock kept";
    if (!delayed && !l.queue.empty()) {
      const auto& f = l.queue.front();
      const bool fits = l.semaphore ? used + f.permits <= l.limit
                                    : (f.mode == lock_mode::exclusive ? l.holders.empty() : !exclusive);
      if (fits) return name + ": the first waiter fits but waits";
    }
  }
  return {};
}

struct coverage {
  std::size_t woken = 0, expired = 0, timed_out = 0, refused = 0, by_handle = 0, by_handle_done = 0;
};

/// The two results agree (errors by code and message).
void require_same(const applied& a, const applied& b) {
  REQUIRE(a.reply.has_value() == b.reply.has_value());
  if (a.reply) {
    REQUIRE(*a.reply == *b.reply);
  } else {
    REQUIRE(a.reply.error().code == b.reply.error().code);
    REQUIRE(a.reply.error().message == b.reply.error().message);
  }
  REQUIRE(a.granted == b.granted);
  REQUIRE(a.timed_out == b.timed_out);
  REQUIRE(a.freed == b.freed);
  REQUIRE(a.expired == b.expired);
}

void run(std::uint64_t seed, coverage& cov) {
  cohort::xoshiro256ss r(seed);
  auto below = [&](std::uint64_t n) { return cohort::uniform_below(r, n); };
  lock_test::svc s;
  lock_service twin = s.m;  // applies each command through the general path only
  std::vector<session_id> sessions;
  std::map<std::string, fencing_token> last_exclusive;
  std::map<std::pair<std::uint64_t, std::string>, lock_handle> handles;  // (session, lock) -> handle
  std::uint64_t request = 0;
  const char* names[] = {"a", "b", "c"};
  auto note = [&](const grant& g) {
    if (g.mode != lock_mode::exclusive) return;
    // A request by handle is told its handle, not the name.
    const std::string name = g.handle == lock_handle{} ? g.lock : std::string(*s.m.lock_of(g.session, g.handle));
    if (g.handle != lock_handle{}) REQUIRE(g.lock.empty());
    auto& last = last_exclusive[name];
    REQUIRE(g.token > last);
    last = g.token;
  };
  for (int step = 0; step < 3000; ++step) {
    s.stamp += std::chrono::milliseconds(below(3) == 0 ? below(800) : below(20));
    if (below(200) == 0) s.t = s.t + 1;
    std::erase_if(sessions, [&](session_id x) { return !s.m.has_session(x); });
    const session_id any = sessions.empty() || below(10) == 0 ? session_id{below(50)} : sessions[below(sessions.size())];
    const std::string name = names[below(3)];
    command c;
    // The handle `any` has on `name`, if any; sometimes a wrong one.
    auto handle_of = [&]() {
      if (below(12) == 0) return lock_handle{below(8)};
      const auto it = handles.find({any.value(), name});
      return it == handles.end() ? lock_handle{below(4)} : it->second;
    };
    switch (below(9)) {
      case 8: c = command::bind(any, below(20) == 0 ? std::string() : name); break;
      case 0: c = command::open_session(std::chrono::milliseconds(below(4) == 0 ? below(200) : 300 + below(3000))); break;
      case 1: c = command::keep_alive(any); break;
      case 7:
        if (!sessions.empty()) {  // keep the oldest sessions alive longer
          c = command::keep_alive(sessions[below(std::min<std::size_t>(sessions.size(), 3))]);
          break;
        }
        [[fallthrough]];
      case 2: c = below(8) == 0 ? command::close_session(any) : command::tick(); break;
      case 3:
      case 4: {
        const auto wait = below(3) == 0 ? 0ms : (below(2) == 0 ? wait_forever : std::chrono::milliseconds(below(2000)));
        c = name == std::string("c") ? command::acquire_permits(any, ++request, name, 1 + static_cast<std::uint32_t>(below(3)), 3, wait)
                                     : command::acquire(any, below(6) == 0 ? request : ++request, name,
                                                        below(2) == 0 ? lock_mode::shared : lock_mode::exclusive, wait);
        if (below(4) == 0) c.lock_delay = std::chrono::milliseconds(below(500));
        if (below(2) == 0) {
          c.kind = command_kind::acquire_handle;
          c.handle = handle_of();
          c.name.clear();
        }
        break;
      }
      case 5:
      case 6: {
        fencing_token t{below(s.last.value() + 2)};
        if (const auto* l = s.m.find(name); l != nullptr && !l->holders.empty() && below(4) != 0) {
          const auto& h = l->holders[below(l->holders.size())];
          c = command::release(h.session, name, h.token);
        } else {
          c = command::release(any, name, t);
        }
        if (below(2) == 0) {
          const auto it = handles.find({c.session.value(), name});
          c = command::release_handle(c.session, it != handles.end() && below(8) != 0 ? it->second
                                                                                      : lock_handle{below(6)},
                                      c.token);
        }
      }
    }
    const lock_service before = s.m;
    auto out = s.apply(c);
    {  // the twin, through the general path: the same result and state
      command tc = c;
      tc.stamp = s.stamp;
      const applied general = twin.apply(tc, s.last, s.t);
      require_same(out, general);
      REQUIRE(s.m == twin);
    }
    if (c.kind == command_kind::acquire_handle || c.kind == command_kind::release_handle) ++cov.by_handle;
    // Timers ran first, whether the command was accepted or not.
    for (const grant& g : out.granted) note(g);
    cov.woken += out.granted.size();
    cov.expired += out.expired.size();
    cov.timed_out += out.timed_out.size();
    if (!out.reply) {
      ++cov.refused;
      // Bad input changes nothing. A busy try-acquire and a retry of a
      // finished request are answers, not bad input: time moves on for them.
      const std::string& why = out.reply.error().message;
      const bool acquire = c.kind == command_kind::acquire || c.kind == command_kind::acquire_handle;
      const bool answer = acquire && out.reply.error().code == cohort::errc::conflict &&
                          (why.find("not available") != std::string::npos ||
                           why.find("already completed") != std::string::npos);
      INFO(why);
      if (!answer) REQUIRE(s.m == s.ticked(before));
      continue;
    }
    if (out.reply->kind == reply_kind::session_opened) sessions.push_back(out.reply->session);
    if (c.kind == command_kind::acquire_handle || c.kind == command_kind::release_handle) ++cov.by_handle_done;
    if (out.reply->kind == reply_kind::bound) {
      const lock_handle h = out.reply->handle;
      REQUIRE(*s.m.lock_of(c.session, h) == c.name);
      const auto [it, fresh] = handles.emplace(std::pair{c.session.value(), c.name}, h);
      REQUIRE(it->second == h);  // a session binding a lock again gets the same handle
      (void)fresh;
    }
    if (out.reply->kind == reply_kind::granted && out.reply->token == fencing_token{s.last.value()}) {
      if (c.kind == command_kind::acquire) note(grant{c.session, 0, c.request, c.name, out.reply->token, c.mode, c.permits});
      if (c.kind == command_kind::acquire_handle)
        note(grant{c.session, 0, c.request, {}, out.reply->token, c.mode, c.permits, c.handle});
    }

    const std::string v = violation(s.m, s.m.now());
    INFO("seed " << seed << " step " << step);
    REQUIRE(v.empty());
  }
}

}  // namespace

TEST_CASE("lock service: invariants and unchanged state on refusal over random commands", "[lock][random]") {
  coverage cov;
  for (std::uint64_t seed : cohort_test::seeds(1, 20)) run(seed, cov);
  // The runs reached the interesting paths.
  CHECK(cov.woken > 0);
  CHECK(cov.expired > 0);
  CHECK(cov.timed_out > 0);
  CHECK(cov.refused > 0);
  CHECK(cov.by_handle > 1000);
  CHECK(cov.by_handle_done > 300);  // granted, queued or released by handle
  UNSCOPED_INFO("by handle " << cov.by_handle << ", done " << cov.by_handle_done);
  UNSCOPED_INFO("woken " << cov.woken << " expired " << cov.expired << " timed out " << cov.timed_out);
}
