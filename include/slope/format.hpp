// format.hpp - fmt support.
//
//     fmt::print("{:.3f}", x);     // a Var's value, with the format spec applied
//     fmt::print("{}", tape);      // the statements of a tape, one per line
//     fmt::print("{:.4g}", H);     // a Matrix (a Hessian, a Jacobian), row by row
//
// A tape prints as a table: index, operation (the primitive's name for
// statements recorded while tracing, see Tape::trace), value (when known),
// adjoint (after a sweep) and the operands as `statement: partial` pairs. It
// is for debugging small graphs: every statement is listed.
#pragma once

#include <iomanip>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "slope/derivatives.hpp"
#include "slope/var.hpp"

namespace slope::detail {
/// x with `digits` significant digits, in T's own precision and range (a
/// long double of 1e400 is not printed as inf); types fmt does not know
/// (multiprecision numbers) go through their operator<<.
template <class T>
std::string short_number(const T& x, int digits) {
  if constexpr (std::is_floating_point_v<T>) {
    return fmt::format("{:.{}g}", x, digits);
  } else {
    std::ostringstream out;
    out << std::setprecision(digits) << x;
    return out.str();
  }
}
}  // namespace slope::detail

template <class T, class Char>
struct fmt::formatter<slope::Var<T>, Char> : fmt::formatter<T, Char> {
  template <class FormatContext>
  auto format(const slope::Var<T>& x, FormatContext& ctx) const -> decltype(ctx.out()) {
    return fmt::formatter<T, Char>::format(x.value(), ctx);
  }
};

/// A Matrix prints as rows of its elements, each with the format spec, one
/// row per line: fmt::print("{:.3f}", H) gives
///     [[1.000, 0.500],
///      [0.500, 2.000]]
template <class T, class Char>
struct fmt::formatter<slope::Matrix<T>, Char> : fmt::formatter<T, Char> {
  template <class FormatContext>
  auto format(const slope::Matrix<T>& m, FormatContext& ctx) const -> decltype(ctx.out()) {
    auto out = ctx.out();
    *out++ = '[';
    for (std::size_t i = 0; i < m.rows(); ++i) {
      if (i != 0) out = fmt::format_to(out, ",\n ");
      *out++ = '[';
      for (std::size_t j = 0; j < m.cols(); ++j) {
        if (j != 0) out = fmt::format_to(out, ", ");
        ctx.advance_to(out);
        out = fmt::formatter<T, Char>::format(m(i, j), ctx);
      }
      *out++ = ']';
    }
    *out++ = ']';
    return out;
  }
};

template <class T>
struct fmt::formatter<slope::Tape<T>> {
  constexpr auto parse(fmt::format_parse_context& ctx) -> decltype(ctx.begin()) {
    auto it = ctx.begin();
    if (it != ctx.end() && *it != '}')
      throw fmt::format_error("slope::Tape takes no format spec: print it with \"{}\"");
    return it;
  }

  template <class FormatContext>
  auto format(const slope::Tape<T>& tape, FormatContext& ctx) const -> decltype(ctx.out()) {
    using index_type = typename slope::Tape<T>::index_type;
    auto out = ctx.out();
    const auto ends = tape.statement_ends();
    const auto args = tape.operand_indices();
    const auto partials = tape.partials();
    const std::size_t n = tape.size();
    out = fmt::format_to(out, "slope::Tape: {} statement{}, {} operand{}{}\n", n,
                         n == 1 ? "" : "s", tape.operands(), tape.operands() == 1 ? "" : "s",
                         tape.tracing() ? " (tracing)" : "");
    if (n == 0) return out;
    out = fmt::format_to(out, "{:>6}  {:<12} {:>12} {:>12}  {}\n", "#", "operation", "value",
                         "adjoint", "operands (statement: partial)");
    for (std::size_t i = 1; i <= n; ++i) {
      const auto idx = static_cast<index_type>(i);
      const std::string_view op = tape.name(idx);
      const std::string value =
          tape.has_value(idx) ? slope::detail::short_number(tape.value(idx), 6) : "";
      const std::string adjoint =
          tape.has_adjoint(idx) ? slope::detail::short_number(tape.adjoint(idx), 6) : "";
      std::string line = fmt::format("{:>6}  {:<12} {:>12} {:>12} ", i, op, value, adjoint);
      for (std::size_t j = ends[i - 1]; j < ends[i]; ++j)
        line += fmt::format(" {}: {}{}", args[j], slope::detail::short_number(partials[j], 6),
                            j + 1 < ends[i] ? "," : "");
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out = fmt::format_to(out, "{}\n", line);
    }
    return out;
  }
};
