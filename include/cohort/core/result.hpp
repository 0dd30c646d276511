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

#include <new>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

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
///
/// Storage is a union and a flag rather than std::variant: result<T> is
/// instantiated for dozens of types in every file that includes cohort, and
/// std::variant's machinery made up a tenth of the compile time
/// (docs/benchmarks.md, compile cost). Copy and move follow std::variant:
/// available when T's are, assigning the same alternative uses T's assignment.
template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_reference_v<T>, "result<T&> is not supported; use a pointer");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, cohort::error>, "result<error> is ambiguous");

 public:
  using value_type = T;

  /// A value-initialized T (as std::variant's default constructor).
  constexpr result()
    requires std::is_default_constructible_v<T>
      : value_(), ok_(true) {}

  template <class U = T>
    requires std::is_constructible_v<T, U&&> && (!std::is_same_v<std::remove_cvref_t<U>, cohort::error>) &&
             (!std::is_same_v<std::remove_cvref_t<U>, result>)
  constexpr result(U&& value) : value_(std::forward<U>(value)), ok_(true) {}  // NOLINT: implicit by design
  result(cohort::error e) : error_(std::move(e)), ok_(false) {}               // NOLINT: implicit by design

  result(const result& other)
    requires std::is_copy_constructible_v<T>
      : ok_(other.ok_) {
    construct_from(other);
  }
  result(result&& other) noexcept(std::is_nothrow_move_constructible_v<T>)
    requires std::is_move_constructible_v<T>
      : ok_(other.ok_) {
    construct_from(std::move(other));
  }
  result& operator=(const result& other)
    requires std::is_copy_constructible_v<T> && std::is_copy_assignable_v<T>
  {
    if (this == &other) return *this;
    if (ok_ == other.ok_) {
      if (ok_) value_ = other.value_;
      else error_ = other.error_;
    } else {
      result copy(other);  // if copying throws, *this is unchanged
      destroy();
      ok_ = copy.ok_;
      construct_from(std::move(copy));
    }
    return *this;
  }
  result& operator=(result&& other) noexcept(std::is_nothrow_move_constructible_v<T> &&
                                             std::is_nothrow_move_assignable_v<T>)
    requires std::is_move_constructible_v<T> && std::is_move_assignable_v<T>
  {
    if (this == &other) return *this;
    if (ok_ == other.ok_) {
      if (ok_) value_ = std::move(other.value_);
      else error_ = std::move(other.error_);
    } else {
      destroy();
      ok_ = other.ok_;
      construct_from(std::move(other));
    }
    return *this;
  }
  constexpr ~result() { destroy(); }

  [[nodiscard]] constexpr bool has_value() const noexcept { return ok_; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  [[nodiscard]] constexpr T& value() & {
    COHORT_ASSERT(has_value(), "result::value() on an error");
    return value_;
  }
  [[nodiscard]] constexpr const T& value() const& {
    COHORT_ASSERT(has_value(), "result::value() on an error");
    return value_;
  }
  [[nodiscard]] constexpr T&& value() && {
    COHORT_ASSERT(has_value(), "result::value() on an error");
    return std::move(value_);
  }
  [[nodiscard]] const cohort::error& error() const& {
    COHORT_ASSERT(!has_value(), "result::error() on a value");
    return error_;
  }
  [[nodiscard]] cohort::error&& error() && {
    COHORT_ASSERT(!has_value(), "result::error() on a value");
    return std::move(error_);
  }
  /// The error code, or a default-constructed std::error_code on success.
  [[nodiscard]] std::error_code error_code() const noexcept {
    return has_value() ? std::error_code{} : error_.error_code();
  }

  template <class U>
  [[nodiscard]] constexpr T value_or(U&& fallback) const& {
    return has_value() ? value_ : static_cast<T>(std::forward<U>(fallback));
  }

  constexpr T& operator*() & { return value(); }
  constexpr const T& operator*() const& { return value(); }
  constexpr T&& operator*() && { return std::move(*this).value(); }
  constexpr T* operator->() { return &value(); }
  constexpr const T* operator->() const { return &value(); }

 private:
  // Constructs the member `other` holds (ok_ already equals other.ok_).
  template <class R>
  void construct_from(R&& other) {
    if (ok_) ::new (static_cast<void*>(&value_)) T(std::forward<R>(other).value_);
    else ::new (static_cast<void*>(&error_)) cohort::error(std::forward<R>(other).error_);
  }
  constexpr void destroy() noexcept {
    if (ok_) value_.~T();
    else error_.~error();
  }

  union {
    T value_;
    cohort::error error_;
  };
  bool ok_;
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
