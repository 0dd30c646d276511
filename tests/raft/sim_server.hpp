// tests/raft/sim_server.hpp - a Raft server for the simulator: the raw node
// over sim::storage, driven by the contract in raw_node.hpp, with a small
// key-value state machine and client request handling.
#pragma once

#include <cohort/raft.hpp>
#include <cohort/sim.hpp>

#include "support/kv_command.hpp"

#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace raft_sim {

using cohort::log_index;
using cohort::node_id;
using cohort::term;

/// Client <-> server messages travel in the same envelope as Raft's.
struct envelope {
  enum class kind : std::uint8_t { raft, request, reply } k = kind::raft;
  cohort::raft::message raft{};
  // request / reply
  std::uint64_t client = 0;
  std::uint64_t op = 0;
  bool is_write = false;
  std::uint64_t key = 0;
  std::int64_t value = 0;
  bool ok = false;
  node_id leader{};  ///< in a refused reply: who the server thinks leads
};

using command = cohort_test::kv_command;

class server;

/// What every server reports to the test's checkers.
struct observer_hub {
  std::function<void(node_id, const cohort::log_entry&)> on_apply;
  /// Called at the instant a node becomes leader (from inside its step).
  std::function<void(const server&, term)> on_leader;
};

/// The raw node's observer: forwards "became leader" to the hub.
struct leader_watch {
  observer_hub* hub = nullptr;
  const server* self = nullptr;
  void on_event(const cohort::event& ev) const;
};

struct server_options {
  std::vector<node_id> voters;
  bool async_storage = false;
  observer_hub* hub = nullptr;
};

class server {
 public:
  using message = envelope;
  using context = cohort::sim::node_context<envelope>;
  using node_t = cohort::raft::raw_node<cohort::sim::storage, cohort::xoshiro256ss, leader_watch>;

  server(context& ctx, const server_options& o) : ctx_(ctx), opts_(o) {
    cohort::raft::config c;
    c.id = ctx.id;
    c.voters = o.voters;
    c.election_ticks = 10;
    c.heartbeat_ticks = 1;
    c.msg_bytes_max = 4096;
    c.inflight_msgs_max = 8;
    auto r = node_t::create(c, ctx.storage, ctx.rng, leader_watch{o.hub, this});
    COHORT_ASSERT(r.has_value(), "valid test config");
    raw_.emplace(std::move(r).value());
    // The state machine is in memory and died with the process: the raw node
    // starts with applied = first_index - 1 and hands the committed, durable
    // entries out again, which rebuilds it.
  }

  void receive(node_id from, envelope&& m) {
    if (stopped_) return;
    switch (m.k) {
      case envelope::kind::raft: (void)raw_->step(std::move(m.raft)); break;
      case envelope::kind::request: handle_request(from, m); break;
      case envelope::kind::reply: break;
    }
    drive();
  }
  void tick() {
    if (stopped_) return;
    raw_->tick();
    drive();
  }

  [[nodiscard]] const node_t& raw() const { return *raw_; }
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }
  [[nodiscard]] const std::map<std::uint64_t, std::int64_t>& kv() const noexcept { return kv_; }
  [[nodiscard]] log_index applied_index() const noexcept { return applied_; }

 private:
  struct pending_batch {
    std::uint64_t number;
    std::uint64_t ticket;
    std::vector<cohort::raft::message> after;
    std::vector<cohort::log_entry> committed;
  };
  struct waiting {
    node_id client;
    std::uint64_t op;
    term t;
  };

  void handle_request(node_id client, const envelope& m) {
    if (raw_->role() != cohort::raft::role::leader) {
      envelope r;
      r.k = envelope::kind::reply;
      r.op = m.op;
      r.ok = false;
      r.leader = raw_->leader();
      ctx_.transport.send(client, std::move(r));
      return;
    }
    const command cmd{m.client, m.op, m.is_write ? 1U : 0U, m.key, m.value};
    auto idx = raw_->propose(cmd.encode());
    if (!idx) return;  // the client times out and retries elsewhere
    waiting_[idx->value()] = waiting{client, m.op, raw_->current_term()};
  }

  void drive() {
    while (!stopped_ && raw_->has_ready()) {
      auto& r = raw_->take_ready();
      if (!ctx_.storage.append(r.entries) || (r.has_hard_state && !ctx_.storage.save_hard_state(r.hs))) {
        stopped_ = true;  // cannot persist: stop, never acknowledge
        return;
      }
      for (auto& m : r.messages) send_raft(std::move(m));
      if (opts_.async_storage) {
        const std::uint64_t t = ctx_.storage.request_sync();
        pending_.push_back(pending_batch{r.number, t, std::move(r.after_persist), {r.committed.begin(), r.committed.end()}});
        r.after_persist.clear();
      } else {
        if (!ctx_.storage.sync()) {
          stopped_ = true;
          return;
        }
        finish(r.number, r.after_persist, r.committed);
      }
    }
    while (opts_.async_storage && !pending_.empty() && ctx_.storage.durable_ticket() >= pending_.front().ticket) {
      pending_batch b = std::move(pending_.front());
      pending_.pop_front();
      finish(b.number, b.after, b.committed);
      if (raw_->has_ready()) drive();
    }
  }

  void finish(std::uint64_t number, std::vector<cohort::raft::message>& after, std::span<const cohort::log_entry> committed) {
    for (auto& m : after) send_raft(std::move(m));
    for (const auto& e : committed) apply(e);
    raw_->acknowledge(number);
  }

  void send_raft(cohort::raft::message&& m) {
    const node_id to = m.to;
    envelope e;
    e.raft = std::move(m);
    ctx_.transport.send(to, std::move(e));
  }

  void apply(const cohort::log_entry& e) {
    applied_ = e.index;
    if (opts_.hub != nullptr && opts_.hub->on_apply) opts_.hub->on_apply(ctx_.id, e);
    auto cmd = command::decode(e.data);
    std::int64_t result = 0;
    if (cmd) {
      // The network may duplicate a request and a leader propose it twice:
      // a write takes effect once, at its first entry (ops grow per client).
      std::uint64_t& last = last_write_[cmd->client];
      if (cmd->is_write && cmd->op > last) {
        kv_[cmd->key] = cmd->value;
        last = cmd->op;
      }
      auto it = kv_.find(cmd->key);
      result = it == kv_.end() ? 0 : it->second;
    }
    auto w = waiting_.find(e.index.value());
    if (w == waiting_.end()) return;
    if (w->second.t == e.term && cmd) {
      envelope r;
      r.k = envelope::kind::reply;
      r.op = w->second.op;
      r.ok = true;
      r.value = result;
      ctx_.transport.send(w->second.client, std::move(r));
    }
    waiting_.erase(w);
  }

  context ctx_;
  server_options opts_;
  std::optional<node_t> raw_;
  std::deque<pending_batch> pending_;
  std::map<std::uint64_t, waiting> waiting_;
  std::map<std::uint64_t, std::int64_t> kv_;
  std::map<std::uint64_t, std::uint64_t> last_write_;  ///< per client: the op of its last applied write
  log_index applied_{};
  bool stopped_ = false;
};

inline void leader_watch::on_event(const cohort::event& ev) const {
  if (hub != nullptr && hub->on_leader && ev.kind == cohort::event_kind::role_changed &&
      ev.value == static_cast<std::uint64_t>(cohort::raft::role::leader))
    hub->on_leader(*self, ev.term);
}

}  // namespace raft_sim
