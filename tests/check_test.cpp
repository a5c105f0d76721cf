// check_test.cpp - the multiprecision reference (numerical derivatives, ULP
// measures) and the accuracy of sigmoid and tanh over their whole range.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <string_view>
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

// ------------------------------------------------- the checker can fail ----

namespace {

/// sigmoid with the textbook rule a(1 - a): exactly 0 for z > 36.7.
struct TextbookSigmoid {
  static constexpr std::string_view name = "textbook_sigmoid";
  static constexpr std::string_view rule = "a(1-a)";
  static constexpr slope::Domain domain = slope::Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& z) const {
    using std::exp;
    return T(1) / (T(1) + exp(-z));
  }
  template <class T>
  T derivative(const T& /*z*/, const T& a) const {
    return a * (T(1) - a);
  }
};

/// log(cosh(x)), with its first derivative tanh(x) right and, when Wrong,
/// its second derivative written 1/cosh(x) instead of 1/cosh(x)^2: the
/// kind of bug autodiff shipped for hypot's Hessian (its issue #243), a
/// rule the gradient never sees. Without a rule (Rule = false), the engine
/// takes the tangent of tanh(x) on Dual numbers.
template <bool Wrong, bool Rule = true>
struct LogCosh {
  static constexpr std::string_view name = "log_cosh";
  static constexpr std::string_view rule = "tanh(x)";
  static constexpr slope::Domain domain = slope::Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& x) const {
    using std::abs;
    using std::exp;
    using std::log1p;
    using std::sinh;
    // log cosh x = log1p(2 sinh^2(x/2)) near 0, |x| + log1p(e^-2|x|) - ln 2 beyond.
    const T h = sinh(T(x / T(2)));
    if (abs(x) < T(1)) return log1p(T(2) * h * h);
    return abs(x) + log1p(exp(T(-2) * abs(x))) - T(0.69314718055994530941723212145817656807550013436L);
  }
  template <class T>
  T derivative(const T& x, const T& /*a*/) const {
    using std::tanh;
    return tanh(x);
  }
  template <class T>
    requires Rule
  T second_derivative(const T& x, const T& /*a*/, const T& /*d*/) const {
    using std::cosh;
    const T c = cosh(x);
    return Wrong ? T(T(1) / c) : T(T(1) / (c * c));
  }
};

/// A deliberately broken rule: tanh' written as 1 - a (a typo for 1 - a^2).
struct BrokenTanh {
  static constexpr std::string_view name = "broken_tanh";
  static constexpr std::string_view rule = "1-a";
  static constexpr slope::Domain domain = slope::Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& z) const {
    using std::tanh;
    return tanh(z);
  }
  template <class T>
  T derivative(const T& /*z*/, const T& a) const {
    return T(1) - a;
  }
};

}  // namespace

TEST_CASE("check::primitive passes slope's sigmoid and relu, with the kink convention") {
  const auto s = slope::check::primitive(slope::Sigmoid{}, slope::check::SweepOptions::quick());
  MESSAGE(fmt::format("{}", s));
  CHECK(s.status == slope::check::Status::pass);
  CHECK(s.checked > 300);
  const auto r = slope::check::primitive(slope::Relu{}, slope::check::SweepOptions::quick());
  CHECK(r.status == slope::check::Status::pass);
  REQUIRE(r.kinks.size() == 1);
  CHECK(r.kinks[0].claim == "right");
  CHECK(r.kinks[0].left == 0.0);
  CHECK(r.kinks[0].right == 1.0);
}

TEST_CASE("check::primitive fails the textbook sigmoid' in the tail") {
  const auto r = slope::check::primitive(TextbookSigmoid{}, slope::check::SweepOptions::quick());
  MESSAGE(fmt::format("{}", r));
  CHECK(r.status == slope::check::Status::fail);
  CHECK(r.derivative.ulps > 1e6);
  const auto p = slope::check::primitive_at(TextbookSigmoid{}, 40.0);
  CHECK(p.status == slope::check::Status::fail);
  CHECK(p.derivative == 0.0);
  CHECK(slope::check::primitive_at(slope::Sigmoid{}, 40.0).status == slope::check::Status::pass);
}

TEST_CASE("check::primitive fails a deliberately broken rule") {
  const auto r = slope::check::primitive(BrokenTanh{}, slope::check::SweepOptions::quick());
  CHECK(r.status == slope::check::Status::fail);
  CHECK(!r.failures.empty());
}

TEST_CASE("check::primitive fails a kink value outside the one-sided derivatives") {
  const auto r = slope::check::primitive(slope::Relu{.at_kink = 2.0},
                                         slope::check::SweepOptions::quick());
  CHECK(r.status == slope::check::Status::fail);
  REQUIRE(r.kinks.size() == 1);
  CHECK(r.kinks[0].claim == "neither");
}

TEST_CASE("bad input: cannot check here, never a false pass") {
  using slope::check::Status;
  const auto nan_point = slope::check::primitive_at(slope::Log{}, -1.0);
  CHECK(nan_point.status == Status::cannot_check);
  CHECK(nan_point.why.find("outside the domain") != std::string::npos);
  auto f = [](const auto& v) {
    using std::log;
    return log(v[0]);
  };
  const auto r = slope::check::gradient(f, std::vector{-1.0});
  CHECK(r.status == Status::cannot_check);
  const auto r2 = slope::check::gradient(f, std::vector{std::numeric_limits<double>::infinity()});
  CHECK(r2.status == Status::cannot_check);
  CHECK(r2.reason.find("not finite") != std::string::npos);
  // sin(1e30 x): no step of the numerical derivative resolves it.
  auto g = [](const auto& v) {
    using std::sin;
    return sin(1e30 * v[0]);
  };
  const auto r3 = slope::check::gradient(g, std::vector{0.5});
  CHECK(r3.status == Status::cannot_check);
  CHECK(r3.reason.find("cannot check here") != std::string::npos);
}

TEST_CASE("check::gradient: a derivative the reference cannot resolve is not passed") {
  // tanh'(400) ~ 1e-347: the numerical derivative is 0 with an error near
  // 1e-99, which cannot tell a right 0 (the correct rounding) from a wrong
  // one (a textbook 1 - a^2 in a worse case): cannot check, not pass.
  auto g = [](const auto& v) {
    using std::tanh;
    return tanh(v[0]) + 0.0 * v[0];
  };
  const auto r = slope::check::gradient(g, std::vector{400.0});
  MESSAGE(fmt::format("{}", r));
  CHECK(r.status == slope::check::Status::cannot_check);
  CHECK(r.reason.find("cannot check here") != std::string::npos);
  // A tape that gets it wrong by 1e-40 is resolved to that size, and fails.
  auto wrong = [](const auto& v) {
    using std::tanh;
    if constexpr (slope::is_var_v<std::decay_t<decltype(v[0])>>)
      return tanh(v[0]) + 1e-40 * v[0];
    else
      return tanh(v[0]) + 0.0 * v[0];
  };
  CHECK(slope::check::gradient(wrong, std::vector{400.0}).status == slope::check::Status::fail);
}

TEST_CASE("check::gradient: a zero partial under an infinite adjoint is no false failure") {
  // sqrt(a w) + w at a = 0: d/da is infinite (cannot check), d/dw = 1 exactly
  // (the path through sqrt carries 0, not 0 * inf).
  auto g = [](const auto& v) {
    using std::sqrt;
    return sqrt(v[0] * v[1]) + v[1];
  };
  const auto r = slope::check::gradient(g, std::vector{0.0, 2.0});
  MESSAGE(fmt::format("{}", r));
  CHECK(r.status != slope::check::Status::fail);
  REQUIRE(r.components.size() == 2);
  CHECK(r.components[0].status == slope::check::Status::cannot_check);
  CHECK(r.components[1].status == slope::check::Status::pass);
  CHECK(r.components[1].tape == 1.0);
  CHECK(r.components[1].paths == 1.0);
}

TEST_CASE("check::gradient: a component with every path cut (relu) is exactly 0, and checked") {
  auto g = [](const auto& v) {
    using slope::relu;
    return relu(v[0] - 5.0) * v[1] + v[1] * v[1];
  };
  const auto r = slope::check::gradient(g, std::vector{1.0, 2.0});
  MESSAGE(fmt::format("{}", r));
  CHECK(r.status == slope::check::Status::pass);
  REQUIRE(r.components.size() == 2);
  CHECK(r.components[0].tape == 0.0);
  CHECK(r.components[0].paths == 0.0);
  CHECK(r.components[1].tape == 4.0);
}

TEST_CASE("check::gradient: cancellation in the sweep widens the allowance, not the verdict") {
  // g = d/dx (x y - x (y - 1e-12)) = 1e-12: the paths' sum is ~2|y|, and a
  // double tape can be off by u times that; the 50-digit tape gets 1e-12 to
  // 30 digits of it, and the double tape passes.
  auto f = [](const auto& v) { return v[0] * v[1] - v[0] * (v[1] - 1e-12); };
  const auto r = slope::check::gradient(f, std::vector{0.7, 3.0});
  MESSAGE(fmt::format("{}", r));
  CHECK(r.status == slope::check::Status::pass);
  REQUIRE(r.components.size() == 2);
  CHECK(r.components[0].paths >= 5.9);
  CHECK(r.components[0].paths <= 6.1);
}

TEST_CASE("slope-check's truth: every smooth built-in has a closed form that Ridders confirms") {
  slope::check::SweepOptions o = slope::check::SweepOptions::quick();
  o.cross_check_stride = 4;
  const auto t = slope::check::primitive(slope::Tanh{}, o);
  CHECK(t.truth == "closed form");
  CHECK(t.status == slope::check::Status::pass);
  CHECK(t.cross_checked > 20);
  CHECK(t.unresolved == 0);
  // A user-defined primitive has no closed form: Ridders everywhere.
  const auto b = slope::check::primitive(TextbookSigmoid{}, o);
  CHECK(b.truth == "numerical");
  // The closed form and Ridders agree on the verdicts and the worst error.
  o.closed_forms = false;
  const auto n = slope::check::primitive(slope::Tanh{}, o);
  CHECK(n.truth == "numerical");
  CHECK(n.status == slope::check::Status::pass);
  CHECK(n.derivative.ulps == doctest::Approx(t.derivative.ulps).epsilon(1e-6));
}

TEST_CASE("check::gradient passes a correct composition and fails a wrong gradient") {
  auto f = [](const auto& v) {
    using slope::sigmoid;
    using std::tanh;
    return sigmoid(v[0] * v[1]) + tanh(v[2]) * v[0];
  };
  const auto ok = slope::check::gradient(f, std::vector{0.1, 0.2, 0.3});
  MESSAGE(fmt::format("{}", ok));
  CHECK(ok.status == slope::check::Status::pass);
  for (const auto& c : ok.components) CHECK(c.mp_digits >= 30);
  // The tape records a broken tanh rule: its gradient is wrong.
  auto wrong = [](const auto& v) {
    if constexpr (slope::is_var_v<std::decay_t<decltype(v[0])>>)
      return slope::apply(BrokenTanh{}, v[0]) * v[1];
    else
      return BrokenTanh{}.forward(v[0]) * v[1];
  };
  const auto bad = slope::check::gradient(wrong, std::vector{0.7, 1.3});
  MESSAGE(fmt::format("{}", bad));
  CHECK(bad.status == slope::check::Status::fail);
  CHECK(bad.components[0].status == slope::check::Status::fail);
  CHECK(bad.components[1].status == slope::check::Status::pass);
}

TEST_CASE("the reference resolves tanh' at 40 (~1e-34 next to tanh ~1) to 30 digits") {
  const auto ref =
      slope::check::reference_derivative([](const auto& z) { using std::tanh; return tanh(z); }, 40.0);
  REQUIRE(ref.digits > 0);
  const Real100 c = cosh(Real100(40));
  const Real100 exact = 1 / (c * c);
  CHECK(abs(ref.value - exact) <= 1e-30 * exact);
  CHECK(abs(ref.value - exact) <= 4 * ref.error);
}

TEST_CASE("the checker catches a wrong second-derivative rule that the gradient never sees") {
  using slope::check::Status;
  slope::check::SweepOptions o = slope::check::SweepOptions::quick();
  o.tolerance.value_ulps = 8;  // log cosh's forward pass is not the point here
  // The right rule passes, in values, first and second derivatives.
  const auto right = slope::check::primitive(LogCosh<false>{}, o);
  MESSAGE(fmt::format("{}", right));
  CHECK(right.status == Status::pass);
  CHECK(right.second_checked > 100);
  CHECK(right.second.ulps <= 6);
  // The wrong one: the first derivative still passes, the second fails.
  const auto wrong = slope::check::primitive(LogCosh<true>{}, o);
  CHECK(wrong.status == Status::fail);
  CHECK(wrong.derivative.ulps <= 4);
  REQUIRE(!wrong.failures.empty());
  CHECK(wrong.failures.front().find("second derivative") != std::string::npos);
  // Without a rule of its own, dual arithmetic on tanh(x) is right too.
  CHECK(slope::check::primitive(LogCosh<false, false>{}, o).status == Status::pass);

  // In a composition: check::gradient passes both; check::hessian fails the wrong one.
  auto with = [](auto p) {
    return [p](const auto& v) {
      if constexpr (slope::is_var_v<std::decay_t<decltype(v[0])>>)
        return slope::apply(p, v[0] * v[1]) + v[0];
      else
        return p.forward(v[0] * v[1]) + v[0];
    };
  };
  const std::vector<double> x{0.8, -1.3};
  CHECK(slope::check::gradient(with(LogCosh<true>{}), x).status == Status::pass);
  const auto h_right = slope::check::hessian(with(LogCosh<false>{}), x);
  MESSAGE(fmt::format("{}", h_right));
  CHECK(h_right.status == Status::pass);
  const auto h_wrong = slope::check::hessian(with(LogCosh<true>{}), x);
  MESSAGE(fmt::format("{}", h_wrong));
  CHECK(h_wrong.status == Status::fail);
  // H = c [[y^2, xy], [xy, x^2]] + [[0, t], [t, 0]] with c = log cosh''(xy),
  // t = tanh(xy): every entry depends on the wrong rule, each one fails.
  for (const auto& e : h_wrong.entries) CHECK(e.status == Status::fail);
  const auto hv = slope::check::hessian_vector_product(with(LogCosh<true>{}), x, {1.0, 0.5});
  CHECK(hv.status == Status::fail);
  CHECK(slope::check::hessian_vector_product(with(LogCosh<false>{}), x, {1.0, 0.5}).status ==
        Status::pass);
}
