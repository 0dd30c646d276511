// cohort/core/assert.hpp - precondition checks for programming errors.
//
// COHORT_ASSERT(cond, "message") is for broken *preconditions and invariants*
// only: a caller breaking a documented contract, or state that can only be
// reached by a bug. Bad input from the network, storage or a user request is
// never asserted on: it is returned as an error value (see result.hpp).
//
// Assertions are always on (they guard safety properties of replicated state;
// their cost is a predictable branch). COHORT_DEBUG_ASSERT is for expensive
// checks and is compiled only when NDEBUG is not defined.
//
// When a check fails, the installed handler is called with the failure. The
// default handler calls std::abort() (the library does no I/O; install your
// own handler to log first). A handler must not return normally: it may throw
// (tests install one that throws) or terminate. If it returns anyway,
// std::abort() is called.
#pragma once

#include <atomic>
#include <cstdlib>

namespace cohort {

/// Everything known about a failed check; the strings have static storage.
struct assertion_failure {
  const char* expression;
  const char* message;
  const char* file;
  int line;
};

using assert_handler = void (*)(const assertion_failure&);

namespace detail {

[[noreturn]] inline void default_assert_handler(const assertion_failure&) noexcept { std::abort(); }

inline std::atomic<assert_handler>& assert_handler_slot() noexcept {
  static std::atomic<assert_handler> slot{&default_assert_handler};
  return slot;
}

[[noreturn]] inline void assert_failed(const char* expr, const char* msg, const char* file, int line) {
  assertion_failure failure{expr, msg, file, line};
  assert_handler_slot().load(std::memory_order_acquire)(failure);
  std::abort();  // the handler returned: that is not allowed
}

}  // namespace detail

/// Installs `handler` (nullptr restores the default) and returns the previous one.
inline assert_handler set_assert_handler(assert_handler handler) noexcept {
  return detail::assert_handler_slot().exchange(handler ? handler : &detail::default_assert_handler,
                                                std::memory_order_acq_rel);
}

/// The handler currently installed.
inline assert_handler get_assert_handler() noexcept {
  return detail::assert_handler_slot().load(std::memory_order_acquire);
}

}  // namespace cohort

#define COHORT_ASSERT(cond, msg)                                                \
  do {                                                                          \
    if (!(cond)) [[unlikely]]                                                   \
      ::cohort::detail::assert_failed(#cond, (msg), __FILE__, __LINE__);        \
  } while (false)

#ifdef NDEBUG
#define COHORT_DEBUG_ASSERT(cond, msg) \
  do {                                 \
  } while (false)
#else
#define COHORT_DEBUG_ASSERT(cond, msg) COHORT_ASSERT(cond, msg)
#endif
