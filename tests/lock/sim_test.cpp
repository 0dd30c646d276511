// The lock service and the counter over 3- and 5-node Raft clusters in the
// simulator: partitions, loss, duplication, reordering, crashes and restarts
// of servers, clock drift within the bound the clients' lease trackers are
// given (no clock steps: a forward step is outside any drift bound).
//
// Lock clients open a session, keep it alive, acquire one lock "L" (waiting
// in its queue), write a fenced resource a few times while their lease is
// valid, and release. Some writes are held up past the lease (a paused
// holder). Checked after every event:
//   - lease safety: at most one client holds L with a valid lease (its
//     tracker, on its own drifting clock, says so);
//   - fencing: every write the resource accepts carries the token the service
//     granted to its writer, and never a token below one already accepted.
// At the end: the client histories, with each session expiry that freed L as
// a release by its owner, are linearizable for the checker's mutex model.
// Counter clients add and read with retries; their history must be
// linearizable for the counter model, every add applied exactly once.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include <cohort/check.hpp>
#include <cohort/core/random.hpp>
#include <cohort/lock.hpp>

#include "lock_sim.hpp"
#include "support/seeds.hpp"

using namespace std::chrono_literals;
using cohort::node_id;
using namespace cohort::lock;

namespace {

// ---------------------------------------------------------------------------
// The lock service as a server application.

struct lock_answer {
  bool ok = false;
  cohort::errc code{};
  reply rep{};
  std::uint64_t request = 0;  ///< notices: the waiter's request id
  bool notice = false;        ///< a granted waiter's notice (not an answer to a request)
};

/// Sees (index, what it did, the service after it) on every server.
using lock_observer = std::function<void(const cohort::log_entry&, const applied&, const lock_service&)>;

struct lock_app {
  using request = command;
  using answer = lock_answer;

  lock_service svc;
  lock_observer observe;

  cohort::bytes encode(const command& c, cohort::mono_time stamp) const { return *cohort::lock::encode(c, stamp); }
  cohort::bytes tick(cohort::mono_time stamp) const { return *cohort::lock::encode(command::tick(), stamp); }
  template <class Notify>
  lock_answer apply(const cohort::log_entry& e, Notify&& notify) {
    const applied out = svc.apply(e);
    if (observe) observe(e, out, svc);
    for (const grant& g : out.granted)
      notify(node_id{g.owner}, 0, lock_answer{true, {}, reply{reply_kind::granted, g.session, g.token, {}}, g.request, true});
    if (!out.reply) return lock_answer{false, out.reply.error().code, {}, 0, false};
    return lock_answer{true, {}, *out.reply, 0, false};
  }
};

using lock_server = lock_sim::server<lock_app>;
using lock_cluster = cohort::sim::cluster<lock_server>;
using lock_msg = lock_server::message;
using mutex_history = cohort::check::history<cohort::check::mutex_input, cohort::check::mutex_output>;

constexpr auto session_ttl = 1s;
constexpr auto retry_every = 300ms;
const std::string lock_name = "L";

/// The protected resource: a fence and a record of what it accepted.
struct resource {
  fence f;
  std::size_t accepted = 0, rejected = 0;
};

/// Everything the checks need, shared by clients and servers.
struct lock_world {
  lock_cluster* cl = nullptr;
  mutex_history hist;
  resource res;
  std::map<std::uint64_t, std::uint64_t> grant_owner;  ///< token -> owner, from the first apply of each grant
  std::set<std::uint64_t> seen;                          ///< indexes applied somewhere already
  std::size_t expiries = 0, handoffs = 0, paused_writes = 0, crashes = 0, handoffs_after_expiry = 0;
  bool freed_by_expiry = false;  ///< L's last change was an expiry
  cohort::duration freed_at{};   ///< when, on the service's clock

  /// First apply of each index: record grants, and frees by expiry as releases.
  void on_apply(const cohort::log_entry& e, const applied& out, const lock_service& svc) {
    if (!seen.insert(e.index.value()).second) return;
    for (const grant& g : out.freed) {
      if (g.lock != lock_name) continue;
      ++expiries;
      freed_by_expiry = true;
      freed_at = svc.now();
      const auto id = hist.invoke(g.owner, cohort::check::mutex_input::unlock(g.owner));
      (void)hist.ok(id, cohort::check::mutex_output{true, 0});
    }
    for (const grant& g : out.granted) on_grant(g.token, g.owner, svc);
    if (out.reply && out.reply->kind == reply_kind::granted && out.reply->token == fencing_token{e.index.value()})
      if (const auto* l = svc.find(lock_name))
        for (const auto& h : l->holders)
          if (h.token == out.reply->token && h.session == out.reply->session) on_grant(h.token, svc.owner_of(h.session), svc);
    if (out.reply && out.reply->kind == reply_kind::released) freed_by_expiry = false;
  }

  /// A grant of L: after an expiry, only once the lock-delay has passed.
  void on_grant(fencing_token t, std::uint64_t owner, const lock_service& svc) {
    grant_owner[t.value()] = owner;
    ++handoffs;
    if (freed_by_expiry) {
      ++handoffs_after_expiry;
      if (svc.now() < freed_at + lock_delay)
        cl->fail("L granted " + std::to_string((svc.now() - freed_at).count()) +
                 "ns after an expiry freed it, within the lock-delay");
    }
    freed_by_expiry = false;
  }
  static constexpr cohort::duration lock_delay = 200ms;
};

class lock_client {
 public:
  lock_client(lock_world& w, node_id id, std::size_t cycles, std::int64_t drift_ppm_max)
      : w_(&w), id_(id), cycles_(cycles), rng_(w.cl->rng().fork()),
        clk_(w.cl->scheduler(), cohort::sim::draw_clock_params(rng_, 1s, drift_ppm_max)),
        lease_(*lease_tracker::create({drift_ppm_max, 50ms})) {
    auto ep = w.cl->add_client(id, [this](node_id, lock_msg&& m) { on_message(m); });
    REQUIRE(ep.has_value());
    ep_.emplace(*ep);
    every(50ms, [this] { step(); });
    every(200ms, [this] { keep_alive(); });
  }

  [[nodiscard]] bool done() const noexcept { return finished_ >= cycles_ && phase_ == phase::idle; }
  /// Holds L and may act on it now (the lease-safety check).
  [[nodiscard]] bool acting_holder() { return phase_ == phase::holding && lease_.valid(clk_.now()); }
  [[nodiscard]] node_id id() const noexcept { return id_; }
  [[nodiscard]] std::string describe() const {
    return "client " + std::to_string(id_.value()) + " phase " + std::to_string(static_cast<int>(phase_)) +
           " session " + std::to_string(session_.value()) + " finished " + std::to_string(finished_) + " request " +
           std::to_string(request_) + " attempts " + std::to_string(attempts_);
  }

 private:
  enum class phase { idle, acquiring, holding, releasing };
  enum class purpose { open, keep_alive, acquire, release };
  struct sent {
    purpose p;
    cohort::mono_time at;
    session_id session;
    std::uint64_t tag;  ///< acquire: the request id; release: the token
  };

  void every(cohort::duration d, std::function<void()> fn) {
    w_->cl->scheduler().after(d, [this, d, fn] {
      fn();
      every(d, fn);
    });
  }

  void send(const command& c, purpose p) {
    const std::uint64_t op = ++ops_;
    const std::uint64_t tag = p == purpose::acquire ? c.request : (p == purpose::release ? c.token.value() : 0);
    pending_[op] = sent{p, clk_.now(), c.session, tag};
    lock_msg m;
    m.k = lock_msg::kind::request;
    m.op = op;
    m.req = c;
    const auto& servers = w_->cl->servers();
    const node_id to = guess_ != cohort::no_node ? guess_ : servers[cohort::uniform_below(rng_, servers.size())];
    ep_->send(to, std::move(m));
  }

  // ---- the loop ---------------------------------------------------------------

  void step() {
    if (down_) return;
    if (phase_ == phase::holding && cohort::chance(rng_, 1, 40)) return crash();
    if (session_ == session_id{}) {
      if (w_->cl->now() >= next_open_) {
        send(command::open_session(session_ttl, id_.value()), purpose::open);
        next_open_ = w_->cl->now() + retry_every;
      }
      return;
    }
    switch (phase_) {
      case phase::idle:
        if (finished_ < cycles_ && cohort::chance(rng_, 1, 3)) start_acquire();
        break;
      case phase::acquiring:
        if (w_->cl->now() >= next_retry_) resend(command::acquire(session_, request_, lock_name), purpose::acquire);
        break;
      case phase::holding: write_or_release(); break;
      case phase::releasing:
        if (w_->cl->now() >= next_retry_) resend(command::release(session_, lock_name, token_), purpose::release);
        break;
    }
  }

  void resend(const command& c, purpose p) {
    ++attempts_;
    next_retry_ = w_->cl->now() + retry_every;
    if (attempts_ > 1) guess_ = node_id{};
    send(c, p);
  }

  void start_acquire() {
    request_ = ++requests_;
    hist_op_ = w_->hist.invoke(id_.value(), cohort::check::mutex_input::lock(id_.value()));
    phase_ = phase::acquiring;
    attempts_ = 0;
    next_retry_ = w_->cl->now();
    resend(command::acquire(session_, request_, lock_name), purpose::acquire);
  }

  void write_or_release() {
    if (writes_ < 3 && lease_.valid(clk_.now())) {
      ++writes_;
      // The write reaches the resource after a network delay, or, for a
      // paused holder, long after its lease ended.
      const bool paused = cohort::chance(rng_, 1, 10);
      if (paused) ++w_->paused_writes;
      const auto delay = paused ? session_ttl * 2 : cohort::duration{static_cast<std::int64_t>(cohort::uniform_below(rng_, 5'000'000))};
      const fencing_token t = token_;
      const std::uint64_t me = id_.value();
      w_->cl->scheduler().after(delay, [w = w_, t, me] { write(*w, t, me); });
      return;
    }
    phase_ = phase::releasing;  // stop acting as holder before asking to release
    attempts_ = 0;
    hist_op_ = w_->hist.invoke(id_.value(), cohort::check::mutex_input::unlock(id_.value()));
    resend(command::release(session_, lock_name, token_), purpose::release);
  }

  static void write(lock_world& w, fencing_token t, std::uint64_t writer) {
    if (!w.res.f.admit(t)) {
      ++w.res.rejected;
      return;
    }
    ++w.res.accepted;
    auto it = w.grant_owner.find(t.value());
    if (it == w.grant_owner.end() || it->second != writer)
      w.cl->fail("the resource accepted token " + std::to_string(t.value()) + " from client " +
                 std::to_string(writer) + ", which was not granted it");
  }

  // ---- answers -----------------------------------------------------------------

  void on_message(const lock_msg& m) {
    if (down_) return;
    if (m.k == lock_msg::kind::answer && m.ans.notice) return on_notice(m.ans);
    auto it = pending_.find(m.op);
    if (it == pending_.end()) return;
    const sent s = it->second;
    pending_.erase(it);
    if (m.k == lock_msg::kind::refused) {
      guess_ = m.leader;
      return;
    }
    // Answers to earlier sessions or cycles (retries, duplicates) are stale.
    if (s.p != purpose::open && s.session != session_) return;
    if ((s.p == purpose::acquire && (phase_ != phase::acquiring || s.tag != request_)) ||
        (s.p == purpose::release && (phase_ != phase::releasing || s.tag != token_.value())))
      return;
    if (!m.ans.ok) return on_error(s, m.ans.code);
    const reply& r = m.ans.rep;
    switch (s.p) {
      case purpose::open:
        if (session_ != session_id{}) return;  // an answer to an older open: that session just expires
        session_ = r.session;
        lease_.renewed(s.at, r.ttl);
        break;
      case purpose::keep_alive:
        if (r.session == session_) lease_.renewed(s.at, r.ttl);
        break;
      case purpose::acquire:
        if (r.kind == reply_kind::granted && phase_ == phase::acquiring && r.session == session_) granted(r.token);
        break;
      case purpose::release:
        if (phase_ == phase::releasing && r.session == session_) end_cycle(cohort::check::mutex_output{true, 0});
        break;
    }
  }

  void on_notice(const lock_answer& a) {
    if (phase_ == phase::acquiring && a.request == request_ && a.rep.session == session_) granted(a.rep.token);
  }

  void granted(fencing_token t) {
    token_ = t;
    (void)w_->hist.ok(hist_op_, cohort::check::mutex_output{true, t.value()});
    phase_ = phase::holding;
    writes_ = 0;
  }

  void on_error(const sent& s, cohort::errc code) {
    if (code != cohort::errc::not_found) {
      w_->cl->fail("client " + std::to_string(id_.value()) + ": unexpected error " +
                   std::string(cohort::name_of(code)));
      return;
    }
    if (s.p == purpose::release) {
      // Not held (any more): freed by expiry, or released by a duplicate of
      // this very request that the network delivered twice. Either way the
      // lock is not ours; whether this request released it is unknown.
      (void)w_->hist.indeterminate(hist_op_);
      ++finished_;
      phase_ = phase::idle;
      return;
    }
    if (s.p == purpose::open) return;
    session_lost();
  }

  void session_lost() {
    lease_.lost();
    session_ = session_id{};
    if (phase_ == phase::acquiring || phase_ == phase::releasing) (void)w_->hist.indeterminate(hist_op_);
    if (phase_ != phase::idle) ++finished_;
    phase_ = phase::idle;
  }

  void end_cycle(cohort::check::mutex_output out) {
    (void)w_->hist.ok(hist_op_, out);  // released
    ++finished_;
    phase_ = phase::idle;
  }

  /// The holder's process dies: it forgets its session and lock; the service
  /// frees the lock once the session expires (then the lock-delay runs).
  void crash() {
    ++w_->crashes;
    down_ = true;
    pending_.clear();
    lease_.lost();
    session_ = session_id{};
    phase_ = phase::idle;
    ++finished_;
    w_->cl->scheduler().after(1500ms, [this] { down_ = false; });
  }

  void keep_alive() {
    if (down_) return;
    if (session_ != session_id{}) send(command::keep_alive(session_), purpose::keep_alive);
  }

  lock_world* w_;
  node_id id_;
  std::size_t cycles_;
  cohort::xoshiro256ss rng_;
  cohort::sim::virtual_clock clk_;
  lease_tracker lease_;
  std::optional<cohort::sim::network<lock_msg>::endpoint> ep_;
  std::map<std::uint64_t, sent> pending_;
  std::uint64_t ops_ = 0, requests_ = 0, request_ = 0;
  session_id session_{};
  phase phase_ = phase::idle;
  fencing_token token_{};
  std::size_t hist_op_ = 0, finished_ = 0, attempts_ = 0, writes_ = 0;
  node_id guess_{};
  cohort::mono_time next_open_{}, next_retry_{};
  bool down_ = false;
};

struct lock_run {
  cohort::sim::run_report report;
  std::size_t handoffs = 0, expiries = 0, rejected = 0, accepted = 0, paused = 0, crashes = 0, after_expiry = 0;
};

lock_run run_lock_seed(std::uint64_t seed, std::size_t servers, const std::string& test_name) {
  cohort::sim::options base;
  base.servers = servers;
  base.phases.safety = 3s;
  base.phases.liveness = 60s;
  base.replay = cohort_test::replay_command("cohort_lock_tests", test_name);
  auto o = cohort::sim::swarm(seed, base);
  o.storage.write_failure_ppm = 0;
  o.faults.clock_step = 0;  // drift stays within the bound; steps do not
  lock_world w;
  std::vector<node_id> voters;
  for (std::uint64_t i = 1; i <= servers; ++i) voters.push_back(node_id{i});
  service_config sc;
  sc.lock_delay = lock_world::lock_delay;
  auto c = lock_cluster::create(o, [&](lock_server::context& ctx) {
    lock_app app{*lock_service::create(sc), [&w](const cohort::log_entry& e, const applied& a, const lock_service& s) {
                   w.on_apply(e, a, s);
                 }};
    return std::make_unique<lock_server>(ctx, voters, std::move(app), nullptr, 10);
  });
  REQUIRE(c.has_value());
  lock_cluster& cl = *c.value();
  w.cl = &cl;
  std::vector<std::unique_ptr<lock_client>> clients;
  for (std::uint64_t i = 0; i < 4; ++i)
    clients.push_back(std::make_unique<lock_client>(w, node_id{500 + i}, 4, o.clocks.drift_ppm_max));
  cl.set_invariant([&]() -> cohort::result<void> {
    std::size_t holders = 0;
    for (auto& cli : clients) holders += cli->acting_holder() ? 1 : 0;
    if (holders > 1) return cohort::make_error(cohort::errc::conflict, "two clients act as holders of L");
    return cohort::success();
  });
  auto converged = [&] {
    for (auto& cli : clients)
      if (!cli->done()) return false;
    return true;
  };
  lock_run out;
  out.report = cl.run(converged);
  if (!out.report.ok) {
    for (auto& cli : clients) out.report.what += "\n  " + cli->describe();
    for (node_id id : cl.servers()) {
      auto* sv = cl.server(id);
      if (sv == nullptr) continue;
      out.report.what += "\n  n" + std::to_string(id.value()) + " " +
                         std::string(cohort::raft::name_of(sv->raw().role())) + " term " +
                         std::to_string(sv->raw().current_term().value()) + " leader " + std::to_string(sv->raw().leader().value()) +
                         " last " + std::to_string(sv->raw().last_index().value()) + " rejected " +
                         std::to_string(sv->raw().stats().rejected_total()) + " committed " +
                         std::to_string(sv->raw().committed().value()) + " applied " +
                         std::to_string(sv->applied_index().value()) + " sessions " +
                         std::to_string(sv->app().svc.session_count()) + (sv->stopped() ? " STOPPED" : "");
      if (const auto* l = sv->app().svc.find(lock_name))
        out.report.what += " holders " + std::to_string(l->holders.size()) + " queue " + std::to_string(l->queue.size());
    }
  }
  if (out.report.ok) {
    const auto lin = cohort::check::check_linearizable(cohort::check::mutex_model{}, w.hist);
    if (!lin.linearizable())
      cl.fail(std::string("lock history ") + cohort::check::name_of(lin.v) + ":\n" + lin.cex.text);
    out.report = cl.report();
  }
  out.handoffs = w.handoffs;
  out.expiries = w.expiries;
  out.rejected = w.res.rejected;
  out.accepted = w.res.accepted;
  out.paused = w.paused_writes;
  out.crashes = w.crashes;
  out.after_expiry = w.handoffs_after_expiry;
  return out;
}

void run_lock_seeds(const std::vector<std::uint64_t>& seeds, std::size_t servers, const std::string& name) {
  lock_run total;
  for (std::uint64_t seed : seeds) {
    const auto r = run_lock_seed(seed, servers, name);
    INFO(r.report.summary());
    REQUIRE(r.report.ok);
    total.handoffs += r.handoffs;
    total.expiries += r.expiries;
    total.rejected += r.rejected;
    total.accepted += r.accepted;
    total.crashes += r.crashes;
    total.after_expiry += r.after_expiry;
  }
  // The runs did what they are for: writes went through, waiters were handed
  // the lock, and (over several seeds) sessions expired and late writes were fenced off.
  CHECK(total.accepted > 0);
  CHECK(total.handoffs > 0);
  if (seeds.size() >= 4) {
    CHECK(total.crashes > 0);
    CHECK(total.expiries > 0);
    CHECK(total.after_expiry > 0);  // a crashed holder's lock went to the next waiter
    CHECK(total.rejected > 0);
  }
}

}  // namespace

TEST_CASE("lock sim: 3-node cluster, lease safety, fencing and linearizability over swarm seeds", "[lock][sim]") {
  run_lock_seeds(cohort_test::seeds(1, 24), 3,
                 "lock sim: 3-node cluster, lease safety, fencing and linearizability over swarm seeds");
}

TEST_CASE("lock sim: 5-node cluster, lease safety, fencing and linearizability over swarm seeds", "[lock][sim]") {
  run_lock_seeds(cohort_test::seeds(101, 12), 5,
                 "lock sim: 5-node cluster, lease safety, fencing and linearizability over swarm seeds");
}

// Seeds that once failed, kept whatever the ranges above become:
//   72 (3 nodes), 1017 (5 nodes): a refusal raced the expiry it depended on
//   (the service refused a release from a session expired at the command's
//   stamp before running the expiry; now timers run first), and a duplicated
//   release's refusal overtook the first copy's success;
//   102 (5 nodes): leadership churned for tens of seconds under FIFO links
//   with long tail delays; the liveness bound is 60 s.
TEST_CASE("lock sim: regression seeds", "[lock][sim]") {
  run_lock_seeds({72}, 3, "lock sim: regression seeds");
  run_lock_seeds({1017, 102}, 5, "lock sim: regression seeds");
}
