// recurrent.cpp - W5's data, plain function and hand-written adjoint
// (backpropagation through time), in their own translation unit as the
// other workloads' are.
#include "recurrent.hpp"

#include <cmath>

namespace pb {

RecurrentData::RecurrentData() : x(W5_T * W5_NX), y(W5_T), p(W5_NP, 0.0) {
  for (int t = 0; t < W5_T; ++t) {
    for (int k = 0; k < W5_NX; ++k) x[t * W5_NX + k] = std::sin(0.05 * (t + 1) * (k + 1));
    y[t] = std::sin(0.3 * t) > 0 ? 1.0 : 0.0;
  }
  for (int i = 0; i < W5_NH; ++i) {
    for (int k = 0; k < W5_NX; ++k) p[W5_WX + i * W5_NX + k] = 0.1 * std::sin(double(i + 3 * k));
    for (int j = 0; j < W5_NH; ++j) p[W5_WH + i * W5_NH + j] = 0.05 * std::cos(double(i + 2 * j));
    p[W5_B + i] = 0.01 * i;
    p[W5_V + i] = 0.1 * std::sin(double(i));
  }
  p[W5_C] = 0.0;
}

const RecurrentData& recurrent_data() {
  static const RecurrentData d;
  return d;
}

namespace {
double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// One step: h = tanh(Wx x + Wh h_prev + b).
void step(const double* p, const double* x, const double* h_prev, double* h) {
  for (int i = 0; i < W5_NH; ++i) {
    double z = p[W5_B + i];
    for (int k = 0; k < W5_NX; ++k) z += p[W5_WX + i * W5_NX + k] * x[k];
    for (int j = 0; j < W5_NH; ++j) z += p[W5_WH + i * W5_NH + j] * h_prev[j];
    h[i] = std::tanh(z);
  }
}
double output(const double* p, const double* h) {
  double z = p[W5_C];
  for (int i = 0; i < W5_NH; ++i) z += p[W5_V + i] * h[i];
  return sigmoid(z);
}
}  // namespace

double w5_plain(const std::vector<double>& p) {
  const RecurrentData& D = recurrent_data();
  double h[2][W5_NH] = {};
  double J = 0;
  for (int t = 0; t < W5_T; ++t) {
    const double* prev = h[t % 2];
    double* next = h[(t + 1) % 2];
    step(p.data(), &D.x[t * W5_NX], prev, next);
    const double a = output(p.data(), next);
    J += D.y[t] * std::log(a) + (1 - D.y[t]) * std::log(1 - a);
  }
  return -J / W5_T;
}

double w5_hand(const std::vector<double>& p, std::vector<double>& g) {
  const RecurrentData& D = recurrent_data();
  // Forward, keeping every h_t (hs[0] = h_0 = 0) and a_t.
  static thread_local std::vector<double> hs, as;
  hs.assign(static_cast<std::size_t>(W5_T + 1) * W5_NH, 0.0);
  as.assign(W5_T, 0.0);
  double J = 0;
  for (int t = 0; t < W5_T; ++t) {
    double* h = &hs[(t + 1) * W5_NH];
    step(p.data(), &D.x[t * W5_NX], &hs[t * W5_NH], h);
    as[t] = output(p.data(), h);
    J += D.y[t] * std::log(as[t]) + (1 - D.y[t]) * std::log(1 - as[t]);
  }
  // Backward through time.
  g.assign(W5_NP, 0.0);
  double dh_next[W5_NH] = {};  // dJ/dh_t from step t+1: Wh^T dpre_{t+1}
  for (int t = W5_T - 1; t >= 0; --t) {
    const double* h = &hs[(t + 1) * W5_NH];
    const double* h_prev = &hs[t * W5_NH];
    const double* x = &D.x[t * W5_NX];
    const double dz = (as[t] - D.y[t]) / W5_T;  // d(-J/T)/d(output pre-activation)
    g[W5_C] += dz;
    double dpre[W5_NH];
    for (int i = 0; i < W5_NH; ++i) {
      g[W5_V + i] += dz * h[i];
      const double dh = dz * p[W5_V + i] + dh_next[i];
      dpre[i] = dh * (1 - h[i] * h[i]);
    }
    for (int j = 0; j < W5_NH; ++j) dh_next[j] = 0;
    for (int i = 0; i < W5_NH; ++i) {
      const double d = dpre[i];
      g[W5_B + i] += d;
      for (int k = 0; k < W5_NX; ++k) g[W5_WX + i * W5_NX + k] += d * x[k];
      for (int j = 0; j < W5_NH; ++j) {
        g[W5_WH + i * W5_NH + j] += d * h_prev[j];
        dh_next[j] += p[W5_WH + i * W5_NH + j] * d;
      }
    }
  }
  return -J / W5_T;
}

}  // namespace pb
