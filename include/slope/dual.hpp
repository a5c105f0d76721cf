// dual.hpp - Dual<T>, the forward-mode number: a value and a tangent.
//
//     slope::Dual<double> x(0.5, 1.0);   // x = 0.5, dx = 1
//     auto y = slope::sigmoid(x * x);    // y.tangent() = dy/dx at 0.5
//
// A Dual carries v + d eps with eps^2 = 0: arithmetic on it carries the
// directional derivative d along with the value. Every primitive of the
// table applies to a Dual through the same rules the tape uses (the value
// and the first derivative in T, from the block), so forward mode is exactly
// as accurate as reverse mode.
//
// As the scalar of a tape (Tape<Dual<T>>, Var<Dual<T>>) it gives
// forward-over-reverse: a reverse sweep of a recording made with input
// tangents v yields the gradient in the values and the Hessian-vector
// product H v in the tangents (slope::hessian_vector_product). The partial
// of a primitive is then a Dual too: f'(x) + f''(x) dx eps, where f'' is the
// block's `second_derivative(x, y, dy)` rule (every built-in block has one),
// or, for a block without one, dual arithmetic on its `derivative` formula.
//
// The engine's tests on a scalar (is it zero, is it finite, may a product
// be folded into a partial) look at every component of a Dual: a partial
// that is 0 in value but has a tangent is not zero.
//
// A Dual's components are plain numbers (float, double, long double,
// Boost.Multiprecision): Dual<Dual<T>> and Dual<Var<T>> are refused.
#pragma once

#include <array>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <ostream>
#include <type_traits>

#include "slope/config.hpp"
#include "slope/primitives.hpp"

namespace slope {

template <class T = double>
class Dual;

template <class X>
struct is_dual : std::false_type {};
template <class T>
struct is_dual<Dual<T>> : std::true_type {};
template <class X>
inline constexpr bool is_dual_v = is_dual<std::remove_cvref_t<X>>::value;

template <class T>
class Var;
namespace detail {
template <class X>
struct is_var_type : std::false_type {};
template <class T>
struct is_var_type<Var<T>> : std::true_type {};
}  // namespace detail

/// A forward-mode number: value v and tangent d (the derivative of v along
/// one direction). Comparisons compare values. Constructed from a number, it
/// is a constant (tangent 0).
template <class T>
class Dual {
  static_assert(!is_dual_v<T> && !detail::is_var_type<std::remove_cvref_t<T>>::value,
                "slope: a Dual's components must be plain numbers (float, double, long "
                "double, Boost.Multiprecision): for second derivatives use slope::hessian or "
                "slope::hessian_vector_product (a tape of Dual<T>)");

 public:
  using value_type = T;

  constexpr Dual() = default;
  /// A constant: tangent 0.
  constexpr Dual(const T& value) : v_(value) {}  // NOLINT: implicit, as for a double
  /// A constant from another arithmetic type.
  template <class U>
    requires(std::is_arithmetic_v<U> && !std::same_as<U, T>)
  constexpr Dual(U value) : v_(T(value)) {}  // NOLINT
  constexpr Dual(const T& value, const T& tangent) : v_(value), d_(tangent) {}

  constexpr const T& value() const noexcept { return v_; }
  constexpr const T& tangent() const noexcept { return d_; }

  Dual& operator+=(const Dual& b) {
    v_ += b.v_;
    d_ += b.d_;
    return *this;
  }
  Dual& operator-=(const Dual& b) {
    v_ -= b.v_;
    d_ -= b.d_;
    return *this;
  }
  Dual& operator*=(const Dual& b) { return *this = *this * b; }
  Dual& operator/=(const Dual& b) { return *this = *this / b; }

  friend Dual operator+(const Dual& a) { return a; }
  friend Dual operator-(const Dual& a) { return {-a.v_, -a.d_}; }
  friend Dual operator+(const Dual& a, const Dual& b) { return {a.v_ + b.v_, a.d_ + b.d_}; }
  friend Dual operator-(const Dual& a, const Dual& b) { return {a.v_ - b.v_, a.d_ - b.d_}; }
  friend Dual operator*(const Dual& a, const Dual& b) {
    return {a.v_ * b.v_, a.v_ * b.d_ + a.d_ * b.v_};
  }
  /// (a/b)' = (a' - (a/b) b') / b.
  friend Dual operator/(const Dual& a, const Dual& b) {
    const T q = a.v_ / b.v_;
    return {q, (a.d_ - q * b.d_) / b.v_};
  }
  // With a plain number on one side, so that `2.0 * x` needs no conversion.
  friend Dual operator+(const Dual& a, const T& b) { return {a.v_ + b, a.d_}; }
  friend Dual operator+(const T& a, const Dual& b) { return {a + b.v_, b.d_}; }
  friend Dual operator-(const Dual& a, const T& b) { return {a.v_ - b, a.d_}; }
  friend Dual operator-(const T& a, const Dual& b) { return {a - b.v_, -b.d_}; }
  friend Dual operator*(const Dual& a, const T& b) { return {a.v_ * b, a.d_ * b}; }
  friend Dual operator*(const T& a, const Dual& b) { return {a * b.v_, a * b.d_}; }
  friend Dual operator/(const Dual& a, const T& b) { return {a.v_ / b, a.d_ / b}; }
  friend Dual operator/(const T& a, const Dual& b) { return Dual(a) / b; }

  friend bool operator==(const Dual& a, const Dual& b) { return a.v_ == b.v_; }
  friend bool operator<(const Dual& a, const Dual& b) { return a.v_ < b.v_; }
  friend bool operator<=(const Dual& a, const Dual& b) { return a.v_ <= b.v_; }
  friend bool operator>(const Dual& a, const Dual& b) { return a.v_ > b.v_; }
  friend bool operator>=(const Dual& a, const Dual& b) { return a.v_ >= b.v_; }

  friend std::ostream& operator<<(std::ostream& os, const Dual& x) {
    return os << x.v_ << (x.d_ < T(0) ? " - " : " + ") << (x.d_ < T(0) ? T(-x.d_) : x.d_)
              << "eps";
  }

 private:
  T v_{};
  T d_{};
};

// Arithmetic with other arithmetic types (a Dual<long double> times 2.0).
template <class T, class U>
  requires(std::is_arithmetic_v<U> && !std::same_as<U, T>)
Dual<T> operator+(const Dual<T>& a, U b) { return a + T(b); }
template <class T, class U>
  requires(std::is_arithmetic_v<U> && !std::same_as<U, T>)
Dual<T> operator+(U a, const Dual<T>& b) { return T(a) + b; }
template <class T, class U>
  requires(std::is_arithmetic_v<U> && !std::same_as<U, T>)
Dual<T> operator-(const Dual<T>& a, U b) { return a - T(b); }
template <class T, class U>
  requires(std::is_arithmetic_v<U> && !std::same_as<U, T>)
Dual<T> operator-(U a, const Dual<T>& b) { return T(a) - b; }
template <class T, class U>
  requires(std::is_arithmetic_v<U> && !std::same_as<U, T>)
Dual<T> operator*(const Dual<T>& a, U b) { return a * T(b); }
template <class T, class U>
  requires(std::is_arithmetic_v<U> && !std::same_as<U, T>)
Dual<T> operator*(U a, const Dual<T>& b) { return T(a) * b; }
template <class T, class U>
  requires(std::is_arithmetic_v<U> && !std::same_as<U, T>)
Dual<T> operator/(const Dual<T>& a, U b) { return a / T(b); }
template <class T, class U>
  requires(std::is_arithmetic_v<U> && !std::same_as<U, T>)
Dual<T> operator/(U a, const Dual<T>& b) { return T(a) / b; }

/// A plain number that can stand beside a Dual<T> (as a constant).
template <class U, class T>
concept DualPassive = !is_dual_v<U> && !detail::is_var_type<std::remove_cvref_t<U>>::value &&
                      std::is_convertible_v<const U&, T>;

// Comparisons with a plain number on either side compare values (a != b
// and b == a are rewritten from a == b).
// clang-format off
template <class T, DualPassive<T> U> bool operator==(const Dual<T>& a, const U& b) { return a.value() == T(b); }
template <class T, DualPassive<T> U> bool operator<(const Dual<T>& a, const U& b) { return a.value() < T(b); }
template <class T, DualPassive<T> U> bool operator<=(const Dual<T>& a, const U& b) { return a.value() <= T(b); }
template <class T, DualPassive<T> U> bool operator>(const Dual<T>& a, const U& b) { return a.value() > T(b); }
template <class T, DualPassive<T> U> bool operator>=(const Dual<T>& a, const U& b) { return a.value() >= T(b); }
template <class T, DualPassive<T> U> bool operator<(const U& a, const Dual<T>& b) { return T(a) < b.value(); }
template <class T, DualPassive<T> U> bool operator<=(const U& a, const Dual<T>& b) { return T(a) <= b.value(); }
template <class T, DualPassive<T> U> bool operator>(const U& a, const Dual<T>& b) { return T(a) > b.value(); }
template <class T, DualPassive<T> U> bool operator>=(const U& a, const Dual<T>& b) { return T(a) >= b.value(); }
// clang-format on

// ------------------------------------------------- the engine's scalar tests ----
// What the tape and the Var layer ask of a scalar, for every scalar type:
// written once here, so that a Dual is zero only when all of it is.

namespace detail {

/// Whether x is exactly zero: every component of a Dual.
template <class T>
constexpr bool is_zero(const T& x) {
  if constexpr (is_dual_v<T>)
    return is_zero(x.value()) && is_zero(x.tangent());
  else
    return x == T(0);
}

/// Whether x is finite: every component of a Dual.
template <class T>
bool all_finite(const T& x) {
  if constexpr (is_dual_v<T>) {
    return all_finite(x.value()) && all_finite(x.tangent());
  } else {
    using std::isfinite;
    return isfinite(x);
  }
}

/// Whether any component of x is a NaN.
template <class T>
bool has_nan(const T& x) {
  if constexpr (is_dual_v<T>)
    return has_nan(x.value()) || has_nan(x.tangent());
  else
    return x != x;
}

/// a * b where a zero factor carries nothing, even against an infinite or
/// NaN one (per component of a Dual: the tangent a.v b.d + a.d b.v drops
/// each product with a zero factor).
template <class T>
T careful_product(const T& a, const T& b) {
  if constexpr (is_dual_v<T>) {
    return T(careful_product(a.value(), b.value()),
             careful_product(a.value(), b.tangent()) + careful_product(a.tangent(), b.value()));
  } else {
    // 0 * inf and 0 * NaN give 0; any other product is a * b, a signed zero
    // included (cos'(0) = -0 keeps its sign).
    const T p = a * b;
    if (p != p && (a == T(0) || b == T(0))) return T(0);
    return p;
  }
}

/// The value a number is made of at the bottom: T itself, or a Dual's value type.
template <class T>
struct base_scalar {
  using type = T;
};
template <class T>
struct base_scalar<Dual<T>> {
  using type = T;
};
template <class T>
using base_scalar_t = typename base_scalar<T>::type;

// ------------------------------------------------ evaluating a primitive ----

template <class P, class T>
concept HasEval = requires(const P& p, const T& x) {
  { p.eval(x) } -> std::same_as<ValueAndDerivative<T>>;
};
template <class P, class T>
concept HasSecondDerivative = requires(const P& p, const T& x) {
  { p.second_derivative(x, x, x) } -> std::convertible_to<T>;
};
template <class P, class T>
concept HasBinarySecondDerivative = requires(const P& p, const T& x) {
  { p.second_derivative(x, x, x) } -> std::convertible_to<std::array<T, 3>>;
};

/// A value with its first and second derivative.
template <class T>
struct Jet {
  T value, derivative, second;
};

template <class P, class T>
ValueAndDerivative<T> evaluate(const P& p, const T& x);

/// y = p(x), p'(x) and p''(x) for a plain number x: the block's eval (or
/// forward and derivative) and its second_derivative rule, or without one,
/// the tangent of its derivative formula evaluated on Dual numbers.
template <class P, class T>
Jet<T> jet(const P& p, const T& x) {
  static_assert(!is_dual_v<T>, "slope: third derivatives are not supported");
  const ValueAndDerivative<T> r = evaluate(p, x);
  if constexpr (HasSecondDerivative<P, T>) {
    return {r.value, r.derivative, T(p.second_derivative(x, r.value, r.derivative))};
  } else {
    const Dual<T> d = p.derivative(Dual<T>(x, T(1)), Dual<T>(r.value, r.derivative));
    return {r.value, r.derivative, d.tangent()};
  }
}

/// d * t, the chain rule along a tangent t: 0 where t is 0 (a constant, or
/// a direction that does not move x), even where d is infinite or NaN.
template <class T>
T along(const T& d, const T& t) {
  return careful_product(d, t);
}

/// y = p(x) and p'(x) for unary primitive p, in any scalar type: for a plain
/// number, the block's eval (or forward and derivative); for a Dual, the
/// value p(x.v) + p'(x.v) x.d eps and the partial p'(x.v) + p''(x.v) x.d eps.
template <class P, class T>
SLOPE_INLINE ValueAndDerivative<T> evaluate(const P& p, const T& x) {
  if constexpr (is_dual_v<T>) {
    const auto r = jet(p, x.value());
    return {T(r.value, along(r.derivative, x.tangent())),
            T(r.derivative, along(r.second, x.tangent()))};
  } else if constexpr (HasEval<P, T>) {
    return p.eval(x);
  } else {
    const T y = p.forward(x);
    return {y, p.derivative(x, y)};
  }
}

/// p(x) for unary primitive p, in any scalar type (a Dual: with its tangent).
template <class P, class T>
SLOPE_INLINE T forward(const P& p, const T& x) {
  if constexpr (is_dual_v<T>) {
    const ValueAndDerivative<typename T::value_type> r = evaluate(p, x.value());
    return T(r.value, along(r.derivative, x.tangent()));
  } else {
    return p.forward(x);
  }
}

/// {f_aa, f_ab, f_bb} of binary primitive p at (a, b) with y = p(a, b) and
/// partials d: the block's second_derivative rule, or the tangents of its
/// derivative formula on Dual numbers, one direction at a time.
template <class P, class T>
std::array<T, 3> second_partials(const P& p, const T& a, const T& b, const T& y,
                                 const std::array<T, 2>& d) {
  if constexpr (HasBinarySecondDerivative<P, T>) {
    return p.second_derivative(a, b, y);
  } else {
    const std::array<Dual<T>, 2> da =
        p.derivative(Dual<T>(a, T(1)), Dual<T>(b), Dual<T>(y, d[0]));
    const std::array<Dual<T>, 2> db =
        p.derivative(Dual<T>(a), Dual<T>(b, T(1)), Dual<T>(y, d[1]));
    return {da[0].tangent(), da[1].tangent(), db[1].tangent()};
  }
}

/// The partials of binary primitive p at (a, b), y = p(a, b), in any
/// scalar type; for Duals each partial carries its tangent from the second
/// partials (f_aa a.d + f_ab b.d for the first).
template <class P, class T>
SLOPE_INLINE std::array<T, 2> partials(const P& p, const T& a, const T& b, const T& y) {
  if constexpr (is_dual_v<T>) {
    using U = typename T::value_type;
    const U &av = a.value(), &bv = b.value(), &at = a.tangent(), &bt = b.tangent();
    const std::array<U, 2> d = p.derivative(av, bv, y.value());
    const std::array<U, 3> h = second_partials(p, av, bv, y.value(), d);
    return {T(d[0], along(h[0], at) + along(h[1], bt)),
            T(d[1], along(h[1], at) + along(h[2], bt))};
  } else {
    return p.derivative(a, b, y);
  }
}

/// p(a, b) for binary primitive p, in any scalar type.
template <class P, class T>
SLOPE_INLINE T forward_binary(const P& p, const T& a, const T& b) {
  if constexpr (is_dual_v<T>) {
    using U = typename T::value_type;
    const U y = p.forward(a.value(), b.value());
    const std::array<U, 2> d = p.derivative(a.value(), b.value(), y);
    return T(y, along(d[0], a.tangent()) + along(d[1], b.tangent()));
  } else {
    return p.forward(a, b);
  }
}

}  // namespace detail

// ------------------------------------------------------------ functions ----
// slope::f(Dual) for each primitive of the table, through its block: the
// value and derivative the tape would use, the derivative times the tangent.

// clang-format off
template <class T> Dual<T> exp(const Dual<T>& x) { return detail::forward(Exp{}, x); }
template <class T> Dual<T> exp2(const Dual<T>& x) { return detail::forward(Exp2{}, x); }
template <class T> Dual<T> expm1(const Dual<T>& x) { return detail::forward(Expm1{}, x); }
template <class T> Dual<T> log(const Dual<T>& x) { return detail::forward(Log{}, x); }
template <class T> Dual<T> log2(const Dual<T>& x) { return detail::forward(Log2{}, x); }
template <class T> Dual<T> log10(const Dual<T>& x) { return detail::forward(Log10{}, x); }
template <class T> Dual<T> log1p(const Dual<T>& x) { return detail::forward(Log1p{}, x); }
template <class T> Dual<T> sqrt(const Dual<T>& x) { return detail::forward(Sqrt{}, x); }
template <class T> Dual<T> cbrt(const Dual<T>& x) { return detail::forward(Cbrt{}, x); }
template <class T> Dual<T> sin(const Dual<T>& x) { return detail::forward(Sin{}, x); }
template <class T> Dual<T> cos(const Dual<T>& x) { return detail::forward(Cos{}, x); }
template <class T> Dual<T> tan(const Dual<T>& x) { return detail::forward(Tan{}, x); }
template <class T> Dual<T> asin(const Dual<T>& x) { return detail::forward(Asin{}, x); }
template <class T> Dual<T> acos(const Dual<T>& x) { return detail::forward(Acos{}, x); }
template <class T> Dual<T> atan(const Dual<T>& x) { return detail::forward(Atan{}, x); }
template <class T> Dual<T> sinh(const Dual<T>& x) { return detail::forward(Sinh{}, x); }
template <class T> Dual<T> cosh(const Dual<T>& x) { return detail::forward(Cosh{}, x); }
template <class T> Dual<T> tanh(const Dual<T>& x) { return detail::forward(Tanh{}, x); }
template <class T> Dual<T> asinh(const Dual<T>& x) { return detail::forward(Asinh{}, x); }
template <class T> Dual<T> acosh(const Dual<T>& x) { return detail::forward(Acosh{}, x); }
template <class T> Dual<T> atanh(const Dual<T>& x) { return detail::forward(Atanh{}, x); }
template <class T> Dual<T> erf(const Dual<T>& x) { return detail::forward(Erf{}, x); }
template <class T> Dual<T> erfc(const Dual<T>& x) { return detail::forward(Erfc{}, x); }
template <class T> Dual<T> abs(const Dual<T>& x) { return detail::forward(Abs{}, x); }
template <class T> Dual<T> fabs(const Dual<T>& x) { return detail::forward(Abs{}, x); }

template <class T> Dual<T> pow(const Dual<T>& x, const Dual<T>& p) { return detail::forward_binary(Pow{}, x, p); }
template <class T> Dual<T> pow(const Dual<T>& x, const T& p) { return detail::forward_binary(Pow{}, x, Dual<T>(p)); }
template <class T> Dual<T> pow(const T& x, const Dual<T>& p) { return detail::forward_binary(Pow{}, Dual<T>(x), p); }
template <class T> Dual<T> min(const Dual<T>& a, const Dual<T>& b) { return detail::forward_binary(Min{}, a, b); }
template <class T> Dual<T> max(const Dual<T>& a, const Dual<T>& b) { return detail::forward_binary(Max{}, a, b); }
template <class T> Dual<T> fmin(const Dual<T>& a, const Dual<T>& b) { return detail::forward_binary(Min{}, a, b); }
template <class T> Dual<T> fmax(const Dual<T>& a, const Dual<T>& b) { return detail::forward_binary(Max{}, a, b); }
// clang-format on

/// a * b + c with the value rounded once.
template <class T>
Dual<T> fma(const Dual<T>& a, const Dual<T>& b, const Dual<T>& c) {
  using std::fma;
  return {fma(a.value(), b.value(), c.value()),
          a.value() * b.tangent() + a.tangent() * b.value() + c.tangent()};
}

// Classification looks at the value, as for a double.
template <class T>
bool isfinite(const Dual<T>& x) {
  using std::isfinite;
  return isfinite(x.value());
}
template <class T>
bool isnan(const Dual<T>& x) {
  using std::isnan;
  return isnan(x.value());
}
template <class T>
bool isinf(const Dual<T>& x) {
  using std::isinf;
  return isinf(x.value());
}
template <class T>
bool signbit(const Dual<T>& x) {
  using std::signbit;
  return signbit(x.value());
}

namespace detail {
/// std::numeric_limits for a number type N built on T (a Dual, a Var): T's
/// properties, and T's limits as constants of N made by Make.
template <class T, class N, class Make>
struct limits_of {
 private:
  using L = std::numeric_limits<T>;

 public:
  static constexpr bool is_specialized = L::is_specialized;
  static constexpr bool is_signed = L::is_signed;
  static constexpr bool is_integer = L::is_integer;
  static constexpr bool is_exact = L::is_exact;
  static constexpr bool has_infinity = L::has_infinity;
  static constexpr bool has_quiet_NaN = L::has_quiet_NaN;
  static constexpr bool has_signaling_NaN = L::has_signaling_NaN;
  static constexpr std::float_denorm_style has_denorm = L::has_denorm;
  static constexpr bool has_denorm_loss = L::has_denorm_loss;
  static constexpr std::float_round_style round_style = L::round_style;
  static constexpr bool is_iec559 = false;  // arithmetic on N is not IEC 559 arithmetic
  static constexpr bool is_bounded = L::is_bounded;
  static constexpr bool is_modulo = L::is_modulo;
  static constexpr int digits = L::digits;
  static constexpr int digits10 = L::digits10;
  static constexpr int max_digits10 = L::max_digits10;
  static constexpr int radix = L::radix;
  static constexpr int min_exponent = L::min_exponent;
  static constexpr int min_exponent10 = L::min_exponent10;
  static constexpr int max_exponent = L::max_exponent;
  static constexpr int max_exponent10 = L::max_exponent10;
  static constexpr bool traps = L::traps;
  static constexpr bool tinyness_before = L::tinyness_before;
  static N min() { return Make{}(L::min()); }
  static N lowest() { return Make{}(L::lowest()); }
  static N max() { return Make{}(L::max()); }
  static N epsilon() { return Make{}(L::epsilon()); }
  static N round_error() { return Make{}(L::round_error()); }
  static N infinity() { return Make{}(L::infinity()); }
  static N quiet_NaN() { return Make{}(L::quiet_NaN()); }
  static N signaling_NaN() { return Make{}(L::signaling_NaN()); }
  static N denorm_min() { return Make{}(L::denorm_min()); }
};
template <class T>
struct DualConstant {
  Dual<T> operator()(const T& x) const { return Dual<T>(x); }
};
}  // namespace detail

}  // namespace slope

/// The limits of a Dual are those of its value type, as constants.
template <class T>
struct std::numeric_limits<slope::Dual<T>>
    : slope::detail::limits_of<T, slope::Dual<T>, slope::detail::DualConstant<T>> {};
