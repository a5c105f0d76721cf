// var_test.cpp - Var: the handle, its operators with Vars and plain numbers,
// comparisons, IEEE special values.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>
#include <vector>

#include <slope/slope.hpp>

using slope::Tape;
using slope::Var;

TEST_CASE("Var is a small trivially copyable handle") {
  // Not trivially copyable: a copy marks an owned statement shared (see Var).
  static_assert(std::is_nothrow_copy_constructible_v<Var<double>>);
  static_assert(std::is_nothrow_move_constructible_v<Var<double>>);
  static_assert(std::is_nothrow_copy_assignable_v<Var<double>>);
  static_assert(std::is_trivially_destructible_v<Var<double>>);
  static_assert(sizeof(Var<double>) == 32);  // value, partial, index, flags, 64-bit tag
  Tape tape;
  Var x = 0.25;
  static_assert(std::is_same_v<decltype(x), Var<double>>);
  Var n = 3;  // an integer initializer still makes a Var<double>
  static_assert(std::is_same_v<decltype(n), Var<double>>);
  CHECK(x.value() == 0.25);
  CHECK(n.value() == 3.0);
  CHECK(!x.is_constant());
  CHECK(Var<>().is_constant());
  CHECK(Var<>().value() == 0.0);
  Var copy = x;  // a copy is the same statement, not a new one
  CHECK(copy.index() == x.index());
  CHECK(tape.size() == 2);
}

TEST_CASE("arithmetic operators with Vars and numbers on either side") {
  Tape tape;
  Var x = 1.5, y = -0.5;
  struct Case {
    Var<> f;
    double value, dx, dy;
  };
  const Case cases[] = {
      {x + y, 1.0, 1, 1},
      {x - y, 2.0, 1, -1},
      {x * y, -0.75, -0.5, 1.5},
      {x / y, -3.0, -2.0, -6.0},
      {x + 2.0, 3.5, 1, 0},
      {2.0 + x, 3.5, 1, 0},
      {x - 2, -0.5, 1, 0},
      {2 - x, 0.5, -1, 0},
      {x * 4.0f, 6.0, 4, 0},
      {4.0 * x, 6.0, 4, 0},
      {x / 2.0, 0.75, 0.5, 0},
      {3.0 / x, 2.0, -3.0 / 2.25, 0},
      {-x, -1.5, -1, 0},
      {+y, -0.5, 0, 1},
      {-(x * y) / (x - y) + 1.0, 0.75 / 2.0 + 1.0, 0.5 / 2.0 - 0.75 / 4.0,
       -1.5 / 2.0 + 0.75 / 4.0},
  };
  int i = 0;
  for (const Case& c : cases) {
    CAPTURE(i);
    CHECK(c.f.value() == doctest::Approx(c.value));
    auto [dx, dy] = slope::derivatives(c.f, slope::wrt(x, y));
    CHECK(dx == doctest::Approx(c.dx));
    CHECK(dy == doctest::Approx(c.dy));
    ++i;
  }
}

TEST_CASE("compound assignment") {
  Tape tape;
  Var x = 2.0, y = 3.0;
  Var z = x;
  z += y;      // x + y
  z *= x;      // (x + y) x
  z -= 1.0;    // (x + y) x - 1
  z /= y;      // ((x + y) x - 1) / y
  z += 0.5;
  z *= 2;
  CHECK(z.value() == doctest::Approx(2.0 * (9.0 / 3.0 + 0.5)));
  auto [dx, dy] = slope::derivatives(z, slope::wrt(x, y));
  // z = 2 ((x^2 + x y - 1)/y + 1/2)
  CHECK(dx == doctest::Approx(2.0 * (2.0 * 2.0 + 3.0) / 3.0));
  CHECK(dy == doctest::Approx(2.0 * (2.0 * 3.0 - (4.0 + 6.0 - 1.0)) / 9.0));
}

TEST_CASE("comparisons compare values and record nothing") {
  Tape tape;
  Var x = 1.0, y = 2.0;
  const std::size_t size = tape.size();
  CHECK(x < y);
  CHECK(x <= y);
  CHECK(y > x);
  CHECK(y >= x);
  CHECK(x != y);
  CHECK(!(x == y));
  CHECK(x == 1.0);
  CHECK(1.0 == x);
  CHECK(x < 1.5);
  CHECK(0 < x);
  CHECK(2 >= y);
  CHECK(tape.size() == size);
}

TEST_CASE("min, max and pow accept Vars and numbers") {
  Tape tape;
  Var x = 2.0, y = 3.0;
  using std::max;
  using std::min;
  Var m = max(x, y) + min(x, y) * 10.0 + max(x, 0.0) + min(1.0, y);
  CHECK(m.value() == doctest::Approx(3.0 + 20.0 + 2.0 + 1.0));
  auto [dx, dy] = slope::derivatives(m, slope::wrt(x, y));
  CHECK(dx == doctest::Approx(11.0));
  CHECK(dy == doctest::Approx(1.0));
  Var p = pow(x, y) + pow(x, 2.0) + pow(2.0, y);
  auto [px, py] = slope::derivatives(p, slope::wrt(x, y));
  CHECK(px == doctest::Approx(3.0 * 4.0 + 4.0));
  CHECK(py == doctest::Approx(std::log(2.0) * 8.0 + std::log(2.0) * 8.0));
}

TEST_CASE("NaN and infinities propagate by IEEE rules") {
  Tape tape;
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Var x = nan;
  Var y = slope::sigmoid(x) + slope::relu(x) + slope::leaky_relu(x) + slope::tanh(x);
  CHECK(std::isnan(y.value()));
  CHECK(std::isnan(slope::derivatives(y, slope::wrt(x))[0]));
  CHECK(std::isnan(slope::max(x, 1.0).value()));
  CHECK(std::isnan(slope::min(1.0, x).value()));

  Var z = 0.0;
  Var r = 1.0 / z;
  CHECK(r.value() == inf);
  CHECK(slope::derivatives(r, slope::wrt(z))[0] == -inf);
  Var big = inf;
  CHECK(slope::sigmoid(big).value() == 1.0);
  CHECK(slope::derivatives(slope::sigmoid(big), slope::wrt(big))[0] == 0.0);
  CHECK(slope::tanh(-big).value() == -1.0);
  CHECK(slope::sigmoid(-big).value() == 0.0);
  Var l = slope::log(z);
  CHECK(l.value() == -inf);
  CHECK(slope::derivatives(l, slope::wrt(z))[0] == inf);
  Var s = slope::sqrt(Var(-1.0));
  CHECK(std::isnan(s.value()));
}

TEST_CASE("-0.0 behaves like 0 at the kinks") {
  Tape tape;
  Var nz = -0.0;
  CHECK(slope::derivatives(slope::relu(nz), slope::wrt(nz))[0] == 1.0);
  CHECK(slope::derivatives(slope::leaky_relu(nz), slope::wrt(nz))[0] == 1.0);
  CHECK(slope::derivatives(slope::abs(nz), slope::wrt(nz))[0] == 0.0);
  CHECK(slope::relu(nz).value() == 0.0);
  CHECK(!std::signbit(slope::relu(nz).value()));
  CHECK(slope::leaky_relu(nz).value() == 0.0);
}

TEST_CASE("activations run on plain numbers too") {
  CHECK(slope::sigmoid(0.0) == 0.5);
  CHECK(slope::relu(-2.0) == 0.0);
  CHECK(slope::relu(2.5f) == 2.5f);
  CHECK(slope::leaky_relu(-2.0) == doctest::Approx(-0.02));
  CHECK(slope::leaky_relu(-2.0, 0.2) == doctest::Approx(-0.4));
  CHECK(slope::softplus(0.0) == doctest::Approx(std::log(2.0)));
}

TEST_CASE("binary_cross_entropy is the textbook loss of a probability, in one primitive") {
  Tape tape;
  Var z = 0.7;
  const Var a = slope::sigmoid(z);
  const double s = 1.0 / (1.0 + std::exp(-0.7));
  for (double y : {0.0, 1.0, 0.25}) {
    CAPTURE(y);
    const std::size_t size = tape.size();
    const Var loss = slope::binary_cross_entropy(a, y);
    CHECK(tape.size() == size);  // a unary primitive: folded, nothing recorded
    const Var textbook = -(y * slope::log(a) + (1.0 - y) * slope::log(1.0 - a));
    CHECK(loss.value() == doctest::Approx(textbook.value()).epsilon(1e-15));
    const double d = slope::derivatives(loss, slope::wrt(z))[0];
    CHECK(d == doctest::Approx(slope::derivatives(textbook, slope::wrt(z))[0]).epsilon(1e-14));
    CHECK(d == doctest::Approx(s - y).epsilon(1e-14));  // d/dz of the loss of sigmoid(z)
  }
  // On plain numbers too; the label's logarithm alone for y = 0 and 1.
  CHECK(slope::binary_cross_entropy(0.25, 1.0) == -std::log(0.25));
  CHECK(slope::binary_cross_entropy(0.25, 0.0) == doctest::Approx(-std::log1p(-0.25)).epsilon(1e-15));
  // A saturated sigmoid rounds to exactly 1 (z > 37.4): the loss of label 0
  // is then +inf, as -log(1 - a) is, not NaN.
  Var one = 1.0;
  const Var inf_loss = slope::binary_cross_entropy(one, 0.0);
  CHECK(inf_loss.value() == std::numeric_limits<double>::infinity());
  CHECK(slope::derivatives(inf_loss, slope::wrt(one))[0] == std::numeric_limits<double>::infinity());
  CHECK(slope::binary_cross_entropy(1.0, 1.0) == 0.0);
}

TEST_CASE("leaky_relu's slope and the kink values are parameters") {
  Tape tape;
  Var x = -1.0, zero = 0.0;
  CHECK(slope::derivatives(slope::leaky_relu(x, 0.2), slope::wrt(x))[0] == doctest::Approx(0.2));
  CHECK(slope::leaky_relu(x, 0.2).value() == doctest::Approx(-0.2));
  auto left_relu = slope::apply(slope::Relu{.at_kink = 0.0}, zero);
  CHECK(slope::derivatives(left_relu, slope::wrt(zero))[0] == 0.0);
  auto half = slope::apply(slope::LeakyRelu{.slope = 0.1, .at_kink = 0.55}, zero);
  CHECK(slope::derivatives(half, slope::wrt(zero))[0] == 0.55);
  auto abs_right = slope::apply(slope::Abs{.at_kink = 1.0}, zero);
  CHECK(slope::derivatives(abs_right, slope::wrt(zero))[0] == 1.0);
}

TEST_CASE("n-ary sum and dot record one statement") {
  Tape tape;
  std::vector<Var<>> w = {Var(0.5), Var(-1.0), Var(2.0)};
  const std::vector<double> x = {3.0, 0.25, -1.5};
  Var b = 0.75;
  const std::size_t before = tape.size();
  Var z = slope::dot(std::span<const Var<>>(w), std::span<const double>(x), b);
  CHECK(tape.size() == before + 1);
  CHECK(tape.operands() == 4);
  CHECK(z.value() == doctest::Approx(1.5 - 0.25 - 3.0 + 0.75));
  auto [d0, d1, d2, db] = slope::derivatives(z, slope::wrt(w[0], w[1], w[2], b));
  CHECK(d0 == 3.0);
  CHECK(d1 == 0.25);
  CHECK(d2 == -1.5);
  CHECK(db == 1.0);

  // Var . Var: each factor gets the other as its partial.
  std::vector<Var<>> a = {slope::tanh(w[0]), w[1] * 2.0};
  std::vector<Var<>> c = {w[2], Var<>::constant(4.0)};
  Var p = slope::dot(a, c);
  auto [p0, p1, p2] = slope::derivatives(p, slope::wrt(w[0], w[1], w[2]));
  const double t = std::tanh(0.5);
  CHECK(p0 == doctest::Approx((1 - t * t) * 2.0));
  CHECK(p1 == doctest::Approx(2.0 * 4.0));
  CHECK(p2 == doctest::Approx(t));

  // Terms on one statement merge; a sum on a single statement records nothing.
  const std::size_t size = tape.size();
  Var s = slope::sum({slope::sigmoid(w[0]), slope::relu(w[0]), w[0] * 3.0, Var<>::constant(1.0)});
  CHECK(tape.size() == size);
  CHECK(s.index() == w[0].index());
  const double sg = 1.0 / (1.0 + std::exp(-0.5));
  CHECK(s.value() == doctest::Approx(sg + 0.5 + 1.5 + 1.0));
  CHECK(slope::derivatives(s, slope::wrt(w[0]))[0] == doctest::Approx(sg * (1 - sg) + 1.0 + 3.0));
  Var all = slope::sum(w);
  CHECK(tape.size() == size + 1);
  CHECK(slope::gradient(all, w) == std::vector{1.0, 1.0, 1.0});
  // The same, with the terms given one by one.
  Var s2 = slope::sum(slope::sigmoid(w[0]), slope::relu(w[0]), w[0] * 3.0);
  CHECK(tape.size() == size + 1);
  CHECK(s2.value() == doctest::Approx(sg + 0.5 + 1.5));
  CHECK(slope::derivatives(s2, slope::wrt(w[0]))[0] == doctest::Approx(sg * (1 - sg) + 1.0 + 3.0));
  Var all2 = slope::sum(w[0], w[1] * 2.0, w[2]);
  CHECK(tape.size() == size + 2);
  CHECK(slope::gradient(all2, w) == std::vector{1.0, 2.0, 1.0});
  CHECK(slope::sum(Var<>::constant(1.0), Var<>::constant(2.0)).is_constant());

  // Only constants: a constant, no tape needed.
  CHECK(slope::sum({Var<>::constant(1.0), Var<>::constant(2.0)}).is_constant());
  CHECK_THROWS_AS((void)slope::dot(std::span<const Var<>>(w), std::span<const double>(x.data(), 2)),
                  slope::argument_error);
}

TEST_CASE("fma(a, b, c) is a * b + c rounded once, recorded as one statement") {
  Tape tape;
  Var w = 1.7, s = 0.25, b = -0.5;
  const std::size_t before = tape.size();
  Var y = slope::fma(w, s, b);
  CHECK(tape.size() == before + 1);
  CHECK(tape.operands() == 3);
  CHECK(y.value() == std::fma(1.7, 0.25, -0.5));
  auto [dw, ds, db] = slope::derivatives(y, slope::wrt(w, s, b));
  CHECK(dw == 0.25);
  CHECK(ds == 1.7);
  CHECK(db == 1.0);
  // Rounded once: 0.1 * 10 - 1 is 0 in two roundings, 2^-54 + ... in one.
  Var a = 0.1;
  CHECK(slope::fma(a, 10.0, -1.0).value() == std::fma(0.1, 10.0, -1.0));
  CHECK(slope::fma(a, 10.0, -1.0).value() != 0.0);
  // Plain numbers anywhere; on one statement it folds like any operation.
  const std::size_t size = tape.size();
  Var x2 = slope::fma(a, a, 3.0);  // a^2 + 3
  CHECK(tape.size() == size);
  CHECK(slope::derivatives(x2, slope::wrt(a))[0] == doctest::Approx(0.2));
  CHECK(slope::fma(2.0, a, 1.0).index() == a.index());
  CHECK(slope::fma(Var<>::constant(2.0), 3.0, 1.0).is_constant());
  // The recurrence step of the deep-chain benchmark.
  Var x = 0.3;
  Var<> z = slope::tanh(slope::fma(w, slope::sigmoid(x), b));
  const double sg = 1 / (1 + std::exp(-0.3));
  const double t = std::tanh(1.7 * sg - 0.5);
  CHECK(slope::derivatives(z, slope::wrt(x))[0] == doctest::Approx((1 - t * t) * 1.7 * sg * (1 - sg)));
}

TEST_CASE("inputs in bulk are the same inputs as Vars made one by one") {
  const std::vector<double> values = {0.5, -1.25, 3.0, 0.0};
  auto f = [](const std::vector<Var<>>& x) { return x[0] * x[1] + slope::sin(x[2]) * x[3] + x[0]; };
  Tape tape;
  std::vector<Var<>> one_by_one;
  for (double v : values) one_by_one.emplace_back(v);
  const std::vector<double> g1 = slope::gradient(f(one_by_one), one_by_one);
  const std::size_t statements = tape.size();
  tape.reset();
  std::vector<Var<>> bulk = slope::inputs(values);
  CHECK(tape.size() == values.size());  // numbered consecutively from the first free index
  REQUIRE(bulk.size() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    CHECK(bulk[i].value() == values[i]);
    CHECK(bulk[i].is_input());
    CHECK(bulk[i].partial() == 1.0);
    CHECK(bulk[i].tag() == tape.epoch());
    CHECK(bulk[i].index() == one_by_one[i].index());
    CHECK(tape.is_input(bulk[i].index()));
  }
  CHECK(slope::gradient(f(bulk), bulk) == g1);
  CHECK(tape.size() == statements);
  // Into a reused vector, after other statements, on a tape that has to grow.
  Tape small;
  Var<> before = 2.0;
  Var<> y = before * before;  // folds: records nothing
  std::vector<double> many(5000);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = 0.001 * double(i);
  std::vector<Var<>> xs(3);
  slope::inputs(many, xs);
  REQUIRE(xs.size() == many.size());
  CHECK(xs.front().index() == before.index() + 1);
  CHECK(xs.back().index() == before.index() + many.size());
  const std::vector<double> g = slope::gradient(slope::sum(xs) * y, xs);
  CHECK(std::all_of(g.begin(), g.end(), [](double d) { return d == 4.0; }));
  CHECK(slope::derivatives(slope::sum(xs) * y, slope::wrt(before))[0] ==
        doctest::Approx(2 * 2.0 * std::accumulate(many.begin(), many.end(), 0.0)));
  // The tape grows as it would for the inputs made one by one.
  {
    Tape one;
    for (double v : many) (void)Var<>(v);
    Tape two;
    (void)slope::inputs(many);
    CHECK(two.memory() == one.memory());
  }
  // Traced: each input is named, with its value.
  Tape traced;
  traced.trace();
  const std::vector<Var<>> t = slope::inputs(std::vector{1.5, -2.0});
  CHECK(traced.name(t[1].index()) == "input");
  CHECK(traced.value(t[1].index()) == -2.0);
  // Any contiguous range of numbers, into a span or array of Vars.
  std::array<double, 3> arr = {0.25, 0.5, 0.75};
  std::array<Var<>, 3> into;
  slope::inputs(arr, into);
  CHECK(into[2].value() == 0.75);
  CHECK(into[2].is_input());
  CHECK(slope::inputs(std::span<double>(arr)).size() == 3);
  slope::inputs(std::span<const double>(arr), std::span<Var<>>(into));
  CHECK(into[0].index() + 2 == into[2].index());
  // Errors: sizes that differ, no tape.
  std::vector<Var<>> two(2);
  CHECK_THROWS_AS(slope::inputs(std::span<const double>(many), std::span<Var<>>(two)),
                  slope::argument_error);
  CHECK(two[0].is_constant());
  traced.deactivate();
  small.deactivate();
  tape.deactivate();
  CHECK_THROWS_AS((void)slope::inputs(values), slope::tape_error);
  std::vector<Var<>> kept(2);
  CHECK_THROWS_AS(slope::inputs(values, kept), slope::tape_error);
  CHECK(kept.size() == 2);  // untouched
}

// ------------------------------------------------ sums grow one statement ----
// An owner's statement grows while no other Var refers to it; everything that
// makes a second reference (a copy, a fold, a move) must stop that, or a Var
// would silently mean its statement's later operands too.

TEST_CASE("z += w * x grows one statement, with the gradient of the sum") {
  Tape tape;
  const std::vector<double> xs{0.5, -1.5, 2.0, 0.25, -3.0};
  std::vector<Var<>> w = slope::inputs(std::vector<double>{1.0, 2.0, -0.5, 4.0, 0.75});
  Var b = 0.1;
  const std::size_t before = tape.size();
  Var z = b;
  for (std::size_t i = 0; i < xs.size(); ++i) z += w[i] * xs[i];
  CHECK(tape.size() == before + 1);  // one statement: b and the five terms
  CHECK(tape.operands() == 6);
  CHECK(z.owns_statement());
  const std::vector<double> g = slope::gradient(z, w);
  for (std::size_t i = 0; i < xs.size(); ++i) CHECK(g[i] == xs[i]);
  CHECK(slope::derivatives(z, slope::wrt(b))[0] == 1.0);
  // Products of two Vars merge into the sum: z += a * c adds two operands
  // (here with z: a and c came after z's statement, which is then not the
  // one before the product's, so z joins the product's statement).
  Var a = 1.5, c = -2.0;
  z += a * c;
  CHECK(tape.size() == before + 4);
  CHECK(tape.operands() == 9);
  z += c * c;  // merged
  z -= c * c;
  CHECK(tape.size() == before + 4);
  CHECK(tape.operands() == 11);
  auto [da, dc] = slope::derivatives(z, slope::wrt(a, c));
  CHECK(da == -2.0);
  CHECK(dc == 1.5);
  // z -= t negates t's partials.
  z -= a * a;  // one statement: folded, then an operand
  CHECK(tape.size() == before + 4);
  CHECK(slope::derivatives(z, slope::wrt(a))[0] == -2.0 - 3.0);
}

TEST_CASE("a * b + c * d + e records one statement") {
  Tape tape;
  Var a = 1.0, b = 2.0, c = 3.0, d = 4.0, e = 5.0;
  Var y = a * b + c * d + e - a * e + 1.0;
  CHECK(tape.size() == 6);
  CHECK(tape.operands() == 7);
  CHECK(y.value() == 2.0 + 12.0 + 5.0 - 5.0 + 1.0);
  auto [da, db, dc, dd, de] = slope::derivatives(y, slope::wrt(a, b, c, d, e));
  CHECK(da == 2.0 - 5.0);
  CHECK(db == 1.0);
  CHECK(dc == 4.0);
  CHECK(dd == 3.0);
  CHECK(de == 1.0 - 1.0);
  // A temporary on the right grows too: b * c + (d * e) and d + b * c.
  Var u = d + b * c;
  CHECK(tape.size() == 7);
  CHECK(tape.operands() == 10);
  CHECK(slope::derivatives(u, slope::wrt(b, d))[0] == 3.0);
}

TEST_CASE("a copy or a fold of an owner keeps its own value when the owner grows") {
  Tape tape;
  Var a = 1.5, b = -2.0, c = 0.5;
  Var z = a * b;
  Var copy = z;             // shares z's statement
  Var assigned;
  assigned = z;
  Var twice = 2.0 * z;      // a fold: the same statement, partial 2
  Var t = slope::tanh(z);   // a fold too
  Var same = z * z;         // both operands on z's statement
  Var plus = z + 0.0;
  CHECK(!z.owns_statement());
  z += c;  // must record a new statement now
  z += a * c;
  auto [zc] = slope::derivatives(z, slope::wrt(c));
  CHECK(zc == 1.0 + 1.5);
  for (const Var<>* v : {&copy, &assigned, &twice, &t, &same, &plus}) {
    auto [dc, da] = slope::derivatives(*v, slope::wrt(c, a));
    CHECK(dc == 0.0);
    CHECK(da != 0.0);
  }
  CHECK(slope::derivatives(twice, slope::wrt(a))[0] == 2.0 * -2.0);
  const double th = std::tanh(-3.0);
  CHECK(slope::derivatives(t, slope::wrt(b))[0] == doctest::Approx((1 - th * th) * 1.5));
  CHECK(slope::derivatives(same, slope::wrt(a))[0] == doctest::Approx(2 * -3.0 * -2.0));
}

TEST_CASE("a sum or dot that folds onto an owner's statement keeps its value") {
  Tape tape;
  Var a = 1.5, b = -2.0, c = 0.5;
  Var z = a * b;
  Var s = slope::sum(z, z);  // 2 z: one statement's partial, nothing recorded
  z += c;
  z += a * c;
  CHECK(slope::derivatives(s, slope::wrt(c))[0] == 0.0);
  CHECK(slope::derivatives(s, slope::wrt(a))[0] == 2.0 * -2.0);
  CHECK(slope::derivatives(z, slope::wrt(c))[0] == 1.0 + 1.5);
  Var y = a * c;
  const std::array<double, 1> three{3.0};
  Var d = slope::dot(std::span<const Var<>>(&y, 1), std::span<const double>(three));
  y += b;
  CHECK(slope::derivatives(d, slope::wrt(b))[0] == 0.0);
  CHECK(slope::derivatives(d, slope::wrt(a))[0] == 3.0 * 0.5);
  CHECK(slope::derivatives(y, slope::wrt(b))[0] == 1.0);
}

TEST_CASE("partial sums kept along the way are each their own value") {
  Tape tape;
  std::vector<Var<>> w = slope::inputs(std::vector<double>{1.0, 2.0, 3.0, 4.0});
  Var z = 0.0;
  std::vector<Var<>> partial;
  for (std::size_t i = 0; i < w.size(); ++i) {
    z += w[i] * double(i + 1);
    partial.push_back(z);  // a copy: z records a new statement next time
  }
  Var loss = 0.0;
  for (const Var<>& p : partial) loss += p * p;
  // loss = sum_k (sum_{i<=k} (i+1) w_i)^2; d/dw_i = sum_{k>=i} 2 s_k (i+1)
  double s[4], acc = 0;
  for (int k = 0; k < 4; ++k) s[k] = acc += (k + 1) * (k + 1.0);
  const std::vector<double> g = slope::gradient(loss, w);
  for (int i = 0; i < 4; ++i) {
    double expected = 0;
    for (int k = i; k < 4; ++k) expected += 2 * s[k] * (i + 1);
    CHECK(g[i] == doctest::Approx(expected));
  }
}

TEST_CASE("a statement that reads the owner's is not merged into it") {
  Tape tape;
  Var a = 1.5, w = 3.0;
  Var z = a * a + w;  // owns a statement
  Var r = z * w;      // reads it
  z += std::move(r);  // z + z w: r's statement stays
  auto [da, dw] = slope::derivatives(z, slope::wrt(a, w));
  const double zv = 1.5 * 1.5 + 3.0;
  CHECK(z.value() == zv + zv * 3.0);
  CHECK(da == doctest::Approx(2 * 1.5 * (1 + 3.0)));
  CHECK(dw == doctest::Approx(1 + zv + 3.0));
  Var y = a * w;
  y += y;  // the same statement twice: 2 a w
  CHECK(slope::derivatives(y, slope::wrt(a))[0] == 6.0);
  y += y * a;  // y (1 + a), y read by the product
  CHECK(slope::derivatives(y, slope::wrt(a))[0] == doctest::Approx(2 * 3.0 * (1 + 2 * 1.5)));
}

TEST_CASE("a moved-from owner throws; its statement went with the move") {
  Tape tape;
  Var a = 1.5, b = -2.0, c = 4.0;
  Var p = a * b;
  Var q = std::move(p);  // q owns the statement now
  CHECK(q.owns_statement());
  q += c;
  CHECK(slope::derivatives(q, slope::wrt(c))[0] == 1.0);
  CHECK_THROWS_WITH_AS((void)(p * 2.0), doctest::Contains("moved from"), slope::tape_error);
  CHECK_THROWS_AS((void)slope::derivatives(p, slope::wrt(a)), slope::tape_error);
  p = a + c;  // assigned again: usable
  CHECK(slope::derivatives(p, slope::wrt(c))[0] == 1.0);
  // Merged away by +=: the temporary's statement is gone, so is the Var.
  Var z = a * c, t = b * c;
  z += std::move(t);
  CHECK_THROWS_AS((void)slope::sin(t), slope::tape_error);
  CHECK(slope::derivatives(z, slope::wrt(c))[0] == 1.5 - 2.0);
  // A moved non-owner (an input) is a copy.
  Var x = a;
  Var moved = std::move(x);
  CHECK(slope::derivatives(x * moved, slope::wrt(a))[0] == 3.0);
}

TEST_CASE("owners in containers and swaps keep their meaning") {
  Tape tape;
  Var a = 1.0, b = 2.0, c = 3.0;
  std::vector<Var<>> v;
  v.push_back(a * b);
  v.push_back(b * c);
  v.resize(64);  // moves the owners
  v[1] += a;     // v[1] owns the last statement
  v[0] += c;     // v[0]'s is not last: a new statement
  std::swap(v[0], v[1]);
  v[0] += b;
  auto [da, db, dc] = slope::derivatives(v[0], slope::wrt(a, b, c));
  CHECK((da == 1.0 && db == 3.0 + 1.0 && dc == 2.0));
  auto [ea, eb, ec] = slope::derivatives(v[1], slope::wrt(a, b, c));
  CHECK((ea == 2.0 && eb == 1.0 && ec == 1.0));
}

TEST_CASE("a sweep before a sum grows, and a reset, see the recording of their time") {
  Tape tape;
  Var a = 2.0, b = 3.0;
  Var z = a * b;
  CHECK(slope::derivatives(z, slope::wrt(a))[0] == 3.0);
  z += a * a;
  CHECK(slope::derivatives(z, slope::wrt(a))[0] == 3.0 + 4.0);
  tape.reset();
  Var c = 1.0;
  CHECK_THROWS_AS(z += c, slope::tape_error);
  CHECK_THROWS_AS(z += 1.0, slope::tape_error);
}

TEST_CASE("while tracing, every operation is a statement of its own") {
  Tape tape;
  tape.trace();
  Var a = 1.0, b = 2.0, c = 3.0;
  Var z = a * b;
  z += c;
  z += a * c;
  Var y = a * b + c + 1.0;
  CHECK(tape.size() == 3 + 4 + 3);  // mul, add, mul, add; mul, add, add
  CHECK(slope::derivatives(z, slope::wrt(c))[0] == 2.0);
  CHECK(slope::derivatives(y, slope::wrt(a))[0] == 2.0);
}
