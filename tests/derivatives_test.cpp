// derivatives_test.cpp - wrt/derivatives, gradient, value_and_gradient.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <span>
#include <vector>

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
