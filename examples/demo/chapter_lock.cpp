// Chapter 6: locks - a paused holder fenced off; a crashed holder's lock
// handed to the next waiter after its lease and the lock-delay.
//
// The lock service is a state machine: here we feed it commands the way a
// Raft leader would (each stamped with the leader's clock, each at the next
// log index), so the chapter shows the service's decisions one by one. The
// same service over a 3-node raft::node cluster is examples/lock_tutorial.cpp.
#include <cohort/lock.hpp>

#include <chrono>
#include <string>

#include "demo.hpp"

namespace {

using namespace std::chrono_literals;
namespace lk = cohort::lock;

/// The service and the log position it is at; `at(t)` sets the leader's clock.
struct leader_log {
  lk::lock_service service = *lk::lock_service::create(config());
  cohort::log_index index{0};
  cohort::duration clock{};

  static lk::service_config config() {
    lk::service_config c;
    c.lock_delay = 500ms;
    return c;
  }
  lk::applied apply(const lk::command& c) {
    ++index;
    auto payload = lk::encode(c, cohort::mono_time{clock});
    return service.apply(cohort::log_entry{index, cohort::term{1}, cohort::entry_kind::normal, *payload});
  }
  std::string time() const { return fmt::format("t={:.1f}s", std::chrono::duration<double>(clock).count()); }
};

struct client {
  std::string name;
  lk::session_id session{};
  lk::lease_tracker lease = *lk::lease_tracker::create({200, 50ms});
  lk::fencing_token token{};
};

bool open(leader_log& log, client& c) {
  const auto sent = cohort::mono_time{log.clock};
  auto r = log.apply(lk::command::open_session(2s));
  if (!r.reply) return false;
  c.session = r.reply->session;
  c.lease.renewed(sent, r.reply->ttl);
  return true;
}

bool write(lk::fence& f, const client& c, const char* what) {
  if (auto ok = f.admit(c.token); !ok) {
    demo::say("  resource refuses {}'s {} (token {}): {}", c.name, what, c.token.value(), ok.error().message);
    return false;
  }
  demo::say("  resource accepts {}'s {} (token {})", c.name, what, c.token.value());
  return true;
}

bool paused_holder() {
  demo::say("1. A holder pauses past its lease with a write in flight.");
  leader_log log;
  lk::fence f;
  client a{"A"}, b{"B"};
  if (!open(log, a) || !open(log, b)) return false;
  auto ra = log.apply(lk::command::acquire(a.session, 1, "db"));
  if (!ra.reply || ra.reply->kind != lk::reply_kind::granted) return false;
  a.token = ra.reply->token;
  demo::say("{} A holds 'db' with token {}; B queues behind it", log.time(), a.token.value());
  if (!log.apply(lk::command::acquire(b.session, 1, "db")).reply) return false;
  if (!write(f, a, "first write")) return false;
  demo::say("{} A checks its lease (valid for {:.2f}s more), sends a write, and freezes", log.time(),
            std::chrono::duration<double>(a.lease.remaining(cohort::mono_time{log.clock})).count());
  bool handed = false;
  for (int i = 0; i < 40 && !handed; ++i) {
    log.clock += 100ms;
    if (i % 5 == 0)
      if (auto k = log.apply(lk::command::keep_alive(b.session)); k.reply)
        b.lease.renewed(cohort::mono_time{log.clock}, k.reply->ttl);
    auto r = log.apply(lk::command::tick());
    if (!r.expired.empty()) demo::say("{} A's session expires; 'db' waits out its 500 ms lock-delay", log.time());
    for (const auto& g : r.granted) {
      b.token = g.token;
      handed = true;
      demo::say("{} B is granted 'db' with token {}", log.time(), g.token.value());
    }
  }
  if (!handed || !write(f, b, "write")) return false;
  demo::say("{} A wakes: its lease says {}; its old write arrives anyway:", log.time(),
            a.lease.valid(cohort::mono_time{log.clock}) ? "valid (!)" : "expired");
  return !write(f, a, "late write") && !a.lease.valid(cohort::mono_time{log.clock});
}

bool crashed_holder() {
  demo::say("");
  demo::say("2. A holder crashes; the next waiter gets the lock, and only it.");
  leader_log log;
  client a{"A"}, b{"B"}, c{"C"};
  if (!open(log, a) || !open(log, b) || !open(log, c)) return false;
  (void)log.apply(lk::command::acquire(a.session, 1, "job"));
  (void)log.apply(lk::command::acquire(b.session, 1, "job"));
  (void)log.apply(lk::command::acquire(c.session, 1, "job"));
  demo::say("{} A holds 'job'; B then C wait in FIFO order; A crashes", log.time());
  cohort::duration expired_at{}, granted_at{};
  std::size_t woken = 0;
  for (int i = 0; i < 40 && granted_at == cohort::duration{}; ++i) {
    log.clock += 100ms;
    if (i % 5 == 0) {
      (void)log.apply(lk::command::keep_alive(b.session));
      (void)log.apply(lk::command::keep_alive(c.session));
    }
    auto r = log.apply(lk::command::tick());
    if (!r.freed.empty()) expired_at = log.clock;
    for (const auto& g : r.granted) {
      granted_at = log.clock;
      ++woken;
      demo::say("{} session {} granted 'job' (token {}); the other waiter was not woken", log.time(),
                g.session == b.session ? "B" : "C", g.token.value());
    }
  }
  demo::say("A's session expired at t={:.1f}s, the lock-delay ended at t={:.1f}s",
            std::chrono::duration<double>(expired_at).count(), std::chrono::duration<double>(granted_at).count());
  const auto* st = log.service.find("job");
  return woken == 1 && st != nullptr && st->holders.size() == 1 && st->holders[0].session == b.session &&
         st->queue.size() == 1 && granted_at - expired_at >= 500ms;
}

bool run() {
  return paused_holder() && crashed_holder();
}

const demo::register_chapter reg(6, "Locks: a paused holder fenced off, a crashed holder's lock handed on", run);

}  // namespace
