// Raft scenarios as small scripts (tests/testdata/raft/*.txt), in the style
// of etcd-raft's interaction tests: each block is a command, "----", and the
// expected output rendered by the fmt formatters, then a blank line. Run with
// COHORT_REWRITE=1 to rewrite the expected outputs after a deliberate change
// (then read the diff!).
#include <catch2/catch.hpp>

#include <cohort/fmt.hpp>
#include <cohort/raft.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace cohort::raft;
using cohort::log_index;
using cohort::node_id;
using cohort::term;
using node_t = raw_node<memory_storage>;

std::vector<std::string> split(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::map<std::string, std::string> keyvals(const std::vector<std::string>& args, std::size_t from) {
  std::map<std::string, std::string> kv;
  for (std::size_t i = from; i < args.size(); ++i) {
    const auto eq = args[i].find('=');
    if (eq == std::string::npos) throw std::runtime_error("expected key=value, got " + args[i]);
    kv[args[i].substr(0, eq)] = args[i].substr(eq + 1);
  }
  return kv;
}

std::uint64_t num(const std::string& s) { return std::stoull(s); }

class interaction {
 public:
  std::string run(const std::string& line) {
    out_.clear();
    const auto args = split(line);
    const std::string& cmd = args.at(0);
    if (cmd == "add-nodes") add_nodes(args);
    else if (cmd == "campaign") report(node(args.at(1)).campaign());
    else if (cmd == "tick") tick(args);
    else if (cmd == "propose") propose(args);
    else if (cmd == "process-ready") process(num(args.at(1)));
    else if (cmd == "deliver-msgs") deliver(args.size() > 1 ? num(args[1]) : 0);
    else if (cmd == "stabilize") stabilize();
    else if (cmd == "status") status(args);
    else if (cmd == "progress") progress_of(num(args.at(1)));
    else if (cmd == "log") show_log(num(args.at(1)));
    else if (cmd == "isolate") isolate(num(args.at(1)));
    else if (cmd == "cut") cut_.insert({num(args.at(1)), num(args.at(2))});
    else if (cmd == "heal") cut_.clear();
    else if (cmd == "step") step(args);
    else if (cmd == "stats") stats(num(args.at(1)));
    else if (cmd == "log-terms") log_terms(args);
    else if (cmd == "restart") restart(num(args.at(1)));
    else throw std::runtime_error("unknown command " + cmd);
    return out_;
  }

 private:
  template <class... A>
  void say(fmt::format_string<A...> f, A&&... a) {
    out_ += fmt::format(f, std::forward<A>(a)...);
    out_ += '\n';
  }
  node_t& node(const std::string& id) { return *nodes_.at(num(id)); }
  template <class R>
  void report(const R& r) {
    if (!r) say("error: {}", r.error());
  }

  void add_nodes(const std::vector<std::string>& args) {
    const std::uint64_t count = num(args.at(1));
    const auto kv = keyvals(args, 2);
    config c;
    auto flag = [&](const char* k, bool& f) {
      if (auto it = kv.find(k); it != kv.end()) f = it->second == "true";
    };
    flag("pre-vote", c.pre_vote);
    flag("check-quorum", c.check_quorum);
    flag("forward", c.forward_proposals);
    if (auto it = kv.find("uncommitted-max"); it != kv.end()) c.uncommitted_bytes_max = num(it->second);
    if (auto it = kv.find("msg-bytes-max"); it != kv.end()) c.msg_bytes_max = num(it->second);
    if (auto it = kv.find("inflight"); it != kv.end()) c.inflight_msgs_max = num(it->second);
    const std::uint64_t first = nodes_.size() + 1;
    for (std::uint64_t i = 1; i < first + count; ++i) c.voters.push_back(node_id{i});
    config_ = c;
    for (std::uint64_t i = first; i < first + count; ++i) {
      c.id = node_id{i};
      stores_[i] = std::make_unique<memory_storage>();
      // A fixed stream per node; election timeouts are drawn but scripts
      // drive elections with "campaign" and enough ticks.
      auto r = node_t::create(c, *stores_[i], cohort::xoshiro256ss(i));
      if (!r) {
        say("error: {}", r.error());
        return;
      }
      nodes_[i] = std::make_unique<node_t>(std::move(r).value());
    }
  }

  // log-terms ID [term=T] t1 t2 ...: gives node ID a log whose entry k has
  // term t_k and a current term T (default: the last entry's), then restarts it.
  void log_terms(const std::vector<std::string>& args) {
    const std::uint64_t id = num(args.at(1));
    auto st = std::make_unique<memory_storage>();
    std::vector<cohort::log_entry> es;
    term current{};
    for (std::size_t i = 2; i < args.size(); ++i) {
      if (args[i].rfind("term=", 0) == 0) {
        current = term{num(args[i].substr(5))};
        continue;
      }
      const term t{num(args[i])};
      es.push_back(cohort::log_entry{log_index{es.size() + 1}, t, cohort::entry_kind::normal, {}});
    }
    if (current == term{} && !es.empty()) current = es.back().term;
    (void)st->append(es);
    (void)st->save_hard_state(cohort::hard_state{current, node_id{}, log_index{}});
    stores_[id] = std::move(st);
    restart(id);
  }
  // Rebuilds node ID from its storage (a process restart; memory_storage
  // keeps everything that was handed to it).
  void restart(std::uint64_t id) {
    config c = config_;
    c.id = node_id{id};
    auto r = node_t::create(c, *stores_.at(id), cohort::xoshiro256ss(id * 7919));
    if (!r) {
      say("error: {}", r.error());
      return;
    }
    nodes_[id] = std::make_unique<node_t>(std::move(r).value());
  }

  void tick(const std::vector<std::string>& args) {
    const int times = args.size() > 2 ? static_cast<int>(num(args[2])) : 1;
    for (int k = 0; k < times; ++k) node(args.at(1)).tick();
  }

  void propose(const std::vector<std::string>& args) {
    std::vector<cohort::bytes> batch;
    for (std::size_t i = 2; i < args.size(); ++i) batch.push_back(cohort::bytes::copy_of(args[i]));
    auto r = node(args.at(1)).propose(std::span<const cohort::bytes>(batch));
    if (!r) say("error: {}", r.error());
    else say("index {}", r->value());
  }

  bool process(std::uint64_t id) {
    node_t& n = *nodes_.at(id);
    if (!n.has_ready()) return false;
    ready& r = n.take_ready();
    say("> {} ready #{}", id, r.number);
    if (r.has_hard_state) say("  save {}", r.hs);
    for (const auto& e : r.entries) say("  persist {}", e);
    (void)stores_[id]->append(r.entries);
    if (r.has_hard_state) (void)stores_[id]->save_hard_state(r.hs);
    for (auto& m : r.messages) {
      say("  send {}", m);
      queue_.push_back(m);
    }
    for (auto& m : r.after_persist) {
      say("  send after persist {}", m);
      queue_.push_back(m);
    }
    for (const auto& e : r.committed) say("  apply {}", e);
    n.acknowledge(r.number);
    return true;
  }

  bool deliver(std::uint64_t to) {
    bool any = false;
    std::vector<message> keep, now;
    for (auto& m : queue_) ((to == 0 || m.to.value() == to) ? now : keep).push_back(std::move(m));
    queue_ = std::move(keep);
    for (auto& m : now) {
      any = true;
      if (cut_.count({m.from.value(), m.to.value()}) != 0) {
        say("  drop {}", m);
        continue;
      }
      say("> {} receive {}", m.to.value(), m);
      auto r = nodes_.at(m.to.value())->step(m);
      if (!r) say("  {}", r.error());
    }
    return any;
  }

  void stabilize() {
    for (int round = 0; round < 1000; ++round) {
      bool any = false;
      for (auto& [id, n] : nodes_) any |= process(id);
      any |= deliver(0);
      if (!any) return;
    }
    say("did not stabilize");
  }

  void status(const std::vector<std::string>& args) {
    std::vector<std::uint64_t> ids;
    if (args.size() > 1) ids.push_back(num(args[1]));
    else for (auto& [id, n] : nodes_) ids.push_back(id);
    for (auto id : ids) {
      const node_t& n = *nodes_.at(id);
      say("{}: {} term={} vote={} lead={} last={} commit={} applied={}", id, n.role(), n.current_term().value(),
          n.voted_for().value(), n.leader().value(), n.last_index().value(), n.committed().value(), n.applied().value());
    }
  }
  void progress_of(std::uint64_t id) {
    const node_t& n = *nodes_.at(id);
    for (auto& [peer, other] : nodes_)
      if (const auto* p = n.progress_of(node_id{peer})) say("{}", *p);
  }
  void show_log(std::uint64_t id) {
    const node_t& n = *nodes_.at(id);
    std::vector<cohort::log_entry> es;
    if (n.last_index() >= n.log().first_index()) (void)n.log().entries_from(n.log().first_index(), 1 << 30, es);
    for (const auto& e : es) say("{}", e);
  }
  void isolate(std::uint64_t id) {
    for (auto& [other, n] : nodes_)
      if (other != id) cut_.insert({id, other}), cut_.insert({other, id});
  }
  void stats(std::uint64_t id) {
    const auto& s = nodes_.at(id)->stats();
    for (std::size_t i = 0; i < reject_reason_count; ++i)
      if (s.rejected[i] != 0) say("rejected {}: {}", static_cast<reject_reason>(i), s.rejected[i]);
    if (s.proposals_refused != 0) say("proposals refused: {}", s.proposals_refused);
  }

  // step ID type=append from=1 term=2 index=5 log-term=1 commit=3 entries=6/2/x,7/2/y reject=true hint=1/4
  void step(const std::vector<std::string>& args) {
    const auto kv = keyvals(args, 2);
    message m;
    m.to = node_id{num(args.at(1))};
    static const std::map<std::string, message_type> types{
        {"append", message_type::append},       {"append_response", message_type::append_response},
        {"heartbeat", message_type::heartbeat}, {"heartbeat_response", message_type::heartbeat_response},
        {"vote", message_type::vote},           {"vote_response", message_type::vote_response},
        {"pre_vote", message_type::pre_vote},   {"pre_vote_response", message_type::pre_vote_response},
        {"propose", message_type::propose},     {"snapshot", message_type::snapshot}};
    for (const auto& [k, v] : kv) {
      if (k == "type") m.type = types.at(v);
      else if (k == "from") m.from = node_id{num(v)};
      else if (k == "to") m.to = node_id{num(v)};
      else if (k == "term") m.term = term{num(v)};
      else if (k == "index") m.index = log_index{num(v)};
      else if (k == "log-term") m.log_term = term{num(v)};
      else if (k == "commit") m.commit = log_index{num(v)};
      else if (k == "reject") m.reject = v == "true";
      else if (k == "hint") {
        m.hint_term = term{num(v.substr(0, v.find('/')))};
        m.hint_index = log_index{num(v.substr(v.find('/') + 1))};
      } else if (k == "entries") {
        std::istringstream in(v);
        for (std::string e; std::getline(in, e, ',');) {
          const auto a = e.find('/'), b = e.find('/', a + 1);
          m.entries.push_back(cohort::log_entry{log_index{num(e.substr(0, a))}, term{num(e.substr(a + 1, b - a - 1))},
                                                cohort::entry_kind::normal, cohort::bytes::copy_of(e.substr(b + 1))});
        }
      } else {
        throw std::runtime_error("unknown message field " + k);
      }
    }
    auto r = nodes_.at(num(args.at(1)))->step(m);
    say("{}", r);
  }

  std::map<std::uint64_t, std::unique_ptr<memory_storage>> stores_;
  std::map<std::uint64_t, std::unique_ptr<node_t>> nodes_;
  std::vector<message> queue_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> cut_;
  std::string out_;
  config config_;
};

struct block {
  std::string command;  ///< the command, or a comment line kept verbatim
  std::string expected;
  std::size_t line = 0;
  bool comment = false;
};

std::vector<block> parse(const std::string& path) {
  std::ifstream in(path);
  std::vector<block> blocks;
  std::string line;
  std::size_t no = 0;
  while (std::getline(in, line)) {
    ++no;
    if (line.empty()) continue;
    if (line[0] == '#') {
      blocks.push_back(block{line, "", no, true});
      continue;
    }
    block b{line, "", no, false};
    if (!std::getline(in, line) || line != "----")
      throw std::runtime_error(path + ":" + std::to_string(no) + ": expected ---- after the command");
    ++no;
    while (std::getline(in, line) && !line.empty()) {
      ++no;
      b.expected += line + "\n";
    }
    ++no;
    blocks.push_back(b);
  }
  return blocks;
}

}  // namespace

TEST_CASE("raft scenario scripts", "[raft][script]") {
  const std::string dir = std::string(COHORT_TESTDATA_DIR) + "/raft";
  const bool rewrite = std::getenv("COHORT_REWRITE") != nullptr;
  std::vector<std::string> files;
  for (const auto& f : std::filesystem::directory_iterator(dir))
    if (f.path().extension() == ".txt") files.push_back(f.path().string());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 5);
  for (const auto& path : files) {
    const auto blocks = parse(path);
    interaction it;
    std::string rewritten;
    for (const auto& b : blocks) {
      if (b.comment) {
        rewritten += b.command + "\n";
        continue;
      }
      std::string got;
      try {
        got = it.run(b.command);
      } catch (const std::exception& e) {
        FAIL(path << ":" << b.line << ": " << b.command << ": " << e.what());
      }
      rewritten += b.command + "\n----\n" + got + "\n";
      if (!rewrite) {
        INFO(path << ":" << b.line << ": " << b.command);
        CHECK(got == b.expected);
      }
    }
    if (rewrite) std::ofstream(path) << rewritten;
  }
}
