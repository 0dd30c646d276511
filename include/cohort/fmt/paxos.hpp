// cohort/fmt/paxos.hpp - fmt formatters for the Paxos roles' public types
// (single-decree Paxos and Multi-Paxos).
//
// Kept out of the Paxos headers so that the cores do not pull fmt in. The text
// is stable: scenario tests compare it, so change it only with the tests.
//
//   ballot            "<round>.<node>", e.g. "3.1" (the zero ballot is "0.0")
//   message_type, multi_type, multi_role, multi_reject
//                     the enumerator name ("accept_response"); a value with no
//                     enumerator (off the wire) prints "unknown(<number>)"
//   message           "1->2 promise b=3.1 accepted=2.3 \"x\"" - see its formatter
//   acceptor_state    "promised=3.1 accepted=2.1 \"x\"", or "promised=3.1 accepted=none"
//   single_config     "id=1 timeout_ticks=10 backoff_ticks=10"
//   single_ready      "persist(<acceptor_state>) messages=[<m>, <m>] chosen=\"x\"", or "empty"
//   multi_message     "1->2 accept b=3.1 index=5 commit=4 [3.1/6 \"x\"]" - see its formatter
//   multi_stats       "steps=9 proposals_refused=0 elections_started=1 slots_recovered=0
//                     gaps_filled=0 rejected=3 (unknown_sender=1 stale_ballot=2)"
//   multi_config      every field as name=value, in declaration order
//   multi_ready       "#4 hs=(promised=3.1 chosen=5) entries=[...] messages=[...]
//                     after_persist=[...] committed=[...]", or "#4 empty"
// A Multi-Paxos entry (in messages and batches) prints as
// "<accepted ballot>/<slot> <payload>" ("3.1/6 \"x\""), its term unpacked with
// unpack_ballot; a kind other than normal is shown after the slot.
// Values and payloads print as cohort::bytes do (cohort/fmt/core.hpp).
// raw_node::progress is raft::progress: its formatter is in cohort/fmt/raft.hpp.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "cohort/fmt/core.hpp"
#include "cohort/paxos/ballot.hpp"
#include "cohort/paxos/multi.hpp"
#include "cohort/paxos/multi_message.hpp"
#include "cohort/paxos/single.hpp"

namespace cohort::paxos::detail {

template <class It>
It format_ballot(It out, ballot b) {
  return fmt::format_to(out, "{}.{}", b.round, b.node.value());
}

/// "<ballot>/<slot> <payload>", the kind shown when not normal.
template <class It>
It format_multi_entry(It out, const log_entry& e) {
  out = format_ballot(out, unpack_ballot(e.term));
  out = fmt::format_to(out, "/{}", e.index.value());
  if (e.kind != entry_kind::normal) out = fmt::format_to(out, " {}", e.kind);
  return fmt::format_to(out, " {}", e.data);
}

template <class It, class Range>
It format_multi_entries(It out, const Range& entries) {
  *out++ = '[';
  bool first = true;
  for (const log_entry& e : entries) {
    if (!first) out = fmt::format_to(out, ", ");
    first = false;
    out = format_multi_entry(out, e);
  }
  *out++ = ']';
  return out;
}

template <class It, class Messages>
It format_message_list(It out, const Messages& ms) {
  *out++ = '[';
  for (std::size_t i = 0; i < ms.size(); ++i) out = fmt::format_to(out, "{}{}", i ? ", " : "", ms[i]);
  *out++ = ']';
  return out;
}

}  // namespace cohort::paxos::detail

/// "<round>.<node>": ballot{3, node_id{1}} is "3.1".
template <>
struct fmt::formatter<cohort::paxos::ballot> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(cohort::paxos::ballot b, Ctx& ctx) const {
    return cohort::paxos::detail::format_ballot(ctx.out(), b);
  }
};

/// "prepare", "promise", "accept", "accepted", "nack"; else "unknown(<n>)".
template <>
struct fmt::formatter<cohort::paxos::message_type> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(cohort::paxos::message_type t, Ctx& ctx) const {
    return cohort::detail::format_enum_name(ctx.out(), t);
  }
};

/// "<from>-><to> <type> b=<ballot>", then " instance=<n>" when not 0, then
/// by type: promise " accepted=<ballot>" when it carries an accepted ballot;
/// nack " promised=<ballot>"; then the value when has_value. Examples:
///   1->2 prepare b=3.1
///   2->1 promise b=3.1 accepted=2.3 "x"
///   1->2 accept b=3.1 "x"
///   2->1 nack b=3.1 promised=4.2
template <>
struct fmt::formatter<cohort::paxos::message> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::paxos::message& m, Ctx& ctx) const {
    using cohort::paxos::message_type;
    auto out = fmt::format_to(ctx.out(), "{}->{} {} b={}", m.from.value(), m.to.value(), m.type, m.b);
    if (m.instance != 0) out = fmt::format_to(out, " instance={}", m.instance);
    if (m.type == message_type::promise && !m.accepted_ballot.is_zero())
      out = fmt::format_to(out, " accepted={}", m.accepted_ballot);
    if (m.type == message_type::nack) out = fmt::format_to(out, " promised={}", m.accepted_ballot);
    if (m.has_value) out = fmt::format_to(out, " {}", m.value);
    return out;
  }
};

/// "promised=<ballot> accepted=<ballot> <value>", or "promised=<ballot>
/// accepted=none" while nothing is accepted.
template <>
struct fmt::formatter<cohort::paxos::acceptor_state> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::paxos::acceptor_state& s, Ctx& ctx) const {
    if (s.accepted.is_zero()) return fmt::format_to(ctx.out(), "promised={} accepted=none", s.promised);
    return fmt::format_to(ctx.out(), "promised={} accepted={} {}", s.promised, s.accepted, s.value);
  }
};

/// "id=1 timeout_ticks=10 backoff_ticks=10".
template <>
struct fmt::formatter<cohort::paxos::single_config> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::paxos::single_config& c, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "id={} timeout_ticks={} backoff_ticks={}", c.id.value(), c.timeout_ticks,
                          c.backoff_ticks);
  }
};

/// The parts in use, in the order the driver acts on them, space-separated:
/// "persist(<acceptor_state>)" when persist, "messages=[<m>, ...]" when there
/// are any, "chosen=<value>" once chosen; "empty" when none is.
template <>
struct fmt::formatter<cohort::paxos::single_ready> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::paxos::single_ready& r, Ctx& ctx) const {
    auto out = ctx.out();
    const char* sep = "";
    if (r.persist) {
      out = fmt::format_to(out, "persist({})", r.state);
      sep = " ";
    }
    if (!r.messages.empty()) {
      out = fmt::format_to(out, "{}messages=", sep);
      out = cohort::paxos::detail::format_message_list(out, r.messages);
      sep = " ";
    }
    if (r.chosen) {
      out = fmt::format_to(out, "{}chosen={}", sep, *r.chosen);
      sep = " ";
    }
    if (*sep == '\0') out = fmt::format_to(out, "empty");
    return out;
  }
};

/// "prepare", "promise", "accept", "accept_response", "heartbeat",
/// "heartbeat_response", "nack"; else "unknown(<n>)".
template <>
struct fmt::formatter<cohort::paxos::multi_type> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(cohort::paxos::multi_type t, Ctx& ctx) const {
    return cohort::detail::format_enum_name(ctx.out(), t);
  }
};

/// "follower", "candidate", "leader"; else "unknown(<n>)".
template <>
struct fmt::formatter<cohort::paxos::multi_role> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(cohort::paxos::multi_role r, Ctx& ctx) const {
    return cohort::detail::format_enum_name(ctx.out(), r);
  }
};

/// The reason's name ("stale_ballot"); else (count_ included) "unknown(<n>)".
template <>
struct fmt::formatter<cohort::paxos::multi_reject> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(cohort::paxos::multi_reject r, Ctx& ctx) const {
    return cohort::detail::format_enum_name(ctx.out(), r);
  }
};

/// "<from>-><to> <type> b=<ballot>", then the fields the type uses (see the
/// table in multi_message.hpp), then the entries when there are any:
///   prepare             index=<i>
///   promise             index=<i> commit=<c> last=<l>[ rejected]
///   accept              index=<i> commit=<c>
///   accept_response     index=<i>[ rejected hint=<h>]
///   heartbeat           commit=<c>
///   heartbeat_response  (nothing)
///   nack                promised=<ballot>
///   unknown(<n>)        (nothing)
/// e.g. "1->2 accept b=3.1 index=5 commit=4 [3.1/6 "x", 3.1/7 ""]".
template <>
struct fmt::formatter<cohort::paxos::multi_message> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::paxos::multi_message& m, Ctx& ctx) const {
    using cohort::paxos::multi_type;
    auto out = fmt::format_to(ctx.out(), "{}->{} {} b={}", m.from.value(), m.to.value(), m.type, m.b);
    switch (m.type) {
      case multi_type::prepare: out = fmt::format_to(out, " index={}", m.index.value()); break;
      case multi_type::promise:
        out = fmt::format_to(out, " index={} commit={} last={}", m.index.value(), m.commit.value(), m.last.value());
        if (m.reject) out = fmt::format_to(out, " rejected");
        break;
      case multi_type::accept:
        out = fmt::format_to(out, " index={} commit={}", m.index.value(), m.commit.value());
        break;
      case multi_type::accept_response:
        out = fmt::format_to(out, " index={}", m.index.value());
        if (m.reject) out = fmt::format_to(out, " rejected hint={}", m.hint.value());
        break;
      case multi_type::heartbeat: out = fmt::format_to(out, " commit={}", m.commit.value()); break;
      case multi_type::nack: out = fmt::format_to(out, " promised={}", m.promised); break;
      default: break;
    }
    if (!m.entries.empty()) {
      *out++ = ' ';
      out = cohort::paxos::detail::format_multi_entries(out, m.entries);
    }
    return out;
  }
};

/// "steps=<n> proposals_refused=<n> elections_started=<n> slots_recovered=<n>
/// gaps_filled=<n> rejected=<total>", then, when the total is not 0, the
/// non-zero reasons in enumerator order: " (unknown_sender=1 stale_ballot=2)".
template <>
struct fmt::formatter<cohort::paxos::multi_stats> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::paxos::multi_stats& s, Ctx& ctx) const {
    auto out = fmt::format_to(ctx.out(),
                              "steps={} proposals_refused={} elections_started={} slots_recovered={} gaps_filled={} "
                              "rejected={}",
                              s.steps, s.proposals_refused, s.elections_started, s.slots_recovered, s.gaps_filled,
                              s.rejected_total());
    if (s.rejected_total() == 0) return out;
    const char* sep = " (";
    for (std::size_t i = 0; i < s.rejected.size(); ++i) {
      if (s.rejected[i] == 0) continue;
      out = fmt::format_to(out, "{}{}={}", sep, static_cast<cohort::paxos::multi_reject>(i), s.rejected[i]);
      sep = " ";
    }
    *out++ = ')';
    return out;
  }
};

/// "id=1 election_ticks=10 heartbeat_ticks=1 msg_bytes_max=1048576
/// inflight_msgs_max=256 inflight_bytes_max=0 proposal_entries_max=65536
/// uncommitted_bytes_max=0 slots_ahead_max=16777216 check_quorum=true".
template <>
struct fmt::formatter<cohort::paxos::multi_config> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::paxos::multi_config& c, Ctx& ctx) const {
    return fmt::format_to(ctx.out(),
                          "id={} election_ticks={} heartbeat_ticks={} msg_bytes_max={} inflight_msgs_max={} "
                          "inflight_bytes_max={} proposal_entries_max={} uncommitted_bytes_max={} slots_ahead_max={} "
                          "check_quorum={}",
                          c.id.value(), c.election_ticks, c.heartbeat_ticks, c.msg_bytes_max, c.inflight_msgs_max,
                          c.inflight_bytes_max, c.proposal_entries_max, c.uncommitted_bytes_max, c.slots_ahead_max,
                          c.check_quorum);
  }
};

/// "#<number>", then the parts in use, in the order the driver acts on them:
/// " hs=(promised=<ballot> chosen=<slot>)" (the hard state's term and vote
/// are the promised ballot, its commit the chosen-up-to slot),
/// " entries=[...]", " messages=[...]", " after_persist=[...]",
/// " committed=[...]"; " empty" when none is.
template <>
struct fmt::formatter<cohort::paxos::multi_ready> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::paxos::multi_ready& r, Ctx& ctx) const {
    namespace d = cohort::paxos::detail;
    auto out = fmt::format_to(ctx.out(), "#{}", r.number);
    if (r.empty()) return fmt::format_to(out, " empty");
    if (r.has_hard_state)
      out = fmt::format_to(out, " hs=(promised={}.{} chosen={})", r.hs.term.value(), r.hs.vote.value(),
                           r.hs.commit.value());
    if (!r.entries.empty()) out = d::format_multi_entries(fmt::format_to(out, " entries="), r.entries);
    if (!r.messages.empty()) out = d::format_message_list(fmt::format_to(out, " messages="), r.messages);
    if (!r.after_persist.empty())
      out = d::format_message_list(fmt::format_to(out, " after_persist="), r.after_persist);
    if (!r.committed.empty()) out = d::format_multi_entries(fmt::format_to(out, " committed="), r.committed);
    return out;
  }
};
