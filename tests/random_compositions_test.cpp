// random_compositions_test.cpp - seeded random expression DAGs over every
// primitive and operator, each checked with check::gradient (and every
// tenth with check::hessian too).
//
// Each case: 1 to 4 inputs in [-2, 2], then operations on the newest node or
// an older one (shared subexpressions) up to a random depth of 2 to 30. An
// operation is kept only where a careful program would compute it: inside
// its domain, clear of kinks, poles and ties, on moderate values, and well
// conditioned (no cancellation in values or in derivatives, no log of a
// number that rounds near 1): there the tape's gradient must be as accurate
// as check::gradient's error model says. The default run checks 2,000 cases
// in 8 test cases (CTest runs them in parallel); cases the checker cannot
// check do not count and must stay below 1 in 20.
//
//   SLOPE_RANDOM_CASES=20000     a longer run
//   SLOPE_RANDOM_SEED=7          a different one
//   SLOPE_RANDOM_CASE=1000136    one case, by the seed a failure prints
//   SLOPE_RANDOM_VERBOSE=1       also print the cases that cannot be checked
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include <slope/check.hpp>
#include <slope/slope.hpp>

namespace {

constexpr std::size_t unary_count = std::tuple_size_v<slope::unary_primitives>;
enum Binary { add, sub, mul, div_, pow_, min_, max_, binary_count };

struct Node {
  int op;      // < 0: input -op-1; < unary_count: unary; else binary op - unary_count
  int a = -1, b = -1;
};

struct Expression {
  std::vector<Node> nodes;
  std::size_t inputs = 0;
};

template <std::size_t I = 0, class S>
S apply_unary(std::size_t k, const S& x) {
  if constexpr (I < unary_count) {
    using P = std::tuple_element_t<I, slope::unary_primitives>;
    if (k == I) {
      if constexpr (slope::is_var_v<S>)
        return slope::apply(P{}, x);
      else
        return P{}.forward(x);
    }
    return apply_unary<I + 1>(k, x);
  } else {
    return x;
  }
}

template <class S>
S apply_binary(int k, const S& x, const S& y) {
  using std::max;
  using std::min;
  using std::pow;
  switch (k) {
    case add: return x + y;
    case sub: return x - y;
    case mul: return x * y;
    case div_: return x / y;
    case pow_: return pow(x, y);
    case min_: return min(x, y);
    default: return max(x, y);
  }
}

template <class S>
S evaluate(const Expression& e, const std::vector<S>& x) {
  std::vector<S> v;
  v.reserve(e.nodes.size());
  for (const Node& n : e.nodes) {
    if (n.op < 0)
      v.push_back(x[static_cast<std::size_t>(-n.op - 1)]);
    else if (static_cast<std::size_t>(n.op) < unary_count)
      v.push_back(apply_unary(static_cast<std::size_t>(n.op), v[static_cast<std::size_t>(n.a)]));
    else
      v.push_back(apply_binary(n.op - static_cast<int>(unary_count),
                               v[static_cast<std::size_t>(n.a)], v[static_cast<std::size_t>(n.b)]));
  }
  return v.back();
}

template <std::size_t I = 0>
double unary_derivative(std::size_t k, double x, double y) {
  if constexpr (I < unary_count) {
    if (k == I) return std::tuple_element_t<I, slope::unary_primitives>{}.derivative(x, y);
    return unary_derivative<I + 1>(k, x, y);
  } else {
    return 0;
  }
}

template <std::size_t I = 0>
std::string_view unary_name(std::size_t k) {
  if constexpr (I < unary_count) {
    if (k == I) return std::tuple_element_t<I, slope::unary_primitives>::name;
    return unary_name<I + 1>(k);
  } else {
    return "?";
  }
}

std::string to_string(const Expression& e) {
  static const char* names[] = {"+", "-", "*", "/", "pow", "min", "max"};
  std::string s;
  for (std::size_t i = 0; i < e.nodes.size(); ++i) {
    const Node& n = e.nodes[i];
    if (n.op < 0)
      s += fmt::format("t{} = x{}; ", i, -n.op - 1);
    else if (static_cast<std::size_t>(n.op) < unary_count)
      s += fmt::format("t{} = {}(t{}); ", i, unary_name(static_cast<std::size_t>(n.op)), n.a);
    else
      s += fmt::format("t{} = {}(t{}, t{}); ", i, names[n.op - static_cast<int>(unary_count)], n.a, n.b);
  }
  return s;
}

// Whether op may be applied at these argument values: inside the domain,
// clear of kinks and singularities (so that the numerical derivative's steps
// stay on one side), and keeping values moderate.
template <std::size_t I = 0>
bool unary_ok(std::size_t k, double x) {
  if constexpr (I < unary_count) {
    using P = std::tuple_element_t<I, slope::unary_primitives>;
    if (k != I) return unary_ok<I + 1>(k, x);
    const double margin = 0.05 * std::fmax(1.0, std::fabs(x));
    if (!P::domain.contains(x - margin) || !P::domain.contains(x + margin)) return false;
    for (double kk : P::kinks)
      if (std::fabs(x - kk) < margin) return false;
    if constexpr (requires { P::singularities; })
      for (double s : P::singularities)
        if (std::fabs(x - s) < margin) return false;
    if (P::name == "tan" && std::fabs(std::cos(x)) < 0.2) return false;
    const double y = P{}.forward(x);
    // relu for z < 0: flat, exact.
    if (!P::kinks.empty() && y == 0 && P{}.derivative(x, y) == 0) return true;
    if (!std::isfinite(y) || std::fabs(y) >= 1e3 || std::fabs(y) <= 1e-3) return false;
    // Well conditioned, as a careful program keeps its intermediates: the
    // rounding of x (a relative u) may move y and f'(x) by a few u at most
    // (|x f'/f| and |x f''/f'| <= 16). log(sigmoid(20)) or acos(0.9999)
    // turn one rounding into thousands of ULPs that no input perturbation
    // shows.
    const double d = P{}.derivative(x, y);
    if (!std::isfinite(d)) return false;
    if (std::fabs(x * d) > 16 * std::fabs(y)) return false;
    if (d != 0 && x != 0) {
      const double h = 1e-6 * std::fabs(x);
      const double dp = P{}.derivative(x + h, P{}.forward(x + h));
      const double dm = P{}.derivative(x - h, P{}.forward(x - h));
      if (std::fabs(dp - dm) / (2 * h) * std::fabs(x) > 16 * std::fabs(d)) return false;
    }
    return true;
  } else {
    return false;
  }
}

// The same for binary operations: no cancellation in + and - (the result at
// least 1/16 of |x| + |y|), pow's base away from 1 (log x x^p, its second
// partial, is ill conditioned there) and its exponent moderate, ties of min
// and max 5% apart.
bool binary_ok(int k, double x, double y) {
  const double scale = std::fmax(1.0, std::fmax(std::fabs(x), std::fabs(y)));
  double r = 0;
  switch (k) {
    case div_:
      if (std::fabs(y) < 0.1) return false;
      r = x / y;
      break;
    case pow_:
      if (x < 0.1 || std::fabs(std::log(x)) < 0.0625 || std::fabs(y) > 16 ||
          std::fabs(y * std::log(x)) > 5)
        return false;
      r = std::pow(x, y);
      break;
    case min_:
    case max_:
      if (std::fabs(x - y) < 0.05 * scale) return false;
      r = x;
      break;
    case add:
    case sub:
      r = apply_binary(k, x, y);
      if (16 * std::fabs(r) < std::fabs(x) + std::fabs(y)) return false;
      break;
    default:
      r = apply_binary(k, x, y);
  }
  return std::isfinite(r) && std::fabs(r) < 1e3 && (r == 0 || std::fabs(r) > 1e-3);
}

// The partials of a binary operation, in double (for the generator only).
std::array<double, 2> binary_partials(int k, double x, double y) {
  switch (k) {
    case add: return {1, 1};
    case sub: return {1, -1};
    case mul: return {y, x};
    case div_: return {1 / y, -x / (y * y)};
    case pow_: return {y * std::pow(x, y - 1), std::log(x) * std::pow(x, y)};
    case min_: return x < y ? std::array<double, 2>{1, 0} : std::array<double, 2>{0, 1};
    default: return x > y ? std::array<double, 2>{1, 0} : std::array<double, 2>{0, 1};
  }
}

using Gradient = std::array<double, 4>;  // d node / d x_j, forward mode, up to 4 inputs

// No cancellation in the derivative either: a + b where da ~ -db (t/(t + c)
// with t and c both growing in x) leaves the tape's partial a difference of
// rounded terms, whatever the tape's statements look like (a single input
// folds everything into one partial). Each component must keep 1/16 of the
// sum of the magnitudes it is made of.
bool no_derivative_cancellation(const std::array<double, 2>& p, const Gradient& da,
                                const Gradient& db, Gradient& out) {
  for (std::size_t j = 0; j < out.size(); ++j) {
    out[j] = p[0] * da[j] + p[1] * db[j];
    const double terms = std::fabs(p[0] * da[j]) + std::fabs(p[1] * db[j]);
    if (!std::isfinite(out[j]) || 16 * std::fabs(out[j]) < terms) return false;
  }
  return true;
}

Expression generate(std::uint64_t seed, std::vector<double>& x) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> n_inputs(1, 4);
  std::uniform_real_distribution<double> input(-2.0, 2.0);
  const std::size_t n = n_inputs(rng);
  Expression e;
  e.inputs = n;
  x.clear();
  std::vector<double> val;
  std::vector<Gradient> grad;
  std::vector<int> depth;
  for (std::size_t i = 0; i < n; ++i) {
    double xi = input(rng);
    if (std::fabs(xi) < 0.1) xi += 0.3;
    x.push_back(xi);
    e.nodes.push_back({-static_cast<int>(i) - 1});
    val.push_back(xi);
    Gradient g{};
    g[i] = 1;
    grad.push_back(g);
    depth.push_back(0);
  }
  const int target_depth = std::uniform_int_distribution<int>(2, 30)(rng);
  int max_depth = 0;
  for (int tries = 0; tries < 400 && max_depth < target_depth; ++tries) {
    // Operands: mostly the newest node (depth grows), sometimes an older one
    // (shared subexpressions).
    const std::size_t last = val.size() - 1;
    std::uniform_int_distribution<std::size_t> any(0, last);
    const std::size_t a = (rng() % 3 != 0) ? last : any(rng);
    if (rng() % 2 == 0) {
      const std::size_t k = rng() % unary_count;
      if (!unary_ok(k, val[a])) continue;
      const double y = apply_unary(k, val[a]);
      Gradient g;
      if (!no_derivative_cancellation({unary_derivative(k, val[a], y), 0}, grad[a], grad[a], g))
        continue;
      e.nodes.push_back({static_cast<int>(k), static_cast<int>(a)});
      val.push_back(y);
      grad.push_back(g);
      depth.push_back(depth[a] + 1);
    } else {
      const int k = static_cast<int>(rng() % binary_count);
      const std::size_t b = any(rng);
      if (!binary_ok(k, val[a], val[b])) continue;
      Gradient g;
      if (!no_derivative_cancellation(binary_partials(k, val[a], val[b]), grad[a], grad[b], g))
        continue;
      e.nodes.push_back(
          {static_cast<int>(unary_count) + k, static_cast<int>(a), static_cast<int>(b)});
      val.push_back(apply_binary(k, val[a], val[b]));
      grad.push_back(g);
      depth.push_back(std::max(depth[a], depth[b]) + 1);
    }
    max_depth = std::max(max_depth, depth.back());
  }
  return e;
}

std::uint64_t env(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoull(v, nullptr, 10) : fallback;
}

constexpr int blocks = 8;

template <class Report>
void report_failure(std::uint64_t seed, const std::vector<double>& x, const Expression& e,
                    const Report& r) {
  FAIL_CHECK(fmt::format("seed {} (rerun: SLOPE_RANDOM_CASE={}): x = [{}]\n{}\n{}", seed, seed,
                         fmt::join(x, ", "), to_string(e), r));
}

// One block: cases until `cases` of them were checked (passed or failed);
// cases the checker cannot check do not count, but must stay rare.
void run_block(int block) {
  using slope::check::Status;
  if (const char* only = std::getenv("SLOPE_RANDOM_CASE"); only != nullptr) {
    if (block != 0) return;
    const std::uint64_t seed = std::strtoull(only, nullptr, 10);
    std::vector<double> x;
    const Expression e = generate(seed, x);
    auto f = [&e](const auto& v) { return evaluate(e, v); };
    const auto r = slope::check::gradient(f, x);
    MESSAGE(fmt::format("seed {}: x = [{}]\n{}\n{}", seed, fmt::join(x, ", "), to_string(e), r));
    CHECK(r.status == Status::pass);
    const auto h = slope::check::hessian(f, x);
    MESSAGE(fmt::format("{}", h));
    CHECK(h.status != Status::fail);
    return;
  }
  const std::uint64_t cases = (env("SLOPE_RANDOM_CASES", 2000) + blocks - 1) / blocks;
  const std::uint64_t seed0 = env("SLOPE_RANDOM_SEED", 1);
  std::uint64_t checked = 0, passed = 0, cannot = 0, attempts = 0;
  std::uint64_t hessians = 0, hessians_passed = 0, hessians_cannot = 0;
  std::size_t nodes = 0, max_nodes = 0;
  for (; checked < cases && attempts < 2 * cases; ++attempts) {
    const std::uint64_t seed = seed0 * 1000003 + static_cast<std::uint64_t>(block) * 2 * cases +
                               attempts;
    std::vector<double> x;
    const Expression e = generate(seed, x);
    nodes += e.nodes.size();
    max_nodes = std::max(max_nodes, e.nodes.size());
    auto f = [&e](const auto& v) { return evaluate(e, v); };
    const auto r = slope::check::gradient(f, x);
    if (r.status == Status::cannot_check) {
      ++cannot;
      if (std::getenv("SLOPE_RANDOM_VERBOSE") != nullptr)
        MESSAGE(fmt::format("cannot check, seed {}: x = [{}]\n{}\n{}", seed, fmt::join(x, ", "),
                            to_string(e), r));
      continue;
    }
    ++checked;
    if (r.status == Status::fail)
      report_failure(seed, x, e, r);
    else
      ++passed;
    if (checked % 10 != 0) continue;
    // Second order: slope::hessian against Ridders on the 50-digit gradient.
    const auto h = slope::check::hessian(f, x);
    ++hessians;
    if (h.status == Status::cannot_check) {
      ++hessians_cannot;
      if (std::getenv("SLOPE_RANDOM_VERBOSE") != nullptr)
        MESSAGE(fmt::format("Hessian: cannot check, seed {}: x = [{}]\n{}\n{}", seed,
                            fmt::join(x, ", "), to_string(e), h));
    } else if (h.status == Status::fail) {
      report_failure(seed, x, e, h);
    } else {
      ++hessians_passed;
    }
  }
  MESSAGE(fmt::format("block {}: {} checked ({} pass), {} cannot check, {} nodes on average, "
                      "{} at most; Hessians: {} checked, {} pass, {} cannot check",
                      block, checked, passed, cannot, nodes / std::max<std::uint64_t>(1, attempts),
                      max_nodes, hessians, hessians_passed, hessians_cannot));
  CHECK(checked == cases);
  CHECK(passed == checked);
  // Measured: 3 of 2,003 attempts cannot be checked; allow 1 in 20.
  CHECK(cannot * 20 <= attempts);
  CHECK(hessians_passed + hessians_cannot == hessians);
  CHECK(hessians_cannot * 10 <= hessians);
}

}  // namespace

TEST_CASE("random compositions, block 0") { run_block(0); }
TEST_CASE("random compositions, block 1") { run_block(1); }
TEST_CASE("random compositions, block 2") { run_block(2); }
TEST_CASE("random compositions, block 3") { run_block(3); }
TEST_CASE("random compositions, block 4") { run_block(4); }
TEST_CASE("random compositions, block 5") { run_block(5); }
TEST_CASE("random compositions, block 6") { run_block(6); }
TEST_CASE("random compositions, block 7") { run_block(7); }
