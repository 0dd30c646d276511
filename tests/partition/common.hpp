// tests/partition/common.hpp - helpers shared by the partitioner tests.
#pragma once

#include <cohort/partition/concepts.hpp>

#include <string>
#include <vector>

namespace partition_test {

/// n distinct text keys "<prefix><i>".
inline std::vector<std::string> make_keys(std::size_t n, const std::string& prefix) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (std::size_t i = 0; i < n; ++i) keys.push_back(prefix + std::to_string(i));
  return keys;
}

/// The owner of every key (all lookups must succeed).
template <class P>
std::vector<cohort::node_id> assign(const P& p, const std::vector<std::string>& keys) {
  std::vector<cohort::node_id> out;
  out.reserve(keys.size());
  for (const auto& k : keys) out.push_back(p.lookup(cohort::partition::as_key(k)).value());
  return out;
}

}  // namespace partition_test
