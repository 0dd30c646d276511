// docs/concepts.md quotes the minimal models of examples/concept_models.cpp:
// every concept declared in core/concepts.hpp has a section and a model, and
// each model is quoted verbatim.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

const std::string root = COHORT_TESTDATA_DIR "/../..";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The names after `concept ` at the start of a line.
std::vector<std::string> concept_names(const std::string& header) {
  std::vector<std::string> names;
  const std::string key = "\nconcept ";
  for (auto at = header.find(key); at != std::string::npos; at = header.find(key, at + 1)) {
    const auto begin = at + key.size();
    names.push_back(header.substr(begin, header.find_first_of(" =", begin) - begin));
  }
  return names;
}

// The text between the lines `// [model:<name>]` and `// [/model]`, by name.
std::map<std::string, std::string> model_blocks(const std::string& source) {
  std::map<std::string, std::string> blocks;
  const std::string open = "\n// [model:", close = "\n// [/model]\n";
  for (auto at = source.find(open); at != std::string::npos; at = source.find(open, at + 1)) {
    const auto name_end = source.find("]\n", at);
    const auto body = name_end + 2;
    const auto end = source.find(close, body);
    REQUIRE(end != std::string::npos);
    blocks[source.substr(at + open.size(), name_end - at - open.size())] = source.substr(body, end + 1 - body);
  }
  return blocks;
}

}  // namespace

TEST_CASE("docs/concepts.md documents every concept with the example's model, verbatim", "[concepts][docs]") {
  const auto header = read_file(root + "/include/cohort/core/concepts.hpp");
  const auto doc = read_file(root + "/docs/concepts.md");
  const auto models = model_blocks(read_file(root + "/examples/concept_models.cpp"));
  const auto names = concept_names(header);
  REQUIRE(names.size() >= 10);
  for (const auto& name : names) {
    CAPTURE(name);
    CHECK(doc.find("\n## " + name) != std::string::npos);
    REQUIRE(models.count(name) == 1);
    CHECK(doc.find("```cpp\n" + models.at(name) + "```") != std::string::npos);
  }
  CHECK(models.size() == names.size());  // no model for a concept that does not exist
}
