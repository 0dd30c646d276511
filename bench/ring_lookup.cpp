// bench/ring_lookup.cpp - the ring-lookup workload of WORKLOADS.md.
//
// Keys: K keys of 16 bytes from splitmix64(42) (a = next(), b = next();
// bytes [0,8) = a, [8,16) = b, machine order). Servers 10.x.y.z:11211.
// For each (algorithm, S): ns per lookup over all keys (key hashing
// included), max/mean and min/mean load, the fraction of keys that move when
// server S+1 joins and how many of those did not go to it, table bytes and
// build time; one JSON line each, with the peer's field names. When built
// with libmemcached (bench/ring_lookup.cmake), libmemcached's ketama-weighted
// runs on the same keys in the same process, and its assignments are
// compared with cohort's ketama_ring (they must be identical).
//
//   scripts/bench ring-lookup [--keys K] [--servers 10,100,1000] [--algo NAME]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <cohort/partition.hpp>

#ifdef COHORT_HAVE_LIBMEMCACHED
#include <libmemcached/memcached.h>
#endif

namespace cp = cohort::partition;
using cohort::node_id;

namespace {

constexpr std::size_t key_len = 16;

struct result_line {
  std::string algo, impl = "cohort 0.1.0", key_hash = "xxh64";
  std::uint32_t servers = 0;
  bool weighted = false;
  std::size_t keys = 0;
  double ns = 0, max_over_mean = 0, min_over_mean = 0, moved = 0, build_ms = 0;
  std::uint64_t moves_not_to_new = 0, table_bytes = 0;
};

void print(const result_line& r) {
  fmt::print(
      "{{\"algo\":\"{}\",\"impl\":\"{}\",\"key_hash\":\"{}\",\"servers\":{},\"weighted\":{},\"keys\":{},"
      "\"ns_per_lookup\":{:.2f},\"max_over_mean\":{:.4f},\"min_over_mean\":{:.4f},\"moved_fraction_on_add\":{:.5f},"
      "\"ideal_moved_fraction\":{:.5f},\"moves_not_to_new\":{},\"table_bytes\":{},\"build_ms\":{:.2f}}}\n",
      r.algo, r.impl, r.key_hash, r.servers, r.weighted, r.keys, r.ns, r.max_over_mean, r.min_over_mean, r.moved,
      1.0 / (r.servers + 1), r.moves_not_to_new, r.table_bytes, r.build_ms);
  std::fflush(stdout);
}

std::string host(std::uint32_t i) { return fmt::format("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255); }
cp::member server(std::uint32_t i, double w) { return cp::member{node_id{i + 1}, host(i) + ":11211", w, {}, {}}; }

cohort::bytes_view key(const std::vector<unsigned char>& keys, std::size_t i) {
  return {reinterpret_cast<const std::byte*>(keys.data() + i * key_len), key_len};
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <class P>
std::uint64_t bytes_of(const P& p) {
  if constexpr (requires { p.table_bytes(); }) return p.table_bytes();
  else return 0;
}

// Runs one algorithm: build S servers, time all lookups, then add server S.
template <class Make>
void run(const std::string& name, Make make, std::uint32_t s, const std::vector<unsigned char>& keys, std::size_t nkeys,
         bool weighted) {
  result_line r;
  r.algo = name;
  r.servers = s;
  r.keys = nkeys;
  r.weighted = weighted;
  if (name == "ketama") r.key_hash = "md5";
  std::vector<double> w(s + 1);
  for (std::uint32_t i = 0; i <= s; ++i) w[i] = weighted ? 1 + i % 3 : 1;
  const double t0 = now_ms();
  auto p = make();
  for (std::uint32_t i = 0; i < s; ++i)
    if (!p.add(server(i, w[i]))) std::exit(3);
  r.build_ms = now_ms() - t0;
  r.table_bytes = bytes_of(p);
  std::vector<std::uint32_t> owner(nkeys);
  const auto t1 = std::chrono::steady_clock::now();
  for (std::size_t k = 0; k < nkeys; ++k) owner[k] = static_cast<std::uint32_t>(p.lookup(key(keys, k)).value().value() - 1);
  const auto t2 = std::chrono::steady_clock::now();
  r.ns = std::chrono::duration<double, std::nano>(t2 - t1).count() / static_cast<double>(nkeys);
  std::vector<std::uint64_t> count(s, 0);
  for (auto o : owner) ++count[o];
  double wsum = 0;
  for (std::uint32_t i = 0; i < s; ++i) wsum += w[i];
  r.max_over_mean = 0;
  r.min_over_mean = 1e300;
  for (std::uint32_t i = 0; i < s; ++i) {
    const double ratio = static_cast<double>(count[i]) / (static_cast<double>(nkeys) * w[i] / wsum);
    r.max_over_mean = std::max(r.max_over_mean, ratio);
    r.min_over_mean = std::min(r.min_over_mean, ratio);
  }
  if (!p.add(server(s, w[s]))) std::exit(3);
  std::uint64_t moved = 0;
  for (std::size_t k = 0; k < nkeys; ++k) {
    const auto now = static_cast<std::uint32_t>(p.lookup(key(keys, k)).value().value() - 1);
    if (now != owner[k]) {
      ++moved;
      if (now != s) ++r.moves_not_to_new;
    }
  }
  r.moved = static_cast<double>(moved) / static_cast<double>(nkeys);
  print(r);
}

std::uint64_t next_prime(std::uint64_t n) {
  auto prime = [](std::uint64_t x) {
    if (x < 2) return false;
    for (std::uint64_t d = 2; d * d <= x; ++d)
      if (x % d == 0) return false;
    return true;
  };
  while (!prime(n)) ++n;
  return n;
}

#ifdef COHORT_HAVE_LIBMEMCACHED
void run_libmemcached(std::uint32_t s, const std::vector<unsigned char>& keys, std::size_t nkeys, bool weighted) {
  if (s > 100) {
    fmt::print("{{\"algo\":\"ketama\",\"impl\":\"libmemcached {}\",\"servers\":{},\"error\":\"Debian's build aborts above 100 ketama servers\"}}\n",
               LIBMEMCACHED_VERSION_STRING, s);
    return;
  }
  result_line r;
  r.algo = "ketama";
  r.impl = std::string("libmemcached ") + LIBMEMCACHED_VERSION_STRING;
  r.key_hash = "md5";
  r.servers = s;
  r.keys = nkeys;
  r.weighted = weighted;
  memcached_st* m = memcached_create(nullptr);
  memcached_behavior_set(m, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1);
  cp::ketama_ring ours;
  const double t0 = now_ms();
  for (std::uint32_t i = 0; i < s; ++i)
    memcached_server_add_with_weight(m, host(i).c_str(), 11211, weighted ? 1 + i % 3 : 1);
  r.build_ms = now_ms() - t0;
  for (std::uint32_t i = 0; i < s; ++i) (void)ours.add(server(i, weighted ? 1 + i % 3 : 1));
  std::vector<std::uint32_t> owner(nkeys);
  const auto t1 = std::chrono::steady_clock::now();
  for (std::size_t k = 0; k < nkeys; ++k)
    owner[k] = memcached_generate_hash(m, reinterpret_cast<const char*>(keys.data() + k * key_len), key_len);
  const auto t2 = std::chrono::steady_clock::now();
  r.ns = std::chrono::duration<double, std::nano>(t2 - t1).count() / static_cast<double>(nkeys);
  std::size_t differ = 0;
  for (std::size_t k = 0; k < nkeys; ++k)
    differ += (s == 1 ? 0 : ours.owner_index(cp::ketama_ring::key_hash(key(keys, k)))) != owner[k];
  std::vector<std::uint64_t> count(s, 0);
  double wsum = 0;
  for (auto o : owner) ++count[o];
  for (std::uint32_t i = 0; i < s; ++i) wsum += weighted ? 1 + i % 3 : 1;
  r.max_over_mean = 0;
  r.min_over_mean = 1e300;
  for (std::uint32_t i = 0; i < s; ++i) {
    const double ratio = static_cast<double>(count[i]) / (static_cast<double>(nkeys) * (weighted ? 1 + i % 3 : 1) / wsum);
    r.max_over_mean = std::max(r.max_over_mean, ratio);
    r.min_over_mean = std::min(r.min_over_mean, ratio);
  }
  // Adding server s+1 needs s < 100: Debian's build aborts above 100.
  std::uint64_t moved = 0;
  if (s < 100) {
    memcached_server_add_with_weight(m, host(s).c_str(), 11211, weighted ? 1 + s % 3 : 1);
    for (std::size_t k = 0; k < nkeys; ++k) {
      const auto now = memcached_generate_hash(m, reinterpret_cast<const char*>(keys.data() + k * key_len), key_len);
      if (now != owner[k]) moved += 1, r.moves_not_to_new += now != s;
    }
  }
  r.moved = s < 100 ? static_cast<double>(moved) / static_cast<double>(nkeys) : -1;
  r.table_bytes = static_cast<std::uint64_t>(m->ketama.continuum_points_counter) * 8;
  memcached_free(m);
  print(r);
  fmt::print("{{\"check\":\"ketama_identical_to_libmemcached\",\"servers\":{},\"weighted\":{},\"keys\":{},\"differ\":{}}}\n",
             s, weighted, nkeys, differ);
  if (differ != 0) std::exit(4);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  std::size_t nkeys = 10'000'000;
  std::vector<std::uint32_t> servers{10, 100, 1000};
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string f = argv[i], v = argv[i + 1];
    if (f == "--keys") nkeys = std::strtoull(v.c_str(), nullptr, 10);
    else if (f == "--algo") only = v;
    else if (f == "--servers") {
      servers.clear();
      for (std::size_t p = 0; p < v.size();) {
        const auto q = v.find(',', p);
        servers.push_back(static_cast<std::uint32_t>(std::stoul(v.substr(p, q - p))));
        p = q == std::string::npos ? v.size() : q + 1;
      }
    } else {
      fmt::print(stderr, "unknown flag {}\n", f);
      return 2;
    }
  }
  std::vector<unsigned char> keys(nkeys * key_len);
  cohort::splitmix64 sm(42);
  for (std::size_t k = 0; k < nkeys; ++k) {
    const std::uint64_t a = sm.next(), b = sm.next();
    std::memcpy(&keys[k * key_len], &a, 8);
    std::memcpy(&keys[k * key_len + 8], &b, 8);
  }
  auto want = [&](const char* n) { return only.empty() || only == n; };
  for (std::uint32_t s : servers) {
    // O(servers) per lookup: fewer keys at 1000 servers keep the run short.
    const std::size_t linear_keys = s >= 1000 ? nkeys / 10 : nkeys;
    if (want("ketama")) run("ketama", [] { return cp::ketama_ring{}; }, s, keys, nkeys, false);
    if (want("ketama_w123")) run("ketama", [] { return cp::ketama_ring{}; }, s, keys, nkeys, true);
#ifdef COHORT_HAVE_LIBMEMCACHED
    if (want("ketama") || want("libmemcached")) run_libmemcached(s, keys, nkeys, false);
    if (want("ketama_w123") || want("libmemcached")) run_libmemcached(s, keys, nkeys, true);
#endif
    if (want("ring")) run("ring", [] { return cp::ring<>{}; }, s, keys, nkeys, false);
    if (want("jump")) run("jump", [] { return cp::jump<>{}; }, s, keys, nkeys, false);
    if (want("maglev")) run("maglev", [s] { return cp::maglev<>::create(next_prime(std::max<std::uint64_t>(65537, 100ULL * (s + 1)))).value(); }, s, keys, nkeys, false);
    if (want("multi_probe")) run("multi_probe", [] { return cp::multi_probe<>::create(21).value(); }, s, keys, nkeys, false);
    if (want("memento")) run("memento", [] { return cp::memento<>{}; }, s, keys, nkeys, false);
    if (want("rendezvous")) run("rendezvous", [] { return cp::rendezvous<>{}; }, s, keys, linear_keys, false);
  }
  return 0;
}
