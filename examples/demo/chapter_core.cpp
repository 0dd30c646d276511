// Chapter 1: the vocabulary every cohort component shares.
#include <cohort/core.hpp>
#include <cohort/fmt.hpp>

#include <vector>

#include "demo.hpp"

namespace {

bool run() {
  using namespace cohort;
  demo::say("Identifiers are distinct types: a term is not an index, an index is not a node.");
  const term t{3};
  const log_index i{7};
  const node_id n{2};
  demo::say("term {} / index {} on node {}; index + 1 = {}; the distance from index 2 is {}", t, i, n, i + 1,
            i - log_index{2});

  demo::say("");
  demo::say("Payloads are immutable, shared byte buffers: copies share one block.");
  const bytes payload = bytes::copy_of(std::string_view("the same 32 bytes, never copied."));
  std::vector<bytes> in_flight(5, payload);  // five append messages carrying it
  demo::say("payload {} is held {} times, one allocation", payload, payload.use_count());
  const bytes tail = payload.slice(9);
  demo::say("a slice {} shares the block too (now {} holders)", tail, payload.use_count());

  demo::say("");
  demo::say("Errors are values, never exceptions; they name the node they concern:");
  result<log_index> r = make_error(errc::not_leader, "node 3 is a follower in term 3", node_id{1});
  demo::say("propose on a follower -> {}", r);
  const std::error_code ec = r.error().code;
  demo::say("as a std::error_code: category '{}', message '{}'", ec.category().name(), ec.message());

  demo::say("");
  demo::say("Randomness comes from a seeded policy, so every run replays bit for bit:");
  xoshiro256ss a(42), b(42);
  std::vector<std::uint64_t> da, db;
  for (int k = 0; k < 5; ++k) {
    da.push_back(uniform_below(a, 100));
    db.push_back(uniform_below(b, 100));
  }
  demo::say("seed 42 draws {} twice: {}", fmt::join(da, " "), da == db ? "identical" : "DIFFERENT");
  return da == db && payload.use_count() == 7 && r.error().node == node_id{1};
}

const demo::register_chapter reg(1, "The vocabulary: ids, payloads, errors, seeded randomness", run);

}  // namespace
