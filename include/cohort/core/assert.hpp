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
//
// The handler slot is read and written with the GCC/Clang atomic builtins
// rather than std::atomic: <atomic> costs about half a second of compile time
// in every file that includes cohort (docs/benchmarks.md, compile cost).
#pragma once

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

// The installed handler; accessed only through the atomic builtins below.
inline assert_handler& assert_handler_slot() noexcept {
  static assert_handler slot = &default_assert_handler;
  return slot;
}

[[noreturn]] inline void assert_failed(const char* expr, const char* msg, const char* file, int line) {
  assertion_failure failure{expr, msg, file, line};
  __atomic_load_n(&assert_handler_slot(), __ATOMIC_ACQUIRE)(failure);
  std::abort();  // the handler returned: that is not allowed
}

}  // namespace detail

/// Installs `handler` (nullptr restores the default) and returns the previous one.
inline assert_handler set_assert_handler(assert_handler handler) noexcept {
  return __atomic_exchange_n(&detail::assert_handler_slot(), handler ? handler : &detail::default_assert_handler,
                             __ATOMIC_ACQ_REL);
}

/// The handler currently installed.
inline assert_handler get_assert_handler() noexcept {
  return __atomic_load_n(&detail::assert_handler_slot(), __ATOMIC_ACQUIRE);
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
