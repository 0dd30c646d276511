// cohort/fmt/raft.hpp - fmt formatters for the Raft core's public types.
// Stable text, used by the scenario scripts in tests/testdata/raft/.
#pragma once

#include <fmt/format.h>

#include "cohort/fmt/core.hpp"
#include "cohort/raft/message.hpp"
#include "cohort/raft/progress.hpp"
#include "cohort/raft/raw_node.hpp"

template <>
struct fmt::formatter<cohort::raft::message_type> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(cohort::raft::message_type t, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{}", cohort::raft::name_of(t));
  }
};

template <>
struct fmt::formatter<cohort::raft::role> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(cohort::raft::role r, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{}", cohort::raft::name_of(r));
  }
};

template <>
struct fmt::formatter<cohort::raft::progress_state> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(cohort::raft::progress_state s, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{}", cohort::raft::name_of(s));
  }
};

template <>
struct fmt::formatter<cohort::raft::reject_reason> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(cohort::raft::reject_reason r, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{}", cohort::raft::name_of(r));
  }
};

/// "1->2 append term=2 log=1/5 commit=4 [2/6 normal "x", 2/7 normal "y"]";
/// fields print only where the type uses them.
template <>
struct fmt::formatter<cohort::raft::message> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::raft::message& m, Ctx& ctx) const {
    using cohort::raft::message_type;
    auto out = fmt::format_to(ctx.out(), "{}->{} {} term={}", m.from.value(), m.to.value(), m.type, m.term.value());
    switch (m.type) {
      case message_type::append:
        out = fmt::format_to(out, " log={}/{} commit={}", m.log_term.value(), m.index.value(), m.commit.value());
        break;
      case message_type::append_response:
        out = fmt::format_to(out, " index={}", m.index.value());
        if (m.reject) out = fmt::format_to(out, " rejected hint={}/{}", m.hint_term.value(), m.hint_index.value());
        break;
      case message_type::heartbeat: out = fmt::format_to(out, " commit={}", m.commit.value()); break;
      case message_type::vote:
      case message_type::pre_vote:
        out = fmt::format_to(out, " last={}/{}", m.log_term.value(), m.index.value());
        break;
      case message_type::vote_response:
      case message_type::pre_vote_response:
        out = fmt::format_to(out, " {}", m.reject ? "rejected" : "granted");
        break;
      default: break;
    }
    if (!m.entries.empty()) {
      out = fmt::format_to(out, " [");
      for (std::size_t i = 0; i < m.entries.size(); ++i) out = fmt::format_to(out, "{}{}", i ? ", " : "", m.entries[i]);
      out = fmt::format_to(out, "]");
    }
    return out;
  }
};

template <>
struct fmt::formatter<cohort::raft::progress> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::raft::progress& p, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{}: {} match={} next={}{} inflight={}", p.id.value(), p.state, p.match.value(),
                          p.next.value(), p.probe_sent ? " probe_sent" : "", p.window.count());
  }
};
