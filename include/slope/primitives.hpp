// primitives.hpp - THE table of slope's primitive operations.
//
// One block per primitive: its name, the rule it uses (for reports), its
// domain, its kinks (and, where there are any, the interior points where the
// derivative is infinite: `singularities`) and parameters, `forward(x)` and `derivative(x, y)`
// where y = forward(x) is the output the forward pass already computed.
// A block may also define `eval(x)`, returning {y, dy/dx} in one go, when
// sharing work between the two makes the rule both cheaper and more accurate
// (sigmoid, tanh, softplus). Binary primitives take (x1, x2) and return both
// partials.
//
// Everything here is math, written once for any scalar type T: double, float,
// long double and Boost.Multiprecision numbers (calls are unqualified after
// `using std::exp;` so that argument-dependent lookup finds the
// multiprecision overloads). This header includes nothing of the engine.
//
// Adding a primitive: write its block below and add it to
// `unary_primitives`, `binary_primitives` or `loss_primitives` at the end of
// this file. The
// engine, the formatters, the checker and the table-driven tests pick it up
// from there; to make it callable as `slope::name(x)`, add one line in
// var.hpp's list of primitive functions.
#pragma once

#include <array>
#include <cmath>
#include <limits>
#include <string_view>
#include <tuple>
#include <type_traits>

#include <boost/math/constants/constants.hpp>

namespace slope {

/// The interval on which a primitive is defined, as used by the checker and
/// the table-driven tests. Points where a primitive is not differentiable
/// inside its domain are listed separately as kinks.
struct Domain {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_closed = false;  ///< lo itself belongs to the domain
  bool hi_closed = false;  ///< hi itself belongs to the domain

  constexpr bool contains(double x) const {
    return (x > lo || (lo_closed && x == lo)) && (x < hi || (hi_closed && x == hi));
  }
  static constexpr Domain all() { return {}; }
};

/// A value and its derivative, as returned by a primitive's fused `eval`.
template <class T>
struct ValueAndDerivative {
  T value;
  T derivative;
};

namespace detail {
/// x, with -0 turned into +0 (x + 0 does that in round-to-nearest, and keeps
/// every other value): for derivatives like 1/x at the end of a domain
/// [0, ...), whose one-sided value at either zero is +inf.
template <class T>
T unsigned_zero(const T& x) {
  return T(x + T(0));
}

template <class T>
T constant_two_div_root_pi() {
  return boost::math::constants::two_div_root_pi<T>();
}

/// tanh(x) for a double with |x| < 0.55, as x + x t R(t) with t = x^2, where
/// R(t) = (tanh(sqrt t)/sqrt t - 1)/t is approximated by a polynomial of
/// degree 10. Its coefficients are the Chebyshev fit on [0, 0.55^2] by
/// mpmath (60 digits: `mpmath.chebyfit(R, [0, 0.3025], 11)`, maximum error
/// 7.7e-18 where |R| >= 0.297), rounded to double. The correction x t R(t)
/// is at most a tenth of x, so its rounding errors reach the result divided
/// by ten: the sum is within 0.86 ULP of tanh x on 200,000 random points
/// (slope-check measures the whole primitive). The polynomial is evaluated
/// in Estrin's scheme: five independent pairs, then three levels, a shorter
/// dependency chain than Horner's. It costs about a quarter of expm1 and a
/// division, the textbook way to keep tanh accurate near 0.
inline double tanh_small(double x) {
  constexpr double c[11] = {-0x1.5555555555555p-2,  0x1.1111111111032p-3,  -0x1.ba1ba1b9fec84p-5,
                            0x1.664f487713373p-6,   -0x1.226e32f00cf0cp-7, 0x1.d6d339333f329p-9,
                            -0x1.7d97cfd138c28p-10, 0x1.34c5a8a996cd4p-11, -0x1.ec1091436eb2ap-13,
                            0x1.64fd88e9900a5p-14,  -0x1.59a834187ce22p-16};
  const double t = x * x, t2 = t * t, t4 = t2 * t2, t8 = t4 * t4;
  const double p0 = c[0] + c[1] * t, p1 = c[2] + c[3] * t, p2 = c[4] + c[5] * t,
               p3 = c[6] + c[7] * t, p4 = c[8] + c[9] * t;
  const double r = (p0 + p1 * t2) + (p2 + p3 * t2) * t4 + (p4 + c[10] * t2) * t8;
  return x + x * (t * r);
}
/// tanh(x) as slope::Tanh evaluates it (defined after Tanh).
template <class T>
T tanh_value(const T& x);
}  // namespace detail

// ============================================================ activations ==

/// sigmoid(z) = 1 / (1 + e^-z).
/// sigmoid'(z) = a(1 - a) with a = sigmoid(z), evaluated as e / (1 + e)^2
/// with e = e^-|z| shared with the value, so that it keeps full precision in
/// both saturated tails (the textbook a(1 - a) is exactly 0 for z > 36.74).
/// Domain: all reals. No kinks.
struct Sigmoid {
  static constexpr std::string_view name = "sigmoid";
  static constexpr std::string_view rule = "a(1-a)";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};

  template <class T>
  ValueAndDerivative<T> eval(const T& z) const {
    using std::abs;
    using std::exp;
    // e = e^-|z| <= 1 never overflows; d = 1 + e is in [1, 2]. For z < 0 the
    // value e / d is formed from e directly, so it stays exact down to the
    // subnormals (sigmoid(-720) is ~2.9e-313, not 0).
    const T e = exp(-abs(z));
    const T d = T(1) + e;
    const T r = T(1) / d;
    const T y = (z < T(0) ? e : T(1)) * r;
    // sigmoid'(z) = e / (1 + e)^2, with (1 + e)^2 expanded as 1 + e (2 + e):
    // that rounds once where d * d would square the rounding error of d.
    return {y, T(e / (T(1) + e * (T(2) + e)))};
  }
  template <class T>
  T forward(const T& z) const {
    return eval(z).value;
  }
  template <class T>
  T derivative(const T& z, const T& a) const {
    using std::exp;
    // For z < 0, 1 - a has no cancellation. For z >= 0, a carries too little
    // information about 1 - a = a e^-z, so that factor is recomputed.
    if (z < T(0)) return a * (T(1) - a);
    return a * a * exp(-z);
  }
  /// sigmoid''(z) = a(1 - a)(1 - 2a) = -sigmoid'(z) tanh(z/2): 1 - 2a cancels
  /// near z = 0, where sigmoid'' has its zero; tanh(z/2) does not.
  template <class T>
  T second_derivative(const T& z, const T& /*a*/, const T& d) const {
    using std::abs;
    // Below 2^-500, tanh(z/2) is z/2 to far below an ULP, and z/2 would round
    // for a subnormal z: -z (d/2), rounded once.
    if (abs(z) < T(3e-151)) return -(z * T(d / T(2)));
    return -(d * detail::tanh_value(T(z / T(2))));
  }
};

/// tanh(z) = (e^z - e^-z) / (e^z + e^-z).
/// tanh'(z) = 1 - a^2 with a = tanh(z), evaluated as 4e / (1 + e)^2 with
/// e = e^-2|z| where |a| > 1/2, so that it keeps full precision in the
/// saturated tails (the textbook 1 - a^2 is exactly 0 for |z| > 19.06).
/// Domain: all reals. No kinks.
struct Tanh {
  static constexpr std::string_view name = "tanh";
  static constexpr std::string_view rule = "1-a^2";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};

  // Below this |z|, a = detail::tanh_small(|z|) for double, a = -t / (2 + t)
  // with t = expm1(-2|z|) for other types, and 1 - a^2 are accurate
  // (a^2 <= 1/4, no cancellation); above it e = e^-2|z| <= 1/3, and
  // (1 - e) / (1 + e) and 4e / (1 + e (2 + e)) are.
  static constexpr double expm1_threshold = 0.55;

  template <class T>
  ValueAndDerivative<T> eval(const T& z) const {
    using std::abs;
    using std::copysign;
    using std::exp;
    using std::expm1;
    const T x = abs(z);
    if constexpr (std::is_same_v<T, double>) {
      if (x < expm1_threshold) {
        const double a = detail::tanh_small(x);
        return {copysign(a, z), 1 - a * a};
      }
    }
    if (x < T(expm1_threshold)) {
      const T t = expm1(T(-2) * x);
      const T a = -t / (T(2) + t);
      return {copysign(a, z), T(T(1) - a * a)};
    }
    const T e = exp(T(-2) * x);  // NaN falls through here and stays NaN
    const T d = T(1) + e;
    const T a = (T(1) - e) / d;
    // tanh'(z) = 4e / (1 + e)^2, expanded as for sigmoid.
    return {copysign(a, z), T(T(4) * e / (T(1) + e * (T(2) + e)))};
  }
  template <class T>
  T forward(const T& z) const {
    return eval(z).value;
  }
  template <class T>
  T derivative(const T& z, const T& a) const {
    using std::abs;
    using std::exp;
    if (abs(z) < T(expm1_threshold)) return T(1) - a * a;
    const T e = exp(T(-2) * abs(z));
    return T(4) * e / (T(1) + e * (T(2) + e));
  }
  /// tanh''(z) = -2a(1 - a^2) = -2 a tanh'(z), from the accurate a and tanh';
  /// for a double beyond |z| = 350, where tanh' is near or below the
  /// subnormals (its rounding error there would be doubled), as
  /// -8 a e / (1 + e)^2 with e = e^-2|z| in long double, rounded once (on
  /// x86-64 a long double keeps e normal and 64 bits exact; where long
  /// double is double, this is the plain rule).
  template <class T>
  T second_derivative(const T& z, const T& a, const T& d) const {
    using std::abs;
    if constexpr (std::is_same_v<T, double>) {
      if (abs(z) > 350.0) {
        const long double e = std::exp(-2.0L * abs(z));
        return static_cast<double>(-8.0L * a * e / (1.0L + e * (2.0L + e)));
      }
    }
    return T(-2) * a * d;
  }
};

template <class T>
T detail::tanh_value(const T& x) {
  return Tanh{}.eval(x).value;
}

/// relu(z) = max(0, z).
/// relu'(z) = 0 for z < 0, 1 for z > 0; at the kink z = 0 (and -0) it is
/// `at_kink`, by default 1: the z >= 0 branch, the right derivative.
/// Domain: all reals. Kink: 0.
struct Relu {
  static constexpr std::string_view name = "relu";
  static constexpr std::string_view rule = "z>=0 ? 1 : 0";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 1> kinks{0.0};
  double at_kink = 1.0;  ///< relu'(0); 1 is the right derivative, 0 the left

  template <class T>
  T forward(const T& z) const {
    // `+ 0` turns -0 into +0 and keeps NaN a NaN.
    return z < T(0) ? T(0) : T(z + T(0));
  }
  template <class T>
  T derivative(const T& z, const T& /*a*/) const {
    if (z < T(0)) return T(0);
    if (z > T(0)) return T(1);
    return z == T(0) ? T(at_kink) : z;  // NaN stays NaN
  }
  /// relu''(z) = 0 everywhere, the kink included (NaN stays NaN).
  template <class T>
  T second_derivative(const T& z, const T& /*a*/, const T& /*d*/) const {
    return z != z ? z : T(0);
  }
};

/// leaky_relu(z) = z for z >= 0, slope * z for z < 0 (slope 0.01 by default).
/// leaky_relu'(z) = slope for z < 0, 1 for z > 0; at the kink z = 0 (and -0)
/// it is `at_kink`, by default 1: the z >= 0 branch, the right derivative.
/// Domain: all reals. Kink: 0.
struct LeakyRelu {
  static constexpr std::string_view name = "leaky_relu";
  static constexpr std::string_view rule = "z>=0 ? 1 : slope";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 1> kinks{0.0};
  double slope = 0.01;   ///< the slope for z < 0
  double at_kink = 1.0;  ///< leaky_relu'(0); 1 is the right derivative

  template <class T>
  T forward(const T& z) const {
    return z < T(0) ? T(T(slope) * z) : T(z + T(0));
  }
  template <class T>
  T derivative(const T& z, const T& /*a*/) const {
    if (z < T(0)) return T(slope);
    if (z > T(0)) return T(1);
    return z == T(0) ? T(at_kink) : z;
  }
  /// leaky_relu''(z) = 0 everywhere, the kink included (NaN stays NaN).
  template <class T>
  T second_derivative(const T& z, const T& /*a*/, const T& /*d*/) const {
    return z != z ? z : T(0);
  }
};

/// softplus(z) = log(1 + e^z), evaluated as max(z, 0) + log1p(e^-|z|).
/// softplus'(z) = sigmoid(z), shared with the forward pass.
/// Domain: all reals. No kinks.
struct Softplus {
  static constexpr std::string_view name = "softplus";
  static constexpr std::string_view rule = "sigmoid(z)";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};

  template <class T>
  ValueAndDerivative<T> eval(const T& z) const {
    using std::abs;
    using std::exp;
    using std::log1p;
    const T e = exp(-abs(z));
    const T d = T(1) + e;
    const T y = (z > T(0) ? z : T(0)) + log1p(e);
    return {y, z < T(0) ? T(e / d) : T(T(1) / d)};
  }
  template <class T>
  T forward(const T& z) const {
    return eval(z).value;
  }
  template <class T>
  T derivative(const T& z, const T& /*a*/) const {
    return eval(z).derivative;
  }
  /// softplus''(z) = sigmoid'(z).
  template <class T>
  T second_derivative(const T& z, const T& /*a*/, const T& /*d*/) const {
    return Sigmoid{}.eval(z).derivative;
  }
};

// ================================================================= losses ==

/// binary_cross_entropy(a) = -(y log a + (1 - y) log(1 - a)): the
/// cross-entropy of a probability a (a sigmoid's output) against a target y,
/// a label 0 or 1 or a soft target in [0, 1]. y is a parameter (data), not a
/// Var. d/da = (a - y) / (a (1 - a)), which is -1/a for y = 1 and 1/(1 - a)
/// for y = 0: for a label only the logarithm and the quotient that count are
/// evaluated, so the loss of one sample costs one primitive instead of two
/// logarithms and five arithmetic operations. log(1 - a) keeps full accuracy
/// for small a too (log1p(-a), or for a built-in floating type the rounding
/// error of 1 - a added back). Domain: 0 < a < 1. No kinks.
struct BinaryCrossEntropy {
  static constexpr std::string_view name = "binary_cross_entropy";
  static constexpr std::string_view rule = "(a-y)/(a(1-a))";
  static constexpr Domain domain = {0.0, 1.0, false, false};
  static constexpr std::array<double, 0> kinks{};
  double target = 1.0;  ///< y

  template <class T>
  ValueAndDerivative<T> eval(const T& a) const {
    using std::log;
    using std::log1p;
    if (target == 1.0) return {-log(a), T(-1) / a};
    if constexpr (std::is_floating_point_v<T>) {
      if (target == 0.0) {
        // -log(1 - a) as -(log t + e/t) with t = 1 - a rounded and e = (1 - t)
        // - a its exact rounding error (|a| < 1): the fast logarithm instead
        // of log1p, and 1/t shared with the derivative 1/(1 - a) (which
        // differs from 1/t by e/t, below 2^-53 relatively).
        const T t = T(1) - a;
        const T e = (T(1) - t) - a;  // 0 for a >= 1/2, where t is exact
        const T r = T(1) / t;
        return {-(log(t) + (e != T(0) ? T(e * r) : T(0))), r};  // at a = 1: +inf, not NaN
      }
    } else {
      if (target == 0.0) return {-log1p(-a), T(1) / (T(1) - a)};
    }
    const T y(target);
    return {-(y * log(a) + (T(1) - y) * log1p(-a)), (a - y) / (a * (T(1) - a))};
  }
  template <class T>
  T forward(const T& a) const {
    return eval(a).value;
  }
  template <class T>
  T derivative(const T& a, const T& /*value*/) const {
    return eval(a).derivative;
  }
  /// d^2/da^2 = y/a^2 + (1 - y)/(1 - a)^2: the square of the derivative
  /// (-1/a or 1/(1 - a)) for a label.
  template <class T>
  T second_derivative(const T& a, const T& /*value*/, const T& d) const {
    if (target == 1.0 || target == 0.0) return d * d;
    const T y(target), b = T(1) - a;
    return y / (a * a) + (T(1) - y) / (b * b);
  }
};

// ============================================================ elementary ===

/// exp(x) = e^x.  exp'(x) = exp(x) = a.  Domain: all reals.
struct Exp {
  static constexpr std::string_view name = "exp";
  static constexpr std::string_view rule = "a";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::exp;
    return exp(x);
  }
  template <class T>
  T derivative(const T& /*x*/, const T& a) const {
    return a;
  }
  /// exp''(x) = a.
  template <class T>
  T second_derivative(const T& /*x*/, const T& a, const T& /*d*/) const {
    return a;
  }
};

/// exp2(x) = 2^x.  exp2'(x) = ln(2) a (finite just past where a overflows).
/// Domain: all reals.
struct Exp2 {
  static constexpr std::string_view name = "exp2";
  static constexpr std::string_view rule = "ln2 a";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::exp;
    using std::exp2;
    if constexpr (std::is_floating_point_v<T>) {
      return exp2(x);
    } else {
      // Boost.Multiprecision 1.74's exp2 recurses without end (a stack
      // overflow) or returns -inf for arguments of large magnitude;
      // exp(x ln 2) is exact to the working precision wherever 2^x is finite.
      return exp(x * boost::math::constants::ln_two<T>());
    }
  }
  template <class T>
  T derivative(const T& x, const T& a) const {
    using std::isinf;
    // Where 2^x just overflows (x in [1024, 1024.53) for double), ln2 2^x is
    // still finite: 2 (ln 2 2^(x-1)), with x - 1 exact.
    if constexpr (std::is_floating_point_v<T>)
      if (isinf(a) && a > 0)
        return T(2) * (boost::math::constants::ln_two<T>() * forward(T(x - T(1))));
    return boost::math::constants::ln_two<T>() * a;
  }
  /// exp2''(x) = ln(2)^2 a = ln(2) exp2'(x).
  template <class T>
  T second_derivative(const T& /*x*/, const T& /*a*/, const T& d) const {
    return boost::math::constants::ln_two<T>() * d;
  }
};

/// expm1(x) = e^x - 1.  expm1'(x) = e^x, evaluated as a + 1 where that is
/// exact enough (x > -ln 2) and as exp(x) below, where a + 1 cancels.
/// Domain: all reals.
struct Expm1 {
  static constexpr std::string_view name = "expm1";
  static constexpr std::string_view rule = "a+1";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::expm1;
    return expm1(x);
  }
  template <class T>
  T derivative(const T& x, const T& a) const {
    using std::exp;
    if (x > T(-0.6931471805599453)) return a + T(1);
    return exp(x);
  }
  /// expm1''(x) = e^x = expm1'(x).
  template <class T>
  T second_derivative(const T& /*x*/, const T& /*a*/, const T& d) const {
    return d;
  }
};

/// log(x), the natural logarithm.  log'(x) = 1/x.  Domain: x > 0
/// (log(0) = log(-0) = -inf with derivative +inf, the right derivative, for
/// either sign of zero; negative x gives NaN).
struct Log {
  static constexpr std::string_view name = "log";
  static constexpr std::string_view rule = "1/x";
  static constexpr Domain domain = {0.0, std::numeric_limits<double>::infinity(), false, false};
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::log;
    return log(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    return T(1) / detail::unsigned_zero(x);
  }
  /// log''(x) = -1/x^2 = -log'(x)/x.
  template <class T>
  T second_derivative(const T& x, const T& /*a*/, const T& d) const {
    return -(d / detail::unsigned_zero(x));
  }
};

/// log2(x).  log2'(x) = 1/(x ln 2).  Domain: x > 0 (+inf at either zero, as log).
struct Log2 {
  static constexpr std::string_view name = "log2";
  static constexpr std::string_view rule = "1/(x ln2)";
  static constexpr Domain domain = {0.0, std::numeric_limits<double>::infinity(), false, false};
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::log2;
    return log2(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    return boost::math::constants::log2_e<T>() / detail::unsigned_zero(x);
  }
  /// log2''(x) = -1/(x^2 ln 2) = -log2'(x)/x.
  template <class T>
  T second_derivative(const T& x, const T& /*a*/, const T& d) const {
    return -(d / detail::unsigned_zero(x));
  }
};

/// log10(x).  log10'(x) = 1/(x ln 10).  Domain: x > 0 (+inf at either zero, as log).
struct Log10 {
  static constexpr std::string_view name = "log10";
  static constexpr std::string_view rule = "1/(x ln10)";
  static constexpr Domain domain = {0.0, std::numeric_limits<double>::infinity(), false, false};
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::log10;
    return log10(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    return boost::math::constants::log10_e<T>() / detail::unsigned_zero(x);
  }
  /// log10''(x) = -1/(x^2 ln 10) = -log10'(x)/x.
  template <class T>
  T second_derivative(const T& x, const T& /*a*/, const T& d) const {
    return -(d / detail::unsigned_zero(x));
  }
};

/// log1p(x) = log(1 + x).  log1p'(x) = 1/(1 + x).  Domain: x > -1.
struct Log1p {
  static constexpr std::string_view name = "log1p";
  static constexpr std::string_view rule = "1/(1+x)";
  static constexpr Domain domain = {-1.0, std::numeric_limits<double>::infinity(), false, false};
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::log1p;
    return log1p(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    return T(1) / (T(1) + x);  // 1 + x is exact for x in [-1, -1/2]
  }
  /// log1p''(x) = -1/(1 + x)^2 = -log1p'(x)^2.
  template <class T>
  T second_derivative(const T& /*x*/, const T& /*a*/, const T& d) const {
    return -(d * d);
  }
};

/// sqrt(x).  sqrt'(x) = 1/(2a).  Domain: x >= 0 (sqrt'(0) = +inf, the
/// right derivative, for either sign of zero: sqrt(-0) is -0, and 1/(2a)
/// would give -inf there).
struct Sqrt {
  static constexpr std::string_view name = "sqrt";
  static constexpr std::string_view rule = "1/(2a)";
  static constexpr Domain domain = {0.0, std::numeric_limits<double>::infinity(), true, false};
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::sqrt;
    return sqrt(x);
  }
  template <class T>
  T derivative(const T& /*x*/, const T& a) const {
    return T(0.5) / detail::unsigned_zero(a);
  }
  /// sqrt''(x) = -1/(4 x^(3/2)) = -sqrt'(x)/(2x) (-inf at 0).
  template <class T>
  T second_derivative(const T& x, const T& /*a*/, const T& d) const {
    return -(d / (T(2) * detail::unsigned_zero(x)));
  }
};

/// cbrt(x), the real cube root.  cbrt'(x) = 1/(3a^2) = a/(3x).  Domain: all reals;
/// singular at 0, where cbrt'(0) = +inf.
struct Cbrt {
  static constexpr std::string_view name = "cbrt";
  static constexpr std::string_view rule = "a/(3x)";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};
  static constexpr std::array<double, 1> singularities{0.0};
  template <class T>
  T forward(const T& x) const {
    using std::cbrt;
    return cbrt(x);
  }
  template <class T>
  T derivative(const T& x, const T& a) const {
    using std::abs;
    // a / (3x) carries the error of a once; (1/a)^2/3 (twice) only where 3x
    // would overflow, and at 0 (+inf).
    if (x == T(0) || abs(x) > T(1e300)) {
      const T r = T(1) / a;
      return r * r / T(3);
    }
    return a / (T(3) * x);
  }
  /// cbrt''(x) = -2/(9 x^(5/3)) = -2 cbrt'(x)/(3x).
  template <class T>
  T second_derivative(const T& x, const T& /*a*/, const T& d) const {
    return T(-2) * d / (T(3) * x);
  }
};

/// sin(x).  sin'(x) = cos(x).  Domain: all reals.
struct Sin {
  static constexpr std::string_view name = "sin";
  static constexpr double period = 6.283185307179586;  ///< 2 pi
  static constexpr std::string_view rule = "cos(x)";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::sin;
    return sin(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    using std::cos;
    return cos(x);
  }
  /// sin''(x) = -sin(x) = -a.
  template <class T>
  T second_derivative(const T& /*x*/, const T& a, const T& /*d*/) const {
    return -a;
  }
};

/// cos(x).  cos'(x) = -sin(x).  Domain: all reals.
struct Cos {
  static constexpr std::string_view name = "cos";
  static constexpr double period = 6.283185307179586;  ///< 2 pi
  static constexpr std::string_view rule = "-sin(x)";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::cos;
    return cos(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    using std::sin;
    return -sin(x);
  }
  /// cos''(x) = -cos(x) = -a.
  template <class T>
  T second_derivative(const T& /*x*/, const T& a, const T& /*d*/) const {
    return -a;
  }
};

/// tan(x).  tan'(x) = 1 + a^2.  Domain: all reals except the poles
/// pi/2 + k pi, where tan and tan' are huge but finite in floating point.
struct Tan {
  static constexpr std::string_view name = "tan";
  static constexpr double period = 3.141592653589793;  ///< pi
  static constexpr std::string_view rule = "1+a^2";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::tan;
    return tan(x);
  }
  template <class T>
  T derivative(const T& /*x*/, const T& a) const {
    return T(1) + a * a;
  }
  /// tan''(x) = 2a(1 + a^2) = 2 a tan'(x).
  template <class T>
  T second_derivative(const T& /*x*/, const T& a, const T& d) const {
    return T(2) * a * d;
  }
};

/// asin(x).  asin'(x) = 1/sqrt((1 - x)(1 + x)).  Domain: [-1, 1]
/// (the derivative is +inf at the ends).
struct Asin {
  static constexpr std::string_view name = "asin";
  static constexpr std::string_view rule = "1/sqrt(1-x^2)";
  static constexpr Domain domain = {-1.0, 1.0, true, true};
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::asin;
    return asin(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    using std::sqrt;
    return T(1) / sqrt((T(1) - x) * (T(1) + x));  // no cancellation near +-1
  }
  /// asin''(x) = x/(1 - x^2)^(3/2) = x asin'(x)/((1 - x)(1 + x)).
  template <class T>
  T second_derivative(const T& x, const T& /*a*/, const T& d) const {
    return x * d / ((T(1) - x) * (T(1) + x));
  }
};

/// acos(x).  acos'(x) = -1/sqrt((1 - x)(1 + x)).  Domain: [-1, 1].
struct Acos {
  static constexpr std::string_view name = "acos";
  static constexpr std::string_view rule = "-1/sqrt(1-x^2)";
  static constexpr Domain domain = {-1.0, 1.0, true, true};
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::acos;
    return acos(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    using std::sqrt;
    return T(-1) / sqrt((T(1) - x) * (T(1) + x));
  }
  /// acos''(x) = -x/(1 - x^2)^(3/2) = x acos'(x)/((1 - x)(1 + x)).
  template <class T>
  T second_derivative(const T& x, const T& /*a*/, const T& d) const {
    return x * d / ((T(1) - x) * (T(1) + x));
  }
};

/// atan(x).  atan'(x) = 1/(1 + x^2), evaluated as r^2/(1 + r^2) with
/// r = 1/x for |x| > 1 so that it does not overflow.  Domain: all reals.
struct Atan {
  static constexpr std::string_view name = "atan";
  static constexpr std::string_view rule = "1/(1+x^2)";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::atan;
    return atan(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    using std::abs;
    if (abs(x) > T(1)) {
      const T r = T(1) / x;
      const T r2 = r * r;
      return r2 / (T(1) + r2);
    }
    return T(1) / (T(1) + x * x);
  }
  /// atan''(x) = -2x/(1 + x^2)^2 = -2 (x atan'(x)) atan'(x) (x d first, so
  /// that d^2 cannot underflow where the result is a normal number).
  template <class T>
  T second_derivative(const T& x, const T& /*a*/, const T& d) const {
    return T(-2) * (x * d) * d;
  }
};

/// sinh(x).  sinh'(x) = cosh(x).  Domain: all reals.
struct Sinh {
  static constexpr std::string_view name = "sinh";
  static constexpr std::string_view rule = "cosh(x)";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::sinh;
    return sinh(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    using std::cosh;
    return cosh(x);
  }
  /// sinh''(x) = sinh(x) = a.
  template <class T>
  T second_derivative(const T& /*x*/, const T& a, const T& /*d*/) const {
    return a;
  }
};

/// cosh(x).  cosh'(x) = sinh(x).  Domain: all reals.
struct Cosh {
  static constexpr std::string_view name = "cosh";
  static constexpr std::string_view rule = "sinh(x)";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::cosh;
    return cosh(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    using std::sinh;
    return sinh(x);
  }
  /// cosh''(x) = cosh(x) = a.
  template <class T>
  T second_derivative(const T& /*x*/, const T& a, const T& /*d*/) const {
    return a;
  }
};

/// asinh(x).  asinh'(x) = 1/sqrt(1 + x^2), evaluated as 1/hypot(1, x).
/// Domain: all reals.
struct Asinh {
  static constexpr std::string_view name = "asinh";
  static constexpr std::string_view rule = "1/sqrt(1+x^2)";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::asinh;
    return asinh(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    using std::hypot;
    return T(1) / hypot(T(1), x);
  }
  /// asinh''(x) = -x/(1 + x^2)^(3/2) = -(x asinh'(x)) asinh'(x)^2.
  template <class T>
  T second_derivative(const T& x, const T& /*a*/, const T& d) const {
    return -(x * d) * d * d;
  }
};

/// acosh(x).  acosh'(x) = 1/(sqrt(x - 1) sqrt(x + 1)).  Domain: x >= 1
/// (the derivative is +inf at 1).
struct Acosh {
  static constexpr std::string_view name = "acosh";
  static constexpr std::string_view rule = "1/sqrt(x^2-1)";
  static constexpr Domain domain = {1.0, std::numeric_limits<double>::infinity(), true, false};
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::acosh;
    return acosh(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    using std::sqrt;
    return T(1) / (sqrt(x - T(1)) * sqrt(x + T(1)));
  }
  /// acosh''(x) = -x/(x^2 - 1)^(3/2) = -(x acosh'(x))/((x - 1)(x + 1)) (-inf at
  /// 1), one rounded factor of acosh' instead of three; -(x d) d^2 where
  /// (x - 1)(x + 1) would overflow.
  template <class T>
  T second_derivative(const T& x, const T& /*a*/, const T& d) const {
    using std::abs;
    if (abs(x) > T(1e150)) return -(x * d) * d * d;
    return -(x * d) / ((x - T(1)) * (x + T(1)));
  }
};

/// atanh(x).  atanh'(x) = 1/((1 - x)(1 + x)).  Domain: (-1, 1).
struct Atanh {
  static constexpr std::string_view name = "atanh";
  static constexpr std::string_view rule = "1/(1-x^2)";
  static constexpr Domain domain = {-1.0, 1.0, false, false};
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::atanh;
    return atanh(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    return T(1) / ((T(1) - x) * (T(1) + x));
  }
  /// atanh''(x) = 2x/(1 - x^2)^2 = 2 (x atanh'(x)) atanh'(x).
  template <class T>
  T second_derivative(const T& x, const T& /*a*/, const T& d) const {
    return T(2) * (x * d) * d;
  }
};

/// erf(x).  erf'(x) = 2/sqrt(pi) e^(-x^2), with x^2 split exactly into
/// hi + lo (an fma) so that the exponential keeps full precision for large x.
/// Domain: all reals.
struct Erf {
  static constexpr std::string_view name = "erf";
  static constexpr std::string_view rule = "2/sqrt(pi) e^-x^2";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::erf;
    return erf(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    using std::exp;
    using std::fma;
    using std::isinf;
    const T hi = x * x;
    if (isinf(hi)) return T(0);   // |x| > 1.3e154: e^-x^2 is far below any double
    const T lo = fma(x, x, -hi);  // x^2 = hi + lo exactly
    return detail::constant_two_div_root_pi<T>() * exp(-hi) * (T(1) - lo);
  }
  /// erf''(x) = -2x erf'(x) (0 where erf'(x) is, for |x| up to infinity);
  /// for a double where erf'(x) is near or below the subnormals (its
  /// rounding error would be multiplied by 2|x|), -2x times erf'(x) formed
  /// again in long double (x^2 split exactly as for erf'), rounded once (on
  /// x86-64; where long double is double, this is the plain rule).
  template <class T>
  T second_derivative(const T& x, const T& /*a*/, const T& d) const {
    using std::abs;
    if (d == T(0)) return T(0);
    if constexpr (std::is_same_v<T, double>) {
      if (abs(d) < 1e-290) {
        const double hi = x * x, lo = std::fma(x, x, -hi);
        const long double e = detail::constant_two_div_root_pi<long double>() *
                              std::exp(-static_cast<long double>(hi) - lo);
        return static_cast<double>(-2.0L * x * (d < 0 ? -e : e));  // erfc' = -erf'
      }
    }
    return T(-2) * x * d;
  }
};

/// erfc(x) = 1 - erf(x).  erfc'(x) = -2/sqrt(pi) e^(-x^2).  Domain: all reals.
struct Erfc {
  static constexpr std::string_view name = "erfc";
  static constexpr std::string_view rule = "-2/sqrt(pi) e^-x^2";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::erfc;
    return erfc(x);
  }
  template <class T>
  T derivative(const T& x, const T& a) const {
    return -Erf{}.derivative(x, a);
  }
  /// erfc''(x) = 2x erf'(x) = -2x erfc'(x).
  template <class T>
  T second_derivative(const T& x, const T& a, const T& d) const {
    return Erf{}.second_derivative(x, a, d);
  }
};

/// abs(x) = |x|.  abs'(x) = -1 for x < 0, 1 for x > 0; at the kink x = 0
/// (and -0) it is `at_kink`, by default 0: the midpoint of the one-sided
/// derivatives, the choice of most AD systems.  Domain: all reals. Kink: 0.
struct Abs {
  static constexpr std::string_view name = "abs";
  static constexpr std::string_view rule = "sign(x)";
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 1> kinks{0.0};
  double at_kink = 0.0;  ///< abs'(0), between -1 and 1
  template <class T>
  T forward(const T& x) const {
    using std::abs;
    return abs(x);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    if (x < T(0)) return T(-1);
    if (x > T(0)) return T(1);
    return x == T(0) ? T(at_kink) : x;
  }
  /// abs''(x) = 0 everywhere, the kink included (NaN stays NaN).
  template <class T>
  T second_derivative(const T& x, const T& /*a*/, const T& /*d*/) const {
    return x != x ? x : T(0);
  }
};

/// -x.  Derivative -1.  Domain: all reals.
struct Negate {
  static constexpr std::string_view name = "neg";
  static constexpr std::string_view rule = "-1";
  // Every local derivative is +1 or -1: folding a partial by it is exact.
  static constexpr bool exact_partials = true;
  static constexpr Domain domain = Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    return -x;
  }
  template <class T>
  T derivative(const T& /*x*/, const T& /*a*/) const {
    return T(-1);
  }
  /// neg''(x) = 0 (NaN stays NaN).
  template <class T>
  T second_derivative(const T& x, const T& /*a*/, const T& /*d*/) const {
    return x != x ? x : T(0);
  }
};

// ================================================================ binary ===
// A binary primitive's derivative(x1, x2, y) returns {dy/dx1, dy/dx2}. Its
// `kink` says whether (x1, x2) lies on a kink (where the checker compares with
// one-sided derivatives instead of a central difference), `in_domain` whether
// both partials are defined there.

/// x1 + x2.  Partials 1, 1.  Domain: all reals.
struct Add {
  static constexpr std::string_view name = "add";
  static constexpr std::string_view rule = "1, 1";
  // Every local derivative is +1 or -1: folding a partial by it is exact.
  static constexpr bool exact_partials = true;
  template <class T>
  T forward(const T& a, const T& b) const {
    return a + b;
  }
  template <class T>
  std::array<T, 2> derivative(const T&, const T&, const T&) const {
    return {T(1), T(1)};
  }
  static constexpr bool kink(double, double) { return false; }
  static constexpr bool in_domain(double, double) { return true; }
  /// Second partials {f_11, f_12, f_22} = {0, 0, 0}.
  template <class T>
  std::array<T, 3> second_derivative(const T&, const T&, const T&) const {
    return {T(0), T(0), T(0)};
  }
};

/// x1 - x2.  Partials 1, -1.  Domain: all reals.
struct Subtract {
  static constexpr std::string_view name = "sub";
  static constexpr std::string_view rule = "1, -1";
  // Every local derivative is +1 or -1: folding a partial by it is exact.
  static constexpr bool exact_partials = true;
  template <class T>
  T forward(const T& a, const T& b) const {
    return a - b;
  }
  template <class T>
  std::array<T, 2> derivative(const T&, const T&, const T&) const {
    return {T(1), T(-1)};
  }
  static constexpr bool kink(double, double) { return false; }
  static constexpr bool in_domain(double, double) { return true; }
  /// Second partials {0, 0, 0}.
  template <class T>
  std::array<T, 3> second_derivative(const T&, const T&, const T&) const {
    return {T(0), T(0), T(0)};
  }
};

/// x1 * x2.  Partials x2, x1.  Domain: all reals.
struct Multiply {
  static constexpr std::string_view name = "mul";
  static constexpr std::string_view rule = "x2, x1";
  template <class T>
  T forward(const T& a, const T& b) const {
    return a * b;
  }
  template <class T>
  std::array<T, 2> derivative(const T& a, const T& b, const T&) const {
    return {b, a};
  }
  static constexpr bool kink(double, double) { return false; }
  static constexpr bool in_domain(double, double) { return true; }
  /// Second partials {f_11, f_12, f_22} = {0, 1, 0}.
  template <class T>
  std::array<T, 3> second_derivative(const T&, const T&, const T&) const {
    return {T(0), T(1), T(0)};
  }
};

/// x1 / x2.  Partials 1/x2, -y/x2.  Domain: x2 != 0. Where 1/x2 overflows
/// (x2 subnormal), -y/x2 is formed by a division, so that it is 0 for
/// x1 = 0 (the truth -x1/x2^2), not 0 * inf.
struct Divide {
  static constexpr std::string_view name = "div";
  static constexpr std::string_view rule = "1/x2, -y/x2";
  template <class T>
  T forward(const T& a, const T& b) const {
    return a / b;
  }
  template <class T>
  std::array<T, 2> derivative(const T&, const T& b, const T& y) const {
    const T r = T(1) / b;
    const T db = -y * r;
    if (db != db) [[unlikely]]
      return {r, T(-(y / b))};
    return {r, db};
  }
  static constexpr bool kink(double, double) { return false; }
  static constexpr bool in_domain(double, double b) { return b != 0; }
  /// Second partials {0, -1/x2^2, 2y/x2^2}, formed by divisions (-(1/x2)/x2,
  /// 2(y/x2)/x2) so that they do not overflow early; f_22 is 0 where y is.
  template <class T>
  std::array<T, 3> second_derivative(const T&, const T& b, const T& y) const {
    const T r = T(1) / b;
    return {T(0), T(-(r / b)), y == T(0) ? T(0) : T(T(2) * (y / b) / b)};
  }
};

/// pow(x, p) = x^p.  Partials p x^(p-1) and log(x) x^p.
/// Domain: x > 0 for a variable exponent; any x where x^p is real for a
/// constant one (then the second partial is never used). At x = 0 with p > 0
/// the second partial is 0 (0^p is constant in p there), not 0 * -inf.
struct Pow {
  static constexpr std::string_view name = "pow";
  static constexpr std::string_view rule = "p x^(p-1), log(x) x^p";
  template <class T>
  T forward(const T& x, const T& p) const {
    using std::pow;
    if constexpr (!std::is_floating_point_v<T>) {
      // Boost.Multiprecision 1.74's pow recurses without end (a stack
      // overflow) for a NaN exponent with its sign bit set (-2 * NaN): it
      // takes x^-p = 1/x^p for negative p, and -NaN stays "negative".
      if (p != p) return x == T(1) ? T(1) : p;  // pow(1, NaN) = 1, as std::pow
    }
    return pow(x, p);
  }
  template <class T>
  std::array<T, 2> derivative(const T& x, const T& p, const T& y) const {
    using std::abs;
    using std::log;
    using std::pow;
    using std::isfinite;
    // p y / x where y is a normal number; where x^p underflowed or overflowed
    // (x = 1e-300, p = 1.5), p x^(p-1) is still representable.
    const bool y_normal = isfinite(y) && abs(y) >= T(std::numeric_limits<double>::min());
    // x^0 is 1 everywhere: dx is 0 at x = 0 too, not 0 * 0^-1 = NaN.
    T dx = p == T(0)                ? T(0)
           : x != T(0) && y_normal ? T(p * (y / x))
                                   : T(p * pow(x, T(p - T(1))));
    // y / x overflows for a tiny x (pow(1e-310, 1e-10)) although p y / x,
    // about 1e300, is finite: then the product first.
    if (y_normal && !isfinite(dx) && isfinite(p) && x != T(0)) dx = (p * y) / x;
    T dp = y == T(0) ? T(0) : T(log(x) * y);
    if constexpr (std::is_floating_point_v<T>) {
      // A subnormal x^p has lost digits: form log(x) x^p in one exponential.
      using std::copysign;
      using std::exp;
      using std::fabs;
      if (y != T(0) && fabs(y) < std::numeric_limits<T>::min() && x > T(0) && x != T(1)) {
        const T lx = log(x);
        dp = copysign(exp(p * lx + log(fabs(lx))), lx);
      }
    }
    return {dx, dp};
  }
  static constexpr bool kink(double, double) { return false; }
  static constexpr bool in_domain(double x, double) { return x > 0; }
  /// Second partials f_xx = p(p - 1) x^(p-2), f_xp = x^(p-1)(1 + p log x),
  /// f_pp = log(x)^2 x^p; with y = x^p, the powers are y/x and y/x^2 where y
  /// is a normal number and x is not 0 (otherwise pow itself). A zero factor
  /// gives 0 (0^p is constant in p for p > 0; x^p is linear in x for p = 0
  /// and 1), and the products are formed in an order that does not overflow
  /// where another would. 1 + p log x cancels where x^p is near 1/e: for a
  /// double it is formed in long double (on x86-64, 11 more bits).
  template <class T>
  std::array<T, 3> second_derivative(const T& x, const T& p, const T& y) const {
    using std::abs;
    using std::isfinite;
    using std::log;
    using std::pow;
    if (x != x || p != p) return {T(x + p), T(x + p), T(x + p)};  // NaN
    auto product = [](const T& a, const T& b, const T& c) -> T {
      if (a == T(0) || b == T(0) || c == T(0)) return T(0);
      const T r = T(a * b) * c;
      if (isfinite(r)) return r;
      const T s = a * T(b * c);
      if (isfinite(s)) return s;
      const T t = T(a * c) * b;
      return isfinite(t) ? t : r;
    };
    const bool direct = x != T(0) && isfinite(y) && abs(y) >= T(std::numeric_limits<double>::min());
    const T y_x = direct ? T(y / x) : T(pow(x, T(p - T(1))));  // x^(p-1)
    const T q = p - T(1);
    T fxx = direct ? product(p, q, T(y_x / x)) : product(p, q, T(pow(x, T(p - T(2)))));
    if (direct && !isfinite(fxx)) {
      const T other = product(p, q, y_x) / x;  // y/x^2 overflowed, p (p - 1) y/x^2 need not
      if (isfinite(other)) fxx = other;
    }
    const T lx = log(x);
    T factor;  // 1 + p log x
    if constexpr (std::is_same_v<T, double>)
      factor = static_cast<double>(1.0L + static_cast<long double>(p) * std::log(static_cast<long double>(x)));
    else
      factor = T(1) + p * lx;
    const T fxp = y_x == T(0) ? T(0) : T(y_x * factor);
    T fpp = product(lx, lx, y);
    if constexpr (std::is_floating_point_v<T>) {
      // A subnormal x^p has lost digits: log(x)^2 x^p in one exponential, as
      // for the first partial.
      using std::exp;
      if (y != T(0) && abs(y) < std::numeric_limits<T>::min() && x > T(0) && x != T(1))
        fpp = exp(p * lx + T(2) * log(abs(lx)));
    }
    return {fxx, fxp, fpp};
  }
};

/// min(x1, x2).  Partials (1, 0) where x1 < x2, (0, 1) where x2 < x1; at a tie
/// the whole derivative goes to the first argument (1, 0), as std::min returns
/// its first argument on a tie. Domain: all reals. Kink: x1 == x2.
struct Min {
  static constexpr std::string_view name = "min";
  static constexpr std::string_view rule = "x1<=x2 ? (1,0) : (0,1)";
  template <class T>
  T forward(const T& a, const T& b) const {
    if (a != a || b != b) return a + b;  // a NaN propagates
    return b < a ? b : a;
  }
  template <class T>
  std::array<T, 2> derivative(const T& a, const T& b, const T&) const {
    if (b < a) return {T(0), T(1)};
    return {T(1), T(0)};
  }
  static constexpr bool kink(double a, double b) { return a == b; }
  static constexpr bool in_domain(double, double) { return true; }
  /// Second partials {0, 0, 0}, at a tie too.
  template <class T>
  std::array<T, 3> second_derivative(const T&, const T&, const T&) const {
    return {T(0), T(0), T(0)};
  }
};

/// max(x1, x2).  Partials (1, 0) where x1 > x2, (0, 1) where x2 > x1; at a tie
/// the whole derivative goes to the first argument (1, 0), so max(z, 0) has
/// the same derivative as relu(z), 1 at z = 0. Domain: all reals. Kink: x1 == x2.
struct Max {
  static constexpr std::string_view name = "max";
  static constexpr std::string_view rule = "x1>=x2 ? (1,0) : (0,1)";
  template <class T>
  T forward(const T& a, const T& b) const {
    if (a != a || b != b) return a + b;  // a NaN propagates
    return a < b ? b : a;
  }
  template <class T>
  std::array<T, 2> derivative(const T& a, const T& b, const T&) const {
    if (a < b) return {T(0), T(1)};
    return {T(1), T(0)};
  }
  static constexpr bool kink(double a, double b) { return a == b; }
  static constexpr bool in_domain(double, double) { return true; }
  /// Second partials {0, 0, 0}, at a tie too.
  template <class T>
  std::array<T, 3> second_derivative(const T&, const T&, const T&) const {
    return {T(0), T(0), T(0)};
  }
};

// ================================================================= lists ===

/// Every unary primitive slope ships. Tests, the checker and the printers
/// iterate over this list.
using unary_primitives =
    std::tuple<Sigmoid, Tanh, Relu, LeakyRelu, Softplus, Exp, Exp2, Expm1, Log, Log2, Log10, Log1p,
               Sqrt, Cbrt, Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh, Erf,
               Erfc, Abs, Negate>;

/// Every binary primitive slope ships.
using binary_primitives = std::tuple<Add, Subtract, Multiply, Divide, Pow, Min, Max>;
/// Losses: unary primitives with a data parameter (the target), verified by
/// slope-check like the others (with their default parameters) but not
/// drawn by the random composition tests, whose steps take no data.
using loss_primitives = std::tuple<BinaryCrossEntropy>;

}  // namespace slope
