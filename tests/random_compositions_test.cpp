// random_compositions_test.cpp - seeded random expression DAGs over every
// primitive and operator, each checked with check::gradient.
//
// SLOPE_RANDOM_CASES=N (default 2000, split over four test cases) and
// SLOPE_RANDOM_SEED=S run a longer or different sweep; a failure prints the
// expression and its seed, so that it reproduces.
#include <doctest/doctest.h>

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
      v.push_back(apply_binary(n.op - static_cast<int>(unary_count), v[static_cast<std::size_t>(n.a)],
                               v[static_cast<std::size_t>(n.b)]));
  }
  return v.back();
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
    return std::isfinite(y) && std::fabs(y) < 1e3 && (y == 0 || std::fabs(y) > 1e-3);
  } else {
    return false;
  }
}

bool binary_ok(int k, double x, double y) {
  const double scale = std::fmax(1.0, std::fmax(std::fabs(x), std::fabs(y)));
  double r = 0;
  switch (k) {
    case div_: if (std::fabs(y) < 0.1) return false; r = x / y; break;
    case pow_: if (x < 0.1 || std::fabs(y * std::log(x)) > 5) return false; r = std::pow(x, y); break;
    case min_: case max_: if (std::fabs(x - y) < 0.05 * scale) return false; r = x; break;
    case sub: r = x - y; if (std::fabs(r) < 1e-2 * scale && r != 0) return false; break;
    default: r = apply_binary(k, x, y);
  }
  return std::isfinite(r) && std::fabs(r) < 1e3;
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
  std::vector<int> depth;
  for (std::size_t i = 0; i < n; ++i) {
    double xi = input(rng);
    if (std::fabs(xi) < 0.1) xi += 0.3;
    x.push_back(xi);
    e.nodes.push_back({-static_cast<int>(i) - 1});
    val.push_back(xi);
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
      e.nodes.push_back({static_cast<int>(k), static_cast<int>(a)});
      val.push_back(apply_unary(k, val[a]));
      depth.push_back(depth[a] + 1);
    } else {
      const int k = static_cast<int>(rng() % binary_count);
      const std::size_t b = any(rng);
      if (!binary_ok(k, val[a], val[b])) continue;
      e.nodes.push_back({static_cast<int>(unary_count) + k, static_cast<int>(a), static_cast<int>(b)});
      val.push_back(apply_binary(k, val[a], val[b]));
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

void run_block(int block) {
  const std::uint64_t cases = env("SLOPE_RANDOM_CASES", 2000) / 4;
  const std::uint64_t seed0 = env("SLOPE_RANDOM_SEED", 1);
  int passed = 0, cannot = 0;
  for (std::uint64_t c = 0; c < cases; ++c) {
    const std::uint64_t seed = seed0 * 1000003 + static_cast<std::uint64_t>(block) * cases + c;
    std::vector<double> x;
    const Expression e = generate(seed, x);
    auto f = [&e](const auto& v) { return evaluate(e, v); };
    const auto r = slope::check::gradient(f, x);
    if (r.status == slope::check::Status::fail) {
      FAIL_CHECK(fmt::format("seed {}: x = [{}]\n{}\n{}", seed, fmt::join(x, ", "), to_string(e),
                             r));
    } else if (r.status == slope::check::Status::cannot_check) {
      ++cannot;
    } else {
      ++passed;
    }
  }
  MESSAGE(fmt::format("block {}: {} cases, {} pass, {} cannot check", block, cases, passed, cannot));
  CHECK(passed >= static_cast<int>(cases * 9 / 10));
}

}  // namespace

TEST_CASE("random compositions, block 0") { run_block(0); }
TEST_CASE("random compositions, block 1") { run_block(1); }
TEST_CASE("random compositions, block 2") { run_block(2); }
TEST_CASE("random compositions, block 3") { run_block(3); }
