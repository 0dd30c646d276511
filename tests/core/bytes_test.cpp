#include <cohort/core/bytes.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "support/assert_capture.hpp"

// Counts the global allocations of this test program, to show which `bytes`
// operations allocate. Replacing operator new is program-wide; the count is
// only read around the statements under test. Under AddressSanitizer the
// replacement would fight the sanitizer's own allocator, so the counts are
// not checked there (the sharing checks, use_count and data(), still are).
#if defined(__SANITIZE_ADDRESS__)
#define COHORT_TEST_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COHORT_TEST_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef COHORT_TEST_COUNT_ALLOCATIONS
#define COHORT_TEST_COUNT_ALLOCATIONS 1
#endif

namespace {
std::size_t allocations = 0;
}  // namespace

#if COHORT_TEST_COUNT_ALLOCATIONS
void* operator new(std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif

using cohort::bytes;

namespace {

// Runs f() and checks that it made exactly `expected` allocations.
template <class F>
void check_allocations(std::size_t expected, F&& f) {
  const auto before = allocations;
  f();
  const auto made = allocations - before;
  if (COHORT_TEST_COUNT_ALLOCATIONS) CHECK(made == expected);
}

bytes text(std::string_view s) { return bytes::copy_of(s); }

}  // namespace

TEST_CASE("the empty buffer references nothing and does not allocate", "[bytes]") {
  bytes e, from_empty_text;
  check_allocations(0, [&] {
    e = bytes{};
    from_empty_text = text("");
  });
  CHECK(e.empty());
  CHECK(e.size() == 0);
  CHECK(e.use_count() == 0);
  CHECK(e.begin() == e.end());
  CHECK(e.view().empty());
  CHECK(e.as_string_view().empty());
  CHECK(from_empty_text.empty());
  CHECK(from_empty_text.use_count() == 0);
}

TEST_CASE("copy_of makes one allocation holding a copy of the input", "[bytes]") {
  std::string src = "hello";
  bytes b;
  check_allocations(1, [&] { b = text(src); });
  src[0] = 'J';  // the buffer owns its copy
  CHECK(b.as_string_view() == "hello");
  CHECK(b.size() == 5);
  CHECK(b[1] == std::byte{'e'});
  CHECK(b.use_count() == 1);
  CHECK_THROWS_AS(b[5], cohort_test::assertion_failed);
}

TEST_CASE("copying shares the block: no allocation, no payload copy", "[bytes]") {
  const bytes a = text("payload");
  {
    bytes b;
    std::vector<bytes> many;
    many.reserve(8);
    check_allocations(0, [&] {
      b = a;
      bytes c(a);
      for (int i = 0; i < 8; ++i) many.push_back(c);
    });
    CHECK(b.data() == a.data());
    CHECK(b.shares_with(a));
    CHECK(many.back().shares_with(a));
    CHECK(a.use_count() == 10);
  }
  CHECK(a.use_count() == 1);
}

TEST_CASE("moving transfers the share and leaves the source empty", "[bytes]") {
  bytes a = text("xyz");
  const auto* data = a.data();
  bytes b(std::move(a));
  CHECK(b.data() == data);
  CHECK(b.use_count() == 1);
  CHECK(a.empty());  // NOLINT: moved-from state is documented as empty
  CHECK(a.use_count() == 0);
  bytes c;
  c = std::move(b);
  CHECK(c.data() == data);
  CHECK(b.empty());  // NOLINT
  CHECK(c.as_string_view() == "xyz");
  bytes keep = c;  // moving onto a live buffer releases its share
  bytes d = text("old");
  d = std::move(c);
  CHECK(d.data() == data);
  CHECK(keep.use_count() == 2);
  bytes& self = d;
  d = std::move(self);  // self-move keeps the share
  CHECK(d.data() == data);
  CHECK(keep.use_count() == 2);
}

TEST_CASE("assignment releases the old block", "[bytes]") {
  bytes a = text("one");
  bytes keep = a;
  bytes b = text("two");
  CHECK(a.use_count() == 2);
  a = b;
  CHECK(keep.use_count() == 1);
  CHECK(b.use_count() == 2);
  const bytes& alias = a;
  a = alias;  // self-assignment keeps the share
  CHECK(a.as_string_view() == "two");
  CHECK(b.use_count() == 2);
}

TEST_CASE("slices view a sub-range of the same block", "[bytes]") {
  const bytes whole = text("0123456789");
  bytes mid;
  check_allocations(0, [&] { mid = whole.slice(2, 5); });
  CHECK(mid.as_string_view() == "23456");
  CHECK(mid.data() == whole.data() + 2);
  CHECK(whole.use_count() == 2);
  CHECK_FALSE(mid.shares_with(whole));  // same block, different range
  CHECK(mid.shares_with(whole.slice(2, 5)));

  CHECK(whole.slice(7).as_string_view() == "789");
  CHECK(whole.slice(10).empty());
  CHECK(whole.slice(3, 0).use_count() == 0);  // an empty slice references nothing
  CHECK(mid.slice(1, 2).as_string_view() == "34");

  CHECK_THROWS_AS(whole.slice(11), cohort_test::assertion_failed);
  CHECK_THROWS_AS(whole.slice(4, 7), cohort_test::assertion_failed);
  CHECK_THROWS_AS(whole.slice(0, static_cast<std::size_t>(-1)), cohort_test::assertion_failed);
  CHECK(whole.as_string_view() == "0123456789");  // unchanged by the refused slices
  CHECK(whole.use_count() == 2);
}

TEST_CASE("a slice keeps the block alive after the original is gone", "[bytes]") {
  bytes tail;
  {
    bytes whole = text("keep-me-alive");
    tail = whole.slice(8);
  }
  CHECK(tail.use_count() == 1);
  CHECK(tail.as_string_view() == "alive");
}

TEST_CASE("build writes a block once, then freezes it", "[bytes]") {
  bytes b;
  check_allocations(1, [&] {
    b = bytes::build(4, [](std::span<std::byte> out) {
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::byte>('a' + i);
    });
  });
  CHECK(b.as_string_view() == "abcd");
  int calls = 0;
  bytes none = bytes::build(0, [&](std::span<std::byte>) { ++calls; });
  CHECK(none.empty());
  CHECK(calls == 0);
}

TEST_CASE("build frees its block if the fill throws", "[bytes]") {
  // Under ASan a leak here fails the run.
  CHECK_THROWS_AS(bytes::build(16, [](std::span<std::byte>) { throw std::runtime_error("fill failed"); }),
                  std::runtime_error);
}

TEST_CASE("equality compares contents, not identity", "[bytes]") {
  const bytes a = text("same");
  const bytes b = text("same");
  CHECK(a == b);
  CHECK_FALSE(a.shares_with(b));
  CHECK_FALSE(a == text("diff"));
  CHECK_FALSE(a == text("sam"));
  CHECK(bytes{} == text(""));
  CHECK_FALSE(bytes{} == a);
  CHECK(a.slice(1, 2) == text("am"));
}

TEST_CASE("bytes converts to a view and iterates", "[bytes]") {
  const bytes b = text("ab");
  cohort::bytes_view v = b;
  CHECK(v.size() == 2);
  CHECK(v.data() == b.data());
  std::string seen;
  for (std::byte c : b) seen.push_back(static_cast<char>(c));
  CHECK(seen == "ab");
  const std::array<std::byte, 3> raw{std::byte{1}, std::byte{0}, std::byte{255}};
  const bytes from_view = bytes::copy_of(cohort::bytes_view(raw));
  CHECK(from_view.size() == 3);
  CHECK(from_view[2] == std::byte{255});
}

TEST_CASE("swap exchanges shares", "[bytes]") {
  bytes a = text("a");
  bytes b = text("bb");
  swap(a, b);
  CHECK(a.as_string_view() == "bb");
  CHECK(b.as_string_view() == "a");
}

TEST_CASE("share_each and reset_each keep every block's count exact across runs", "[bytes]") {
  // Three blocks; sources in runs of equal blocks, interrupted runs, empty
  // buffers and slices, in a seeded random order. After sharing, each
  // block's count is its sources plus its copies; after resetting the
  // copies, only its sources; dropping the sources frees every block (ASan
  // reports a leak or a double free otherwise).
  std::array<bytes, 3> slabs{text("slab-zero-0123456789"), text("slab-one-0123456789"), text("slab-two-0123456789")};
  std::uint64_t x = 12345;
  for (int round = 0; round < 50; ++round) {
    std::vector<bytes> src;
    std::array<std::size_t, 3> uses{};
    const std::size_t n = 1 + static_cast<std::size_t>(round * 7 % 40);
    std::size_t run_block = 0;
    for (std::size_t k = 0; k < n; ++k) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      const auto r = static_cast<std::size_t>(x >> 59);  // 0..31
      if (r < 4) run_block = r % 3;  // a new run now and then
      if (r == 31) {
        src.emplace_back();  // an empty buffer inside a run
        continue;
      }
      src.push_back(slabs[run_block].slice(r % 5, 3));
      ++uses[run_block];
    }
    std::vector<bytes> dst(n);  // empty destinations, as share_each requires
    bytes::share_each(
        n, [&src](std::size_t k) -> const bytes& { return src[k]; }, [&dst](std::size_t k) -> bytes& { return dst[k]; });
    for (std::size_t b = 0; b < 3; ++b) CHECK(slabs[b].use_count() == 1 + 2 * uses[b]);
    for (std::size_t k = 0; k < n; ++k) {
      CHECK(dst[k] == src[k]);
      CHECK((dst[k].empty() || dst[k].shares_with(src[k])));
    }
    bytes::reset_each(n, [&dst](std::size_t k) -> bytes& { return dst[k]; });
    for (const bytes& d : dst) CHECK(d.empty());
    for (std::size_t b = 0; b < 3; ++b) CHECK(slabs[b].use_count() == 1 + uses[b]);
  }
  // The last references go through reset_each: the blocks are freed there.
  std::vector<bytes> last{std::move(slabs[0]), slabs[1], std::move(slabs[2])};
  slabs[1].reset();
  bytes::reset_each(last.size(), [&last](std::size_t k) -> bytes& { return last[k]; });
  for (const bytes& b : last) CHECK(b.empty());
}
