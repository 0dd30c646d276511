// cohort/sim/trace.hpp - what happened in a simulated run, and its digest.
//
// Every component of the simulator reports to one `trace`: messages sent,
// delivered and dropped (with the reason), duplicated, node crashes and
// restarts, partitions and heals, clock steps, storage syncs, and the user's
// own notes. The trace always keeps a 64-bit digest of every record (FNV-1a
// over the fields, defined on integers so it is identical on every platform
// and compiler): two runs of one seed must give equal digests. Keeping the
// records themselves (for text and Chrome-trace export, see trace_export.hpp)
// is optional, since a long soak run does not want them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cohort/core/time.hpp"
#include "cohort/core/types.hpp"

namespace cohort::sim {

enum class trace_kind : std::uint8_t {
  send,          ///< node -> peer, message `msg`
  deliver,       ///< peer -> node (node is the receiver), message `msg`
  drop,          ///< message `msg` from node to peer lost; `text` says why
  duplicate,     ///< message `msg` from node to peer will arrive twice
  crash,         ///< node crashed; `value`: storage records lost
  restart,       ///< node restarted; `value`: 1 if a torn write was detected
  partition,     ///< the network changed; `text` describes it
  heal,          ///< every partition and clog removed
  clock_step,    ///< node's clock stepped by `value` ns (two's complement)
  sync,          ///< node's storage made ticket `value` durable
  note,          ///< a user note about node
};

constexpr std::string_view name_of(trace_kind k) noexcept {
  switch (k) {
    case trace_kind::send: return "send";
    case trace_kind::deliver: return "deliver";
    case trace_kind::drop: return "drop";
    case trace_kind::duplicate: return "duplicate";
    case trace_kind::crash: return "crash";
    case trace_kind::restart: return "restart";
    case trace_kind::partition: return "partition";
    case trace_kind::heal: return "heal";
    case trace_kind::clock_step: return "clock_step";
    case trace_kind::sync: return "sync";
    case trace_kind::note: return "note";
  }
  return "unknown";
}

struct trace_record {
  mono_time at{};            ///< true (simulation) time
  trace_kind kind = trace_kind::note;
  node_id node{};
  node_id peer{};
  std::uint64_t msg = 0;     ///< message number (send/deliver/drop/duplicate), 0 otherwise
  std::uint64_t value = 0;
  std::string text;          ///< a description (the message, the reason); kept only when recording
};

class trace {
 public:
  /// `keep_records`: keep every record for export (costs memory and the
  /// formatting of message descriptions); the digest is kept regardless.
  explicit trace(bool keep_records = false) : keep_(keep_records) {}

  [[nodiscard]] bool keeps_records() const noexcept { return keep_; }
  void keep_records(bool on) noexcept { keep_ = on; }

  /// Records one event. `text` is only evaluated by callers when
  /// keeps_records() is true (see wants_text()); it does not enter the digest.
  void add(mono_time at, trace_kind kind, node_id node, node_id peer, std::uint64_t msg, std::uint64_t value,
           std::string text = {}) {
    mix(static_cast<std::uint64_t>(at.time_since_epoch().count()));
    mix(static_cast<std::uint64_t>(kind));
    mix(node.value());
    mix(peer.value());
    mix(msg);
    mix(value);
    ++count_;
    if (keep_) records_.push_back(trace_record{at, kind, node, peer, msg, value, std::move(text)});
  }
  /// Whether callers should build description strings.
  [[nodiscard]] bool wants_text() const noexcept { return keep_; }

  /// A user's note; its text enters the digest (notes are rare).
  void note(mono_time at, node_id node, std::string_view text) {
    for (char c : text) mix(static_cast<unsigned char>(c));
    add(at, trace_kind::note, node, no_node, 0, text.size(), std::string(text));
  }

  [[nodiscard]] std::uint64_t digest() const noexcept { return digest_; }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] const std::vector<trace_record>& records() const noexcept { return records_; }
  void clear_records() { records_.clear(); }

 private:
  void mix(std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i) {
      digest_ ^= (v >> (8 * i)) & 0xffU;
      digest_ *= 0x100000001b3ULL;
    }
  }

  bool keep_;
  std::uint64_t digest_ = 0xcbf29ce484222325ULL;
  std::uint64_t count_ = 0;
  std::vector<trace_record> records_;
};

}  // namespace cohort::sim
