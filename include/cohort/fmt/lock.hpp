// cohort/fmt/lock.hpp - fmt formatters for the lock primitives' public types.
//
// Kept out of the lock headers so that they do not pull fmt in. The text is
// stable: tests compare it, so change it only with the tests. session_id and
// fencing_token print as numbers (cohort/fmt/core.hpp's tagged_u64).
//
//   command_kind, lock_mode, reply_kind, counter_op
//                 the enumerator name ("open_session"); a value with no
//                 enumerator (a corrupt command) prints "unknown(<number>)"
//   command, command_view
//                 the kind, then its fields (durations as seconds, see core):
//                   "tick"
//                   "open_session ttl=2.000000000s owner=7"
//                   "keep_alive session=3", "close_session session=3"
//                   "acquire session=3 request=1 \"db\" exclusive wait=forever"
//                     (+ " permits=2/5" for a semaphore, + " lock_delay=<d>"
//                     unless the service's default)
//                   "release session=3 \"db\" token=9"
//                   "bind session=3 \"db\"", and acquire_handle and
//                   release_handle as acquire and release with
//                   "handle=<h>" in place of the name
//                 then " at=<stamp>" when the leader has stamped it
//   grant         "session=3 owner=7 request=1 \"db\" token=9 exclusive"
//                 (+ " permits=2" for a semaphore, + " handle=<h>" for a
//                 request made by handle, whose name prints as "")
//   reply         "<kind>", then " session=<s>", " token=<t>", " ttl=<d>",
//                 " handle=<h>" for the fields that are set
//   applied       "reply=<reply or error(...)>", then " granted=[<grant>; ...]",
//                 " timed_out=[...]", " freed=[...]", " expired=(3 4)" when
//                 not empty
//   counter_command  "add client=1 request=2 delta=5", "get client=1 request=2",
//                    "compare_and_set client=1 request=2 expected=3 desired=4"
//   counter_reply    "value=5 swapped=true"
// Lock names print escaped and quoted, as fmt's "{:?}" does.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

#include "cohort/fmt/core.hpp"
#include "cohort/lock/command.hpp"
#include "cohort/lock/counter.hpp"
#include "cohort/lock/lock_service.hpp"

namespace cohort::lock::detail {

template <class It>
It format_duration(It out, duration d) {
  return cohort::detail::format_nanos(out, d.count());
}

template <class It>
It format_grants(It out, std::string_view label, const std::vector<grant>& gs) {
  if (gs.empty()) return out;
  out = fmt::format_to(out, " {}=[", label);
  for (std::size_t i = 0; i < gs.size(); ++i) out = fmt::format_to(out, "{}{}", i == 0 ? "" : "; ", gs[i]);
  return fmt::format_to(out, "]");
}

}  // namespace cohort::lock::detail

template <class Enum>
  requires std::is_same_v<Enum, cohort::lock::command_kind> || std::is_same_v<Enum, cohort::lock::lock_mode> ||
           std::is_same_v<Enum, cohort::lock::reply_kind> || std::is_same_v<Enum, cohort::lock::counter_op>
struct fmt::formatter<Enum> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(Enum e, Ctx& ctx) const {
    return cohort::detail::format_enum_name(ctx.out(), e);
  }
};

template <class Name>
struct fmt::formatter<cohort::lock::basic_command<Name>> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::lock::basic_command<Name>& c, Ctx& ctx) const {
    using cohort::lock::command_kind;
    namespace d = cohort::lock::detail;
    auto out = cohort::detail::format_enum_name(ctx.out(), c.kind);
    switch (c.kind) {
      case command_kind::open_session:
        out = d::format_duration(fmt::format_to(out, " ttl="), c.ttl);
        out = fmt::format_to(out, " owner={}", c.owner);
        break;
      case command_kind::keep_alive:
      case command_kind::close_session: out = fmt::format_to(out, " session={}", c.session); break;
      case command_kind::bind: out = fmt::format_to(out, " session={} {:?}", c.session, std::string_view(c.name)); break;
      case command_kind::acquire:
      case command_kind::acquire_handle:
        out = fmt::format_to(out, " session={} request={} ", c.session, c.request);
        if (c.kind == command_kind::acquire) out = fmt::format_to(out, "{:?} ", std::string_view(c.name));
        else out = fmt::format_to(out, "handle={} ", c.handle);
        out = cohort::detail::format_enum_name(out, c.mode);
        if (c.wait == cohort::lock::wait_forever) out = fmt::format_to(out, " wait=forever");
        else out = d::format_duration(fmt::format_to(out, " wait="), c.wait);
        if (c.mode == cohort::lock::lock_mode::semaphore) out = fmt::format_to(out, " permits={}/{}", c.permits, c.limit);
        if (c.lock_delay != cohort::lock::default_lock_delay)
          out = d::format_duration(fmt::format_to(out, " lock_delay="), c.lock_delay);
        break;
      case command_kind::release:
        out = fmt::format_to(out, " session={} {:?} token={}", c.session, std::string_view(c.name), c.token);
        break;
      case command_kind::release_handle:
        out = fmt::format_to(out, " session={} handle={} token={}", c.session, c.handle, c.token);
        break;
      default: break;  // tick, or a kind with no fields of its own
    }
    if (c.stamp != cohort::mono_time{}) out = fmt::format_to(out, " at={}", c.stamp);
    return out;
  }
};

template <>
struct fmt::formatter<cohort::lock::grant> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::lock::grant& g, Ctx& ctx) const {
    auto out = fmt::format_to(ctx.out(), "session={} owner={} request={} {:?} token={} ", g.session, g.owner, g.request,
                              std::string_view(g.lock), g.token);
    out = cohort::detail::format_enum_name(out, g.mode);
    if (g.mode == cohort::lock::lock_mode::semaphore) out = fmt::format_to(out, " permits={}", g.permits);
    if (g.handle != cohort::lock::lock_handle{}) out = fmt::format_to(out, " handle={}", g.handle);
    return out;
  }
};

template <>
struct fmt::formatter<cohort::lock::reply> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::lock::reply& r, Ctx& ctx) const {
    auto out = cohort::detail::format_enum_name(ctx.out(), r.kind);
    if (r.session != cohort::lock::session_id{}) out = fmt::format_to(out, " session={}", r.session);
    if (r.token != cohort::lock::fencing_token{}) out = fmt::format_to(out, " token={}", r.token);
    if (r.ttl != cohort::duration{}) out = cohort::lock::detail::format_duration(fmt::format_to(out, " ttl="), r.ttl);
    if (r.handle != cohort::lock::lock_handle{}) out = fmt::format_to(out, " handle={}", r.handle);
    return out;
  }
};

template <>
struct fmt::formatter<cohort::lock::applied> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::lock::applied& a, Ctx& ctx) const {
    namespace d = cohort::lock::detail;
    auto out = fmt::format_to(ctx.out(), "reply={}", a.reply);
    out = d::format_grants(out, "granted", a.granted);
    out = d::format_grants(out, "timed_out", a.timed_out);
    out = d::format_grants(out, "freed", a.freed);
    if (!a.expired.empty()) {
      out = fmt::format_to(out, " expired=(");
      for (std::size_t i = 0; i < a.expired.size(); ++i) out = fmt::format_to(out, "{}{}", i == 0 ? "" : " ", a.expired[i]);
      out = fmt::format_to(out, ")");
    }
    return out;
  }
};

template <>
struct fmt::formatter<cohort::lock::counter_command> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::lock::counter_command& c, Ctx& ctx) const {
    using cohort::lock::counter_op;
    auto out = cohort::detail::format_enum_name(ctx.out(), c.op);
    out = fmt::format_to(out, " client={} request={}", c.client, c.request);
    if (c.op == counter_op::add) out = fmt::format_to(out, " delta={}", c.a);
    if (c.op == counter_op::compare_and_set) out = fmt::format_to(out, " expected={} desired={}", c.a, c.b);
    return out;
  }
};

template <>
struct fmt::formatter<cohort::lock::counter_reply> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::lock::counter_reply& r, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "value={} swapped={}", r.value, r.swapped);
  }
};
