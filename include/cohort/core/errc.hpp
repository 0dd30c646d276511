// cohort/core/errc.hpp - the error codes every cohort component returns.
//
// `cohort::errc` is an error-code enum registered with <system_error>
// (`std::error_code ec = cohort::errc::not_leader;` works), with one category,
// `cohort::error_category()`, whose name is "cohort". Codes are stable: new
// ones are appended, none is renumbered, so they can travel in encoded
// messages.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace cohort {

enum class errc : int {
  // 0 is reserved for success, as in std::error_code.
  invalid_argument = 1,  ///< a call's argument is outside its documented range
  invalid_config,        ///< a configuration was refused at construction
  not_leader,            ///< the call needs the leader; the error names the leader when known
  compacted,             ///< the requested log index is at or below the compaction point
  unavailable,           ///< the requested log index or data is not (yet) available
  stale_term,            ///< a message or request carries a term older than ours
  malformed_message,     ///< a message failed validation (see the counted reason)
  too_large,             ///< a message, batch or entry exceeds a configured bound
  proposal_dropped,      ///< a proposal was not accepted (e.g. a leadership transfer is in progress)
  busy,                  ///< a bounded resource (uncommitted bytes, in-flight window) is full
  duplicate_member,      ///< a member with that id is already present
  unknown_member,        ///< no member with that id
  no_members,            ///< the operation needs at least one member
  capacity_exceeded,     ///< a fixed capacity would be exceeded
  storage_failure,       ///< the storage policy reported a failure; the node must not go on
  snapshot_unavailable,  ///< a snapshot is being produced; try again later
  timeout,               ///< an operation did not complete in its bound
  not_found,             ///< a looked-up item does not exist
  conflict,              ///< the request conflicts with current state (e.g. a lock is held)
  corrupted,             ///< stored data failed its integrity check
  stopped,               ///< the component was stopped or has failed and accepts no more work
};

namespace detail {

class error_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "cohort"; }
  std::string message(int code) const override { return std::string(describe(static_cast<errc>(code))); }

  static constexpr std::string_view describe(errc e) noexcept {
    switch (e) {
      case errc::invalid_argument: return "invalid argument";
      case errc::invalid_config: return "invalid configuration";
      case errc::not_leader: return "not the leader";
      case errc::compacted: return "log index compacted";
      case errc::unavailable: return "log index or data unavailable";
      case errc::stale_term: return "stale term";
      case errc::malformed_message: return "malformed message";
      case errc::too_large: return "too large";
      case errc::proposal_dropped: return "proposal dropped";
      case errc::busy: return "busy";
      case errc::duplicate_member: return "duplicate member";
      case errc::unknown_member: return "unknown member";
      case errc::no_members: return "no members";
      case errc::capacity_exceeded: return "capacity exceeded";
      case errc::storage_failure: return "storage failure";
      case errc::snapshot_unavailable: return "snapshot temporarily unavailable";
      case errc::timeout: return "timed out";
      case errc::not_found: return "not found";
      case errc::conflict: return "conflict";
      case errc::corrupted: return "corrupted data";
      case errc::stopped: return "stopped";
    }
    return "unknown cohort error";
  }
};

}  // namespace detail

/// The single category of cohort's error codes (one instance per program).
inline const std::error_category& error_category() noexcept {
  static const detail::error_category_impl instance;
  return instance;
}

/// The short, stable description of a code ("not the leader").
constexpr std::string_view to_string(errc e) noexcept { return detail::error_category_impl::describe(e); }

/// The enumerator's name, e.g. "not_leader" (stable text for logs and scenario tests).
constexpr std::string_view name_of(errc e) noexcept {
  switch (e) {
    case errc::invalid_argument: return "invalid_argument";
    case errc::invalid_config: return "invalid_config";
    case errc::not_leader: return "not_leader";
    case errc::compacted: return "compacted";
    case errc::unavailable: return "unavailable";
    case errc::stale_term: return "stale_term";
    case errc::malformed_message: return "malformed_message";
    case errc::too_large: return "too_large";
    case errc::proposal_dropped: return "proposal_dropped";
    case errc::busy: return "busy";
    case errc::duplicate_member: return "duplicate_member";
    case errc::unknown_member: return "unknown_member";
    case errc::no_members: return "no_members";
    case errc::capacity_exceeded: return "capacity_exceeded";
    case errc::storage_failure: return "storage_failure";
    case errc::snapshot_unavailable: return "snapshot_unavailable";
    case errc::timeout: return "timeout";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
    case errc::corrupted: return "corrupted";
    case errc::stopped: return "stopped";
  }
  return "unknown";
}


inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace cohort

template <>
struct std::is_error_code_enum<cohort::errc> : std::true_type {};
