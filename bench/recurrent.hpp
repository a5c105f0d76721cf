// recurrent.hpp - W5, a recurrent workload beside the four of BENCHMARKS.md
// (whose reference files, bench/reference/, stay as the team shared them):
// an Elman network with a loss at every step, so the same parameters feed
// every step and their adjoints fan in from all of them.
//
// **W5 recurrent network.** n_x = 8 inputs, n_h = 32 hidden units, T = 256
// steps. x_t[k] = sin(0.05 (t+1)(k+1)), y_t = 1 if sin(0.3 t) > 0 else 0.
// Parameters, in this order: Wx (32x8, row-major) Wx[i][k] = 0.1 sin(i + 3k);
// Wh (32x32) Wh[i][j] = 0.05 cos(i + 2j); b (32) b[i] = 0.01 i; v (32)
// v[i] = 0.1 sin(i); c = 0: 1,345 in all. h_0 = 0;
// h_t = tanh(Wx x_t + Wh h_{t-1} + b); a_t = sigmoid(v . h_t + c);
// J = -(1/T) sum_t [y_t log a_t + (1 - y_t) log(1 - a_t)]. Gradient of J with
// respect to all parameters.
#pragma once

#include <vector>

namespace pb {

constexpr int W5_NX = 8, W5_NH = 32, W5_T = 256;
constexpr int W5_NP = W5_NH * W5_NX + W5_NH * W5_NH + W5_NH + W5_NH + 1;  // 1345
// Offsets of the parameter blocks.
constexpr int W5_WX = 0, W5_WH = W5_NH * W5_NX, W5_B = W5_WH + W5_NH * W5_NH,
              W5_V = W5_B + W5_NH, W5_C = W5_V + W5_NH;

struct RecurrentData {
  std::vector<double> x;  // x[t * NX + k]
  std::vector<double> y;  // y[t]
  std::vector<double> p;  // the parameters
  RecurrentData();
};
const RecurrentData& recurrent_data();

/// J in plain doubles.
double w5_plain(const std::vector<double>& p);
/// J and its gradient by hand (backpropagation through time).
double w5_hand(const std::vector<double>& p, std::vector<double>& g);

}  // namespace pb
