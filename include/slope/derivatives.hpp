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

namespace detail {
/// Makes `tape` the active tape for a scope and makes the previously active
/// tape (if any) active again when the scope ends, even on throw.
template <class T>
class ActiveScope {
 public:
  explicit ActiveScope(Tape<T>& tape) : previous_(Tape<T>::active()), tape_(tape) {
    tape.activate();  // throws if the tape is active on another thread
  }
  ActiveScope(const ActiveScope&) = delete;
  ActiveScope& operator=(const ActiveScope&) = delete;
  // Both tapes are on this thread's stack, so neither call throws.
  ~ActiveScope() {
    if (previous_ == &tape_) return;
    if (previous_ != nullptr)
      previous_->activate();
    else
      tape_.deactivate();
  }

 private:
  Tape<T>* previous_;
  Tape<T>& tape_;
};

/// A recording of f at x: the inputs and f's result.
template <class T, class Y>
struct Recording {
  std::vector<Var<T>> inputs;
  Y output;
};

/// Resets `tape` (made active for the call) and records f at x on it.
template <class F, class T>
auto record(F& f, std::span<const T> x, Tape<T>& tape) {
  const ActiveScope<T> scope(tape);
  tape.reset();
  std::vector<Var<T>> vars = slope::inputs(x);
  auto y = f(std::as_const(vars));
  return Recording<T, decltype(y)>{std::move(vars), std::move(y)};
}
}  // namespace detail

/// f(x) and its gradient, for a callable f taking `const std::vector<Var<T>>&`
/// (a generic lambda, say) and returning a Var<T> or a plain number. `tape` is
/// reset, made active for the call, and left holding the recording; the
/// previously active tape is active again afterwards.
template <class F, class T>
ValueAndGradient<T> value_and_gradient(F&& f, std::span<const T> x, Tape<T>& tape) {
  const auto rec = detail::record(f, x, tape);
  ValueAndGradient<T> r{T{}, std::vector<T>(x.size())};
  if constexpr (is_var_v<decltype(rec.output)>) {
    r.value = rec.output.value();
    const detail::ActiveScope<T> scope(tape);
    gradient(rec.output, std::span<const Var<T>>(rec.inputs), std::span<T>(r.gradient));
  } else {
    r.value = T(rec.output);  // f does not depend on x: the gradient is 0
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

// ===================================================== second order ====
// Forward mode runs f on Dual numbers (value and tangent); Hessians run it
// on a tape of Dual numbers (forward-over-reverse): one recording and one
// sweep give the gradient and one Hessian-vector product.

namespace detail {
[[noreturn]] void throw_matrix_index(std::size_t i, std::size_t j, std::size_t rows,
                                     std::size_t cols);
}

/// A dense matrix, row-major: M(i, j), rows(), cols(); fmt-printable
/// (format.hpp). Element access is checked: an index out of range throws
/// slope::argument_error.
template <class T = double>
class Matrix {
 public:
  Matrix() = default;
  /// A rows x cols matrix of zeros.
  Matrix(std::size_t rows, std::size_t cols) : rows_(rows), cols_(cols), data_(rows * cols) {}

  std::size_t rows() const noexcept { return rows_; }
  std::size_t cols() const noexcept { return cols_; }
  T& operator()(std::size_t i, std::size_t j) { return data_[offset(i, j)]; }
  const T& operator()(std::size_t i, std::size_t j) const { return data_[offset(i, j)]; }
  /// Row i, as a span.
  std::span<const T> row(std::size_t i) const {
    if (i >= rows_) detail::throw_matrix_index(i, 0, rows_, cols_);
    return std::span<const T>(data_).subspan(i * cols_, cols_);
  }
  /// The elements, row after row.
  std::span<const T> data() const noexcept { return data_; }
  bool operator==(const Matrix&) const = default;

 private:
  std::size_t offset(std::size_t i, std::size_t j) const {
    if (i >= rows_ || j >= cols_) [[unlikely]]
      detail::throw_matrix_index(i, j, rows_, cols_);
    return i * cols_ + j;
  }
  std::size_t rows_ = 0, cols_ = 0;
  std::vector<T> data_;
};

namespace detail {
template <class T, class Y>
T tangent_of(const Y& y) {
  if constexpr (is_dual_v<Y>)
    return y.tangent();
  else
    return T(0);  // a plain number: f does not depend on its argument
}
template <class T, class Y>
T value_of_result(const Y& y) {
  if constexpr (is_dual_v<Y> || is_var_v<Y>)
    return y.value();
  else
    return T(y);
}
/// x with tangent v, as Dual numbers.
template <class T>
std::vector<Dual<T>> duals(std::span<const T> x, std::span<const T> v) {
  std::vector<Dual<T>> d(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) d[i] = Dual<T>(x[i], v[i]);
  return d;
}
}  // namespace detail

/// df/dx at x for a callable f of one variable (a generic lambda, called
/// with a Dual<T>): forward mode, one evaluation.
template <class F, class T>
  requires std::floating_point<T> || (!std::is_arithmetic_v<T> && !is_var_v<T> && !is_dual_v<T>)
T derivative(F&& f, const T& x) {
  return detail::tangent_of<T>(f(Dual<T>(x, T(1))));
}

/// The Jacobian-vector product J v of f at x (the directional derivative of
/// f along v), for a callable f taking `const std::vector<Dual<T>>&` and
/// returning a Dual<T> (then J v is a number) or a range of them (then a
/// std::vector): forward mode, one evaluation. Throws slope::argument_error
/// if x and v differ in size.
template <class F, class T>
auto jvp(F&& f, std::span<const T> x, std::span<const T> v) {
  if (x.size() != v.size()) detail::throw_size_mismatch("jvp", x.size(), v.size());
  const std::vector<Dual<T>> d = detail::duals(x, v);
  const auto y = f(std::as_const(d));
  using Y = std::remove_cvref_t<decltype(y)>;
  if constexpr (std::ranges::range<Y>) {
    std::vector<T> out;
    for (const auto& yi : y) out.push_back(detail::tangent_of<T>(yi));
    return out;
  } else {
    return detail::tangent_of<T>(y);
  }
}
template <class F, class T>
auto jvp(F&& f, const std::vector<T>& x, const std::vector<T>& v) {
  return jvp(std::forward<F>(f), std::span<const T>(x), std::span<const T>(v));
}

/// The Jacobian J(i, j) = d f_i / d x_j of a callable f taking a
/// `const std::vector<S>&` and returning a range of S (a std::vector, say),
/// as a rows() = m by cols() = n matrix. f is recorded once on a tape of
/// Var<T> (which gives m); with fewer outputs than inputs (m < n) the
/// Jacobian is m reverse sweeps of that recording, one row each, otherwise n
/// forward-mode evaluations of f on Dual<T> numbers, one column each (f must
/// then be callable with Dual<T> as well: a generic lambda is).
template <class F, class T>
Matrix<T> jacobian(F&& f, std::span<const T> x) {
  const std::size_t n = x.size();
  Tape<T> tape;
  const auto rec = detail::record(f, x, tape);
  const std::size_t m = std::ranges::size(rec.output);
  Matrix<T> J(m, n);
  constexpr bool forward_possible = std::invocable<F&, const std::vector<Dual<T>>&>;
  if (m < n || !forward_possible) {
    const detail::ActiveScope<T> scope(tape);
    std::vector<T> row(n);
    std::size_t i = 0;
    for (const auto& yi : rec.output) {
      if constexpr (is_var_v<decltype(yi)>) {
        gradient(yi, std::span<const Var<T>>(rec.inputs), std::span<T>(row));
        for (std::size_t j = 0; j < n; ++j) J(i, j) = row[j];
      }
      ++i;
    }
    return J;
  }
  if constexpr (forward_possible) {
    std::vector<T> e(n, T(0));
    for (std::size_t j = 0; j < n; ++j) {
      e[j] = T(1);
      const std::vector<Dual<T>> d = detail::duals(x, std::span<const T>(e));
      e[j] = T(0);
      const auto y = f(std::as_const(d));
      if (std::ranges::size(y) != m)
        throw argument_error("slope::jacobian: f returned " + std::to_string(m) +
                             " outputs on Vars and " + std::to_string(std::ranges::size(y)) +
                             " on Dual numbers");
      std::size_t i = 0;
      for (const auto& yi : y) J(i++, j) = detail::tangent_of<T>(yi);
    }
  }
  return J;
}
template <class F, class T>
Matrix<T> jacobian(F&& f, const std::vector<T>& x) {
  return jacobian(std::forward<F>(f), std::span<const T>(x));
}

/// A function value, its gradient and its Hessian.
template <class T>
struct ValueGradientAndHessian {
  T value;
  std::vector<T> gradient;
  Matrix<T> hessian;
};

namespace detail {
/// One forward-over-reverse pass: f recorded on `tape` at x with input
/// tangents v, swept once. gradient gets the gradient and hv the
/// Hessian-vector product H v; returns f(x).
template <class F, class T>
T gradient_and_hvp(F& f, std::span<const T> x, std::span<const T> v, Tape<Dual<T>>& tape,
                   std::span<T> gradient, std::span<T> hv) {
  const std::vector<Dual<T>> d = duals(x, v);
  const auto rec = record(f, std::span<const Dual<T>>(d), tape);
  if constexpr (is_var_v<decltype(rec.output)>) {
    std::vector<Dual<T>> g(x.size());
    const ActiveScope<Dual<T>> scope(tape);
    slope::gradient(rec.output, std::span<const Var<Dual<T>>>(rec.inputs),
                    std::span<Dual<T>>(g));
    for (std::size_t i = 0; i < x.size(); ++i) {
      gradient[i] = g[i].value();
      hv[i] = g[i].tangent();
    }
    return rec.output.value().value();
  } else {
    std::fill(gradient.begin(), gradient.end(), T(0));
    std::fill(hv.begin(), hv.end(), T(0));
    return value_of_result<T>(rec.output);
  }
}
}  // namespace detail

/// The Hessian-vector product H v of f at x, for a callable f taking
/// `const std::vector<Var<Dual<T>>>&` (a generic lambda over `const auto&`,
/// as for value_and_gradient) and returning a Var or a plain number:
/// forward-over-reverse, one recording and one reverse sweep on a tape of
/// Dual numbers. Throws slope::argument_error if x and v differ in size.
/// `tape` is reset, made active for the call and left holding the recording
/// (a loop of products on one tape allocates nothing after the first).
template <class F, class T>
std::vector<T> hessian_vector_product(F&& f, std::span<const T> x, std::span<const T> v,
                                      Tape<Dual<T>>& tape) {
  if (x.size() != v.size())
    detail::throw_size_mismatch("hessian_vector_product", x.size(), v.size());
  std::vector<T> g(x.size()), hv(x.size());
  detail::gradient_and_hvp(f, x, v, tape, std::span<T>(g), std::span<T>(hv));
  return hv;
}
/// hessian_vector_product on a tape of its own.
template <class F, class T>
std::vector<T> hessian_vector_product(F&& f, std::span<const T> x, std::span<const T> v) {
  Tape<Dual<T>> tape;
  return hessian_vector_product(std::forward<F>(f), x, v, tape);
}
template <class F, class T>
std::vector<T> hessian_vector_product(F&& f, const std::vector<T>& x, const std::vector<T>& v) {
  return hessian_vector_product(std::forward<F>(f), std::span<const T>(x), std::span<const T>(v));
}

/// f(x), its gradient and its Hessian, for f as for hessian_vector_product:
/// n forward-over-reverse passes (one per input direction) on one tape,
/// reused. The Hessian is made symmetric: H(i, j) and H(j, i) are the mean
/// of the two computed entries (equal in exact arithmetic). `tape` is
/// reset, made active for each pass and left holding the last recording.
template <class F, class T>
ValueGradientAndHessian<T> value_gradient_and_hessian(F&& f, std::span<const T> x,
                                                      Tape<Dual<T>>& tape) {
  const std::size_t n = x.size();
  ValueGradientAndHessian<T> r{T{}, std::vector<T>(n), Matrix<T>(n, n)};
  if (n == 0) {
    std::vector<Dual<T>> none;
    const auto rec = detail::record(f, std::span<const Dual<T>>(none), tape);
    r.value = detail::value_of_result<T>(detail::value_of_result<Dual<T>>(rec.output));
    return r;
  }
  std::vector<T> e(n, T(0)), g(n), column(n);
  for (std::size_t j = 0; j < n; ++j) {
    e[j] = T(1);
    r.value = detail::gradient_and_hvp(f, x, std::span<const T>(e), tape, std::span<T>(g),
                                       std::span<T>(column));
    e[j] = T(0);
    if (j == 0) r.gradient = g;
    for (std::size_t i = 0; i < n; ++i) r.hessian(i, j) = column[i];
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const T mean = (r.hessian(i, j) + r.hessian(j, i)) / T(2);
      r.hessian(i, j) = mean;
      r.hessian(j, i) = mean;
    }
  return r;
}
template <class F, class T>
ValueGradientAndHessian<T> value_gradient_and_hessian(F&& f, std::span<const T> x) {
  Tape<Dual<T>> tape;
  return value_gradient_and_hessian(std::forward<F>(f), x, tape);
}
template <class F, class T>
ValueGradientAndHessian<T> value_gradient_and_hessian(F&& f, const std::vector<T>& x) {
  return value_gradient_and_hessian(std::forward<F>(f), std::span<const T>(x));
}

/// The Hessian of f at x (see value_gradient_and_hessian).
template <class F, class T>
Matrix<T> hessian(F&& f, std::span<const T> x) {
  return value_gradient_and_hessian(std::forward<F>(f), x).hessian;
}
template <class F, class T>
Matrix<T> hessian(F&& f, const std::vector<T>& x) {
  return hessian(std::forward<F>(f), std::span<const T>(x));
}

}  // namespace slope
