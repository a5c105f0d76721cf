// primitives_test.cpp - the table-driven test of every primitive.
//
// Each primitive of slope::unary_primitives, slope::binary_primitives and
// slope::loss_primitives is checked at probe points inside its domain: the value the tape records
// against the same function evaluated in 100-digit arithmetic, and the
// derivative the tape records (and the block's derivative(x, y)) against a
// numerical derivative computed in 100 digits. At kinks, the documented value
// must lie between the one-sided numerical derivatives. A new primitive added
// to the lists is tested here with no edit to this file.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <slope/check.hpp>
#include <slope/slope.hpp>

namespace {

using slope::check::Real100;
using slope::check::Real50;

// Tolerance from the issue: relative error below 1e-14 away from kinks.
constexpr double tolerance = 1e-14;

const std::vector<double> probes = {-40,  -10,   -3,   -1.25, -1,  -0.99, -0.5, -0.1, -1e-3,
                                    -1e-8, 0,     1e-8, 1e-3,  0.1, 0.5,   0.99, 1,    1.25,
                                    3,     10,    40};

template <class P>
double kink_distance(double x) {
  double d = std::numeric_limits<double>::infinity();
  for (double k : P::kinks) d = std::min(d, std::fabs(x - k));
  return d;
}

// Points inside the domain where the derivative is infinite (cbrt at 0).
template <class P>
double singularity_distance(double x) {
  double d = std::numeric_limits<double>::infinity();
  if constexpr (requires { P::singularities; })
    for (double s : P::singularities) d = std::min(d, std::fabs(x - s));
  return d;
}

// The largest step the numerical derivative may take at x: small against x,
// and staying inside the domain and away from kinks.
template <class P>
double step_for(double x) {
  double h = std::ldexp(1.0, -10) * std::max(1.0, std::fabs(x));
  h = std::min(h, std::fabs(x - P::domain.lo) / 2);
  h = std::min(h, std::fabs(P::domain.hi - x) / 2);
  h = std::min(h, kink_distance<P>(x) / 2);
  h = std::min(h, singularity_distance<P>(x) / 2);
  return h;
}

// |computed - exact| within tolerance * |exact|, plus a few times the
// reference's own error estimate (which matters only where exact is ~0), plus
// the subnormal spacing (a true result below the double range rounds to 0).
void check_close(double computed, const Real100& exact, const Real100& reference_error) {
  using boost::multiprecision::abs;
  if (std::isinf(computed) || boost::multiprecision::isinf(exact)) {
    CHECK(Real100(computed) == exact);
    return;
  }
  const Real100 err = abs(Real100(computed) - exact);
  const Real100 allowed = tolerance * abs(exact) + 4 * reference_error +
                          Real100(std::numeric_limits<double>::denorm_min());
  CAPTURE(computed);
  CAPTURE(static_cast<double>(exact));
  CAPTURE(static_cast<double>(err / (abs(exact) > 0 ? abs(exact) : Real100(1))));
  CHECK(err <= allowed);
}

template <class P>
Real100 numerical(double x, slope::check::Side side, double step) {
  std::function<Real100(const Real100&)> f = [](const Real100& z) { return P{}.forward(z); };
  const auto d = slope::check::derivative<Real100>(f, Real100(x), side, Real100(step));
  // The reference must itself be far more accurate than what it checks.
  using boost::multiprecision::abs;
  CAPTURE(x);
  CHECK(d.error <= 1e-30 * abs(d.value) + Real100(1e-80));
  return d.value;
}

}  // namespace

TEST_CASE_TEMPLATE_DEFINE("value and derivative at probe points", P, unary_probe) {
  for (double x : probes) {
    if (!P::domain.contains(x) || x == P::domain.lo || x == P::domain.hi) continue;
    if (kink_distance<P>(x) == 0) continue;  // kinks have their own test
    if (singularity_distance<P>(x) == 0) continue;
    CAPTURE(P::name);
    CAPTURE(x);
    slope::Tape tape;
    slope::Var v = x;
    const slope::Var y = slope::apply(P{}, v);
    const double dy = slope::derivatives(y, slope::wrt(v))[0];

    // The value: the same as the block's forward(x), and accurate.
    CHECK(y.value() == P{}.forward(x));
    const Real100 exact_value = P{}.forward(Real100(x));
    check_close(y.value(), exact_value, Real100(0));

    // The derivative, as recorded and as the block's derivative(x, y).
    const double step = step_for<P>(x);
    std::function<Real100(const Real100&)> f = [](const Real100& z) { return P{}.forward(z); };
    const auto ref = slope::check::derivative<Real100>(f, Real100(x), slope::check::Side::central,
                                                       Real100(step));
    using boost::multiprecision::abs;
    REQUIRE(ref.error <= 1e-30 * abs(ref.value) + Real100(1e-80));
    check_close(dy, ref.value, ref.error);
    check_close(P{}.derivative(x, y.value()), ref.value, ref.error);
    // The 100-digit evaluation of the rule agrees with the numerical
    // derivative to far more digits than a double has (where the derivative
    // is within the double range at all: beyond it, erf'(40) ~ 1e-695, even
    // 100 digits cannot resolve it against erf(40) ~ 1).
    const Real100 rule_mp = P{}.derivative(Real100(x), exact_value);
    if (abs(rule_mp) > 1e-300 || abs(ref.value) > 1e-300)
      CHECK(abs(rule_mp - ref.value) <= 1e-28 * abs(ref.value) + 4 * ref.error);
  }
}
TEST_CASE_TEMPLATE_APPLY(unary_probe, slope::unary_primitives);

// The losses at their default target (y = 1) and on their two other paths,
// a label 0 and a soft target.
struct CrossEntropyTarget0 : slope::BinaryCrossEntropy {
  CrossEntropyTarget0() : slope::BinaryCrossEntropy{.target = 0.0} {}
};
struct CrossEntropySoftTarget : slope::BinaryCrossEntropy {
  CrossEntropySoftTarget() : slope::BinaryCrossEntropy{.target = 0.3} {}
};
TEST_CASE_TEMPLATE_APPLY(unary_probe, slope::loss_primitives);
TEST_CASE_TEMPLATE_APPLY(unary_probe, std::tuple<CrossEntropyTarget0, CrossEntropySoftTarget>);

// A primitive defined outside slope, as in the README: the same test applies.
namespace user {
/// swish(z) = z sigmoid(z).  swish'(z) = s + a(1 - s), s = sigmoid(z).
/// Domain: all reals. No kinks.
struct Swish {
  static constexpr std::string_view name = "swish";
  static constexpr std::string_view rule = "s + a(1-s)";
  static constexpr slope::Domain domain = slope::Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& z) const {
    return z * slope::Sigmoid{}.forward(z);
  }
  template <class T>
  T derivative(const T& z, const T& a) const {
    const T s = slope::Sigmoid{}.forward(z);
    return s + a * (T(1) - s);
  }
};
}  // namespace user
TEST_CASE_TEMPLATE_APPLY(unary_probe, std::tuple<user::Swish>);

TEST_CASE_TEMPLATE_DEFINE("the documented value at each kink", P, unary_kink) {
  for (double k : P::kinks) {
    for (double x : {k, k == 0 ? -0.0 : k}) {
      CAPTURE(P::name);
      CAPTURE(x);
      slope::Tape tape;
      slope::Var v = x;
      const slope::Var y = slope::apply(P{}, v);
      const double dy = slope::derivatives(y, slope::wrt(v))[0];
      CHECK(y.value() == P{}.forward(x));
      if constexpr (requires { P{}.at_kink; }) CHECK(dy == P{}.at_kink);
      // The value used lies between the one-sided derivatives.
      const double left = static_cast<double>(numerical<P>(x, slope::check::Side::left, 0.25));
      const double right = static_cast<double>(numerical<P>(x, slope::check::Side::right, 0.25));
      CHECK(dy >= std::min(left, right));
      CHECK(dy <= std::max(left, right));
    }
  }
}
TEST_CASE_TEMPLATE_APPLY(unary_kink, slope::unary_primitives);

TEST_CASE("relu and leaky_relu use the right derivative at 0, as the seed slide does") {
  for (double x : {0.0, -0.0}) {
    const double right_relu = static_cast<double>(
        numerical<slope::Relu>(x, slope::check::Side::right, 0.25));
    const double right_leaky = static_cast<double>(
        numerical<slope::LeakyRelu>(x, slope::check::Side::right, 0.25));
    CHECK(right_relu == doctest::Approx(1.0).epsilon(1e-30));
    CHECK(right_leaky == doctest::Approx(1.0).epsilon(1e-30));
    CHECK(slope::Relu{}.derivative(x, 0.0) == 1.0);
    CHECK(slope::LeakyRelu{}.derivative(x, 0.0) == 1.0);
  }
  CHECK(slope::LeakyRelu{}.slope == 0.01);
  CHECK(slope::LeakyRelu{}.derivative(-3.0, -0.03) == 0.01);
}

TEST_CASE_TEMPLATE_DEFINE("partial derivatives at probe pairs", P, binary_probe) {
  const double points[] = {-2.5, -1.0, -0.3, 0.5, 1.0, 1.7, 3.0};
  for (double a : points) {
    for (double b : points) {
      if (!P::in_domain(a, b) || P::kink(a, b)) continue;
      CAPTURE(P::name);
      CAPTURE(a);
      CAPTURE(b);
      slope::Tape tape;
      slope::Var va = a, vb = b;
      const slope::Var y = slope::apply(P{}, va, vb);
      const auto [da, db] = slope::derivatives(y, slope::wrt(va, vb));
      check_close(y.value(), P{}.forward(Real100(a), Real100(b)), Real100(0));
      // With one operand a constant, only the other one is recorded.
      const slope::Var ya = slope::apply(P{}, va, b);
      const slope::Var yb = slope::apply(P{}, a, vb);
      CHECK(slope::derivatives(ya, slope::wrt(va))[0] == da);
      CHECK(slope::derivatives(yb, slope::wrt(vb))[0] == db);

      std::function<Real100(const Real100&)> fa = [b](const Real100& z) {
        return P{}.forward(z, Real100(b));
      };
      std::function<Real100(const Real100&)> fb = [a](const Real100& z) {
        return P{}.forward(Real100(a), z);
      };
      const double step = std::ldexp(1.0, -8);
      const auto ra = slope::check::derivative<Real100>(fa, Real100(a), slope::check::Side::central,
                                                        Real100(step));
      const auto rb = slope::check::derivative<Real100>(fb, Real100(b), slope::check::Side::central,
                                                        Real100(step));
      check_close(da, ra.value, ra.error);
      check_close(db, rb.value, rb.error);
    }
  }
}
TEST_CASE_TEMPLATE_APPLY(binary_probe, slope::binary_primitives);

TEST_CASE("min and max give a tie to the first argument, between the one-sided derivatives") {
  slope::Tape tape;
  slope::Var a = 1.5, b = 1.5;
  auto [mxa, mxb] = slope::derivatives(slope::max(a, b), slope::wrt(a, b));
  auto [mna, mnb] = slope::derivatives(slope::min(a, b), slope::wrt(a, b));
  CHECK(mxa == 1.0);
  CHECK(mxb == 0.0);
  CHECK(mna == 1.0);
  CHECK(mnb == 0.0);
  // max(z, 0) and relu(z) agree at the kink.
  slope::Var z = 0.0;
  CHECK(slope::derivatives(slope::max(z, 0.0), slope::wrt(z))[0] ==
        slope::derivatives(slope::relu(z), slope::wrt(z))[0]);
}

TEST_CASE("every primitive has a name, a rule and a unique name") {
  std::vector<std::string_view> names;
  std::apply([&](auto... p) { (names.push_back(decltype(p)::name), ...); },
             slope::unary_primitives{});
  std::apply([&](auto... p) { (names.push_back(decltype(p)::name), ...); },
             slope::binary_primitives{});
  CHECK(names.size() >= 20);
  std::sort(names.begin(), names.end());
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
}

TEST_CASE("edges: signed zeros, subnormals and huge ratios give the one-sided truth") {
  const double inf = std::numeric_limits<double>::infinity();
  const double tiny = std::numeric_limits<double>::denorm_min();
  // sqrt at -0 is -0; its derivative is the right one, +inf, for both zeros,
  // so sqrt(-x) at x = +0 has the one-sided derivative -inf.
  CHECK(slope::Sqrt{}.derivative(-0.0, slope::Sqrt{}.forward(-0.0)) == inf);
  CHECK(slope::Sqrt{}.derivative(0.0, 0.0) == inf);
  {
    slope::Tape tape;
    slope::Var x = 0.0;
    CHECK(slope::derivatives(slope::sqrt(-x), slope::wrt(x))[0] == -inf);
  }
  // log, log2 and log10 at -0: +inf, as at +0.
  CHECK(slope::Log{}.derivative(-0.0, -inf) == inf);
  CHECK(slope::Log2{}.derivative(-0.0, -inf) == inf);
  CHECK(slope::Log10{}.derivative(-0.0, -inf) == inf);
  CHECK(slope::Log{}.derivative(0.0, -inf) == inf);
  // d(x/y)/dy = -x/y^2 is 0 for x = 0, also where 1/y overflows.
  const auto d = slope::Divide{}.derivative(0.0, tiny, 0.0 / tiny);
  CHECK(d[1] == 0.0);
  CHECK(d[0] == inf);  // 1/y = 2e323 does overflow
  // d/dx pow(x, p) = p x^(p-1) at x = 1e-310, p = 1e-10: about 1e300.
  const double x = 1e-310, p = 1e-10;
  const auto dp = slope::Pow{}.derivative(x, p, std::pow(x, p));
  const double truth = p * std::pow(x, p) / x;  // (p y) / x, finite
  CHECK(std::isfinite(dp[0]));
  CHECK(dp[0] == doctest::Approx(truth).epsilon(1e-14));
  CHECK(truth > 1e299);
  // pow on 50 digits with a NaN exponent whose sign bit is set (-2 * NaN):
  // NaN (Boost 1.74's own pow recursed without end there), 1 for a base 1.
  const Real50 nan50 = Real50(-2) * std::numeric_limits<Real50>::quiet_NaN();
  CHECK(boost::multiprecision::isnan(slope::Pow{}.forward(Real50(0.25), nan50)));
  CHECK(slope::Pow{}.forward(Real50(1), nan50) == 1);
}
