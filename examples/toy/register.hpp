// examples/toy/register.hpp - a toy replicated register, correct and broken,
// for showing the simulator and the linearizability checker at work.
//
// Every server is a replica holding (tag, value), tag = (timestamp, writer id),
// persisted to its storage (append + sync) before it acknowledges; and every
// server coordinates the client requests it receives. Three variants:
//
//   abd                the ABD algorithm (Attiya, Bar-Noy, Dolev): a write
//                      reads the highest tag from a majority, then stores
//                      (tag.ts + 1, an id unique to this write) at a
//                      majority; a read takes the highest (tag, value) of a
//                      majority and writes it back to a majority before
//                      answering. Linearizable.
//   ack_before_quorum  a write is stored locally and acknowledged at once,
//                      then replicated in the background; a read answers
//                      from the local replica. Not linearizable.
//   clock_lww          last-writer-wins by the coordinator's wall clock: a
//                      write's tag is (wall_now, self), stored at a majority;
//                      a read returns the highest of a majority. Quorums are
//                      right, but skewed clocks order writes wrongly. Not
//                      linearizable when clocks disagree.
//
// Clients (`toy::client`) send one request at a time to a random server and
// give up after a timeout (the operation is then indeterminate).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <cohort/check.hpp>
#include <cohort/sim.hpp>

namespace toy {

using cohort::node_id;

enum class variant : std::uint8_t { abd, ack_before_quorum, clock_lww };

inline const char* name_of(variant v) {
  switch (v) {
    case variant::abd: return "abd";
    case variant::ack_before_quorum: return "ack_before_quorum";
    case variant::clock_lww: return "clock_lww";
  }
  return "?";
}

struct tag {
  std::uint64_t ts = 0;
  std::uint64_t writer = 0;
  friend auto operator<=>(const tag&, const tag&) = default;
};

struct message {
  enum class kind : std::uint8_t { write, read, reply, get, get_reply, set, set_ack };
  kind k = kind::read;
  std::uint64_t op = 0;   ///< client operation id (client requests and replies)
  std::uint64_t req = 0;  ///< coordinator round id (get/set and their replies)
  tag t{};
  std::int64_t value = 0;
};

inline std::string describe(const message& m) {
  static const char* names[] = {"write", "read", "reply", "get", "get_reply", "set", "set_ack"};
  return std::string(names[static_cast<int>(m.k)]) + "{op " + std::to_string(m.op) + " req " + std::to_string(m.req) +
         " tag " + std::to_string(m.t.ts) + "/" + std::to_string(m.t.writer) + " value " + std::to_string(m.value) +
         "}";
}

/// One server: a replica and a coordinator.
class server {
 public:
  using message = toy::message;
  using context = cohort::sim::node_context<message>;

  server(context& ctx, variant v, std::vector<node_id> peers)
      : id_(ctx.id), clock_(&ctx.clock), net_(ctx.transport), store_(&ctx.storage), v_(v), peers_(std::move(peers)) {
    recover();
  }

  void receive(node_id from, message&& m) {
    switch (m.k) {
      case message::kind::write:
      case message::kind::read: start(from, m); break;
      case message::kind::get: reply_get(from, m); break;
      case message::kind::set: reply_set(from, m); break;
      case message::kind::get_reply:
      case message::kind::set_ack: collect(from, m); break;
      case message::kind::reply: break;  // servers do not take replies
    }
  }

  /// Retransmits the current phase of every round to servers not heard from.
  void tick() {
    for (auto& [req, r] : rounds_)
      for (node_id p : peers_)
        if (p != id_ && !r.heard.count(p.value())) send_phase(p, req, r);
  }

  [[nodiscard]] tag current_tag() const noexcept { return tag_; }
  [[nodiscard]] std::int64_t current_value() const noexcept { return value_; }
  [[nodiscard]] node_id id() const noexcept { return id_; }

 private:
  struct round {
    node_id client;
    std::uint64_t op = 0;
    bool is_write = false;
    std::int64_t value = 0;  // the value written (write) or read (read, after phase 1)
    bool phase2 = false;
    tag best{};
    tag store_tag{};
    std::map<std::uint64_t, bool> heard;
  };

  [[nodiscard]] std::size_t majority() const noexcept { return peers_.size() / 2 + 1; }

  // A tag's second half must be unique per write, not per server: two
  // concurrent writes coordinated by one server can read the same highest
  // timestamp, and equal tags would let replicas keep different values (the
  // checker found exactly that). Server id in the high bits, a per-server
  // write counter in the low bits.
  std::uint64_t writer_id() noexcept { return (id_.value() << 40) | ++writes_; }

  void start(node_id client, const message& m) {
    const bool is_write = m.k == message::kind::write;
    if (v_ == variant::ack_before_quorum) {
      if (is_write) {
        const tag t{tag_.ts + 1, writer_id()};
        if (!store(t, m.value)) return;
        reply(client, m.op, m.value);
        const std::uint64_t req = ++next_req_;  // background replication, no one waits
        for (node_id p : peers_)
          if (p != id_) net_.send(p, message{message::kind::set, 0, req, t, m.value});
      } else {
        reply(client, m.op, value_);
      }
      return;
    }
    round r;
    r.client = client;
    r.op = m.op;
    r.is_write = is_write;
    r.value = m.value;
    const std::uint64_t req = ++next_req_;
    if (is_write && v_ == variant::clock_lww) {
      r.phase2 = true;  // the clock gives the tag: no phase 1
      r.store_tag = tag{static_cast<std::uint64_t>(clock_->wall_now().time_since_epoch().count()), writer_id()};
    }
    rounds_.emplace(req, std::move(r));
    begin_phase(req);
  }

  // Sends the round's current phase to the other servers, then answers it
  // from our own replica (which may complete the round and erase it).
  void begin_phase(std::uint64_t req) {
    round& r = rounds_.at(req);
    r.heard.clear();
    for (node_id p : peers_)
      if (p != id_) send_phase(p, req, r);
    answer_self(req);
  }

  void send_phase(node_id p, std::uint64_t req, const round& r) {
    if (r.phase2) net_.send(p, message{message::kind::set, 0, req, r.store_tag, r.value});
    else net_.send(p, message{message::kind::get, 0, req, {}, 0});
  }

  void answer_self(std::uint64_t req) {
    const round& r = rounds_.at(req);
    if (r.phase2) {
      const message set{message::kind::set, 0, req, r.store_tag, r.value};
      if (apply_set(set)) collect(id_, message{message::kind::set_ack, 0, req, r.store_tag, 0});
    } else {
      collect(id_, message{message::kind::get_reply, 0, req, tag_, value_});
    }
  }

  void reply_get(node_id from, const message& m) {
    net_.send(from, message{message::kind::get_reply, 0, m.req, tag_, value_});
  }
  void reply_set(node_id from, const message& m) {
    if (apply_set(m)) net_.send(from, message{message::kind::set_ack, 0, m.req, m.t, 0});
  }

  void collect(node_id from, const message& m) {
    auto it = rounds_.find(m.req);
    if (it == rounds_.end()) return;
    round& r = it->second;
    const bool want = r.phase2 ? m.k == message::kind::set_ack : m.k == message::kind::get_reply;
    if (!want || r.heard.count(from.value())) return;
    r.heard[from.value()] = true;
    if (!r.phase2 && m.t >= r.best) {
      r.best = m.t;
      if (!r.is_write) r.value = m.value;
    }
    if (r.heard.size() < majority()) return;
    if (!r.phase2) {
      r.phase2 = true;
      r.store_tag = r.is_write ? tag{r.best.ts + 1, writer_id()} : r.best;
      begin_phase(m.req);  // may complete the round and erase it
      return;
    }
    const node_id client = r.client;
    const std::uint64_t op = r.op;
    const std::int64_t v = r.value;
    rounds_.erase(it);
    reply(client, op, v);
  }

  void reply(node_id client, std::uint64_t op, std::int64_t v) {
    net_.send(client, message{message::kind::reply, op, 0, {}, v});
  }

  // The replica: keep the highest tag; persist before acknowledging.
  bool apply_set(const message& m) {
    if (m.t <= tag_) return true;
    return store(m.t, m.value);
  }
  bool store(tag t, std::int64_t v) {
    std::uint64_t words[3] = {t.ts, t.writer, static_cast<std::uint64_t>(v)};
    std::byte raw[sizeof words];
    std::memcpy(raw, words, sizeof words);
    const cohort::log_entry e{store_->last_index() + 1, cohort::term{1}, cohort::entry_kind::normal,
                              cohort::bytes::copy_of(cohort::bytes_view(raw, sizeof raw))};
    if (!store_->append(std::span(&e, 1)) || !store_->sync()) return false;  // cannot persist: do not acknowledge
    tag_ = t;
    value_ = v;
    return true;
  }
  void recover() {
    const cohort::log_index last = store_->last_index();
    if (last < store_->first_index()) return;
    std::vector<cohort::log_entry> out;
    if (!store_->entries(last, last + 1, 1 << 20, out) || out.size() != 1 || out[0].data.size() != 24) return;
    std::uint64_t words[3];
    std::memcpy(words, out[0].data.view().data(), sizeof words);
    tag_ = tag{words[0], words[1]};
    value_ = static_cast<std::int64_t>(words[2]);
  }

  node_id id_;
  cohort::sim::virtual_clock* clock_;
  cohort::sim::network<message>::endpoint net_;
  cohort::sim::storage* store_;
  variant v_;
  std::vector<node_id> peers_;
  tag tag_{};
  std::int64_t value_ = 0;
  std::uint64_t next_req_ = 0;
  std::uint64_t writes_ = 0;
  std::map<std::uint64_t, round> rounds_;
};

/// What clients saw, for the linearizability checker (a register model).
using register_history = cohort::check::history<cohort::check::register_input, cohort::check::register_output>;

/// Clients issuing random reads and writes; they record what they saw.
template <class Cluster>
class clients {
 public:
  clients(Cluster& c, std::size_t count, std::size_t ops_each, cohort::duration timeout)
      : c_(&c), ops_each_(ops_each), timeout_(timeout), rng_(c.rng().fork()) {
    for (std::size_t i = 0; i < count; ++i) {
      const node_id id{1000 + i};
      slots_.push_back(slot{id});
      auto ep = c.add_client(id, [this, i](node_id, message&& m) { on_reply(i, m); });
      COHORT_ASSERT(ep.has_value(), "client ids are free");
      slots_.back().ep.emplace(*ep);
    }
    for (std::size_t i = 0; i < count; ++i) next(i);
  }

  [[nodiscard]] bool done() const {
    return std::all_of(slots_.begin(), slots_.end(), [this](const slot& s) { return s.finished >= ops_each_; });
  }
  [[nodiscard]] const register_history& history() const noexcept { return history_; }

 private:
  struct slot {
    node_id id;
    std::optional<typename cohort::sim::network<message>::endpoint> ep{};
    std::size_t finished = 0;
    std::optional<std::size_t> current{};  // the operation in flight (history id)
    bool is_write = false;
    std::uint64_t op_id = 0;
    cohort::sim::event_id timer{};
  };

  void next(std::size_t i) {
    slot& s = slots_[i];
    if (s.finished >= ops_each_) return;
    const auto think = cohort::duration{static_cast<std::int64_t>(cohort::uniform_below(rng_, 20'000'000))};
    c_->scheduler().after(think, [this, i] { issue(i); });
  }

  void issue(std::size_t i) {
    slot& s = slots_[i];
    const bool w = cohort::chance(rng_, 1, 2);
    const auto& servers = c_->servers();
    const node_id to = servers[cohort::uniform_below(rng_, servers.size())];
    const std::int64_t value = w ? static_cast<std::int64_t>(s.id.value() * 1'000'000 + s.finished + 1) : 0;
    s.current = history_.invoke(s.id.value(), w ? cohort::check::register_input::write(value)
                                                : cohort::check::register_input::read());
    s.is_write = w;
    s.op_id = ++op_ids_;
    s.ep->send(to, message{w ? message::kind::write : message::kind::read, s.op_id, 0, {}, value});
    s.timer = c_->scheduler().after(timeout_, [this, i] {
      slot& t = slots_[i];
      (void)history_.indeterminate(*t.current);  // may or may not have taken effect
      t.current.reset();
      ++t.finished;
      next(i);
    });
  }

  void on_reply(std::size_t i, const message& m) {
    slot& s = slots_[i];
    if (!s.current || m.op != s.op_id) return;  // a late reply to an abandoned operation
    c_->scheduler().cancel(s.timer);
    (void)history_.ok(*s.current, s.is_write ? cohort::check::register_output::done()
                                              : cohort::check::register_output::read(m.value));
    s.current.reset();
    ++s.finished;
    next(i);
  }

  Cluster* c_;
  std::size_t ops_each_;
  cohort::duration timeout_;
  cohort::xoshiro256ss rng_;
  std::vector<slot> slots_;
  register_history history_;
  std::uint64_t op_ids_ = 0;
};

/// A cluster of `servers` toy servers of variant `v` under options `o`.
inline auto make_cluster(cohort::sim::options o, variant v) {
  std::vector<node_id> peers;
  for (std::size_t i = 1; i <= o.servers; ++i) peers.push_back(node_id{i});
  auto c = cohort::sim::cluster<server>::create(o, [v, peers](server::context& ctx) {
    return std::make_unique<server>(ctx, v, peers);
  });
  if (c) c.value()->network().set_describer(describe);
  return c;
}

}  // namespace toy
