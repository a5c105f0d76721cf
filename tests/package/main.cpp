// main.cpp - a consumer of slope: records sigmoid(w x + b) and checks its
// gradient against the closed form.
#include <cmath>
#include <slope/slope.hpp>

int main() {
  slope::Tape tape;
  slope::Var x = 0.5, w = 2.0, b = -0.25;
  slope::Var y = slope::sigmoid(w * x + b);
  auto [dx, dw, db] = slope::derivatives(y, slope::wrt(x, w, b));
  const double a = 1.0 / (1.0 + std::exp(-0.75));
  const double d = a * (1.0 - a);
  const bool ok = std::fabs(dx - 2.0 * d) < 1e-15 && std::fabs(dw - 0.5 * d) < 1e-15 &&
                  std::fabs(db - d) < 1e-15;
  fmt::print("consumer: y = {:.6f}, gradient {} {} {}: {}\n", y, dx, dw, db, ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
