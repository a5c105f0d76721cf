// error.hpp - the exceptions slope throws.
//
// Every misuse of the engine (recording with no tape on the thread, mixing
// Vars of two tapes, using a Var after its tape was reset, a tape that
// outgrows its 32-bit index space) throws a subclass of slope::error whose
// message says what happened and what to do about it.
#pragma once

#include <stdexcept>
#include <cstddef>
#include <string>
#include <utility>

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

/// Anomaly mode (Tape::detect_anomalies) found an operation whose value or
/// partial became NaN or infinite from finite operands, or a sweep whose
/// adjoint did: what() says which operation, where and with which values.
class anomaly_error : public error {
 public:
  anomaly_error(const std::string& what, std::size_t statement, std::string operation)
      : error(what), statement_(statement), operation_(std::move(operation)) {}
  /// The index of the statement of the operation.
  std::size_t statement() const noexcept { return statement_; }
  /// Its primitive's name ("log", "div", ...).
  const std::string& operation() const noexcept { return operation_; }

 private:
  std::size_t statement_;
  std::string operation_;
};

}  // namespace slope
