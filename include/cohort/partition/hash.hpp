// cohort/partition/hash.hpp - the hash functions partitioners use by default.
//
//   xxh64(data, seed)   XXH64, implemented from its published specification
//                       (Yann Collet, xxHash "XXH64 algorithm description");
//                       fast and well distributed: cohort's default.
//   md5(data)           MD5 (RFC 1321), for ketama compatibility only (not for
//                       security). Messages of up to 55 bytes (keys, usually)
//                       take one block with no buffering.
//   md5_first_word      md5(data)'s first four bytes as a word (ketama's key
//                       hash), leaving out the steps that only feed the rest.
//   md5_short_many      MD5 of eight such messages at once, their rounds side
//                       by side (GCC/Clang vector extensions), for batches.
//   mix64(x)            a 64-bit finalizer (the avalanche step of SplitMix64),
//                       for deriving probes and pair hashes from a hash.
//   default_hash        a `hasher` over xxh64.
// All are defined on the byte sequence with little-endian reads, so results
// are the same on every platform and compiler.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "cohort/core/bytes.hpp"
#include "cohort/partition/concepts.hpp"

namespace cohort::partition {

constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

namespace detail {

constexpr std::uint64_t rotl64(std::uint64_t x, int r) noexcept { return (x << r) | (x >> (64 - r)); }
constexpr std::uint32_t rotl32(std::uint32_t x, int r) noexcept { return (x << r) | (x >> (32 - r)); }

inline std::uint64_t read64(const std::byte* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint64_t>(p[i]);
  return v;
}
inline std::uint32_t read32(const std::byte* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint32_t>(p[i]);
  return v;
}

namespace xxh {
inline constexpr std::uint64_t p1 = 0x9E3779B185EBCA87ULL;
inline constexpr std::uint64_t p2 = 0xC2B2AE3D27D4EB4FULL;
inline constexpr std::uint64_t p3 = 0x165667B19E3779F9ULL;
inline constexpr std::uint64_t p4 = 0x85EBCA77C2B2AE63ULL;
inline constexpr std::uint64_t p5 = 0x27D4EB2F165667C5ULL;
constexpr std::uint64_t round(std::uint64_t acc, std::uint64_t lane) noexcept {
  return rotl64(acc + lane * p2, 31) * p1;
}
constexpr std::uint64_t merge(std::uint64_t acc, std::uint64_t v) noexcept {
  return (acc ^ round(0, v)) * p1 + p4;
}
}  // namespace xxh

}  // namespace detail

/// XXH64 of `data` with `seed`.
inline std::uint64_t xxh64(bytes_view data, std::uint64_t seed = 0) noexcept {
  using namespace detail::xxh;
  using detail::rotl64;
  const std::byte* p = data.data();
  std::size_t n = data.size();
  std::uint64_t acc;
  if (n >= 32) {
    std::uint64_t v1 = seed + p1 + p2, v2 = seed + p2, v3 = seed, v4 = seed - p1;
    while (n >= 32) {
      v1 = round(v1, detail::read64(p));
      v2 = round(v2, detail::read64(p + 8));
      v3 = round(v3, detail::read64(p + 16));
      v4 = round(v4, detail::read64(p + 24));
      p += 32;
      n -= 32;
    }
    acc = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
    acc = merge(acc, v1);
    acc = merge(acc, v2);
    acc = merge(acc, v3);
    acc = merge(acc, v4);
  } else {
    acc = seed + p5;
  }
  acc += data.size();
  for (; n >= 8; p += 8, n -= 8) acc = rotl64(acc ^ round(0, detail::read64(p)), 27) * p1 + p4;
  if (n >= 4) {
    acc = rotl64(acc ^ (std::uint64_t{detail::read32(p)} * p1), 23) * p2 + p3;
    p += 4;
    n -= 4;
  }
  for (; n > 0; ++p, --n) acc = rotl64(acc ^ (std::to_integer<std::uint64_t>(*p) * p5), 11) * p1;
  acc ^= acc >> 33;
  acc *= p2;
  acc ^= acc >> 29;
  acc *= p3;
  acc ^= acc >> 32;
  return acc;
}

namespace detail {

// MD5's sine-derived constants (RFC 1321 section 3.4), by step.
inline constexpr std::uint32_t md5_k[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

// The four round functions, each folded into one step
//   a = b + rotl(a + k + w + f(b, c, d), s),
// arranged so that the newest word, b, enters as late as possible (it is the
// critical path): a + k + w and the parts without b are computed while b is
// pending. W is std::uint32_t, or a vector of them (one message per element).
struct md5_f {
  template <class W>
  static W early(W c, W d) noexcept { return c ^ d; }
  template <class W>
  static W late(W b, W e, W, W d) noexcept { return (b & e) ^ d; }  // (b & c) | (~b & d)
};
struct md5_g {
  template <class W>
  static W early(W c, W d) noexcept { return c & ~d; }
  template <class W>
  static W late(W b, W e, W, W d) noexcept { return (b & d) + e; }  // (b & d) | (c & ~d), disjoint bits
};
struct md5_h {
  template <class W>
  static W early(W c, W d) noexcept { return c ^ d; }
  template <class W>
  static W late(W b, W e, W, W) noexcept { return b ^ e; }
};
struct md5_i {
  template <class W>
  static W early(W, W d) noexcept { return ~d; }
  template <class W>
  static W late(W b, W e, W c, W) noexcept { return c ^ (b | e); }
};

template <class F, int S, class W>
[[gnu::always_inline]] inline void md5_step(W& a, W b, W c, W d, std::uint32_t k, W w) noexcept {
  const W e = F::early(c, d);
  const W x = a + k + w + F::late(b, e, c, d);
  a = b + ((x << S) | (x >> (32 - S)));
}

// Sixteen steps of one round (the first 4 * Groups of them); step i reads
// message word (M0 + M1 * i) mod 16.
template <class F, int S0, int S1, int S2, int S3, int M0, int M1, int Groups = 4, class W>
[[gnu::always_inline]] inline void md5_round(W& a, W& b, W& c, W& d, const W (&m)[16], int first) noexcept {
#pragma GCC unroll 4
  for (int i = 0; i < 4 * Groups; i += 4) {
    const std::uint32_t* k = md5_k + first + i;
    md5_step<F, S0>(a, b, c, d, k[0], m[(M0 + M1 * i) & 15]);
    md5_step<F, S1>(d, a, b, c, k[1], m[(M0 + M1 * (i + 1)) & 15]);
    md5_step<F, S2>(c, d, a, b, k[2], m[(M0 + M1 * (i + 2)) & 15]);
    md5_step<F, S3>(b, c, d, a, k[3], m[(M0 + M1 * (i + 3)) & 15]);
  }
}

/// One MD5 compression (64 steps) of the block `m` into the state `s`.
template <class W>
[[gnu::always_inline]] inline void md5_compress(W (&s)[4], const W (&m)[16]) noexcept {
  W a = s[0], b = s[1], c = s[2], d = s[3];
  md5_round<md5_f, 7, 12, 17, 22, 0, 1>(a, b, c, d, m, 0);
  md5_round<md5_g, 5, 9, 14, 20, 1, 5>(a, b, c, d, m, 16);
  md5_round<md5_h, 4, 11, 16, 23, 5, 3>(a, b, c, d, m, 32);
  md5_round<md5_i, 6, 10, 15, 21, 0, 7>(a, b, c, d, m, 48);
  s[0] += a, s[1] += b, s[2] += c, s[3] += d;
}

/// The first word of the digest only (its bytes 0-3, little-endian) of one
/// compression from the initial state: the last three steps update the
/// other words only, so they are left out.
template <class W>
[[gnu::always_inline]] inline W md5_compress_first_word(const W (&s)[4], const W (&m)[16]) noexcept {
  W a = s[0], b = s[1], c = s[2], d = s[3];
  md5_round<md5_f, 7, 12, 17, 22, 0, 1>(a, b, c, d, m, 0);
  md5_round<md5_g, 5, 9, 14, 20, 1, 5>(a, b, c, d, m, 16);
  md5_round<md5_h, 4, 11, 16, 23, 5, 3>(a, b, c, d, m, 32);
  md5_round<md5_i, 6, 10, 15, 21, 0, 7, 3>(a, b, c, d, m, 48);  // steps 48-59
  md5_step<md5_i, 6>(a, b, c, d, md5_k[60], m[(7 * 12) & 15]);  // step 60, the last to write a
  return s[0] + a;
}

inline constexpr std::uint32_t md5_iv[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

/// The longest message that fits one block with its padding.
inline constexpr std::size_t md5_single_block_max = 55;

// Copies n <= 64 bytes with fixed-size moves (a memcpy of variable length is
// a library call, a good part of the cost of hashing one short key): whole
// 8-byte words, then one last word that overlaps the previous ones.
inline void copy_short(std::byte* to, const std::byte* from, std::size_t n) noexcept {
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 <= n; i += 8) std::memcpy(to + i, from + i, 8);
    std::memcpy(to + n - 8, from + n - 8, 8);
  } else if (n >= 4) {
    std::memcpy(to, from, 4);
    std::memcpy(to + n - 4, from + n - 4, 4);
  } else {
    for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
  }
}

// The only block of a message of n <= 55 bytes, as words: the bytes, 0x80,
// zeros, the bit length in word 14 (word 15, its high half, is 0).
inline void md5_short_words(std::uint32_t (&w)[16], const std::byte* p, std::size_t n) noexcept {
  std::memset(w, 0, sizeof w);
  copy_short(reinterpret_cast<std::byte*>(w), p, n);
  if constexpr (std::endian::native == std::endian::big)
    for (auto& x : w) x = read32(reinterpret_cast<const std::byte*>(&x));
  w[n / 4] |= std::uint32_t{0x80} << (8 * (n % 4));
  w[14] = static_cast<std::uint32_t>(n * 8);
}

inline std::array<std::uint8_t, 16> md5_digest(const std::uint32_t (&s)[4]) noexcept {
  std::array<std::uint8_t, 16> out{};
  for (int w = 0; w < 4; ++w)
    for (int b = 0; b < 4; ++b) out[static_cast<std::size_t>(4 * w + b)] = static_cast<std::uint8_t>(s[w] >> (8 * b));
  return out;
}

inline void md5_compress_bytes(std::uint32_t (&s)[4], const std::byte* p) noexcept {
  std::uint32_t m[16];
  for (int g = 0; g < 16; ++g) m[g] = read32(p + 4 * g);
  md5_compress(s, m);
}

}  // namespace detail

/// MD5 (RFC 1321) of `data`: the 16-byte digest.
inline std::array<std::uint8_t, 16> md5(bytes_view data) noexcept {
  std::uint32_t s[4] = {detail::md5_iv[0], detail::md5_iv[1], detail::md5_iv[2], detail::md5_iv[3]};
  const std::size_t n = data.size();
  if (n <= detail::md5_single_block_max) {  // keys, usually: one block, no loop
    std::uint32_t w[16];
    detail::md5_short_words(w, data.data(), n);
    detail::md5_compress(s, w);
    return detail::md5_digest(s);
  }
  std::byte tail[128];
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) detail::md5_compress_bytes(s, data.data() + i);
  // Padding: a 1 bit, zeros to 56 mod 64, then the bit length little-endian.
  const std::size_t rest = n - i;
  const std::size_t tail_len = rest < 56 ? 64 : 128;
  std::memset(tail, 0, sizeof tail);
  if (rest != 0) std::memcpy(tail, data.data() + i, rest);
  tail[rest] = std::byte{0x80};
  const std::uint64_t bits = static_cast<std::uint64_t>(n) * 8;
  for (int b = 0; b < 8; ++b) tail[tail_len - 8 + static_cast<std::size_t>(b)] = static_cast<std::byte>(bits >> (8 * b));
  for (std::size_t off = 0; off < tail_len; off += 64) detail::md5_compress_bytes(s, tail + off);
  return detail::md5_digest(s);
}

/// MD5's first four digest bytes as a little-endian word: md5(data)[0..3],
/// what ketama hashes a key to. Keys of up to 55 bytes skip the last steps.
inline std::uint32_t md5_first_word(bytes_view data) noexcept {
  if (data.size() <= detail::md5_single_block_max) {
    std::uint32_t w[16];
    detail::md5_short_words(w, data.data(), data.size());
    return detail::md5_compress_first_word(detail::md5_iv, w);
  }
  const auto d = md5(data);
  return std::uint32_t{d[0]} | std::uint32_t{d[1]} << 8 | std::uint32_t{d[2]} << 16 | std::uint32_t{d[3]} << 24;
}

namespace detail {
#if defined(__GNUC__) || defined(__clang__)
#define COHORT_PARTITION_MD5_VECTORS 1
using md5_vec4 = std::uint32_t __attribute__((vector_size(16)));

/// Eight MD5 words as two 4-word vectors (SSE2 or NEON registers): two
/// independent dependency chains of four messages each, so that one chain's
/// latency hides the other's.
struct md5_x8 {
  md5_vec4 lo, hi;
  friend md5_x8 operator+(md5_x8 x, md5_x8 y) noexcept { return {x.lo + y.lo, x.hi + y.hi}; }
  friend md5_x8 operator+(md5_x8 x, std::uint32_t k) noexcept { return {x.lo + k, x.hi + k}; }
  friend md5_x8 operator&(md5_x8 x, md5_x8 y) noexcept { return {x.lo & y.lo, x.hi & y.hi}; }
  friend md5_x8 operator|(md5_x8 x, md5_x8 y) noexcept { return {x.lo | y.lo, x.hi | y.hi}; }
  friend md5_x8 operator^(md5_x8 x, md5_x8 y) noexcept { return {x.lo ^ y.lo, x.hi ^ y.hi}; }
  friend md5_x8 operator~(md5_x8 x) noexcept { return {~x.lo, ~x.hi}; }
  friend md5_x8 operator<<(md5_x8 x, int n) noexcept { return {x.lo << n, x.hi << n}; }
  friend md5_x8 operator>>(md5_x8 x, int n) noexcept { return {x.lo >> n, x.hi >> n}; }
  md5_x8& operator+=(md5_x8 y) noexcept { return *this = *this + y; }
};
#endif
}  // namespace detail

/// How many messages md5_short_many() hashes side by side.
inline constexpr std::size_t md5_lanes = 8;

/// MD5 of md5_lanes messages of at most 55 bytes each (precondition; longer
/// ones need md5()), written to out[i]. With GCC or Clang their rounds run side
/// by side in vector registers (two chains of four messages), several times the
/// throughput of one md5() per message; elsewhere it calls the scalar rounds.
inline void md5_short_many(const bytes_view (&msgs)[md5_lanes], std::array<std::uint8_t, 16> (&out)[md5_lanes]) noexcept {
  std::uint32_t w[md5_lanes][16];
  for (std::size_t l = 0; l < md5_lanes; ++l) detail::md5_short_words(w[l], msgs[l].data(), msgs[l].size());
#ifdef COHORT_PARTITION_MD5_VECTORS
  detail::md5_x8 m[16];
  for (int g = 0; g < 16; ++g)
    m[g] = {detail::md5_vec4{w[0][g], w[1][g], w[2][g], w[3][g]}, detail::md5_vec4{w[4][g], w[5][g], w[6][g], w[7][g]}};
  detail::md5_x8 s[4];
  for (int r = 0; r < 4; ++r) s[r] = detail::md5_x8{} + detail::md5_iv[r];
  detail::md5_compress(s, m);
  for (std::size_t l = 0; l < md5_lanes; ++l) {
    const auto lane = [&](const detail::md5_x8& x) { return l < 4 ? x.lo[l] : x.hi[l - 4]; };
    const std::uint32_t words[4] = {lane(s[0]), lane(s[1]), lane(s[2]), lane(s[3])};
    out[l] = detail::md5_digest(words);
  }
#else
  for (std::size_t l = 0; l < md5_lanes; ++l) {
    std::uint32_t s[4] = {detail::md5_iv[0], detail::md5_iv[1], detail::md5_iv[2], detail::md5_iv[3]};
    detail::md5_compress(s, w[l]);
    out[l] = detail::md5_digest(s);
  }
#endif
}

/// The default `hasher`: XXH64.
struct default_hash {
  std::uint64_t operator()(bytes_view data) const noexcept { return xxh64(data, 0); }
  std::uint64_t operator()(bytes_view data, std::uint64_t seed) const noexcept { return xxh64(data, seed); }
};
static_assert(hasher<default_hash>);

/// MD5 as a `hasher` (the first 8 digest bytes, little-endian; the seed is
/// appended to the data as 8 little-endian bytes). Slow; for compatibility.
struct md5_hash {
  std::uint64_t operator()(bytes_view data) const noexcept { return low64(md5(data)); }
  std::uint64_t operator()(bytes_view data, std::uint64_t seed) const {
    std::vector<std::byte> buf(data.begin(), data.end());
    for (int b = 0; b < 8; ++b) buf.push_back(static_cast<std::byte>(seed >> (8 * b)));
    return low64(md5(bytes_view(buf.data(), buf.size())));
  }
  static std::uint64_t low64(const std::array<std::uint8_t, 16>& d) noexcept {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | d[static_cast<std::size_t>(i)];
    return v;
  }
};
static_assert(hasher<md5_hash>);

}  // namespace cohort::partition
