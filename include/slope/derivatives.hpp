// derivatives.hpp - asking a recording for derivatives.
//
//     auto [dx, dw] = slope::derivatives(y, slope::wrt(x, w));
//     std::vector<double> g = slope::gradient(y, xs);
//     auto [value, grad] = slope::value_and_gradient(f, std::vector{0.1, 0.2});
//
// Each call runs one reverse sweep on the thread's active tape, starting from
// zero adjoints: asking twice gives the same numbers.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "slope/var.hpp"

namespace slope {

/// The variables to differentiate with respect to; made by wrt(x, y, ...).
template <class T, std::size_t N>
struct Wrt {
  std::array<Var<T>, N> vars;
};

/// Names the variables for derivatives(y, wrt(x1, x2, ...)).
template <class T, class... Vs>
  requires(std::same_as<std::remove_cvref_t<Vs>, Var<T>> && ...)
Wrt<T, 1 + sizeof...(Vs)> wrt(const Var<T>& x, const Vs&... xs) {
  return {{x, xs...}};
}

namespace detail {
/// d(swept output)/dx for an input x of the tape's recording; throws
/// slope::tape_error for anything else (a constant, an intermediate result,
/// a Var of another recording).
template <class T>
SLOPE_INLINE T adjoint_of(const Tape<T>& tape, const Var<T>& x) {
  return tape.input_adjoint(x);
}

/// For a constant output (no sweep, every derivative 0): throws
/// slope::tape_error unless x is an input, as adjoint_of would.
template <class T>
void require_input(const Var<T>& x) {
  if (x.is_constant()) throw_constant_wrt();
  if (!x.is_input()) throw_not_input(x.index(), false);
}

/// Sweeps the active tape from y. Returns nullptr if y is a constant (then
/// every derivative is 0 and no tape is needed).
template <class T>
const Tape<T>* sweep_from(const Var<T>& y) {
  if (y.is_constant()) return nullptr;
  Tape<T>& tape = Tape<T>::current("derivatives");
  tape.verify(y.index(), y.tag(), "derivatives of a Var");
  tape.sweep(y.index(), y.partial());
  return &tape;
}
}  // namespace detail

/// dy/dx_i for each x_i of wrt(...), as a std::array (structured bindings:
/// `auto [dx, dw] = derivatives(y, wrt(x, w));`). Each x_i must be an input
/// (a Var constructed from a number, or a copy of one); an input y does not
/// depend on gets 0. Differentiating with respect to anything else (an
/// intermediate result, a constant, a Var of another recording) throws
/// slope::tape_error: make it an input instead.
template <class T, std::size_t N>
std::array<T, N> derivatives(const Var<T>& y, const Wrt<T, N>& xs) {
  std::array<T, N> d{};
  const Tape<T>* tape = detail::sweep_from(y);
  for (std::size_t i = 0; i < N; ++i) {
    if (tape == nullptr) {
      detail::require_input(xs.vars[i]);
      d[i] = T(0);
    } else {
      d[i] = detail::adjoint_of(*tape, xs.vars[i]);
    }
  }
  return d;
}

/// The gradient of y with respect to a runtime list of variables, written into
/// `out` (which must have the same size): no allocation.
template <class T>
void gradient(const Var<T>& y, std::span<const Var<T>> xs, std::span<T> out) {
  if (out.size() != xs.size())
    throw argument_error("slope::gradient: the output span has " + std::to_string(out.size()) +
                         " elements for " + std::to_string(xs.size()) + " variables");
  const Tape<T>* tape = detail::sweep_from(y);
  if (tape == nullptr) {
    for (const Var<T>& x : xs) detail::require_input(x);
    std::fill(out.begin(), out.end(), T(0));
  } else {
    tape->input_adjoints(xs, out);
  }
}

/// The gradient of y with respect to a runtime list of variables.
template <class T>
std::vector<T> gradient(const Var<T>& y, std::span<const Var<T>> xs) {
  std::vector<T> g(xs.size());
  gradient(y, xs, std::span<T>(g));
  return g;
}
template <class T>
std::vector<T> gradient(const Var<T>& y, const std::vector<Var<T>>& xs) {
  return gradient(y, std::span<const Var<T>>(xs));
}

/// A function value and its gradient.
template <class T>
struct ValueAndGradient {
  T value;
  std::vector<T> gradient;
};

/// f(x) and its gradient, for a callable f taking `const std::vector<Var<T>>&`
/// (a generic lambda, say) and returning a Var<T> or a plain number. `tape` is
/// reset, made active for the call, and left holding the recording; the
/// previously active tape is active again afterwards.
template <class F, class T>
ValueAndGradient<T> value_and_gradient(F&& f, std::span<const T> x, Tape<T>& tape) {
  Tape<T>* const previous = Tape<T>::active();
  tape.activate();  // throws if the tape is active on another thread
  struct Activation {  // restores the previously active tape, even on throw
    Tape<T>* previous;
    Tape<T>& tape;
    // Both tapes are on this thread's stack, so neither call throws.
    ~Activation() {
      if (previous == &tape) return;
      if (previous != nullptr)
        previous->activate();
      else
        tape.deactivate();
    }
  } activation{previous, tape};
  tape.reset();
  const std::vector<Var<T>> vars = slope::inputs(x);
  const auto y = f(std::as_const(vars));
  ValueAndGradient<T> r{T{}, std::vector<T>(x.size())};
  if constexpr (is_var_v<decltype(y)>) {
    r.value = y.value();
    gradient(y, std::span<const Var<T>>(vars), std::span<T>(r.gradient));
  } else {
    r.value = T(y);  // f does not depend on x: the gradient is 0
  }
  return r;
}

/// f(x) and its gradient, recorded on a tape of its own.
template <class F, class T>
ValueAndGradient<T> value_and_gradient(F&& f, std::span<const T> x) {
  Tape<T> tape;
  return value_and_gradient(std::forward<F>(f), x, tape);
}
template <class F, class T>
ValueAndGradient<T> value_and_gradient(F&& f, const std::vector<T>& x) {
  return value_and_gradient(std::forward<F>(f), std::span<const T>(x));
}
template <class F, class T>
ValueAndGradient<T> value_and_gradient(F&& f, const std::vector<T>& x, Tape<T>& tape) {
  return value_and_gradient(std::forward<F>(f), std::span<const T>(x), tape);
}

}  // namespace slope
