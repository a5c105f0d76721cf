// tape_test.cpp - the tape: recording, the reverse sweep, reset and reuse,
// the thread's tapes, and misuse.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <tuple>
#include <limits>
#include <utility>
#include <vector>
#include <string>
#include <thread>

#include <slope/slope.hpp>

#include "error_of.hpp"

using slope::Tape;
using slope::Var;

TEST_CASE("inputs and operations on two statements are statements; the rest folds") {
  Tape tape;
  CHECK(tape.size() == 0);
  Var x = 2.0;
  CHECK(tape.size() == 1);
  CHECK(tape.operands() == 0);
  Var y = x * 3.0;  // a function of x's statement alone: nothing recorded
  CHECK(tape.size() == 1);
  CHECK(y.index() == x.index());
  CHECK(y.partial() == 3.0);
  Var w = 1.5;
  Var z = x * w;  // two statements: one statement with two operands
  CHECK(tape.size() == 3);
  CHECK(tape.operands() == 2);
  Var u = slope::log(1.0 - slope::sigmoid(z * 2.0)) + slope::tanh(z) * z;  // all on z's statement
  CHECK(tape.size() == 3);
  CHECK(u.index() == z.index());
  Var c = Var<>::constant(4.0);
  Var d = slope::sigmoid(c * 2.0 + 1.0);  // depends on no input
  CHECK(d.is_constant());
  CHECK(tape.size() == 3);
  CHECK(d.value() == doctest::Approx(1.0 / (1.0 + std::exp(-9.0))));
  auto [dx, dw] = slope::derivatives(z * y, slope::wrt(x, w));
  CHECK(dx == doctest::Approx(2.0 * 3.0 * 2.0 * 1.5));  // d(3 w x^2)/dx at (2, 1.5)
  CHECK(dw == doctest::Approx(3.0 * 4.0));
  const double s = 1.0 / (1.0 + std::exp(-6.0));
  const double t = std::tanh(3.0);
  auto [ux] = slope::derivatives(u, slope::wrt(x));
  CHECK(ux == doctest::Approx((-2.0 * s + (1.0 - t * t) * 3.0 + t) * 1.5));
}

TEST_CASE("the recording stores the partials computed while recording") {
  Tape tape;
  Var x = 0.5, w = -2.0;
  Var z = slope::tanh(x) * w;
  const auto ends = tape.statement_ends();
  REQUIRE(ends.size() == 4);  // sentinel, x, w, the product
  CHECK(ends[3] - ends[2] == 2);
  REQUIRE(tape.operand_indices().size() == 2);
  CHECK(tape.operand_indices()[0] == x.index());
  CHECK(tape.operand_indices()[1] == w.index());
  const double t = std::tanh(0.5);
  CHECK(tape.partials()[0] == doctest::Approx(-2.0 * (1.0 - t * t)));  // tanh' folded in
  CHECK(tape.partials()[1] == doctest::Approx(t));
  CHECK(z.index() == 3);
  CHECK(tape.is_input(x.index()));
  CHECK(!tape.is_input(z.index()));
}

TEST_CASE("a sweep is idempotent and starts from the output") {
  Tape tape;
  Var x = 1.5, w = -0.5;
  Var y = slope::sigmoid(w * x) * x;
  Var later = y * y;  // recorded after y: not part of dy
  auto first = slope::derivatives(y, slope::wrt(x, w));
  auto second = slope::derivatives(y, slope::wrt(x, w));
  CHECK(first == second);
  auto [dl] = slope::derivatives(later, slope::wrt(x));
  CHECK(dl == doctest::Approx(2.0 * y.value() * first[0]));
  auto third = slope::derivatives(y, slope::wrt(x, w));
  CHECK(third == first);
}

TEST_CASE("the gradient with respect to an input y does not depend on is 0") {
  Tape tape;
  Var x = 1.0, unused = 3.0;
  Var y = slope::exp(x) * unused * 0.0 + slope::exp(x);
  Var later = 2.0;  // an input recorded after y
  auto [dx, du, dl] = slope::derivatives(y, slope::wrt(x, unused, later));
  CHECK(dx == doctest::Approx(std::exp(1.0)));
  CHECK(du == 0.0);
  CHECK(dl == 0.0);
}

TEST_CASE("derivatives with respect to a constant throw: y = c x depends on c") {
  Tape tape;
  Var x = 2.0;
  const Var c = Var<>::constant(3.0);
  Var y = c * x;
  CHECK_THROWS_WITH_AS((void)slope::derivatives(y, slope::wrt(c)),
                       doctest::Contains("with respect to a constant"), slope::tape_error);
  CHECK_THROWS_AS((void)slope::derivatives(y, slope::wrt(x, Var<>())), slope::tape_error);
  std::vector<Var<>> xs{x, c};
  CHECK_THROWS_AS((void)slope::gradient(y, xs), slope::tape_error);
  // Also when y is a constant, and no sweep is needed.
  CHECK_THROWS_AS((void)slope::derivatives(c * 2.0, slope::wrt(c)), slope::tape_error);
  CHECK(slope::derivatives(c * 2.0, slope::wrt(x))[0] == 0.0);
}

TEST_CASE("derivatives with respect to an intermediate result throw") {
  Tape tape;
  Var x = 1.0, w = 2.0;
  Var folded = slope::sin(x);
  Var recorded = x * w;
  Var y = folded * recorded;
  CHECK_THROWS_WITH_AS((void)slope::derivatives(y, slope::wrt(folded)),
                       doctest::Contains("not an input"), slope::tape_error);
  CHECK_THROWS_AS((void)slope::derivatives(y, slope::wrt(recorded)), slope::tape_error);
  CHECK_NOTHROW((void)slope::derivatives(y, slope::wrt(x, w)));
}

TEST_CASE("an intermediate result with partial 1 on an input's statement is not an input") {
  // z = x + 5.0 and relu(x) for x > 0 are x's statement with partial 1:
  // only the input flag tells them from x (d(x z)/dz is x = 3; it was once
  // dy/dx = 11).
  for (bool tracing : {false, true}) {
    Tape tape;
    tape.trace(tracing);
    Var x = 3.0;
    Var z = x + 5.0;
    Var r = slope::relu(x);
    Var copy = x;
    CHECK(copy.is_input());
    CHECK(!z.is_input());
    CHECK_THROWS_WITH_AS((void)slope::derivatives(x * z, slope::wrt(z)),
                         doctest::Contains("not an input"), slope::tape_error);
    CHECK_THROWS_AS((void)slope::derivatives(x * r, slope::wrt(r)), slope::tape_error);
    std::vector<Var<>> xs{x, z};
    CHECK_THROWS_AS((void)slope::gradient(x * z, xs), slope::tape_error);
    CHECK(slope::derivatives(x * z, slope::wrt(copy))[0] == 11.0);
    // A constant output: still not an input.
    CHECK_THROWS_AS((void)slope::derivatives(Var<>::constant(1.0), slope::wrt(z)),
                    slope::tape_error);
  }
  Tape tape;
  Var x = 3.0;
  const std::string what = [&] {
    try {
      (void)slope::derivatives(x * (x + 5.0), slope::wrt(x + 5.0));
    } catch (const slope::tape_error& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  CHECK(what.find("intermediate result computed from the input at statement 1") !=
        std::string::npos);
}

TEST_CASE("folding never loses a partial that a statement would keep") {
  // log1p(x w) / x * x at x = 1e200, w = 0.5: log1p's partial 1/(1 + x w)
  // = 2e-200 times 1/x = 1e-200 underflows when multiplied forward; the
  // sweep multiplies the adjoint x = 1e200 in first. dy/dw = 1/(1 + x w) * x = 2.
  for (bool tracing : {false, true}) {
    Tape tape;
    tape.trace(tracing);
    Var x = 1e200, w = 0.5;
    Var y = slope::log1p(x * w) / x * x;
    auto [dx, dw] = slope::derivatives(y, slope::wrt(x, w));
    CHECK(dw == doctest::Approx(2.0));
    CHECK(std::isfinite(dx));
  }
  // The same through a folded unary chain: exp(-x) at x = 700 has partial
  // about 1e-304; times 1e-10 it would underflow to a subnormal.
  for (bool tracing : {false, true}) {
    Tape tape;
    tape.trace(tracing);
    Var x = 700.0;
    Var y = slope::exp(-x) * 1e-10 * 1e20;
    CHECK(slope::derivatives(y, slope::wrt(x))[0] ==
          doctest::Approx(-std::exp(-700.0) * 1e10).epsilon(1e-14));
  }
  // Overflow forward: (x * 1e200) * 1e200 / 1e300 at x = 1 has derivative 1e100.
  {
    Tape tape;
    Var x = 1.0;
    Var y = x * 1e200 * 1e200 * 1e-300;
    CHECK(slope::derivatives(y, slope::wrt(x))[0] == doctest::Approx(1e100));
  }
  // In n-ary statements: a dot product whose term underflows when folded.
  {
    Tape tape;
    Var x = 1e-300, v = 2.0;
    Var s = x * 1e-20;  // partial 1e-20 on x's statement
    std::vector<Var<>> a{v, s, v};
    std::vector<double> b{1.0, 1e-10, 3.0};
    Var y = slope::dot(a, b) * 1e30;
    auto [dx, dv] = slope::derivatives(y, slope::wrt(x, v));
    CHECK(dx == doctest::Approx(1.0));
    CHECK(dv == doctest::Approx(4e30));
  }
  // Terms that cannot be folded, repeated, and filling every slot of the
  // statement: each gets a statement of its own (a fuzzer found sum({c, v,
  // v, v}) counted twice once).
  for (bool tracing : {false, true}) {
    Tape tape;
    tape.trace(tracing);
    Var x = 0.0, w = 1.5;
    Var v = x * -5e-324;  // partial -5e-324: a subnormal, so a statement of its own
    Var s = slope::sum({Var<>::constant(2.0), v, v, v});
    CHECK(slope::derivatives(s, slope::wrt(x))[0] == 3 * -5e-324);
    Var t = slope::sum(w, v * 3.0, v * 5.0);
    auto [tx, tw] = slope::derivatives(t, slope::wrt(x, w));
    CHECK(tx == 8.0 * -5e-324);
    CHECK(tw == 1.0);
    std::vector<Var<>> a{v, w, v};
    std::vector<double> b{2.0, 3.0, 4.0};
    auto [dx, dw] = slope::derivatives(slope::dot(a, b), slope::wrt(x, w));
    CHECK(dx == 6.0 * -5e-324);
    CHECK(dw == 3.0);
  }
  // Two partials on one statement whose sum overflows: kept apart.
  {
    Tape tape;
    Var x = 1.0;
    Var a = x * 1e308, b = x * 1e308;
    Var y = (a + b) * 1e-300;
    CHECK(slope::derivatives(y, slope::wrt(x))[0] == doctest::Approx(2e8));
    Var z = slope::sum(a, b) * 1e-300;
    CHECK(slope::derivatives(z, slope::wrt(x))[0] == doctest::Approx(2e8));
  }
}

TEST_CASE("reserve beyond the index space throws and leaves the tape as it was") {
  Tape tape;
  Var x = 1.0;
  Var y = x * x;
  const std::size_t memory = tape.memory();
  const std::size_t max = std::numeric_limits<std::size_t>::max();
  for (auto [statements, operands] :
       {std::pair{max, std::size_t(0)}, std::pair{std::size_t(0), max}, std::pair{max, max},
        std::pair{std::size_t(0xFFFFFFF0u), std::size_t(0)}}) {
    CAPTURE(statements);
    CAPTURE(operands);
    CHECK_THROWS_WITH_AS(tape.reserve(statements, operands),
                         doctest::Contains("more than the tape's 32-bit indices can address"),
                         slope::tape_error);
    CHECK(tape.memory() == memory);
    CHECK(tape.size() == 1);
  }
  CHECK(slope::derivatives(y, slope::wrt(x))[0] == 2.0);
}

TEST_CASE("a path with a zero local derivative carries nothing, even past an infinite one") {
  Tape tape;
  Var w = 0.0;
  Var side = slope::sqrt(w);  // partial +inf
  auto [d0] = slope::derivatives(0.0 * side + w * 2.0, slope::wrt(w));
  CHECK(d0 == 2.0);
  Var v = 1.0;
  Var recorded = side * v;  // a statement with the infinite partial, not used by y
  (void)recorded;
  auto [dw] = slope::derivatives(w * v * 2.0, slope::wrt(w));
  CHECK(dw == 2.0);
}

TEST_CASE("a chain of 10 million operations sweeps without stack overflow") {
  Tape tape;
  Var x = 0.5, w = 1.0000001;
  Var y = x;
  constexpr int n = 10'000'000;
  for (int i = 0; i < n; ++i) y = y * w;  // two statements each time: recorded
  CHECK(tape.size() == n + 2);
  auto [dx, dw] = slope::derivatives(y, slope::wrt(x, w));
  CHECK(dx == doctest::Approx(std::pow(1.0000001, n)).epsilon(1e-9));
  CHECK(dw == doctest::Approx(n * 0.5 * std::pow(1.0000001, n - 1)).epsilon(1e-9));
}

TEST_CASE("a chain of unary operations records nothing while its partial is normal") {
  // The derivative shrinks by about 0.11 a step: after 200 steps it is
  // about 1e-188, a normal number, and nothing is recorded.
  Tape tape;
  Var x = 0.5;
  Var y = x;
  for (int i = 0; i < 200; ++i) y = slope::sin(y) * 1.5;
  CHECK(tape.size() == 1);
  double value = 0.5, derivative = 1.0;
  for (int i = 0; i < 200; ++i) {
    derivative *= std::cos(value) * 1.5;
    value = std::sin(value) * 1.5;
  }
  CHECK(y.value() == value);
  CHECK(slope::derivatives(y, slope::wrt(x))[0] == doctest::Approx(derivative).epsilon(1e-12));
  // Where the product would underflow (every 320 steps or so), a statement
  // is recorded instead and the partial starts again from the local one: the
  // recording stays small, and the derivative is the sweep's (0 here: the
  // true one is far below any double).
  for (int i = 0; i < 1'000'000; ++i) y = slope::sin(y) * 1.5;
  CHECK(tape.size() > 1);
  CHECK(tape.size() < 10'000);
  CHECK(slope::derivatives(y, slope::wrt(x))[0] == 0.0);
}

TEST_CASE("reset keeps the capacity: re-recording allocates nothing") {
  Tape tape;
  auto record = [&] {
    Var x = 0.3, w = 1.7;
    Var y = x;
    for (int i = 0; i < 1000; ++i) y = slope::tanh(w * slope::sigmoid(y) - 0.5);
    auto [dx, dw] = slope::derivatives(y, slope::wrt(x, w));
    return dx + dw;
  };
  const double first = record();
  const std::size_t memory = tape.memory();
  const std::size_t size = tape.size();
  for (int iteration = 0; iteration < 5; ++iteration) {
    tape.reset();
    CHECK(tape.size() == 0);
    CHECK(record() == first);
    CHECK(tape.size() == size);
    CHECK(tape.memory() == memory);
  }
}

TEST_CASE("tapes nest per thread and may be destroyed in any order") {
  CHECK(Tape<>::active() == nullptr);
  {
    Tape outer;
    CHECK(Tape<>::active() == &outer);
    {
      Tape inner;
      CHECK(Tape<>::active() == &inner);
      outer.activate();
      CHECK(Tape<>::active() == &outer);
      inner.activate();
    }
    CHECK(Tape<>::active() == &outer);
    auto* heap_a = new Tape;
    auto* heap_b = new Tape;
    delete heap_a;  // not the innermost
    CHECK(Tape<>::active() == heap_b);
    delete heap_b;
    CHECK(Tape<>::active() == &outer);
    Tape<float> other_type;  // another scalar type has its own tapes
    CHECK(Tape<>::active() == &outer);
    CHECK(Tape<float>::active() == &other_type);
  }
  CHECK(Tape<>::active() == nullptr);
}

TEST_CASE("each thread records on its own tape") {
  double result_a = 0, result_b = 0;
  auto work = [](double x0, double& out) {
    Tape tape;
    Var x = x0;
    Var y = x;
    for (int i = 0; i < 100000; ++i) y = slope::sin(y) + x * 1e-6;
    out = slope::derivatives(y, slope::wrt(x))[0];
  };
  std::thread a(work, 0.3, std::ref(result_a));
  std::thread b(work, 0.3, std::ref(result_b));
  a.join();
  b.join();
  double serial = 0;
  work(0.3, serial);
  CHECK(result_a == serial);
  CHECK(result_b == serial);
  CHECK(Tape<>::active() == nullptr);
}

// ------------------------------------------------------------- misuse ----

using slope_test::error_of;

TEST_CASE("recording with no tape on the thread throws") {
  REQUIRE(Tape<>::active() == nullptr);
  const std::string msg = error_of([] { (void)Var(1.0); });
  CHECK(msg.find("no slope::Tape") != std::string::npos);
  Var leftover;
  {
    Tape tape;
    leftover = Var(2.0);
  }
  const std::string msg2 = error_of([&] { (void)slope::exp(leftover); });
  CHECK(msg2.find("exp needs a tape") != std::string::npos);
  CHECK(error_of([&] { (void)slope::derivatives(leftover * 1.0, slope::wrt(leftover)); })
            .find("no slope::Tape") != std::string::npos);
  // Constants need no tape.
  CHECK(slope::exp(Var<>::constant(0.0)).value() == 1.0);
}

TEST_CASE("mixing Vars of two tapes throws") {
  Tape first;
  Var a = 1.0;
  Tape second;  // now active
  Var b = 2.0;
  const std::string msg = error_of([&] { (void)(a + b); });
  CHECK(msg.find("does not belong to the active tape") != std::string::npos);
  CHECK(msg.find("add") != std::string::npos);
  CHECK_THROWS_AS((void)slope::derivatives(b * 2.0, slope::wrt(a)), slope::tape_error);
  CHECK_THROWS_AS((void)slope::derivatives(a * 1.0, slope::wrt(b)), slope::tape_error);
  first.activate();
  CHECK_NOTHROW((void)(a * a));
  CHECK_THROWS_AS((void)(b * b), slope::tape_error);
}

TEST_CASE("using a Var after its tape was reset throws") {
  Tape tape;
  Var x = 1.0;
  Var y = x * x;
  tape.reset();
  const std::string msg = error_of([&] { (void)slope::sin(x); });
  CHECK(msg.find("before reset()") != std::string::npos);
  CHECK_THROWS_AS((void)slope::derivatives(y, slope::wrt(x)), slope::tape_error);
  Var fresh = 1.0;  // same index as x had
  CHECK(fresh.index() == x.index());
  CHECK_THROWS_AS((void)(fresh + x), slope::tape_error);
  CHECK_THROWS_AS((void)slope::derivatives(fresh * 2.0, slope::wrt(x)), slope::tape_error);
  CHECK(y.value() == 1.0);  // values stay readable
}

TEST_CASE("an index the tape does not hold is caught where it is recorded or swept from") {
  Tape tape;
  Var x = 1.0;
  // The low-level constructor can pair this recording's tag with any index.
  const Var bad(2.0, 1.0, 1000, tape.epoch(), slope::detail::recorded_t{});
  const Var folded = slope::sin(bad) * 3.0;
  const std::string msg = error_of([&] { (void)(folded + x); });
  CHECK(msg.find("statement index 1000 is not on the active tape") != std::string::npos);
  CHECK_THROWS_AS((void)slope::sum({x, folded}), slope::tape_error);
  CHECK_THROWS_AS((void)slope::fma(x, folded, x), slope::tape_error);
  CHECK_THROWS_AS((void)slope::derivatives(folded, slope::wrt(x)), slope::tape_error);
}

TEST_CASE("exceptions are slope::error") {
  CHECK_THROWS_AS((void)Var(1.0), slope::error);
  Tape tape;
  Var x = 1.0;
  std::vector<double> out(2);
  CHECK_THROWS_AS(slope::gradient(x, std::span<const Var<>>(&x, 1), std::span<double>(out)),
                  slope::argument_error);
}

TEST_CASE("a zero partial carries nothing, even against an infinite derivative") {
  Tape tape;
  // In the Var layer: relu'(-0.3) = 0 times sqrt'(0) = inf.
  Var x = -0.3;
  Var y = slope::sqrt(-slope::relu(x));
  CHECK(y.value() == 0.0);
  CHECK(slope::derivatives(y, slope::wrt(x))[0] == 0.0);
  // In the sweep: sqrt(a * w) at a = 0 is 0 for every w, so d/dw = 0; the
  // statement a * w gets the adjoint +inf and partial a = 0 towards w.
  Var a = 0.0, w = 2.0;
  Var r = slope::sqrt(a * w);
  auto [da, dw] = slope::derivatives(r, slope::wrt(a, w));
  CHECK(std::isinf(da));
  CHECK(dw == 0.0);
  // x^0 is 1 everywhere, also at x = 0.
  Var zero = 0.0;
  CHECK(slope::derivatives(slope::pow(zero, 0.0), slope::wrt(zero))[0] == 0.0);
}

// ------------------------------------------------------- anomaly mode ----

namespace {
/// The anomaly_error f throws (its message, statement and operation), or a
/// message saying there was none.
template <class F>
std::tuple<std::string, std::size_t, std::string> anomaly_of(F&& f) {
  try {
    f();
  } catch (const slope::anomaly_error& e) {
    return {e.what(), e.statement(), e.operation()};
  }
  return {"(no anomaly)", 0, ""};
}
}  // namespace

TEST_CASE("anomaly mode names the operation that makes a NaN or an infinity from finite operands") {
  Tape tape;
  tape.detect_anomalies();
  CHECK(tape.detecting_anomalies());
  Var x = -2.0, zero = 0.0, big = 800.0;
  Var fine = x * x + 1.0;  // nothing anomalous: no throw
  {
    auto [what, statement, operation] = anomaly_of([&] { (void)slope::log(x); });
    CHECK(operation == "log");
    CHECK(statement == tape.size());  // the statement just recorded
    CHECK(what.find("log (statement") != std::string::npos);
    CHECK(what.find("finite operands (-2)") != std::string::npos);
    CHECK(what.find("gave the value") != std::string::npos);
    CHECK(what.find("nan") != std::string::npos);  // -nan or nan, as the libm gives it
  }
  {
    auto [what, statement, operation] = anomaly_of([&] { (void)(zero / zero); });
    CHECK(operation == "div");
    CHECK(what.find("finite operands (0, 0)") != std::string::npos);
  }
  {
    auto [what, statement, operation] = anomaly_of([&] { (void)slope::exp(big); });
    CHECK(operation == "exp");
    CHECK(what.find("finite operands (800)") != std::string::npos);
    CHECK(what.find("the value inf") != std::string::npos);
  }
  {  // a NaN partial with a finite value: d/dp pow(-2, p) = log(-2) 4
    Var p = 2.0;
    auto [what, statement, operation] = anomaly_of([&] { (void)slope::pow(x, p); });
    CHECK(operation == "pow");
    CHECK(what.find("NaN partial") != std::string::npos);
  }
  {  // n-ary statements too
    std::vector<Var<>> xs{big, big};
    std::vector<double> w{1e306, 1e306};
    auto [what, statement, operation] = anomaly_of([&] { (void)slope::dot(xs, w); });
    CHECK(operation == "dot");
  }
  // A NaN that arrives from an operand is not this operation's doing.
  tape.detect_anomalies(false);
  Var nan = slope::log(x);
  tape.detect_anomalies();
  CHECK_NOTHROW((void)slope::exp(nan));
  (void)fine;
}

TEST_CASE("anomaly mode names the operation whose partial makes the sweep's adjoint infinite") {
  Tape tape;
  tape.detect_anomalies();
  Var x = 0.0, w = 3.0;
  Var r = slope::sqrt(x);  // partial +inf, the right derivative: no anomaly by itself
  Var y = r * w + w;
  auto [what, statement, operation] =
      anomaly_of([&] { (void)slope::derivatives(y, slope::wrt(x, w)); });
  CHECK(operation == "sqrt");
  CHECK(statement == r.index());
  CHECK(what.find("reverse sweep") != std::string::npos);
  CHECK(what.find("partial inf towards its operand input") != std::string::npos);
  // Where nothing depends on the infinite partial, the sweep is clean.
  Var z = r * 0.0 + w;
  CHECK(slope::derivatives(z, slope::wrt(w))[0] == 1.0);
  // Without anomaly mode the same recording sweeps to +inf, silently.
  tape.detect_anomalies(false);
  tape.reset();
  Var x2 = 0.0, w2 = 3.0;
  Var y2 = slope::sqrt(x2) * w2 + w2;
  CHECK(std::isinf(slope::derivatives(y2, slope::wrt(x2))[0]));
}

TEST_CASE("anomaly mode gives the same derivatives when nothing is anomalous") {
  auto run = [](bool anomalies) {
    Tape tape;
    tape.detect_anomalies(anomalies);
    Var x = 0.7, w = -1.3;
    Var y = slope::sigmoid(w * x) + slope::tanh(x) * slope::leaky_relu(x - 1.0) +
            slope::sum(x, w, x * w) + slope::log1p(x * x);
    auto d = slope::derivatives(y, slope::wrt(x, w));
    return std::pair{y.value(), d};
  };
  const auto plain = run(false), checked = run(true);
  CHECK(plain.first == checked.first);
  CHECK(plain.second[0] == doctest::Approx(checked.second[0]).epsilon(1e-15));
  CHECK(plain.second[1] == doctest::Approx(checked.second[1]).epsilon(1e-15));
}
