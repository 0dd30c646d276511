// tests/support/sim_kv_server.hpp - the simulator server the Raft and
// Multi-Paxos tests and demo chapters share: a protocol's raw node over the
// node's sim::storage, driven by the raw-level contract (take_ready; persist
// the entries and hard state; send `messages`; then, once the batch is
// durable, send `after_persist`, apply `committed` and acknowledge), with a
// small key-value state machine and client request handling.
//
// Durability is synchronous (sync() before finishing a batch) or, with
// async_storage, asynchronous: a batch waits for its sync ticket while the
// node goes on stepping, and keeps its own copy of the committed view (the
// view lasts only until the next call into the node).
//
// The key-value store applies each (client, op) once, at its first entry: the
// network duplicates requests, so one command may be proposed, and committed,
// twice. A request is answered when the entry at the index it was proposed
// at carries that very command; another command there (a new leader replaced
// it) leaves the client to time out and retry.
//
// A protocol P describes its node:
//   P::message                 the protocol's wire message;
//   P::node                    the raw node type;
//   P::log                     what the node persists through, built from
//                              sim::storage& (the storage itself or an adapter);
//   P::create(ctx, log, options, self) -> result<node>;
//   P::leads(node)             whether the node leads and may propose.
// A server that fails to persist stops: it never acknowledges what it could
// not write.
#pragma once

#include <cohort/sim.hpp>

#include "support/kv_command.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace cohort_test {

/// Client <-> server messages travel in the same envelope as the protocol's.
template <class Message>
struct sim_envelope {
  enum class kind : std::uint8_t { protocol, request, reply } k = kind::protocol;
  Message protocol{};
  // request / reply
  std::uint64_t client = 0;
  std::uint64_t op = 0;
  bool is_write = false;
  std::uint64_t key = 0;
  std::int64_t value = 0;
  bool ok = false;
  cohort::node_id leader{};  ///< in a refused reply: who the server thinks leads
};

/// What every server reports to the test's checkers (each hook optional).
template <class Server>
struct sim_hub {
  std::function<void(cohort::node_id, const cohort::log_entry&)> on_apply;
  /// A command this server proposed, as proposed.
  std::function<void(const cohort::bytes&)> on_propose;
  /// The instant a node becomes leader (from inside its step), for protocols
  /// whose observer reports it.
  std::function<void(const Server&, cohort::term)> on_leader;
};

template <class Server>
struct sim_server_options {
  std::vector<cohort::node_id> members;
  bool async_storage = false;
  sim_hub<Server>* hub = nullptr;
};

template <class P>
class sim_kv_server {
 public:
  using message = sim_envelope<typename P::message>;
  using context = cohort::sim::node_context<message>;
  using node_t = typename P::node;
  using options = sim_server_options<sim_kv_server>;
  using hub = sim_hub<sim_kv_server>;

  sim_kv_server(context& ctx, const options& o) : ctx_(ctx), opts_(o), log_(ctx.storage) {
    auto r = P::create(ctx_, log_, opts_, this);
    COHORT_ASSERT(r.has_value(), "valid test config");
    raw_.emplace(std::move(r).value());
    // The state machine is in memory and died with the process: the node
    // starts with nothing applied and hands the committed, durable entries
    // out again, which rebuilds it.
  }

  void receive(cohort::node_id from, message&& m) {
    if (stopped_) return;
    switch (m.k) {
      case message::kind::protocol: (void)raw_->step(std::move(m.protocol)); break;
      case message::kind::request: handle_request(from, m); break;
      case message::kind::reply: break;
    }
    drive();
  }
  void tick() {
    if (stopped_) return;
    raw_->tick();
    drive();
  }

  /// Proposes a command directly (as if a client had asked this server), for
  /// hand-written scenarios; then persists and sends as usual.
  cohort::result<cohort::log_index> propose(const kv_command& cmd) {
    if (stopped_) return cohort::make_error(cohort::errc::stopped, "server stopped");
    auto at = propose_data(cmd.encode());
    drive();
    return at;
  }

  [[nodiscard]] const node_t& raw() const { return *raw_; }
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }
  [[nodiscard]] cohort::log_index applied_index() const noexcept { return applied_; }

 private:
  using protocol_message = typename P::message;
  struct pending_batch {
    std::uint64_t number;
    std::uint64_t ticket;
    std::vector<protocol_message> after;
    std::vector<cohort::log_entry> committed;
  };
  struct waiting {
    cohort::node_id client;
    std::uint64_t op;
  };

  cohort::result<cohort::log_index> propose_data(const cohort::bytes& data) {
    auto at = raw_->propose(data);
    if (at && opts_.hub != nullptr && opts_.hub->on_propose) opts_.hub->on_propose(data);
    return at;
  }

  void handle_request(cohort::node_id client, const message& m) {
    if (!P::leads(*raw_)) {
      message r;
      r.k = message::kind::reply;
      r.op = m.op;
      r.ok = false;
      r.leader = raw_->leader();
      ctx_.transport.send(client, std::move(r));
      return;
    }
    const kv_command cmd{m.client, m.op, m.is_write ? 1U : 0U, m.key, m.value};
    auto at = propose_data(cmd.encode());
    if (!at) return;  // the client times out and retries elsewhere
    waiting_[at->value()] = waiting{client, m.op};
  }

  void drive() {
    while (!stopped_ && raw_->has_ready()) {
      auto& r = raw_->take_ready();
      if (!log_.append(r.entries) || (r.has_hard_state && !ctx_.storage.save_hard_state(r.hs))) {
        stopped_ = true;
        return;
      }
      for (auto& m : r.messages) send(std::move(m));
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

  void finish(std::uint64_t number, std::vector<protocol_message>& after, std::span<const cohort::log_entry> committed) {
    for (auto& m : after) send(std::move(m));
    for (const auto& e : committed) apply(e);
    raw_->acknowledge(number);
  }

  void send(protocol_message&& m) {
    const cohort::node_id to = m.to;
    message e;
    e.protocol = std::move(m);
    ctx_.transport.send(to, std::move(e));
  }

  void apply(const cohort::log_entry& e) {
    applied_ = e.index;
    if (opts_.hub != nullptr && opts_.hub->on_apply) opts_.hub->on_apply(ctx_.id, e);
    const auto cmd = kv_command::decode(e.data);
    std::int64_t result = 0;
    if (cmd) {
      auto& last = last_op_[cmd->client];
      const bool duplicate = cmd->op <= last;
      last = std::max(last, cmd->op);
      if (cmd->is_write && !duplicate) kv_[cmd->key] = cmd->value;
      const auto it = kv_.find(cmd->key);
      result = it == kv_.end() ? 0 : it->second;
    }
    const auto w = waiting_.find(e.index.value());
    if (w == waiting_.end()) return;
    if (cmd && cmd->client == w->second.client.value() && cmd->op == w->second.op) {
      message r;
      r.k = message::kind::reply;
      r.op = w->second.op;
      r.ok = true;
      r.value = result;
      ctx_.transport.send(w->second.client, std::move(r));
    }
    waiting_.erase(w);
  }

  context ctx_;
  options opts_;
  typename P::log log_;
  std::optional<node_t> raw_;
  std::deque<pending_batch> pending_;
  std::map<std::uint64_t, waiting> waiting_;
  std::map<std::uint64_t, std::int64_t> kv_;
  std::map<std::uint64_t, std::uint64_t> last_op_;  ///< per client: the last op applied
  cohort::log_index applied_{};
  bool stopped_ = false;
};

}  // namespace cohort_test
