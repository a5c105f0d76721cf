// check_my_function.cpp - checking the gradient of your own function.
//
// Write the function once, generically (it runs on double, on slope::Var and
// on 50-digit numbers), and slope::check::gradient compares the gradient the
// tape gives with a numerical gradient computed in 50-digit arithmetic, per
// component, allowing for how well conditioned the function is at the point.
// It also records the function on a 50-digit tape and checks that gradient to
// 30 digits: the chain rule itself, beyond double rounding.
#include <cmath>
#include <vector>

#include <slope/check.hpp>
#include <slope/slope.hpp>

// A small logistic-regression loss with an L2 penalty, written once.
auto loss = [](const auto& w) {
  using slope::sigmoid;
  using std::log;
  const double xs[4][2] = {{0.5, 1.0}, {-1.5, 0.3}, {2.0, -0.7}, {0.1, 0.1}};
  const double ys[4] = {1, 0, 1, 0};
  auto total = w[2] * 0.0;  // a zero of the right type
  for (int j = 0; j < 4; ++j) {
    const auto a = sigmoid(w[0] * xs[j][0] + w[1] * xs[j][1] + w[2]);
    total += ys[j] * log(a) + (1.0 - ys[j]) * log(1.0 - a);
  }
  return -total / 4.0 + 0.01 * (w[0] * w[0] + w[1] * w[1]);
};

int main() {
  const std::vector<double> w = {0.3, -1.2, 0.05};
  const auto report = slope::check::gradient(loss, w);
  fmt::print("Gradient check of the loss at w = ({}, {}, {}):\n{}\n", w[0], w[1], w[2], report);
  return report.status == slope::check::Status::pass ? 0 : 1;
}
