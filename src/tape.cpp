// tape.cpp - the non-template parts of the tape, and its instantiations for
// the built-in floating-point types.
#include "slope/tape.hpp"
#include "slope/var.hpp"

#include <atomic>
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace slope {
namespace detail {

namespace {
// The process's one source of recording tags: the start of the next block.
// Tags are handed out to threads a block at a time, so that the shared
// counter is touched once per epoch_block recordings of a thread.
std::atomic<std::uint64_t> next_block{1};

struct EpochBlock {
  std::uint64_t next = 0, end = 0;  // [next, end) is this thread's to hand out
};
thread_local EpochBlock block;  // trivially destructible: no guard on access
}  // namespace

std::uint64_t next_epoch() {
  if (block.next == block.end) [[unlikely]] {
    std::uint64_t start = next_block.load(std::memory_order_relaxed);
    do {
      if (start > epoch_limit - epoch_block)
        throw tape_error(fmt::format(
            "slope: this process has used all {} recording tags (one per tape construction or "
            "reset); tags are never reused, so no new recording can start",
            epoch_limit - epoch_block));
    } while (!next_block.compare_exchange_weak(start, start + epoch_block,
                                                 std::memory_order_relaxed));
    block = {start, start + epoch_block};
  }
  return block.next++;
}

std::uint64_t set_epoch_counter(std::uint64_t next) noexcept {
  block = {};
  return next_block.exchange(next, std::memory_order_relaxed);
}

void throw_no_tape(const char* what) {
  throw tape_error(fmt::format(
      "slope: {} needs a tape, but no slope::Tape of this scalar type is active on this "
      "thread; construct one (slope::Tape tape;) before creating or combining Vars",
      what));
}

void throw_foreign(const char* what, std::uint32_t index, std::uint64_t tag, std::uint64_t epoch,
                   std::size_t size) {
  if (tag == 0 && index != 0)
    throw tape_error(fmt::format(
        "slope: {}: a Var (statement {}) that was moved from: it owned its statement, which "
        "went to the Var it was moved into (and may have grown since); assign it before using it",
        what, index));
  if (tag == epoch)
    throw tape_error(fmt::format(
        "slope: {}: statement index {} is not on the active tape, which holds {} statements",
        what, index, size));
  throw tape_error(fmt::format(
      "slope: {}: a Var (statement {}) does not belong to the active tape's current recording; "
      "it was recorded on another tape, or on this one before reset(), and cannot be used now",
      what, index));
}

void throw_size_mismatch(const char* what, std::size_t a, std::size_t b) {
  throw argument_error(fmt::format("slope::{}: the operands have different sizes, {} and {}", what, a, b));
}

void throw_matrix_index(std::size_t i, std::size_t j, std::size_t rows, std::size_t cols) {
  throw argument_error(fmt::format("slope::Matrix: the element ({}, {}) is out of range for a {} x {} matrix", i, j, rows, cols));
}

void throw_not_input(std::uint32_t index, bool statement_is_input) {
  throw tape_error(fmt::format(
      "slope: derivatives with respect to a Var that is not an input: it is {} {}; slope "
      "differentiates with respect to inputs, the Vars constructed from numbers (and their "
      "copies); to get a derivative with respect to an intermediate value, make that value an "
      "input",
      statement_is_input ? "an intermediate result computed from the input at statement"
                         : "the result of an operation, a function of statement",
      index));
}

void throw_constant_wrt() {
  throw tape_error(
      "slope: derivatives with respect to a constant (a Var made by Var::constant, "
      "default-constructed, or computed from constants only): it is not an input, so no "
      "derivative with respect to it is recorded; construct it from a number (Var x = 0.5;) to "
      "differentiate with respect to it");
}

void throw_other_thread(const char* what) {
  throw tape_error(fmt::format(
      "slope: Tape::{} on a thread other than the one whose stack of tapes the tape is on; "
      "deactivate() it on that thread first",
      what));
}

void terminate_foreign_destruction() noexcept {
  std::fputs(
      "slope: a slope::Tape was destroyed on a thread other than the one on which it is "
      "active; that thread would keep a dangling pointer to it. Deactivate a tape on its "
      "thread (or let that thread end) before destroying it elsewhere. Terminating.\n",
      stderr);
  std::terminate();
}

void throw_reserve(std::size_t statements, std::size_t operands, std::size_t recorded_statements,
                   std::size_t recorded_operands) {
  throw tape_error(fmt::format(
      "slope: Tape::reserve({}, {}): with the {} statements and {} operands recorded, that is "
      "more than the tape's 32-bit indices can address (4,294,967,280 of each); the tape is "
      "unchanged",
      statements, operands, recorded_statements, recorded_operands));
}

void throw_full(std::size_t statements, std::size_t operands) {
  throw tape_error(fmt::format(
      "slope: the tape is full ({} statements, {} operands): its 32-bit indices cannot address "
      "more; reset it or split the computation",
      statements, operands));
}

void throw_anomaly(std::size_t statement, std::string_view name, const std::string& message) {
  throw anomaly_error(message, statement, std::string(name));
}

std::string number_string(double x) { return fmt::format("{}", x); }
std::string number_string(long double x) { return fmt::format("{}", x); }

// The tape's mapped pages (buffer.hpp). Private anonymous mappings: zero
// pages that take physical memory when first written.
#if defined(__linux__)
void* map_pages(std::size_t bytes) {
  void* pages = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) throw std::bad_alloc();
  return pages;
}
void* remap_pages(void* pages, std::size_t old_bytes, std::size_t new_bytes) {
  // Grows in place, or moves the pages (their page-table entries, not their
  // contents) to a free range; on failure the old mapping is untouched.
  void* moved = ::mremap(pages, old_bytes, new_bytes, MREMAP_MAYMOVE);
  if (moved == MAP_FAILED) throw std::bad_alloc();
  return moved;
}
void unmap_pages(void* pages, std::size_t bytes) noexcept { ::munmap(pages, bytes); }
std::size_t page_bytes() noexcept {
  static const std::size_t bytes = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return bytes;
}
#else
void* map_pages(std::size_t) { throw std::bad_alloc(); }
void* remap_pages(void*, std::size_t, std::size_t) { throw std::bad_alloc(); }
void unmap_pages(void*, std::size_t) noexcept {}
std::size_t page_bytes() noexcept { return 4096; }
#endif

}  // namespace detail

template class Tape<float>;
template class Tape<double>;
template class Tape<long double>;

}  // namespace slope
