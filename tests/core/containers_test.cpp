// Tests for chunked_vector and ring_queue, each against std::deque as the
// plain reference over seeded random operation sequences.
#include <cohort/core/bytes.hpp>
#include <cohort/core/chunked_vector.hpp>
#include <cohort/core/random.hpp>
#include <cohort/core/ring_queue.hpp>

#include <catch2/catch.hpp>

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "support/seeds.hpp"

namespace {

template <class C>
void require_same(const C& c, const std::deque<std::string>& ref) {
  REQUIRE(c.size() == ref.size());
  REQUIRE(c.empty() == ref.empty());
  for (std::size_t i = 0; i < ref.size(); ++i) REQUIRE(c[i] == ref[i]);
}

}  // namespace

TEST_CASE("chunked_vector matches a deque under push, append, truncate, drop_front and clear", "[core][containers]") {
  for (std::uint64_t seed : cohort_test::seeds(1, 40)) {
    CAPTURE(seed);
    cohort::xoshiro256ss rng(seed);
    cohort::chunked_vector<std::string, 4> c;  // tiny chunks: every boundary case comes up often
    std::deque<std::string> ref;
    std::uint64_t next = 0;
    for (int step = 0; step < 400; ++step) {
      const auto op = cohort::uniform_below(rng, 10);
      if (op < 5) {
        const std::string v = std::to_string(next++);
        c.push_back(v);
        ref.push_back(v);
      } else if (op == 5) {  // a bulk append crossing chunk boundaries
        const std::size_t n = cohort::uniform_below(rng, 11);
        std::vector<std::string> vs;
        for (std::size_t k = 0; k < n; ++k) vs.push_back(std::to_string(next++));
        c.append(n, [&vs](std::size_t k) -> const std::string& { return vs[k]; });
        ref.insert(ref.end(), vs.begin(), vs.end());
      } else if (op < 8) {
        const std::size_t n = ref.empty() ? 0 : cohort::uniform_below(rng, ref.size() + 1);
        c.truncate(n);
        ref.resize(n);
      } else if (op == 9 && step % 50 == 0) {
        c.clear();
        ref.clear();
      } else {
        const std::size_t n = ref.empty() ? 0 : cohort::uniform_below(rng, ref.size() + 1);
        c.drop_front(n);
        ref.erase(ref.begin(), ref.begin() + static_cast<std::ptrdiff_t>(n));
      }
      require_same(c, ref);
      const auto copy = c;  // copies are deep and equal
      require_same(copy, ref);
    }
  }
}

TEST_CASE("chunked_vector releases dropped elements at once", "[core][containers]") {
  const cohort::bytes b = cohort::bytes::copy_of(std::string_view("abcd"));
  cohort::chunked_vector<cohort::bytes, 3> c;
  for (int i = 0; i < 7; ++i) c.push_back(b);
  REQUIRE(b.use_count() == 8);
  c.drop_front(2);
  REQUIRE(b.use_count() == 6);
  c.truncate(3);
  REQUIRE(b.use_count() == 4);
  c.clear();
  REQUIRE(b.use_count() == 1);
}

TEST_CASE("ring_queue matches a deque and keeps its buffer", "[core][containers]") {
  for (std::uint64_t seed : cohort_test::seeds(1, 40)) {
    CAPTURE(seed);
    cohort::xoshiro256ss rng(seed);
    cohort::ring_queue<std::string> q;
    std::deque<std::string> ref;
    std::uint64_t next = 0;
    for (int step = 0; step < 400; ++step) {
      const auto op = cohort::uniform_below(rng, 10);
      if (op < 5 || ref.empty()) {
        const std::string v = std::to_string(next++);
        REQUIRE(q.push_back(v) == v);
        ref.push_back(v);
        REQUIRE(q.back() == v);
      } else if (op < 9) {
        REQUIRE(q.front() == ref.front());
        q.pop_front();
        ref.pop_front();
      } else if (step % 97 == 0) {
        q.clear();
        ref.clear();
      }
      require_same(q, ref);
    }
  }
}
