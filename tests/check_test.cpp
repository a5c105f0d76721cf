// check_test.cpp - the multiprecision reference (numerical derivatives, ULP
// measures) and the accuracy of sigmoid and tanh over their whole range.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <slope/check.hpp>
#include <slope/slope.hpp>

using slope::check::Real100;
using slope::check::Real50;

TEST_CASE("numerical derivatives reach 30 digits on smooth functions") {
  using boost::multiprecision::abs;
  std::function<Real50(const Real50&)> f = [](const Real50& x) { return exp(x) * sin(x); };
  for (double x : {-2.0, 0.0, 0.3, 1.0, 5.0}) {
    CAPTURE(x);
    const Real50 exact = exp(Real50(x)) * (sin(Real50(x)) + cos(Real50(x)));
    const auto d = slope::check::derivative<Real50>(f, Real50(x));
    CHECK(abs(d.value - exact) <= 1e-30 * abs(exact));
    CHECK(d.error <= 1e-30 * abs(exact));
    CHECK(abs(d.value - exact) <= 10 * d.error + Real50(1e-45));  // the estimate is honest
  }
}

TEST_CASE("one-sided numerical derivatives at a kink") {
  std::function<Real50(const Real50&)> f = [](const Real50& x) {
    return x < 0 ? Real50(-0.5 * x) : Real50(x * x + 2 * x);
  };
  const auto left = slope::check::derivative<Real50>(f, Real50(0), slope::check::Side::left);
  const auto right = slope::check::derivative<Real50>(f, Real50(0), slope::check::Side::right);
  CHECK(static_cast<double>(left.value) == doctest::Approx(-0.5).epsilon(1e-30));
  CHECK(static_cast<double>(right.value) == doctest::Approx(2.0).epsilon(1e-30));
}

TEST_CASE("ULP and relative error measures") {
  CHECK(slope::check::ulp_error(1.0, Real50(1)) == 0.0);
  CHECK(slope::check::ulp_error(std::nextafter(1.0, 2.0), Real50(1)) == 1.0);
  CHECK(slope::check::ulp_error(1.5, Real50(1.5) + Real50(std::ldexp(1.0, -53))) == 0.5);
  const double tiny = std::numeric_limits<double>::denorm_min();
  CHECK(slope::check::ulp_error(3 * tiny, Real50(5) * Real50(tiny)) == 2.0);
  CHECK(slope::check::ulp_error(0.0, Real50(0)) == 0.0);
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(slope::check::ulp_error(inf, Real50("1e400")) == 0.0);
  CHECK(std::isnan(slope::check::ulp_error(std::nan(""), Real50(1))));
  CHECK(slope::check::relative_error(1.1, Real50(1)) == doctest::Approx(0.1));
}

namespace {

struct Accuracy {
  double value_ulps = 0, value_at = 0;
  double derivative_ulps = 0, derivative_at = 0;
  void add(double z, double value_ulp, double derivative_ulp) {
    if (value_ulp > value_ulps) value_ulps = value_ulp, value_at = z;
    if (derivative_ulp > derivative_ulps) derivative_ulps = derivative_ulp, derivative_at = z;
  }
};

// A few thousand points over [-750, 750]: a uniform grid, random points where
// the functions bend and saturate, and the powers of two.
std::vector<double> tail_points() {
  std::vector<double> z;
  for (int i = 0; i <= 6000; ++i) z.push_back(-750.0 + 0.25 * i);
  std::mt19937_64 rng(20261127);
  std::uniform_real_distribution<double> near(-45.0, 45.0);
  for (int i = 0; i < 3000; ++i) z.push_back(near(rng));
  for (int k = -1074; k <= 9; ++k) {
    z.push_back(std::ldexp(1.0, k));
    z.push_back(-std::ldexp(1.0, k));
  }
  return z;
}

template <class P, class Value, class Derivative>
Accuracy measure(Value exact_value, Derivative exact_derivative) {
  Accuracy acc;
  slope::Tape tape;
  for (double z : tail_points()) {
    tape.reset();
    slope::Var x = z;
    const slope::Var y = slope::apply(P{}, x);
    const double d = slope::derivatives(y, slope::wrt(x))[0];
    const Real50 zm(z);
    acc.add(z, slope::check::ulp_error(y.value(), exact_value(zm)),
            slope::check::ulp_error(d, exact_derivative(zm)));
  }
  return acc;
}

}  // namespace

TEST_CASE("sigmoid: value within 3 ULP and derivative within 4 ULP over [-750, 750]") {
  // The truth, from formulas independent of slope's: 1/(1 + e^-z) and
  // sigmoid'(z) = 1 / (4 cosh^2(z/2)), in 50 digits.
  const Accuracy acc = measure<slope::Sigmoid>(
      [](const Real50& z) { return Real50(1 / (1 + exp(-z))); },
      [](const Real50& z) {
        const Real50 c = cosh(z / 2);
        return Real50(1 / (4 * c * c));
      });
  MESSAGE("sigmoid: max value error " << acc.value_ulps << " ULP at z = " << acc.value_at
                                      << ", max derivative error " << acc.derivative_ulps
                                      << " ULP at z = " << acc.derivative_at);
  CHECK(acc.value_ulps <= 3.0);
  CHECK(acc.derivative_ulps <= 4.0);
}

TEST_CASE("tanh: value within 3 ULP and derivative within 4 ULP over [-750, 750]") {
  const Accuracy acc = measure<slope::Tanh>(
      [](const Real50& z) { return Real50(tanh(z)); },
      [](const Real50& z) {
        const Real50 c = cosh(z);
        return Real50(1 / (c * c));
      });
  MESSAGE("tanh: max value error " << acc.value_ulps << " ULP at z = " << acc.value_at
                                   << ", max derivative error " << acc.derivative_ulps
                                   << " ULP at z = " << acc.derivative_at);
  CHECK(acc.value_ulps <= 3.0);
  CHECK(acc.derivative_ulps <= 4.0);
}

TEST_CASE("where the textbook rules give 0, slope does not") {
  slope::Tape tape;
  for (double z : {37.0, 40.0, 100.0, 700.0}) {
    CAPTURE(z);
    const double a = 1.0 / (1.0 + std::exp(-z));
    CHECK(a * (1.0 - a) == 0.0);  // the textbook rule
    slope::Var x = z;
    const double d = slope::derivatives(slope::sigmoid(x), slope::wrt(x))[0];
    CHECK(d > 0.0);
    const Real50 c = cosh(Real50(z) / 2);
    CHECK(slope::check::ulp_error(d, Real50(1 / (4 * c * c))) <= 4.0);
  }
  for (double z : {20.0, 30.0, -100.0, 350.0}) {
    CAPTURE(z);
    const double t = std::tanh(z);
    CHECK(1.0 - t * t == 0.0);
    slope::Var x = z;
    const double d = slope::derivatives(slope::tanh(x), slope::wrt(x))[0];
    CHECK(d > 0.0);
    const Real50 c = cosh(Real50(z));
    CHECK(slope::check::ulp_error(d, Real50(1 / (c * c))) <= 4.0);
  }
}

TEST_CASE("sigmoid of a large negative z is a subnormal, not 0") {
  const double s = slope::sigmoid(-720.0);
  CHECK(s > 0.0);
  CHECK(s < std::numeric_limits<double>::min());
  CHECK(slope::check::ulp_error(s, Real50(1 / (1 + exp(Real50(720))))) <= 1.0);
  slope::Tape tape;
  slope::Var x = -720.0;
  const double d = slope::derivatives(slope::sigmoid(x), slope::wrt(x))[0];
  CHECK(d > 0.0);
}
