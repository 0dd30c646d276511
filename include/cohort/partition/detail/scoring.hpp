// cohort/partition/detail/scoring.hpp - small integer and scoring helpers shared
// by rendezvous, placement, maglev, multi_probe, bounded_load and memento.
//
// Everything here is defined in integer arithmetic or exactly rounded IEEE
// operations, so results are identical across compilers on IEEE-754 targets;
// the one exception is `hrw_score`, which calls the C library's log (see its comment).
// The partitioners use the compilers' math builtins (__builtin_log,
// __builtin_isfinite, ...), the same functions as <cmath>'s: <cmath> costs
// about 0.1 s in every file that includes cohort (docs/benchmarks.md).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "cohort/core/bytes.hpp"
#include "cohort/core/random.hpp"
#include "cohort/core/types.hpp"

namespace cohort::partition::detail {

/// Maps `h` uniformly onto [0, n) by multiply-high (Lemire's "fastrange");
/// requires n > 0. Unlike `h % n` it costs no division.
constexpr std::uint64_t fast_range(std::uint64_t h, std::uint64_t n) noexcept {
  return static_cast<std::uint64_t>((static_cast<cohort::detail::uint128>(h) * n) >> 64);
}

/// Maps a 64-bit hash into the open interval (0, 1): the top 52 bits k give
/// (2k + 1) / 2^53, an odd multiple of 2^-53, exactly representable, never 0
/// and never 1 (largest value 1 - 2^-53).
constexpr double to_open_unit(std::uint64_t h) noexcept {
  return static_cast<double>(((h >> 12) << 1) | 1U) * 0x1.0p-53;
}

/// The highest-random-weight score of a member for a key under the
/// logarithmic method (Schindelhauer and Schomaker, "Weighted distributed hash
/// tables", 2005; also Resch's "weighted rendezvous"): score = -weight / ln(u),
/// u = to_open_unit(pair_hash). Positive and finite for weight in (0, 1e6]. A
/// member's probability of having the highest score is weight / sum(weights).
/// Determinism: uses the C library's log (std::log's), the same function for every compiler
/// linked against the same C library (g++ and clang++ on one platform agree);
/// libraries that round log differently in the last place could, very rarely,
/// order two nearly equal scores differently.
inline double hrw_score(std::uint64_t pair_hash, double weight) noexcept {
  return -weight / __builtin_log(to_open_unit(pair_hash));
}

/// The bytes of a member name.
inline bytes_view name_bytes(const std::string& s) noexcept {
  return std::as_bytes(std::span(s.data(), s.size()));
}

/// "id 7": for error messages.
inline std::string id_text(node_id id) { return "id " + std::to_string(id.value()); }

}  // namespace cohort::partition::detail
