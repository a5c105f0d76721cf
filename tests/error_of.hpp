// error_of.hpp - a test helper: the message of the slope::tape_error a call
// throws.
#pragma once

#include <string>

#include <slope/error.hpp>

namespace slope_test {
/// What f throws as a slope::tape_error, or "(no exception)".
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const slope::tape_error& e) {
    return e.what();
  }
  return "(no exception)";
}
}  // namespace slope_test
