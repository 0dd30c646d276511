// cohort/fmt/partition.hpp - fmt formatters for the partitioners' public types.
//
// Kept out of the partition headers so that they do not pull fmt in. The text
// is stable: tests compare it, so change it only with the tests. Names, labels
// and keys print quoted and escaped as fmt's "{:?}" does ("a\"b", "\x01").
//
//   member            "1 \"10.0.0.1:11211\" weight=1 zone=\"eu\" rack=\"r2\""
//                     (zone and rack only when not empty; weight in fmt's
//                     shortest round-trip form: 1, 0.5, 1000000)
//   moved_key         "\"key\" 1->2"
// A partitioner prints a one-line summary, "<algorithm> members=(<ids>)" and
// its parameters:
//   ring              "ring members=(1 2 3) points=480 points_per_unit=160"
//   ketama_ring       "ketama members=(1 2 3) points=480"
//   jump              "jump members=3" (jump keeps no ids it can show in order)
//   maglev            "maglev members=(1 2 3) table_size=65537"
//   memento           "memento members=2 buckets=(1 - 3)" ("-": a removed bucket)
//   multi_probe       "multi_probe members=(1 2 3) probes=21"
//   rendezvous        "rendezvous members=(1 2 3)"
//   placement         "placement members=(1@eu/r1 2@eu/r2 3@/)" (id@zone/rack)
//   bounded_load      "bounded_load epsilon=0.25 total=10 capacity=5 loads=(1:3 2:4 3:3)"
// Member ids are in insertion order where the partitioner keeps it (ketama,
// maglev, rendezvous, placement, bounded_load) and ascending where it only
// keeps points (ring, multi_probe). The nested table records (ring points,
// maglev slots, memento buckets...) are internals and have no formatter.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "cohort/fmt/core.hpp"
#include "cohort/partition/bounded_load.hpp"
#include "cohort/partition/concepts.hpp"
#include "cohort/partition/jump.hpp"
#include "cohort/partition/ketama.hpp"
#include "cohort/partition/maglev.hpp"
#include "cohort/partition/memento.hpp"
#include "cohort/partition/multi_probe.hpp"
#include "cohort/partition/placement.hpp"
#include "cohort/partition/rendezvous.hpp"
#include "cohort/partition/ring.hpp"

namespace cohort::partition::detail {

/// "(<id> <id> ...)" of the members, in their order.
template <class It, class Members>
It format_member_ids(It out, const Members& ms) {
  std::vector<node_id> ids;
  for (const auto& m : ms) ids.push_back(m.id);
  return cohort::detail::format_node_list(out, ids);
}

/// "(<id> <id> ...)" of the distinct ids among `points`, ascending.
template <class It, class Points>
It format_point_ids(It out, const Points& points) {
  std::vector<node_id> ids;
  for (const auto& p : points) ids.push_back(p.id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return cohort::detail::format_node_list(out, ids);
}

}  // namespace cohort::partition::detail

/// "<id> <name> weight=<w>", then " zone=<zone>" and " rack=<rack>" when set;
/// strings quoted: 1 "10.0.0.1:11211" weight=2.5 zone="eu" rack="r2".
template <>
struct fmt::formatter<cohort::partition::member> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::partition::member& m, Ctx& ctx) const {
    auto out = fmt::format_to(ctx.out(), "{} {:?} weight={}", m.id.value(), m.name, m.weight);
    if (!m.zone.empty()) out = fmt::format_to(out, " zone={:?}", m.zone);
    if (!m.rack.empty()) out = fmt::format_to(out, " rack={:?}", m.rack);
    return out;
  }
};

/// "<key> <from>-><to>", the key quoted: "user:42" 1->3.
template <>
struct fmt::formatter<cohort::partition::moved_key> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::partition::moved_key& k, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{:?} {}->{}", k.key, k.from.value(), k.to.value());
  }
};

/// "ring members=(<ids ascending>) points=<n> points_per_unit=<n>".
template <class H>
struct fmt::formatter<cohort::partition::ring<H>> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::partition::ring<H>& r, Ctx& ctx) const {
    auto out = cohort::partition::detail::format_point_ids(fmt::format_to(ctx.out(), "ring members="), r.points());
    return fmt::format_to(out, " points={} points_per_unit={}", r.points().size(), r.points_per_unit());
  }
};

/// "ketama members=(<ids in insertion order>) points=<n>".
template <>
struct fmt::formatter<cohort::partition::ketama_ring> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::partition::ketama_ring& r, Ctx& ctx) const {
    auto out = cohort::partition::detail::format_member_ids(fmt::format_to(ctx.out(), "ketama members="), r.members());
    return fmt::format_to(out, " points={}", r.points().size());
  }
};

/// "jump members=<count>".
template <class H>
struct fmt::formatter<cohort::partition::jump<H>> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::partition::jump<H>& j, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "jump members={}", j.size());
  }
};

/// "maglev members=(<ids in insertion order>) table_size=<n>".
template <class H>
struct fmt::formatter<cohort::partition::maglev<H>> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::partition::maglev<H>& m, Ctx& ctx) const {
    auto out = cohort::partition::detail::format_member_ids(fmt::format_to(ctx.out(), "maglev members="), m.members());
    return fmt::format_to(out, " table_size={}", m.table_size());
  }
};

/// "memento members=<count> buckets=(<owner or -> ...)": each bucket's owner
/// in bucket order, "-" for a removed bucket.
template <class H>
struct fmt::formatter<cohort::partition::memento<H>> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::partition::memento<H>& m, Ctx& ctx) const {
    auto out = fmt::format_to(ctx.out(), "memento members={} buckets=(", m.size());
    const char* sep = "";
    for (const auto& b : m.buckets()) {
      if (b.owner == cohort::no_node) out = fmt::format_to(out, "{}-", sep);
      else out = fmt::format_to(out, "{}{}", sep, b.owner.value());
      sep = " ";
    }
    *out++ = ')';
    return out;
  }
};

/// "multi_probe members=(<ids ascending>) probes=<n>".
template <class H>
struct fmt::formatter<cohort::partition::multi_probe<H>> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::partition::multi_probe<H>& p, Ctx& ctx) const {
    auto out = cohort::partition::detail::format_point_ids(fmt::format_to(ctx.out(), "multi_probe members="), p.ring());
    return fmt::format_to(out, " probes={}", p.probes());
  }
};

/// "rendezvous members=(<ids in insertion order>)".
template <class H>
struct fmt::formatter<cohort::partition::rendezvous<H>> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::partition::rendezvous<H>& r, Ctx& ctx) const {
    return cohort::partition::detail::format_member_ids(fmt::format_to(ctx.out(), "rendezvous members="), r.members());
  }
};

/// "placement members=(<id>@<zone>/<rack> ...)" in insertion order, labels
/// unquoted (empty labels print as nothing: "3@/").
template <class H>
struct fmt::formatter<cohort::partition::placement<H>> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::partition::placement<H>& p, Ctx& ctx) const {
    auto out = fmt::format_to(ctx.out(), "placement members=(");
    const char* sep = "";
    for (const auto& m : p.members()) {
      out = fmt::format_to(out, "{}{}@{}/{}", sep, m.id.value(), m.zone, m.rack);
      sep = " ";
    }
    *out++ = ')';
    return out;
  }
};

/// "bounded_load epsilon=<e> total=<keys> capacity=<c> loads=(<id>:<load> ...)"
/// with capacity = capacity(total), loads in insertion order.
template <class H>
struct fmt::formatter<cohort::partition::bounded_load<H>> : cohort::detail::plain_formatter {
  template <class Ctx>
  auto format(const cohort::partition::bounded_load<H>& b, Ctx& ctx) const {
    auto out = fmt::format_to(ctx.out(), "bounded_load epsilon={} total={} capacity={} loads=(", b.epsilon(),
                              b.total_load(), b.capacity(b.total_load()));
    const char* sep = "";
    for (const auto& m : b.members()) {
      out = fmt::format_to(out, "{}{}:{}", sep, m.id.value(), m.load);
      sep = " ";
    }
    *out++ = ')';
    return out;
  }
};
