// buffer.hpp - the tape's arrays: contiguous storage that grows without
// copying what it holds.
//
// A tape's arrays double when they fill up. Doubling a std::vector copies the
// old array into a new one and value-initializes the rest: while it grows,
// the old and the new array are both resident, and every page of the new one
// is written. A recording of 0.72 GB then peaked at 1.2 GB.
//
// detail::Buffer<T> keeps small arrays on the heap (operator new). From
// `map_from` bytes on, and for trivially copyable T on Linux, it holds pages
// mapped from the system (mmap) and grows them with mremap: the kernel
// extends the mapping in place or moves its pages to a larger range of
// addresses, and copies nothing. Pages never written take no physical memory,
// so a grown array costs what is recorded in it, not its capacity. Elsewhere
// (other systems, or a T such as a Boost.Multiprecision number) it grows as a
// vector does: a new array, the old one copied into it.
//
// Either way the storage stays one contiguous array, so the reverse sweep
// streams through it as before.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

namespace slope::detail {

#if defined(__linux__)
inline constexpr bool pages_can_grow = true;  // mremap
#else
inline constexpr bool pages_can_grow = false;
#endif

// The system's pages (src/tape.cpp; Linux only). Each throws std::bad_alloc
// if the system refuses, and then changes nothing.
void* map_pages(std::size_t bytes);
void* remap_pages(void* pages, std::size_t old_bytes, std::size_t new_bytes);
void unmap_pages(void* pages, std::size_t bytes) noexcept;
std::size_t page_bytes() noexcept;

template <class T>
class Buffer {
 public:
  /// From this many bytes on, an array that can be mapped is held in pages
  /// that grow without copying; below it, on the heap (a small tape costs no
  /// system call, and the copy when it moves to pages is at most this big).
  static constexpr std::size_t map_from = std::size_t(1) << 20;
  static constexpr bool mappable = pages_can_grow && std::is_trivially_copyable_v<T> &&
                                   std::is_trivially_destructible_v<T>;

  Buffer() = default;
  explicit Buffer(std::size_t n) { grow(n); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { release(); }

  T* data() const noexcept { return data_; }
  /// Capacity in elements: every one of them may be read and written.
  std::size_t size() const noexcept { return size_; }
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  /// Whether the elements are in mapped pages (for tests and memory reports).
  bool mapped() const noexcept { return mapped_bytes_ != 0; }

  /// Makes room for at least n elements. The first size() keep their
  /// values; the others are valid objects of T, to be written before they
  /// are read. Throws std::bad_alloc if the memory cannot be had, and then
  /// nothing changes. (Not inlined: growth is rare, and inlined into a
  /// constructor GCC 12 at -O3 reports a false -Wstringop-overflow on the
  /// value-initialization.)
  [[gnu::noinline]] void grow(std::size_t n) {
    if (n <= size_) return;
    if constexpr (mappable) {
      if (mapped_bytes_ != 0 || n * sizeof(T) >= map_from) {
        const std::size_t page = page_bytes();
        const std::size_t bytes = (n * sizeof(T) + page - 1) / page * page;
        if (mapped_bytes_ != 0) {
          data_ = static_cast<T*>(remap_pages(data_, mapped_bytes_, bytes));
        } else {
          T* pages = static_cast<T*>(map_pages(bytes));  // zero-filled
          if (size_ != 0) std::memcpy(static_cast<void*>(pages), data_, size_ * sizeof(T));
          release();
          data_ = pages;
        }
        mapped_bytes_ = bytes;
        size_ = bytes / sizeof(T);
        return;
      }
    }
    // On the heap through std::allocator (operator new, as a vector
    // allocates), all n elements constructed.
    std::allocator<T> allocator;
    T* bigger = allocator.allocate(n);
    std::size_t built = 0;
    try {
      std::uninitialized_copy(data_, data_ + size_, bigger);
      built = size_;
      std::uninitialized_value_construct(bigger + size_, bigger + n);
    } catch (...) {
      std::destroy(bigger, bigger + built);
      allocator.deallocate(bigger, n);
      throw;
    }
    release();
    data_ = bigger;
    size_ = heap_elements_ = n;
  }

  /// Undoes a grow(): back to a capacity of exactly n <= size() elements,
  /// keeping the first n. Heap storage keeps its allocation (only size()
  /// changes); mapped pages past the first n elements are returned to the
  /// system.
  void shrink(std::size_t n) noexcept {
    if (n >= size_) return;
    if (mapped_bytes_ != 0) {
      const std::size_t page = page_bytes();
      const std::size_t bytes = (n * sizeof(T) + page - 1) / page * page;
      if (bytes == 0) {
        release();
        return;
      }
      if (bytes < mapped_bytes_)
        unmap_pages(reinterpret_cast<char*>(data_) + bytes, mapped_bytes_ - bytes);
      mapped_bytes_ = bytes;
    }
    size_ = n;
  }

 private:
  void release() noexcept {
    if (mapped_bytes_ != 0) {
      unmap_pages(data_, mapped_bytes_);
    } else if (data_ != nullptr) {
      std::destroy(data_, data_ + heap_elements_);
      std::allocator<T>().deallocate(data_, heap_elements_);
    }
    data_ = nullptr;
    size_ = heap_elements_ = mapped_bytes_ = 0;
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t heap_elements_ = 0;  // on the heap: how many were allocated (>= size_)
  std::size_t mapped_bytes_ = 0;   // 0: on the heap
};

}  // namespace slope::detail
