// cohort/partition/hash.hpp - the hash functions partitioners use by default.
//
//   xxh64(data, seed)   XXH64, implemented from its published specification
//                       (Yann Collet, xxHash "XXH64 algorithm description");
//                       fast and well distributed: cohort's default.
//   md5(data)           MD5 (RFC 1321), for ketama compatibility only (not for
//                       security).
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

/// MD5 (RFC 1321) of `data`: the 16-byte digest.
inline std::array<std::uint8_t, 16> md5(bytes_view data) noexcept {
  // Per-round shift amounts and the sine-derived constants of RFC 1321 §3.4.
  static constexpr std::uint8_t shift[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                             5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                             4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                             6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
  static constexpr std::uint32_t k[64] = {
      0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
      0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
      0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
      0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
      0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
      0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
      0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
      0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
  std::uint32_t a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
  // One 64-byte block: four rounds of 16 steps, each round with its own
  // function and message order (written out so the compiler unrolls them).
  auto block = [&](const std::byte* m) {
    std::uint32_t w[16];
    std::memcpy(w, m, 64);
    if constexpr (std::endian::native == std::endian::big)
      for (auto& x : w) x = detail::read32(reinterpret_cast<const std::byte*>(&x));
    std::uint32_t a = a0, b = b0, c = c0, d = d0;
    auto step = [&](std::uint32_t f, int i, int g) {
      const std::uint32_t t = d;
      d = c;
      c = b;
      b = b + detail::rotl32(a + f + k[i] + w[g], shift[i]);
      a = t;
    };
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) step((b & c) | (~b & d), i, i);
#pragma GCC unroll 16
    for (int i = 16; i < 32; ++i) step((d & b) | (~d & c), i, (5 * i + 1) & 15);
#pragma GCC unroll 16
    for (int i = 32; i < 48; ++i) step(b ^ c ^ d, i, (3 * i + 5) & 15);
#pragma GCC unroll 16
    for (int i = 48; i < 64; ++i) step(c ^ (b | ~d), i, (7 * i) & 15);
    a0 += a, b0 += b, c0 += c, d0 += d;
  };
  const std::size_t n = data.size();
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) block(data.data() + i);
  // Padding: a 1 bit, zeros to 56 mod 64, then the bit length little-endian.
  std::byte tail[128];
  const std::size_t rest = n - i;
  const std::size_t tail_len = rest < 56 ? 64 : 128;
  if (rest != 0) std::memcpy(tail, data.data() + i, rest);
  tail[rest] = std::byte{0x80};
  std::memset(tail + rest + 1, 0, tail_len - rest - 1);
  const std::uint64_t bits = static_cast<std::uint64_t>(n) * 8;
  for (int b = 0; b < 8; ++b) tail[tail_len - 8 + static_cast<std::size_t>(b)] = static_cast<std::byte>(bits >> (8 * b));
  block(tail);
  if (tail_len == 128) block(tail + 64);
  std::array<std::uint8_t, 16> out{};
  const std::uint32_t words[4] = {a0, b0, c0, d0};
  for (int w = 0; w < 4; ++w)
    for (int b = 0; b < 4; ++b) out[static_cast<std::size_t>(4 * w + b)] = static_cast<std::uint8_t>(words[w] >> (8 * b));
  return out;
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
