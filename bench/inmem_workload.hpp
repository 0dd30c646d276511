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

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <string_view>
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

  void apply(const cohort::bytes& data, cohort::log_index index) {
    if (data.empty()) return;  // a leader's no-op
    if (data.size() < 8) {
      if (order_fail.empty()) order_fail = "entry with a payload shorter than 8 bytes";
      return;
    }
    std::uint64_t s = 0;
    std::memcpy(&s, data.data(), 8);  // little-endian host (x86-64, aarch64)
    if (s != applied && order_fail.empty())
      order_fail = "entry " + std::to_string(index.value()) + " carries seq " + std::to_string(s) + ", want " +
                   std::to_string(applied);
    bytes_applied += data.size();
    h = (h ^ s) * fnv_prime;
    h = (h ^ index.value()) * fnv_prime;
    ++applied;
  }
};

struct outcome {
  double seconds = 0;
  std::uint64_t allocs = 0;
  std::uint64_t alloc_bytes = 0;
  std::uint64_t checksum = 0;
};

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
