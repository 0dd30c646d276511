// bench/ring_lookup.cpp - the ring-lookup workload of WORKLOADS.md.
//
// Keys: K keys of 16 bytes from splitmix64(42) (a = next(), b = next();
// bytes [0,8) = a, [8,16) = b, machine order), built before any timing.
// Servers: server i is "10.<i>>16>.<i>>8>.<i>:11211", member id i + 1, weight
// 1, or 1,2,3 cycling in the "_w123" runs.
// For each (algorithm, S): ns per lookup over all keys (key hashing and the
// partitioner's result<node_id> included), max/mean and min/mean load
// (observed / expected share, expected proportional to weight), the fraction
// of keys whose owner changes when server S joins (`add_from` = S; ideal =
// its weight / total), how many of those did not go to the new server, table
// bytes and build time. One JSON line each, with the peer's field names
// (../peers/ring/bench_ring.cc), so one jq script takes medians of both.
//
// With libmemcached (bench/ring_lookup.cmake finds Debian's libmemcached-dev),
// libmemcached's ketama-weighted runs on the same keys in the same process,
// configured as the peer does, and every assignment of cohort's ketama_ring
// is compared with it (a "check" line; any difference exits 4). Debian's
// build aborts above 100 ketama servers: it is probed in a child process, and
// at its limit the moved fraction is measured from limit-1 to limit, as the
// peer does.
//
// Besides the partitioners: "jump_floor" is jump_hash over xxh64 with no
// partitioner around it (the floor a jump-based lookup can reach here), and
// "xxh64_only" / "md5_only" time the key hash alone.
//
//   scripts/bench ring-lookup [--keys K] [--servers 10,100,1000] [--algo NAME] [--run R]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include <cohort/partition.hpp>

#ifdef COHORT_HAVE_LIBMEMCACHED
#include <fcntl.h>
#include <libmemcached/memcached.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace cp = cohort::partition;
using cohort::node_id;

namespace {

constexpr std::size_t key_len = 16;
constexpr const char* cohort_impl = "cohort 0.1.0";

struct keyset {
  std::vector<unsigned char> bytes;
  std::size_t n = 0;
  [[nodiscard]] cohort::bytes_view at(std::size_t i) const {
    return {reinterpret_cast<const std::byte*>(bytes.data() + i * key_len), key_len};
  }
  [[nodiscard]] const char* chars(std::size_t i) const { return reinterpret_cast<const char*>(bytes.data() + i * key_len); }
};

keyset make_keys(std::size_t n) {
  keyset k{std::vector<unsigned char>(n * key_len), n};
  cohort::splitmix64 sm(42);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t a = sm.next(), b = sm.next();
    std::memcpy(&k.bytes[i * key_len], &a, 8);
    std::memcpy(&k.bytes[i * key_len + 8], &b, 8);
  }
  return k;
}

struct options {
  std::size_t keys = 10'000'000;
  std::vector<std::uint32_t> servers{10, 100, 1000};
  std::string algo;  // empty: all
  int run = 0;
};

// One output line. Negative doubles are printed as null (not measured).
struct result_line {
  std::string algo, impl = cohort_impl, key_hash = "xxh64", op = "lookup";
  std::uint32_t servers = 0, add_from = 0;
  bool weighted = false;
  std::size_t keys = 0;
  double ns = 0, max_over_mean = -1, min_over_mean = -1, moved = -1, ideal = -1, build_ms = -1;
  double expected_max_over_mean = -1;
  std::uint64_t moves_not_to_new = 0, table_bytes = 0, checksum = 0;
};

std::string num(double v, int digits) { return v < 0 ? std::string("null") : fmt::format("{:.{}f}", v, digits); }

void print(const result_line& r, int run) {
  fmt::print(
      "{{\"algo\":\"{}\",\"impl\":\"{}\",\"key_hash\":\"{}\",\"op\":\"{}\",\"servers\":{},\"weighted\":{},\"keys\":{},"
      "\"run\":{},\"ns_per_lookup\":{:.2f},\"max_over_mean\":{},\"min_over_mean\":{},\"expected_max_over_mean\":{},"
      "\"moved_fraction_on_add\":{},\"ideal_moved_fraction\":{},\"add_from\":{},\"moves_not_to_new\":{},"
      "\"table_bytes\":{},\"build_ms\":{},\"checksum\":{}}}\n",
      r.algo, r.impl, r.key_hash, r.op, r.servers, r.weighted, r.keys, run, r.ns, num(r.max_over_mean, 4),
      num(r.min_over_mean, 4), num(r.expected_max_over_mean, 4), num(r.moved, 5), num(r.ideal, 5), r.add_from,
      r.moves_not_to_new, r.table_bytes, num(r.build_ms, 2), r.checksum);
  std::fflush(stdout);
}

std::string host(std::uint32_t i) { return fmt::format("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255); }
cp::member server(std::uint32_t i, double w) { return cp::member{node_id{i + 1}, host(i) + ":11211", w, {}, {}}; }
std::uint32_t index_of(node_id id) { return static_cast<std::uint32_t>(id.value() - 1); }

std::vector<double> weights(std::uint32_t count, bool w123) {
  std::vector<double> w(count);
  for (std::uint32_t i = 0; i < count; ++i) w[i] = w123 ? 1 + i % 3 : 1;
  return w;
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Fills max/min over mean from owners (indices < s) and the first s weights.
void load_metrics(const std::vector<std::uint32_t>& owner, const std::vector<double>& w, std::uint32_t s, result_line& r) {
  std::vector<std::uint64_t> count(s, 0);
  for (auto o : owner) ++count[o];
  const double wsum = std::accumulate(w.begin(), w.begin() + s, 0.0);
  r.max_over_mean = 0;
  r.min_over_mean = 1e300;
  for (std::uint32_t i = 0; i < s; ++i) {
    const double ratio = static_cast<double>(count[i]) / (static_cast<double>(owner.size()) * w[i] / wsum);
    r.max_over_mean = std::max(r.max_over_mean, ratio);
    r.min_over_mean = std::min(r.min_over_mean, ratio);
  }
}

// Times `owner_of(k)` over the first `n` keys; fills owners, ns and checksum.
template <class F>
std::vector<std::uint32_t> time_lookups(std::size_t n, F owner_of, result_line& r) {
  std::vector<std::uint32_t> owner(n);
  const auto t1 = std::chrono::steady_clock::now();
  for (std::size_t k = 0; k < n; ++k) owner[k] = owner_of(k);
  const auto t2 = std::chrono::steady_clock::now();
  r.ns = std::chrono::duration<double, std::nano>(t2 - t1).count() / static_cast<double>(n);
  r.checksum = std::accumulate(owner.begin(), owner.end(), std::uint64_t{0});
  return owner;
}

// Counts keys whose owner differs from `before` under `owner_of`; moves whose
// new owner is not `fresh` go to moves_not_to_new.
template <class F>
void count_moves(const std::vector<std::uint32_t>& before, F owner_of, std::uint32_t fresh, result_line& r) {
  std::uint64_t moved = 0;
  for (std::size_t k = 0; k < before.size(); ++k) {
    const std::uint32_t now = owner_of(k);
    if (now != before[k]) ++moved, r.moves_not_to_new += now != fresh;
  }
  r.moved = static_cast<double>(moved) / static_cast<double>(before.size());
}

template <class P>
std::uint64_t table_bytes_of(const P& p) {
  if constexpr (requires { p.table_bytes(); }) return p.table_bytes();
  else if constexpr (requires { p.table(); }) return p.table().size() * sizeof(node_id) + p.slots().size_bytes();
  else if constexpr (requires { p.buckets(); }) return p.buckets().size() * sizeof(p.buckets()[0]);
  else if constexpr (requires { p.slots(); }) return p.slots().size_bytes();
  else if constexpr (requires { p.ring(); }) return p.ring().size() * sizeof(p.ring()[0]);
  else return 0;
}

// Exact expected max/mean of multi-probe hashing for its ring, with ideal
// independent probes: a probe's clockwise distance d to the next point has
// P(d <= x) = F(x) = sum_j min(x, g_j) over the arcs g_j (ring length 1); the
// key goes to the arc of the closest probe, so arc i wins with probability
// k * integral_0^{g_i} (1 - F(x))^(k-1) dx, summed piecewise (F is linear
// between sorted arc lengths).
template <class H>
double multi_probe_expected_max(const cp::multi_probe<H>& p) {
  const auto& ring = p.ring();
  const std::size_t n = ring.size();
  const double k = static_cast<double>(p.probes());
  std::vector<double> gap(n);
  for (std::size_t i = 0; i < n; ++i)
    gap[i] = static_cast<double>(ring[i].hash - ring[(i + n - 1) % n].hash) / 18446744073709551616.0;
  if (n == 1) return 1.0;
  std::sort(gap.begin(), gap.end());
  double f = 0, at = 0, win = 0, best = 0;  // F(at), the win probability of an arc of length `at`
  for (std::size_t m = 0; m < n; ++m) {
    const double b = static_cast<double>(n - m);  // arcs longer than `at`
    const double f_next = f + b * (gap[m] - at);
    win += (std::pow(std::max(0.0, 1 - f), k) - std::pow(std::max(0.0, 1 - f_next), k)) / b;
    f = f_next, at = gap[m];
    best = win;  // gaps ascend: the last is the largest
  }
  return best * static_cast<double>(n);
}

// The generic run: build s servers, time lookups, add server s, count moves.
template <class P>
void run_partitioner(const std::string& algo, P p, std::uint32_t s, const keyset& keys, std::size_t n, bool w123,
                     int run) {
  result_line r;
  r.algo = algo + (w123 ? "_w123" : "");
  r.servers = s, r.keys = n, r.weighted = w123, r.add_from = s;
  if constexpr (std::is_same_v<P, cp::ketama_ring>) r.key_hash = "md5";
  const auto w = weights(s + 1, w123);
  const double t0 = now_ms();
  for (std::uint32_t i = 0; i < s; ++i)
    if (!p.add(server(i, w[i]))) std::exit(3);
  r.build_ms = now_ms() - t0;
  r.table_bytes = table_bytes_of(p);
  if constexpr (requires { p.probes(); }) r.expected_max_over_mean = multi_probe_expected_max(p);
  auto owner_of = [&](std::size_t k) { return index_of(p.lookup(keys.at(k)).value()); };
  const auto owner = time_lookups(n, owner_of, r);
  load_metrics(owner, w, s, r);
  if (!p.add(server(s, w[s]))) std::exit(3);
  count_moves(owner, owner_of, s, r);
  r.ideal = w[s] / std::accumulate(w.begin(), w.end(), 0.0);
  print(r, run);
}

// Bounded loads: each key is acquired (a map insert, timed as the lookup);
// then server s joins and the keys handed over by rebalancing are counted.
void run_bounded_load(std::uint32_t s, const keyset& keys, std::size_t n, int run) {
  auto p = cp::bounded_load<>::create(cp::bounded_load<>::default_epsilon).value();
  result_line r;
  r.algo = fmt::format("bounded_load_eps{}", p.epsilon());
  r.op = "acquire";
  r.servers = s, r.keys = n, r.add_from = s;
  const double t0 = now_ms();
  for (std::uint32_t i = 0; i < s; ++i)
    if (!p.add(server(i, 1))) std::exit(3);
  r.build_ms = now_ms() - t0;
  r.table_bytes = p.ring().size() * sizeof(p.ring()[0]);
  const auto owner = time_lookups(n, [&](std::size_t k) { return index_of(p.acquire(keys.at(k)).value()); }, r);
  load_metrics(owner, weights(s, false), s, r);
  r.expected_max_over_mean = static_cast<double>(p.capacity(n)) * s / static_cast<double>(n);  // the hard bound
  if (!p.add(server(s, 1))) std::exit(3);
  for (const auto& m : p.last_moves()) r.moves_not_to_new += index_of(m.to) != s;
  r.moved = static_cast<double>(p.last_moves().size()) / static_cast<double>(n);
  r.ideal = 1.0 / (s + 1);
  print(r, run);
}

// MementoHash after removing every 10th server (its distinctive case): lookups
// pay the replacement walk; adding one server refills the last removed bucket.
void run_memento_removed(std::uint32_t s, const keyset& keys, std::size_t n, int run) {
  cp::memento<> p;
  result_line r;
  r.algo = "memento_removed10pct";
  r.keys = n;
  for (std::uint32_t i = 0; i < s; ++i)
    if (!p.add(server(i, 1))) std::exit(3);
  std::uint32_t last_removed = 0;
  for (std::uint32_t i = 5; i < s; i += 10) (void)p.remove(node_id{i + 1}), last_removed = i;
  r.servers = s, r.add_from = static_cast<std::uint32_t>(p.size());  // add_from: working servers
  r.table_bytes = table_bytes_of(p);
  auto owner_of = [&](std::size_t k) { return index_of(p.lookup(keys.at(k)).value()); };
  const auto owner = time_lookups(n, owner_of, r);
  // Loads over the working servers only.
  std::vector<std::uint32_t> dense(s, 0), compact(owner.size());
  std::uint32_t next = 0;
  for (std::uint32_t i = 0; i < s; ++i) dense[i] = p.contains(node_id{i + 1}) ? next++ : 0;
  for (std::size_t k = 0; k < owner.size(); ++k) compact[k] = dense[owner[k]];
  load_metrics(compact, weights(next, false), next, r);
  if (!p.add(server(last_removed, 1))) std::exit(3);
  count_moves(owner, owner_of, last_removed, r);
  r.ideal = 1.0 / (next + 1);
  print(r, run);
}

// The floors: jump_hash over xxh64 with no partitioner, and the hashes alone.
void run_floors(std::uint32_t s, const keyset& keys, int run) {
  result_line r;
  r.algo = "jump_floor";
  r.impl = "cohort jump_hash + xxh64, no partitioner";
  r.servers = s, r.keys = keys.n, r.add_from = s;
  auto bucket = [&](std::size_t k, std::uint32_t b) {
    return static_cast<std::uint32_t>(cp::jump_hash(cp::xxh64(keys.at(k)), static_cast<std::int32_t>(b)));
  };
  const auto owner = time_lookups(keys.n, [&](std::size_t k) { return bucket(k, s); }, r);
  load_metrics(owner, weights(s, false), s, r);
  count_moves(owner, [&](std::size_t k) { return bucket(k, s + 1); }, s, r);
  r.ideal = 1.0 / (s + 1);
  print(r, run);
}

void run_hash_only(const keyset& keys, int run) {
  result_line x;
  x.algo = "xxh64_only";
  x.keys = keys.n;
  time_lookups(keys.n, [&](std::size_t k) { return static_cast<std::uint32_t>(cp::xxh64(keys.at(k))); }, x);
  print(x, run);
  result_line m;
  m.algo = "md5_only";
  m.key_hash = "md5";
  m.keys = keys.n;
  time_lookups(keys.n, [&](std::size_t k) { return cp::ketama_ring::key_hash(keys.at(k)); }, m);
  print(m, run);
}

#ifdef COHORT_HAVE_LIBMEMCACHED
// A memcached_st in ketama-weighted mode (as the peer configures it) holding
// the first `count` servers; used only as a pure function (no connection).
struct memc {
  memcached_st* m = memcached_create(nullptr);
  memc(std::uint32_t count, const std::vector<double>& w) {
    if (m == nullptr || memcached_behavior_set(m, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1) != MEMCACHED_SUCCESS) std::exit(5);
    memcached_server_list_st list = nullptr;
    memcached_return_t rc = MEMCACHED_SUCCESS;
    for (std::uint32_t i = 0; i < count; ++i)
      list = memcached_server_list_append_with_weight(list, host(i).c_str(), 11211, static_cast<std::uint32_t>(w[i]), &rc);
    if (rc != MEMCACHED_SUCCESS || memcached_server_push(m, list) != MEMCACHED_SUCCESS) std::exit(5);
    memcached_server_list_free(list);
  }
  ~memc() { memcached_free(m); }
  memc(const memc&) = delete;
  memc& operator=(const memc&) = delete;
  [[nodiscard]] std::uint32_t owner(const keyset& keys, std::size_t k) const {
    return memcached_generate_hash(m, keys.chars(k), key_len);
  }
};

// The most ketama servers this libmemcached accepts (Debian's asserts above
// 100): tried in a child so that the abort cannot end the benchmark.
std::uint32_t libmemcached_max_servers(std::uint32_t want) {
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 1), dup2(null, 2);
    const memc mc(want, weights(want, false));
    _exit(memcached_server_count(mc.m) == want ? 0 : 3);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) std::exit(5);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? want : MEMCACHED_CONTINUUM_SIZE / MEMCACHED_POINTS_PER_SERVER;
}

// Counts keys on which cohort's ketama_ring over `count` servers differs from `lm`.
std::size_t ketama_differences(const memc& lm, std::uint32_t count, const std::vector<double>& w, const keyset& keys) {
  cp::ketama_ring ours;
  for (std::uint32_t i = 0; i < count; ++i) (void)ours.add(server(i, w[i]));
  std::size_t differ = 0;
  for (std::size_t k = 0; k < keys.n; ++k) differ += ours.owner_index(cp::ketama_ring::key_hash(keys.at(k))) != lm.owner(keys, k);
  return differ;
}

// The owners of all keys under `lm`, untimed.
std::vector<std::uint32_t> owners(const memc& lm, const keyset& keys) {
  std::vector<std::uint32_t> o(keys.n);
  for (std::size_t k = 0; k < keys.n; ++k) o[k] = lm.owner(keys, k);
  return o;
}

void run_libmemcached(std::uint32_t s, std::uint32_t limit, const keyset& keys, bool w123, int run) {
  result_line r;
  r.algo = w123 ? "ketama_weighted_w123" : "ketama_weighted";
  r.impl = std::string("libmemcached ") + LIBMEMCACHED_VERSION_STRING;
  r.key_hash = "md5";
  if (s > limit) {
    fmt::print("{{\"algo\":\"{}\",\"impl\":\"{}\",\"servers\":{},\"run\":{},\"error\":\"this libmemcached build aborts "
               "above {} ketama servers\"}}\n", r.algo, r.impl, s, run, limit);
    return;
  }
  r.servers = s, r.keys = keys.n, r.weighted = w123;
  const auto w = weights(s + 1, w123);
  const double t0 = now_ms();
  const memc lm(s, w);
  r.build_ms = now_ms() - t0;
  r.table_bytes = static_cast<std::uint64_t>(lm.m->ketama.continuum_points_counter) * 8;  // {index, value} per point
  const auto owner = time_lookups(keys.n, [&](std::size_t k) { return lm.owner(keys, k); }, r);
  load_metrics(owner, w, s, r);
  // s -> s+1 when the library holds s+1 servers, else (s-1) -> s as the peer does.
  const std::uint32_t other_count = s < limit ? s + 1 : s - 1;
  const memc other(other_count, w);
  r.add_from = std::min(s, other_count);
  if (other_count > s) count_moves(owner, [&](std::size_t k) { return other.owner(keys, k); }, s, r);
  else count_moves(owners(other, keys), [&](std::size_t k) { return owner[k]; }, s - 1, r);
  r.ideal = w[r.add_from] / std::accumulate(w.begin(), w.begin() + r.add_from + 1, 0.0);
  print(r, run);
  const std::size_t differ = ketama_differences(lm, s, w, keys) + ketama_differences(other, other_count, w, keys);
  fmt::print("{{\"check\":\"ketama_identical_to_libmemcached\",\"servers\":[{},{}],\"weighted\":{},\"keys\":{},"
             "\"differ\":{}}}\n", s, other_count, w123, keys.n, differ);
  if (differ != 0) std::exit(4);
}
#endif

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; i += 2) {
    const std::string f = argv[i], v = i + 1 < argc ? argv[i + 1] : "";
    if (f == "--keys" && !v.empty()) o.keys = std::strtoull(v.c_str(), nullptr, 10);
    else if (f == "--algo" && !v.empty()) o.algo = v;
    else if (f == "--run" && !v.empty()) o.run = std::atoi(v.c_str());
    else if (f == "--servers" && !v.empty()) {
      o.servers.clear();
      for (std::size_t p = 0; p < v.size();) {
        const auto q = std::min(v.find(',', p), v.size());
        o.servers.push_back(static_cast<std::uint32_t>(std::strtoul(v.substr(p, q - p).c_str(), nullptr, 10)));
        p = q + 1;
      }
    } else {
      fmt::print(stderr, "usage: {} [--keys N] [--servers 10,100,1000] [--algo NAME] [--run R]\n", argv[0]);
      std::exit(2);
    }
  }
  const bool bad_servers = std::any_of(o.servers.begin(), o.servers.end(), [](auto s) { return s < 2 || s > 60000; });
  if (o.keys == 0 || o.servers.empty() || bad_servers) {
    fmt::print(stderr, "--keys must be > 0 and every server count in [2, 60000]\n");
    std::exit(2);
  }
  return o;
}

void run_all(const options& o, const keyset& keys) {
  auto want = [&](std::string_view n) { return o.algo.empty() || o.algo == n; };
  const int r = o.run;
#ifdef COHORT_HAVE_LIBMEMCACHED
  const std::uint32_t limit = libmemcached_max_servers(*std::max_element(o.servers.begin(), o.servers.end()) + 1);
#endif
  if (want("hash")) run_hash_only(keys, r);
  for (std::uint32_t s : o.servers) {
    // O(servers) per lookup, or a map of every key: fewer keys keep the run short.
    const std::size_t linear = s <= 10 ? keys.n : std::min<std::size_t>(keys.n, 1'000'000);
    const std::size_t held = std::min<std::size_t>(keys.n, 1'000'000);
    if (want("ketama")) run_partitioner("ketama_weighted", cp::ketama_ring{}, s, keys, keys.n, false, r);
    if (want("ketama")) run_partitioner("ketama_weighted", cp::ketama_ring{}, s, keys, keys.n, true, r);
#ifdef COHORT_HAVE_LIBMEMCACHED
    if (want("ketama") || want("libmemcached")) run_libmemcached(s, limit, keys, false, r);
    if (want("ketama") || want("libmemcached")) run_libmemcached(s, limit, keys, true, r);
#endif
    if (want("ring")) run_partitioner("ring", cp::ring<>{}, s, keys, keys.n, false, r);
    if (want("ring")) run_partitioner("ring", cp::ring<>{}, s, keys, keys.n, true, r);
    if (want("jump")) run_partitioner("jump", cp::jump<>{}, s, keys, keys.n, false, r);
    if (want("jump")) run_floors(s, keys, r);
    const std::uint64_t m = s < 650 ? cp::maglev<>::default_table_size : 100ULL * (s + 1);
    auto prime = m;
    while (!cp::maglev<>::is_prime(prime)) ++prime;
    if (want("maglev")) run_partitioner("maglev", cp::maglev<>::create(prime).value(), s, keys, keys.n, false, r);
    if (want("multi_probe")) run_partitioner("multi_probe", cp::multi_probe<>::create(21).value(), s, keys, keys.n, false, r);
    if (want("memento")) run_partitioner("memento", cp::memento<>{}, s, keys, keys.n, false, r);
    if (want("memento")) run_memento_removed(s, keys, keys.n, r);
    if (want("rendezvous")) run_partitioner("rendezvous", cp::rendezvous<>{}, s, keys, linear, false, r);
    if (want("rendezvous")) run_partitioner("rendezvous", cp::rendezvous<>{}, s, keys, linear / (s >= 1000 ? 5 : 1), true, r);
    if (want("bounded_load")) run_bounded_load(s, keys, held, r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  run_all(o, make_keys(o.keys));
  return 0;
}
