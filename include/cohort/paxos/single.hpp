// cohort/paxos/single.hpp - single-decree Paxos ("Paxos Made Simple"): the
// acceptor, proposer and learner roles as pure cores, and a node combining
// them into a write-once register.
//
// acceptor   keeps (promised, accepted ballot, accepted value) - durable state:
//            a reply that depends on a change goes out only after the change
//            is persisted (the node's batch carries the state to save and the
//            replies to send after it).
//              prepare(b):  b >= promised -> promised = b, promise(b, accepted);
//                           else nack(promised).
//              accept(b,v): b >= promised -> promised = b, accepted = (b, v),
//                           accepted(b, v) to the proposer and every learner;
//                           else nack(promised).
// proposer   prepare with a ballot above any seen; on a phase-1 quorum of
//            promises, proposes the value of the highest accepted ballot among
//            them (or its own if none); on a nack or a timeout, backs off a
//            random number of ticks (from the rng policy) and retries higher.
// learner    a value is chosen once a phase-2 quorum of acceptors accepted it
//            in the same ballot.
// Quorums come from a quorum policy: majority_config or flexible_config (or
// any type with result_of(votes) for phase 1 and phase2_result_of(votes) for
// phase 2; majority_config uses result_of for both).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cohort/core/concepts.hpp"
#include "cohort/core/random.hpp"
#include "cohort/core/result.hpp"
#include "cohort/paxos/ballot.hpp"
#include "cohort/quorum/flexible.hpp"
#include "cohort/quorum/majority.hpp"

namespace cohort::paxos {

namespace detail {
template <class Q, class Votes>
quorum::vote_result phase2(const Q& q, Votes&& votes) {
  if constexpr (requires { q.phase2_result_of(votes); }) return q.phase2_result_of(votes);
  else return q.result_of(votes);
}
}  // namespace detail

/// What an acceptor must keep on stable storage.
struct acceptor_state {
  ballot promised{};
  ballot accepted{};
  bytes value{};  ///< meaningful when !accepted.is_zero()
  friend bool operator==(const acceptor_state&, const acceptor_state&) = default;
};

class acceptor {
 public:
  acceptor(node_id self, acceptor_state restored = {}) : self_(self), s_(std::move(restored)) {}

  /// Handles prepare/accept; appends replies to `out`; returns true if the
  /// durable state changed (persist it before sending the replies).
  bool handle(const message& m, const std::vector<node_id>& learners, std::vector<message>& out) {
    if (m.type == message_type::prepare) {
      if (m.b < s_.promised) return refuse(m, out);
      const bool changed = m.b != s_.promised;
      s_.promised = m.b;
      message r = reply(m, message_type::promise);
      r.accepted_ballot = s_.accepted;
      r.has_value = !s_.accepted.is_zero();
      r.value = s_.value;
      out.push_back(std::move(r));
      return changed;
    }
    if (m.type == message_type::accept) {
      if (m.b < s_.promised) return refuse(m, out);
      const bool changed = !(s_.promised == m.b && s_.accepted == m.b);
      s_.promised = m.b;
      s_.accepted = m.b;
      s_.value = m.value;
      message r = reply(m, message_type::accepted);
      r.has_value = true;
      r.value = m.value;
      out.push_back(r);
      for (node_id l : learners)
        if (l != m.from && l != self_) {
          r.to = l;
          out.push_back(r);
        }
      return changed;
    }
    return false;
  }
  [[nodiscard]] const acceptor_state& state() const noexcept { return s_; }

 private:
  message reply(const message& m, message_type t) const {
    message r;
    r.type = t;
    r.from = self_;
    r.to = m.from;
    r.instance = m.instance;
    r.b = m.b;
    return r;
  }
  bool refuse(const message& m, std::vector<message>& out) const {
    message r = reply(m, message_type::nack);
    r.accepted_ballot = s_.promised;
    out.push_back(std::move(r));
    return false;
  }
  node_id self_;
  acceptor_state s_;
};

/// Counts phase-2 acceptances per ballot; a value is chosen when a phase-2
/// quorum accepted the same ballot.
template <class Quorum>
class learner {
 public:
  explicit learner(const Quorum& q) : q_(&q) {}
  /// Returns true when this message makes a value chosen (first time only).
  bool handle(const message& m) {
    if (m.type != message_type::accepted || chosen_) return false;
    auto& votes = by_ballot_[m.b];
    if (std::find(votes.voters.begin(), votes.voters.end(), m.from) != votes.voters.end()) return false;
    votes.voters.push_back(m.from);
    votes.value = m.value;
    const auto r = detail::phase2(*q_, [&votes](node_id n) {
      return std::find(votes.voters.begin(), votes.voters.end(), n) != votes.voters.end() ? 1 : 0;
    });
    if (r != quorum::vote_result::won) return false;
    chosen_ = votes.value;
    return true;
  }
  [[nodiscard]] const std::optional<bytes>& chosen() const noexcept { return chosen_; }

 private:
  struct tally {
    std::vector<node_id> voters;
    bytes value;
  };
  const Quorum* q_;
  std::map<ballot, tally> by_ballot_;
  std::optional<bytes> chosen_;
};

/// Node settings for single-decree Paxos.
struct single_config {
  node_id id{};
  std::uint32_t timeout_ticks = 10;  ///< retry a round that made no progress for this long
  std::uint32_t backoff_ticks = 10;  ///< after a nack, wait uniform [1, backoff_ticks * 2^k] ticks (k: failed rounds, capped)
  [[nodiscard]] result<void> validate() const {
    if (id == no_node) return make_error(errc::invalid_config, "paxos: id must be non-zero");
    if (timeout_ticks == 0 || backoff_ticks == 0)
      return make_error(errc::invalid_config, "paxos: timeout_ticks and backoff_ticks must be positive");
    return success();
  }
};

/// What the node asks its driver to do (as raft::ready): persist `state` if
/// `persist`, then send `messages`. `chosen` is set once the value is known.
struct single_ready {
  bool persist = false;
  acceptor_state state{};
  std::vector<message> messages;
  std::optional<bytes> chosen;
};

/// Proposer + acceptor + learner on one node: a write-once register.
template <class Quorum = quorum::majority_config, rng Rng = xoshiro256ss>
class single_node {
 public:
  /// `members`: every node (all are acceptors and learners). `q` decides quorums.
  static result<single_node> create(const single_config& c, std::vector<node_id> members, Quorum q, Rng rng,
                                    acceptor_state restored = {}) {
    if (auto v = c.validate(); !v) return v.error();
    std::sort(members.begin(), members.end());
    if (members.empty() || !std::binary_search(members.begin(), members.end(), c.id))
      return make_error(errc::invalid_config, "paxos: the node must be one of the members");
    if (std::adjacent_find(members.begin(), members.end()) != members.end())
      return make_error(errc::invalid_config, "paxos: a member is listed twice");
    return single_node(c, std::move(members), std::move(q), std::move(rng), std::move(restored));
  }
  single_node(single_node&& o) noexcept
      : cfg_(o.cfg_), members_(std::move(o.members_)), q_(std::move(o.q_)), rng_(std::move(o.rng_)),
        acc_(std::move(o.acc_)), learn_(q_), round_(o.round_), proposing_(std::move(o.proposing_)),
        phase_(o.phase_), current_(o.current_), promises_(std::move(o.promises_)), accepts_(std::move(o.accepts_)),
        highest_(o.highest_), idle_ticks_(o.idle_ticks_), backoff_(o.backoff_), failures_(o.failures_),
        rejected_(o.rejected_), out_(std::move(o.out_)), dirty_(o.dirty_) {}

  /// Starts proposing `v` (if nothing is chosen yet). errc::conflict if
  /// this node already proposes another value.
  result<void> propose(bytes v) {
    if (learn_.chosen()) return success();
    if (proposing_ && !(*proposing_ == v)) return make_error(errc::conflict, "paxos: already proposing another value");
    proposing_ = std::move(v);
    if (phase_ == phase::idle) start_round();
    return success();
  }

  /// Handles one message. errc::malformed_message for an unknown sender, a
  /// wrong destination, a bad type, or an absurd ballot; nothing changes then.
  result<void> step(const message& m) {
    if (auto v = validate(m); !v) return v;
    switch (m.type) {
      case message_type::prepare:
      case message_type::accept: {
        if (m.b > highest_) highest_ = m.b;
        if (acc_.handle(m, members_, out_)) dirty_ = true;
        if (m.type == message_type::accept) learn_.handle(accepted_copy(m));
        return success();
      }
      case message_type::promise: on_promise(m); return success();
      case message_type::accepted:
        learn_.handle(m);
        on_accepted(m);
        return success();
      case message_type::nack: on_nack(m); return success();
    }
    return success();
  }

  void tick() {
    if (learn_.chosen() || !proposing_) return;
    if (phase_ == phase::backing_off) {
      if (--backoff_ == 0) start_round();
      return;
    }
    if (phase_ != phase::idle && ++idle_ticks_ >= cfg_.timeout_ticks) back_off();
  }

  [[nodiscard]] bool has_ready() const noexcept { return dirty_ || !out_.empty() || (learn_.chosen() && !reported_); }
  single_ready take_ready() {
    single_ready r;
    r.persist = dirty_;
    r.state = acc_.state();
    r.messages.swap(out_);
    r.chosen = learn_.chosen();
    reported_ = reported_ || r.chosen.has_value();
    dirty_ = false;
    return r;
  }

  [[nodiscard]] const std::optional<bytes>& chosen() const noexcept { return learn_.chosen(); }
  [[nodiscard]] const acceptor_state& acceptor_view() const noexcept { return acc_.state(); }
  [[nodiscard]] ballot current_ballot() const noexcept { return current_; }
  [[nodiscard]] std::uint64_t rejected() const noexcept { return rejected_; }
  [[nodiscard]] node_id id() const noexcept { return cfg_.id; }

  static constexpr std::uint64_t round_max = std::uint64_t{1} << 60;

 private:
  enum class phase : std::uint8_t { idle, preparing, accepting, backing_off };

  single_node(const single_config& c, std::vector<node_id> m, Quorum q, Rng rng, acceptor_state restored)
      : cfg_(c), members_(std::move(m)), q_(std::move(q)), rng_(std::move(rng)), acc_(c.id, std::move(restored)),
        learn_(q_) {
    highest_ = std::max(acc_.state().promised, acc_.state().accepted);
    round_ = highest_.round;
  }

  result<void> validate(const message& m) {
    auto bad = [this](const char* why) {
      ++rejected_;
      return make_error(errc::malformed_message, std::string("paxos: ") + why);
    };
    if (static_cast<std::uint8_t>(m.type) >= message_type_count) return bad("unknown message type");
    if (m.to != cfg_.id) return bad("message for another node");
    if (m.from == cfg_.id || !std::binary_search(members_.begin(), members_.end(), m.from)) return bad("unknown sender");
    if (m.b.round >= round_max || m.accepted_ballot.round >= round_max) return bad("absurd ballot");
    if (m.instance != 0) return bad("single-decree Paxos has only instance 0");
    if ((m.type == message_type::prepare || m.type == message_type::accept) && m.b.node != m.from)
      return bad("a ballot must belong to its sender");
    return success();
  }

  void start_round() {
    round_ = std::max(round_, highest_.round) + 1;
    current_ = ballot{round_, cfg_.id};
    highest_ = std::max(highest_, current_);
    phase_ = phase::preparing;
    idle_ticks_ = 0;
    promises_.clear();
    accepts_.clear();
    best_accepted_ = ballot{};
    best_value_.reset();
    message p;
    p.type = message_type::prepare;
    p.from = cfg_.id;
    p.b = current_;
    for (node_id n : members_) {
      p.to = n;
      if (n == cfg_.id) {
        std::vector<message> self;
        if (acc_.handle(p, members_, self)) dirty_ = true;
        for (auto& r : self) on_promise(r);  // our own promise (or nack) counts at once
      } else {
        out_.push_back(p);
      }
    }
  }

  void on_promise(const message& m) {
    if (m.type == message_type::nack) return on_nack(m);
    if (phase_ != phase::preparing || m.b != current_) return;
    if (std::find(promises_.begin(), promises_.end(), m.from) != promises_.end()) return;
    promises_.push_back(m.from);
    idle_ticks_ = 0;
    if (m.has_value && m.accepted_ballot > best_accepted_) {
      best_accepted_ = m.accepted_ballot;
      best_value_ = m.value;
    }
    const auto r = q_.result_of([this](node_id n) {
      return std::find(promises_.begin(), promises_.end(), n) != promises_.end() ? 1 : 0;
    });
    if (r == quorum::vote_result::won) send_accepts();
  }

  void send_accepts() {
    phase_ = phase::accepting;
    message a;
    a.type = message_type::accept;
    a.from = cfg_.id;
    a.b = current_;
    a.has_value = true;
    a.value = best_value_ ? *best_value_ : *proposing_;  // adopt the highest accepted value (P2c)
    for (node_id n : members_) {
      a.to = n;
      if (n == cfg_.id) {
        std::vector<message> self;
        if (acc_.handle(a, members_, self)) dirty_ = true;
        for (auto& r : self)
          if (r.to == cfg_.id || r.type == message_type::nack) {
            if (r.type == message_type::accepted) {
              learn_.handle(r);
              on_accepted(r);
            } else {
              on_nack(r);
            }
          } else {
            out_.push_back(r);  // our acceptance, for the other learners
          }
      } else {
        out_.push_back(a);
      }
    }
  }

  void on_accepted(const message& m) {
    if (phase_ != phase::accepting || m.b != current_) return;
    idle_ticks_ = 0;
    if (std::find(accepts_.begin(), accepts_.end(), m.from) == accepts_.end()) accepts_.push_back(m.from);
    if (learn_.chosen()) phase_ = phase::idle;
  }

  void on_nack(const message& m) {
    if (m.accepted_ballot > highest_) highest_ = m.accepted_ballot;
    if (m.b != current_ || (phase_ != phase::preparing && phase_ != phase::accepting)) return;
    back_off();
  }

  void back_off() {
    phase_ = phase::backing_off;
    failures_ = std::min<std::uint32_t>(failures_ + 1, 6);
    backoff_ = 1 + static_cast<std::uint32_t>(uniform_below(rng_, std::uint64_t{cfg_.backoff_ticks} << failures_));
  }

  message accepted_copy(const message& accept) const {
    message r;
    r.type = message_type::accepted;
    r.from = cfg_.id;
    r.to = cfg_.id;
    r.b = accept.b;
    r.has_value = true;
    r.value = accept.value;
    return acc_.state().accepted == accept.b ? r : message{message_type::nack, {}, {}, 0, {}, {}, false, {}};
  }

  single_config cfg_;
  std::vector<node_id> members_;
  Quorum q_;
  Rng rng_;
  acceptor acc_;
  learner<Quorum> learn_;
  std::uint64_t round_ = 0;
  std::optional<bytes> proposing_;
  phase phase_ = phase::idle;
  ballot current_{};
  std::vector<node_id> promises_;
  std::vector<node_id> accepts_;
  ballot best_accepted_{};
  std::optional<bytes> best_value_;
  ballot highest_{};
  std::uint32_t idle_ticks_ = 0;
  std::uint32_t backoff_ = 0;
  std::uint32_t failures_ = 0;
  std::uint64_t rejected_ = 0;
  std::vector<message> out_;
  bool dirty_ = false;
  bool reported_ = false;
};

}  // namespace cohort::paxos
