// The counter over a 3-node Raft cluster in the simulator (swarm faults):
// clients add and read, retrying each command with its request id until
// answered; the history must be linearizable for the checker's counter
// model, and, since retries are deduplicated, the final value must be the
// sum of the adds that took effect.
#include <catch2/catch.hpp>

#include <cohort/check.hpp>
#include <cohort/core/random.hpp>
#include <cohort/lock.hpp>

#include "lock_sim.hpp"
#include "support/seeds.hpp"

using namespace std::chrono_literals;
using cohort::node_id;
using namespace cohort::lock;

namespace {

struct counter_answer {
  bool ok = false;
  counter_reply rep{};
};

struct counter_app {
  using request = counter_command;
  using answer = counter_answer;
  counter c;

  cohort::bytes encode(const counter_command& cmd, cohort::mono_time) const { return cohort::lock::encode(cmd); }
  cohort::bytes tick(cohort::mono_time) const { return {}; }
  template <class Notify>
  counter_answer apply(const cohort::log_entry& e, Notify&&) {
    auto r = c.apply(e);
    return r ? counter_answer{true, *r} : counter_answer{};
  }
};

using server_t = lock_sim::server<counter_app>;
using cluster_t = cohort::sim::cluster<server_t>;
using msg_t = server_t::message;
using history_t = cohort::check::history<cohort::check::counter_input, std::int64_t>;

class counter_client {
 public:
  counter_client(cluster_t& cl, history_t& h, node_id id, std::size_t ops)
      : cl_(&cl), hist_(&h), id_(id), ops_(ops), rng_(cl.rng().fork()) {
    auto ep = cl.add_client(id, [this](node_id, msg_t&& m) { on_message(m); });
    REQUIRE(ep.has_value());
    ep_.emplace(*ep);
    schedule_next();
  }
  [[nodiscard]] bool done() const noexcept { return finished_ >= ops_; }

 private:
  void schedule_next() {
    if (done()) return;
    cl_->scheduler().after(cohort::duration{static_cast<std::int64_t>(cohort::uniform_below(rng_, 20'000'000))},
                           [this] { start(); });
  }
  void start() {
    ++request_;
    const bool read = cohort::chance(rng_, 1, 3);
    cmd_ = read ? counter_command::get(id_.value(), request_)
                : counter_command::add(id_.value(), request_, 1 + static_cast<std::int64_t>(cohort::uniform_below(rng_, 9)));
    op_ = hist_->invoke(id_.value(), read ? cohort::check::counter_input::read() : cohort::check::counter_input::add(cmd_.a));
    attempts_ = 0;
    send();
  }
  void send() {
    if (++attempts_ > 40) {  // give up: the add may or may not have happened
      (void)hist_->indeterminate(op_);
      ++finished_;
      schedule_next();
      return;
    }
    msg_t m;
    m.k = msg_t::kind::request;
    m.op = request_;
    m.req = cmd_;
    const auto& servers = cl_->servers();
    const node_id to = guess_ != cohort::no_node ? guess_ : servers[cohort::uniform_below(rng_, servers.size())];
    ep_->send(to, std::move(m));
    timer_ = cl_->scheduler().after(300ms, [this] {
      guess_ = node_id{};
      send();
    });
  }
  void on_message(const msg_t& m) {
    if (m.op != request_ || finished_ >= ops_ || current_done_ == request_) return;
    if (m.k == msg_t::kind::refused) {
      guess_ = m.leader;
      return;
    }
    if (m.k != msg_t::kind::answer) return;
    if (!m.ans.ok) {
      cl_->fail("counter client " + std::to_string(id_.value()) + ": command refused");
      return;
    }
    cl_->scheduler().cancel(timer_);
    current_done_ = request_;
    (void)hist_->ok(op_, m.ans.rep.value);
    ++finished_;
    schedule_next();
  }

  cluster_t* cl_;
  history_t* hist_;
  node_id id_;
  std::size_t ops_;
  cohort::xoshiro256ss rng_;
  std::optional<cohort::sim::network<msg_t>::endpoint> ep_;
  counter_command cmd_{};
  std::uint64_t request_ = 0, current_done_ = 0;
  std::size_t op_ = 0, attempts_ = 0, finished_ = 0;
  node_id guess_{};
  cohort::sim::event_id timer_{};
};

cohort::sim::run_report run_seed(std::uint64_t seed, const std::string& test_name) {
  cohort::sim::options base;
  base.servers = 3;
  base.phases.safety = 3s;
  base.phases.liveness = 60s;
  base.replay = cohort_test::replay_command("cohort_lock_tests", test_name);
  auto o = cohort::sim::swarm(seed, base);
  o.storage.write_failure_ppm = 0;
  const std::vector<node_id> voters{node_id{1}, node_id{2}, node_id{3}};
  auto c = cluster_t::create(o, [&](server_t::context& ctx) {
    return std::make_unique<server_t>(ctx, voters, counter_app{}, nullptr, 0);
  });
  REQUIRE(c.has_value());
  cluster_t& cl = *c.value();
  history_t hist;
  std::vector<std::unique_ptr<counter_client>> clients;
  for (std::uint64_t i = 0; i < 4; ++i)
    clients.push_back(std::make_unique<counter_client>(cl, hist, node_id{600 + i}, 12));
  auto report = cl.run([&] {
    for (auto& cli : clients)
      if (!cli->done()) return false;
    return true;
  });
  if (!report.ok) return report;
  // The adds every replica applied: no retry was applied twice.
  std::int64_t sure = 0, maybe = 0;
  for (const auto& op : hist.operations())
    if (!op.input.is_read) (op.status == cohort::check::outcome::ok ? sure : maybe) += op.input.delta;
  cohort::log_index newest{};
  for (node_id id : cl.servers())
    if (auto* sv = cl.server(id)) newest = std::max(newest, sv->applied_index());
  for (node_id id : cl.servers())
    if (auto* sv = cl.server(id); sv != nullptr && sv->applied_index() == newest) {
      const std::int64_t v = sv->app().c.value();
      if (v < sure || v > sure + maybe) cl.fail("counter value " + std::to_string(v) + " outside the adds acknowledged [" +
                std::to_string(sure) + ", " + std::to_string(sure + maybe) + "]");
    }
  const auto lin = cohort::check::check_linearizable(cohort::check::counter_model{}, hist);
  if (!lin.linearizable())
    cl.fail(std::string("counter history ") + cohort::check::name_of(lin.v) + ":\n" + lin.cex.text);
  return cl.report();
}

}  // namespace

TEST_CASE("counter sim: linearizable, exactly-once adds over swarm seeds", "[lock][counter][sim]") {
  for (std::uint64_t seed : cohort_test::seeds(201, 16)) {
    const auto r = run_seed(seed, "counter sim: linearizable, exactly-once adds over swarm seeds");
    INFO(r.summary());
    REQUIRE(r.ok);
  }
}
