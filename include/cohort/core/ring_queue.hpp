// cohort/core/ring_queue.hpp - a FIFO queue in one circular buffer that grows
// by doubling and is then reused: no allocation per element in steady state
// (std::deque allocates a chunk every few elements as the queue moves).
//
// Invariants: buf_.size() is 0 or a power of two; the elements are
// buf_[(head_ + k) & (buf_.size() - 1)] for k in [0, size_); slots outside
// them hold value-initialized T. T must be default-constructible and movable.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "cohort/core/assert.hpp"

namespace cohort {

template <class T>
class ring_queue {
 public:
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  /// Preconditions: !empty() (front, back, pop_front), i < size() ([]).
  [[nodiscard]] T& front() noexcept { return at(0); }
  [[nodiscard]] const T& front() const noexcept { return at(0); }
  [[nodiscard]] T& back() noexcept { return at(size_ - 1); }
  [[nodiscard]] T& operator[](std::size_t i) noexcept { return at(i); }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return at(i); }

  T& push_back(T v) {
    if (size_ == buf_.size()) grow();
    T& slot = buf_[(head_ + size_) & (buf_.size() - 1)];
    slot = std::move(v);
    ++size_;
    return slot;
  }

  void pop_front() {
    COHORT_ASSERT(size_ > 0, "ring_queue::pop_front on an empty queue");
    buf_[head_] = T{};
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
  }

  void clear() {
    while (size_ > 0) pop_front();
    head_ = 0;
  }

 private:
  T& at(std::size_t i) noexcept { return buf_[(head_ + i) & (buf_.size() - 1)]; }
  const T& at(std::size_t i) const noexcept { return buf_[(head_ + i) & (buf_.size() - 1)]; }

  void grow() {
    std::vector<T> bigger(buf_.empty() ? 8 : buf_.size() * 2);
    for (std::size_t k = 0; k < size_; ++k) bigger[k] = std::move(at(k));
    buf_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<T> buf_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace cohort
