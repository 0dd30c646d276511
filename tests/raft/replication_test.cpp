#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace raft_test;

TEST_CASE("raft: proposals replicate, commit and apply everywhere in order", "[raft][replication]") {
  harness h(3);
  h.elect(1);
  for (int i = 0; i < 50; ++i) REQUIRE(h[1].propose(data("v" + std::to_string(i))).has_value());
  h.stabilize();
  for (std::uint64_t i = 1; i <= 3; ++i) {
    REQUIRE(h.applied[i].size() == 51);
    for (int k = 0; k < 50; ++k) CHECK(h.applied[i][static_cast<std::size_t>(k + 1)].data.as_string_view() == "v" + std::to_string(k));
  }
}

TEST_CASE("raft: a proposal to a follower is refused with the leader's id", "[raft][replication]") {
  harness h(3);
  h.elect(1);
  auto r = h[2].propose(data("x"));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == cohort::errc::not_leader);
  CHECK(r.error().node == n(1));
}

TEST_CASE("raft: forwarded proposals reach the leader", "[raft][replication]") {
  config c;
  c.forward_proposals = true;
  harness h(3, c);
  h.elect(1);
  auto r = h[2].propose(data("fwd"));
  REQUIRE(r.has_value());
  h.stabilize();
  REQUIRE(h.applied[3].size() == 2);
  CHECK(h.applied[3][1].data.as_string_view() == "fwd");
}

TEST_CASE("raft: batched proposals and the uncommitted byte limit", "[raft][replication]") {
  config c;
  c.uncommitted_bytes_max = 100;
  harness h(3, c);
  h.elect(1);
  std::vector<cohort::bytes> batch(5, data(std::string(15, 'a')));
  auto r = h[1].propose(batch);
  REQUIRE(r.has_value());
  CHECK(*r == log_index{6});
  auto over = h[1].propose(batch);  // 75 + 75 > 100
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error().code == cohort::errc::busy);
  CHECK(h[1].last_index() == log_index{6});  // nothing appended
  h.stabilize();
  CHECK(h[1].propose(batch).has_value());  // committed and applied: room again
}

TEST_CASE("raft: propose_moved takes the buffers when accepted and leaves them when refused", "[raft][replication]") {
  config c;
  c.uncommitted_bytes_max = 100;
  harness h(3, c);
  h.elect(1);
  const cohort::bytes keep = data(std::string(40, 'k'));
  std::vector<cohort::bytes> batch{keep, keep};
  REQUIRE(keep.use_count() == 3);
  auto refused = h[2].propose_moved(batch);  // a follower: not_leader, nothing moved
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == cohort::errc::not_leader);
  CHECK(batch[0].shares_with(keep));
  CHECK(batch[1].shares_with(keep));
  auto r = h[1].propose_moved(batch);
  REQUIRE(r.has_value());
  CHECK(batch[0].empty());  // moved into the leader's log: no new share
  CHECK(batch[1].empty());
  CHECK(keep.use_count() == 3);
  std::vector<cohort::bytes> more{keep, keep};
  auto busy = h[1].propose_moved(more);  // 80 + 80 > 100 uncommitted bytes
  REQUIRE_FALSE(busy.has_value());
  CHECK(busy.error().code == cohort::errc::busy);
  CHECK(more[0].shares_with(keep));
  CHECK(h[1].last_index() == *r);
  h.stabilize();
  for (std::uint64_t i = 1; i <= 3; ++i) {
    REQUIRE(h.applied[i].size() == 3);
    CHECK(h.applied[i][2].data == keep);
  }
}

TEST_CASE("raft: only entries of the current term commit by counting (§5.4.2)", "[raft][replication]") {
  harness h(3);
  h.elect(1);
  h.isolate(1);
  REQUIRE(h[1].propose(data("old")).has_value());  // entry 2, term 1, only on node 1
  h.stabilize();
  // 2 becomes leader at term 2 without entry 2 ...
  h.heal();
  h.cut.insert({1, 2});
  h.cut.insert({2, 1});
  h.cut.insert({1, 3});
  h.cut.insert({3, 1});
  for (int i = 0; i < 30; ++i) h.tick(2), h.tick(3), h.tick(1);
  h.stabilize();
  REQUIRE(h[2].campaign().has_value());
  h.stabilize();
  REQUIRE(h[2].role() == role::leader);
  // ... and overwrites it on node 1 when they meet again.
  h.heal();
  h[2].tick();
  h.stabilize();
  CHECK(h[1].role() == role::follower);
  CHECK(h[1].committed() == h[2].committed());
  for (auto& e : h.applied[1]) CHECK(e.data.as_string_view() != "old");
}

TEST_CASE("raft: a follower's divergent log is repaired with term-skipping hints", "[raft][replication]") {
  harness h(3);
  h.elect(1);
  // Node 3 is cut off while node 1 appends many entries in term 1 that never commit.
  h.isolate(1);
  std::vector<cohort::bytes> many(40, data("stale"));
  REQUIRE(h[1].propose(many).has_value());
  h.stabilize();
  h.heal();
  h.isolate(1);
  for (int i = 0; i < 30; ++i) h.tick(2), h.tick(3);
  h.stabilize();
  REQUIRE(h[2].campaign().has_value());
  h.stabilize();
  REQUIRE(h[2].role() == role::leader);
  for (int i = 0; i < 5; ++i) REQUIRE(h[2].propose(data("new" + std::to_string(i))).has_value());
  h.stabilize();
  h.heal();
  const auto rejections_before = h.count_delivered(message_type::append_response);
  h[2].tick();
  h.stabilize();
  CHECK(h[1].last_index() == h[2].last_index());
  CHECK(h[1].committed() == h[2].committed());
  // The 40 conflicting entries are skipped as one term, not one entry per round trip.
  CHECK(h.count_delivered(message_type::append_response) - rejections_before < 10);
  for (auto& e : h.applied[1]) CHECK(e.data.as_string_view() != "stale");
}

TEST_CASE("raft: entry buffers of stepped messages are reused for the next messages built", "[raft][replication]") {
  // With an in-process transport, a leader's append buffers come back in the
  // followers' responses, so steady-state replication allocates none.
  harness h(3);
  h.elect(1);
  h.stabilize();
  message resp;
  resp.type = message_type::append_response;
  resp.from = n(2);
  resp.to = n(1);
  resp.term = h[1].current_term();
  resp.index = h[1].last_index();
  resp.entries.reserve(8);
  const cohort::log_entry* buffer = resp.entries.data();
  REQUIRE(h[1].step(std::move(resp)).has_value());
  REQUIRE(h[1].propose(data("reuse")).has_value());
  ready& r = h[1].take_ready();
  int appends = 0;
  bool reused = false;
  for (const message& m : r.messages) {
    if (m.type != message_type::append || m.entries.empty()) continue;
    ++appends;
    CHECK(m.entries.back().data.as_string_view() == "reuse");
    reused |= m.entries.data() == buffer;  // the same storage, not a new allocation
  }
  CHECK(appends == 2);
  CHECK(reused);
}

TEST_CASE("raft: pipelined proposals reach every storage intact", "[raft][replication]") {
  // Proposals keep arriving while earlier ones commit and apply, so the
  // log's in-memory window never empties and is compacted under load; what
  // each node persisted must still be exactly what was proposed.
  harness h(3);
  h.elect(1);
  const std::size_t base = h.applied[1].size();
  constexpr int rounds = 120, per_round = 40;
  for (int r = 0; r < rounds; ++r) {
    for (int k = 0; k < per_round; ++k) REQUIRE(h[1].propose(data("p" + std::to_string(r * per_round + k))).has_value());
    for (std::uint64_t i = 1; i <= 3; ++i) h.process(i);
    h.deliver();
  }
  h.stabilize();
  for (std::uint64_t i = 1; i <= 3; ++i) {
    CAPTURE(i);
    REQUIRE(h.applied[i].size() == base + rounds * per_round);
    const memory_storage& st = *h.stores[i];
    std::vector<cohort::log_entry> stored;
    REQUIRE(st.entries(st.first_index(), st.last_index() + 1, SIZE_MAX, stored).has_value());
    REQUIRE(stored.size() == h.applied[i].size());
    for (std::size_t k = 0; k < stored.size(); ++k) {
      REQUIRE(stored[k] == h.applied[i][k]);
      if (k >= base) REQUIRE(stored[k].data.as_string_view() == "p" + std::to_string(k - base));
    }
  }
}

namespace {
/// The append messages node 1 queued in its last ready batch, by receiver.
std::map<std::uint64_t, std::vector<message>> appends_from_leader(const harness& h) {
  std::map<std::uint64_t, std::vector<message>> out;
  for (const message& m : h.queue)
    if (m.from == n(1) && m.type == message_type::append) out[m.to.value()].push_back(m);
  return out;
}
/// Node 1 proposes `s`; its batch goes out, the followers persist and answer,
/// and the answers reach node 1, which commits the entry. Its index.
log_index propose_and_commit(harness& h, const std::string& s) {
  const auto i = h[1].propose(data(s));
  REQUIRE(i.has_value());
  REQUIRE(h.process(1));
  h.deliver();
  REQUIRE(h.process(2));
  REQUIRE(h.process(3));
  h.deliver();
  REQUIRE(h[1].committed() == *i);
  return *i;
}
}  // namespace

TEST_CASE("raft: a commit advance rides on the next batch's appends, one per follower", "[raft][replication]") {
  harness h(3);
  h.elect(1);
  const log_index a = propose_and_commit(h, "a");
  // New entries wait for the next batch too: each follower gets one append
  // with them and the new commit index, not an empty one besides.
  const log_index b = *h[1].propose(data("b"));
  REQUIRE(h.queue.empty());
  REQUIRE(h.process(1));
  const auto sent = appends_from_leader(h);
  REQUIRE(sent.size() == 2);
  for (const auto& [to, ms] : sent) {
    INFO("to " << to);
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].commit == a);
    REQUIRE(ms[0].entries.size() == 1);
    CHECK(ms[0].entries[0].index == b);
  }
  h.stabilize();
  for (std::uint64_t i = 1; i <= 3; ++i) {
    REQUIRE(h.applied[i].size() >= 2);
    CHECK(h.applied[i].back().data.as_string_view() == "b");
  }
}

TEST_CASE("raft: with nothing new to send, a commit advance reaches each follower in one empty append", "[raft][replication]") {
  harness h(3);
  h.elect(1);
  const log_index a = propose_and_commit(h, "a");
  REQUIRE(h[1].has_ready());  // the advance alone makes a batch
  REQUIRE(h.process(1));
  const auto sent = appends_from_leader(h);
  REQUIRE(sent.size() == 2);
  for (const auto& [to, ms] : sent) {
    INFO("to " << to);
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].entries.empty());
    CHECK(ms[0].commit == a);
  }
  h.deliver();
  for (std::uint64_t i = 2; i <= 3; ++i) CHECK(h[i].committed() == a);
}

TEST_CASE("raft: a ready batch applies at most apply_bytes_max of entries, and at least one", "[raft][replication]") {
  harness h(1);
  h.elect(1);
  h.stabilize();
  // One buffer shared by every entry: 3 x 30 MiB accounted, memory 30 MiB.
  const cohort::bytes big = data(std::string(std::size_t{30} << 20, 'x'));
  const cohort::bytes small = data("s");
  std::vector<cohort::bytes> batch{big, big, small, big};
  REQUIRE(h[1].propose(batch).has_value());
  std::vector<std::size_t> per_batch;
  for (int round = 0; round < 10 && h[1].has_ready(); ++round) {
    auto& r = h[1].take_ready();
    REQUIRE(h.stores[1]->append(r.entries).has_value());
    if (!r.committed.empty()) {
      std::size_t bytes = 0;
      for (const auto& e : r.committed) bytes += e.accounted_bytes();
      CHECK((r.committed.size() == 1 || bytes <= node_t::apply_bytes_max));
      per_batch.push_back(r.committed.size());
    }
    h[1].acknowledge(r.number);
  }
  // Two big ones and the small one fit in 64 MiB, the last big one does not.
  REQUIRE(per_batch.size() == 2);
  CHECK(per_batch[0] == 3);
  CHECK(per_batch[1] == 1);
  CHECK(h[1].applied() == h[1].last_index());
}

TEST_CASE("raft: append messages stay within msg_bytes_max and the window counts their bytes", "[raft][replication]") {
  config c;
  c.msg_bytes_max = 100;
  harness h(3, c);
  h.elect(1);
  // 10-byte payloads account for 34 bytes each: two fit in 100, three do not.
  std::vector<cohort::bytes> batch(5, data("0123456789"));
  REQUIRE(h[1].propose(batch).has_value());
  REQUIRE(h.process(1));
  const auto sent = appends_from_leader(h);
  REQUIRE(sent.size() == 2);
  for (const auto& [to, ms] : sent) {
    INFO("to " << to);
    std::vector<std::size_t> sizes;
    std::size_t bytes = 0;
    for (const message& m : ms) {
      std::size_t in_message = 0;
      for (const auto& e : m.entries) in_message += e.accounted_bytes();
      CHECK(in_message <= c.msg_bytes_max);
      sizes.push_back(m.entries.size());
      bytes += in_message;
    }
    CHECK(sizes == std::vector<std::size_t>{2, 2, 1});
    const auto* pr = h[1].progress_of(n(to));
    REQUIRE(pr != nullptr);
    CHECK(pr->window.bytes() == bytes);
    CHECK(bytes == 5 * 34);
  }
  // A single entry larger than the limit still goes out, alone.
  REQUIRE(h[1].propose(data(std::string(200, 'L'))).has_value());
  h.queue.clear();  // drop the first appends: the followers will ask again
  REQUIRE(h.process(1));
  for (const auto& [to, ms] : appends_from_leader(h)) {
    INFO("to " << to);
    REQUIRE(ms.size() == 1);
    REQUIRE(ms[0].entries.size() == 1);
    CHECK(ms[0].entries[0].data.size() == 200);
  }
}
