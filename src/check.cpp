// check.cpp - numerical differentiation and error measures in
// Boost.Multiprecision, compiled once.
#include "slope/check.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace slope::check {

template <class R>
NumericalDerivative<R> derivative(const std::function<R(const R&)>& f, const R& x, Side side,
                                  const R& step) {
  using std::abs;
  // Ridders' scheme: a Neville tableau of difference quotients for steps
  // h, h/2, h/4, ..., each column eliminating the next power of h from the
  // error expansion. Central differences have only even powers (ratio 4 per
  // column); one-sided ones have all powers (ratio 2).
  constexpr int levels = 16;
  const R shrink = 2;
  const R ratio = side == Side::central ? R(4) : R(2);
  R h = step > 0 ? step : R(ldexp(R(1), -6) * (abs(x) > 1 ? abs(x) : R(1)));
  const R fx = side == Side::central ? R(0) : f(x);
  auto quotient = [&](const R& hh) -> R {
    switch (side) {
      case Side::left:
        return (fx - f(x - hh)) / hh;
      case Side::right:
        return (f(x + hh) - fx) / hh;
      default:
        return (f(x + hh) - f(x - hh)) / (2 * hh);
    }
  };
  std::vector<std::vector<R>> a(levels, std::vector<R>(levels));
  a[0][0] = quotient(h);
  NumericalDerivative<R> best{a[0][0], std::numeric_limits<R>::max()};
  for (int i = 1; i < levels; ++i) {
    h /= shrink;
    a[0][i] = quotient(h);
    R fac = ratio;
    for (int j = 1; j <= i; ++j) {
      a[j][i] = (a[j - 1][i] * fac - a[j - 1][i - 1]) / (fac - 1);
      fac *= ratio;
      const R e1 = abs(a[j][i] - a[j - 1][i]);
      const R e2 = abs(a[j][i] - a[j - 1][i - 1]);
      const R err = e1 > e2 ? e1 : e2;
      if (err <= best.error) best = {a[j][i], err};
    }
    // Stop once the diagonal grows apart again: rounding has taken over.
    if (abs(a[i][i] - a[i - 1][i - 1]) >= 2 * best.error) break;
  }
  return best;
}

template NumericalDerivative<Real50> derivative(const std::function<Real50(const Real50&)>&,
                                                const Real50&, Side, const Real50&);
template NumericalDerivative<Real100> derivative(const std::function<Real100(const Real100&)>&,
                                                 const Real100&, Side, const Real100&);

double ulp_error(double computed, const Real50& exact) {
  using boost::multiprecision::isinf;
  using boost::multiprecision::isnan;
  if (std::isnan(computed) || isnan(exact)) return std::numeric_limits<double>::quiet_NaN();
  const double nearest = static_cast<double>(exact);
  if (std::isinf(nearest) || std::isinf(computed))
    return computed == nearest ? 0.0 : std::numeric_limits<double>::infinity();
  const double mag = std::fabs(nearest);
  const double ulp = mag < std::numeric_limits<double>::min()
                         ? std::numeric_limits<double>::denorm_min()
                         : std::ldexp(1.0, std::ilogb(mag) - 52);
  const Real50 diff = abs(Real50(computed) - exact);
  return static_cast<double>(diff / ulp);
}

double relative_error(double computed, const Real50& exact) {
  using boost::multiprecision::isnan;
  if (std::isnan(computed) || isnan(exact)) return std::numeric_limits<double>::quiet_NaN();
  const Real50 diff = abs(Real50(computed) - exact);
  if (exact == 0) return static_cast<double>(diff);
  return static_cast<double>(diff / abs(exact));
}

}  // namespace slope::check
