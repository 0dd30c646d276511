// cohort/core/bytes.hpp - an immutable, cheaply shared byte buffer.
//
// `bytes` owns (a share of) an immutable block of bytes and views a range of
// it. Copying a `bytes` never copies the payload and never allocates: it bumps
// an atomic reference count, so a payload proposed once can sit in the leader's
// log, in several append messages and in the applied state without copies, and
// may be handed to another thread (the count is atomic; the bytes are
// immutable). `slice()` gives a view of a sub-range sharing the same block.
//
// Invariants: `size() == 0` implies nothing is referenced (`data()` may be
// null); otherwise [data(), data() + size()) lies inside a live block whose
// count includes this object.
//
// The only allocations are in `copy_of` and `build` (one block each).
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include "cohort/core/assert.hpp"

namespace cohort {

/// A non-owning view of bytes.
using bytes_view = std::span<const std::byte>;

/// An immutable, reference-counted byte buffer; see the file comment.
class bytes {
 public:
  /// The empty buffer; no allocation.
  constexpr bytes() noexcept = default;

  /// A buffer holding a copy of `src` (one allocation; none when empty).
  static bytes copy_of(bytes_view src) {
    return build(src.size(), [&](std::span<std::byte> out) {
      if (!src.empty()) std::memcpy(out.data(), src.data(), src.size());
    });
  }
  static bytes copy_of(std::string_view src) { return copy_of(std::as_bytes(std::span(src.data(), src.size()))); }

  /// A buffer of `n` bytes written once by `fill(std::span<std::byte>)`, then frozen.
  template <class Fill>
    requires std::is_invocable_v<Fill&, std::span<std::byte>>
  static bytes build(std::size_t n, Fill&& fill) {
    bytes b;
    if (n == 0) return b;
    void* raw = ::operator new(sizeof(block) + n);
    auto* blk = ::new (raw) block{};
    auto* data = reinterpret_cast<std::byte*>(blk + 1);
    b.blk_ = blk;  // owned from here on, even if fill throws
    b.data_ = data;
    b.size_ = n;
    fill(std::span<std::byte>(data, n));
    return b;
  }

  bytes(const bytes& o) noexcept : blk_(o.blk_), data_(o.data_), size_(o.size_) { retain(); }
  bytes(bytes&& o) noexcept
      : blk_(std::exchange(o.blk_, nullptr)), data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  bytes& operator=(const bytes& o) noexcept {
    bytes tmp(o);
    swap(tmp);
    return *this;
  }
  bytes& operator=(bytes&& o) noexcept {
    if (this != &o) {
      release();
      blk_ = std::exchange(o.blk_, nullptr);
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~bytes() { release(); }

  /// Becomes empty, dropping this share of the block.
  void reset() noexcept { release(); }

  void swap(bytes& o) noexcept {
    std::swap(blk_, o.blk_);
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
  }
  friend void swap(bytes& a, bytes& b) noexcept { a.swap(b); }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] const std::byte* data() const noexcept { return data_; }
  [[nodiscard]] const std::byte* begin() const noexcept { return data_; }
  [[nodiscard]] const std::byte* end() const noexcept { return data_ + size_; }
  [[nodiscard]] bytes_view view() const noexcept { return {data_, size_}; }
  operator bytes_view() const noexcept { return view(); }  // NOLINT: a view of owned bytes
  [[nodiscard]] std::string_view as_string_view() const noexcept {
    return {reinterpret_cast<const char*>(data_), size_};
  }
  // The members with a precondition are not noexcept: a replaced assertion
  // handler may throw (see assert.hpp).
  std::byte operator[](std::size_t i) const {
    COHORT_ASSERT(i < size_, "bytes index out of range");
    return data_[i];
  }

  /// A view of [offset, offset + length) sharing this buffer; requires offset + length <= size().
  [[nodiscard]] bytes slice(std::size_t offset, std::size_t length) const {
    COHORT_ASSERT(offset <= size_ && length <= size_ - offset, "bytes::slice out of range");
    if (length == 0) return bytes{};
    bytes b(*this);
    b.data_ += offset;
    b.size_ = length;
    return b;
  }
  /// A view of [offset, size()).
  [[nodiscard]] bytes slice(std::size_t offset) const {
    COHORT_ASSERT(offset <= size_, "bytes::slice out of range");
    return slice(offset, size_ - offset);
  }

  /// Makes each dst(k), for k in [0, n), share the buffer of src(k) (as a
  /// copy would), updating a block's count once for each run of neighbours
  /// that share it: the entries of one batch are often slices of one
  /// received frame or one slab. src(k) gives a `const bytes&`, dst(k) a
  /// `bytes&` that must be empty (a fresh or moved-from slot: checked in
  /// debug builds; a non-empty one would keep its share forever).
  template <class Src, class Dst>
  static void share_each(std::size_t n, Src&& src, Dst&& dst) noexcept {
    block* run = nullptr;
    std::size_t count = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const bytes& s = src(k);
      bytes& d = dst(k);
      COHORT_DEBUG_ASSERT(d.blk_ == nullptr, "bytes::share_each into a buffer that is not empty");
      d.blk_ = s.blk_;
      d.data_ = s.data_;
      d.size_ = s.size_;
      if (s.blk_ == nullptr) continue;
      if (s.blk_ != run) {
        if (run != nullptr) __atomic_fetch_add(&run->refs, count, __ATOMIC_RELAXED);
        run = s.blk_;
        count = 0;
      }
      ++count;
    }
    if (run != nullptr) __atomic_fetch_add(&run->refs, count, __ATOMIC_RELAXED);
  }
  /// Empties each of get(k), for k in [0, n) (get(k) gives a `bytes&`),
  /// updating a block's count once for each run of neighbours that share it.
  template <class Get>
  static void reset_each(std::size_t n, Get&& get) noexcept {
    block* run = nullptr;
    std::size_t count = 0;
    for (std::size_t k = 0; k < n; ++k) {
      bytes& b = get(k);
      if (b.blk_ == nullptr) continue;
      if (b.blk_ != run) {
        if (run != nullptr) drop_references(run, count);
        run = b.blk_;
        count = 0;
      }
      ++count;
      b.blk_ = nullptr;
      b.data_ = nullptr;
      b.size_ = 0;
    }
    if (run != nullptr) drop_references(run, count);
  }

  /// How many `bytes` objects share this block (0 when empty); for tests and diagnostics.
  [[nodiscard]] std::size_t use_count() const noexcept {
    return blk_ ? __atomic_load_n(&blk_->refs, __ATOMIC_RELAXED) : 0;
  }
  /// Whether both view the same range of the same block (identity, not content).
  [[nodiscard]] bool shares_with(const bytes& o) const noexcept { return blk_ == o.blk_ && data_ == o.data_; }

  /// Content equality.
  friend bool operator==(const bytes& a, const bytes& b) noexcept {
    return a.size_ == b.size_ && (a.data_ == b.data_ || a.size_ == 0 || std::memcmp(a.data_, b.data_, a.size_) == 0);
  }

 private:
  struct block {
    // Atomic through the GCC/Clang builtins rather than std::atomic: <atomic>
    // costs half a second of compile time in every file that includes cohort.
    std::size_t refs = 1;
  };
  static_assert(alignof(block) <= alignof(std::max_align_t));

  void retain() const noexcept {
    if (blk_) __atomic_fetch_add(&blk_->refs, 1, __ATOMIC_RELAXED);
  }
  // The empty check stays inline (moved-from and empty buffers are common on
  // hot paths); only a shared block pays for the atomic update.
  void release() noexcept {
    if (blk_ != nullptr) {
      drop_reference(blk_);
      blk_ = nullptr;
      data_ = nullptr;
      size_ = 0;
    }
  }
  static void drop_reference(block* blk) noexcept { drop_references(blk, 1); }
  /// Drops k of the block's references (the caller holds at least k).
  static void drop_references(block* blk, std::size_t k) noexcept {
    if (__atomic_fetch_sub(&blk->refs, k, __ATOMIC_ACQ_REL) == k) {
      blk->~block();
      ::operator delete(static_cast<void*>(blk));
    }
  }

  block* blk_ = nullptr;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace cohort
