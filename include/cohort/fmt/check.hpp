// cohort/fmt/check.hpp - fmt formatters for the checkers' public types.
// Stable text:
//   outcome        "ok", "fail", "indeterminate", "pending"
//   verdict        "linearizable", "not linearizable", "unknown (search budget exhausted)"
//   check_result   "linearizable (<steps> steps, <n> partitions)", or the
//                  verdict, the same counts and, when not linearizable, the
//                  counterexample text on the following lines
#pragma once

#include <fmt/format.h>

#include "cohort/check/history.hpp"
#include "cohort/check/linearizability.hpp"
#include "cohort/fmt/core.hpp"

template <>
struct fmt::formatter<cohort::check::outcome> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(cohort::check::outcome o, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{}", cohort::check::name_of(o));
  }
};

template <>
struct fmt::formatter<cohort::check::verdict> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(cohort::check::verdict v, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{}", cohort::check::name_of(v));
  }
};

template <>
struct fmt::formatter<cohort::check::check_result> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::check::check_result& r, Ctx& ctx) const {
    auto out = fmt::format_to(ctx.out(), "{} ({} steps, {} partitions)", cohort::check::name_of(r.v), r.steps,
                              r.partitions);
    if (r.v == cohort::check::verdict::not_linearizable) out = fmt::format_to(out, "\n{}", r.cex.text);
    return out;
  }
};
