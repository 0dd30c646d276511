#include <catch2/catch.hpp>

#include <cohort/sim/network.hpp>

#include <map>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using cohort::node_id;
using cohort::sim::link_options;
using cohort::sim::scheduler;

namespace {

struct msg {
  int n = 0;
};
using net_t = cohort::sim::network<msg>;
static_assert(cohort::transport<net_t::endpoint, msg>);

struct fixture {
  scheduler s;
  cohort::sim::trace tr{true};
  net_t net;
  std::map<std::uint64_t, std::vector<std::pair<std::uint64_t, int>>> got;  // to -> (from, n)

  explicit fixture(link_options o = {}, std::uint64_t seed = 1) : net(s, cohort::xoshiro256ss(seed), &tr, o) {
    for (std::uint64_t i = 1; i <= 3; ++i) {
      REQUIRE(net.add_node(node_id{i}).has_value());
      REQUIRE(net.attach(node_id{i}, [this, i](node_id from, msg&& m) { got[i].push_back({from.value(), m.n}); })
                  .has_value());
    }
  }
  void send(std::uint64_t from, std::uint64_t to, int n) { net.endpoint_of(node_id{from}).send(node_id{to}, msg{n}); }
};

void check_accounting(const net_t& net) {
  const auto t = net.totals();
  CHECK(t.sent + t.duplicated == t.delivered + t.lost + t.partitioned + t.down + net.in_flight());
}

}  // namespace

TEST_CASE("network delivers within the delay bounds", "[sim][network]") {
  link_options o;
  o.delay_min = 2ms;
  o.delay_max = 3ms;
  fixture f(o);
  f.send(1, 2, 7);
  f.s.run_for(2ms - std::chrono::nanoseconds(1));
  CHECK(f.got[2].empty());
  f.s.run_for(1ms + std::chrono::nanoseconds(1));
  REQUIRE(f.got[2].size() == 1);
  CHECK(f.got[2][0] == std::pair<std::uint64_t, int>{1, 7});
  CHECK(f.net.stats(node_id{1}, node_id{2}).delivered == 1);
  check_accounting(f.net);
}

TEST_CASE("network reorders unless the link is FIFO", "[sim][network]") {
  link_options o;
  o.delay_min = 0ms;
  o.delay_max = 10ms;
  auto sent_order_kept = [&](bool fifo) {
    o.fifo = fifo;
    fixture f(o, 5);
    for (int i = 0; i < 200; ++i) f.send(1, 2, i);
    f.s.run_for(1s);
    REQUIRE(f.got[2].size() == 200);
    for (int i = 0; i < 200; ++i)
      if (f.got[2][static_cast<std::size_t>(i)].second != i) return false;
    return true;
  };
  CHECK(sent_order_kept(true));
  CHECK_FALSE(sent_order_kept(false));
}

TEST_CASE("network loss and duplication follow their rates", "[sim][network]") {
  link_options o;
  o.loss_ppm = 200'000;
  o.duplicate_ppm = 100'000;
  fixture f(o, 9);
  for (int i = 0; i < 10000; ++i) f.send(1, 3, i);
  f.s.run_for(1s);
  const auto st = f.net.stats(node_id{1}, node_id{3});
  CHECK(st.sent == 10000);
  CHECK(st.lost > 1800);
  CHECK(st.lost < 2200);
  CHECK(st.duplicated > 650);  // 10% of the 80% not lost
  CHECK(st.duplicated < 950);
  CHECK(st.delivered == f.got[3].size());
  check_accounting(f.net);
}

TEST_CASE("partitions: halves, isolation, one-way, heal; in-flight messages are cut too", "[sim][network]") {
  fixture f;
  REQUIRE(f.net.partition({node_id{1}}).has_value());
  f.send(1, 2, 1);
  f.send(2, 1, 2);
  f.send(2, 3, 3);
  f.s.run_for(1s);
  CHECK(f.got[1].empty());
  CHECK(f.got[2].empty());
  CHECK(f.got[3].size() == 1);
  CHECK(f.net.totals().partitioned == 2);

  f.net.heal();
  REQUIRE(f.net.block(node_id{1}, node_id{2}).has_value());  // one way only
  f.send(1, 2, 4);
  f.send(2, 1, 5);
  f.s.run_for(1s);
  CHECK(f.got[2].empty());
  CHECK(f.got[1].size() == 1);

  f.net.heal();
  f.send(1, 2, 6);           // in flight...
  REQUIRE(f.net.isolate(node_id{2}).has_value());  // ...when the partition starts
  f.s.run_for(1s);
  CHECK(f.got[2].empty());
  check_accounting(f.net);
}

TEST_CASE("random halves are two non-empty sides", "[sim][network]") {
  fixture f;
  for (int i = 0; i < 50; ++i) {
    f.net.heal();
    REQUIRE(f.net.partition_random_halves({node_id{1}, node_id{2}, node_id{3}}).has_value());
    int blocked = 0;
    for (std::uint64_t a = 1; a <= 3; ++a)
      for (std::uint64_t b = 1; b <= 3; ++b) blocked += f.net.blocked(node_id{a}, node_id{b});
    CHECK(blocked == 4);  // one node against two: 2 pairs, both ways
  }
  CHECK_FALSE(f.net.partition_random_halves({node_id{1}}).has_value());
}

TEST_CASE("a clogged link delivers late, not never", "[sim][network]") {
  link_options o;
  o.delay_max = 1ms;
  fixture f(o);
  REQUIRE(f.net.clog(node_id{1}, node_id{2}, f.s.now() + 500ms).has_value());
  f.send(1, 2, 1);
  f.send(1, 3, 2);
  f.s.run_for(400ms);
  CHECK(f.got[2].empty());
  CHECK(f.got[3].size() == 1);
  f.s.run_for(200ms);
  CHECK(f.got[2].size() == 1);
}

TEST_CASE("detached nodes receive nothing; bad ids are errors", "[sim][network]") {
  fixture f;
  REQUIRE(f.net.detach(node_id{3}).has_value());
  f.send(1, 3, 1);
  f.send(1, 9, 2);  // unknown destination
  f.send(1, 1, 3);  // to itself
  f.s.run_for(1s);
  CHECK(f.got[3].empty());
  CHECK(f.net.totals().down == 3);
  CHECK(f.net.add_node(node_id{1}).error().code == cohort::errc::duplicate_member);
  CHECK(f.net.add_node(cohort::no_node).error().code == cohort::errc::invalid_argument);
  CHECK(f.net.attach(node_id{9}, nullptr).error().code == cohort::errc::unknown_member);
  link_options bad;
  bad.delay_min = 5ms;
  bad.delay_max = 1ms;
  CHECK(f.net.set_all_links(bad).error().code == cohort::errc::invalid_config);
  bad = {};
  bad.loss_ppm = 2'000'000;
  CHECK(f.net.set_link(node_id{1}, node_id{2}, bad).error().code == cohort::errc::invalid_config);
  check_accounting(f.net);
}

TEST_CASE("a handler may detach its own node while it runs", "[sim][network]") {
  fixture f;
  int calls = 0;
  REQUIRE(f.net.attach(node_id{2}, [&](node_id, msg&&) {
                 ++calls;
                 REQUIRE(f.net.detach(node_id{2}).has_value());
               })
              .has_value());
  f.send(1, 2, 1);
  f.send(1, 2, 2);
  f.s.run_for(1s);
  CHECK(calls == 1);
}

TEST_CASE("same seed, same deliveries; another seed, other deliveries", "[sim][network]") {
  auto run = [](std::uint64_t seed) {
    link_options o;
    o.loss_ppm = 100'000;
    o.duplicate_ppm = 50'000;
    fixture f(o, seed);
    for (int i = 0; i < 300; ++i) f.send(1 + static_cast<std::uint64_t>(i % 3), 1 + static_cast<std::uint64_t>((i + 1) % 3), i);
    f.s.run_for(1s);
    return f.tr.digest();
  };
  CHECK(run(1) == run(1));
  CHECK(run(1) != run(2));
}
