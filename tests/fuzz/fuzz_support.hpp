// tests/fuzz/fuzz_support.hpp - what the Raft and Multi-Paxos fuzz targets
// share: a reader that turns the fuzzer's bytes into choices (reading past
// the end gives zeros, so every input is a complete run), and the network
// between their nodes, a queue any message of which may be delivered next,
// delivered and kept (a duplicate), or dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace fuzz_support {

class reader {
 public:
  reader(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  [[nodiscard]] bool done() const noexcept { return i_ >= n_; }
  std::uint64_t byte() { return i_ < n_ ? d_[i_++] : 0; }
  /// `bytes` bytes, big-endian.
  std::uint64_t u64(int bytes) {
    std::uint64_t v = 0;
    for (int k = 0; k < bytes; ++k) v = (v << 8) | byte();
    return v;
  }

 private:
  const std::uint8_t* d_;
  std::size_t n_;
  std::size_t i_ = 0;
};

/// Messages in flight between nodes keyed by id (Node has step(Message)).
template <class Message>
class wire {
 public:
  /// Queues copies of a ready batch's messages.
  void send(const std::vector<Message>& ms) { queue_.insert(queue_.end(), ms.begin(), ms.end()); }

  /// Delivers message `pick` (modulo the count) to its addressee if it
  /// exists, keeping a copy in flight when `keep_copy` (a duplicate later).
  template <class Node>
  void deliver(std::uint64_t pick, bool keep_copy, std::map<std::uint64_t, std::unique_ptr<Node>>& nodes) {
    if (queue_.empty()) return;
    const std::size_t i = pick % queue_.size();
    Message m = queue_[i];
    if (!keep_copy) queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
    if (auto it = nodes.find(m.to.value()); it != nodes.end()) (void)it->second->step(std::move(m));
  }
  void drop(std::uint64_t pick) {
    if (!queue_.empty()) queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(pick % queue_.size()));
  }

 private:
  std::vector<Message> queue_;
};

}  // namespace fuzz_support
