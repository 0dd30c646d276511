// The guided tour's chapter registry. Each chapter_*.cpp registers one chapter
// with a position; main() runs them in order.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <string>
#include <vector>

namespace demo {

struct chapter {
  int order;
  std::string title;
  // Runs the chapter; returns false if something it demonstrates did not hold.
  std::function<bool()> run;
};

inline std::vector<chapter>& chapters() {
  static std::vector<chapter> all;
  return all;
}

struct register_chapter {
  register_chapter(int order, std::string title, std::function<bool()> run) {
    chapters().push_back({order, std::move(title), std::move(run)});
  }
};

// Output helpers, so that chapters look alike.
inline bool quiet = false;

template <class... Args>
void say(fmt::format_string<Args...> f, Args&&... args) {
  if (!quiet) fmt::print("  {}\n", fmt::format(f, std::forward<Args>(args)...));
}

inline void heading(const std::string& title) {
  if (!quiet) fmt::print("\n== {} ==\n", title);
}

}  // namespace demo
