// cohort/fmt/core.hpp - fmt formatters for the vocabulary in cohort/core.
//
// Kept out of the core headers so that cores do not pull fmt in. The text is
// stable: scenario tests compare it, so change it only with the tests.
//
//   node_id, term, log_index   the number; integer format specs apply ({:>4})
//   errc                       its enumerator name ("not_leader")
//   error                      "not_leader: <message> (node 2)"
//   result<T>                  the value, or "error(<error>)"
//   bytes                      "abc" when short and printable, else 0x6162…(n bytes)
//   log_entry                  "<term>/<index> <kind> <data>"; kind is "normal" or "config"
//   hard_state                 "term=3 vote=1 commit=5"
//   membership                 "voters=(1 2 3)&&(1 2) learners=(4) learners_next=(5) autoleave"
//   snapshot_meta              "index=9 term=2 <membership>"
//   mono_time, wall_time       seconds with nanoseconds, "12.000000345s"
//   event                      "<kind> node=1 peer=2 term=3 index=4 value=5 <detail>"
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string_view>
#include <type_traits>

#include "cohort/core/bytes.hpp"
#include "cohort/core/errc.hpp"
#include "cohort/core/event.hpp"
#include "cohort/core/log.hpp"
#include "cohort/core/result.hpp"
#include "cohort/core/time.hpp"
#include "cohort/core/types.hpp"

namespace cohort {

namespace detail {

/// A formatter with no format spec of its own ("{}" only).
struct plain_formatter {
  constexpr auto parse(fmt::format_parse_context& ctx) {
    auto it = ctx.begin();
    if (it != ctx.end() && *it != '}') ctx.on_error("cohort: this type takes no format spec");
    return it;
  }
};

template <class It>
It format_node_list(It out, const std::vector<node_id>& nodes) {
  *out++ = '(';
  bool first = true;
  for (auto n : nodes) {
    if (!first) *out++ = ' ';
    first = false;
    out = fmt::format_to(out, "{}", n.value());
  }
  *out++ = ')';
  return out;
}

template <class It>
It format_nanos(It out, std::int64_t ns) {
  const bool neg = ns < 0;
  // Work in unsigned to format INT64_MIN correctly.
  const std::uint64_t mag = neg ? std::uint64_t{0} - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  return fmt::format_to(out, "{}{}.{:09}s", neg ? "-" : "", mag / 1'000'000'000u, mag % 1'000'000'000u);
}

/// An enumerator's name by its name_of() (found by argument-dependent
/// lookup), or "unknown(<number>)" where name_of answers "unknown": a value
/// with no enumerator, e.g. from a corrupt message.
template <class It, class Enum>
It format_enum_name(It out, Enum e) {
  const std::string_view name = name_of(e);
  if (name != "unknown") return fmt::format_to(out, "{}", name);
  return fmt::format_to(out, "unknown({})", static_cast<unsigned>(static_cast<std::underlying_type_t<Enum>>(e)));
}

}  // namespace detail
}  // namespace cohort

template <class Tag>
struct fmt::formatter<cohort::tagged_u64<Tag>> : fmt::formatter<std::uint64_t> {
  template <class Ctx>
  auto format(cohort::tagged_u64<Tag> v, Ctx& ctx) const {
    return fmt::formatter<std::uint64_t>::format(v.value(), ctx);
  }
};

template <>
struct fmt::formatter<cohort::errc> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(cohort::errc e, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(cohort::name_of(e), ctx);
  }
};

template <>
struct fmt::formatter<cohort::entry_kind> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(cohort::entry_kind k, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(cohort::name_of(k), ctx);
  }
};

template <>
struct fmt::formatter<cohort::event_kind> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(cohort::event_kind k, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(cohort::name_of(k), ctx);
  }
};

template <>
struct fmt::formatter<cohort::error> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::error& e, Ctx& ctx) const {
    auto out = fmt::format_to(ctx.out(), "{}: {}", cohort::name_of(e.code), e.message);
    if (e.node != cohort::no_node) out = fmt::format_to(out, " (node {})", e.node.value());
    return out;
  }
};

template <class T>
struct fmt::formatter<cohort::result<T>> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::result<T>& r, Ctx& ctx) const {
    if (!r) return fmt::format_to(ctx.out(), "error({})", r.error());
    if constexpr (std::is_void_v<T>) {
      return fmt::format_to(ctx.out(), "ok");
    } else {
      return fmt::format_to(ctx.out(), "{}", *r);
    }
  }
};

template <>
struct fmt::formatter<cohort::bytes> : cohort::detail::plain_formatter {
  static constexpr std::size_t shown_max = 32;
  template <class Ctx>
  auto format(const cohort::bytes& b, Ctx& ctx) const {
    auto out = ctx.out();
    bool printable = b.size() <= shown_max;
    for (std::byte c : b) printable = printable && std::to_integer<unsigned>(c) >= 0x20 &&
                                      std::to_integer<unsigned>(c) < 0x7f && c != std::byte{'"'} &&
                                      c != std::byte{'\\'};
    if (printable) return fmt::format_to(out, "\"{}\"", b.as_string_view());
    out = fmt::format_to(out, "0x");
    const std::size_t shown = b.size() < shown_max / 2 ? b.size() : shown_max / 2;
    for (std::size_t i = 0; i < shown; ++i) out = fmt::format_to(out, "{:02x}", std::to_integer<unsigned>(b[i]));
    if (shown < b.size()) out = fmt::format_to(out, "…");
    return fmt::format_to(out, "({} bytes)", b.size());
  }
};

template <>
struct fmt::formatter<cohort::log_entry> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::log_entry& e, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{}/{} {} {}", e.term.value(), e.index.value(), cohort::name_of(e.kind), e.data);
  }
};

template <>
struct fmt::formatter<cohort::hard_state> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::hard_state& h, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "term={} vote={} commit={}", h.term.value(), h.vote.value(), h.commit.value());
  }
};

template <>
struct fmt::formatter<cohort::membership> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::membership& m, Ctx& ctx) const {
    auto out = fmt::format_to(ctx.out(), "voters=");
    out = cohort::detail::format_node_list(out, m.voters);
    if (m.is_joint()) {
      out = fmt::format_to(out, "&&");
      out = cohort::detail::format_node_list(out, m.voters_outgoing);
    }
    if (!m.learners.empty()) {
      out = fmt::format_to(out, " learners=");
      out = cohort::detail::format_node_list(out, m.learners);
    }
    if (!m.learners_next.empty()) {
      out = fmt::format_to(out, " learners_next=");
      out = cohort::detail::format_node_list(out, m.learners_next);
    }
    if (m.auto_leave) out = fmt::format_to(out, " autoleave");
    return out;
  }
};

template <>
struct fmt::formatter<cohort::snapshot_meta> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::snapshot_meta& m, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "index={} term={} {}", m.index.value(), m.term.value(), m.config);
  }
};

template <>
struct fmt::formatter<cohort::mono_time> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(cohort::mono_time t, Ctx& ctx) const {
    return cohort::detail::format_nanos(ctx.out(), t.time_since_epoch().count());
  }
};

template <>
struct fmt::formatter<cohort::wall_time> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(cohort::wall_time t, Ctx& ctx) const {
    return cohort::detail::format_nanos(ctx.out(), t.time_since_epoch().count());
  }
};

template <>
struct fmt::formatter<cohort::event> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::event& e, Ctx& ctx) const {
    auto out = fmt::format_to(ctx.out(), "{} node={}", cohort::name_of(e.kind), e.node.value());
    if (e.peer != cohort::no_node) out = fmt::format_to(out, " peer={}", e.peer.value());
    if (e.term != cohort::term{0}) out = fmt::format_to(out, " term={}", e.term.value());
    if (e.index != cohort::log_index{0}) out = fmt::format_to(out, " index={}", e.index.value());
    if (e.value != 0) out = fmt::format_to(out, " value={}", e.value);
    if (!e.detail.empty()) out = fmt::format_to(out, " {}", e.detail);
    return out;
  }
};
