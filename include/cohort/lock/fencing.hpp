// cohort/lock/fencing.hpp - fencing tokens and the fence a protected resource keeps.
//
// A lock granted by a lease-based service is not mutual exclusion on its own:
// a holder can pause (GC, page fault, VM suspension) past its lease, and when
// it resumes it still believes it holds the lock. The remedy (Chubby's
// sequencers) is a token that grows with every grant and travels with every
// operation on the protected resource; the resource keeps a `fence` that
// refuses any token lower than the highest it has seen.
//
// Tokens: the lock service uses the log index of the command that made the
// grant. Indexes only grow, so a later grant of the same exclusive lock always
// carries a larger token. Zero is never granted.
//
// fence::admit(t):
//   - t == 0                      errc::invalid_argument, nothing remembered;
//   - t <  highest()              errc::stale_term ("fenced"), nothing remembered;
//   - t >= highest()              accepted, highest() becomes t.
// Equal tokens are accepted: they come from the same grant (or from shared
// holders granted together). The fence is a plain value: a resource keeps one
// per lock it is protected by, and persists it with the data it protects.
#pragma once

#include <cstdint>
#include <string>

#include "cohort/core/result.hpp"
#include "cohort/core/types.hpp"

namespace cohort::lock {

struct fencing_token_tag {};
/// A grant's fencing token (the log index of the grant); no arithmetic.
using fencing_token = tagged_u64<fencing_token_tag>;

/// The check a protected resource makes on every operation; see the file comment.
class fence {
 public:
  constexpr fence() noexcept = default;
  /// A fence that has already seen `highest` (e.g. restored with the resource).
  constexpr explicit fence(fencing_token highest) noexcept : highest_(highest) {}

  /// Accepts an operation carrying `t` (and remembers t), or refuses it.
  result<void> admit(fencing_token t) {
    if (t == fencing_token{0})
      return make_error(errc::invalid_argument, "fence: token 0 is never granted");
    if (t < highest_)
      return make_error(errc::stale_term, "fence: token " + std::to_string(t.value()) +
                                              " is older than the highest seen, " +
                                              std::to_string(highest_.value()));
    highest_ = t;
    return success();
  }
  /// Whether admit(t) would accept t, without remembering anything.
  [[nodiscard]] constexpr bool would_admit(fencing_token t) const noexcept {
    return t != fencing_token{0} && t >= highest_;
  }
  /// The highest token accepted so far (0 if none).
  [[nodiscard]] constexpr fencing_token highest() const noexcept { return highest_; }

 private:
  fencing_token highest_{};
};

}  // namespace cohort::lock
