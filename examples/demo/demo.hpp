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

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::string line;
  for (char c : text) {
    if (c == '\n') {
      out.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  if (!line.empty()) out.push_back(line);
  return out;
}

inline void heading(const std::string& title) {
  if (!quiet) fmt::print("\n== {} ==\n", title);
}

}  // namespace demo
