// derivatives_test.cpp - wrt/derivatives, gradient, value_and_gradient;
// second order: derivative, jvp, jacobian, hessian, hessian_vector_product,
// value_gradient_and_hessian and Matrix.
#include <doctest/doctest.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <slope/check.hpp>
#include <slope/slope.hpp>

using slope::Tape;
using slope::Var;

TEST_CASE("derivatives(y, wrt(...)) binds to structured bindings") {
  Tape tape;
  Var x = 0.5, w = -1.2;
  Var y = slope::sigmoid(w * x) + slope::tanh(x) * slope::leaky_relu(x - 1.0);
  auto [dx, dw] = slope::derivatives(y, slope::wrt(x, w));
  static_assert(std::is_same_v<decltype(dx), double>);
  const double s = 1.0 / (1.0 + std::exp(0.6));
  const double t = std::tanh(0.5);
  CHECK(dx == doctest::Approx(-1.2 * s * (1 - s) + (1 - t * t) * (-0.005) + t * 0.01));
  CHECK(dw == doctest::Approx(0.5 * s * (1 - s)));
}

TEST_CASE("gradient over a runtime list of variables") {
  Tape tape;
  std::vector<Var<>> xs;
  for (int i = 0; i < 10; ++i) xs.emplace_back(0.1 * i);
  Var<> sum;  // a constant zero to start from
  for (const auto& x : xs) sum += x * x;
  std::vector<double> g = slope::gradient(sum, xs);
  REQUIRE(g.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(g[i] == doctest::Approx(0.2 * i));
  std::array<double, 10> out{};
  slope::gradient(sum, std::span<const Var<>>(xs), std::span<double>(out));
  CHECK(std::vector<double>(out.begin(), out.end()) == g);
}

TEST_CASE("value_and_gradient of a generic callable") {
  auto f = [](const auto& v) {
    using slope::sigmoid;
    using std::tanh;
    return sigmoid(v[0] * v[1]) + tanh(v[2]);
  };
  auto [value, grad] = slope::value_and_gradient(f, std::vector{0.1, 0.2, 0.3});
  CHECK(value == doctest::Approx(f(std::vector{0.1, 0.2, 0.3})));
  const double s = 1.0 / (1.0 + std::exp(-0.02));
  CHECK(grad[0] == doctest::Approx(0.2 * s * (1 - s)));
  CHECK(grad[1] == doctest::Approx(0.1 * s * (1 - s)));
  CHECK(grad[2] == doctest::Approx(1 - std::tanh(0.3) * std::tanh(0.3)));
  CHECK(Tape<>::active() == nullptr);  // its own tape is gone

  const std::array<double, 3> arr{0.1, 0.2, 0.3};
  auto from_span = slope::value_and_gradient(f, std::span<const double>(arr));
  CHECK(from_span.gradient == grad);
}

TEST_CASE("value_and_gradient reuses a given tape and restores the active one") {
  auto f = [](const auto& v) { return v[0] * v[0] * v[1]; };
  Tape outer;
  Tape work;
  outer.activate();
  auto r1 = slope::value_and_gradient(f, std::vector{2.0, 3.0}, work);
  CHECK(Tape<>::active() == &outer);
  const std::size_t memory = work.memory();
  auto r2 = slope::value_and_gradient(f, std::vector{2.0, 3.0}, work);
  CHECK(work.memory() == memory);
  CHECK(r1.value == 12.0);
  CHECK(r1.gradient == std::vector{12.0, 4.0});
  CHECK(r2.gradient == r1.gradient);
  Tape<>* none = nullptr;
  outer.deactivate();
  work.deactivate();
  CHECK(Tape<>::active() == none);
  (void)slope::value_and_gradient(f, std::vector{2.0, 3.0}, work);
  CHECK(Tape<>::active() == none);
}

TEST_CASE("a function that ignores its input has value and zero gradient") {
  auto constant = [](const auto&) { return 4.0; };
  auto [value, grad] = slope::value_and_gradient(constant, std::vector{1.0, 2.0});
  CHECK(value == 4.0);
  CHECK(grad == std::vector{0.0, 0.0});
  auto partial = [](const auto& v) { return v[1] * 3.0; };
  auto r = slope::value_and_gradient(partial, std::vector{1.0, 2.0});
  CHECK(r.gradient == std::vector{0.0, 3.0});
}

TEST_CASE("float and long double tapes") {
  auto f = [](const auto& v) {
    using std::exp;
    using std::log;
    return log(1.0 + exp(v[0] * v[1])) / v[1];
  };
  auto rd = slope::value_and_gradient(f, std::vector{0.7, 1.3});
  auto rf = slope::value_and_gradient(f, std::vector{0.7f, 1.3f});
  auto rl = slope::value_and_gradient(f, std::vector{0.7L, 1.3L});
  for (int i = 0; i < 2; ++i) {
    CHECK(rf.gradient[i] == doctest::Approx(rd.gradient[i]).epsilon(1e-6));
    CHECK(static_cast<double>(rl.gradient[i]) == doctest::Approx(rd.gradient[i]).epsilon(1e-15));
  }
}

// ================================================================ second order ====
// Expected values are worked out by hand (closed forms), evaluated in
// 50-digit arithmetic where the double result is to be checked to a few ULPs.

namespace {

using slope::Matrix;
using slope::check::Real50;

/// |computed - expected| <= rel |expected|.
#define CHECK_REL(computed, expected, rel)                                            \
  do {                                                                                \
    const double c_ = (computed);                                                     \
    const double e_ = (expected);                                                     \
    INFO(#computed " = " << fmt::format("{:.17g}", c_));                              \
    INFO(#expected " = " << fmt::format("{:.17g}", e_));                              \
    CHECK(std::fabs(c_ - e_) <= (rel) * std::fabs(e_));                               \
  } while (false)

double d(const Real50& x) { return static_cast<double>(x); }

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

/// The message of the slope::argument_error f throws, or "(no exception)".
template <class F>
std::string argument_error_of(F&& f) {
  try {
    f();
  } catch (const slope::argument_error& e) {
    return e.what();
  }
  return "(no exception)";
}

Real50 sigmoid50(const Real50& z) { return 1 / (1 + exp(-z)); }

// The logistic-regression test's data: three samples of three features, labels.
constexpr double samples[3][3] = {{0.5, -1.2, 0.3}, {-0.7, 0.4, 1.1}, {1.5, 0.2, -0.6}};
constexpr double labels[3] = {1, 0, 1};

}  // namespace

TEST_CASE("hessian of x y at (1, 0) is exactly ((0, 1), (1, 0))") {
  auto f = [](const auto& v) { return v[0] * v[1]; };
  const Matrix<> H = slope::hessian(f, std::vector{1.0, 0.0});
  REQUIRE(H.rows() == 2);
  REQUIRE(H.cols() == 2);
  CHECK(H(0, 0) == 0.0);
  CHECK(H(0, 1) == 1.0);
  CHECK(H(1, 0) == 1.0);
  CHECK(H(1, 1) == 0.0);
  // The Hessian of x*y is the same constant matrix everywhere.
  for (const auto& x : {std::vector{3.0, -2.0}, std::vector{0.0, 0.0}, std::vector{0.0, 1.0},
                        std::vector{-0.5, 1e-300}}) {
    CAPTURE(x[0]);
    CAPTURE(x[1]);
    const Matrix<> Hx = slope::hessian(f, x);
    CHECK(Hx == H);
  }
}

TEST_CASE("hessian of sigmoid(w x): H_ww = x^2 s'', H_wx = s' + w x s'', H_xx = w^2 s''") {
  auto f = [](const auto& v) { return slope::sigmoid(v[0] * v[1]); };  // v = (w, x)
  // At w = 0: z = 0, s = 1/2, s' = 1/4, s'' = s'(1 - 2s) = 0.
  for (double x : {1.0, -2.0, 3.5, 0.25}) {
    CAPTURE(x);
    const auto r = slope::value_gradient_and_hessian(f, std::vector{0.0, x});
    CHECK(r.value == 0.5);
    CHECK(r.gradient[0] == 0.25 * x);  // x s'
    CHECK(r.gradient[1] == 0.0);       // w s'
    CHECK(r.hessian(0, 0) == 0.0);
    CHECK(r.hessian(0, 1) == 0.25);
    CHECK(r.hessian(1, 0) == 0.25);
    CHECK(r.hessian(1, 1) == 0.0);
  }
  // Elsewhere, against the closed form in 50 digits.
  for (const auto& [w, x] : {std::pair{0.8, 1.0}, std::pair{-1.5, 0.6}, std::pair{2.0, -1.25},
                             std::pair{0.3, 4.0}}) {
    CAPTURE(w);
    CAPTURE(x);
    const Real50 W(w), X(x), s = sigmoid50(W * X), s1 = s * (1 - s), s2 = s1 * (1 - 2 * s);
    const auto r = slope::value_gradient_and_hessian(f, std::vector{w, x});
    CHECK_REL(r.value, d(s), 1e-15);
    CHECK_REL(r.gradient[0], d(X * s1), 1e-15);
    CHECK_REL(r.gradient[1], d(W * s1), 1e-15);
    CHECK_REL(r.hessian(0, 0), d(X * X * s2), 1e-13);
    CHECK_REL(r.hessian(0, 1), d(s1 + W * X * s2), 1e-13);
    CHECK_REL(r.hessian(1, 0), d(s1 + W * X * s2), 1e-13);
    CHECK_REL(r.hessian(1, 1), d(W * W * s2), 1e-13);
  }
}

TEST_CASE("hessian of tanh(x y) + x^3 against the closed form (tanh'' = -2 t (1 - t^2))") {
  auto f = [](const auto& v) {
    using std::tanh;
    return tanh(v[0] * v[1]) + v[0] * v[0] * v[0];
  };
  for (const auto& [x, y] : {std::pair{1.3, 0.4}, std::pair{0.5, -0.6}, std::pair{-1.2, 0.9},
                             std::pair{2.0, 3.0}}) {
    CAPTURE(x);
    CAPTURE(y);
    const Real50 X(x), Y(y), t = tanh(X * Y), t1 = 1 - t * t, t2 = -2 * t * t1;
    const Matrix<> H = slope::hessian(f, std::vector{x, y});
    CHECK_REL(H(0, 0), d(Y * Y * t2 + 6 * X), 1e-13);
    CHECK_REL(H(0, 1), d(t1 + X * Y * t2), 1e-13);
    CHECK_REL(H(1, 0), d(t1 + X * Y * t2), 1e-13);
    CHECK_REL(H(1, 1), d(X * X * t2), 1e-13);
  }
  // At x = 0: tanh(0) = 0, so H = [[0, 1], [1, 0]].
  const Matrix<> H0 = slope::hessian(f, std::vector{0.0, 2.0});
  CHECK(H0(0, 0) == 0.0);
  CHECK(H0(0, 1) == 1.0);
  CHECK(H0(1, 0) == 1.0);
  CHECK(H0(1, 1) == 0.0);
}

TEST_CASE("a partial 0 in value with a tangent still carries the second derivative") {
  // f = x y z: H = [[0, z, y], [z, 0, x], [y, x, 0]].
  auto xyz = [](const auto& v) { return v[0] * v[1] * v[2]; };
  for (const auto& p : {std::array{1.0, 0.0, 0.0}, std::array{0.0, 1.0, 0.0},
                        std::array{0.0, 0.0, 1.0}, std::array{2.0, 0.0, 0.0},
                        std::array{0.0, 0.0, 0.0}, std::array{1.0, 2.0, 3.0}}) {
    CAPTURE(p[0]);
    CAPTURE(p[1]);
    CAPTURE(p[2]);
    const Matrix<> H = slope::hessian(xyz, std::vector(p.begin(), p.end()));
    const double expected[3][3] = {{0, p[2], p[1]}, {p[2], 0, p[0]}, {p[1], p[0], 0}};
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 3; ++j) {
        CAPTURE(i);
        CAPTURE(j);
        CHECK(H(i, j) == expected[i][j]);
      }
  }
  // f = x relu(y): H_xy = relu'(y) (1 for y >= 0, the kink's documented
  // value at 0), H_xx = 0, H_yy = x relu''(y) = 0; at x = 0 the partial
  // d/dy = x relu'(y) is 0 in value.
  auto xrelu = [](const auto& v) { return v[0] * slope::relu(v[1]); };
  for (const auto& [x, y, hxy] : {std::tuple{0.0, 0.5, 1.0}, std::tuple{0.0, -0.5, 0.0},
                                  std::tuple{0.0, 0.0, 1.0}, std::tuple{2.0, 0.5, 1.0},
                                  std::tuple{2.0, -0.5, 0.0}}) {
    CAPTURE(x);
    CAPTURE(y);
    const Matrix<> H = slope::hessian(xrelu, std::vector{x, y});
    CHECK(H(0, 0) == 0.0);
    CHECK(H(0, 1) == hxy);
    CHECK(H(1, 0) == hxy);
    CHECK(H(1, 1) == 0.0);
  }
  // f = y e^x at y = 0: d/dx = y e^x is 0 in value; H = [[y e^x, e^x], [e^x, 0]].
  auto yexp = [](const auto& v) {
    using std::exp;
    return v[1] * exp(v[0]);
  };
  for (double x : {0.0, 0.5, -2.0}) {
    CAPTURE(x);
    const auto r = slope::value_gradient_and_hessian(yexp, std::vector{x, 0.0});
    CHECK(r.gradient[0] == 0.0);
    CHECK_REL(r.gradient[1], std::exp(x), 1e-15);
    CHECK(r.hessian(0, 0) == 0.0);
    CHECK_REL(r.hessian(0, 1), std::exp(x), 1e-15);
    CHECK_REL(r.hessian(1, 0), std::exp(x), 1e-15);
    CHECK(r.hessian(1, 1) == 0.0);
  }
  CHECK(slope::hessian(yexp, std::vector{0.0, 0.0})(0, 1) == 1.0);
  // The product of that zero partial with a tangent along one direction only.
  const std::vector<double> hv = slope::hessian_vector_product(xyz, std::vector{1.0, 0.0, 0.0},
                                                               std::vector{0.0, 1.0, 0.0});
  CHECK(hv == std::vector{0.0, 0.0, 1.0});  // column 1 of H
}

TEST_CASE("kinks: relu, leaky_relu, abs, min and max have second derivative 0, at the kink too") {
  auto relu = [](const auto& v) { return slope::relu(v[0]); };
  auto leaky = [](const auto& v) { return slope::leaky_relu(v[0]); };
  auto abs = [](const auto& v) { return slope::abs(v[0]); };
  for (double x : {-1.0, 0.5, 0.0, -0.0, 1e-300, -1e-300}) {
    CAPTURE(x);
    const auto r = slope::value_gradient_and_hessian(relu, std::vector{x});
    CHECK(r.gradient[0] == (x < 0 ? 0.0 : 1.0));  // relu'(0) = 1
    CHECK(r.hessian(0, 0) == 0.0);
    const auto l = slope::value_gradient_and_hessian(leaky, std::vector{x});
    CHECK(l.gradient[0] == (x < 0 ? 0.01 : 1.0));  // leaky_relu'(0) = 1
    CHECK(l.hessian(0, 0) == 0.0);
    const auto a = slope::value_gradient_and_hessian(abs, std::vector{x});
    CHECK(a.gradient[0] == (x < 0 ? -1.0 : x > 0 ? 1.0 : 0.0));  // abs'(0) = 0
    CHECK(a.hessian(0, 0) == 0.0);
  }
  // Times y: H_xy is the first derivative at x (its documented value at the kink).
  auto leaky_y = [](const auto& v) { return slope::leaky_relu(v[0]) * v[1]; };
  auto abs_y = [](const auto& v) { return slope::abs(v[0]) * v[1]; };
  for (const auto& [x, leaky_d, abs_d] : {std::tuple{-2.0, 0.01, -1.0}, std::tuple{3.0, 1.0, 1.0},
                                          std::tuple{0.0, 1.0, 0.0}}) {
    CAPTURE(x);
    const Matrix<> Hl = slope::hessian(leaky_y, std::vector{x, 5.0});
    CHECK(Hl(0, 0) == 0.0);
    CHECK(Hl(0, 1) == leaky_d);
    CHECK(Hl(1, 0) == leaky_d);
    CHECK(Hl(1, 1) == 0.0);
    const Matrix<> Ha = slope::hessian(abs_y, std::vector{x, 5.0});
    CHECK(Ha(0, 0) == 0.0);
    CHECK(Ha(0, 1) == abs_d);
    CHECK(Ha(1, 1) == 0.0);
  }
  // max and min: H = 0 on either side and at a tie; times z, H_iz is the
  // partial of max (min) in i, a tie going to the first argument.
  auto mx = [](const auto& v) { return slope::max(v[0], v[1]); };
  auto mn = [](const auto& v) { return slope::min(v[0], v[1]); };
  auto mxz = [](const auto& v) { return slope::max(v[0], v[1]) * v[2]; };
  auto mnz = [](const auto& v) { return slope::min(v[0], v[1]) * v[2]; };
  const Matrix<> zero(2, 2);
  for (const auto& [a, b] : {std::pair{1.0, 2.0}, std::pair{2.0, 1.0}, std::pair{1.0, 1.0}}) {
    CAPTURE(a);
    CAPTURE(b);
    CHECK(slope::hessian(mx, std::vector{a, b}) == zero);
    CHECK(slope::hessian(mn, std::vector{a, b}) == zero);
    const Matrix<> Hx = slope::hessian(mxz, std::vector{a, b, 5.0});
    const Matrix<> Hn = slope::hessian(mnz, std::vector{a, b, 5.0});
    const double max_a = a >= b ? 1.0 : 0.0, min_a = a <= b ? 1.0 : 0.0;
    CHECK(Hx(0, 2) == max_a);
    CHECK(Hx(1, 2) == 1.0 - max_a);
    CHECK(Hn(0, 2) == min_a);
    CHECK(Hn(1, 2) == 1.0 - min_a);
    for (std::size_t i = 0; i < 2; ++i)
      for (std::size_t j = 0; j < 2; ++j) {
        CHECK(Hx(i, j) == 0.0);
        CHECK(Hn(i, j) == 0.0);
      }
    CHECK(Hx(2, 2) == 0.0);
  }
}

TEST_CASE("hessian_vector_product is the Hessian times v") {
  // f = sin(x0) e^x1 + x0 x1 x2 + log(x2).
  auto f = [](const auto& v) {
    using std::exp;
    using std::log;
    using std::sin;
    return sin(v[0]) * exp(v[1]) + v[0] * v[1] * v[2] + log(v[2]);
  };
  const std::vector<double> x{0.3, -0.2, 1.5};
  const double s = std::sin(x[0]), c = std::cos(x[0]), e = std::exp(x[1]);
  // H = [[-sin(x0) e^x1, cos(x0) e^x1 + x2, x1], [., sin(x0) e^x1, x0], [., ., -1/x2^2]]
  const double closed[3][3] = {{-s * e, c * e + x[2], x[1]},
                               {c * e + x[2], s * e, x[0]},
                               {x[1], x[0], -1 / (x[2] * x[2])}};
  const Matrix<> H = slope::hessian(f, x);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j) CHECK_REL(H(i, j), closed[i][j], 1e-15);
  for (const auto& v : {std::vector{0.5, -1.0, 2.0}, std::vector{1.0, 0.0, 0.0},
                        std::vector{0.0, 0.0, -3.0}, std::vector{0.25, 0.125, 4.0}}) {
    CAPTURE(v[0]);
    CAPTURE(v[1]);
    CAPTURE(v[2]);
    const std::vector<double> hv = slope::hessian_vector_product(f, x, v);
    REQUIRE(hv.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
      double from_h = 0, from_closed = 0;
      for (std::size_t j = 0; j < 3; ++j) {
        from_h += H(i, j) * v[j];
        from_closed += closed[i][j] * v[j];
      }
      CHECK_REL(hv[i], from_h, 1e-14);
      CHECK_REL(hv[i], from_closed, 1e-14);
    }
  }
  // Along v = 0: nothing.
  CHECK(slope::hessian_vector_product(f, x, std::vector{0.0, 0.0, 0.0}) ==
        std::vector{0.0, 0.0, 0.0});
  // From spans.
  const std::array<double, 3> xa{0.3, -0.2, 1.5}, va{0.5, -1.0, 2.0};
  CHECK(slope::hessian_vector_product(f, std::span<const double>(xa), std::span<const double>(va)) ==
        slope::hessian_vector_product(f, x, std::vector{0.5, -1.0, 2.0}));
}

TEST_CASE("value_gradient_and_hessian: the value and gradient of value_and_gradient, bitwise") {
  auto f1 = [](const auto& v) {
    using std::exp;
    using std::log;
    using std::sin;
    return sin(v[0]) * exp(v[1]) + v[0] * v[1] * v[2] + log(v[2]);
  };
  auto f2 = [](const auto& v) {
    using std::sqrt;
    using std::tanh;
    return slope::sigmoid(v[0] * v[1]) / (1.0 + v[2] * v[2]) + tanh(v[1]) * sqrt(v[2] + 4.0);
  };
  const std::vector<double> points[] = {{0.3, -0.2, 1.5}, {-1.1, 0.7, 0.05}, {2.0, 3.0, 0.5}};
  for (const auto& x : points) {
    CAPTURE(x[0]);
    const auto a = slope::value_and_gradient(f1, x);
    const auto b = slope::value_gradient_and_hessian(f1, x);
    CHECK(same_bits(a.value, b.value));
    REQUIRE(b.gradient.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) CHECK(same_bits(a.gradient[i], b.gradient[i]));
    const auto c = slope::value_and_gradient(f2, x);
    const auto e = slope::value_gradient_and_hessian(f2, x);
    CHECK(same_bits(c.value, e.value));
    for (std::size_t i = 0; i < 3; ++i) CHECK(same_bits(c.gradient[i], e.gradient[i]));
    // The Hessian is symmetric.
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 3; ++j) CHECK(e.hessian(i, j) == e.hessian(j, i));
  }
}

TEST_CASE("value_gradient_and_hessian reuses a given tape and restores the active one") {
  auto f = [](const auto& v) { return v[0] * v[0] * v[1]; };
  slope::Tape<slope::Dual<>> outer, work;
  outer.activate();
  const auto r = slope::value_gradient_and_hessian(f, std::span<const double>(std::vector{2.0, 3.0}),
                                                   work);
  CHECK(slope::Tape<slope::Dual<>>::active() == &outer);
  // x^2 y: gradient (2xy, x^2), Hessian [[2y, 2x], [2x, 0]].
  CHECK(r.value == 12.0);
  CHECK(r.gradient == std::vector{12.0, 4.0});
  CHECK(r.hessian(0, 0) == 6.0);
  CHECK(r.hessian(0, 1) == 4.0);
  CHECK(r.hessian(1, 0) == 4.0);
  CHECK(r.hessian(1, 1) == 0.0);
}

TEST_CASE("a function that ignores its input has a zero Hessian, and no inputs an empty one") {
  auto constant = [](const auto&) { return 4.0; };
  const auto r = slope::value_gradient_and_hessian(constant, std::vector{1.0, 2.0});
  CHECK(r.value == 4.0);
  CHECK(r.gradient == std::vector{0.0, 0.0});
  CHECK(r.hessian == Matrix<>(2, 2));
  CHECK(slope::hessian_vector_product(constant, std::vector{1.0, 2.0}, std::vector{1.0, 1.0}) ==
        std::vector{0.0, 0.0});
  // Linear in x: H = 0 too.
  auto linear = [](const auto& v) { return 3.0 * v[0] - v[1] / 2.0; };
  const auto l = slope::value_gradient_and_hessian(linear, std::vector{1.0, 2.0});
  CHECK(l.gradient == std::vector{3.0, -0.5});
  CHECK(l.hessian == Matrix<>(2, 2));
  const auto none = slope::value_gradient_and_hessian(constant, std::vector<double>{});
  CHECK(none.value == 4.0);
  CHECK(none.gradient.empty());
  CHECK(none.hessian.rows() == 0);
  CHECK(none.hessian.cols() == 0);
}

TEST_CASE("jacobian in reverse mode (fewer outputs than inputs)") {
  int dual_calls = 0;
  auto f = [&dual_calls](const auto& x) {
    using std::exp;
    using std::sin;
    using S = std::remove_cvref_t<decltype(x[0])>;
    if constexpr (slope::is_dual_v<S>) ++dual_calls;
    return std::vector<S>{x[0] * x[1] + sin(x[2]), exp(x[0]) * x[2]};
  };
  const std::vector<double> x{0.5, -1.5, 2.0};
  const Matrix<> J = slope::jacobian(f, x);
  REQUIRE(J.rows() == 2);
  REQUIRE(J.cols() == 3);
  CHECK(dual_calls == 0);  // m < n: reverse sweeps of the one recording
  // [[x1, x0, cos x2], [e^x0 x2, 0, e^x0]]
  CHECK(J(0, 0) == -1.5);
  CHECK(J(0, 1) == 0.5);
  CHECK_REL(J(0, 2), std::cos(2.0), 1e-15);
  CHECK_REL(J(1, 0), std::exp(0.5) * 2.0, 1e-15);
  CHECK(J(1, 1) == 0.0);
  CHECK_REL(J(1, 2), std::exp(0.5), 1e-15);
}

TEST_CASE("jacobian in forward mode (at least as many outputs as inputs)") {
  int dual_calls = 0;
  auto f = [&dual_calls](const auto& x) {
    using std::sin;
    using S = std::remove_cvref_t<decltype(x[0])>;
    if constexpr (slope::is_dual_v<S>) ++dual_calls;
    return std::vector<S>{x[0] * x[1], sin(x[0]), x[1] * x[1] / x[0]};
  };
  const std::vector<double> x{0.5, -1.5};
  const Matrix<> J = slope::jacobian(f, x);
  REQUIRE(J.rows() == 3);
  REQUIRE(J.cols() == 2);
  CHECK(dual_calls == 2);  // one forward-mode evaluation per input
  // [[x1, x0], [cos x0, 0], [-x1^2/x0^2, 2 x1/x0]] = [[-1.5, 0.5], [cos 0.5, 0], [-9, -6]]
  CHECK(J(0, 0) == -1.5);
  CHECK(J(0, 1) == 0.5);
  CHECK_REL(J(1, 0), std::cos(0.5), 1e-15);
  CHECK(J(1, 1) == 0.0);
  CHECK_REL(J(2, 0), -9.0, 1e-15);
  CHECK_REL(J(2, 1), -6.0, 1e-15);

  // Square (m = n): forward mode too.
  dual_calls = 0;
  auto g = [&dual_calls](const auto& v) {
    using S = std::remove_cvref_t<decltype(v[0])>;
    if constexpr (slope::is_dual_v<S>) ++dual_calls;
    return std::vector<S>{v[0] + v[1], v[0] * v[1]};
  };
  const Matrix<> K = slope::jacobian(g, std::vector{2.0, 3.0});
  CHECK(dual_calls == 2);
  CHECK(K(0, 0) == 1.0);
  CHECK(K(0, 1) == 1.0);
  CHECK(K(1, 0) == 3.0);
  CHECK(K(1, 1) == 2.0);

  // A callable that takes Vars only: reverse mode even for m >= n.
  auto vars_only = [](const std::vector<slope::Var<>>& v) {
    return std::vector<slope::Var<>>{v[0] * v[1], v[0] - v[1], 2.0 * v[1]};
  };
  const Matrix<> V = slope::jacobian(vars_only, std::vector{2.0, 3.0});
  REQUIRE(V.rows() == 3);
  REQUIRE(V.cols() == 2);
  CHECK(V(0, 0) == 3.0);
  CHECK(V(0, 1) == 2.0);
  CHECK(V(1, 0) == 1.0);
  CHECK(V(1, 1) == -1.0);
  CHECK(V(2, 0) == 0.0);
  CHECK(V(2, 1) == 2.0);

  // Both modes agree on the same function.
  auto h = [](const auto& v) {
    using std::exp;
    using S = std::remove_cvref_t<decltype(v[0])>;
    return std::vector<S>{v[0] * exp(v[1]), v[1] / v[0]};
  };
  auto h_wide = [](const auto& v) {  // the same outputs, plus an unused input: m < n
    using std::exp;
    using S = std::remove_cvref_t<decltype(v[0])>;
    return std::vector<S>{v[0] * exp(v[1]), v[1] / v[0]};
  };
  const Matrix<> Hf = slope::jacobian(h, std::vector{0.7, -0.4});
  const Matrix<> Hr = slope::jacobian(h_wide, std::vector{0.7, -0.4, 9.0});
  for (std::size_t i = 0; i < 2; ++i) {
    for (std::size_t j = 0; j < 2; ++j) CHECK_REL(Hf(i, j), Hr(i, j), 1e-15);
    CHECK(Hr(i, 2) == 0.0);
  }
  CHECK_REL(Hf(0, 0), std::exp(-0.4), 1e-15);
  CHECK_REL(Hf(0, 1), 0.7 * std::exp(-0.4), 1e-15);
  CHECK_REL(Hf(1, 0), 0.4 / (0.7 * 0.7), 1e-15);
  CHECK_REL(Hf(1, 1), 1 / 0.7, 1e-15);
}

TEST_CASE("jvp: a number for a scalar function, a vector for a vector function") {
  auto f = [](const auto& x) { return slope::sigmoid(x[0] * x[1]) + x[2] * x[2] * x[2]; };
  const std::vector<double> x{0.4, -0.8, 1.2}, v{1.0, -2.0, -0.5};
  const auto jv = slope::jvp(f, x, v);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(jv)>, double>);
  // grad = (s' x1, s' x0, 3 x2^2) at z = x0 x1.
  const Real50 z = Real50(0.4) * Real50(-0.8), s = sigmoid50(z), s1 = s * (1 - s);
  const Real50 expected = s1 * (Real50(-0.8) * 1 + Real50(0.4) * -2) +
                          3 * Real50(1.2) * Real50(1.2) * Real50(-0.5);
  CHECK_REL(jv, d(expected), 1e-14);

  auto g = [](const auto& x) {
    using std::exp;
    using S = std::remove_cvref_t<decltype(x[0])>;
    return std::vector<S>{x[0] * x[1], exp(x[2]), x[0] / x[2]};
  };
  const auto jg = slope::jvp(g, x, v);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(jg)>, std::vector<double>>);
  REQUIRE(jg.size() == 3);
  // J v = (x1 v0 + x0 v1, e^x2 v2, v0/x2 - x0 v2/x2^2)
  CHECK_REL(jg[0], d(Real50(-0.8) * 1 + Real50(0.4) * -2), 1e-15);
  CHECK_REL(jg[1], std::exp(1.2) * -0.5, 1e-15);
  CHECK_REL(jg[2], d(1 / Real50(1.2) - Real50(0.4) * Real50(-0.5) / (Real50(1.2) * Real50(1.2))),
            1e-15);
  // Along another direction, and from spans.
  const std::array<double, 3> xa{0.4, -0.8, 1.2}, w{0.0, 0.0, 1.0};
  const auto jw = slope::jvp(g, std::span<const double>(xa), std::span<const double>(w));
  CHECK(jw[0] == 0.0);
  CHECK(jw[1] == std::exp(1.2));
  CHECK_REL(jw[2], -0.4 / (1.2 * 1.2), 1e-15);
  // A function that ignores its input.
  CHECK(slope::jvp([](const auto&) { return 2.0; }, x, v) == 0.0);
}

TEST_CASE("derivative of sigmoid, tanh, exp and pow at points") {
  auto sig = [](const auto& z) { return slope::sigmoid(z); };
  for (double z : {0.3, -2.0, -40.0, 40.0, 0.0}) {
    CAPTURE(z);
    // e^-|z| / (1 + e^-|z|)^2
    const Real50 e = exp(-abs(Real50(z)));
    CHECK_REL(slope::derivative(sig, z), d(e / ((1 + e) * (1 + e))), 1e-15);
  }
  auto th = [](const auto& z) {
    using std::tanh;
    return tanh(z);
  };
  for (double z : {0.5, -3.0, 20.0, 0.0}) {
    CAPTURE(z);
    const Real50 c = cosh(Real50(z));
    CHECK_REL(slope::derivative(th, z), d(1 / (c * c)), 1e-15);
  }
  auto ex = [](const auto& z) {
    using std::exp;
    return exp(z);
  };
  for (double z : {1.5, -2.0, 0.0}) {
    CAPTURE(z);
    CHECK_REL(slope::derivative(ex, z), d(exp(Real50(z))), 1e-15);
  }
  auto cube_root_of_square = [](const auto& z) {
    using std::pow;
    return pow(z, 2.5);
  };
  CHECK_REL(slope::derivative(cube_root_of_square, 3.0), d(Real50(2.5) * pow(Real50(3), Real50(1.5))),
            1e-15);
  auto two_to = [](const auto& z) {
    using std::pow;
    return pow(2.0, z);
  };
  CHECK_REL(slope::derivative(two_to, 0.7),
            d(log(Real50(2)) * pow(Real50(2), Real50(0.7))), 1e-15);
  auto self_power = [](const auto& z) {
    using std::pow;
    return pow(z, z);
  };
  // (x^x)' = x^x (log x + 1)
  const Real50 x15(1.5);
  CHECK_REL(slope::derivative(self_power, 1.5), d(pow(x15, x15) * (log(x15) + 1)), 1e-15);
  // x^2 at a negative x: 2x; the exponent's partial (NaN there) is not used.
  auto square = [](const auto& z) {
    using std::pow;
    return pow(z, 2.0);
  };
  CHECK(slope::derivative(square, -3.0) == -6.0);
  // A function that ignores its argument.
  CHECK(slope::derivative([](const auto&) { return 1.0; }, 0.5) == 0.0);
  static_assert(std::is_same_v<decltype(slope::derivative(sig, 0.5f)), float>);
}

TEST_CASE("Matrix: zeros, checked element access that says what was out of range") {
  Matrix<> M(2, 3);
  CHECK(M.rows() == 2);
  CHECK(M.cols() == 3);
  for (double x : M.data()) CHECK(x == 0.0);
  M(1, 2) = 5.0;
  M(0, 1) = -1.0;
  CHECK(M(1, 2) == 5.0);
  CHECK(M.data()[5] == 5.0);  // row-major
  CHECK(M.data()[1] == -1.0);
  CHECK(M.row(1)[2] == 5.0);
  CHECK(M.row(1).size() == 3);
  const Matrix<>& C = M;
  CHECK(C(0, 1) == -1.0);

  const std::string col = argument_error_of([&] { (void)M(1, 3); });
  CHECK(col.find("(1, 3)") != std::string::npos);
  CHECK(col.find("out of range") != std::string::npos);
  CHECK(col.find("2 x 3") != std::string::npos);
  const std::string row = argument_error_of([&] { (void)C(2, 0); });
  CHECK(row.find("(2, 0)") != std::string::npos);
  CHECK(row.find("2 x 3") != std::string::npos);
  const std::string r = argument_error_of([&] { (void)M.row(2); });
  CHECK(r.find("out of range") != std::string::npos);
  CHECK(r.find("2 x 3") != std::string::npos);
  const Matrix<> empty;
  CHECK(argument_error_of([&] { (void)empty(0, 0); }).find("0 x 0") != std::string::npos);
  // It is a slope::error.
  CHECK_THROWS_AS((void)M(5, 5), slope::error);
  // Equality compares shape and elements.
  CHECK(Matrix<>(2, 3) != M);
  CHECK(Matrix<>(2, 3) != Matrix<>(3, 2));
  CHECK(Matrix<>(3, 2) == Matrix<>(3, 2));
}

TEST_CASE("jvp and hessian_vector_product refuse x and v of different sizes") {
  auto f = [](const auto& v) { return v[0] * v[1]; };
  const std::string j =
      argument_error_of([&] { (void)slope::jvp(f, std::vector{1.0, 2.0, 3.0}, std::vector{1.0, 2.0}); });
  CHECK(j.find("jvp") != std::string::npos);
  CHECK(j.find("3 and 2") != std::string::npos);
  const std::string h = argument_error_of([&] {
    (void)slope::hessian_vector_product(f, std::vector{1.0, 2.0}, std::vector{1.0, 2.0, 3.0});
  });
  CHECK(h.find("hessian_vector_product") != std::string::npos);
  CHECK(h.find("2 and 3") != std::string::npos);
  CHECK(slope::Tape<slope::Dual<>>::active() == nullptr);
}

TEST_CASE("the Hessian of a logistic-regression loss against 50-digit differences of the gradient") {
  // The cross-entropy of three labelled samples, plus penalties, over
  // (w0, w1, w2, b): log, exp, sigmoid, pow, sqrt and divisions.
  auto loss = [](const auto& w) {
    using std::exp;
    using std::log;
    using std::pow;
    using std::sqrt;
    using slope::sigmoid;
    using S = std::remove_cvref_t<decltype(w[0])>;
    S total{};  // a constant zero
    for (int i = 0; i < 3; ++i) {
      const S z = w[0] * samples[i][0] + w[1] * samples[i][1] + w[2] * samples[i][2] + w[3];
      const S p = sigmoid(z);
      total += labels[i] == 1 ? -log(p) : -log(1.0 - p);
    }
    total /= 3.0;
    total += 0.1 * sqrt(1.0 + w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
    total += 0.05 * pow(exp(w[3]) + 1.0, 1.5);
    total += w[0] / (2.0 + w[1] * w[1]);
    return total;
  };
  const std::vector<double> w{0.3, -0.5, 0.8, 0.1};
  const auto r = slope::value_gradient_and_hessian(loss, w);

  // The reference: the 50-digit tape's gradient, differentiated by central
  // differences with h = 1e-15 (truncation ~h^2, rounding ~1e-50/h).
  auto grad50 = [&](const std::vector<Real50>& p) {
    return slope::value_and_gradient(loss, std::span<const Real50>(p)).gradient;
  };
  const std::vector<Real50> w50(w.begin(), w.end());
  const Real50 h("1e-15");
  Real50 ref[4][4];
  for (std::size_t j = 0; j < 4; ++j) {
    std::vector<Real50> plus = w50, minus = w50;
    plus[j] += h;
    minus[j] -= h;
    const std::vector<Real50> gp = grad50(plus), gm = grad50(minus);
    for (std::size_t i = 0; i < 4; ++i) ref[i][j] = (gp[i] - gm[i]) / (2 * h);
  }
  // The reference is symmetric to far more digits than the test needs.
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 4; ++j) {
      using boost::multiprecision::abs;
      REQUIRE(abs(ref[i][j] - ref[j][i]) <= Real50("1e-25") * abs(ref[i][j]));
    }
  const auto g50 = slope::value_and_gradient(loss, std::span<const Real50>(w50));
  CHECK_REL(r.value, d(g50.value), 1e-14);
  for (std::size_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK_REL(r.gradient[i], d(g50.gradient[i]), 1e-13);
    for (std::size_t j = 0; j < 4; ++j) {
      CAPTURE(j);
      CHECK_REL(r.hessian(i, j), d(ref[i][j]), 1e-12);
    }
  }
  // The Hessian-vector product along the sum of the axes: the row sums.
  const std::vector<double> hv = slope::hessian_vector_product(loss, w, std::vector(4, 1.0));
  for (std::size_t i = 0; i < 4; ++i)
    CHECK_REL(hv[i], d(ref[i][0] + ref[i][1] + ref[i][2] + ref[i][3]), 1e-12);
}

TEST_CASE("jacobian refuses a function whose number of outputs depends on the number type") {
  auto f = [](const auto& x) {
    using S = std::remove_cvref_t<decltype(x[0])>;
    if constexpr (slope::is_dual_v<S>)
      return std::vector<S>{x[0], x[1]};
    else
      return std::vector<S>{x[0], x[1], x[0] * x[1]};
  };
  const std::string e = argument_error_of([&] { (void)slope::jacobian(f, std::vector{1.0, 2.0}); });
  CHECK(e.find("jacobian") != std::string::npos);
  CHECK(e.find("3 outputs on Vars and 2 on Dual numbers") != std::string::npos);
}

TEST_CASE("hessians through n-ary statements, pow, and partials at extreme scales") {
  // dot(a, b) of Vars: the partials are the other operand's values, and
  // their tangents give H = [[0, I], [I, 0]].
  auto dot = [](const auto& v) {
    using S = std::remove_cvref_t<decltype(v[0])>;
    const std::vector<S> a{v[0], v[1]}, b{v[2], v[3]};
    return slope::dot(a, b);
  };
  const Matrix<> Hd = slope::hessian(dot, std::vector{1.0, 2.0, 3.0, 4.0});
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 4; ++j) {
      CAPTURE(i);
      CAPTURE(j);
      CHECK(Hd(i, j) == ((i + 2 == j || j + 2 == i) ? 1.0 : 0.0));
    }
  // dot with plain numbers, times a Var: (2x + 3y) y, H = [[0, 2], [2, 6]].
  auto dot_plain = [](const auto& v) {
    using S = std::remove_cvref_t<decltype(v[0])>;
    using T = typename S::value_type;
    const std::vector<S> a{v[0], v[1]};
    const std::vector<T> b{T(2.0), T(3.0)};
    return slope::dot(a, b) * v[1];
  };
  const Matrix<> Hp = slope::hessian(dot_plain, std::vector{1.0, 2.0});
  CHECK(Hp(0, 0) == 0.0);
  CHECK(Hp(0, 1) == 2.0);
  CHECK(Hp(1, 1) == 6.0);
  // fma(x, y, z): H_xy = 1; fma(x, x, y y): diag(2, 2).
  const Matrix<> Hf =
      slope::hessian([](const auto& v) { return slope::fma(v[0], v[1], v[2]); }, std::vector{1.0, 2.0, 3.0});
  CHECK(Hf(0, 1) == 1.0);
  CHECK(Hf(1, 0) == 1.0);
  CHECK(Hf(0, 0) == 0.0);
  CHECK(Hf(2, 2) == 0.0);
  CHECK(Hf(0, 2) == 0.0);
  const Matrix<> Hs = slope::hessian(
      [](const auto& v) { return slope::fma(v[0], v[0], v[1] * v[1]); }, std::vector{1.5, 2.0});
  CHECK(Hs(0, 0) == 2.0);
  CHECK(Hs(1, 1) == 2.0);
  CHECK(Hs(0, 1) == 0.0);
  // sum(x^2, y z): H = [[2, 0, 0], [0, 0, 1], [0, 1, 0]].
  const Matrix<> Hu = slope::hessian(
      [](const auto& v) { return slope::sum(v[0] * v[0], v[1] * v[2]); }, std::vector{1.0, 2.0, 3.0});
  CHECK(Hu(0, 0) == 2.0);
  CHECK(Hu(1, 2) == 1.0);
  CHECK(Hu(2, 1) == 1.0);
  CHECK(Hu(1, 1) == 0.0);
  CHECK(Hu(0, 1) == 0.0);
  // A loop of += on one statement, then a product: 3 x^2 y, H = [[6y, 6x], [6x, 0]].
  auto loop = [](const auto& v) {
    std::remove_cvref_t<decltype(v[0])> s;
    for (int i = 0; i < 3; ++i) s += v[0] * v[1];
    return s * v[0];
  };
  const Matrix<> Hl = slope::hessian(loop, std::vector{2.0, 3.0});
  CHECK(Hl(0, 0) == 18.0);
  CHECK(Hl(0, 1) == 12.0);
  CHECK(Hl(1, 1) == 0.0);

  // pow(x, p): f_xx = p(p - 1) x^(p-2), f_xp = x^(p-1)(1 + p log x), f_pp = log(x)^2 x^p.
  auto pw = [](const auto& v) {
    using std::pow;
    return pow(v[0], v[1]);
  };
  const Matrix<> Hw = slope::hessian(pw, std::vector{2.0, 3.0});
  const Real50 l2 = log(Real50(2));
  CHECK_REL(Hw(0, 0), 12.0, 1e-15);
  CHECK_REL(Hw(0, 1), d(4 * (1 + 3 * l2)), 1e-15);
  CHECK_REL(Hw(1, 1), d(l2 * l2 * 8), 1e-15);
  // A constant exponent: x^2 and x^3 at 0 and at negative x (where the
  // exponent's partial, log(x) x^p, is NaN and must not be used).
  auto square = [](const auto& v) {
    using std::pow;
    return pow(v[0], 2.0);
  };
  auto cube = [](const auto& v) {
    using std::pow;
    return pow(v[0], 3.0);
  };
  for (double x : {0.0, -3.0, 1.5}) {
    CAPTURE(x);
    CHECK(slope::hessian(square, std::vector{x})(0, 0) == 2.0);
    CHECK(slope::hessian(cube, std::vector{x})(0, 0) == 6.0 * x);
  }
  CHECK(slope::hessian([](const auto& v) { using std::pow; return pow(v[0], 0.5); },
                       std::vector{4.0})(0, 0) == -1.0 / 32.0);  // -x^(-3/2)/4

  // Extreme scales: second derivatives far from 1, down to subnormal.
  // (x 1e-160)(y 1e-160): H_xy = 1e-160 1e-160, a subnormal.
  const double tiny = 1e-160;
  const Matrix<> Ht =
      slope::hessian([](const auto& v) { return (v[0] * 1e-160) * (v[1] * 1e-160); }, std::vector{1.0, 1.0});
  CHECK(Ht(0, 1) == tiny * tiny);
  CHECK(Ht(0, 1) > 0.0);
  CHECK(Ht(0, 0) == 0.0);
  // x^2 y^2 at (1e-100, 1e-100): H = [[2y^2, 4xy], [4xy, 2x^2]].
  const Matrix<> Hq = slope::hessian(
      [](const auto& v) {
        const auto t = v[0] * v[1];
        return t * t;
      },
      std::vector{1e-100, 1e-100});
  CHECK_REL(Hq(0, 0), 2e-200, 1e-15);
  CHECK_REL(Hq(0, 1), 4e-200, 1e-15);
  CHECK_REL(Hq(1, 1), 2e-200, 1e-15);
  // x^4 at 1e-80: f'' = 12 x^2 = 1.2e-159, while f itself underflows.
  const auto r4 = slope::value_gradient_and_hessian(
      [](const auto& v) { return v[0] * v[0] * v[0] * v[0]; }, std::vector{1e-80});
  CHECK_REL(r4.gradient[0], 4e-240, 1e-15);
  CHECK_REL(r4.hessian(0, 0), 1.2e-159, 1e-15);
  // x^2 at 1e-200: the value underflows to 0, the Hessian is 2.
  CHECK(slope::hessian([](const auto& v) { return v[0] * v[0]; }, std::vector{1e-200})(0, 0) == 2.0);
  // x y z at (1e-200, 1e-200, 1): H = [[0, z, y], [z, 0, x], [y, x, 0]].
  const Matrix<> Hz = slope::hessian([](const auto& v) { return v[0] * v[1] * v[2]; },
                                     std::vector{1e-200, 1e-200, 1.0});
  CHECK(Hz(0, 1) == 1.0);
  CHECK(Hz(0, 2) == 1e-200);
  CHECK(Hz(1, 2) == 1e-200);
  // sigmoid'' = s'(1 - 2s) in the tails, where 1 - 2s is -1 or 1, and
  // -z/8 to first order near 0.
  auto sig = [](const auto& v) { return slope::sigmoid(v[0]); };
  const Real50 e40 = exp(Real50(-40)), s1_40 = e40 / ((1 + e40) * (1 + e40));
  CHECK_REL(slope::hessian(sig, std::vector{-40.0})(0, 0), d(s1_40 * (1 - 2 / (1 + 1 / e40))), 1e-14);
  CHECK_REL(slope::hessian(sig, std::vector{40.0})(0, 0), d(s1_40 * (1 - 2 / (1 + e40))), 1e-14);
  CHECK_REL(slope::hessian(sig, std::vector{1e-200})(0, 0), -1.25e-201, 1e-15);
}

TEST_CASE("a traced tape and anomaly detection give the same Hessian as a plain one") {
  auto f = [](const auto& v) {
    using std::sin;
    return sin(v[0] * v[1]) * v[2] + v[0] / v[2];
  };
  const std::vector<double> x{0.3, 0.7, 2.0};
  const auto plain = slope::value_gradient_and_hessian(f, x);
  slope::Tape<slope::Dual<>> traced;
  traced.trace();
  const auto t = slope::value_gradient_and_hessian(f, std::span<const double>(x), traced);
  CHECK(t.value == plain.value);
  CHECK(t.gradient == plain.gradient);
  CHECK(t.hessian == plain.hessian);
  slope::Tape<slope::Dual<>> checked;
  checked.detect_anomalies();
  const auto a = slope::value_gradient_and_hessian(f, std::span<const double>(x), checked);
  CHECK(a.gradient == plain.gradient);
  CHECK(a.hessian == plain.hessian);
  // And both against the closed form: f = sin(xy) z + x/z.
  const double c = std::cos(0.21), s = std::sin(0.21);
  CHECK_REL(plain.hessian(0, 0), -0.7 * 0.7 * s * 2.0, 1e-14);
  CHECK_REL(plain.hessian(0, 1), (c - 0.21 * s) * 2.0, 1e-14);
  CHECK_REL(plain.hessian(0, 2), 0.7 * c - 1 / 4.0, 1e-14);
  CHECK_REL(plain.hessian(1, 1), -0.3 * 0.3 * s * 2.0, 1e-14);
  CHECK_REL(plain.hessian(1, 2), 0.3 * c, 1e-14);
  CHECK_REL(plain.hessian(2, 2), 2 * 0.3 / 8.0, 1e-14);
}
