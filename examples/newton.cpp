// newton.cpp - second derivatives: logistic regression fitted by Newton's
// method, next to gradient descent.
//
// The loss is written once, generically; slope::value_gradient_and_hessian
// gives its value, gradient and Hessian in one call (forward-over-reverse:
// one recording and sweep per parameter on a tape of Dual numbers), so a
// Newton step w -= H^-1 g costs one call and a 3x3 solve. The Hessian is
// checked once with slope::check::hessian against Ridders' derivatives of
// the 50-digit tape gradient.
//
//   newton            fit, compare, exit 1 unless the check passes, Newton
//                     converges in at most 20 steps and reaches gradient
//                     descent's cost
#include <array>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <fmt/format.h>

#include <slope/check.hpp>
#include <slope/slope.hpp>

namespace {

// Two overlapping clouds of 2-D points, labels 1 and 0 (not separable, so
// the optimum is finite).
struct Data {
  std::vector<std::array<double, 2>> x;
  std::vector<double> y;
};

Data make_data(std::size_t n) {
  std::mt19937_64 rng(20261202);
  std::normal_distribution<double> noise(0.0, 1.0);
  Data d;
  for (std::size_t i = 0; i < n; ++i) {
    const double label = i % 2 == 0 ? 1.0 : 0.0;
    const double shift = label == 1.0 ? 1.0 : -0.5;
    d.x.push_back({shift + noise(rng), 0.5 * shift + noise(rng)});
    d.y.push_back(label);
  }
  return d;
}

// The mean cross-entropy of sigmoid(w0 x0 + w1 x1 + w2) plus a small L2
// penalty, for any Var type (double, Dual, 50 digits).
struct Loss {
  const Data& data;
  template <class V>
  auto operator()(const std::vector<V>& w) const {
    std::vector<V> terms;
    terms.reserve(data.y.size() + 1);
    for (std::size_t i = 0; i < data.y.size(); ++i) {
      const V z = w[0] * data.x[i][0] + w[1] * data.x[i][1] + w[2];
      terms.push_back(slope::binary_cross_entropy(slope::sigmoid(z), data.y[i]));
    }
    const double n = static_cast<double>(data.y.size());
    terms.push_back(1e-3 * n * (w[0] * w[0] + w[1] * w[1]));
    return slope::sum(terms) / n;
  }
};

// Solves H d = g for a small symmetric positive definite H (Cholesky).
std::vector<double> solve(const slope::Matrix<double>& H, const std::vector<double>& g) {
  const std::size_t n = g.size();
  slope::Matrix<double> L(n, n);
  for (std::size_t j = 0; j < n; ++j) {
    double s = H(j, j);
    for (std::size_t k = 0; k < j; ++k) s -= L(j, k) * L(j, k);
    if (!(s > 0)) throw std::runtime_error("the Hessian is not positive definite");
    L(j, j) = std::sqrt(s);
    for (std::size_t i = j + 1; i < n; ++i) {
      double t = H(i, j);
      for (std::size_t k = 0; k < j; ++k) t -= L(i, k) * L(j, k);
      L(i, j) = t / L(j, j);
    }
  }
  std::vector<double> d(g);
  for (std::size_t i = 0; i < n; ++i) {  // L y = g
    for (std::size_t k = 0; k < i; ++k) d[i] -= L(i, k) * d[k];
    d[i] /= L(i, i);
  }
  for (std::size_t i = n; i-- > 0;) {  // L^T d = y
    for (std::size_t k = i + 1; k < n; ++k) d[i] -= L(k, i) * d[k];
    d[i] /= L(i, i);
  }
  return d;
}

double norm(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

}  // namespace

int main() {
  const Data data = make_data(200);
  const Loss loss{data};
  const std::vector<double> start = {0.0, 0.0, 0.0};

  // The Hessian, checked once where the fit starts.
  const auto report = slope::check::hessian(loss, start);
  fmt::print("{}\n", report);
  const bool checked = report.status == slope::check::Status::pass;

  // Newton's method: one value_gradient_and_hessian call per step.
  std::vector<double> w = start;
  int newton_steps = 0;
  double newton_cost = 0, newton_gradient = 0;
  slope::Tape<slope::Dual<double>> tape;  // reused by every step
  for (;; ++newton_steps) {
    const auto [value, g, H] = slope::value_gradient_and_hessian(loss, std::span<const double>(w), tape);
    newton_cost = value;
    newton_gradient = norm(g);
    if (newton_gradient < 1e-12 || newton_steps == 50) break;
    const std::vector<double> d = solve(H, g);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] -= d[i];
    fmt::print("Newton step {:2}: cost {:.15f}, |gradient| {:.3e}\n", newton_steps + 1, value,
               norm(g));
  }
  const std::vector<double> w_newton = w;

  // Gradient descent with a fixed step, to the same gradient norm or 100,000 steps.
  w = start;
  int descent_steps = 0;
  double descent_cost = 0, descent_gradient = 0;
  slope::Tape<double> first_order;
  for (;; ++descent_steps) {
    const auto [value, g] = slope::value_and_gradient(loss, std::span<const double>(w), first_order);
    descent_cost = value;
    descent_gradient = norm(g);
    if (descent_gradient < 1e-8 || descent_steps == 100000) break;
    for (std::size_t i = 0; i < w.size(); ++i) w[i] -= 1.0 * g[i];
  }

  fmt::print("\nNewton's method:  {:6} steps, cost {:.15f}, |gradient| {:.1e}, w = ({:.6f}, "
             "{:.6f}, {:.6f})\n",
             newton_steps, newton_cost, newton_gradient, w_newton[0], w_newton[1], w_newton[2]);
  fmt::print("gradient descent: {:6} steps, cost {:.15f}, |gradient| {:.1e}, w = ({:.6f}, "
             "{:.6f}, {:.6f})\n",
             descent_steps, descent_cost, descent_gradient, w[0], w[1], w[2]);
  const bool newton_ok = newton_steps <= 20 && newton_cost <= descent_cost + 1e-12;
  fmt::print("Hessian check {}; Newton {}\n", checked ? "passed" : "FAILED",
             newton_ok ? "converged and reached gradient descent's cost"
                       : "did NOT converge to gradient descent's cost");
  return checked && newton_ok ? 0 : 1;
}
