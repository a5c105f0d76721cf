// program.cpp - generating and printing the fuzzer's programs.
//
// Everything here is a pure function of the seed: a splitmix64 generator and
// integer arithmetic only (no <random> distributions, whose results differ
// between standard libraries), so a seed replays the same program anywhere.
#include "fuzz.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace slope_fuzz {
namespace {

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

struct Rng {
  std::uint64_t state;
  std::uint64_t next() { return mix(state += 0x9E3779B97F4A7C15u); }
  /// Uniform in [0, n) (n < 2^32: the bias is below 2^-32).
  int below(int n) { return static_cast<int>((next() >> 32) * static_cast<std::uint64_t>(n) >> 32); }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool chance(double p) { return uniform() < p; }
  template <class C>
  auto pick(const C& c) {
    return c[static_cast<std::size_t>(below(static_cast<int>(std::size(c))))];
  }
};

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// The extreme values: signed zeros, subnormals, huge and tiny numbers,
/// infinities, NaN, the edges of double's range and of the primitives'
/// branches; then every kink, singularity and finite domain end of the
/// primitive tables (with their neighbours), so that a new primitive's edges
/// are drawn too.
const std::vector<double>& special_values() {
  static const std::vector<double> pool = [] {
    std::vector<double> v = {
        0.0, -0.0, 4.9e-324, -4.9e-324, 2.2e-310, -2.2e-310,
        std::numeric_limits<double>::min(), -std::numeric_limits<double>::min(),
        1e-300, -1e-300, 1e300, -1e300, 1e-200, -1e-200, 1e200, -1e200,
        1e155, -1e155, 1e-155, -1e-155, 1.3e154, -1.3e154,
        std::numeric_limits<double>::max(), -std::numeric_limits<double>::max(),
        inf, -inf, nan, -nan,
        1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 1e15, -1e15, 1e16, 0x1p53, 1e-8, -1e-8, 1e-17,
        std::nextafter(1.0, 0.0), std::nextafter(1.0, 2.0), std::nextafter(-1.0, 0.0),
        std::nextafter(-1.0, -2.0),
        0.55, std::nextafter(0.55, 0.0), -0.55,           // tanh's polynomial threshold
        -0.6931471805599453, -0.6931471805599454,         // expm1's switch
        709.78, 710.0, -708.0, -745.0, -745.2, -1074.0, -1075.0, 1023.9, 1024.0, 1024.3, 1025.0,
        36.74, 37.0, -37.0, 19.06, -19.06, 40.0, -40.0, 720.0, -720.0, 750.0, -750.0,
        1.5707963267948966, -1.5707963267948966, 3.141592653589793, 6.283185307179586,
        26.6, -26.6, 27.3,  // erf/erfc tails
    };
    auto add_edge = [&v](double x) {
      if (!std::isfinite(x)) return;
      v.push_back(x);
      v.push_back(std::nextafter(x, -inf));
      v.push_back(std::nextafter(x, inf));
    };
    auto add_block = [&](auto id) {
      using P = typename decltype(id)::type;
      if constexpr (requires { P::kinks; })
        for (double k : P::kinks) add_edge(k);
      if constexpr (requires { P::singularities; })
        for (double s : P::singularities) add_edge(s);
      if constexpr (requires { P::domain; }) {
        add_edge(P::domain.lo);
        add_edge(P::domain.hi);
      }
    };
    for (std::size_t k = 0; k < unary_count; ++k) visit_type<all_unary>(k, add_block);
    return v;
  }();
  return pool;
}

double ordinary_value(Rng& r) {
  static constexpr double nice[] = {0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 0.25, 3.0, 0.1, 0.9, -0.9,
                                    0.75, 10.0, -3.0, 0.3, 1.5};
  switch (r.below(8)) {
    case 0:
    case 1:
    case 2:
    case 3: return r.uniform(-3.0, 3.0);
    case 4:
    case 5: return (r.chance(0.5) ? 1.0 : -1.0) * std::pow(10.0, r.uniform(-4.0, 4.0));
    case 6: return r.pick(nice);
    default: return r.uniform();  // probabilities, asin's domain, ...
  }
}

double special_value(Rng& r) {
  const std::vector<double>& pool = special_values();
  double x = pool[static_cast<std::size_t>(r.below(static_cast<int>(pool.size())))];
  if (r.chance(0.1) && std::isfinite(x)) x = std::nextafter(x, r.chance(0.5) ? inf : -inf);
  return x;
}

/// An input value: the regime sets how often it is an extreme one.
double draw_input(Rng& r, int regime) {
  static constexpr double p_special[] = {0.0, 0.3, 0.7};
  return r.chance(p_special[regime]) ? special_value(r) : ordinary_value(r);
}
/// A constant operand: extremes less often than for inputs.
double draw_constant(Rng& r, int regime) {
  static constexpr double p_special[] = {0.0, 0.15, 0.4};
  return r.chance(p_special[regime]) ? special_value(r) : ordinary_value(r);
}

/// An earlier value: mostly the newest (chains grow deep), sometimes one of
/// the last few, sometimes any (shared subexpressions).
int pick_ref(Rng& r, int n) {
  switch (r.below(4)) {
    case 0:
    case 1: return n - 1;
    case 2: return n - 1 - r.below(std::min(3, n));
    default: return r.below(n);
  }
}

Operand value_operand(Rng& r, int n) { return {Form::value, pick_ref(r, n), 0.0}; }
/// An operand: an earlier value with probability pv, a plain number with
/// probability pn, else a constant Var.
Operand draw_operand(Rng& r, int n, int regime, double pv, double pn) {
  const double u = r.uniform();
  if (u < pv) return value_operand(r, n);
  if (u < pv + pn) return {Form::number, 0, draw_constant(r, regime)};
  return {Form::constant, 0, draw_constant(r, regime)};
}

Params draw_params(Rng& r, std::size_t k) {
  Params q;
  visit_type<all_unary>(k, [&](auto id) {
    using P = typename decltype(id)::type;
    P p{};
    if constexpr (requires { p.target; }) {
      static constexpr double targets[] = {1.0, 0.0, 0.3, 0.5};
      q.has_target = true;
      q.target = r.chance(0.8) ? r.pick(targets) : r.uniform();
    }
    if constexpr (requires { p.slope; }) {
      static constexpr double slopes[] = {0.2, 0.0, 0.5, 1.0, 1e-3};
      if ((q.has_slope = r.chance(0.5))) q.slope = r.pick(slopes);
    }
    if constexpr (requires { p.at_kink; }) {
      static constexpr double at_kink[] = {0.0, 0.5, 1.0};
      if ((q.has_at_kink = r.chance(0.3))) q.at_kink = r.pick(at_kink);
    }
  });
  return q;
}

Step draw_step(Rng& r, int n, int regime) {
  Step s;
  const int u = r.below(100);
  if (u < 34) {
    s.kind = Kind::unary;
    s.op = r.below(static_cast<int>(unary_count));
    s.params = draw_params(r, static_cast<std::size_t>(s.op));
    s.a = {r.chance(0.03) ? Operand{Form::constant, 0, draw_constant(r, regime)}
                          : value_operand(r, n)};
  } else if (u < 68) {
    s.kind = u < 52 ? Kind::binary : Kind::arith;
    s.op = s.kind == Kind::binary ? r.below(static_cast<int>(binary_count)) : r.below(4);
    Operand x = draw_operand(r, n, regime, 0.8, 0.1);
    Operand y = draw_operand(r, n, regime, 0.55, 0.3);
    if (x.form == Form::number && y.form == Form::number) x = value_operand(r, n);
    if (r.chance(0.25)) std::swap(x, y);
    s.a = {x, y};
  } else if (u < 76) {
    s.kind = Kind::compound;
    s.op = r.below(4);
    s.a = {value_operand(r, n), draw_operand(r, n, regime, 0.6, 0.3)};
  } else if (u < 79) {
    s.kind = Kind::negate;
    s.a = {value_operand(r, n)};
  } else if (u < 80) {
    s.kind = Kind::plus;
    s.a = {value_operand(r, n)};
  } else if (u < 88) {
    s.kind = Kind::sum;
    s.op = r.below(4);
    const int terms = 2 + r.below(4);
    for (int i = 0; i < terms; ++i) s.a.push_back(draw_operand(r, n, regime, 0.85, 0.0));
  } else if (u < 95) {
    s.kind = Kind::dot;
    s.op = r.below(4);
    const int terms = 1 + r.below(5);
    const bool var_b = s.op == 1 || s.op == 3;
    for (int i = 0; i < terms; ++i) {
      s.a.push_back(draw_operand(r, n, regime, 0.85, 0.0));
      s.b.push_back(var_b ? draw_operand(r, n, regime, 0.7, 0.0)
                          : Operand{Form::number, 0, draw_constant(r, regime)});
    }
    if (s.op <= 1 && r.chance(0.6)) {
      s.has_c = true;
      s.c = draw_operand(r, n, regime, 0.67, 0.0);
    }
  } else if (u < 97) {
    s.kind = Kind::accumulate;
    const int terms = 2 + r.below(4);
    s.op = r.below(4) + 4 * r.below(1 << terms);
    for (int i = 0; i < terms; ++i) {
      s.a.push_back(value_operand(r, n));
      s.b.push_back(draw_operand(r, n, regime, 0.6, 0.3));
    }
  } else {
    s.kind = Kind::fma;
    for (int i = 0; i < 3; ++i) s.a.push_back(draw_operand(r, n, regime, 0.6, 0.25));
    if (std::none_of(s.a.begin(), s.a.end(), [](const Operand& o) { return o.form == Form::value; }))
      s.a[static_cast<std::size_t>(r.below(3))] = value_operand(r, n);
  }
  return s;
}

template <class Tuple>
std::string_view type_name(std::size_t k) {
  std::string_view name = "?";
  visit_type<Tuple>(k, [&](auto id) { name = decltype(id)::type::name; });
  return name;
}

std::string operand(const Operand& o) {
  switch (o.form) {
    case Form::value: return fmt::format("v{}", o.ref);
    case Form::number: return number(o.number);
    default: return fmt::format("C({})", number(o.number));
  }
}

std::string operands(const std::vector<Operand>& os) {
  std::string s;
  for (std::size_t i = 0; i < os.size(); ++i) s += (i ? ", " : "") + operand(os[i]);
  return s;
}

constexpr const char* arith_ops[] = {"+", "-", "*", "/"};

std::string step_text(const Step& s, std::size_t index) {
  const std::string v = fmt::format("v{} = ", index);
  switch (s.kind) {
    case Kind::unary: {
      std::string params;
      auto add = [&](const char* name, double x) {
        params += fmt::format("{}{}={}", params.empty() ? "{" : ", ", name, number(x));
      };
      if (s.params.has_target) add("target", s.params.target);
      if (s.params.has_slope) add("slope", s.params.slope);
      if (s.params.has_at_kink) add("at_kink", s.params.at_kink);
      if (!params.empty()) params += "}";
      return v + fmt::format("{}{}({})", type_name<all_unary>(static_cast<std::size_t>(s.op)),
                             params, operand(s.a[0]));
    }
    case Kind::binary:
      return v + fmt::format("{}({}, {})", type_name<all_binary>(static_cast<std::size_t>(s.op)),
                             operand(s.a[0]), operand(s.a[1]));
    case Kind::arith:
      return v + fmt::format("{} {} {}", operand(s.a[0]), arith_ops[s.op], operand(s.a[1]));
    case Kind::compound:
      return v + fmt::format("{}; v{} {}= {}", operand(s.a[0]), index, arith_ops[s.op],
                             operand(s.a[1]));
    case Kind::negate: return v + "-" + operand(s.a[0]);
    case Kind::plus: return v + "+" + operand(s.a[0]);
    case Kind::sum: {
      static constexpr const char* forms[] = {"sum(span[{}])", "sum({{{}}})", "sum({})",
                                              "sum(vector[{}])"};
      return v + fmt::format(fmt::runtime(forms[s.op]), operands(s.a));
    }
    case Kind::dot: {
      const char* kind = s.op <= 1 ? "span" : "vector";
      std::string t = fmt::format("dot({}[{}], {}[{}]", kind, operands(s.a), kind, operands(s.b));
      if (s.has_c) t += ", " + operand(s.c);
      return v + t + ")";
    }
    case Kind::fma: return v + fmt::format("fma({})", operands(s.a));
    case Kind::accumulate: {
      static constexpr const char* shapes[] = {"{} {}= {} * {}", "{0} = {0} {1} {2} * {3}",
                                               "t = {2} * {3}; {0} {1}= move(t)", "{} {}= {}"};
      const std::string r = fmt::format("v{}", index);
      std::string t = v + fmt::format("{} * {}", operand(s.a[0]), operand(s.b[0]));
      for (std::size_t i = 1; i < s.a.size(); ++i)
        t += "; " + fmt::format(fmt::runtime(shapes[s.op & 3]), r,
                                ((s.op >> 2) >> i & 1) != 0 ? "-" : "+", operand(s.a[i]),
                                operand(s.b[i]));
      return t;
    }
  }
  return v + "?";
}

}  // namespace

std::string number(double x) { return fmt::format("{}", x); }
std::string number_hex(double x) { return fmt::format("{} ({:a})", x, x); }

std::uint64_t program_seed(std::uint64_t base, std::uint64_t counter) {
  // mix is a bijection, so distinct (base * odd + counter) give distinct seeds.
  return mix(base * 0xD1B54A32D192ED03u + counter);
}

Program generate(std::uint64_t seed) {
  Rng r{seed};
  Program p;
  p.seed = seed;
  const int u = r.below(10);
  p.regime = u < 4 ? 0 : u < 7 ? 1 : 2;
  const int inputs = 2 + r.below(3);
  for (int i = 0; i < inputs; ++i) p.inputs.push_back(draw_input(r, p.regime));
  const int steps = 1 + r.below(16);
  for (int i = 0; i < steps; ++i)
    p.steps.push_back(draw_step(r, static_cast<int>(p.values()), p.regime));
  return p;
}

std::string inputs_to_string(const Program& p) {
  std::string s;
  for (std::size_t i = 0; i < p.inputs.size(); ++i)
    s += fmt::format("  v{} = {}\n", i, number_hex(p.inputs[i]));
  return s;
}

std::string to_string(const Program& p) {
  static constexpr const char* regimes[] = {"ordinary", "some extreme", "mostly extreme"};
  std::string s = fmt::format("program {:#018x}: {} inputs, {} steps, {} values\n", p.seed,
                              p.inputs.size(), p.steps.size(), regimes[p.regime]);
  for (std::size_t i = 0; i < p.inputs.size(); ++i)
    s += fmt::format("  v{} = input {}\n", i, number(p.inputs[i]));
  for (std::size_t i = 0; i < p.steps.size(); ++i)
    s += "  " + step_text(p.steps[i], p.inputs.size() + i) + "\n";
  s += fmt::format("  output v{}\n", p.values() - 1);
  return s;
}

std::string step_name(const Step& s) {
  switch (s.kind) {
    case Kind::unary: return std::string(type_name<all_unary>(static_cast<std::size_t>(s.op)));
    case Kind::binary: return std::string(type_name<all_binary>(static_cast<std::size_t>(s.op)));
    case Kind::arith: return fmt::format("operator{}", arith_ops[s.op]);
    case Kind::compound: return fmt::format("operator{}=", arith_ops[s.op]);
    case Kind::negate: return "unary -";
    case Kind::plus: return "unary +";
    case Kind::sum: {
      static constexpr const char* forms[] = {"sum(span)", "sum({...})", "sum(a, b, ...)",
                                              "sum(vector)"};
      return forms[s.op];
    }
    case Kind::dot: {
      static constexpr const char* forms[] = {"dot(span, numbers)", "dot(span, Vars)",
                                              "dot(vector, numbers)", "dot(vector, Vars)"};
      return forms[s.op];
    }
    case Kind::fma: return "fma";
    case Kind::accumulate: {
      static constexpr const char* shapes[] = {"r += a * b", "r = r + a * b", "r += move(t)",
                                               "r += a"};
      return shapes[s.op & 3];
    }
  }
  return "?";
}

}  // namespace slope_fuzz
