// compositions_test.cpp - gradients of whole compositions against 50-digit
// numerical gradients, and the same code recorded with other scalar types.
//
// Every composition is one generic function, run three ways: on Var<double>
// (the gradient under test), on 50-digit numbers (the numerical reference,
// Richardson-extrapolated central differences), and on Var<50-digit> (the
// chain rule itself, beyond double rounding).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <slope/check.hpp>
#include <slope/slope.hpp>

namespace {

using slope::check::Real50;

struct Reference {
  Real50 value;
  std::vector<Real50> gradient;
  std::vector<Real50> error;
};

template <class F>
Reference numerical_gradient(const F& f, const std::vector<double>& x) {
  const std::vector<Real50> xm(x.begin(), x.end());
  Reference r{f(xm), {}, {}};
  for (std::size_t i = 0; i < x.size(); ++i) {
    std::function<Real50(const Real50&)> fi = [&](const Real50& z) {
      std::vector<Real50> xi = xm;
      xi[i] = z;
      return f(xi);
    };
    const double step = std::ldexp(1.0, -10) * std::max(1.0, std::fabs(x[i]));
    const auto d = slope::check::derivative<Real50>(fi, xm[i], slope::check::Side::central,
                                                    Real50(step));
    r.gradient.push_back(d.value);
    r.error.push_back(d.error);
  }
  return r;
}

// The tape gradient matches the 50-digit numerical gradient to 1e-12,
// relative to each component (or, for a component that is nearly 0, to the
// largest one), and the Var<Real50> tape matches it to 30 digits.
template <class F>
void check_composition(const std::string& name, const F& f, const std::vector<double>& x) {
  CAPTURE(name);
  const auto [value, grad] = slope::value_and_gradient(f, x);
  const Reference ref = numerical_gradient(f, x);
  using boost::multiprecision::abs;
  Real50 scale = 0;
  for (const Real50& g : ref.gradient) scale = std::max(scale, Real50(abs(g)));
  REQUIRE(scale > 0);
  CHECK(abs(Real50(value) - ref.value) <= 1e-13 * abs(ref.value) + Real50(1e-300));

  const std::vector<Real50> xm(x.begin(), x.end());
  const auto exact = slope::value_and_gradient(f, xm);  // recorded on a Tape<Real50>
  for (std::size_t i = 0; i < x.size(); ++i) {
    CAPTURE(i);
    CAPTURE(grad[i]);
    CAPTURE(static_cast<double>(ref.gradient[i]));
    // The reference is far more accurate than what it checks.
    CHECK(ref.error[i] <= 1e-25 * scale);
    const Real50 denominator = std::max(Real50(abs(ref.gradient[i])), Real50(1e-6 * scale));
    const Real50 rel = abs(Real50(grad[i]) - ref.gradient[i]) / denominator;
    CAPTURE(static_cast<double>(rel));
    CHECK(rel <= 1e-12);
    const Real50 rel50 = abs(exact.gradient[i] - ref.gradient[i]) / denominator;
    CAPTURE(static_cast<double>(rel50));
    CHECK(rel50 <= 1e-30);
  }
}

// W3 from BENCHMARKS.md: the one-hidden-layer network's cross-entropy cost,
// as a function of its 17 parameters [W1 (4x2), b1 (4), W2 (4), b2].
struct W3Cost {
  std::vector<double> X0, X1, y;
  W3Cost() {
    for (int j = 0; j < 400; ++j) {
      X0.push_back(std::sin(0.1 * j));
      X1.push_back(std::cos(0.07 * j));
      y.push_back(X0.back() * X1.back() > 0 ? 1.0 : 0.0);
    }
  }
  template <class V>
  auto operator()(const V& p) const {
    using std::log;
    using std::tanh;
    using slope::sigmoid;
    auto J = p[16] * 0.0;
    for (std::size_t j = 0; j < X0.size(); ++j) {
      auto z2 = p[16];
      for (int i = 0; i < 4; ++i) z2 += p[12 + i] * tanh(p[i * 2] * X0[j] + p[i * 2 + 1] * X1[j] + p[8 + i]);
      const auto a2 = sigmoid(z2);
      J += y[j] * log(a2) + (1.0 - y[j]) * log(1.0 - a2);
    }
    return J * (-1.0 / double(X0.size()));
  }
};

std::vector<double> w3_parameters() {
  std::vector<double> p(17, 0.0);
  for (int i = 0; i < 4; ++i)
    for (int k = 0; k < 2; ++k) p[i * 2 + k] = 0.01 * (i + 1) * (k == 0 ? 1.0 : -1.0);
  for (int i = 0; i < 4; ++i) p[12 + i] = 0.01 * (i + 1);
  // Move away from the symmetric starting point so every partial is nonzero.
  for (int i = 0; i < 17; ++i) p[i] += 0.05 * std::sin(1.0 + i);
  return p;
}

}  // namespace

TEST_CASE("the seed expression") {
  check_composition("seed", [](const auto& v) {
    using slope::leaky_relu;
    using slope::sigmoid;
    using std::tanh;
    return sigmoid(v[1] * v[0]) + tanh(v[0]) * leaky_relu(v[0] - 1.0);
  }, {0.5, -1.2});
}

TEST_CASE("every operator, with Vars and numbers on either side") {
  check_composition("operators", [](const auto& v) {
    auto a = (v[0] + v[1]) * (v[0] - v[1]) / (v[1] + 2.0) - -v[0];
    auto b = 2.0 * v[0] + v[0] / 3.0 - 1.0 / v[1] + (3.0 - v[1]) * v[0] - v[1] * 0.5;
    auto c = a;
    c += b;
    c *= v[1];
    c -= 0.25;
    c /= v[0];
    c -= v[1];
    return c * (+v[0]);
  }, {1.3, 0.4});
}

TEST_CASE("a long chain (W2 with 2000 steps)") {
  check_composition("chain", [](const auto& v) {
    using slope::sigmoid;
    using std::tanh;
    auto x = v[0];
    for (int k = 0; k < 2000; ++k) x = tanh(v[1] * sigmoid(x) + v[2]);
    return x;
  }, {0.3, 1.7, -0.5});
}

TEST_CASE("shared subexpressions") {
  check_composition("shared", [](const auto& v) {
    using std::exp;
    using std::sin;
    const auto s = sin(v[0] * v[1]);
    const auto t = s * s + exp(s) - s / (1.0 + s * s);
    return t * s + t / (2.0 + s);
  }, {0.8, -1.1});
}

TEST_CASE("a deep diamond DAG") {
  check_composition("diamond", [](const auto& v) {
    using std::cos;
    using std::sin;
    auto u = v[0];
    for (int k = 0; k < 40; ++k) u = sin(u) + cos(u) * v[1];
    return u;
  }, {0.4, 0.3});
}

TEST_CASE("the W3 network cost") {
  const W3Cost cost;
  check_composition("W3", cost, w3_parameters());
}

TEST_CASE("log-sum-exp and cross entropy") {
  check_composition("lse", [](const auto& v) {
    using slope::sigmoid;
    using std::exp;
    using std::log;
    return log(exp(v[0]) + exp(v[1]) + exp(v[2])) - log(sigmoid(v[0])) -
           log(1.0 - sigmoid(v[1]));
  }, {0.2, -1.4, 2.1});
}

TEST_CASE("rational functions and powers") {
  check_composition("rational", [](const auto& v) {
    using std::pow;
    return (pow(v[0], 3.0) + 2.0 * v[1]) / (1.0 + v[0] * v[0] * v[1] * v[1]) + pow(v[0], v[1]) +
           pow(v[1], 2.5) + pow(2.0, v[0]);
  }, {1.2, 0.7});
}

TEST_CASE("roots") {
  check_composition("roots", [](const auto& v) {
    using std::cbrt;
    using std::sqrt;
    return sqrt(v[0] * v[0] + v[1] * v[1]) + cbrt(v[0] * v[1] * v[2]) / sqrt(v[2]);
  }, {0.6, -0.8, 2.2});
}

TEST_CASE("trigonometric functions") {
  check_composition("trig", [](const auto& v) {
    using std::acos;
    using std::asin;
    using std::atan;
    using std::cos;
    using std::tan;
    return atan(v[0] / v[1]) + asin(v[0] / 3.0) * acos(v[1] / 4.0) + tan(v[2]) * cos(v[0]);
  }, {0.9, 1.6, -0.4});
}

TEST_CASE("hyperbolic functions") {
  check_composition("hyperbolic", [](const auto& v) {
    using std::acosh;
    using std::asinh;
    using std::atanh;
    using std::cosh;
    using std::sinh;
    return sinh(v[0]) * cosh(v[1]) - asinh(v[2]) + acosh(2.0 + v[0] * v[0]) + atanh(v[1] / 2.0);
  }, {0.3, -0.7, 1.9});
}

TEST_CASE("error function, log1p, expm1 and friends") {
  check_composition("special", [](const auto& v) {
    using std::erf;
    using std::erfc;
    using std::exp2;
    using std::expm1;
    using std::log10;
    using std::log1p;
    using std::log2;
    return erf(v[0]) * erfc(v[1]) + log1p(v[0] * v[0]) + expm1(-v[1]) + exp2(v[0]) +
           log2(v[1]) * log10(v[0] + 3.0);
  }, {0.45, 1.3});
}

TEST_CASE("kinked functions away from their kinks") {
  check_composition("kinks", [](const auto& v) {
    using slope::leaky_relu;
    using slope::relu;
    using slope::softplus;
    using std::abs;
    using std::max;
    using std::min;
    return max(v[0], v[1]) * min(v[1], v[2]) + abs(v[0] - v[2]) + relu(v[1]) +
           leaky_relu(-v[2], 0.2) * softplus(v[0] * v[1] - v[2]);
  }, {0.7, 1.4, 0.2});
}

TEST_CASE("a polynomial by Horner's rule with compound assignment") {
  check_composition("horner", [](const auto& v) {
    auto p = v[0] * 0.0 + 1.0;
    for (int k = 0; k < 25; ++k) {
      p *= v[0];
      p += std::sin(1.0 * k);
    }
    return p * v[1];
  }, {0.93, 1.5});
}

TEST_CASE("a sum of many sigmoid neurons") {
  check_composition("neurons", [](const auto& v) {
    using slope::sigmoid;
    auto s = v[0] * 0.0;
    for (int i = 0; i < 300; ++i) s += sigmoid(v[0] * (-3.0 + 0.02 * i) + v[1]) * v[2];
    return s;
  }, {1.1, -0.2, 0.8});
}

TEST_CASE("saturated activations in compositions") {
  // Where the textbook rules a(1-a) and 1-a^2 give 0 or lose most digits.
  check_composition("saturated sigmoid", [](const auto& v) {
    using slope::sigmoid;
    return sigmoid(v[0] * 40.0) * 3.0;
  }, {1.0});
  check_composition("saturated tanh", [](const auto& v) {
    using std::tanh;
    return tanh(v[0] * 20.0) * 3.0;
  }, {1.0});
  check_composition("saturated cross entropy", [](const auto& v) {
    using slope::sigmoid;
    using std::log;
    return -log(sigmoid(-v[0] * 30.0)) + log(1.0 - sigmoid(-v[0] * 30.0));
  }, {1.0});
}

TEST_CASE("the same code records and sweeps in float, double, long double and 50 digits") {
  auto f = [](const auto& v) {
    using slope::sigmoid;
    using std::exp;
    using std::tanh;
    return sigmoid(v[0] * v[1]) * tanh(v[2] - v[0]) + exp(-v[1] * v[2]);
  };
  const std::vector<double> x = {0.3, -1.1, 0.8};
  const auto rd = slope::value_and_gradient(f, x);
  const auto rm = slope::value_and_gradient(f, std::vector<Real50>(x.begin(), x.end()));
  const auto rf = slope::value_and_gradient(f, std::vector<float>(x.begin(), x.end()));
  const auto rl = slope::value_and_gradient(f, std::vector<long double>(x.begin(), x.end()));
  for (std::size_t i = 0; i < x.size(); ++i) {
    CAPTURE(i);
    // Double agrees with 50 digits to double precision.
    CHECK(static_cast<double>(rm.gradient[i]) == doctest::Approx(rd.gradient[i]).epsilon(1e-15));
    CHECK(rf.gradient[i] == doctest::Approx(rd.gradient[i]).epsilon(1e-6));
    CHECK(static_cast<double>(rl.gradient[i]) == doctest::Approx(rd.gradient[i]).epsilon(1e-15));
  }
  // And 50 digits on the tape agree with 50-digit numerical differentiation.
  check_composition("generic", f, x);
}
