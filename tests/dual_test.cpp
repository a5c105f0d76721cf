// dual_test.cpp - slope::Dual: forward-mode numbers, and the tape of Dual
// numbers (forward-over-reverse).
//
// Arithmetic and comparisons are checked against values worked out by hand.
// Every primitive of slope::unary_primitives and slope::binary_primitives is
// checked at points of its domain: forward mode on a Dual gives bitwise the
// value and derivative the double tape records; a tape of Duals gives bitwise
// the double tape's derivative in its values and the block's second
// derivative in its tangents; and the block's second derivative itself
// agrees with a 100-digit numerical derivative of its first derivative.
// A new primitive added to the lists is tested here with no edit to this
// file (only the table of named functions must learn its name).
#include <doctest/doctest.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <slope/check.hpp>
#include <slope/slope.hpp>

namespace {

using slope::Dual;
using D = slope::Dual<double>;
using slope::check::Real100;
using slope::check::Real50;

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}
/// The same bits, except that a zero matches a zero of either sign: a zero
/// derivative (cos'(0) = -0) times a tangent through careful_product, which
/// forward mode uses, is +0 where the tape's plain product keeps -0.
bool same_derivative(double a, double b) { return same_bits(a, b) || (a == 0 && b == 0); }
/// Equal as numbers (+0 == -0), or both NaN.
bool same_number(double a, double b) { return a == b || (a != a && b != b); }
std::string show(double x) { return fmt::format("{} ({:a})", x, x); }

#define CHECK_DUAL(expr, v, t)               \
  do {                                       \
    const auto dual_ = (expr);               \
    INFO(#expr);                             \
    CHECK(dual_.value() == (v));             \
    CHECK(dual_.tangent() == (t));           \
  } while (false)

#define CHECK_SAME_BITS(a, b)                \
  do {                                       \
    const double a_ = (a), b_ = (b);         \
    INFO(#a " = " << show(a_));              \
    INFO(#b " = " << show(b_));              \
    CHECK(same_bits(a_, b_));                \
  } while (false)

#define CHECK_SAME_DERIVATIVE(a, b)          \
  do {                                       \
    const double a_ = (a), b_ = (b);         \
    INFO(#a " = " << show(a_));              \
    INFO(#b " = " << show(b_));              \
    CHECK(same_derivative(a_, b_));          \
  } while (false)

#define CHECK_SAME_NUMBER(a, b)              \
  do {                                       \
    const double a_ = (a), b_ = (b);         \
    INFO(#a " = " << show(a_));              \
    INFO(#b " = " << show(b_));              \
    CHECK(same_number(a_, b_));              \
  } while (false)

// The probe points of primitives_test.cpp, and a few less round ones.
const std::vector<double> probes = {-40,  -10, -3,   -1.25, -1,  -0.99, -0.7, -0.5, -0.1, -1e-3,
                                    -1e-8, 0,   1e-8, 1e-3,  0.1, 0.3,   0.5,  0.99, 1,    1.25,
                                    2.5,   3,   7,    10,    40};

template <class P>
std::vector<double> points_of() {
  std::vector<double> xs;
  for (double x : probes)
    if (P::domain.contains(x)) xs.push_back(x);
  return xs;
}

template <class P>
double kink_distance(double x) {
  double d = std::numeric_limits<double>::infinity();
  for (double k : P::kinks) d = std::min(d, std::fabs(x - k));
  return d;
}
template <class P>
double singularity_distance(double x) {
  double d = std::numeric_limits<double>::infinity();
  if constexpr (requires { P::singularities; })
    for (double s : P::singularities) d = std::min(d, std::fabs(x - s));
  return d;
}
template <class P>
bool smooth_at(double x) {
  return x != P::domain.lo && x != P::domain.hi && kink_distance<P>(x) > 0 &&
         singularity_distance<P>(x) > 0;
}
// The largest step a numerical derivative may take at x: inside the domain,
// away from kinks and singularities.
template <class P>
double step_for(double x) {
  double h = std::ldexp(1.0, -10) * std::max(1.0, std::fabs(x));
  h = std::min(h, std::fabs(x - P::domain.lo) / 2);
  h = std::min(h, std::fabs(P::domain.hi - x) / 2);
  h = std::min(h, kink_distance<P>(x) / 2);
  h = std::min(h, singularity_distance<P>(x) / 2);
  return h;
}

// |computed - exact| within tolerance |exact|, plus a few times the
// reference's own error estimate, plus the subnormal spacing.
void check_close(double computed, const Real100& exact, const Real100& reference_error,
                 double tolerance) {
  using boost::multiprecision::abs;
  if (std::isinf(computed) || boost::multiprecision::isinf(exact)) {
    CHECK(Real100(computed) == exact);
    return;
  }
  const Real100 err = abs(Real100(computed) - exact);
  const Real100 allowed = tolerance * abs(exact) + 4 * reference_error +
                          Real100(std::numeric_limits<double>::denorm_min());
  CAPTURE(show(computed));
  CAPTURE(static_cast<double>(exact));
  CAPTURE(static_cast<double>(err / (abs(exact) > 0 ? abs(exact) : Real100(1))));
  CHECK(err <= allowed);
}

struct Reference {
  Real100 value, error;
};
/// f'(x) in 100 digits: the checker's numerical derivative, or where its
/// error estimate is poor, a fixed Neville tableau of central differences.
/// (check::derivative stops its tableau once the diagonal grows apart; where
/// f'''(x) = 0 the h^2 term is missing and it stops after two levels with an
/// estimate near 1e-14: atan'' at x = +-1, for one.)
Reference derivative100(const std::function<Real100(const Real100&)>& f, double x, double step) {
  using boost::multiprecision::abs;
  const auto d = slope::check::derivative<Real100>(f, Real100(x), slope::check::Side::central,
                                                   Real100(step));
  if (d.error <= 1e-30 * abs(d.value) + Real100(1e-80)) return {d.value, d.error};
  constexpr int levels = 10;
  std::array<std::array<Real100, levels>, levels> a{};
  Real100 h = Real100(step) / 16;
  const Real100 x100(x);
  for (int i = 0; i < levels; ++i, h /= 2) {
    a[0][i] = (f(x100 + h) - f(x100 - h)) / (2 * h);
    Real100 fac = 4;
    for (int j = 1; j <= i; ++j, fac *= 4)
      a[j][i] = (a[j - 1][i] * fac - a[j - 1][i - 1]) / (fac - 1);
  }
  return {a[levels - 1][levels - 1], abs(a[levels - 1][levels - 1] - a[levels - 2][levels - 2])};
}

struct Recorded {
  double value, derivative;
};
/// The value and the derivative the double tape records for p at x.
template <class P>
Recorded double_tape(const P& p, double x) {
  slope::Tape tape;
  slope::Var v = x;
  const slope::Var y = slope::apply(p, v);
  return {y.value(), slope::derivatives(y, slope::wrt(v))[0]};
}
/// What a tape of Duals records for p at x with input tangent t: the result
/// (value and tangent) and the derivative (value and tangent).
struct RecordedDual {
  D value, derivative;
};
template <class P>
RecordedDual dual_tape(const P& p, double x, double t) {
  slope::Tape<D> tape;
  slope::Var<D> v = D(x, t);
  const slope::Var<D> y = slope::apply(p, v);
  return {y.value(), slope::derivatives(y, slope::wrt(v))[0]};
}

}  // namespace

// ------------------------------------------------------------ arithmetic ----

TEST_CASE("a Dual from a number is a constant, and by default zero") {
  CHECK_DUAL(D(), 0.0, 0.0);
  CHECK_DUAL(D(2.5), 2.5, 0.0);
  CHECK_DUAL(D(3), 3.0, 0.0);  // from an int
  CHECK_DUAL(D(2.5, -1.5), 2.5, -1.5);
  const D from_double = 0.25;  // implicit, as for a double
  CHECK_DUAL(from_double, 0.25, 0.0);
}

TEST_CASE("arithmetic between Duals carries the derivative") {
  const D a(3.0, 2.0), b(4.0, 1.0);
  CHECK_DUAL(a + b, 7.0, 3.0);
  CHECK_DUAL(a - b, -1.0, 1.0);
  CHECK_DUAL(b - a, 1.0, -1.0);
  // (ab)' = a'b + ab' = 2*4 + 3*1
  CHECK_DUAL(a * b, 12.0, 11.0);
  // (a/b)' = (a'b - ab')/b^2 = (8 - 3)/16
  CHECK_DUAL(a / b, 0.75, 5.0 / 16.0);
  // (b/a)' = (b'a - ba')/a^2 = (3 - 8)/9
  CHECK_DUAL(D(4.0, 1.0) / D(2.0, 3.0), 2.0, (1.0 * 2.0 - 4.0 * 3.0) / 4.0);
  CHECK_DUAL(-a, -3.0, -2.0);
  CHECK_DUAL(+a, 3.0, 2.0);
  CHECK_DUAL(a * a * a, 27.0, 3.0 * 9.0 * 2.0);  // (a^3)' = 3a^2 a'
}

TEST_CASE("arithmetic with doubles on either side") {
  const D a(3.0, 2.0);
  CHECK_DUAL(a + 2.0, 5.0, 2.0);
  CHECK_DUAL(2.0 + a, 5.0, 2.0);
  CHECK_DUAL(a - 2.0, 1.0, 2.0);
  CHECK_DUAL(2.0 - a, -1.0, -2.0);
  CHECK_DUAL(a * 2.0, 6.0, 4.0);
  CHECK_DUAL(2.0 * a, 6.0, 4.0);
  CHECK_DUAL(a / 2.0, 1.5, 1.0);
  // (6/a)' = -6 a'/a^2 = -12/9
  CHECK_DUAL(6.0 / a, 2.0, -12.0 / 9.0);
}

TEST_CASE("arithmetic with ints on either side") {
  const D a(3.0, 2.0);
  CHECK_DUAL(a + 2, 5.0, 2.0);
  CHECK_DUAL(2 + a, 5.0, 2.0);
  CHECK_DUAL(a - 2, 1.0, 2.0);
  CHECK_DUAL(2 - a, -1.0, -2.0);
  CHECK_DUAL(a * 2, 6.0, 4.0);
  CHECK_DUAL(2 * a, 6.0, 4.0);
  CHECK_DUAL(a / 2, 1.5, 1.0);
  CHECK_DUAL(6 / a, 2.0, -12.0 / 9.0);
}

TEST_CASE("arithmetic with another floating type: a Dual<long double> and doubles") {
  const Dual<long double> l(1.5L, 2.0L);
  CHECK_DUAL(l * 2.0, 3.0L, 4.0L);
  CHECK_DUAL(2.0 + l, 3.5L, 2.0L);
  CHECK_DUAL(l - 0.5, 1.0L, 2.0L);
  CHECK_DUAL(l / 4, 0.375L, 0.5L);
  CHECK_DUAL(3.0 / Dual<long double>(2.0L, 1.0L), 1.5L, -0.75L);  // -3/4
  static_assert(std::is_same_v<decltype(l * 2.0), Dual<long double>>);
  const Dual<float> f(1.5f, 2.0f);
  CHECK_DUAL(f * 2.0, 3.0f, 4.0f);
}

TEST_CASE("compound assignment") {
  const D b(4.0, 1.0);
  D x(3.0, 2.0);
  x += b;
  CHECK_DUAL(x, 7.0, 3.0);
  x -= b;
  CHECK_DUAL(x, 3.0, 2.0);
  x *= b;
  CHECK_DUAL(x, 12.0, 11.0);
  x /= b;  // (12/4)' = (11*4 - 12*1)/16 = 2
  CHECK_DUAL(x, 3.0, 2.0);
  x += 2.0;
  CHECK_DUAL(x, 5.0, 2.0);
  x *= 2;
  CHECK_DUAL(x, 10.0, 4.0);
  x -= 1;
  CHECK_DUAL(x, 9.0, 4.0);
  x /= 2.0;
  CHECK_DUAL(x, 4.5, 2.0);
  D& r = (x += 1.0);
  CHECK(&r == &x);
}

TEST_CASE("comparisons compare values, never tangents") {
  const D p(1.0, 5.0), q(1.0, -3.0), r(2.0, -100.0);
  CHECK(p == q);
  CHECK_FALSE(p != q);
  CHECK_FALSE(p < q);
  CHECK(p <= q);
  CHECK(p >= q);
  CHECK_FALSE(p > q);
  CHECK(p < r);
  CHECK(r > p);
  CHECK(p != r);
  CHECK_FALSE(r <= p);
  // With doubles and ints on either side.
  CHECK(p == 1.0);
  CHECK(1.0 == p);
  CHECK(p == 1);
  CHECK(1 == p);
  CHECK(p != 2.0);
  CHECK(2 != p);
  CHECK(p < 2.0);
  CHECK(2.0 > p);
  CHECK(p <= 1);
  CHECK(0 < p);
  CHECK(p >= 1.0);
  CHECK(3 >= r);
  CHECK_FALSE(r < 2);
  CHECK_FALSE(2.5 <= r);
  // NaN compares unequal, as for a double.
  const D nan(std::numeric_limits<double>::quiet_NaN(), 0.0);
  CHECK_FALSE(nan == nan);
  CHECK_FALSE(nan < 1.0);
  CHECK(Dual<long double>(1.5L, 7.0L) == 1.5);
  CHECK(Dual<Real50>(Real50(2), Real50(1)) < 3);
}

TEST_CASE("classification looks at the value, the engine's tests at every component") {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(slope::isfinite(D(1.0, 2.0)));
  CHECK_FALSE(slope::isfinite(D(inf, 0.0)));
  CHECK(slope::isfinite(D(1.0, inf)));  // the value is finite
  CHECK(slope::isinf(D(-inf, 1.0)));
  CHECK(slope::isnan(D(nan, 1.0)));
  CHECK_FALSE(slope::isnan(D(1.0, nan)));
  CHECK(slope::signbit(D(-0.0, 1.0)));
  CHECK_FALSE(slope::signbit(D(0.0, -1.0)));
  // A partial 0 in value with a tangent is not zero.
  CHECK_FALSE(slope::detail::is_zero(D(0.0, 1.0)));
  CHECK(slope::detail::is_zero(D(0.0, -0.0)));
  CHECK_FALSE(slope::detail::all_finite(D(1.0, inf)));
  CHECK(slope::detail::has_nan(D(1.0, nan)));
  // 0 * inf carries nothing, per component.
  const D c = slope::detail::careful_product(D(0.0, 1.0), D(inf, 0.0));
  CHECK(c.value() == 0.0);
  CHECK(c.tangent() == inf);  // 0 * 0 + 1 * inf
  const D z = slope::detail::careful_product(D(0.0, 0.0), D(inf, nan));
  CHECK(z.value() == 0.0);
  CHECK(z.tangent() == 0.0);
}

TEST_CASE("a Dual prints as value and tangent") {
  std::ostringstream out;
  out << D(1.5, -2.0) << "; " << D(1.5, 2.0);
  CHECK(out.str() == "1.5 - 2eps; 1.5 + 2eps");
}

TEST_CASE("fma, pow, min and max on Duals") {
  // fma(a, b, c)' = a b' + a' b + c'
  CHECK_DUAL(slope::fma(D(2.0, 1.0), D(3.0, 0.5), D(1.0, 4.0)), 7.0, 2.0 * 0.5 + 1.0 * 3.0 + 4.0);
  // (x^3)' = 3 x^2 x' at x = 2
  CHECK_DUAL(slope::pow(D(2.0, 1.0), 3.0), 8.0, 12.0);
  // (2^p)' = ln 2 2^p p' at p = 3
  const D two_p = slope::pow(2.0, D(3.0, 1.0));
  CHECK(two_p.value() == 8.0);
  CHECK(two_p.tangent() == doctest::Approx(8.0 * std::log(2.0)).epsilon(1e-15));
  // (x^p)' = p x^(p-1) x' + log(x) x^p p' at x = 2, p = 3, x' = 1, p' = -1
  const D xp = slope::pow(D(2.0, 1.0), D(3.0, -1.0));
  CHECK(xp.value() == 8.0);
  CHECK(xp.tangent() == doctest::Approx(12.0 - std::log(2.0) * 8.0).epsilon(1e-15));
  CHECK_DUAL(slope::min(D(1.0, 5.0), D(2.0, 7.0)), 1.0, 5.0);
  CHECK_DUAL(slope::min(D(3.0, 5.0), D(2.0, 7.0)), 2.0, 7.0);
  CHECK_DUAL(slope::max(D(1.0, 5.0), D(2.0, 7.0)), 2.0, 7.0);
  CHECK_DUAL(slope::fmax(D(3.0, 5.0), D(2.0, 7.0)), 3.0, 5.0);
  // A tie goes to the first argument, as on the tape.
  CHECK_DUAL(slope::min(D(1.0, 5.0), D(1.0, 7.0)), 1.0, 5.0);
  CHECK_DUAL(slope::max(D(1.0, 5.0), D(1.0, 7.0)), 1.0, 5.0);
}

TEST_CASE("generic code finds the Dual overloads by argument-dependent lookup") {
  auto f = [](const auto& x) {
    using std::abs;
    using std::exp;
    using std::log;
    using std::pow;
    using std::sqrt;
    using std::tanh;
    return exp(x) + log(x) * sqrt(x) + tanh(x) + abs(-x) + pow(x, 2.0);
  };
  const double x = 0.7;
  const D y = f(D(x, 1.0));
  CHECK(y.value() == f(x));
  // d/dx: e^x + sqrt(x)/x + log(x)/(2 sqrt(x)) + (1 - tanh^2) + 1 + 2x
  const double t = std::tanh(x);
  const double expected = std::exp(x) + std::sqrt(x) / x + std::log(x) / (2 * std::sqrt(x)) +
                          (1 - t * t) + 1 + 2 * x;
  CHECK(y.tangent() == doctest::Approx(expected).epsilon(1e-14));
}

// ------------------------------------------- every primitive of the table ----

namespace {
using UnaryDual = D (*)(const D&);
// slope::name(Dual) for each unary primitive of the table, by name.
const std::map<std::string_view, UnaryDual>& named_functions() {
  static const std::map<std::string_view, UnaryDual> m = {
      {"sigmoid", +[](const D& x) { return slope::sigmoid(x); }},
      {"tanh", +[](const D& x) { return slope::tanh(x); }},
      {"relu", +[](const D& x) { return slope::relu(x); }},
      {"leaky_relu", +[](const D& x) { return slope::leaky_relu(x); }},
      {"softplus", +[](const D& x) { return slope::softplus(x); }},
      {"exp", +[](const D& x) { return slope::exp(x); }},
      {"exp2", +[](const D& x) { return slope::exp2(x); }},
      {"expm1", +[](const D& x) { return slope::expm1(x); }},
      {"log", +[](const D& x) { return slope::log(x); }},
      {"log2", +[](const D& x) { return slope::log2(x); }},
      {"log10", +[](const D& x) { return slope::log10(x); }},
      {"log1p", +[](const D& x) { return slope::log1p(x); }},
      {"sqrt", +[](const D& x) { return slope::sqrt(x); }},
      {"cbrt", +[](const D& x) { return slope::cbrt(x); }},
      {"sin", +[](const D& x) { return slope::sin(x); }},
      {"cos", +[](const D& x) { return slope::cos(x); }},
      {"tan", +[](const D& x) { return slope::tan(x); }},
      {"asin", +[](const D& x) { return slope::asin(x); }},
      {"acos", +[](const D& x) { return slope::acos(x); }},
      {"atan", +[](const D& x) { return slope::atan(x); }},
      {"sinh", +[](const D& x) { return slope::sinh(x); }},
      {"cosh", +[](const D& x) { return slope::cosh(x); }},
      {"asinh", +[](const D& x) { return slope::asinh(x); }},
      {"acosh", +[](const D& x) { return slope::acosh(x); }},
      {"atanh", +[](const D& x) { return slope::atanh(x); }},
      {"erf", +[](const D& x) { return slope::erf(x); }},
      {"erfc", +[](const D& x) { return slope::erfc(x); }},
      {"abs", +[](const D& x) { return slope::abs(x); }},
      {"neg", +[](const D& x) { return -x; }},
  };
  return m;
}
}  // namespace

TEST_CASE_TEMPLATE_DEFINE("forward mode gives the tape's value and derivative bitwise", P,
                          dual_forward) {
  CAPTURE(P::name);
  for (double x : points_of<P>()) {
    CAPTURE(x);
    const Recorded r = double_tape(P{}, x);
    const D f = slope::detail::forward(P{}, D(x, 1.0));
    CHECK_SAME_BITS(f.value(), r.value);
    CHECK_SAME_BITS(f.value(), P{}.forward(x));
    CHECK_SAME_DERIVATIVE(f.tangent(), r.derivative);
    // The tangent scales with the input tangent: p'(x) t.
    for (double t : {0.5, -3.0, 1e-3, 7.25}) {
      CAPTURE(t);
      const D ft = slope::detail::forward(P{}, D(x, t));
      CHECK_SAME_BITS(ft.value(), r.value);
      CHECK_SAME_DERIVATIVE(ft.tangent(), r.derivative * t);
    }
    // A constant (tangent 0) has tangent 0, even where p'(x) is infinite.
    const D c = slope::detail::forward(P{}, D(x, 0.0));
    CHECK_SAME_BITS(c.value(), r.value);
    CHECK(c.tangent() == 0.0);
  }
}
TEST_CASE_TEMPLATE_APPLY(dual_forward, slope::unary_primitives);

TEST_CASE_TEMPLATE_DEFINE("every unary primitive is callable on a Dual by name", P, dual_named) {
  CAPTURE(P::name);
  const auto it = named_functions().find(P::name);
  REQUIRE(it != named_functions().end());
  for (double x : points_of<P>()) {
    CAPTURE(x);
    const D expected = slope::detail::forward(P{}, D(x, 0.75));
    const D y = it->second(D(x, 0.75));
    CHECK_SAME_BITS(y.value(), expected.value());
    CHECK_SAME_DERIVATIVE(y.tangent(), expected.tangent());
  }
}
TEST_CASE_TEMPLATE_APPLY(dual_named, slope::unary_primitives);

TEST_CASE_TEMPLATE_DEFINE("a tape of Duals: the first derivative in the values, the second in the tangents",
                          P, dual_tape_unary) {
  CAPTURE(P::name);
  for (double x : points_of<P>()) {
    CAPTURE(x);
    const Recorded r = double_tape(P{}, x);
    const double second = P{}.second_derivative(x, r.value, r.derivative);
    const RecordedDual d = dual_tape(P{}, x, 1.0);
    // The result: p(x) + p'(x) eps.
    CHECK_SAME_BITS(d.value.value(), r.value);
    CHECK_SAME_DERIVATIVE(d.value.tangent(), r.derivative);
    // Its derivative: p'(x) + p''(x) eps.
    CHECK_SAME_DERIVATIVE(d.derivative.value(), r.derivative);
    CHECK_SAME_NUMBER(d.derivative.tangent(), second);
    // Along tangent 0.5 (a power of two: exact), half of p''(x).
    const RecordedDual h = dual_tape(P{}, x, 0.5);
    CHECK_SAME_DERIVATIVE(h.derivative.value(), r.derivative);
    CHECK_SAME_NUMBER(h.derivative.tangent(), second * 0.5);
    // Along tangent 0, no second derivative at all.
    const RecordedDual z = dual_tape(P{}, x, 0.0);
    CHECK_SAME_DERIVATIVE(z.derivative.value(), r.derivative);
    CHECK(z.derivative.tangent() == 0.0);
  }
}
TEST_CASE_TEMPLATE_APPLY(dual_tape_unary, slope::unary_primitives);

TEST_CASE_TEMPLATE_DEFINE("each block's second derivative against a 100-digit numerical one", P,
                          second_derivative_probe) {
  CAPTURE(P::name);
  for (double x : points_of<P>()) {
    if (!smooth_at<P>(x)) continue;
    CAPTURE(x);
    const Recorded r = double_tape(P{}, x);
    const double second = P{}.second_derivative(x, r.value, r.derivative);
    std::function<Real100(const Real100&)> first = [](const Real100& z) {
      return P{}.derivative(z, P{}.forward(z));
    };
    const Reference ref = derivative100(first, x, step_for<P>(x));
    using boost::multiprecision::abs;
    REQUIRE(ref.error <= 1e-30 * abs(ref.value) + Real100(1e-80));
    // In double: within a few ULPs.
    check_close(second, ref.value, ref.error, 1e-14);
    // The rule in 100 digits: the formula itself is right.
    const Real100 x100(x);
    const Real100 y100 = P{}.forward(x100);
    const Real100 rule100 = P{}.second_derivative(x100, y100, P{}.derivative(x100, y100));
    if (abs(ref.value) > 1e-300 || abs(rule100) > 1e-300)
      CHECK(abs(rule100 - ref.value) <= 1e-28 * abs(ref.value) + 4 * ref.error);
  }
}
TEST_CASE_TEMPLATE_APPLY(second_derivative_probe, slope::unary_primitives);

TEST_CASE_TEMPLATE_DEFINE("at a kink: the documented first derivative, second derivative 0", P,
                          dual_kink) {
  CAPTURE(P::name);
  for (double k : P::kinks) {
    for (double x : {k, k == 0 ? -0.0 : k}) {
      CAPTURE(x);
      const D f = slope::detail::forward(P{}, D(x, 1.0));
      CHECK(f.tangent() == P{}.at_kink);
      const RecordedDual d = dual_tape(P{}, x, 1.0);
      CHECK(d.derivative.value() == P{}.at_kink);
      CHECK(d.derivative.tangent() == 0.0);
      CHECK(P{}.second_derivative(x, P{}.forward(x), P{}.derivative(x, P{}.forward(x))) == 0.0);
    }
    // Either side of the kink: 0 too.
    for (double x : {k - 1e-3, k + 1e-3, k - 2.0, k + 2.0}) {
      CAPTURE(x);
      CHECK(dual_tape(P{}, x, 1.0).derivative.tangent() == 0.0);
    }
  }
}
TEST_CASE_TEMPLATE_APPLY(dual_kink, std::tuple<slope::Relu, slope::LeakyRelu, slope::Abs>);

TEST_CASE("a kink's derivative follows the block's parameter on Duals too") {
  const slope::Relu left{.at_kink = 0.0};
  CHECK(slope::detail::forward(left, D(0.0, 1.0)).tangent() == 0.0);
  CHECK(dual_tape(left, 0.0, 1.0).derivative.value() == 0.0);
  const slope::LeakyRelu leaky{.slope = 0.2};
  CHECK(slope::detail::forward(leaky, D(-2.0, 1.0)).tangent() == 0.2);
  CHECK_DUAL(slope::leaky_relu(D(-2.0, 3.0), 0.2), 0.2 * -2.0, 0.2 * 3.0);
  const slope::Abs abs_half{.at_kink = 0.5};
  CHECK(slope::detail::forward(abs_half, D(0.0, 1.0)).tangent() == 0.5);
}

TEST_CASE_TEMPLATE_DEFINE("binary primitives: forward mode and a tape of Duals give the partials and second partials",
                          P, dual_binary) {
  CAPTURE(P::name);
  const double points[] = {-2.5, -1.0, -0.3, 0.5, 1.0, 1.7, 3.0};
  for (double a : points) {
    for (double b : points) {
      if (!P::in_domain(a, b)) continue;
      CAPTURE(a);
      CAPTURE(b);
      slope::Tape tape;
      slope::Var va = a, vb = b;
      const slope::Var y = slope::apply(P{}, va, vb);
      const auto [da, db] = slope::derivatives(y, slope::wrt(va, vb));
      const std::array<double, 3> h = P{}.second_derivative(a, b, y.value());

      // Forward mode, one direction at a time.
      const D fa = slope::detail::forward_binary(P{}, D(a, 1.0), D(b, 0.0));
      const D fb = slope::detail::forward_binary(P{}, D(a, 0.0), D(b, 1.0));
      CHECK_SAME_BITS(fa.value(), y.value());
      CHECK_SAME_DERIVATIVE(fa.tangent(), da);
      CHECK_SAME_DERIVATIVE(fb.tangent(), db);

      // A tape of Duals: along (1, 0) the tangents are (f_aa, f_ab), along
      // (0, 1) they are (f_ab, f_bb).
      for (int direction = 0; direction < 2; ++direction) {
        CAPTURE(direction);
        slope::Tape<D> dtape;
        slope::Var<D> xa = D(a, direction == 0 ? 1.0 : 0.0);
        slope::Var<D> xb = D(b, direction == 1 ? 1.0 : 0.0);
        const slope::Var<D> yd = slope::apply(P{}, xa, xb);
        const auto [ga, gb] = slope::derivatives(yd, slope::wrt(xa, xb));
        CHECK_SAME_BITS(yd.value().value(), y.value());
        CHECK_SAME_DERIVATIVE(ga.value(), da);
        CHECK_SAME_DERIVATIVE(gb.value(), db);
        CHECK_SAME_NUMBER(ga.tangent(), direction == 0 ? h[0] : h[1]);
        CHECK_SAME_NUMBER(gb.tangent(), direction == 0 ? h[1] : h[2]);
      }

      if (P::kink(a, b)) {
        // At a tie of min and max: second partials 0.
        CHECK(h[0] == 0.0);
        CHECK(h[1] == 0.0);
        CHECK(h[2] == 0.0);
        continue;
      }
      // The second partials against 100-digit numerical derivatives of the
      // block's partials.
      auto partial = [](int i, const Real100& x1, const Real100& x2) {
        return P{}.derivative(x1, x2, P{}.forward(x1, x2))[static_cast<std::size_t>(i)];
      };
      const Real100 step(std::ldexp(1.0, -8));
      using slope::check::Side;
      std::function<Real100(const Real100&)> daa = [&](const Real100& z) {
        return partial(0, z, Real100(b));
      };
      std::function<Real100(const Real100&)> dab = [&](const Real100& z) {
        return partial(0, Real100(a), z);
      };
      std::function<Real100(const Real100&)> dba = [&](const Real100& z) {
        return partial(1, z, Real100(b));
      };
      std::function<Real100(const Real100&)> dbb = [&](const Real100& z) {
        return partial(1, Real100(a), z);
      };
      const auto raa = slope::check::derivative<Real100>(daa, Real100(a), Side::central, step);
      const auto rab = slope::check::derivative<Real100>(dab, Real100(b), Side::central, step);
      const auto rba = slope::check::derivative<Real100>(dba, Real100(a), Side::central, step);
      const auto rbb = slope::check::derivative<Real100>(dbb, Real100(b), Side::central, step);
      check_close(h[0], raa.value, raa.error, 1e-14);
      check_close(h[1], rab.value, rab.error, 1e-14);
      check_close(h[1], rba.value, rba.error, 1e-14);
      check_close(h[2], rbb.value, rbb.error, 1e-14);
    }
  }
}
TEST_CASE_TEMPLATE_APPLY(dual_binary, slope::binary_primitives);

// ------------------------------------------------------------- limits ----

TEST_CASE("numeric_limits of a Dual are those of its value type, as constants") {
  using L = std::numeric_limits<double>;
  using DL = std::numeric_limits<D>;
  static_assert(DL::is_specialized);
  static_assert(DL::digits == L::digits);
  static_assert(DL::digits10 == L::digits10);
  static_assert(DL::max_exponent == L::max_exponent);
  static_assert(DL::radix == 2);
  static_assert(DL::has_infinity && DL::has_quiet_NaN);
  static_assert(!DL::is_integer && DL::is_signed);
  CHECK_DUAL(DL::epsilon(), L::epsilon(), 0.0);
  CHECK_DUAL(DL::max(), L::max(), 0.0);
  CHECK_DUAL(DL::min(), L::min(), 0.0);
  CHECK_DUAL(DL::lowest(), L::lowest(), 0.0);
  CHECK_DUAL(DL::denorm_min(), L::denorm_min(), 0.0);
  CHECK_DUAL(DL::infinity(), L::infinity(), 0.0);
  CHECK(std::isnan(DL::quiet_NaN().value()));
  CHECK(DL::quiet_NaN().tangent() == 0.0);
  static_assert(std::numeric_limits<Dual<float>>::digits == 24);
  CHECK(std::numeric_limits<Dual<float>>::epsilon().value() == std::numeric_limits<float>::epsilon());
}

TEST_CASE("numeric_limits of a Var are constants, recorded nowhere") {
  using L = std::numeric_limits<double>;
  using VL = std::numeric_limits<slope::Var<>>;
  static_assert(VL::is_specialized);
  static_assert(VL::digits == L::digits);
  static_assert(VL::digits10 == L::digits10);
  slope::Tape tape;
  slope::Var x = 2.0;
  const slope::Var y = x * x;
  (void)y;
  const std::size_t size = tape.size();
  const slope::Var<> eps = VL::epsilon(), big = VL::max(), small = VL::min();
  CHECK(tape.size() == size);
  CHECK(eps.is_constant());
  CHECK(big.is_constant());
  CHECK(small.is_constant());
  CHECK(eps.value() == L::epsilon());
  CHECK(big.value() == L::max());
  CHECK(small.value() == L::min());
  CHECK(VL::lowest().value() == L::lowest());
  CHECK(VL::infinity().value() == L::infinity());
  // In an expression it is a number: the derivative is the other factor's.
  const slope::Var z = x * (1.0 + VL::epsilon());
  CHECK(tape.size() == size);
  CHECK(slope::derivatives(z, slope::wrt(x))[0] == 1.0 + L::epsilon());
  // And a tape of Duals: the limits of a Var<Dual<double>> are Dual constants.
  using VDL = std::numeric_limits<slope::Var<D>>;
  slope::Tape<D> dtape;
  slope::Var<D> xd = D(1.0, 1.0);
  (void)xd;
  const std::size_t dsize = dtape.size();
  const slope::Var<D> deps = VDL::epsilon();
  CHECK(dtape.size() == dsize);
  CHECK(deps.is_constant());
  CHECK_DUAL(deps.value(), L::epsilon(), 0.0);
  static_assert(VDL::digits == L::digits);
}

// ------------------------------------------------ other value types ----

TEST_CASE("Dual<long double>: arithmetic and primitives in long double") {
  using DL = Dual<long double>;
  const DL x(0.5L, 1.0L);
  CHECK_DUAL(x * x * 2.0 + 1, 1.5L, 2.0L);  // (2x^2 + 1)' = 4x
  const DL e = slope::exp(x);
  CHECK(e.value() == std::exp(0.5L));
  CHECK(e.tangent() == std::exp(0.5L));
  const auto s = slope::Sigmoid{}.eval(0.5L);
  const DL sg = slope::sigmoid(x);
  CHECK(sg.value() == s.value);
  CHECK(sg.tangent() == s.derivative);
  // Long double resolves what double cannot: d/dx sigmoid at 0.5 against
  // s(1 - s) in long double.
  const long double sl = 1.0L / (1.0L + std::exp(-0.5L));
  CHECK(std::fabs(sg.tangent() - sl * (1.0L - sl)) <= 8 * std::numeric_limits<long double>::epsilon());
  // derivative() and hessian() in long double.
  const long double d = slope::derivative(
      [](const auto& z) {
        using std::tanh;
        return tanh(z) * z;
      },
      0.5L);
  static_assert(std::is_same_v<decltype(d), const long double>);
  const long double t = std::tanh(0.5L);
  CHECK(std::fabs(d - (t + 0.5L * (1 - t * t))) <= 8 * std::numeric_limits<long double>::epsilon());
  const slope::Matrix<long double> H =
      slope::hessian([](const auto& v) { return v[0] * v[1] * v[1]; },
                     std::vector<long double>{0.3L, -0.4L});
  // x y^2: [[0, 2y], [2y, 2x]]
  CHECK(H(0, 0) == 0.0L);
  CHECK(H(0, 1) == 2 * -0.4L);
  CHECK(H(1, 0) == 2 * -0.4L);
  CHECK(H(1, 1) == 2 * 0.3L);
}

TEST_CASE("Dual<cpp_bin_float_50>: 50-digit forward mode") {
  using DR = Dual<Real50>;
  using boost::multiprecision::abs;
  using boost::multiprecision::exp;
  const Real50 x0("0.3");
  const DR x(x0, Real50(1));
  // d/dx sigmoid(x^2) = 2x s(1 - s) at x^2
  const DR y = slope::sigmoid(x * x);
  const Real50 s = 1 / (1 + exp(-x0 * x0));
  const Real50 expected = 2 * x0 * s * (1 - s);
  CHECK(abs(y.value() - s) <= Real50("1e-48") * s);
  CHECK(abs(y.tangent() - expected) <= Real50("1e-47") * abs(expected));
  // derivative() on 50 digits: (x e^x)' = e^x (1 + x)
  const Real50 d = slope::derivative(
      [](const auto& z) {
        using std::exp;
        return exp(z) * z;
      },
      x0);
  CHECK(abs(d - exp(x0) * (1 + x0)) <= Real50("1e-47") * abs(d));
  // Arithmetic with doubles and ints.
  const DR z = 2.0 * x + 1;
  CHECK(z.value() == 2 * x0 + 1);
  CHECK(z.tangent() == 2);
  using RL = std::numeric_limits<DR>;
  static_assert(RL::is_specialized);
  static_assert(RL::digits == std::numeric_limits<Real50>::digits);
  CHECK(RL::epsilon().value() == std::numeric_limits<Real50>::epsilon());
  CHECK(RL::epsilon().tangent() == 0);
}
