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
// Exact figures: where the structure gives them, each line also carries
// exact_max_over_mean and exact_moved_fraction over the whole hash space
// (ring and ketama: arcs; maglev: table slots; multi-probe: its expected
// shares under ideal probes), free of the counting noise of max_over_mean and
// moved_fraction_on_add (about 1/sqrt(keys per member): 2.2% per member at 2M
// keys over 1000 members). Lines with "op":"lookup_many" time the batch API
// (bulk.hpp; ketama_ring hashes eight keys at a time) on the same keys.
// With libmemcached, a "ratio" line per server count times libmemcached,
// lookup and lookup_many taking turns over the same blocks of keys, so that
// the speedups hold on a shared, noisy machine.
// --algo ring_join_spread / multi_probe_spread print, instead of timings, the
// spread of one join's movement on `ring` and of multi-probe's max/mean over
// many member sets (exact, no keys). --algo ring_tradeoff prints, per points
// per unit, that spread with ring's memory, build time and lookup time against
// jump's (taking turns over blocks of keys); --points 160,1024 chooses the
// points per unit of those two (default 160,320,640,1024,1152,1280,2048,2560),
// --joins J the number of joining members (default 400).
//
//   scripts/bench ring-lookup [--keys K] [--servers 10,100,1000] [--algo NAME] [--run R] [--points P,...] [--joins J]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
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
  std::vector<std::uint32_t> points{160, 320, 640, 1024, 1152, 1280, 2048, 2560};  // --algo ring_tradeoff / ring_join_spread
  std::uint32_t joins = 400;  // joining members per spread
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
  // Exact over the hash space where the structure gives it (ring, ketama,
  // maglev; multi-probe under ideal probes), free of the counting noise of
  // max_over_mean and moved (about 1/sqrt(keys per member)).
  double exact_max_over_mean = -1, exact_moved = -1;
  std::uint64_t moves_not_to_new = 0, table_bytes = 0, checksum = 0;
};

std::string num(double v, int digits) { return v < 0 ? std::string("null") : fmt::format("{:.{}f}", v, digits); }

void print(const result_line& r, int run) {
  fmt::print(
      "{{\"algo\":\"{}\",\"impl\":\"{}\",\"key_hash\":\"{}\",\"op\":\"{}\",\"servers\":{},\"weighted\":{},\"keys\":{},"
      "\"run\":{},\"ns_per_lookup\":{:.2f},\"max_over_mean\":{},\"min_over_mean\":{},\"expected_max_over_mean\":{},"
      "\"moved_fraction_on_add\":{},\"ideal_moved_fraction\":{},\"add_from\":{},\"moves_not_to_new\":{},"
      "\"table_bytes\":{},\"build_ms\":{},\"checksum\":{},\"exact_max_over_mean\":{},\"exact_moved_fraction\":{}}}\n",
      r.algo, r.impl, r.key_hash, r.op, r.servers, r.weighted, r.keys, run, r.ns, num(r.max_over_mean, 4),
      num(r.min_over_mean, 4), num(r.expected_max_over_mean, 4), num(r.moved, 5), num(r.ideal, 5), r.add_from,
      r.moves_not_to_new, r.table_bytes, num(r.build_ms, 2), r.checksum, num(r.exact_max_over_mean, 4),
      num(r.exact_moved, 6));
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

// Times p.lookup_many over the first `n` keys, `chunk` keys a call (the views
// are made inside the timed loop); fills ns, checksum and op = "lookup_many".
template <class P>
std::vector<std::uint32_t> time_lookup_many(const P& p, const keyset& keys, std::size_t n, result_line& r) {
  constexpr std::size_t chunk = 256;
  std::vector<std::uint32_t> owner(n);
  std::vector<cohort::bytes_view> in(chunk);
  std::vector<node_id> out(chunk);
  const auto t1 = std::chrono::steady_clock::now();
  for (std::size_t k = 0; k < n; k += chunk) {
    const std::size_t m = std::min(chunk, n - k);
    for (std::size_t i = 0; i < m; ++i) in[i] = keys.at(k + i);
    if (!p.lookup_many(std::span(in.data(), m), std::span(out.data(), m))) std::exit(3);
    for (std::size_t i = 0; i < m; ++i) owner[k + i] = index_of(out[i]);
  }
  const auto t2 = std::chrono::steady_clock::now();
  r.ns = std::chrono::duration<double, std::nano>(t2 - t1).count() / static_cast<double>(n);
  r.checksum = std::accumulate(owner.begin(), owner.end(), std::uint64_t{0});
  r.op = "lookup_many";
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

// Exact expected shares of multi-probe hashing for its ring, with ideal
// independent probes: a probe's clockwise distance d to the next point has
// P(d <= x) = F(x) = sum_j min(x, g_j) over the arcs g_j (ring length 1); the
// key goes to the arc of the closest probe, so arc i wins with probability
// k * integral_0^{g_i} (1 - F(x))^(k-1) dx, summed piecewise (F is linear
// between sorted arc lengths). Returned per ring position.
template <class H>
std::vector<double> multi_probe_shares(const cp::multi_probe<H>& p) {
  const auto& ring = p.ring();
  const std::size_t n = ring.size();
  const double k = static_cast<double>(p.probes());
  std::vector<double> gap(n, 1.0);
  for (std::size_t i = 0; i < n && n > 1; ++i)
    gap[i] = static_cast<double>(ring[i].hash - ring[(i + n - 1) % n].hash) / 18446744073709551616.0;
  std::vector<double> sorted = gap, win(n);
  std::sort(sorted.begin(), sorted.end());
  double f = 0, at = 0, acc = 0;  // F(at), the win probability of an arc of length `at`
  for (std::size_t m = 0; m < n; ++m) {
    const double b = static_cast<double>(n - m);  // arcs at least this long
    const double f_next = f + b * (sorted[m] - at);
    acc += (std::pow(std::max(0.0, 1 - f), k) - std::pow(std::max(0.0, 1 - f_next), k)) / b;
    f = f_next, at = sorted[m], win[m] = acc;
  }
  std::vector<double> share(n);
  for (std::size_t i = 0; i < n; ++i)
    share[i] = win[static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), gap[i]) - sorted.begin())];
  return share;
}

// Max over members of (exact share) / (weight share).
double max_ratio(const std::vector<double>& share, const std::vector<double>& w, std::uint32_t s) {
  const double wsum = std::accumulate(w.begin(), w.begin() + s, 0.0);
  double m = 0;
  for (std::uint32_t i = 0; i < s; ++i) m = std::max(m, share[i] / (w[i] / wsum));
  return m;
}

// The hash-space fraction whose owner differs between two rings: over the
// union of both point sets, each arc (u_prev, u] has one owner in each.
template <class Points, class Owner>
double ring_moved(const Points& a, const Points& b, Owner owner_a, Owner owner_b, double space) {
  std::vector<std::uint64_t> u;
  for (const auto& p : a) u.push_back(p.hash);
  for (const auto& p : b) u.push_back(p.hash);
  std::sort(u.begin(), u.end());
  u.erase(std::unique(u.begin(), u.end()), u.end());
  double moved = 0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    const std::uint64_t prev = i == 0 ? u.back() : u[i - 1];
    const double arc = i == 0 ? space - static_cast<double>(prev - u[0]) : static_cast<double>(u[i] - prev);
    if (owner_a(u[i]) != owner_b(u[i])) moved += arc;
  }
  return moved / space;
}

// Exact metrics: before = the s servers, after = with server s added.
void exact_metrics(const cp::ring<>& before, const cp::ring<>& after, const std::vector<double>& w, std::uint32_t s,
                   result_line& r) {
  std::vector<double> share(s, 0.0);
  const std::vector<cp::ring<>::point> pts(before.points().begin(), before.points().end());
  for (std::size_t i = 0; i < pts.size(); ++i)
    share[index_of(pts[i].id)] += static_cast<double>(pts[i].hash - pts[(i + pts.size() - 1) % pts.size()].hash) / 0x1p64;
  r.exact_max_over_mean = max_ratio(share, w, s);
  auto owner = [](const cp::ring<>& x) { return [&x](std::uint64_t h) { return x.owner_of_hash(h); }; };
  r.exact_moved = ring_moved(before.points(), after.points(), owner(before), owner(after), 0x1p64);
}
struct ketama_point64 {
  std::uint64_t hash;
};
void exact_metrics(const cp::ketama_ring& before, const cp::ketama_ring& after, const std::vector<double>& w,
                   std::uint32_t s, result_line& r) {
  std::vector<double> share(s, 0.0);
  const auto& pts = before.points();
  for (std::size_t i = 0; i < pts.size(); ++i)
    share[pts[i].index] += static_cast<double>(static_cast<std::uint32_t>(pts[i].value - pts[(i + pts.size() - 1) % pts.size()].value)) / 0x1p32;
  if (pts.size() == 1) share[pts[0].index] = 1;
  r.exact_max_over_mean = max_ratio(share, w, s);
  auto widen = [](const cp::ketama_ring& x) {
    std::vector<ketama_point64> v;
    for (const auto& p : x.points()) v.push_back({p.value});
    return v;
  };
  auto owner = [](const cp::ketama_ring& x) {
    return [&x](std::uint64_t h) { return x.owner_index(static_cast<std::uint32_t>(h)); };
  };
  // 32-bit space: arcs are differences of 32-bit values held in 64 bits.
  r.exact_moved = ring_moved(widen(before), widen(after), owner(before), owner(after), 0x1p32);
}
template <class H>
void exact_metrics(const cp::maglev<H>& before, const cp::maglev<H>& after, const std::vector<double>& w,
                   std::uint32_t s, result_line& r) {
  std::vector<double> share(s, 0.0);
  for (const node_id id : before.table()) share[index_of(id)] += 1.0 / static_cast<double>(before.table_size());
  r.exact_max_over_mean = max_ratio(share, w, s);
  r.exact_moved = static_cast<double>(after.last_rebuild_changed()) / static_cast<double>(after.table_size());
}
template <class H>
void exact_metrics(const cp::multi_probe<H>& before, const cp::multi_probe<H>& after, const std::vector<double>& w,
                   std::uint32_t s, result_line& r) {
  const auto share = multi_probe_shares(before);
  std::vector<double> by_member(s, 0.0);
  for (std::size_t i = 0; i < share.size(); ++i) by_member[index_of(before.ring()[i].id)] = share[i];
  r.exact_max_over_mean = max_ratio(by_member, w, s);
  r.expected_max_over_mean = r.exact_max_over_mean;
  const auto after_share = multi_probe_shares(after);
  for (std::size_t i = 0; i < after_share.size(); ++i)
    if (index_of(after.ring()[i].id) == s) r.exact_moved = after_share[i];  // monotone: only to the new member
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
  std::vector<cp::member> list;
  for (std::uint32_t i = 0; i < s; ++i) list.push_back(server(i, w[i]));
  const double t0 = now_ms();  // add_all (one build) where the partitioner has it
  if constexpr (requires { p.add_all(std::span<const cp::member>(list)); }) {
    if (!p.add_all(list)) std::exit(3);
  } else {
    for (const auto& m : list)
      if (!p.add(m)) std::exit(3);
  }
  r.build_ms = now_ms() - t0;
  r.table_bytes = p.table_bytes();
  auto owner_of = [&](std::size_t k) { return index_of(p.lookup(keys.at(k)).value()); };
  const auto owner = time_lookups(n, owner_of, r);
  load_metrics(owner, w, s, r);
  result_line batch = r;
  if constexpr (requires { p.lookup_many(std::span<const cohort::bytes_view>{}, std::span<node_id>{}); })
    if (time_lookup_many(p, keys, n, batch) != owner) std::exit(6);
  const P before = p;
  if (!p.add(server(s, w[s]))) std::exit(3);
  count_moves(owner, owner_of, s, r);
  r.ideal = w[s] / std::accumulate(w.begin(), w.end(), 0.0);
  if constexpr (requires { exact_metrics(before, p, w, s, r); }) exact_metrics(before, p, w, s, r);
  print(r, run);
  if (batch.op == "lookup_many") {
    batch.moved = r.moved, batch.ideal = r.ideal, batch.moves_not_to_new = r.moves_not_to_new;
    batch.exact_max_over_mean = r.exact_max_over_mean, batch.exact_moved = r.exact_moved;
    print(batch, run);
  }
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
  r.table_bytes = p.table_bytes();
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
  r.table_bytes = p.table_bytes();
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

void ketama_interleaved(const memc& lm, std::uint32_t s, const std::vector<double>& w, const keyset& keys, bool w123,
                        int run);

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
  ketama_interleaved(lm, s, w, keys, w123, run);
}

// The speed ratio measured robustly on a shared machine: libmemcached, cohort's
// lookup and cohort's lookup_many take turns over the same blocks of keys
// (65,536 keys a turn), so a change of load hits all three alike; total time
// per implementation over all keys. One "ratio" line.
void ketama_interleaved(const memc& lm, std::uint32_t s, const std::vector<double>& w, const keyset& keys, bool w123,
                        int run) {
  cp::ketama_ring ours;
  std::vector<cp::member> list;
  for (std::uint32_t i = 0; i < s; ++i) list.push_back(server(i, w[i]));
  if (!ours.add_all(list)) std::exit(3);
  constexpr std::size_t block = 65536, chunk = 256;
  std::vector<std::uint32_t> theirs(block), one(block), many(block);
  std::vector<cohort::bytes_view> in(chunk);
  std::vector<node_id> out(chunk);
  double t_lm = 0, t_one = 0, t_many = 0;
  std::uint64_t differ = 0;
  const auto since = [](auto t) { return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t).count(); };
  for (std::size_t b = 0; b < keys.n; b += block) {
    const std::size_t m = std::min(block, keys.n - b);
    auto t = std::chrono::steady_clock::now();
    for (std::size_t k = 0; k < m; ++k) theirs[k] = lm.owner(keys, b + k);
    t_lm += since(t);
    t = std::chrono::steady_clock::now();
    for (std::size_t k = 0; k < m; ++k) one[k] = index_of(ours.lookup(keys.at(b + k)).value());
    t_one += since(t);
    t = std::chrono::steady_clock::now();
    for (std::size_t k = 0; k < m; k += chunk) {
      const std::size_t c = std::min(chunk, m - k);
      for (std::size_t i = 0; i < c; ++i) in[i] = keys.at(b + k + i);
      if (!ours.lookup_many(std::span(in.data(), c), std::span(out.data(), c))) std::exit(3);
      for (std::size_t i = 0; i < c; ++i) many[k + i] = index_of(out[i]);
    }
    t_many += since(t);
    for (std::size_t k = 0; k < m; ++k) differ += (theirs[k] != one[k]) + (theirs[k] != many[k]);
  }
  const double n = static_cast<double>(keys.n);
  fmt::print("{{\"ratio\":\"ketama_interleaved\",\"algo\":\"{}\",\"servers\":{},\"keys\":{},\"run\":{},"
             "\"libmemcached_ns\":{:.2f},\"cohort_lookup_ns\":{:.2f},\"cohort_lookup_many_ns\":{:.2f},"
             "\"speedup_lookup\":{:.3f},\"speedup_lookup_many\":{:.3f},\"differ\":{}}}\n",
             w123 ? "ketama_weighted_w123" : "ketama_weighted", s, keys.n, run, t_lm / n, t_one / n, t_many / n,
             t_lm / t_one, t_lm / t_many, differ);
  std::fflush(stdout);
  if (differ != 0) std::exit(4);
}
#endif

// Order statistics of a sample, printed as one JSON line.
void print_spread(const std::string& algo, const std::string& what, std::uint32_t s, std::uint64_t param,
                  std::vector<double> v, int run) {
  std::sort(v.begin(), v.end());
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  const auto at = [&](double q) { return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))]; };
  const auto over = std::count_if(v.begin(), v.end(), [](double x) { return x > 1.05; });
  fmt::print("{{\"algo\":\"{}\",\"impl\":\"{}\",\"what\":\"{}\",\"servers\":{},\"param\":{},\"samples\":{},\"run\":{},"
             "\"mean\":{:.4f},\"p05\":{:.4f},\"p50\":{:.4f},\"p95\":{:.4f},\"max\":{:.4f},\"over_1_05\":{:.3f}}}\n",
             algo, cohort_impl, what, s, param, v.size(), run, mean, at(0.05), at(0.5), at(0.95), v.back(),
             static_cast<double>(over) / static_cast<double>(v.size()));
}


// Exact moved / ideal for `joins` different members joining `r` (servers s,
// s+1, ...; the first is the workload's own join), weight 1 each.
std::vector<double> join_ratios(const cp::ring<>& r, std::uint32_t s, std::uint32_t joins) {
  std::vector<double> ratio;
  for (std::uint32_t t = 0; t < joins; ++t) ratio.push_back(r.join_share(server(s + t, 1)).value() * (s + 1));
  return ratio;
}

cp::ring<> ring_of(std::uint32_t per_unit, std::uint32_t s) {
  cp::ring<> r(per_unit);
  std::vector<cp::member> list;
  for (std::uint32_t i = 0; i < s; ++i) list.push_back(server(i, 1));
  if (!r.add_all(list)) std::exit(3);
  return r;
}

// How far one join's exact movement strays from the ideal on `ring`: for --joins (400)
// different new members (names after the s servers), the new member's exact
// share of the hash space (a monotone ring moves exactly that) over 1/(s+1),
// for several points per unit. No keys: exact arcs.
void run_ring_join_spread(std::uint32_t s, const options& o, int run) {
  for (std::uint32_t per_unit : o.points)
    print_spread("ring_join_spread", fmt::format("exact moved / ideal on one join, over {} joining members; param = points per unit", o.joins),
                 s, per_unit, join_ratios(ring_of(per_unit, s), s, o.joins), run);
}

// The trade-off of `ring` at s members, one line per points-per-unit: the
// spread of one join's exact movement over --joins (400) joining members (sd, median,
// 95th percentile, share above 1.05; the workload's own join), table bytes,
// build time, and ns per lookup against the jump partitioner, the two taking
// turns over the same blocks of 65,536 keys so that a change of machine load
// hits both alike.
void run_ring_tradeoff(std::uint32_t s, const keyset& keys, const options& o, int run) {
  cp::jump<> jump;
  for (std::uint32_t i = 0; i < s; ++i)
    if (!jump.add(server(i, 1))) std::exit(3);
  for (std::uint32_t per_unit : o.points) {
    const double t0 = now_ms();
    const cp::ring<> r = ring_of(per_unit, s);
    const double build_ms = now_ms() - t0;
    constexpr std::size_t block = 65536;
    std::vector<node_id> a(block), b(block);
    double t_jump = 0, t_ring = 0;
    std::uint64_t sum = 0;
    const auto since = [](auto t) { return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t).count(); };
    for (std::size_t k0 = 0; k0 < keys.n; k0 += block) {
      const std::size_t m = std::min(block, keys.n - k0);
      auto t = std::chrono::steady_clock::now();
      for (std::size_t k = 0; k < m; ++k) a[k] = jump.lookup(keys.at(k0 + k)).value();
      t_jump += since(t);
      t = std::chrono::steady_clock::now();
      for (std::size_t k = 0; k < m; ++k) b[k] = r.lookup(keys.at(k0 + k)).value();
      t_ring += since(t);
      for (std::size_t k = 0; k < m; ++k) sum += a[k].value() + b[k].value();
    }
    auto ratio = join_ratios(r, s, o.joins);
    const double workload_join = ratio[0];
    double mean = 0, sq = 0;
    for (double x : ratio) mean += x / static_cast<double>(ratio.size());
    for (double x : ratio) sq += (x - mean) * (x - mean) / static_cast<double>(ratio.size() - 1);
    std::sort(ratio.begin(), ratio.end());
    const auto at = [&](double q) { return ratio[static_cast<std::size_t>(q * static_cast<double>(ratio.size() - 1))]; };
    const auto over = std::count_if(ratio.begin(), ratio.end(), [](double x) { return x > 1.05; });
    const double n = static_cast<double>(keys.n);
    fmt::print("{{\"algo\":\"ring_tradeoff\",\"impl\":\"{}\",\"servers\":{},\"keys\":{},\"run\":{},\"points_per_unit\":{},"
               "\"points\":{},\"lines\":{},\"overfull_lines\":{},\"table_bytes\":{},\"build_ms\":{:.1f},\"jump_ns\":{:.2f},\"ring_ns\":{:.2f},"
               "\"ring_over_jump\":{:.3f},\"joins\":{},\"join_sd\":{:.4f},\"join_p50\":{:.4f},\"join_p95\":{:.4f},"
               "\"join_max\":{:.4f},\"join_over_1_05\":{:.3f},\"workload_join\":{:.4f},\"checksum\":{}}}\n",
               cohort_impl, s, keys.n, run, per_unit, r.points().size(), r.line_count(), r.overfull_lines(), r.table_bytes(), build_ms, t_jump / n,
               t_ring / n, t_ring / t_jump, ratio.size(),
               std::sqrt(sq), at(0.5), at(0.95), ratio.back(), static_cast<double>(over) / static_cast<double>(ratio.size()),
               workload_join, sum);
    std::fflush(stdout);
  }
}

// How far the busiest member's exact expected load strays from the mean with
// multi-probe hashing: 200 rings of s members (names "set<t>-<i>"), exact
// max/mean under ideal probes, for several probe counts.
void run_multi_probe_spread(std::uint32_t s, int run) {
  for (std::size_t probes : {21U, 23U, 26U, 31U}) {
    std::vector<double> ratio;
    for (std::uint32_t t = 0; t < 200; ++t) {
      auto p = cp::multi_probe<>::create(probes).value();
      std::vector<cp::member> list;
      for (std::uint32_t i = 0; i < s; ++i)
        list.push_back(cp::member{node_id{i + 1}, fmt::format("set{}-{}", t, i), 1.0, {}, {}});
      if (!p.add_all(list)) std::exit(3);
      const auto share = multi_probe_shares(p);
      ratio.push_back(*std::max_element(share.begin(), share.end()) * s);
    }
    print_spread("multi_probe_spread", "exact max/mean over 200 rings; param = probes", s, probes, ratio, run);
  }
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; i += 2) {
    const std::string f = argv[i], v = i + 1 < argc ? argv[i + 1] : "";
    if (f == "--keys" && !v.empty()) o.keys = std::strtoull(v.c_str(), nullptr, 10);
    else if (f == "--algo" && !v.empty()) o.algo = v;
    else if (f == "--run" && !v.empty()) o.run = std::atoi(v.c_str());
    else if (f == "--joins" && !v.empty()) o.joins = static_cast<std::uint32_t>(std::strtoul(v.c_str(), nullptr, 10));
    else if ((f == "--servers" || f == "--points") && !v.empty()) {
      auto& list = f == "--servers" ? o.servers : o.points;
      list.clear();
      for (std::size_t p = 0; p < v.size();) {
        const auto q = std::min(v.find(',', p), v.size());
        list.push_back(static_cast<std::uint32_t>(std::strtoul(v.substr(p, q - p).c_str(), nullptr, 10)));
        p = q + 1;
      }
    } else {
      fmt::print(stderr, "usage: {} [--keys N] [--servers 10,100,1000] [--algo NAME] [--run R] [--points 160,1024] [--joins J]\n",
                 argv[0]);
      std::exit(2);
    }
  }
  const bool bad_servers = std::any_of(o.servers.begin(), o.servers.end(), [](auto s) { return s < 2 || s > 60000; });
  const bool bad_points = o.points.empty() || std::any_of(o.points.begin(), o.points.end(), [](auto p) { return p == 0 || p > 60000; });
  if (o.keys == 0 || o.servers.empty() || bad_servers || bad_points || o.joins < 2 || o.joins > 100000) {
    fmt::print(stderr, "--keys must be > 0, every server count in [2, 60000], every --points value in [1, 60000], "
               "--joins in [2, 100000]\n");
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
    // Spreads (exact, no keys): only when asked for by name.
    if (o.algo == "ring_join_spread") run_ring_join_spread(s, o, r);
    if (o.algo == "ring_tradeoff") run_ring_tradeoff(s, keys, o, r);
    if (o.algo == "multi_probe_spread") run_multi_probe_spread(s, r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  run_all(o, make_keys(o.keys));
  return 0;
}
