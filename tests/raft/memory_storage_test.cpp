// memory_storage against a plain reference (a vector of whole entries after a
// base index) over seeded random sequences of appends that overwrite
// suffixes, compactions, snapshot installs and reads with byte limits.
#include <cohort/core/random.hpp>
#include <cohort/raft/memory_storage.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/seeds.hpp"

namespace {

using cohort::bytes;
using cohort::entry_kind;
using cohort::errc;
using cohort::log_entry;
using cohort::log_index;
using cohort::term;
using cohort::raft::memory_storage;

/// The obvious implementation.
struct reference {
  log_index base{};
  term base_term{};
  std::vector<log_entry> es;
  log_index first() const { return base + 1; }
  log_index last() const { return base + es.size(); }
};

void require_same(const memory_storage& s, const reference& r) {
  REQUIRE(s.first_index() == r.first());
  REQUIRE(s.last_index() == r.last());
  REQUIRE(s.term_at(r.base).value() == r.base_term);
  if (r.base.value() > 0) REQUIRE(s.term_at(r.base - 1).error().code == errc::compacted);
  REQUIRE(s.term_at(r.last() + 1).error().code == errc::unavailable);
  for (const log_entry& e : r.es) REQUIRE(s.term_at(e.index).value() == e.term);
  if (r.es.empty()) return;
  std::vector<log_entry> got;
  REQUIRE(s.entries(r.first(), r.last() + 1, SIZE_MAX, got).has_value());
  REQUIRE(got == r.es);
}

}  // namespace

TEST_CASE("memory_storage: matches a plain log under random appends, compactions and snapshots", "[raft][storage]") {
  for (std::uint64_t seed : cohort_test::seeds(1, 60)) {
    CAPTURE(seed);
    cohort::xoshiro256ss rng(seed);
    memory_storage s;
    reference r;
    std::uint64_t t = 1;
    for (int step = 0; step < 300; ++step) {
      const auto op = cohort::uniform_below(rng, 20);
      if (op < 14) {
        // Append 1..40 entries starting anywhere in [first, last + 1]; terms
        // grow now and then, between batches and inside one; in half the
        // batches a few entries are config entries (the other half are one
        // term and kind throughout, memory_storage's one-pass case).
        const std::uint64_t span = r.last().value() + 2 - r.first().value();
        const log_index at = r.first() + cohort::uniform_below(rng, span);
        if (cohort::uniform_below(rng, 3) == 0) ++t;
        const bool with_config = cohort::uniform_below(rng, 2) == 0;
        const bool term_inside = cohort::uniform_below(rng, 4) == 0;
        std::vector<log_entry> batch;
        const auto n = 1 + cohort::uniform_below(rng, 40);
        for (std::uint64_t k = 0; k < n; ++k) {
          if (term_inside && cohort::uniform_below(rng, 10) == 0) ++t;
          const auto kind =
              with_config && cohort::uniform_below(rng, 8) == 0 ? entry_kind::config : entry_kind::normal;
          batch.push_back(log_entry{at + k, term{t}, kind, bytes::copy_of(std::to_string(step * 100 + k))});
        }
        REQUIRE(s.append(batch).has_value());
        r.es.resize(static_cast<std::size_t>(at - r.first()));
        r.es.insert(r.es.end(), batch.begin(), batch.end());
      } else if (op < 17 && !r.es.empty()) {
        const log_index i = r.first() + cohort::uniform_below(rng, r.es.size());
        REQUIRE(s.compact(i).has_value());
        r.base_term = r.es[static_cast<std::size_t>(i - r.first())].term;
        r.es.erase(r.es.begin(), r.es.begin() + static_cast<std::ptrdiff_t>(i - r.first()) + 1);
        r.base = i;
      } else if (op < 19) {
        // A snapshot inside the log with a matching term keeps the suffix;
        // one with another term, or past the end, discards the log.
        cohort::snapshot sn;
        sn.meta.index = r.base + cohort::uniform_below(rng, r.es.size() + 3);
        const bool inside = sn.meta.index >= r.first() && sn.meta.index <= r.last();
        const bool match = inside && cohort::uniform_below(rng, 2) == 0;
        sn.meta.term = match ? r.es[static_cast<std::size_t>(sn.meta.index - r.first())].term : term{t + 1};
        REQUIRE(s.install_snapshot(sn).has_value());
        if (match) r.es.erase(r.es.begin(), r.es.begin() + static_cast<std::ptrdiff_t>(sn.meta.index - r.first()) + 1);
        else r.es.clear();
        r.base = sn.meta.index;
        r.base_term = sn.meta.term;
        if (!match) t = std::max(t, sn.meta.term.value());
      } else if (!r.es.empty()) {
        // A bounded read returns a prefix of at least one entry.
        const log_index lo = r.first() + cohort::uniform_below(rng, r.es.size());
        const std::size_t max_bytes = cohort::uniform_below(rng, 200);
        std::vector<log_entry> got;
        REQUIRE(s.entries(lo, r.last() + 1, max_bytes, got).has_value());
        REQUIRE(!got.empty());
        std::size_t total = 0;
        for (std::size_t k = 0; k < got.size(); ++k) {
          REQUIRE(got[k] == r.es[static_cast<std::size_t>(lo - r.first()) + k]);
          total += got[k].accounted_bytes();
        }
        CHECK((got.size() == 1 || total <= max_bytes));
      }
      require_same(s, r);
    }
  }
}

TEST_CASE("memory_storage: bad reads and writes are refused and change nothing", "[raft][storage]") {
  memory_storage s;
  std::vector<log_entry> es{{log_index{1}, term{1}, entry_kind::normal, bytes::copy_of(std::string("a"))},
                            {log_index{2}, term{1}, entry_kind::normal, bytes::copy_of(std::string("b"))}};
  REQUIRE(s.append(es).has_value());
  REQUIRE(s.compact(log_index{1}).has_value());
  std::vector<log_entry> out;
  CHECK(s.entries(log_index{1}, log_index{3}, SIZE_MAX, out).error().code == errc::compacted);
  CHECK(s.entries(log_index{2}, log_index{4}, SIZE_MAX, out).error().code == errc::unavailable);
  CHECK(s.entries(log_index{2}, log_index{2}, SIZE_MAX, out).error().code == errc::invalid_argument);
  CHECK(s.compact(log_index{1}).error().code == errc::compacted);
  CHECK(s.compact(log_index{3}).error().code == errc::unavailable);
  const std::vector<log_entry> gap{{log_index{4}, term{1}, entry_kind::normal, bytes::copy_of(std::string("x"))}};
  CHECK(s.append(gap).error().code == errc::invalid_argument);
  CHECK(out.empty());
  CHECK(s.first_index() == log_index{2});
  CHECK(s.last_index() == log_index{2});
  cohort::snapshot old;
  old.meta.index = log_index{0};
  REQUIRE(s.install_snapshot([] {
    cohort::snapshot sn;
    sn.meta.index = log_index{2};
    sn.meta.term = term{1};
    return sn;
  }()).has_value());
  CHECK(s.install_snapshot(old).error().code == errc::invalid_argument);
  CHECK(s.first_index() == log_index{3});
}
