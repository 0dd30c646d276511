// cohort/core/chunked_vector.hpp - a sequence stored in fixed-size chunks, for
// logs that grow at the back and are compacted at the front.
//
// Unlike std::vector, growth never moves the elements already stored (no
// copying, no doubled peak memory, no latency spike at a reallocation), and
// dropping a prefix frees whole chunks in O(chunks) instead of shifting the
// rest. Unlike std::deque, the chunk size is chosen here (libstdc++'s deque
// uses 512-byte chunks: an allocation every few log entries).
//
// Element i lives at chunks_[(head_ + i) / ChunkSize][(head_ + i) % ChunkSize].
// Invariants: head_ < ChunkSize; slots outside [head_, head_ + size_) hold
// value-initialized T (so a dropped element releases what it owned at once);
// chunks_.size() == ceil((head_ + size_) / ChunkSize) (no empty trailing chunk).
// T must be default-constructible and move-assignable.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "cohort/core/assert.hpp"

namespace cohort {

template <class T, std::size_t ChunkSize = 1024>
class chunked_vector {
  static_assert(ChunkSize > 0);

 public:
  chunked_vector() = default;
  chunked_vector(chunked_vector&&) noexcept = default;
  chunked_vector& operator=(chunked_vector&&) noexcept = default;
  chunked_vector(const chunked_vector& o) { *this = o; }
  chunked_vector& operator=(const chunked_vector& o) {
    if (this == &o) return *this;
    clear();
    for (std::size_t i = 0; i < o.size(); ++i) push_back(o[i]);
    return *this;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  /// Precondition: i < size().
  [[nodiscard]] T& operator[](std::size_t i) noexcept { return slot(i); }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return slot(i); }
  [[nodiscard]] T& back() noexcept { return slot(size_ - 1); }

  void push_back(const T& v) {
    next_slot() = v;
    ++size_;
  }
  void push_back(T&& v) {
    next_slot() = std::move(v);
    ++size_;
  }
  /// Appends element(k) for k in [0, n), a chunk at a time (element(k) gives
  /// something assignable to T).
  template <class Element>
  void append(std::size_t n, Element&& element) {
    append_chunks(n, [&element](std::span<T> slots, std::size_t k) {
      for (std::size_t j = 0; j < slots.size(); ++j) slots[j] = element(k + j);
    });
  }
  /// Appends n elements, a chunk at a time: fill(slots, k) writes elements
  /// k .. k + slots.size() - 1 into `slots` (std::span<T>, value-initialized).
  template <class Fill>
  void append_chunks(std::size_t n, Fill&& fill) {
    std::size_t k = 0;
    while (k < n) {
      T* dst = &next_slot();
      const std::size_t room = ChunkSize - (head_ + size_) % ChunkSize;
      const std::size_t take = room < n - k ? room : n - k;
      fill(std::span<T>(dst, take), k);
      size_ += take;
      k += take;
    }
  }

  /// Keeps the first n elements (n <= size()); the rest are released.
  void truncate(std::size_t n) {
    COHORT_ASSERT(n <= size_, "chunked_vector::truncate past the end");
    for (std::size_t i = n; i < size_; ++i) slot(i) = T{};
    size_ = n;
    const std::size_t used = (head_ + size_ + ChunkSize - 1) / ChunkSize;
    if (size_ == 0) {
      chunks_.clear();
      head_ = 0;
    } else {
      chunks_.resize(used);
    }
  }

  /// Releases the first n elements (n <= size()); chunks left empty are freed.
  void drop_front(std::size_t n) {
    COHORT_ASSERT(n <= size_, "chunked_vector::drop_front past the end");
    if (n == size_) {
      clear();
      return;
    }
    for (std::size_t i = 0; i < n; ++i) slot(i) = T{};
    head_ += n;
    size_ -= n;
    const std::size_t whole = head_ / ChunkSize;
    if (whole > 0) {
      chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(whole));
      head_ -= whole * ChunkSize;
    }
  }

  void clear() noexcept {
    chunks_.clear();
    head_ = 0;
    size_ = 0;
  }

 private:
  static std::unique_ptr<T[]> new_chunk() { return std::make_unique<T[]>(ChunkSize); }
  /// The (empty) slot of element size(), adding a chunk when needed; elements
  /// never move, so a reference into this container stays valid meanwhile.
  T& next_slot() {
    const std::size_t p = head_ + size_;
    if (p == chunks_.size() * ChunkSize) chunks_.push_back(new_chunk());
    return chunks_[p / ChunkSize][p % ChunkSize];
  }
  T& slot(std::size_t i) const noexcept {
    const std::size_t p = head_ + i;
    return chunks_[p / ChunkSize][p % ChunkSize];
  }

  std::vector<std::unique_ptr<T[]>> chunks_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace cohort
