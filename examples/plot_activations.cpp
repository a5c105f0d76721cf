// plot_activations.cpp - every activation g(z) and its derivative g'(z), from
// the tape, on [-6, 6], drawn with gnuplot like the slide's sketches.
//
// For each z the activation is recorded on a tape (reset between points, so
// nothing is allocated after the first) and one reverse sweep gives g'(z).
// The program also compares the tape's g' with the slide's closed forms
// (sigmoid' = a(1-a), tanh' = 1-a², relu' and leaky_relu' = 1 for z >= 0,
// 0 or 0.01 below) and writes activations.dat and activations.gp into the
// directory given by --output (default: here); with gnuplot installed it
// renders activations.png, one panel per activation, with the kink
// conventions marked: a filled dot for the value slope uses at z = 0, an open
// one for the other side's limit.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <slope/slope.hpp>

#include "render.hpp"

namespace {

struct Activation {
  std::string name;
  std::string title;                            // for the panel
  std::function<slope::Var<>(slope::Var<>)> g;  // on the tape
  std::function<double(double, double)> rule;   // the slide's g'(z) from z and a = g(z)
};

std::vector<Activation> activations() {
  return {
      {"sigmoid", "sigmoid: g' = a(1 - a)", [](slope::Var<> z) { return slope::sigmoid(z); },
       [](double, double a) { return a * (1 - a); }},
      {"tanh", "tanh: g' = 1 - a^2", [](slope::Var<> z) { return slope::tanh(z); },
       [](double, double a) { return 1 - a * a; }},
      {"relu", "relu: g' = 1 for z >= 0, 0 below", [](slope::Var<> z) { return slope::relu(z); },
       [](double z, double) { return z >= 0 ? 1.0 : 0.0; }},
      {"leaky_relu", "leaky relu: g' = 1 for z >= 0, 0.01 below",
       [](slope::Var<> z) { return slope::leaky_relu(z); },
       [](double z, double) { return z >= 0 ? 1.0 : 0.01; }},
      {"softplus", "softplus: g' = sigmoid(z)", [](slope::Var<> z) { return slope::softplus(z); },
       [](double z, double) { return 1 / (1 + std::exp(-z)); }},
  };
}

}  // namespace

int main(int argc, char** argv) try {
  std::filesystem::path dir;
  if (!render::parse_output(argc, argv, "plot_activations", dir)) return 2;
  std::filesystem::create_directories(dir);

  const auto acts = activations();
  constexpr int steps = 1200;  // z = -6 + 12 k / steps: 0.01 apart, z = 0 exactly included
  std::ofstream data(dir / "activations.dat");
  data << "# z, then g(z) and g'(z) (from the tape) for:";
  for (const Activation& a : acts) data << ' ' << a.name;
  data << '\n';

  slope::Tape tape;
  std::vector<double> worst(acts.size(), 0.0);
  for (int k = 0; k <= steps; ++k) {
    const double z0 = -6.0 + 12.0 * k / steps;
    // Between z < 0 and z >= 0 a blank line: gnuplot then does not join the
    // two sides of a kink with a vertical line.
    if (k == steps / 2) data << '\n';
    std::string row = fmt::format("{:.2f}", z0);
    for (std::size_t i = 0; i < acts.size(); ++i) {
      tape.reset();
      slope::Var z = z0;
      const slope::Var<> a = acts[i].g(z);
      const auto [dz] = slope::derivatives(a, slope::wrt(z));
      const double rule = acts[i].rule(z0, a.value());
      worst[i] = std::max(worst[i], std::abs(dz - rule));
      row += fmt::format(" {:.17g} {:.17g}", a.value(), dz);
    }
    data << row << '\n';
  }
  data.close();
  if (!data) throw std::runtime_error("cannot write " + (dir / "activations.dat").string());

  fmt::print("g(z) and g'(z) on [-6, 6], {} points each; the tape's g' against the slide's "
             "closed form:\n",
             steps + 1);
  bool agree = true;
  for (std::size_t i = 0; i < acts.size(); ++i) {
    // The closed forms are the textbook's: within a few rounding errors of
    // the tape's accurate rules at these moderate z.
    const bool ok = worst[i] <= 1e-15;
    agree = agree && ok;
    fmt::print("  {:<11} max |tape - rule| = {:.2e}  {}\n", acts[i].name, worst[i],
               ok ? "agree" : "DISAGREE");
  }

  // One panel per activation: g solid, g' dashed, kink conventions as dots.
  std::ofstream gp(dir / "activations.gp");
  gp << "set terminal pngcairo size 1500,860 font 'Helvetica,12'\n"
        "set output 'activations.png'\n"
        "set multiplot layout 2,3 title \"slope's activations: g(z) (solid) and g'(z) from the "
        "tape (dashed)\"\n"
        "set grid\nset xrange [-6:6]\nset xlabel 'z'\nset key top left\n"
        "set xzeroaxis lt -1\nset yzeroaxis lt -1\n";
  for (std::size_t i = 0; i < acts.size(); ++i) {
    const std::size_t g = 2 + 2 * i, d = g + 1;
    const bool kink = acts[i].name == "relu" || acts[i].name == "leaky_relu";
    gp << fmt::format("set title \"{}\"\n", acts[i].title);
    gp << (acts[i].name == "sigmoid" || acts[i].name == "tanh" ? "set yrange [-1.2:1.2]\n"
                                                              : "set yrange [-1:6.5]\n");
    if (acts[i].name == "softplus") gp << "set yrange [-0.5:6.5]\n";
    gp << fmt::format(
        "plot 'activations.dat' using 1:{} with lines lw 2 lc rgb '#1f5fa8' title 'g(z)', "
        "'' using 1:{} with lines lw 2 dt 2 lc rgb '#d0542c' title \"g'(z)\"",
        g, d);
    if (kink) {
      const double left = acts[i].name == "relu" ? 0.0 : 0.01;
      gp << fmt::format(
          ", '+' using (0):(1) every ::0::0 with points pt 7 ps 1.5 lc rgb '#d0542c' "
          "title \"g'(0) = 1\", '+' using (0):({}) every ::0::0 with points pt 6 ps 1.5 "
          "lc rgb '#d0542c' notitle",
          left);
    }
    gp << '\n';
  }
  // The sixth panel: the derivatives side by side.
  gp << "set title \"all derivatives g'(z)\"\nset yrange [-0.1:1.2]\nset key top left\nplot ";
  for (std::size_t i = 0; i < acts.size(); ++i)
    gp << fmt::format("{}'activations.dat' using 1:{} with lines lw 2 title '{}' noenhanced",
                      i == 0 ? "" : ", ", 3 + 2 * i, acts[i].name);
  gp << "\nunset multiplot\n";
  gp.close();
  if (!gp) throw std::runtime_error("cannot write " + (dir / "activations.gp").string());

  fmt::print("Wrote activations.dat and activations.gp in {}\n", dir.string());
  render::run("gnuplot",
              "cd " + render::shell_quote(dir.string()) + " && gnuplot activations.gp",
              dir / "activations.png", "gnuplot");
  return agree ? 0 : 1;
} catch (const std::exception& e) {
  fmt::print(stderr, "plot_activations: {}\n", e.what());
  return 1;
}
