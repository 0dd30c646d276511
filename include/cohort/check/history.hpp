// cohort/check/history.hpp - a record of client operations for the checkers.
//
// Clients (simulated or real) report each operation's invocation and its
// outcome. Outcomes:
//   ok             completed with an output: it took effect exactly once,
//                  between its invocation and its completion;
//   fail           definitely did not take effect (e.g. refused by a follower);
//   indeterminate  the client gave up (a timeout): it may have taken effect,
//                  at any time after its invocation, or not at all.
// An operation never completed is treated as indeterminate.
// Time is a logical counter advanced by every invoke and completion, so the
// recorder works with virtual time and with real threads (under the caller's
// lock) alike: only the order of events matters to linearizability.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "cohort/core/result.hpp"

namespace cohort::check {

enum class outcome : std::uint8_t { pending, ok, fail, indeterminate };

constexpr const char* name_of(outcome o) noexcept {
  switch (o) {
    case outcome::pending: return "pending";
    case outcome::ok: return "ok";
    case outcome::fail: return "fail";
    case outcome::indeterminate: return "indeterminate";
  }
  return "unknown";
}

template <class Input, class Output>
struct operation {
  std::uint64_t client = 0;
  Input input{};
  Output output{};  ///< meaningful when status == ok
  outcome status = outcome::pending;
  std::uint64_t invoked = 0;                                           ///< logical time of the invocation
  std::uint64_t completed = std::numeric_limits<std::uint64_t>::max();  ///< of the completion (max: never)
};

template <class Input, class Output>
class history {
 public:
  using op = operation<Input, Output>;

  /// Records an invocation; returns its id for the completion.
  std::size_t invoke(std::uint64_t client, Input in) {
    op o;
    o.client = client;
    o.input = std::move(in);
    o.invoked = ++clock_;
    ops_.push_back(std::move(o));
    return ops_.size() - 1;
  }
  result<void> ok(std::size_t id, Output out) {
    if (auto v = open(id); !v) return v;
    ops_[id].output = std::move(out);
    return close(id, outcome::ok);
  }
  result<void> fail(std::size_t id) {
    if (auto v = open(id); !v) return v;
    return close(id, outcome::fail);
  }
  result<void> indeterminate(std::size_t id) {
    if (auto v = open(id); !v) return v;
    ops_[id].status = outcome::indeterminate;  // its completion time stays "never"
    return success();
  }

  [[nodiscard]] const std::vector<op>& operations() const noexcept { return ops_; }
  [[nodiscard]] std::size_t size() const noexcept { return ops_.size(); }
  void clear() {
    ops_.clear();
    clock_ = 0;
  }

 private:
  result<void> open(std::size_t id) const {
    if (id >= ops_.size()) return make_error(errc::not_found, "no operation with id " + std::to_string(id));
    if (ops_[id].status != outcome::pending)
      return make_error(errc::conflict, "operation " + std::to_string(id) + " already completed");
    return success();
  }
  result<void> close(std::size_t id, outcome o) {
    ops_[id].status = o;
    ops_[id].completed = ++clock_;
    return success();
  }

  std::vector<op> ops_;
  std::uint64_t clock_ = 0;
};

}  // namespace cohort::check
