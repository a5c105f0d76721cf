// graph.cpp - looking at a recording: print a tape, and draw it with Graphviz.
//
// A tracing tape (tape.trace()) records every operation as a statement of its
// own, with its primitive's name and value. After a sweep each statement also
// has its adjoint, so the drawing shows the whole reverse-mode computation:
// values flow along the edges, adjoints flow back, and every edge carries the
// local partial derivative the sweep multiplies by.
//
// Writes neuron.dot and activations.dot (and .svg pictures when Graphviz's
// `dot` is installed) into the directory given by --output (default: here).
// Without tracing, the same neuron records only what the reverse sweep needs;
// the last part prints that tape for comparison.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <slope/slope.hpp>

#include "render.hpp"

namespace {

void write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

void draw(const std::filesystem::path& dot_file) {
  std::filesystem::path svg = dot_file;
  svg.replace_extension(".svg");
  render::run("dot",
              "dot -Tsvg " + render::shell_quote(dot_file.string()) + " -o " +
                  render::shell_quote(svg.string()),
              svg, "graphviz");
}

}  // namespace

int main(int argc, char** argv) try {
  std::filesystem::path dir;
  if (!render::parse_output(argc, argv, "graph", dir)) return 2;
  std::filesystem::create_directories(dir);

  // 1. One sigmoid neuron, a = sigmoid(w1 x1 + w2 x2 + b), on a tracing tape.
  {
    slope::Tape tape;
    tape.trace();
    slope::Var w1 = 0.8, w2 = -0.4, b = 0.1;  // parameters
    slope::Var x1 = 1.5, x2 = 2.0;            // one example
    const auto z = w1 * x1 + w2 * x2 + b;
    const auto a = slope::sigmoid(z);
    const auto [dw1, dw2, db] = slope::derivatives(a, slope::wrt(w1, w2, b));
    fmt::print("A sigmoid neuron: a = sigmoid(w1 x1 + w2 x2 + b) = {:.6f}\n", a);
    fmt::print("  da/dw1 = {:.6f}, da/dw2 = {:.6f}, da/db = {:.6f}  (a(1-a) = {:.6f})\n\n", dw1,
               dw2, db, a.value() * (1 - a.value()));
    fmt::print("{}\n", tape);
    slope::DotOptions options;
    options.title = "a = sigmoid(w1 x1 + w2 x2 + b), after the reverse sweep";
    write(dir / "neuron.dot", slope::to_dot(tape,
                                            {{"w1", w1}, {"w2", w2}, {"b", b}, {"x1", x1},
                                             {"x2", x2}, {"z", z}, {"a", a}},
                                            options));
    draw(dir / "neuron.dot");
  }

  // 2. The seed's four activations at one z < 0, summed so one sweep reaches
  // them all: the edges into the sum carry 1, the edges out of z carry g'(z),
  // including the kink conventions' sides (relu' = 0, leaky_relu' = 0.01).
  {
    slope::Tape tape;
    tape.trace();
    slope::Var z = -0.5;
    const auto s = slope::sigmoid(z);
    const auto t = slope::tanh(z);
    const auto r = slope::relu(z);
    const auto l = slope::leaky_relu(z);
    const auto y = slope::sum({s, t, r, l});
    slope::gradient(y, std::vector{z});
    fmt::print("\nThe four activations at z = -0.5 (edges out of z carry g'(z)):\n{}\n", tape);
    slope::DotOptions options;
    options.title = "sigmoid, tanh, relu and leaky_relu at z = -0.5";
    write(dir / "activations.dot",
          slope::to_dot(tape, {{"z", z}, {"y", y}}, options));
    draw(dir / "activations.dot");
  }

  // 3. The same neuron without tracing: the tape holds only the inputs and the
  // operations that combine two different statements. The sigmoid is folded
  // into the Var a: value and partial, no statement.
  {
    slope::Tape tape;
    slope::Var w1 = 0.8, w2 = -0.4, b = 0.1;
    slope::Var x1 = 1.5, x2 = 2.0;
    const auto a = slope::sigmoid(w1 * x1 + w2 * x2 + b);
    slope::gradient(a, std::vector{w1, w2, b});
    fmt::print("\nThe same neuron as the fast path records it (a's partial {:.6f} is the\n"
               "sigmoid's derivative, folded into the Var):\n{}",
               a.partial(), tape);
  }
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "graph: {}\n", e.what());
  return 1;
}
