// cohort/core/result.hpp - errors as values.
//
// Cores never throw. A fallible call returns `result<T>`: either a T or an
// `error` (a code, a human message, and optionally the node the error is
// about, e.g. the known leader for errc::not_leader).
//
//   result<log_index> r = node.propose(payload);
//   if (!r) { if (r.error().code == errc::not_leader) redirect(r.error().node); }
//   else use(*r);
//
// Accessing the value of a failed result (or the error of a successful one) is
// a programming error caught by COHORT_ASSERT.
#pragma once

#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "cohort/core/assert.hpp"
#include "cohort/core/errc.hpp"
#include "cohort/core/types.hpp"

namespace cohort {

/// An error: a stable code, a message for humans, and the node it concerns (if any).
struct error {
  errc code = errc::invalid_argument;
  std::string message;
  /// The node the error is about: the known leader for not_leader, the member for
  /// duplicate_member/unknown_member, the sender of a rejected message. `no_node` if none.
  node_id node = no_node;

  [[nodiscard]] std::error_code error_code() const noexcept { return make_error_code(code); }
  friend bool operator==(const error&, const error&) = default;
};

/// Builds an error; the message should say what was wrong and with which values.
inline error make_error(errc code, std::string message, node_id about = no_node) {
  return error{code, std::move(message), about};
}

/// Either a T or an error. Implicitly constructible from both.
template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_reference_v<T>, "result<T&> is not supported; use a pointer");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, cohort::error>, "result<error> is ambiguous");

 public:
  using value_type = T;

  template <class U = T>
    requires std::is_constructible_v<T, U&&> && (!std::is_same_v<std::remove_cvref_t<U>, cohort::error>) &&
             (!std::is_same_v<std::remove_cvref_t<U>, result>)
  constexpr result(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT: implicit by design
  result(cohort::error e) : v_(std::in_place_index<1>, std::move(e)) {}                         // NOLINT: implicit by design

  [[nodiscard]] constexpr bool has_value() const noexcept { return v_.index() == 0; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  [[nodiscard]] constexpr T& value() & {
    COHORT_ASSERT(has_value(), "result::value() on an error");
    return *std::get_if<0>(&v_);
  }
  [[nodiscard]] constexpr const T& value() const& {
    COHORT_ASSERT(has_value(), "result::value() on an error");
    return *std::get_if<0>(&v_);
  }
  [[nodiscard]] constexpr T&& value() && {
    COHORT_ASSERT(has_value(), "result::value() on an error");
    return std::move(*std::get_if<0>(&v_));
  }
  [[nodiscard]] const cohort::error& error() const& {
    COHORT_ASSERT(!has_value(), "result::error() on a value");
    return *std::get_if<1>(&v_);
  }
  [[nodiscard]] cohort::error&& error() && {
    COHORT_ASSERT(!has_value(), "result::error() on a value");
    return std::move(*std::get_if<1>(&v_));
  }
  /// The error code, or a default-constructed std::error_code on success.
  [[nodiscard]] std::error_code error_code() const noexcept {
    return has_value() ? std::error_code{} : std::get_if<1>(&v_)->error_code();
  }

  template <class U>
  [[nodiscard]] constexpr T value_or(U&& fallback) const& {
    return has_value() ? *std::get_if<0>(&v_) : static_cast<T>(std::forward<U>(fallback));
  }

  constexpr T& operator*() & { return value(); }
  constexpr const T& operator*() const& { return value(); }
  constexpr T&& operator*() && { return std::move(*this).value(); }
  constexpr T* operator->() { return &value(); }
  constexpr const T* operator->() const { return &value(); }

 private:
  std::variant<T, cohort::error> v_;
};

/// Success or an error.
template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;

  result() noexcept = default;
  result(cohort::error e) : err_(std::move(e)), failed_(true) {}  // NOLINT: implicit by design

  [[nodiscard]] bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const { COHORT_ASSERT(has_value(), "result<void>::value() on an error"); }

  [[nodiscard]] const cohort::error& error() const& {
    COHORT_ASSERT(failed_, "result::error() on a value");
    return err_;
  }
  [[nodiscard]] cohort::error&& error() && {
    COHORT_ASSERT(failed_, "result::error() on a value");
    return std::move(err_);
  }
  [[nodiscard]] std::error_code error_code() const noexcept {
    return failed_ ? err_.error_code() : std::error_code{};
  }

 private:
  cohort::error err_{};
  bool failed_ = false;
};

/// The successful result<void>, for readability at return sites.
inline result<void> success() noexcept { return {}; }

}  // namespace cohort
