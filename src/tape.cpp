// tape.cpp - the non-template parts of the tape, and its instantiations for
// the built-in floating-point types.
#include "slope/tape.hpp"
#include "slope/var.hpp"

#include <fmt/format.h>

namespace slope {
namespace detail {

std::uint32_t next_epoch() noexcept {
  // A per-thread linear congruential sequence (full period modulo 2^32), so
  // consecutive tags on a thread never repeat within 2^32 recordings. It starts
  // at a point derived from this thread's own storage, so sequences of
  // different threads start apart. No state is shared between threads.
  static thread_local std::uint32_t state = [] {
    static thread_local char anchor;
    const auto a = reinterpret_cast<std::uintptr_t>(&anchor);
    return static_cast<std::uint32_t>(a ^ (a >> 32)) * 2654435761u;
  }();
  // Never 0 or ~0: 0 is the tag of constants, and neither a recording's tag
  // nor its complement (Tape::verify_tracing) may equal it.
  do
    state = state * 1664525u + 1013904223u;
  while (state == 0 || state == ~std::uint32_t(0));
  return state;
}

void throw_no_tape(const char* what) {
  throw tape_error(fmt::format(
      "slope: {} needs a tape, but no slope::Tape of this scalar type is active on this "
      "thread; construct one (slope::Tape tape;) before creating or combining Vars",
      what));
}

void throw_foreign(const char* what, std::uint32_t index, std::uint32_t tag, std::uint32_t epoch,
                   std::size_t size) {
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

void throw_not_input(std::uint32_t index) {
  throw tape_error(fmt::format(
      "slope: derivatives with respect to a Var that is not an input (statement {}): slope "
      "differentiates with respect to inputs, the Vars constructed from numbers; to get a "
      "derivative with respect to an intermediate value, make that value an input",
      index));
}

void throw_full(std::size_t statements, std::size_t operands) {
  throw tape_error(fmt::format(
      "slope: the tape is full ({} statements, {} operands): its 32-bit indices cannot address "
      "more; reset it or split the computation",
      statements, operands));
}

}  // namespace detail

template class Tape<float>;
template class Tape<double>;
template class Tape<long double>;

}  // namespace slope
