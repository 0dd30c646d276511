#include <catch2/catch.hpp>

#include <cohort/partition/hash.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace cp = cohort::partition;

namespace {
std::vector<std::byte> pattern(std::size_t n) {
  std::vector<std::byte> b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::byte>(i * 7 % 251);
  return b;
}
std::string hex(const std::array<std::uint8_t, 16>& d) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (auto c : d) s += digits[c >> 4], s += digits[c & 15];
  return s;
}
}  // namespace

TEST_CASE("md5: the RFC 1321 test suite (appendix A.5)", "[partition][hash]") {
  const std::pair<const char*, const char*> suite[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  for (auto [in, want] : suite) CHECK(hex(cp::md5(cp::as_key(in))) == want);
  // Lengths around the padding boundaries (55, 56, 64 bytes), from md5sum.
  CHECK(hex(cp::md5(cp::as_key(std::string(55, 'x')))) == "04364420e25c512fd958a70738aa8f72");
  CHECK(hex(cp::md5(cp::as_key(std::string(56, '0')))) == "ce992c2ad906967c63c3f9ab0c2294a9");
  CHECK(hex(cp::md5(cp::as_key(std::string(64, '0')))) == "10eab6008d5642cf42abd2aa41f847cb");
}

TEST_CASE("md5_short_many: eight messages at once equal md5() of each", "[partition][hash]") {
  // Every length a single block takes (0..55), in every lane position.
  const auto data = pattern(64);
  for (std::size_t first = 0; first <= 55; ++first) {
    cohort::bytes_view in[cp::md5_lanes];
    for (std::size_t l = 0; l < cp::md5_lanes; ++l) in[l] = cohort::bytes_view(data.data() + l, (first + 7 * l) % 56);
    std::array<std::uint8_t, 16> out[cp::md5_lanes];
    cp::md5_short_many(in, out);
    for (std::size_t l = 0; l < cp::md5_lanes; ++l) {
      INFO("lane " << l << " length " << in[l].size());
      REQUIRE(out[l] == cp::md5(in[l]));
    }
  }
  // And against the RFC's vectors directly.
  const char* text[cp::md5_lanes] = {"", "a", "abc", "message digest", "abcdefghijklmnopqrstuvwxyz", "", "abc", "a"};
  cohort::bytes_view in[cp::md5_lanes];
  for (std::size_t l = 0; l < cp::md5_lanes; ++l) in[l] = cp::as_key(text[l]);
  std::array<std::uint8_t, 16> out[cp::md5_lanes];
  cp::md5_short_many(in, out);
  CHECK(hex(out[0]) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(hex(out[2]) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(hex(out[4]) == "c3fcd3d76192e4007dfb496cca67e13b");
  CHECK(hex(out[7]) == "0cc175b9c0f1b6a831c399e269772661");
}

TEST_CASE("md5_first_word: md5()'s first four bytes, little-endian, at every length", "[partition][hash]") {
  const auto data = pattern(200);
  for (std::size_t n = 0; n <= 200; ++n) {
    INFO("length " << n);
    const cohort::bytes_view in(data.data(), n);
    const auto d = cp::md5(in);
    const std::uint32_t want =
        std::uint32_t{d[0]} | std::uint32_t{d[1]} << 8 | std::uint32_t{d[2]} << 16 | std::uint32_t{d[3]} << 24;
    REQUIRE(cp::md5_first_word(in) == want);
  }
  CHECK(cp::md5_first_word(cp::as_key("abc")) == 0x98500190u);  // 900150983cd24fb0...: bytes 90 01 50 98
}

TEST_CASE("xxh64: reference values (xxhsum and libxxhash)", "[partition][hash]") {
  const std::pair<std::size_t, std::uint64_t> unseeded[] = {
      {0, 0xef46db3751d8e999ULL},  {1, 0xe934a84adb052768ULL},  {3, 0x9ff70a635a6209abULL},
      {4, 0xae5acdc00a55ac41ULL},  {7, 0xd734a6b26f3da63eULL},  {8, 0x87116b3365b924ebULL},
      {15, 0x02c53ab1e360882fULL}, {16, 0xed1dd2fac0a31fbcULL}, {31, 0x0f187c62b1e722b7ULL},
      {32, 0x91b0cb0931a8c629ULL}, {33, 0x931b043cf8d65b94ULL}, {63, 0x575186c12dcebcfdULL},
      {64, 0xab64977b5af9d022ULL}, {100, 0xb7fe1d84b2f23a05ULL}, {1000, 0x023fd2ed1ff957d5ULL}};
  for (auto [n, want] : unseeded) {
    const auto b = pattern(n);
    INFO("length " << n);
    CHECK(cp::xxh64(cohort::bytes_view(b.data(), b.size())) == want);
  }
  struct seeded_case {
    std::size_t n;
    std::uint64_t seed, want;
  };
  const seeded_case seeded[] = {
      {0, 0x1ULL, 0xd5afba1336a3be4bULL},      {5, 0x1ULL, 0x5b181dc16e13a859ULL},
      {16, 0x1ULL, 0x6c66711cf2a77e5bULL},     {40, 0x1ULL, 0x367efbaf1a00b348ULL},
      {77, 0x1ULL, 0xca14dc22a991bb3dULL},     {1000, 0x1ULL, 0xc5c215d09c508055ULL},
      {0, 0x9e3779b97f4a7c15ULL, 0xc4349fc93c010000ULL}, {5, 0x9e3779b97f4a7c15ULL, 0x43cbf5d040f95244ULL},
      {16, 0x9e3779b97f4a7c15ULL, 0xd4464228f8b0e4feULL}, {40, 0x9e3779b97f4a7c15ULL, 0xbf5e55e2213608f3ULL},
      {77, 0x9e3779b97f4a7c15ULL, 0xf72e293d0b9c2348ULL}, {1000, 0x9e3779b97f4a7c15ULL, 0x1a642e5b087d6d75ULL},
      {0, 0x3039ULL, 0x95584af7701f808dULL},   {5, 0x3039ULL, 0xb881591d558c8a4dULL},
      {16, 0x3039ULL, 0x7c013dd8cf4a8024ULL},  {40, 0x3039ULL, 0x2732f03bec999f96ULL},
      {77, 0x3039ULL, 0x362d19cbb9a7c80bULL},  {1000, 0x3039ULL, 0xf91698f761c39c92ULL}};
  for (auto c : seeded) {
    const auto b = pattern(c.n);
    INFO("length " << c.n << " seed " << c.seed);
    CHECK(cp::xxh64(cohort::bytes_view(b.data(), b.size()), c.seed) == c.want);
  }
  CHECK(cp::default_hash{}(cp::as_key("abc")) == cp::xxh64(cp::as_key("abc"), 0));
}

TEST_CASE("mix64 is a bijection-like avalanche: distinct inputs, distinct outputs", "[partition][hash]") {
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = 0; i < 100000; ++i) out.push_back(cp::mix64(i));
  std::sort(out.begin(), out.end());
  CHECK(std::adjacent_find(out.begin(), out.end()) == out.end());
  // One flipped input bit flips about half the output bits.
  double flipped = 0;
  for (std::uint64_t i = 0; i < 1000; ++i)
    for (int b = 0; b < 64; ++b) flipped += __builtin_popcountll(cp::mix64(i) ^ cp::mix64(i ^ (std::uint64_t{1} << b)));
  CHECK(flipped / (1000.0 * 64) > 31.0);
  CHECK(flipped / (1000.0 * 64) < 33.0);
}
