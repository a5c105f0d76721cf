// error.hpp - the exceptions slope throws.
//
// Every misuse of the engine (recording with no tape on the thread, mixing
// Vars of two tapes, using a Var after its tape was reset, a tape that
// outgrows its 32-bit index space) throws a subclass of slope::error whose
// message says what happened and what to do about it.
#pragma once

#include <stdexcept>
#include <string>

namespace slope {

/// Base class of every exception slope throws.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An operation needed a tape and none is active on this thread, or a Var was
/// used with a tape it does not belong to (another tape, or a recording that
/// has since been reset).
class tape_error : public error {
 public:
  using error::error;
};

/// A function was called with an argument it cannot handle (a size mismatch,
/// a parameter out of range, a point a checker cannot use).
class argument_error : public error {
 public:
  using error::error;
};

}  // namespace slope
