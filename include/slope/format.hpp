// format.hpp - fmt support: `fmt::print("{:.3f}", x)` prints a Var's value
// with the format spec applied to it.
#pragma once

#include <fmt/format.h>

#include "slope/var.hpp"

template <class T, class Char>
struct fmt::formatter<slope::Var<T>, Char> : fmt::formatter<T, Char> {
  template <class FormatContext>
  auto format(const slope::Var<T>& x, FormatContext& ctx) const -> decltype(ctx.out()) {
    return fmt::formatter<T, Char>::format(x.value(), ctx);
  }
};
