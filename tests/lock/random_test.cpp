// Random command sequences against the lock service (good and bad commands
// mixed, time moving in random steps, term changes): after every entry the
// invariants hold, and every refused command left the state as a tick at
// its stamp would have.
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
  std::size_t woken = 0, expired = 0, timed_out = 0, refused = 0;
};

void run(std::uint64_t seed, coverage& cov) {
  cohort::xoshiro256ss r(seed);
  auto below = [&](std::uint64_t n) { return cohort::uniform_below(r, n); };
  lock_test::svc s;
  std::vector<session_id> sessions;
  std::map<std::string, fencing_token> last_exclusive;
  std::uint64_t request = 0;
  const char* names[] = {"a", "b", "c"};
  auto note = [&](const grant& g) {
    if (g.mode != lock_mode::exclusive) return;
    auto& last = last_exclusive[g.lock];
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
    switch (below(8)) {
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
        break;
      }
      case 5:
      case 6: {
        fencing_token t{below(s.last.value() + 2)};
        if (const auto* l = s.m.find(name); l != nullptr && !l->holders.empty() && below(4) != 0) {
          const auto& h = l->holders[below(l->holders.size())];
          c = command::release(h.session, name, h.token);
          break;
        }
        c = command::release(any, name, t);
      }
    }
    const lock_service before = s.m;
    auto out = s.apply(c);
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
      const bool answer = c.kind == command_kind::acquire && out.reply.error().code == cohort::errc::conflict &&
                          (why.find("not available") != std::string::npos ||
                           why.find("already completed") != std::string::npos);
      INFO(why);
      if (!answer) REQUIRE(s.m == s.ticked(before));
      continue;
    }
    if (out.reply->kind == reply_kind::session_opened) sessions.push_back(out.reply->session);
    if (out.reply->kind == reply_kind::granted && c.kind == command_kind::acquire &&
        out.reply->token == fencing_token{s.last.value()})
      note(grant{c.session, 0, c.request, c.name, out.reply->token, c.mode, c.permits});

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
  UNSCOPED_INFO("woken " << cov.woken << " expired " << cov.expired << " timed out " << cov.timed_out);
}
