// scripts/demo runs this: a guided tour of what cohort does, one chapter per
// component, each checking what it shows. `--quiet` checks without printing
// (the tests run it that way); `--chapter N` runs one chapter.
#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "demo.hpp"

int main(int argc, char** argv) {
  int only = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--quiet") demo::quiet = true;
    else if (a == "--chapter" && i + 1 < argc) only = std::atoi(argv[++i]);
    else {
      fmt::print(stderr, "usage: demo [--quiet] [--chapter N]\n");
      return 2;
    }
  }
  auto chapters = demo::chapters();
  std::sort(chapters.begin(), chapters.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  if (!demo::quiet) fmt::print("cohort: a guided tour ({} chapters)\n", chapters.size());
  int failed = 0;
  for (const auto& c : chapters) {
    if (only != 0 && c.order != only) continue;
    demo::heading(fmt::format("{}. {}", c.order, c.title));
    if (!c.run()) {
      fmt::print(stderr, "chapter {} ({}) did not show what it should\n", c.order, c.title);
      ++failed;
    }
  }
  if (!demo::quiet) fmt::print("\n{} chapters shown, {} failed\n", chapters.size(), failed);
  return failed == 0 ? 0 : 1;
}
