// bench/inmem_workload.hpp - the parts of the in-memory replicated-log
// workloads (WORKLOADS.md: raft3-inmem, paxos3-inmem) that do not depend on
// the protocol: flags, payloads, the apply rule and its checksum, allocation
// counting and the JSON line.
//
// Include it in exactly one translation unit per runner: it replaces the
// global operator new/delete of the binary to count allocations.
#pragma once

#include <cohort/core/bytes.hpp>
#include <cohort/core/types.hpp>
#include <cohort/raft/memory_storage.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// ---- allocation counting ----------------------------------------------------

namespace inmem {
inline std::uint64_t g_allocs = 0;
inline std::uint64_t g_alloc_bytes = 0;

inline void* counted_alloc(std::size_t n) {
  ++g_allocs;
  g_alloc_bytes += n;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
inline void* counted_aligned(std::size_t n, std::size_t al) {
  ++g_allocs;
  g_alloc_bytes += n;
  const std::size_t rounded = (n + al - 1) / al * al;
  if (void* p = std::aligned_alloc(al, rounded == 0 ? al : rounded)) return p;
  throw std::bad_alloc();
}
}  // namespace inmem

void* operator new(std::size_t n) { return inmem::counted_alloc(n); }
void* operator new[](std::size_t n) { return inmem::counted_alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try { return inmem::counted_alloc(n); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try { return inmem::counted_alloc(n); } catch (...) { return nullptr; }
}
void* operator new(std::size_t n, std::align_val_t a) { return inmem::counted_aligned(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return inmem::counted_aligned(n, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace inmem {

constexpr std::uint64_t fnv_offset = 14695981039346656037ULL;
constexpr std::uint64_t fnv_prime = 1099511628211ULL;

/// The runner's name, for messages.
inline const char* g_tool = "cohort_bench";

[[noreturn]] inline void fail(const std::string& why) {
  std::fprintf(stderr, "%s: FAILED: %s\n", g_tool, why.c_str());
  std::exit(1);
}

struct options {
  std::uint64_t entries = 1'000'000;
  std::size_t payload = 128;
  std::size_t batch = 64;
  std::string mode = "single";
  bool floor = false;
};

/// --entries N --payload P --batch B --mode single|msgprop [--floor]; exits 2 on bad flags.
inline options parse(int argc, char** argv) {
  options o;
  auto number = [&](int& i) -> std::uint64_t {
    if (i + 1 >= argc) fail(std::string("missing value after ") + argv[i]);
    char* end = nullptr;
    const auto v = std::strtoull(argv[++i], &end, 10);
    if (end == argv[i] || *end != '\0') fail(std::string("not a number: ") + argv[i]);
    return v;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--entries") o.entries = number(i);
    else if (a == "--payload") o.payload = number(i);
    else if (a == "--batch") o.batch = number(i);
    else if (a == "--floor") o.floor = true;
    else if (a == "--mode" && i + 1 < argc) o.mode = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--entries N] [--payload P>=8] [--batch B>=1] [--mode single|msgprop] [--floor]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  if (o.entries == 0 || o.payload < 8 || o.batch < 1 || (o.mode != "single" && o.mode != "msgprop")) {
    std::fprintf(stderr, "need --entries >= 1, --payload >= 8, --batch >= 1, --mode single|msgprop\n");
    std::exit(2);
  }
  return o;
}

/// One slab of N*P bytes, and one shared slice per payload: bytes [0,8) the
/// little-endian sequence number s, then (s + i) mod 256 at position i.
inline std::vector<cohort::bytes> build_payloads(const options& o) {
  const cohort::bytes slab = cohort::bytes::build(o.entries * o.payload, [&](std::span<std::byte> out) {
    for (std::uint64_t s = 0; s < o.entries; ++s) {
      std::byte* p = out.data() + s * o.payload;
      for (int k = 0; k < 8; ++k) p[k] = static_cast<std::byte>(s >> (8 * k));
      for (std::size_t i = 8; i < o.payload; ++i) p[i] = static_cast<std::byte>(s + i);
    }
  });
  std::vector<cohort::bytes> out;
  out.reserve(o.entries);
  for (std::uint64_t s = 0; s < o.entries; ++s) out.push_back(slab.slice(s * o.payload, o.payload));
  return out;
}

/// The apply rule, per node: payloads in sequence order, FNV-64 over (seq, index).
struct applier {
  std::uint64_t applied = 0;
  std::uint64_t bytes_applied = 0;
  std::uint64_t h = fnv_offset;
  std::string order_fail;

  // Inline: called once per entry per node, in the floor as in the protocol
  // runs; the failure reports are out of line.
  void apply(const cohort::bytes& data, cohort::log_index index) {
    if (data.empty()) return;  // a leader's no-op
    if (data.size() < 8) [[unlikely]] {
      note_short();
      return;
    }
    std::uint64_t s = 0;
    std::memcpy(&s, data.data(), 8);  // little-endian host (x86-64, aarch64)
    if (s != applied) [[unlikely]]
      note_out_of_order(index, s);
    bytes_applied += data.size();
    h = (h ^ s) * fnv_prime;
    h = (h ^ index.value()) * fnv_prime;
    ++applied;
  }

 private:
  [[gnu::noinline, gnu::cold]] void note_short() {
    if (order_fail.empty()) order_fail = "entry with a payload shorter than 8 bytes";
  }
  [[gnu::noinline, gnu::cold]] void note_out_of_order(cohort::log_index index, std::uint64_t s) {
    if (order_fail.empty())
      order_fail = "entry " + std::to_string(index.value()) + " carries seq " + std::to_string(s) + ", want " +
                   std::to_string(applied);
  }
};

struct outcome {
  double seconds = 0;
  std::uint64_t allocs = 0;
  std::uint64_t alloc_bytes = 0;
  std::uint64_t checksum = 0;
};

/// Each node's log starts after a snapshot at index 1, term 1, voters {1,2,3}.
inline cohort::snapshot bootstrap_snapshot() {
  cohort::snapshot sn;
  sn.meta.index = cohort::log_index{1};
  sn.meta.term = cohort::term{1};
  sn.meta.config.voters = {cohort::node_id{1}, cohort::node_id{2}, cohort::node_id{3}};
  return sn;
}

constexpr int node_count = 3;

/// Three raw nodes over memory_storage joined by a FIFO queue: steps (b) and
/// (c) of the workload. Node is a raw level with has_ready/take_ready/
/// acknowledge/step (raft::raw_node, paxos::raw_node).
template <class Node>
class cluster {
 public:
  using message_type = typename decltype(std::declval<Node&>().take_ready().messages)::value_type;

  /// make(i, storage) creates node i (1-based) over its storage.
  template <class Make>
  explicit cluster(Make make) {
    nodes_.reserve(node_count);
    for (std::uint64_t i = 1; i <= node_count; ++i) {
      storages_[i - 1] = std::make_unique<cohort::raft::memory_storage>(bootstrap_snapshot());
      auto r = make(i, *storages_[i - 1]);
      if (!r) fail("create node " + std::to_string(i) + ": " + r.error().message);
      nodes_.push_back(std::move(r).value());
    }
    queue_.reserve(1024);
    spare_.reserve(1024);
  }

  Node& node(int i) { return nodes_[static_cast<std::size_t>(i)]; }
  const applier& app(int i) const { return appliers_[static_cast<std::size_t>(i)]; }
  const cohort::raft::memory_storage& storage(int i) const { return *storages_[static_cast<std::size_t>(i)]; }

  /// Steps (b) and (c); whether anything happened.
  bool round() {
    bool active = false;
    for (int i = 0; i < node_count; ++i) active |= process(i);
    if (!queue_.empty()) active = true;
    deliver();
    return active;
  }
  /// Rounds until nothing happens (untimed set-up).
  void settle(const char* what) {
    for (int k = 0; k < 1000; ++k)
      if (!round()) return;
    fail(std::string(what) + " did not settle within 1000 rounds");
  }
  bool done(std::uint64_t n) const {
    for (const auto& a : appliers_)
      if (a.applied < n) return false;
    return true;
  }
  void check_order() const {
    for (int i = 0; i < node_count; ++i)
      if (!appliers_[i].order_fail.empty()) fail("node " + std::to_string(i + 1) + ": " + appliers_[i].order_fail);
  }

 private:
  bool process(int i) {
    Node& nd = node(i);
    if (!nd.has_ready()) return false;
    auto& r = nd.take_ready();
    cohort::raft::memory_storage& st = *storages_[static_cast<std::size_t>(i)];
    if (!r.entries.empty())
      if (auto a = st.append(r.entries); !a) fail("append: " + a.error().message);
    if (r.has_hard_state)
      if (auto h = st.save_hard_state(r.hs); !h) fail("save hard state: " + h.error().message);
    for (auto& m : r.messages) queue_.push_back(std::move(m));
    for (auto& m : r.after_persist) queue_.push_back(std::move(m));
    applier& a = appliers_[static_cast<std::size_t>(i)];
    for (const cohort::log_entry& e : r.committed)
      if (e.kind == cohort::entry_kind::normal) a.apply(e.data, e.index);
    nd.acknowledge(r.number);
    return true;
  }
  void deliver() {
    spare_.swap(queue_);  // messages produced while stepping leave in the next round
    for (auto& m : spare_) {
      const auto to = m.to.value();
      if (to < 1 || to > node_count) fail("message to unknown node " + std::to_string(to));
      if (auto r = node(static_cast<int>(to - 1)).step(std::move(m)); !r)
        fail("node " + std::to_string(to) + ": step: " + r.error().message);
    }
    spare_.clear();
  }

  std::array<std::unique_ptr<cohort::raft::memory_storage>, node_count> storages_;
  std::vector<Node> nodes_;
  std::array<applier, node_count> appliers_{};
  std::vector<message_type> queue_;
  std::vector<message_type> spare_;
};

/// Step 4, timed, with node 1 leading, then step 6's checks and, after
/// timing, that every node's storage holds the proposed buffers (applying
/// alone would not notice a storage that kept the wrong entries).
template <class Node>
outcome run_timed(cluster<Node>& c, const options& o, const std::vector<cohort::bytes>& payloads) {
  Node& leader = c.node(0);
  std::vector<cohort::bytes> batch;
  batch.reserve(o.batch);
  const std::uint64_t allocs0 = g_allocs, bytes0 = g_alloc_bytes;
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t proposed = 0;
  while (!c.done(o.entries)) {
    bool proposed_now = false;
    if (o.mode == "msgprop") {
      // The batch shares the payloads as the logs do: one count update per
      // run of slices of the slab, not one per entry.
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(o.batch, o.entries - proposed));
      batch.resize(n);
      cohort::bytes::share_each(
          n, [&payloads, proposed](std::size_t k) -> const cohort::bytes& { return payloads[proposed + k]; },
          [&batch](std::size_t k) -> cohort::bytes& { return batch[k]; });
      proposed += n;
      if (!batch.empty()) {
        if (auto r = leader.propose_moved(std::span<cohort::bytes>(batch)); !r) fail("propose: " + r.error().message);
        proposed_now = true;
      }
    } else {
      for (std::size_t k = 0; k < o.batch && proposed < o.entries; ++k) {
        if (auto r = leader.propose(payloads[proposed]); !r) fail("propose: " + r.error().message);
        ++proposed;
        proposed_now = true;
      }
    }
    const bool active = c.round();
    c.check_order();
    if (!active && !proposed_now && !c.done(o.entries))
      fail("stalled: proposed " + std::to_string(proposed) + ", applied " + std::to_string(c.app(0).applied) + "/" +
           std::to_string(c.app(1).applied) + "/" + std::to_string(c.app(2).applied));
  }
  const auto t1 = std::chrono::steady_clock::now();
  outcome out{std::chrono::duration<double>(t1 - t0).count(), g_allocs - allocs0, g_alloc_bytes - bytes0, 0};

  const std::uint64_t want = o.entries * o.payload;
  for (int i = 0; i < node_count; ++i) {
    const applier& a = c.app(i);
    if (a.applied != o.entries || a.bytes_applied != want)
      fail("node " + std::to_string(i + 1) + " applied " + std::to_string(a.applied) + " entries / " +
           std::to_string(a.bytes_applied) + " bytes");
    if (a.h != c.app(0).h) fail("checksums differ between nodes");
    const cohort::raft::memory_storage& st = c.storage(i);
    if (st.last_index() != cohort::log_index{o.entries + 2}) fail("node " + std::to_string(i + 1) + ": storage ends early");
    std::vector<cohort::log_entry> got;
    for (std::uint64_t s = 0; s < o.entries; s += 1 + o.entries / 1024) {
      got.clear();
      if (!st.entries(cohort::log_index{s + 3}, cohort::log_index{s + 4}, SIZE_MAX, got) || got.size() != 1 ||
          !got[0].data.shares_with(payloads[s]))
        fail("node " + std::to_string(i + 1) + ": storage holds the wrong entry at index " + std::to_string(s + 3));
    }
  }
  out.checksum = c.app(0).h;
  return out;
}

/// The workload's JSON line.
inline void print_json(const char* impl, const options& o, const outcome& r) {
  const double n = static_cast<double>(o.entries);
  std::printf(
      "{\"impl\":\"%s\",\"version\":\"0.1.0\",\"nodes\":3,\"entries\":%" PRIu64
      ",\"payload\":%zu,\"batch\":%zu,\"mode\":\"%s\",\"seconds\":%.6f,\"entries_per_sec\":%.0f,"
      "\"allocs_per_entry\":%.4f,\"bytes_alloc_per_entry\":%.1f,\"checksum\":\"%016" PRIx64
      "\",\"payload_sharing\":\"shared\"}\n",
      impl, o.entries, o.payload, o.batch, o.mode.c_str(), r.seconds, n / r.seconds,
      static_cast<double>(r.allocs) / n, static_cast<double>(r.alloc_bytes) / n, r.checksum);
}

}  // namespace inmem
