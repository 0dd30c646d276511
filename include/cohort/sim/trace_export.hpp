// cohort/sim/trace_export.hpp - a trace as readable text or Chrome trace JSON.
//
// Both return strings; writing them to a file is the caller's business (the
// toolkit does no I/O). The JSON follows the Trace Event Format read by
// Perfetto (ui.perfetto.dev) and chrome://tracing: one process, one thread
// ("track") per node, instant events for everything, and flow events (ph
// "s" at the send, "f" at the delivery, bound to the enclosing slice) that
// draw an arrow from sender to receiver for each delivered message.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "cohort/sim/trace.hpp"

namespace cohort::sim {

namespace detail {

inline std::string time_text(mono_time t) {
  const auto ns = t.time_since_epoch().count();
  return fmt::format("{}.{:06}", ns / 1'000'000'000, (ns % 1'000'000'000) / 1000);
}

inline void json_escape(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else out += c;
    }
  }
}

}  // namespace detail

/// One line per record: "  1.234567 n2 deliver <- n1 #17 append{...}".
inline std::string to_text(const trace& t) {
  std::string out;
  for (const auto& r : t.records()) {
    out += fmt::format("{:>12} n{:<3} {:<10}", detail::time_text(r.at), r.node.value(), name_of(r.kind));
    switch (r.kind) {
      case trace_kind::send: out += fmt::format(" -> n{} #{}", r.peer.value(), r.msg); break;
      case trace_kind::deliver: out += fmt::format(" <- n{} #{}", r.peer.value(), r.msg); break;
      case trace_kind::drop:
      case trace_kind::duplicate: out += fmt::format(" -> n{} #{}", r.peer.value(), r.msg); break;
      case trace_kind::clock_step: out += fmt::format(" by {} us", static_cast<std::int64_t>(r.value) / 1000); break;
      case trace_kind::sync: out += fmt::format(" ticket {}", r.value); break;
      default: break;
    }
    if (!r.text.empty()) out += fmt::format(" {}", r.text);
    out += '\n';
  }
  return out;
}

/// The Chrome Trace Event Format document (a JSON object with "traceEvents").
inline std::string to_chrome_json(const trace& t, std::string_view title = "cohort simulation") {
  std::string out = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[";
  bool first = true;
  auto begin_event = [&] {
    if (!first) out += ",\n";
    first = false;
  };
  // Track names: one thread per node (tid = node id; 0 = the network itself).
  std::set<std::uint64_t> tracks{0};
  for (const auto& r : t.records()) tracks.insert(r.node.value());
  begin_event();
  out += "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"";
  detail::json_escape(out, title);
  out += "\"}}";
  for (auto n : tracks) {
    begin_event();
    out += fmt::format("{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{},\"args\":{{\"name\":\"{}\"}}}}", n,
                       n == 0 ? std::string("network") : fmt::format("node {}", n));
  }
  // Flow arrows only for messages that were delivered.
  std::set<std::uint64_t> delivered;
  for (const auto& r : t.records())
    if (r.kind == trace_kind::deliver) delivered.insert(r.msg);
  for (const auto& r : t.records()) {
    const auto us = r.at.time_since_epoch().count() / 1000;
    const auto frac = r.at.time_since_epoch().count() % 1000;
    const std::string ts = fmt::format("{}.{:03}", us, frac);
    begin_event();
    out += fmt::format("{{\"name\":\"{}\",\"cat\":\"sim\",\"ph\":\"X\",\"dur\":1,\"pid\":1,\"tid\":{},\"ts\":{},\"args\":{{",
                       name_of(r.kind), r.node.value(), ts);
    out += fmt::format("\"peer\":{},\"msg\":{},\"value\":{},\"text\":\"", r.peer.value(), r.msg, r.value);
    detail::json_escape(out, r.text);
    out += "\"}}";
    const bool flow_start = r.kind == trace_kind::send && delivered.count(r.msg) != 0;
    const bool flow_end = r.kind == trace_kind::deliver;
    if (flow_start || flow_end) {
      begin_event();
      out += fmt::format("{{\"name\":\"message\",\"cat\":\"msg\",\"ph\":\"{}\",\"bp\":\"e\",\"id\":{},\"pid\":1,\"tid\":{},\"ts\":{}}}",
                         flow_start ? "s" : "f", r.msg, r.node.value(), ts);
    }
  }
  out += "\n]}\n";
  return out;
}

}  // namespace cohort::sim
