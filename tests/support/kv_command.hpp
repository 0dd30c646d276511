// tests/support/kv_command.hpp - a key-value command as the consensus
// simulations store it in a log entry or slot: client, op, write flag, key,
// value, as five little-endian 64-bit words. decode() refuses any other size.
#pragma once

#include <cohort/core/bytes.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

namespace cohort_test {

struct kv_command {
  std::uint64_t client = 0, op = 0, is_write = 0, key = 0;
  std::int64_t value = 0;
  cohort::bytes encode() const {
    std::uint64_t w[5] = {client, op, is_write, key, static_cast<std::uint64_t>(value)};
    return cohort::bytes::copy_of(cohort::bytes_view(reinterpret_cast<const std::byte*>(w), sizeof w));
  }
  static std::optional<kv_command> decode(const cohort::bytes& b) {
    if (b.size() != 40) return std::nullopt;
    std::uint64_t w[5];
    std::memcpy(w, b.view().data(), sizeof w);
    return kv_command{w[0], w[1], w[2], w[3], static_cast<std::int64_t>(w[4])};
  }
};

}  // namespace cohort_test
