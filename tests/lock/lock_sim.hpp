// tests/lock/lock_sim.hpp - a replicated application server for the
// simulator: the Raft raw node over sim::storage, driven by raw_node.hpp's
// contract, applying committed entries to an `App` (the lock service or the
// counter) and answering clients.
//
// App provides:
//   using request = ...; using answer = ...;
//   bytes encode(const request&, mono_time stamp)    the payload the leader proposes
//   bytes tick(mono_time stamp)                      a periodic payload (empty: none)
//   template <class Notify> answer apply(const log_entry&, Notify&& notify)
//       applies the entry; notify(owner_node, op, answer) tells other clients
//       (lock grants to waiters); the returned answer goes to the proposer.
// Only a server that is leader when it applies an entry answers or notifies:
// a lost answer is the client's to retry (commands are idempotent).
#pragma once

#include <cohort/raft.hpp>
#include <cohort/sim.hpp>

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace lock_sim {

using cohort::log_index;
using cohort::node_id;
using cohort::term;

template <class Request, class Answer>
struct envelope {
  enum class kind : std::uint8_t { raft, request, answer, refused } k = kind::raft;
  cohort::raft::message raft{};
  std::uint64_t op = 0;  ///< the client's operation number, echoed back
  Request req{};
  Answer ans{};
  node_id leader{};  ///< refused: who the server thinks leads
};

/// Sees every applied entry on every server (for the tests' checkers).
using apply_hook = std::function<void(node_id, const cohort::log_entry&)>;

template <class App>
class server {
 public:
  using message = envelope<typename App::request, typename App::answer>;
  using context = cohort::sim::node_context<message>;
  using node_t = cohort::raft::raw_node<cohort::sim::storage>;

  server(context& ctx, std::vector<node_id> voters, App app, apply_hook hook, std::uint64_t tick_every)
      : ctx_(ctx), app_(std::move(app)), hook_(std::move(hook)), tick_every_(tick_every) {
    cohort::raft::config c;
    c.id = ctx.id;
    c.voters = std::move(voters);
    c.election_ticks = 10;
    c.heartbeat_ticks = 1;
    c.msg_bytes_max = 8192;
    c.inflight_msgs_max = 8;
    auto r = node_t::create(c, ctx.storage, ctx.rng);
    COHORT_ASSERT(r.has_value(), "valid test config");
    raw_.emplace(std::move(r).value());
  }

  void receive(node_id from, message&& m) {
    if (stopped_) return;
    switch (m.k) {
      case message::kind::raft: (void)raw_->step(std::move(m.raft)); break;
      case message::kind::request: handle_request(from, m); break;
      default: break;
    }
    drive();
  }
  void tick() {
    if (stopped_) return;
    raw_->tick();
    if (raw_->role() == cohort::raft::role::leader && tick_every_ != 0 && ++ticks_ % tick_every_ == 0) {
      if (auto b = app_.tick(ctx_.clock.now()); !b.empty()) (void)raw_->propose(std::move(b));
    }
    drive();
  }

  [[nodiscard]] const node_t& raw() const { return *raw_; }
  [[nodiscard]] const App& app() const { return app_; }
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }
  [[nodiscard]] log_index applied_index() const noexcept { return applied_; }

 private:
  struct waiting {
    node_id client;
    std::uint64_t op;
    term t;
  };

  void handle_request(node_id client, const message& m) {
    if (raw_->role() != cohort::raft::role::leader) {
      message r;
      r.k = message::kind::refused;
      r.op = m.op;
      r.leader = raw_->leader();
      ctx_.transport.send(client, std::move(r));
      return;
    }
    auto idx = raw_->propose(app_.encode(m.req, ctx_.clock.now()));
    if (!idx) return;  // the client times out and retries
    waiting_[idx->value()] = waiting{client, m.op, raw_->current_term()};
  }

  void drive() {
    while (!stopped_ && raw_->has_ready()) {
      auto& r = raw_->take_ready();
      if (!ctx_.storage.append(r.entries) || (r.has_hard_state && !ctx_.storage.save_hard_state(r.hs)) ||
          !ctx_.storage.sync()) {
        stopped_ = true;  // cannot persist: stop, never acknowledge
        return;
      }
      for (auto& m : r.messages) send_raft(std::move(m));
      for (auto& m : r.after_persist) send_raft(std::move(m));
      for (const auto& e : r.committed) apply(e);
      raw_->acknowledge(r.number);
    }
  }

  void send_raft(cohort::raft::message&& m) {
    const node_id to = m.to;
    message e;
    e.raft = std::move(m);
    ctx_.transport.send(to, std::move(e));
  }

  void apply(const cohort::log_entry& e) {
    applied_ = e.index;
    if (e.kind != cohort::entry_kind::normal || e.data.empty()) return;
    if (hook_) hook_(ctx_.id, e);
    const bool leads = raw_->role() == cohort::raft::role::leader;
    auto notify = [&](node_id to, std::uint64_t op, const typename App::answer& a) {
      if (leads) answer(to, op, a);
    };
    auto ans = app_.apply(e, notify);
    auto w = waiting_.find(e.index.value());
    if (w == waiting_.end()) return;
    if (w->second.t == e.term) answer(w->second.client, w->second.op, ans);
    waiting_.erase(w);
  }

  void answer(node_id to, std::uint64_t op, const typename App::answer& a) {
    message r;
    r.k = message::kind::answer;
    r.op = op;
    r.ans = a;
    ctx_.transport.send(to, std::move(r));
  }

  context ctx_;
  App app_;
  apply_hook hook_;
  std::uint64_t tick_every_;
  std::uint64_t ticks_ = 0;
  std::optional<node_t> raw_;
  std::map<std::uint64_t, waiting> waiting_;
  log_index applied_{};
  bool stopped_ = false;
};

}  // namespace lock_sim
