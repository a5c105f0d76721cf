// tape_memory.cpp - peak memory of a long recording against the bytes the
// recording needs: a chain of 10 million steps, y = sin(y * w) * v, which
// records two statements of two operands a step (20 million statements),
// then one sweep for the gradient in (x, w, v).
//
// The recording needs, per statement, its end offset (4 bytes) and its
// adjoint (sizeof(T)), and per operand an index (4) and a partial
// (sizeof(T)): for double, 36 bytes a statement here, 0.72 GB in all. The
// peak is the process's high-water mark of resident memory (VmHWM, Linux)
// less its resident memory before the tape was made.
//
//   tape_memory [steps]      (default 10,000,000)
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <slope/slope.hpp>

#include "resident.hpp"

int main(int argc, char** argv) {
  const long steps = argc > 1 ? std::atol(argv[1]) : 10'000'000;
  if (steps < 1) {
    std::fprintf(stderr, "usage: tape_memory [steps >= 1]\n");
    return 2;
  }
  const double before = pb::status_bytes("VmRSS");
  double dx = 0, dw = 0, dv = 0, value = 0;
  std::size_t statements = 0, operands = 0, capacity = 0;
  {
    slope::Tape<> tape;
    slope::Var<> x = 0.5, w = 1.25, v = 0.875;
    slope::Var<> y = x;
    for (long k = 0; k < steps; ++k) y = slope::sin(y * w) * v;
    statements = tape.size();
    operands = tape.operands();
    const auto [gx, gw, gv] = slope::derivatives(y, slope::wrt(x, w, v));
    dx = gx, dw = gw, dv = gv, value = y.value();
    capacity = tape.memory();
  }
  const double peak = pb::status_bytes("VmHWM") - before;
  const double needed = static_cast<double>(statements) * (4 + sizeof(double)) +
                        static_cast<double>(operands) * (4 + sizeof(double));
  fmt::print("tape memory: a chain of {} steps, {} statements, {} operands\n", steps, statements,
             operands);
  fmt::print("  recording needs {:.3f} GB; peak resident memory {:.3f} GB = {:.2f} x the "
             "recording (tape capacity {:.3f} GB)\n",
             needed / 1e9, peak / 1e9, peak / needed, static_cast<double>(capacity) / 1e9);
  fmt::print("  y = {:.6g}, gradient ({:.6g}, {:.6g}, {:.6g})\n", value, dx, dw, dv);
  return std::isfinite(dx + dw + dv) ? 0 : 1;
}
