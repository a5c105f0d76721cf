// graph_test.cpp - tracing, printing a tape, and its DOT export.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include <slope/slope.hpp>

namespace {
std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("tracing records one named statement per operation, with the same derivatives") {
  auto neuron = [] {
    slope::Var w = 0.5, x = 2.0, b = -1.0;
    slope::Var<> a = slope::sigmoid(w * x + b);
    auto [dw, dx, db] = slope::derivatives(a, slope::wrt(w, x, b));
    return std::array<double, 4>{a.value(), dw, dx, db};
  };
  slope::Tape plain;
  const auto folded = neuron();
  // Three inputs and w*x, which + b grows (its result owns the statement);
  // the sigmoid folds into a's partial.
  CHECK(plain.size() == 4);
  CHECK(plain.operands() == 3);
  CHECK(plain.name(1) == "input");  // untraced statements are named by their kind
  CHECK(plain.name(4) == "op");
  CHECK(plain.name(5).empty());     // no such statement
  plain.deactivate();
  slope::Tape traced;
  traced.trace();
  CHECK(traced.tracing());
  const auto full = neuron();
  // The same derivatives, up to rounding (products formed in another order).
  for (int i = 0; i < 4; ++i) CHECK(full[i] == doctest::Approx(folded[i]).epsilon(1e-15));
  // inputs w, x, b, then mul, add, sigmoid
  REQUIRE(traced.size() == 6);
  CHECK(traced.name(1) == "input");
  CHECK(traced.name(4) == "mul");
  CHECK(traced.name(5) == "add");
  CHECK(traced.name(6) == "sigmoid");
  CHECK(traced.value(4) == 1.0);
  CHECK(traced.value(6) == doctest::Approx(1 / (1 + std::exp(0.0))));
  CHECK(traced.has_adjoint(6));
  CHECK(traced.adjoint(6) == 1.0);
  CHECK(traced.adjoint(5) == doctest::Approx(0.25));  // sigmoid'(0)
  // Reset forgets names too; tracing stays on.
  traced.reset();
  CHECK(traced.name(1).empty());
  CHECK_FALSE(traced.has_value(1));
  CHECK(traced.tracing());
  traced.trace(false);
  CHECK_FALSE(traced.tracing());
}

TEST_CASE("tracing records operations with constants, on one statement, and n-ary ones") {
  slope::Tape tape;
  tape.trace();
  slope::Var x = 3.0, y = 2.0;
  auto a = 2.0 * x;        // constant operand: one operand
  auto b = x * x;          // same statement twice: two operands
  auto c = slope::sum({a, b, y});
  auto d = -slope::tanh(c - 1.0);
  REQUIRE(tape.size() == 8);
  CHECK(tape.name(3) == "mul");
  CHECK(tape.statement_ends()[3] - tape.statement_ends()[2] == 1);
  CHECK(tape.name(4) == "mul");
  CHECK(tape.statement_ends()[4] - tape.statement_ends()[3] == 2);
  CHECK(tape.name(5) == "sum");
  CHECK(tape.name(6) == "sub");
  CHECK(tape.name(7) == "tanh");
  CHECK(tape.name(8) == "neg");
  auto [dx, dy] = slope::derivatives(d, slope::wrt(x, y));
  const double t = std::tanh(6.0 + 9.0 + 2.0 - 1.0);
  CHECK(dx == doctest::Approx(-(1 - t * t) * (2 + 2 * 3.0)));
  CHECK(dy == doctest::Approx(-(1 - t * t)));
}

TEST_CASE("a tape prints as a table of statements") {
  slope::Tape tape;
  tape.trace();
  slope::Var z = 0.5;
  auto a = slope::tanh(z);
  const std::string before = fmt::format("{}", tape);
  CHECK(before.find("slope::Tape: 2 statements, 1 operand (tracing)") == 0);
  CHECK(before.find("input") != std::string::npos);
  CHECK(before.find("tanh") != std::string::npos);
  CHECK(before.find(fmt::format("{:.6g}", std::tanh(0.5))) != std::string::npos);
  CHECK(before.find(fmt::format("1: {:.6g}", 1 - std::tanh(0.5) * std::tanh(0.5))) !=
        std::string::npos);
  CHECK(count(before, "\n") == 4);  // title, header, two statements
  slope::gradient(a, std::vector{z});
  const std::string after = fmt::format("{}", tape);
  CHECK(after.size() > before.size());  // the adjoints appeared
  // z's adjoint, tanh'(0.5), is now printed beside the partial of the same value
  const std::string dz = fmt::format("{:.6g}", 1 - std::tanh(0.5) * std::tanh(0.5));
  CHECK(count(before, dz) == 1);
  CHECK(count(after, dz) == 2);
  slope::Tape empty;
  CHECK(fmt::format("{}", empty) == "slope::Tape: 0 statements, 0 operands\n");
}

TEST_CASE("to_dot draws one node per statement and one labelled edge per operand") {
  slope::Tape tape;
  tape.trace();
  slope::Var w = 0.5, x = 2.0, b = -1.0;
  auto a = slope::sigmoid(w * x + b);
  slope::gradient(a, std::vector{w, x, b});
  const std::string dot = slope::to_dot(tape, {{"w", w}, {"x", x}, {"b", b}, {"a \"out\"", a}});
  CHECK(dot.find("digraph slope {") == 0);
  CHECK(dot.back() == '\n');
  CHECK(count(dot, " [label=\"#") == 6);
  CHECK(count(dot, " -> ") == 5);          // mul: 2, add: 2, sigmoid: 1
  CHECK(dot.find("s5 -> s6 [label=\"0.25\"]") != std::string::npos);
  CHECK(dot.find("#6 sigmoid (a \\\"out\\\")\\nvalue 0.5\\nadjoint 1") != std::string::npos);
  CHECK(dot.find("#1 input (w)") != std::string::npos);
}

TEST_CASE("to_dot without tracing draws the folded tape, and names folded results") {
  slope::Tape tape;
  slope::Var w = 0.5, x = 2.0;
  auto a = slope::sigmoid(w * x);  // w*x records; sigmoid folds into a's partial
  const std::string dot = slope::to_dot(tape, {{"a", a}});
  CHECK(count(dot, " [label=\"#") == 3);
  CHECK(dot.find("#3 op") != std::string::npos);
  CHECK(dot.find("a = ") != std::string::npos);
  CHECK(dot.find("s3 -> c0") != std::string::npos);
  // x + 1 folds onto x's statement with partial 1, but it is not x: without
  // tracing, every name gets a node of its own.
  const std::string two = slope::to_dot(tape, {{"x", x}, {"y", x + 1.0}});
  CHECK(two.find("(x, y)") == std::string::npos);
  CHECK(two.find("x = 2") != std::string::npos);
  CHECK(two.find("y = 3") != std::string::npos);
  slope::DotOptions bad;
  bad.rankdir = "LR; evil";
  CHECK_THROWS_AS(slope::to_dot(tape, {}, bad), slope::argument_error);
}

TEST_CASE("a tape prints values in its own type's range") {
  slope::Tape<long double> tape;
  tape.trace();
  slope::Var<long double> x = 1e400L;
  auto y = x * 2.0L;
  (void)y;
  const std::string s = fmt::format("{}", tape);
  CHECK(s.find("1e+400") != std::string::npos);
  CHECK(s.find("2e+400") != std::string::npos);
  CHECK(s.find("inf") == std::string::npos);
}

TEST_CASE("to_dot summarizes what exceeds max_nodes, and rejects foreign Vars") {
  slope::Tape tape;
  tape.trace();
  slope::Var x = 0.1;
  slope::Var<> y = x;
  for (int i = 0; i < 1000; ++i) y = slope::sin(y) + x;
  slope::DotOptions options;
  options.max_nodes = 50;
  const std::string dot = slope::to_dot(tape, {}, options);
  CHECK(count(dot, " [label=\"#") == 50);
  CHECK(dot.find("statements 1 to 1951 not drawn") != std::string::npos);
  CHECK(dot.find("earlier -> s") != std::string::npos);
  slope::Tape other;
  slope::Var z = 1.0;
  CHECK_THROWS_AS(slope::to_dot(tape, {{"z", z}}), slope::tape_error);
}
