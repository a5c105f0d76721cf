// check.hpp - verification against high-precision numerical differentiation.
//
// Numerical derivatives are computed in Boost.Multiprecision (50 digits by
// default), by Richardson extrapolation of finite differences (Ridders'
// scheme), with an error estimate: the reference is exact to far more digits
// than a double carries. The multiprecision arithmetic itself is compiled
// once, in src/check.cpp; code that includes this header only instantiates
// the user's own function for the multiprecision type.
#pragma once

#include <functional>

#include <boost/multiprecision/cpp_bin_float.hpp>

namespace slope::check {

/// 50 significant decimal digits: the default reference precision.
using Real50 = boost::multiprecision::cpp_bin_float_50;
/// 100 digits, for derivatives far smaller than the function value (tails).
using Real100 = boost::multiprecision::cpp_bin_float_100;

/// Which finite differences to use: central (smooth points), or one-sided
/// from the left or the right (at a kink, for the one-sided derivatives).
enum class Side { central, left, right };

/// A numerically computed derivative and an estimate of its absolute error.
template <class R>
struct NumericalDerivative {
  R value;
  R error;
};

/// f'(x) by Richardson-extrapolated finite differences in precision R.
/// `step` is the largest step used: the function must be smooth on
/// [x - step, x + step] (or the one side used); 0 picks 2^-6 max(1, |x|).
/// Supported R: Real50 and Real100.
template <class R>
NumericalDerivative<R> derivative(const std::function<R(const R&)>& f, const R& x,
                                  Side side = Side::central, const R& step = R(0));

extern template NumericalDerivative<Real50> derivative(const std::function<Real50(const Real50&)>&,
                                                       const Real50&, Side, const Real50&);
extern template NumericalDerivative<Real100> derivative(
    const std::function<Real100(const Real100&)>&, const Real100&, Side, const Real100&);

/// A reference derivative at a double point, computed in the lowest
/// precision (50 or 100 digits) whose error estimate is below 1e-25 of the
/// value; `digits` says which one, 0 if neither was good enough.
struct Reference {
  Real100 value;
  Real100 error;
  int digits;
};

/// The derivative of a generic function f (callable with Real50 and Real100)
/// at x, for checking a double-precision derivative. At 50 digits a function
/// far steeper in value than in slope (tanh at 40, where f' ~ 1e-35) loses
/// its derivative to rounding; then 100 digits are used.
template <class F>
Reference reference_derivative(const F& f, double x, Side side = Side::central, double step = 0) {
  using boost::multiprecision::abs;
  const std::function<Real50(const Real50&)> f50 = [&f](const Real50& z) { return Real50(f(z)); };
  const auto d50 = derivative<Real50>(f50, Real50(x), side, Real50(step));
  if (d50.error <= 1e-25 * abs(d50.value)) return {Real100(d50.value), Real100(d50.error), 50};
  const std::function<Real100(const Real100&)> f100 = [&f](const Real100& z) {
    return Real100(f(z));
  };
  const auto d100 = derivative<Real100>(f100, Real100(x), side, Real100(step));
  return {d100.value, d100.error, d100.error <= 1e-25 * abs(d100.value) ? 100 : 0};
}

/// The distance of `computed` from `exact` in units in the last place of the
/// double nearest to `exact` (2^-1074 for subnormal results). Two infinities
/// of the same sign are 0 apart; NaN on either side gives NaN.
double ulp_error(double computed, const Real50& exact);

/// The relative error |computed - exact| / |exact| (the absolute error when
/// exact is 0).
double relative_error(double computed, const Real50& exact);

}  // namespace slope::check
