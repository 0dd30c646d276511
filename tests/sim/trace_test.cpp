#include <catch2/catch.hpp>

#include <cohort/sim/trace_export.hpp>

#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "../../examples/toy/register.hpp"

using namespace std::chrono_literals;

namespace {

// A strict JSON parser (RFC 8259), enough to validate the export and read
// the fields back.
struct json {
  std::variant<std::nullptr_t, bool, double, std::string, std::vector<json>, std::map<std::string, json>> v;
  const json& operator[](const std::string& k) const { return std::get<std::map<std::string, json>>(v).at(k); }
  bool has(const std::string& k) const {
    auto* o = std::get_if<std::map<std::string, json>>(&v);
    return o != nullptr && o->count(k) != 0;
  }
  const std::vector<json>& array() const { return std::get<std::vector<json>>(v); }
  const std::string& str() const { return std::get<std::string>(v); }
  double num() const { return std::get<double>(v); }
};

class parser {
 public:
  explicit parser(std::string_view s) : s_(s) {}
  json parse_document() {
    json j = value();
    ws();
    if (i_ != s_.size()) fail("trailing characters");
    return j;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error("json: " + why + " at offset " + std::to_string(i_));
  }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }
  char peek() {
    ws();
    if (i_ >= s_.size()) fail("unexpected end");
    return s_[i_];
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected ") + c);
    ++i_;
  }
  bool literal(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  json value() {
    const char c = peek();
    if (c == '{') return object();
    if (c == '[') return array();
    if (c == '"') return json{string()};
    if (literal("true")) return json{true};
    if (literal("false")) return json{false};
    if (literal("null")) return json{nullptr};
    return json{number()};
  }
  json object() {
    expect('{');
    std::map<std::string, json> m;
    if (peek() == '}') {
      ++i_;
      return json{m};
    }
    for (;;) {
      if (peek() != '"') fail("expected a key");
      std::string k = string();
      expect(':');
      if (!m.emplace(k, value()).second) fail("duplicate key " + k);
      if (peek() == ',') {
        ++i_;
        continue;
      }
      expect('}');
      return json{m};
    }
  }
  json array() {
    expect('[');
    std::vector<json> a;
    if (peek() == ']') {
      ++i_;
      return json{a};
    }
    for (;;) {
      a.push_back(value());
      if (peek() == ',') {
        ++i_;
        continue;
      }
      expect(']');
      return json{a};
    }
  }
  std::string string() {
    expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      const char c = s_[i_++];
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) fail("bad escape");
      const char e = s_[i_++];
      if (e == 'u') {
        if (i_ + 4 > s_.size()) fail("bad \\u escape");
        for (int k = 0; k < 4; ++k)
          if (!std::isxdigit(static_cast<unsigned char>(s_[i_ + static_cast<std::size_t>(k)]))) fail("bad \\u escape");
        i_ += 4;
        out += '?';
      } else if (std::string_view("\"\\/bfnrt").find(e) != std::string_view::npos) {
        out += e;
      } else {
        fail("bad escape");
      }
    }
    expect('"');
    return out;
  }
  double number() {
    const std::size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) fail("bad value");
    if (s_[i_] == '0' && i_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + 1])))
      fail("leading zero");
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) fail("bad fraction");
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    return std::stod(std::string(s_.substr(start, i_ - start)));
  }
  std::string_view s_;
  std::size_t i_ = 0;
};

cohort::sim::cluster<toy::server>* traced_run(std::unique_ptr<cohort::sim::cluster<toy::server>>& holder) {
  cohort::sim::options o = cohort::sim::swarm(8);
  o.keep_trace = true;
  o.phases.safety = 500ms;
  o.phases.liveness = 3s;
  auto c = toy::make_cluster(o, toy::variant::abd);
  REQUIRE(c.has_value());
  holder = std::move(c).value();
  toy::clients<cohort::sim::cluster<toy::server>> clients(*holder, 2, 5, 300ms);
  REQUIRE(holder->run([&] { return clients.done(); }).ok);
  return holder.get();
}

}  // namespace

TEST_CASE("json parser used by these tests rejects what it must", "[sim][trace]") {
  CHECK_NOTHROW(parser(R"({"a":[1,2.5,-3,"x\n",true,null]})").parse_document());
  CHECK_THROWS(parser(R"({"a":1,})").parse_document());
  CHECK_THROWS(parser(R"({"a":01})").parse_document());
  CHECK_THROWS(parser("{\"a\":\"\x01\"}").parse_document());
  CHECK_THROWS(parser(R"({"a":1}{})").parse_document());
  CHECK_THROWS(parser(R"({"a":1,"a":2})").parse_document());
}

TEST_CASE("trace exports valid Chrome trace JSON with one track per node and message flows", "[sim][trace]") {
  std::unique_ptr<cohort::sim::cluster<toy::server>> holder;
  auto* c = traced_run(holder);
  const std::string doc = cohort::sim::to_chrome_json(c->trace(), "toy \"register\"");
  json j;
  REQUIRE_NOTHROW(j = parser(doc).parse_document());
  const auto& events = j["traceEvents"].array();
  REQUIRE(events.size() > c->trace().records().size());
  std::set<double> named_tracks, used_tracks;
  std::map<double, int> flow_starts, flow_ends;
  for (const auto& e : events) {
    const std::string ph = e["ph"].str();
    REQUIRE(e.has("pid"));
    REQUIRE(e.has("tid"));
    if (ph == "M") {
      if (e["name"].str() == "thread_name") named_tracks.insert(e["tid"].num());
      continue;
    }
    REQUIRE(e.has("ts"));
    used_tracks.insert(e["tid"].num());
    if (ph == "s") ++flow_starts[e["id"].num()];
    if (ph == "f") ++flow_ends[e["id"].num()];
  }
  for (double t : used_tracks) CHECK(named_tracks.count(t) == 1);
  CHECK(named_tracks.count(1) == 1);
  CHECK(named_tracks.count(2) == 1);
  CHECK(named_tracks.count(3) == 1);
  REQUIRE_FALSE(flow_starts.empty());
  for (auto& [id, n] : flow_ends) CHECK(flow_starts.count(id) == 1);  // every arrow has its tail
  for (auto& [id, n] : flow_starts) CHECK(flow_ends.count(id) == 1);
  std::set<std::uint64_t> delivered;
  for (const auto& r : c->trace().records())
    if (r.kind == cohort::sim::trace_kind::deliver) delivered.insert(r.msg);
  CHECK(flow_starts.size() == delivered.size());
}

TEST_CASE("trace text names every delivered message's sender and description", "[sim][trace]") {
  std::unique_ptr<cohort::sim::cluster<toy::server>> holder;
  auto* c = traced_run(holder);
  const std::string text = cohort::sim::to_text(c->trace());
  CHECK_THAT(text, Catch::Contains("send       -> n"));
  CHECK_THAT(text, Catch::Contains("deliver    <- n"));
  CHECK_THAT(text, Catch::Contains("write{op "));
  std::size_t lines = 0;
  for (char ch : text) lines += ch == '\n';
  CHECK(lines == c->trace().records().size());
}

TEST_CASE("trace digest ignores whether records are kept", "[sim][trace]") {
  auto run = [](bool keep) {
    cohort::sim::options o = cohort::sim::swarm(8);
    o.keep_trace = keep;
    o.phases.safety = 500ms;
    auto c = toy::make_cluster(o, toy::variant::abd);
    toy::clients<cohort::sim::cluster<toy::server>> clients(*c.value(), 2, 5, 300ms);
    return c.value()->run([&] { return clients.done(); }).digest;
  };
  CHECK(run(true) == run(false));
}
