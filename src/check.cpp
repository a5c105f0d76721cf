// check.cpp - numerical differentiation, primitive sweeps, gradient checks
// and their reports, in Boost.Multiprecision, compiled once.
#include "slope/check.hpp"

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <limits>
#include <mutex>
#include <random>
#include <vector>

#include <boost/math/constants/constants.hpp>
#include <fmt/format.h>

namespace slope::check {

namespace {
constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
// 2^-11 of the smallest subnormal: enough to tell which double is nearest.
const Real100 tiny_abs = ldexp(Real100(1), -1085);

// Boost 1.74's numeric_limits for cpp_bin_float numbers (cpp_bin_float.hpp,
// around its line 1850) compute epsilon, round_error, min, max, infinity
// and quiet_NaN on first use into function-local statics, std::pair<bool,
// number> value, with a plain `if (!value.first) { value.first = true; ...
// }`: not thread-safe. A data_initializer static member is meant to call
// them all before main, but for number<B, et_on> it calls number<B>'s, the
// default et_off, so the et_on statics stay unset until a thread needs one,
// and Boost's own functions ask for the et_on ones (eval_cos, eval_sin,
// eval_exp, ... return std::numeric_limits<number<T, et_on>>::quiet_NaN()
// for a NaN or an argument they cannot reduce). Two slope-check threads
// doing so for the first time at once race (ThreadSanitizer:
// cpp_bin_float.hpp:1956 and :121, from Cos::forward on 100 digits). Calling
// each one here, once, sets them; afterwards they are only read.
template <class Backend, boost::multiprecision::expression_template_option ET>
void initialize_limits() {
  using limits = std::numeric_limits<boost::multiprecision::number<Backend, ET>>;
  (void)limits::epsilon();
  (void)limits::round_error();
  (void)(limits::min)();
  (void)(limits::max)();
  (void)limits::infinity();
  (void)limits::quiet_NaN();
}

template <class R>
void initialize_limits() {
  initialize_limits<typename R::backend_type, boost::multiprecision::et_on>();
  initialize_limits<typename R::backend_type, boost::multiprecision::et_off>();
}
}  // namespace

void initialize_multiprecision() {
  static std::once_flag once;
  std::call_once(once, [] {
    initialize_limits<Real50>();
    initialize_limits<Real100>();
    initialize_limits<Real400>();
  });
}

template <class R>
NumericalDerivative<R> derivative(const std::function<R(const R&)>& f, const R& x, Side side,
                                  const R& step) {
  using std::abs;
  initialize_multiprecision();
  // Ridders' scheme: a Neville tableau of difference quotients for steps
  // h, h/2, h/4, ..., each column eliminating the next power of h from the
  // error expansion. Central differences have only even powers (ratio 4 per
  // column); one-sided ones have all powers (ratio 2).
  constexpr int levels = 16;
  const R ratio = side == Side::central ? R(4) : R(2);
  const R eps = std::numeric_limits<R>::epsilon();
  R h = step > 0 ? step : R(ldexp(R(1), -6) * (abs(x) > 1 ? abs(x) : R(1)));
  R fmax = 0;  // the largest |f| seen: it sets the rounding floor
  auto value = [&](const R& z) {
    R v = f(z);
    if (abs(v) > fmax) fmax = abs(v);
    return v;
  };
  const R fx = side == Side::central ? R(0) : value(x);
  auto quotient = [&](const R& hh) -> R {
    switch (side) {
      case Side::left:
        return (fx - value(x - hh)) / hh;
      case Side::right:
        return (value(x + hh) - fx) / hh;
      default:
        return (value(x + hh) - value(x - hh)) / (2 * hh);
    }
  };
  const R bad_error = std::numeric_limits<R>::infinity();
  const R early_exit = R(1e-35);
  R q = quotient(h);
  // Outside f's domain (or past an overflow) at this step: shrink it.
  for (int tries = 0; tries < 40 && !isfinite(q); ++tries) {
    h /= 64;
    q = quotient(h);
  }
  if (!isfinite(q)) return {std::numeric_limits<R>::quiet_NaN(), bad_error, R(0)};
  // A difference quotient's rounding error is about eps max|f| / h; the
  // extrapolation amplifies it by a bounded factor (below 8 for both ratios).
  auto floor_at = [&](const R& hh) { return R(16 * eps * fmax / hh); };
  std::vector<std::vector<R>> a(levels, std::vector<R>(levels));
  a[0][0] = q;
  NumericalDerivative<R> best{q, bad_error, floor_at(h)};
  for (int i = 1; i < levels; ++i) {
    h /= 2;
    a[0][i] = quotient(h);
    if (!isfinite(a[0][i])) break;
    R fac = ratio;
    for (int j = 1; j <= i; ++j) {
      a[j][i] = (a[j - 1][i] * fac - a[j - 1][i - 1]) / (fac - 1);
      fac *= ratio;
      const R e1 = abs(a[j][i] - a[j - 1][i]);
      const R e2 = abs(a[j][i] - a[j - 1][i - 1]);
      const R rounding = floor_at(h);
      const R err = (e1 > e2 ? e1 : e2) + rounding;
      if (err <= best.error) best = {a[j][i], err, rounding};
    }
    // Stop once the diagonal grows apart again: rounding has taken over.
    if (abs(a[i][i] - a[i - 1][i - 1]) >= 2 * best.error) break;
    // Or once three levels agree to 10 digits beyond what any check asks of
    // a reference (1e-25 relative): more levels refine what no check reads.
    // (A straight line gives equal quotients at every step: without this, the
    // tableau would run to its last level.)
    if (i >= 2 && best.error <= early_exit * abs(best.value)) break;
  }
  return best;
}

template NumericalDerivative<Real50> derivative(const std::function<Real50(const Real50&)>&,
                                                const Real50&, Side, const Real50&);
template NumericalDerivative<Real100> derivative(const std::function<Real100(const Real100&)>&,
                                                 const Real100&, Side, const Real100&);
template NumericalDerivative<Real400> derivative(const std::function<Real400(const Real400&)>&,
                                                 const Real400&, Side, const Real400&);

namespace {

template <class R>
bool resolved(const NumericalDerivative<R>& d, double absolute = 0) {
  if (!isfinite(d.value) || !isfinite(d.error)) return false;
  return d.error <= 1e-25 * abs(d.value) || Real100(d.error) <= tiny_abs ||
         d.error <= absolute;
}

template <class R>
bool rounding_limited(const NumericalDerivative<R>& d) {
  return isfinite(d.error) && d.rounding * 2 >= d.error;
}

template <class R>
Reference to_reference(const NumericalDerivative<R>& d, int digits) {
  return {Real100(d.value), Real100(d.error), digits, {}};
}

// Whether a resolved Ridders reference agrees with a closed form: within 16
// times its error estimate, plus 1e-28 relative for the closed form's own
// rounding in 100 digits, or both below what tells subnormals apart. The one
// acceptance test of every cross-check of a formula against a numerical
// derivative (first and second derivatives, partials and second partials).
bool agrees(const Reference& ref, const Real100& exact) {
  const Real100 gap = abs(ref.value - exact);
  return gap <= 16 * ref.error + 1e-28 * abs(exact) || gap <= tiny_abs;
}

}  // namespace

Reference staged_derivative(const Functions& f, double x, Side side, double step, int max_digits,
                            double absolute) {
  // 50 digits, retried once with a smaller step if truncation limited it.
  auto d50 = derivative<Real50>(f.f50, Real50(x), side, Real50(step));
  if (resolved(d50, absolute)) return to_reference(d50, 50);
  if (isfinite(d50.value) && !rounding_limited(d50)) {
    const double h = step > 0 ? step : std::ldexp(1.0, -6) * std::fmax(1.0, std::fabs(x));
    d50 = derivative<Real50>(f.f50, Real50(x), side, Real50(std::ldexp(h, -12)));
    if (resolved(d50, absolute)) return to_reference(d50, 50);
  }
  if (!isfinite(d50.value)) {
    Reference r{Real100(nan), Real100(inf), 0};
    r.why = "the function is not finite near x in 50 digits";
    return r;
  }
  if (max_digits < 100 || !rounding_limited(d50)) {
    Reference r = to_reference(d50, 0);
    r.why = fmt::format("the 50-digit estimate has relative error {:.2g} (truncation-limited)",
                        static_cast<double>(d50.error / abs(d50.value)));
    return r;
  }
  const auto d100 = derivative<Real100>(f.f100, Real100(x), side, Real100(step));
  if (resolved(d100, absolute)) return to_reference(d100, 100);
  if (max_digits >= 400 && f.f400 && isfinite(d100.value) && rounding_limited(d100)) {
    const auto d400 = derivative<Real400>(f.f400, Real400(x), side, Real400(step));
    if (resolved(d400, absolute)) return to_reference(d400, 400);
    Reference r = to_reference(d400, 0);
    r.why = fmt::format("even 400 digits leave an error estimate of {:.2g} on {:.3g}",
                        static_cast<double>(d400.error), static_cast<double>(d400.value));
    return r;
  }
  Reference r = to_reference(d100, 0);
  r.why = fmt::format("the 100-digit estimate {:.3g} has error {:.2g}",
                      static_cast<double>(d100.value), static_cast<double>(d100.error));
  return r;
}

double ulp_error(double computed, const Real50& exact) {
  using boost::multiprecision::isinf;
  using boost::multiprecision::isnan;
  if (std::isnan(computed) || isnan(exact)) return nan;
  const double nearest = static_cast<double>(exact);
  if (std::isinf(nearest) || std::isinf(computed))
    return computed == nearest ? 0.0 : inf;
  const double mag = std::fabs(nearest);
  const double ulp = mag < std::numeric_limits<double>::min()
                         ? std::numeric_limits<double>::denorm_min()
                         : std::ldexp(1.0, std::ilogb(mag) - 52);
  const Real50 diff = abs(Real50(computed) - exact);
  return static_cast<double>(diff / ulp);
}

double relative_error(double computed, const Real50& exact) {
  using boost::multiprecision::isnan;
  if (std::isnan(computed) || isnan(exact)) return nan;
  if (boost::multiprecision::isinf(exact) || std::isinf(computed))
    return Real50(computed) == exact ? 0.0 : inf;
  const Real50 diff = abs(Real50(computed) - exact);
  if (exact == 0) return static_cast<double>(diff);
  return static_cast<double>(diff / abs(exact));
}

std::string_view to_string(Status s) {
  switch (s) {
    case Status::pass:
      return "PASS";
    case Status::fail:
      return "FAIL";
    default:
      return "CANNOT CHECK";
  }
}

Tolerance documented_tolerance(std::string_view name) {
  // Measured with slope-check over the full sweep (README, "Verification"),
  // rounded up; the four activations have the targets of issue 3.
  struct Entry {
    std::string_view name;
    Tolerance t;
  };
  static const Entry entries[] = {
      {"sigmoid", {3, 4, 2}}, {"tanh", {3, 4, 2}},   {"relu", {3, 4, 2}},
      {"leaky_relu", {3, 4, 2}}, {"softplus", {3, 4, 2}}, {"exp", {2, 2, 2}},
      {"exp2", {2, 2, 2}},    {"expm1", {2, 3, 2}},   {"log", {2, 2, 2}},
      {"log2", {2, 2, 2}},    {"log10", {2, 2, 2}},   {"log1p", {2, 2, 2}},
      {"sqrt", {2, 2, 2}},    {"cbrt", {3, 5, 2}},    {"sin", {2, 2, 2}},
      {"cos", {2, 2, 2}},     {"tan", {2, 3, 2}},     {"asin", {2, 3, 2}},
      {"acos", {2, 3, 2}},    {"atan", {2, 3, 2}},    {"sinh", {2, 2, 2}},
      {"cosh", {2, 2, 2}},    {"asinh", {2, 3, 2}},   {"acosh", {2, 3, 2}},
      {"atanh", {2, 3, 2}},   {"erf", {2, 3, 2}},     {"erfc", {3, 3, 2}},
      {"abs", {0, 0, 0}},     {"neg", {0, 0, 0}},     {"add", {1, 0, 1}},
      {"sub", {1, 0, 1}},     {"mul", {1, 0, 1}},     {"div", {1, 2, 2}},
      {"pow", {2, 3, 2}},     {"min", {0, 0, 0}},     {"max", {0, 0, 0}},
      {"binary_cross_entropy", {2, 2, 2}},
  };
  for (const Entry& e : entries)
    if (e.name == name) return e.t;
  return Tolerance{};
}

// ========================================================== closed forms ===

namespace {

template <class F>
std::pair<Functions, std::string> in_all_precisions(F f, std::string formula) {
  Functions fs{[f](const Real50& z) { return Real50(f(z)); },
               [f](const Real100& z) { return Real100(f(z)); },
               [f](const Real400& z) { return Real400(f(z)); }};
  return {std::move(fs), std::move(formula)};
}

template <class R>
R square(const R& c) {
  return R(c * c);
}

}  // namespace

std::optional<std::pair<Functions, std::string>> closed_form_derivative(std::string_view name) {
  // Each formula is f' from the mathematics, in the form that is simplest to
  // evaluate in many digits; none shares a step with slope's double rule.
  // Overflow of an intermediate (cosh(z/2) at z = 1e300) is harmless: Boost's
  // range is far wider than a double's, and 1/inf is the 0 a double rounds to.
  // (Every formula returns its own type R: with Real400's expression
  // templates, an expression returned unevaluated would outlive its operands.)
  using boost::math::constants::ln_ten;
  using boost::math::constants::ln_two;
  using boost::math::constants::pi;
  std::optional<std::pair<Functions, std::string>> out;
  auto entry = [&](std::string_view n, std::string_view formula, auto f) {
    if (!out && n == name) out = in_all_precisions(f, std::string(formula));
  };
  entry("sigmoid", "1/(4 cosh^2(z/2))",
        []<class R>(const R& x) { return R(1 / (4 * square(R(cosh(x / 2))))); });
  entry("tanh", "1/cosh^2(z)", []<class R>(const R& x) { return R(1 / square(R(cosh(x)))); });
  entry("softplus", "1/(1+e^-z)", []<class R>(const R& x) { return R(1 / (1 + R(exp(-x)))); });
  entry("exp", "e^x", []<class R>(const R& x) { return R(exp(x)); });
  entry("exp2", "ln2 e^(x ln2)",
        []<class R>(const R& x) { return R(ln_two<R>() * R(exp(R(x * ln_two<R>())))); });
  entry("expm1", "e^x", []<class R>(const R& x) { return R(exp(x)); });
  entry("log", "1/x", []<class R>(const R& x) { return R(1 / x); });
  entry("log2", "1/(x ln2)", []<class R>(const R& x) { return R(1 / (x * ln_two<R>())); });
  entry("log10", "1/(x ln10)", []<class R>(const R& x) { return R(1 / (x * ln_ten<R>())); });
  entry("log1p", "1/(1+x)", []<class R>(const R& x) { return R(1 / (1 + x)); });
  entry("sqrt", "sqrt(x)/(2x)", []<class R>(const R& x) { return R(R(sqrt(x)) / (2 * x)); });
  entry("cbrt", "1/(3 cbrt(x)^2)",
        []<class R>(const R& x) { return R(1 / (3 * square(R(cbrt(x))))); });
  entry("sin", "cos(x)", []<class R>(const R& x) { return R(cos(x)); });
  entry("cos", "-sin(x)", []<class R>(const R& x) { return R(-R(sin(x))); });
  entry("tan", "1/cos^2(x)", []<class R>(const R& x) { return R(1 / square(R(cos(x)))); });
  entry("asin", "1/sqrt(1-x^2)", []<class R>(const R& x) { return R(1 / R(sqrt(R(1 - x * x)))); });
  entry("acos", "-1/sqrt(1-x^2)",
        []<class R>(const R& x) { return R(-1 / R(sqrt(R(1 - x * x)))); });
  entry("atan", "1/(1+x^2)", []<class R>(const R& x) { return R(1 / (1 + x * x)); });
  entry("sinh", "cosh(x)", []<class R>(const R& x) { return R(cosh(x)); });
  entry("cosh", "sinh(x)", []<class R>(const R& x) { return R(sinh(x)); });
  entry("asinh", "1/sqrt(1+x^2)", []<class R>(const R& x) { return R(1 / R(sqrt(R(1 + x * x)))); });
  entry("acosh", "1/sqrt(x^2-1)", []<class R>(const R& x) { return R(1 / R(sqrt(R(x * x - 1)))); });
  entry("atanh", "1/(1-x^2)", []<class R>(const R& x) { return R(1 / (1 - x * x)); });
  entry("erf", "2/sqrt(pi) e^(-x^2)",
        []<class R>(const R& x) { return R(2 * R(exp(R(-x * x))) / R(sqrt(pi<R>()))); });
  entry("erfc", "-2/sqrt(pi) e^(-x^2)",
        []<class R>(const R& x) { return R(-2 * R(exp(R(-x * x))) / R(sqrt(pi<R>()))); });
  return out;
}

std::optional<std::pair<Functions, std::string>> closed_form_second_derivative(
    std::string_view name) {
  // f'' from the mathematics, as for closed_form_derivative: no formula
  // shares a step with the rule the tape evaluates in double.
  using boost::math::constants::ln_ten;
  using boost::math::constants::ln_two;
  using boost::math::constants::pi;
  std::optional<std::pair<Functions, std::string>> out;
  auto entry = [&](std::string_view n, std::string_view formula, auto f) {
    if (!out && n == name) out = in_all_precisions(f, std::string(formula));
  };
  auto cube = []<class R>(const R& c) { return R(c * c * c); };
  entry("sigmoid", "-sinh(z/2)/(4 cosh^3(z/2))", [cube]<class R>(const R& x) {
    return R(-R(sinh(x / 2)) / (4 * cube(R(cosh(x / 2)))));
  });
  entry("tanh", "-2 sinh(z)/cosh^3(z)",
        [cube]<class R>(const R& x) { return R(-2 * R(sinh(x)) / cube(R(cosh(x)))); });
  entry("softplus", "1/(4 cosh^2(z/2))",
        []<class R>(const R& x) { return R(1 / (4 * square(R(cosh(x / 2))))); });
  for (std::string_view linear : {"relu", "leaky_relu", "abs", "neg"})
    entry(linear, "0", []<class R>(const R& x) { return R(x * 0); });
  entry("exp", "e^x", []<class R>(const R& x) { return R(exp(x)); });
  entry("exp2", "ln2^2 e^(x ln2)", []<class R>(const R& x) {
    return R(square(ln_two<R>()) * R(exp(R(x * ln_two<R>()))));
  });
  entry("expm1", "e^x", []<class R>(const R& x) { return R(exp(x)); });
  entry("log", "-1/x^2", []<class R>(const R& x) { return R(-1 / square(x)); });
  entry("log2", "-1/(x^2 ln2)", []<class R>(const R& x) { return R(-1 / (square(x) * ln_two<R>())); });
  entry("log10", "-1/(x^2 ln10)",
        []<class R>(const R& x) { return R(-1 / (square(x) * ln_ten<R>())); });
  entry("log1p", "-1/(1+x)^2", []<class R>(const R& x) { return R(-1 / square(R(1 + x))); });
  entry("sqrt", "-1/(4 x sqrt(x))", []<class R>(const R& x) { return R(-1 / (4 * x * R(sqrt(x)))); });
  entry("cbrt", "-2/(9 x cbrt(x)^2)",
        []<class R>(const R& x) { return R(-2 / (9 * x * square(R(cbrt(x))))); });
  entry("sin", "-sin(x)", []<class R>(const R& x) { return R(-R(sin(x))); });
  entry("cos", "-cos(x)", []<class R>(const R& x) { return R(-R(cos(x))); });
  entry("tan", "2 sin(x)/cos^3(x)",
        [cube]<class R>(const R& x) { return R(2 * R(sin(x)) / cube(R(cos(x)))); });
  entry("asin", "x/(1-x^2)^(3/2)",
        [cube]<class R>(const R& x) { return R(x / cube(R(sqrt(R(1 - x * x))))); });
  entry("acos", "-x/(1-x^2)^(3/2)",
        [cube]<class R>(const R& x) { return R(-x / cube(R(sqrt(R(1 - x * x))))); });
  entry("atan", "-2x/(1+x^2)^2", []<class R>(const R& x) { return R(-2 * x / square(R(1 + x * x))); });
  entry("sinh", "sinh(x)", []<class R>(const R& x) { return R(sinh(x)); });
  entry("cosh", "cosh(x)", []<class R>(const R& x) { return R(cosh(x)); });
  entry("asinh", "-x/(1+x^2)^(3/2)",
        [cube]<class R>(const R& x) { return R(-x / cube(R(sqrt(R(1 + x * x))))); });
  entry("acosh", "-x/(x^2-1)^(3/2)",
        [cube]<class R>(const R& x) { return R(-x / cube(R(sqrt(R(x * x - 1))))); });
  entry("atanh", "2x/(1-x^2)^2", []<class R>(const R& x) { return R(2 * x / square(R(1 - x * x))); });
  entry("erf", "-4x/sqrt(pi) e^(-x^2)",
        []<class R>(const R& x) { return R(-4 * x * R(exp(R(-x * x))) / R(sqrt(pi<R>()))); });
  entry("erfc", "4x/sqrt(pi) e^(-x^2)",
        []<class R>(const R& x) { return R(4 * x * R(exp(R(-x * x))) / R(sqrt(pi<R>()))); });
  return out;
}

namespace detail {

bool closed_form_partials(std::string_view name, BinaryUnderTest& b) {
  // The partials away from ties (min, max) and, for pow, for x > 0.
  auto set = [&b](std::string formula, auto f) {
    b.partials50 = [f](const Real50& x1, const Real50& x2) { return f(x1, x2); };
    b.partials100 = [f](const Real100& x1, const Real100& x2) { return f(x1, x2); };
    b.derivative_formula = std::move(formula);
    return true;
  };
  // The second partials {f_11, f_12, f_22}, from the mathematics.
  auto second = [&b](std::string formula, auto f) {
    b.seconds50 = [f](const Real50& x1, const Real50& x2) { return f(x1, x2); };
    b.seconds100 = [f](const Real100& x1, const Real100& x2) { return f(x1, x2); };
    b.second_formula = std::move(formula);
  };
  auto zero = []<class R>(const R&, const R&) { return std::array<R, 3>{0, 0, 0}; };
  if (name == "add" || name == "sub" || name == "min" || name == "max") second("0, 0, 0", zero);
  if (name == "mul")
    second("0, 1, 0", []<class R>(const R&, const R&) { return std::array<R, 3>{0, 1, 0}; });
  if (name == "div")
    second("0, -1/x2^2, 2x1/x2^3", []<class R>(const R& a, const R& c) {
      return std::array<R, 3>{0, R(-1 / (c * c)), R(2 * a / (c * c * c))};
    });
  if (name == "pow")
    second("p(p-1)x^(p-2), x^(p-1)(1+p log x), x^p log^2 x", []<class R>(const R& x, const R& q) {
      const R l = log(x);
      return std::array<R, 3>{R(q * (q - 1) * R(pow(x, R(q - 2)))),
                              R(R(pow(x, R(q - 1))) * (1 + q * l)), R(R(pow(x, q)) * l * l)};
    });
  if (name == "add")
    return set("1, 1", []<class R>(const R&, const R&) { return std::array<R, 2>{1, 1}; });
  if (name == "sub")
    return set("1, -1", []<class R>(const R&, const R&) { return std::array<R, 2>{1, -1}; });
  if (name == "mul")
    return set("x2, x1", []<class R>(const R& a, const R& c) { return std::array<R, 2>{c, a}; });
  if (name == "div")
    return set("1/x2, -x1/x2^2", []<class R>(const R& a, const R& c) {
      return std::array<R, 2>{R(1 / c), R(-a / (c * c))};
    });
  if (name == "pow")
    return set("p x^(p-1), x^p log(x)", []<class R>(const R& x, const R& q) {
      return std::array<R, 2>{R(q * R(pow(x, R(q - 1)))), R(R(pow(x, q)) * R(log(x)))};
    });
  if (name == "min")
    return set("x1<x2 ? (1,0) : (0,1)", []<class R>(const R& a, const R& c) {
      return a < c ? std::array<R, 2>{1, 0} : std::array<R, 2>{0, 1};
    });
  if (name == "max")
    return set("x1>x2 ? (1,0) : (0,1)", []<class R>(const R& a, const R& c) {
      return a > c ? std::array<R, 2>{1, 0} : std::array<R, 2>{0, 1};
    });
  return false;
}

}  // namespace detail

// ========================================================= unary sweeps ===

namespace detail {

namespace {

double distance_to(const std::vector<double>& pts, double x) {
  double d = inf;
  for (double p : pts) d = std::min(d, std::fabs(x - p));
  return d;
}

bool is_kink(const UnaryUnderTest& p, double x) {
  return std::find(p.kinks.begin(), p.kinks.end(), x) != p.kinks.end();
}

// The largest step for a numerical derivative at x: small against x, inside
// the domain and clear of kinks and singularities.
double step_at(const UnaryUnderTest& p, double x) {
  double h = std::ldexp(1.0, -6) * std::fmax(1.0, std::fabs(x));
  if (std::isfinite(p.domain.lo)) h = std::min(h, std::fabs(x - p.domain.lo) / 2);
  if (std::isfinite(p.domain.hi)) h = std::min(h, std::fabs(p.domain.hi - x) / 2);
  h = std::min(h, distance_to(p.kinks, x) / 2);
  h = std::min(h, distance_to(p.singularities, x) / 2);
  // A step that is a fair fraction of a period (or many periods, at 1e10)
  // differences the wrong function.
  if (p.period > 0) h = std::min(h, p.period / 64);
  // Half the distance from a subnormal to its kink can round to 0, which
  // would mean "the default step": the smallest subnormal step is safe.
  return h > 0 ? h : std::numeric_limits<double>::denorm_min();
}

// The value in 100 digits, trusted only where the 50-digit evaluation agrees
// (it does not, e.g., where argument reduction needs more digits than either).
bool reference_value(const Functions& f, double x, Real100& out, std::string& why) {
  const Real100 v100 = f.f100(Real100(x));
  const Real50 v50 = f.f50(Real50(x));
  if (isnan(v100)) {
    why = "the function is NaN there in 100 digits";
    return false;
  }
  if (std::fabs(x) >= 0x1p40 && f.f400) {
    // Beyond 2^40 argument reduction (sin of 1e300) needs more digits than
    // 50 or 100 carry, and some functions misbehave (exp2 of -2^46 is -inf
    // in Boost.Multiprecision 1.74): the 400-digit value must agree too.
    // An overflow (exp(2^50)) is a result too: the value is beyond the
    // double range, and beyond Boost's, in both precisions.
    const Real100 v400(f.f400(Real400(x)));
    const bool agree = isinf(v100) || isinf(v400)
                           ? v400 == v100
                           : !isnan(v400) && (abs(v400 - v100) <= 1e-30 * abs(v400) ||
                                              abs(v400 - v100) <= tiny_abs);
    if (!agree) {
      why = "at this huge argument the 100- and 400-digit values disagree";
      return false;
    }
  }
  if (isinf(v100) || isinf(v50)) {
    if (Real100(v50) != v100) {
      why = "the 50- and 100-digit values disagree (one overflows)";
      return false;
    }
    out = v100;
    return true;
  }
  const Real100 diff = abs(v100 - Real100(v50));
  if (diff > 1e-30 * abs(v100) && diff > tiny_abs) {
    why = fmt::format("the 50- and 100-digit values differ by {:.2g} relative: the "
                      "multiprecision function is not accurate here",
                      static_cast<double>(diff / abs(v100)));
    return false;
  }
  out = v100;
  return true;
}

bool subnormal(const Real100& v) {
  const double d = std::fabs(static_cast<double>(v));
  return d < std::numeric_limits<double>::min();
}

std::string describe_x(double x) { return fmt::format("{:.17g}", x); }

void compare_derivative(PointCheck& c, double d, const Real100& exact, const Tolerance& tol) {
  c.derivative_ulps = ulp_error(d, Real50(exact));
  c.derivative_relative = relative_error(d, Real50(exact));
  c.derivative_subnormal = subnormal(exact);
  const double allowed = c.derivative_subnormal ? tol.subnormal_ulps : tol.derivative_ulps;
  if (!(c.derivative_ulps <= allowed)) {
    c.status = Status::fail;
    c.why += fmt::format("{}derivative {} is {:.3g} ULP from {:.17g}", c.why.empty() ? "" : "; ",
                         d, c.derivative_ulps, static_cast<double>(exact));
  }
}

// The derivative at x against the closed form f' (in 100 digits, validated
// against 50, and against 400 at huge arguments, as values are); with
// `cross_check`, Ridders' derivative of the forward pass must agree with it
// wherever it resolves (50 and 100 digits): that checks the formula.
PointCheck check_closed_form(const UnaryUnderTest& p, double x, const SweepOptions& options,
                             bool cross_check, PointCheck& c) {
  c.closed_form = true;
  Real100 exact;
  std::string why;
  if (!reference_value(p.derivative, x, exact, why)) {
    if (c.status == Status::pass) {
      c.status = Status::cannot_check;
      c.why = "cannot check the derivative here, because for its closed form " + why;
    }
    return c;
  }
  c.digits = 100;
  compare_derivative(c, c.derivative, exact, options.tolerance);
  if (!cross_check) return c;
  const Reference ref = staged_derivative(p.forward, x, Side::central, step_at(p, x),
                                          std::min(options.max_digits, 100));
  if (ref.digits == 0) return c;  // the tails: Ridders would need 400 digits or more
  if (agrees(ref, exact)) {
    c.cross_checked = true;
  } else {
    c.status = Status::fail;
    c.why += fmt::format("{}the closed form {} = {:.17g} disagrees with the numerical "
                         "derivative {:.17g} (error estimate {:.2g}): the formula or the "
                         "forward pass is wrong",
                         c.why.empty() ? "" : "; ", p.derivative_formula,
                         static_cast<double>(exact), static_cast<double>(ref.value),
                         static_cast<double>(ref.error));
  }
  return c;
}

}  // namespace

namespace {
PointCheck check_first(const UnaryUnderTest& p, double x, const SweepOptions& options,
                       bool cross_check) {
  PointCheck c;
  c.x = x;
  if (std::isnan(x)) {
    const auto [v, d] = p.tape(x);
    c.value = v;
    c.derivative = d;
    if (std::isnan(v)) {
      c.why = "NaN in, NaN out";
    } else {
      c.status = Status::fail;
      c.why = fmt::format("NaN input gave value {} (derivative {}), not NaN", v, d);
    }
    return c;
  }
  if (std::isinf(x)) {
    const bool inside = x > 0 ? p.domain.hi == inf : p.domain.lo == -inf;
    if (!inside) {
      c.status = Status::cannot_check;
      c.why = fmt::format("cannot check here, because {} is outside the domain", x);
      return c;
    }
    const auto [v, d] = p.tape(x);
    c.value = v;
    c.derivative = d;
    const Real100 limit = p.forward.f100(Real100(x));
    const double expected = static_cast<double>(limit);
    const bool value_ok = (std::isnan(expected) && std::isnan(v)) || expected == v;
    const bool derivative_ok = std::isnan(v) ? std::isnan(d) : !std::isnan(d);
    if (!value_ok || !derivative_ok) {
      c.status = Status::fail;
      c.why = fmt::format("at {}: value {} (expected {}), derivative {}", x, v, expected, d);
    } else {
      c.why = "the limit at infinity";
    }
    return c;
  }
  if (!p.domain.contains(x)) {
    c.status = Status::cannot_check;
    c.why = fmt::format("cannot check here, because x = {} is outside the domain of {}",
                        describe_x(x), p.name);
    return c;
  }
  if (is_kink(p, x)) {
    c.status = Status::cannot_check;
    c.why = fmt::format("cannot check here with a central difference, because x = {} is a "
                        "kink: see the kink check (one-sided derivatives)",
                        describe_x(x));
    return c;
  }
  const auto [v, d] = p.tape(x);
  c.value = v;
  c.derivative = d;
  Real100 value_ref;
  std::string why;
  if (!reference_value(p.forward, x, value_ref, why)) {
    c.status = Status::cannot_check;
    c.why = "cannot check here, because " + why;
    return c;
  }
  const Tolerance& tol = options.tolerance;
  c.value_ulps = ulp_error(v, Real50(value_ref));
  c.value_relative = relative_error(v, Real50(value_ref));
  c.value_subnormal = subnormal(value_ref);
  const double value_allowed = c.value_subnormal ? tol.subnormal_ulps : tol.value_ulps;
  if (!(c.value_ulps <= value_allowed)) {
    c.status = Status::fail;
    c.why = fmt::format("value {} is {:.3g} ULP from {:.17g}", v, c.value_ulps,
                        static_cast<double>(value_ref));
  }
  const bool endpoint = x == p.domain.lo || x == p.domain.hi;
  if (endpoint || distance_to(p.singularities, x) == 0) {
    c.digits = 0;
    if (c.status == Status::pass)
      c.why = "the derivative is not checked at a domain boundary or singularity";
    return c;
  }
  if (options.closed_forms && p.derivative.f50)
    return check_closed_form(p, x, options, cross_check, c);
  const Reference ref = staged_derivative(p.forward, x, Side::central, step_at(p, x),
                                          options.max_digits);
  c.digits = ref.digits;
  if (ref.digits == 0) {
    if (c.status == Status::pass) {
      c.status = Status::cannot_check;
      c.why = "cannot check the derivative here, because " + ref.why;
    }
    return c;
  }
  compare_derivative(c, d, ref.value, tol);
  return c;
}

// The true second derivative at x: the closed form where there is one (and
// `cross_check`: Ridders' derivative of the block's first-derivative rule
// must agree with it where it resolves), else Ridders on that rule. Returns
// false, with the reason in c.second_why (or a failure), where it cannot.
bool second_reference(const UnaryUnderTest& p, double x, const SweepOptions& options,
                      bool cross_check, PointCheck& c, Real100& exact) {
  if (options.closed_forms && p.second.f50) {
    std::string why;
    if (!reference_value(p.second, x, exact, why)) {
      c.second_why = "cannot check the second derivative here, because for its closed form " + why;
      return false;
    }
    c.second_digits = 100;
    c.second_closed_form = true;
    if (!cross_check) return true;
    const Reference ref = staged_derivative(p.first_rule, x, Side::central, step_at(p, x),
                                            std::min(options.max_digits, 100));
    if (ref.digits == 0) return true;
    if (agrees(ref, exact)) {
      c.second_cross_checked = true;
    } else {
      c.status = Status::fail;
      c.why += fmt::format("{}the closed form {} = {:.17g} disagrees with the numerical "
                           "derivative of the first-derivative rule, {:.17g} (error estimate "
                           "{:.2g}): the formula or the rule is wrong",
                           c.why.empty() ? "" : "; ", p.second_formula,
                           static_cast<double>(exact), static_cast<double>(ref.value),
                           static_cast<double>(ref.error));
    }
    return true;
  }
  const Reference ref = staged_derivative(p.first_rule, x, Side::central, step_at(p, x),
                                          options.max_digits);
  if (ref.digits == 0) {
    c.second_why = "cannot check the second derivative here, because " + ref.why;
    return false;
  }
  exact = ref.value;
  c.second_digits = ref.digits;
  return true;
}

// The second derivative the tape of Dual numbers gives at x, against the
// truth: NaN for NaN; not checked outside the domain, at its ends, at kinks
// (see check_kink) and singularities, and at +-inf.
void check_second(const UnaryUnderTest& p, double x, const SweepOptions& options,
                  bool cross_check, PointCheck& c) {
  if (!p.tape_second) return;
  if (std::isnan(x)) {
    c.second = p.tape_second(x);
    if (!std::isnan(c.second)) {
      c.status = Status::fail;
      c.why += fmt::format("{}NaN input gave the second derivative {}, not NaN",
                           c.why.empty() ? "" : "; ", c.second);
    }
    return;
  }
  if (!std::isfinite(x) || !p.domain.contains(x) || is_kink(p, x) || x == p.domain.lo ||
      x == p.domain.hi || distance_to(p.singularities, x) == 0)
    return;
  c.second = p.tape_second(x);
  Real100 exact;
  if (!second_reference(p, x, options, cross_check, c, exact)) return;
  const Tolerance& tol = options.tolerance;
  c.second_ulps = ulp_error(c.second, Real50(exact));
  c.second_relative = relative_error(c.second, Real50(exact));
  c.second_subnormal = subnormal(exact);
  const double allowed = c.second_subnormal ? tol.subnormal_ulps : tol.second_ulps;
  if (!(c.second_ulps <= allowed)) {
    c.status = Status::fail;
    c.why += fmt::format("{}second derivative {} is {:.3g} ULP from {:.17g}",
                         c.why.empty() ? "" : "; ", c.second, c.second_ulps,
                         static_cast<double>(exact));
  }
}
}  // namespace

PointCheck check_point(const UnaryUnderTest& p, double x, const SweepOptions& options,
                       bool cross_check) {
  initialize_multiprecision();
  PointCheck c = check_first(p, x, options, cross_check);
  check_second(p, x, options, cross_check, c);
  return c;
}

namespace {

void note(Worst& w, double ulps, double relative, double at, double at2 = nan) {
  if (ulps > w.ulps || (std::isnan(w.at) && ulps >= w.ulps)) {
    w.ulps = ulps;
    w.at = at;
    w.at2 = at2;
  }
  if (relative > w.relative) w.relative = relative;
}

void record_failure(PrimitiveReport& r, std::string msg) {
  r.status = Status::fail;
  if (r.failures.size() < 8) r.failures.push_back(std::move(msg));
}

std::vector<double> sweep_points(const UnaryUnderTest& p, const SweepOptions& o) {
  std::vector<double> pts;
  std::mt19937_64 rng(o.seed);
  const double lo = std::max(p.domain.lo, -750.0), hi = std::min(p.domain.hi, 750.0);
  for (int i = 0; i < o.grid; ++i) pts.push_back(lo + (hi - lo) * i / std::max(1, o.grid - 1));
  std::uniform_real_distribution<double> bend(-45.0, 45.0), mantissa(1.0, 2.0);
  for (int i = 0; i < o.bend; ++i) pts.push_back(bend(rng));
  for (int k = -1074; k <= 1023; k += std::max(1, o.binade_stride)) {
    for (double s : {1.0, -1.0}) {
      pts.push_back(s * std::ldexp(1.0, k));
      for (int m = 0; m < o.per_binade; ++m) pts.push_back(s * std::ldexp(mantissa(rng), k));
    }
  }
  pts.push_back(std::numeric_limits<double>::max());
  pts.push_back(-std::numeric_limits<double>::max());
  // Just inside finite domain ends, and the ends themselves.
  for (double b : {p.domain.lo, p.domain.hi}) {
    if (!std::isfinite(b)) continue;
    pts.push_back(b);
    for (int j = 1; j <= 52; ++j) {
      const double off = std::ldexp(std::fmax(1.0, std::fabs(b)), -j);
      pts.push_back(b + off);
      pts.push_back(b - off);
    }
    pts.push_back(std::nextafter(b, inf));
    pts.push_back(std::nextafter(b, -inf));
  }
  // Both sides of each kink and singularity.
  for (double k : p.kinks) {
    pts.push_back(std::nextafter(k, inf));
    pts.push_back(std::nextafter(k, -inf));
    for (int j = 1; j <= 60; j += 3) {
      pts.push_back(k + std::ldexp(1.0, -j));
      pts.push_back(k - std::ldexp(1.0, -j));
    }
  }
  for (double s : p.singularities) pts.push_back(s);
  std::vector<double> kept;
  for (double x : pts)
    if (p.domain.contains(x) || x == p.domain.lo || x == p.domain.hi) kept.push_back(x);
  std::sort(kept.begin(), kept.end());
  kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  return kept;
}

KinkCheck check_kink(const UnaryUnderTest& p, double k, const SweepOptions& o) {
  KinkCheck c;
  c.at = k;
  const auto [v, d] = p.tape(k);
  c.documented = d;
  double h = std::ldexp(1.0, -6) * std::fmax(1.0, std::fabs(k));
  for (double other : p.kinks)
    if (other != k) h = std::min(h, std::fabs(other - k) / 2);
  const Reference left = staged_derivative(p.forward, k, Side::left, h, o.max_digits);
  const Reference right = staged_derivative(p.forward, k, Side::right, h, o.max_digits);
  if (left.digits == 0 || right.digits == 0) {
    c.status = Status::cannot_check;
    c.why = "cannot check the kink, because a one-sided derivative is unresolved: " +
            (left.digits == 0 ? left.why : right.why);
    return c;
  }
  c.left = static_cast<double>(left.value);
  c.right = static_cast<double>(right.value);
  const bool is_right = ulp_error(d, Real50(right.value)) <= 1;
  const bool is_left = ulp_error(d, Real50(left.value)) <= 1;
  const double lo = std::min(c.left, c.right), hi = std::max(c.left, c.right);
  if (is_right)
    c.claim = "right";
  else if (is_left)
    c.claim = "left";
  else if (lo <= d && d <= hi)
    c.claim = d == (c.left + c.right) / 2 ? "midpoint" : "between";
  else
    c.claim = "neither";
  if (c.claim == "neither") {
    c.status = Status::fail;
    c.why = fmt::format("at the kink {}: derivative {} is not between the one-sided derivatives "
                        "{} and {}",
                        k, d, c.left, c.right);
  }
  if (k == 0) {  // -0 must behave like +0
    const auto [vm, dm] = p.tape(-0.0);
    if (dm != d || vm != v) {
      c.status = Status::fail;
      c.why += fmt::format("{}at -0 the tape gives ({}, {}), at +0 ({}, {})",
                           c.why.empty() ? "" : "; ", vm, dm, v, d);
    }
  }
  if (p.tape_second) {
    c.second = p.tape_second(k);
    // The truth just beside the kink, on each side (f'' jumps there, or is
    // 0 on both sides for a piecewise linear primitive).
    PointCheck side;
    Real100 left2, right2;
    const bool have = second_reference(p, std::nextafter(k, -inf), o, false, side, left2) &&
                      second_reference(p, std::nextafter(k, inf), o, false, side, right2);
    if (have) {
      c.second_left = static_cast<double>(left2);
      c.second_right = static_cast<double>(right2);
      if (!(std::fmin(c.second_left, c.second_right) <= c.second &&
            c.second <= std::fmax(c.second_left, c.second_right))) {
        c.status = Status::fail;
        c.why += fmt::format("{}at the kink {}: second derivative {} is not between {} and {}, "
                             "its values on either side",
                             c.why.empty() ? "" : "; ", k, c.second, c.second_left,
                             c.second_right);
      }
    }
  }
  if (p.has_documented_kink_value && d != p.documented_kink_value) {
    c.status = Status::fail;
    c.why += fmt::format("{}the tape gives {} at the kink, the block documents at_kink = {}",
                         c.why.empty() ? "" : "; ", d, p.documented_kink_value);
  }
  return c;
}

}  // namespace

PrimitiveReport sweep(const UnaryUnderTest& p, const SweepOptions& options) {
  initialize_multiprecision();
  PrimitiveReport r;
  r.name = p.name;
  r.rule = p.rule;
  r.tolerance = options.tolerance;
  std::vector<double> pts = sweep_points(p, options);
  pts.push_back(nan);
  pts.push_back(inf);
  pts.push_back(-inf);
  const bool closed = options.closed_forms && static_cast<bool>(p.derivative.f50);
  if (closed) {
    r.truth = "closed form";
    r.closed_form = p.derivative_formula;
  }
  if (options.closed_forms && p.second.f50) {
    r.second_truth = "closed form";
    r.second_closed_form = p.second_formula;
  }
  struct SecondNote {
    double x, ulps, relative;
    bool subnormal, cross_checked;
  };
  std::vector<SecondNote> seconds;
  const std::size_t stride = static_cast<std::size_t>(std::max(0, options.cross_check_stride));
  std::size_t index = 0;
  for (double x : pts) {
    if (is_kink(p, x)) continue;
    ++r.points;
    const bool cross = stride > 0 && index++ % stride == 0;
    const PointCheck c = check_point(p, x, options, cross);
    if (c.second_digits != 0)
      seconds.push_back({x, c.second_ulps, c.second_relative, c.second_subnormal,
                         c.second_cross_checked});
    if (c.cross_checked) ++r.cross_checked;
    if (c.status == Status::cannot_check || (c.digits == 0 && std::isfinite(x))) {
      ++r.unresolved;
      if (r.unresolved_example.empty()) r.unresolved_example = describe_x(x) + ": " + c.why;
    }
    if (c.status != Status::cannot_check) ++r.checked;
    if (c.status == Status::fail)
      record_failure(r, fmt::format("x = {}: {}", describe_x(x), c.why));
    if (!std::isfinite(x) || c.status == Status::cannot_check) continue;
    note(c.value_subnormal ? r.value_subnormal : r.value, c.value_ulps, c.value_relative, x);
    if (c.digits != 0)
      note(c.derivative_subnormal ? r.derivative_subnormal : r.derivative, c.derivative_ulps,
           c.derivative_relative, x);
  }
  // The second derivative, where its reference resolved (a point whose
  // first derivative cannot be checked may still have one).
  for (const SecondNote& n : seconds) {
    ++r.second_checked;
    if (n.cross_checked) ++r.second_cross_checked;
    note(n.subnormal ? r.second_subnormal : r.second, n.ulps, n.relative, n.x);
  }
  std::vector<std::string> conventions;
  for (double k : p.kinks) {
    ++r.points;
    KinkCheck kc = check_kink(p, k, options);
    if (kc.status == Status::fail) record_failure(r, kc.why);
    if (kc.status == Status::cannot_check) {
      ++r.unresolved;
      if (r.status == Status::pass) {
        r.status = Status::cannot_check;
        r.reason = kc.why;
      }
    } else {
      ++r.checked;
    }
    conventions.push_back(fmt::format("g'({})={} ({})", k, kc.documented, kc.claim));
    r.kinks.push_back(std::move(kc));
  }
  r.kink_convention = conventions.empty() ? "-" : fmt::format("{}", fmt::join(conventions, ", "));
  if (r.status == Status::fail) {
    r.reason = r.failures.front();
  } else if (r.checked == 0) {
    r.status = Status::cannot_check;
    r.reason = "cannot check, because no point of the sweep had a resolved reference";
  }
  return r;
}

// ======================================================== binary sweeps ===

namespace {
// The second partials the tape of Dual numbers gives at (a, b) against the
// closed form (validated in 50 against 100 digits); f_12 and f_21, swept
// apart, must both match it. With `cross`, Ridders' derivative of the
// block's partials rule cross-checks the closed form where it resolves.
void check_binary_second(const BinaryUnderTest& p, double a, double b, bool cross,
                         PrimitiveReport& r, std::size_t& agreed) {
  const std::array<Real100, 3> exact = p.seconds100(Real100(a), Real100(b));
  const std::array<Real50, 3> e50 = p.seconds50(Real50(a), Real50(b));
  for (int k = 0; k < 3; ++k) {
    const Real100 gap = abs(exact[k] - Real100(e50[k]));
    const bool agree = isinf(exact[k]) || isinf(e50[k])
                           ? Real100(e50[k]) == exact[k]
                           : !isnan(exact[k]) && (gap <= 1e-30 * abs(exact[k]) || gap <= tiny_abs);
    if (!agree) return;  // not resolved here (pow's closed form at a huge power)
  }
  const std::array<double, 4> t = p.tape_second(a, b);
  const Tolerance& tol = r.tolerance;
  ++r.second_checked;
  static constexpr const char* names[] = {"f_11", "f_21", "f_12", "f_22"};
  for (int k = 0; k < 4; ++k) {
    const Real100& e = exact[k == 0 ? 0 : k == 3 ? 2 : 1];
    const double u = ulp_error(t[k], Real50(e));
    note(subnormal(e) ? r.second_subnormal : r.second, u, relative_error(t[k], Real50(e)), a, b);
    if (!(u <= (subnormal(e) ? tol.subnormal_ulps : tol.second_ulps)))
      record_failure(r, fmt::format("({}, {}): second partial {} = {} is {:.3g} ULP from {:.17g}",
                                    a, b, names[k], t[k], u, static_cast<double>(e)));
  }
  if (!cross || p.kink(a, b)) return;
  // f_11 = d rule_1/dx1, f_12 = d rule_1/dx2, f_22 = d rule_2/dx2.
  for (int k = 0; k < 3; ++k) {
    const int i = k == 2 ? 1 : 0, j = k == 0 ? 0 : 1;
    const double xj = j == 0 ? a : b;
    Functions fs;
    fs.f50 = [&](const Real50& z) {
      return j == 0 ? p.rule50(z, Real50(b))[i] : p.rule50(Real50(a), z)[i];
    };
    fs.f100 = [&](const Real100& z) {
      return j == 0 ? p.rule100(z, Real100(b))[i] : p.rule100(Real100(a), z)[i];
    };
    double h = std::ldexp(1.0, -6) * std::fmax(1.0, std::fabs(xj));
    if (xj != 0) h = std::min(h, std::fabs(xj) / 2);
    if (a != b) h = std::min(h, std::fabs(a - b) / 2);
    const Reference ref = staged_derivative(fs, xj, Side::central, h, 100);
    if (ref.digits == 0) continue;
    if (agrees(ref, exact[k]))
      ++agreed;
    else
      record_failure(r, fmt::format("({}, {}): the closed-form second partial {} = {:.17g} "
                                    "disagrees with the numerical derivative of the partials "
                                    "rule, {:.17g} (error {:.2g})",
                                    a, b, names[k == 0 ? 0 : k == 1 ? 2 : 3],
                                    static_cast<double>(exact[k]), static_cast<double>(ref.value),
                                    static_cast<double>(ref.error)));
  }
}
}  // namespace

PrimitiveReport sweep(const BinaryUnderTest& p, const SweepOptions& options) {
  initialize_multiprecision();
  PrimitiveReport r;
  r.name = p.name;
  r.rule = p.rule;
  r.tolerance = options.tolerance;
  r.kink_convention = "-";
  std::vector<double> base = {0,    1e-300, 0x1p-20, 0.1,   0.5,  0.75, 1,   1.5,
                              2,    3.7,    10,      100,   1e10, 1e100, 1e300};
  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<double> u(-10.0, 10.0);
  const int extra = std::max(2, options.bend / 50);
  std::vector<double> values;
  for (double b : base) {
    values.push_back(b);
    if (b != 0) values.push_back(-b);
  }
  for (int i = 0; i < extra; ++i) values.push_back(u(rng));
  const Tolerance& tol = options.tolerance;
  bool saw_kink = false;
  if (options.closed_forms && p.partials50) {
    r.truth = "closed form";
    r.closed_form = p.derivative_formula;
  }
  const std::size_t stride = static_cast<std::size_t>(std::max(0, options.cross_check_stride));
  std::size_t pair_index = 0, agreed = 0, second_agreed = 0;
  for (double a : values) {
    for (double b : values) {
      if (!p.in_domain(a, b)) continue;
      ++r.points;
      const auto t = p.tape(a, b);
      // The value.
      const Real100 v100 = p.f100(Real100(a), Real100(b));
      const Real50 v50 = p.f50(Real50(a), Real50(b));
      const Real100 diff = abs(v100 - Real100(v50));
      if (isnan(v100) || (!isinf(v100) && diff > 1e-30 * abs(v100) && diff > tiny_abs)) {
        ++r.unresolved;
        continue;
      }
      const double vu = ulp_error(t[0], Real50(v100));
      note(subnormal(v100) ? r.value_subnormal : r.value, vu, relative_error(t[0], Real50(v100)),
           a, b);
      if (!(vu <= (subnormal(v100) ? tol.subnormal_ulps : tol.value_ulps)))
        record_failure(r, fmt::format("({}, {}): value {} is {:.3g} ULP off", a, b, t[0], vu));
      bool all_resolved = true;
      const bool closed = options.closed_forms && p.partials50 && !p.kink(a, b);
      const bool cross = closed && stride > 0 && pair_index++ % stride == 0;
      std::array<Real100, 2> exact{};
      if (closed) {
        exact = p.partials100(Real100(a), Real100(b));
        const auto e50 = p.partials50(Real50(a), Real50(b));
        for (int i = 0; i < 2; ++i) {
          const Real100 gap = abs(exact[i] - Real100(e50[i]));
          const bool agree = isinf(exact[i]) || isinf(e50[i])
                                 ? Real100(e50[i]) == exact[i]
                                 : !isnan(exact[i]) && (gap <= 1e-30 * abs(exact[i]) ||
                                                        gap <= tiny_abs);
          if (!agree) {
            all_resolved = false;
            if (r.unresolved_example.empty())
              r.unresolved_example =
                  fmt::format("({}, {}): the 50- and 100-digit partial {} disagree", a, b, i + 1);
          }
        }
      }
      for (int i = 0; i < 2 && (!closed || all_resolved); ++i) {
        const double xi = i == 0 ? a : b;
        Functions fs;
        fs.f50 = [&](const Real50& z) { return i == 0 ? p.f50(z, Real50(b)) : p.f50(Real50(a), z); };
        fs.f100 = [&](const Real100& z) {
          return i == 0 ? p.f100(z, Real100(b)) : p.f100(Real100(a), z);
        };
        const double d = t[1 + i];
        if (p.kink(a, b)) {
          saw_kink = true;
          const double h = std::ldexp(1.0, -6) * std::fmax(1.0, std::fabs(xi));
          const Reference lft = staged_derivative(fs, xi, Side::left, h, 100);
          const Reference rgt = staged_derivative(fs, xi, Side::right, h, 100);
          if (lft.digits == 0 || rgt.digits == 0) {
            all_resolved = false;
            continue;
          }
          const double l = static_cast<double>(lft.value), rr = static_cast<double>(rgt.value);
          if (!(std::min(l, rr) <= d && d <= std::max(l, rr)))
            record_failure(r, fmt::format("kink ({}, {}): partial {} = {} not between {} and {}",
                                          a, b, i + 1, d, l, rr));
          continue;
        }
        double h = std::ldexp(1.0, -6) * std::fmax(1.0, std::fabs(xi));
        if (xi != 0) h = std::min(h, std::fabs(xi) / 2);
        if (a != b) h = std::min(h, std::fabs(a - b) / 2);
        if (closed) {
          const double du = ulp_error(d, Real50(exact[i]));
          note(subnormal(exact[i]) ? r.derivative_subnormal : r.derivative, du,
               relative_error(d, Real50(exact[i])), a, b);
          if (!(du <= (subnormal(exact[i]) ? tol.subnormal_ulps : tol.derivative_ulps)))
            record_failure(r, fmt::format("({}, {}): partial {} = {} is {:.3g} ULP from {:.17g}",
                                          a, b, i + 1, d, du, static_cast<double>(exact[i])));
          if (!cross) continue;
          const Reference ref = staged_derivative(fs, xi, Side::central, h, 100);
          if (ref.digits == 0) continue;
          if (agrees(ref, exact[i])) {
            ++agreed;
          } else {
            record_failure(r, fmt::format("({}, {}): the closed-form partial {} = {:.17g} "
                                          "disagrees with the numerical {:.17g} (error {:.2g})",
                                          a, b, i + 1, static_cast<double>(exact[i]),
                                          static_cast<double>(ref.value),
                                          static_cast<double>(ref.error)));
          }
          continue;
        }
        const Reference ref = staged_derivative(fs, xi, Side::central, h, 100);
        if (ref.digits == 0) {
          all_resolved = false;
          if (r.unresolved_example.empty())
            r.unresolved_example = fmt::format("({}, {}): {}", a, b, ref.why);
          continue;
        }
        const double du = ulp_error(d, Real50(ref.value));
        note(subnormal(ref.value) ? r.derivative_subnormal : r.derivative, du,
             relative_error(d, Real50(ref.value)), a, b);
        if (!(du <= (subnormal(ref.value) ? tol.subnormal_ulps : tol.derivative_ulps)))
          record_failure(r, fmt::format("({}, {}): partial {} = {} is {:.3g} ULP from {:.17g}", a,
                                        b, i + 1, d, du, static_cast<double>(ref.value)));
      }
      if (all_resolved && p.tape_second && options.closed_forms && p.seconds50)
        check_binary_second(p, a, b, cross, r, second_agreed);
      if (all_resolved)
        ++r.checked;
      else
        ++r.unresolved;
    }
  }
  // NaN propagates (where IEEE says it does: pow(1, NaN) is 1).
  for (auto [a, b] : {std::pair{nan, 2.0}, std::pair{2.0, nan}}) {
    ++r.points;
    const auto t = p.tape(a, b);
    if (!std::isnan(t[0])) record_failure(r, fmt::format("({}, {}) gave {}, not NaN", a, b, t[0]));
    ++r.checked;
  }
  r.cross_checked = agreed;
  r.second_cross_checked = second_agreed;
  if (r.second_checked != 0) {
    r.second_truth = "closed form";
    r.second_closed_form = p.second_formula;
  }
  if (saw_kink) r.kink_convention = "ties: between one-sided";
  if (r.status == Status::fail)
    r.reason = r.failures.front();
  else if (r.checked == 0) {
    r.status = Status::cannot_check;
    r.reason = "cannot check, because no pair had a resolved reference";
  }
  return r;
}

// ======================================================= gradient checks ==

std::vector<std::vector<double>> sign_vectors(std::size_t n, int count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<double>> out;
  for (int c = 0; c < count; ++c) {
    std::vector<double> s(n);
    for (double& v : s) v = (rng() & 1U) != 0 ? 1.0 : -1.0;
    out.push_back(std::move(s));
  }
  return out;
}

GradientReport assemble(const GradientData& d, const GradientOptions& o) {
  GradientReport r;
  r.value = d.value;
  if (!std::isfinite(d.value)) {
    r.status = Status::cannot_check;
    r.reason = fmt::format("cannot check here, because f(x) = {} is not finite", d.value);
    return r;
  }
  constexpr double u = 0x1p-53;
  for (std::size_t i = 0; i < d.x.size(); ++i) {
    ComponentCheck c;
    c.index = i;
    c.x = d.x[i];
    c.tape = d.tape[i];
    const Reference& ref = d.references[i];
    c.digits = ref.digits;
    c.reference = static_cast<double>(ref.value);
    c.reference_error = static_cast<double>(ref.error);
    c.condition = static_cast<double>(d.condition[i]);
    c.paths = i < d.paths.size() ? static_cast<double>(d.paths[i]) : 0.0;
    if (ref.digits == 0) {
      c.status = Status::cannot_check;
      c.why = "cannot check here, because " + ref.why;
      r.components.push_back(std::move(c));
      continue;
    }
    if (!std::isfinite(c.paths)) {
      // An infinite partial on a path: no finite allowance is meaningful.
      c.status = Status::cannot_check;
      c.why = fmt::format(
          "cannot check here, because the sum over paths of |partials| is {} (an infinite "
          "local derivative on a path)",
          c.paths);
      r.components.push_back(std::move(c));
      continue;
    }
    const Real50 exact(ref.value);
    c.error = static_cast<double>(abs(Real50(c.tape) - exact));
    c.ulps = ulp_error(c.tape, exact);
    // For Hessians, the size of the terms that cancelled, estimated from the
    // spread under directed rounding (see check::hessian).
    const double rounding = i < d.spread.size() ? d.spread[i] / u : 0.0;
    c.allowed = o.roundoff_units * u * (std::fabs(c.reference) + c.condition + c.paths + rounding) +
                4 * c.reference_error + std::numeric_limits<double>::denorm_min();
    // The 50-digit tape against the reference: the chain rule itself, to
    // digits of |g_i| or of the paths' sum where they cancel.
    const Real50 mp_err = abs(d.tape50[i] - exact);
    const Real50 paths = std::max(i < d.paths.size() ? d.paths[i] : Real50(0), Real50(rounding));
    const Real50 mp_big = abs(exact) > paths ? Real50(abs(exact)) : paths;
    const Real50 mp_scale = mp_big > 0 ? mp_big : Real50(1);
    const Real50 mp_floor = Real50(4 * c.reference_error);
    c.mp_digits = mp_err <= mp_floor ? 99.0
                                     : -static_cast<double>(log10(Real50((mp_err - mp_floor) / mp_scale)));
    c.mp_digits = std::min(c.mp_digits, 99.0);
    if (std::isnan(c.tape) || !(c.error <= c.allowed)) {
      c.status = Status::fail;
      c.why = fmt::format("double tape off by {:.3g} (allowed {:.3g})", c.error, c.allowed);
    }
    if (c.mp_digits < o.mp_digits) {
      c.status = Status::fail;
      c.why += fmt::format("{}50-digit tape has only {:.1f} correct digits",
                           c.why.empty() ? "" : "; ", c.mp_digits);
    }
    r.components.push_back(std::move(c));
  }
  for (const ComponentCheck& c : r.components) {
    if (c.status == Status::fail) {
      r.status = Status::fail;
      if (r.reason.empty()) r.reason = fmt::format("component {}: {}", c.index, c.why);
    }
  }
  if (r.status == Status::pass) {
    for (const ComponentCheck& c : r.components)
      if (c.status == Status::cannot_check) {
        r.status = Status::cannot_check;
        r.reason = fmt::format("component {}: {}", c.index, c.why);
        break;
      }
  }
  return r;
}

void with_directed_rounding(bool up, const std::function<void()>& run) {
  struct Restore {
    ~Restore() { std::fesetround(FE_TONEAREST); }
  } restore;
  std::fesetround(up ? FE_UPWARD : FE_DOWNWARD);
  run();
}

HessianReport assemble_hessian(const GradientData& data, const HessianOptions& options,
                               std::size_t n, bool matrix) {
  GradientOptions o;
  o.roundoff_units = options.roundoff_units;
  o.mp_digits = options.mp_digits;
  const GradientReport g = assemble(data, o);
  HessianReport r;
  r.status = g.status;
  r.value = g.value;
  r.entries = g.components;
  r.reason = g.reason;
  // Name the entry of a failure or cannot-check as (i, j) (or component i).
  for (const ComponentCheck& c : r.entries) {
    if (c.status == Status::pass || c.status != r.status) continue;
    r.reason = matrix ? fmt::format("entry ({}, {}): {}", c.index % n, c.index / n, c.why)
                      : fmt::format("component {}: {}", c.index, c.why);
    break;
  }
  return r;
}

}  // namespace detail

// ============================================================== reports ===

std::string to_string(const PrimitiveReport& r) {
  std::string s = fmt::format("{} ({}): {}, {} points, {} checked, {} unresolved\n", r.name,
                              r.rule, to_string(r.status), r.points, r.checked, r.unresolved);
  s += fmt::format("  {:<12} {:>10} {:>12} {:>24}   {:>10} {:>24}\n", "", "max ULP", "max rel",
                   "at", "subn. ULP", "at");
  auto row = [&](std::string_view what, const Worst& w, const Worst& sub, double tol) {
    s += fmt::format("  {:<12} {:>10.3g} {:>12.3g} {:>24.17g}   {:>10.3g} {:>24.17g}   (allowed {})\n",
                     what, w.ulps, w.relative, w.at, sub.ulps, sub.at, tol);
  };
  if (r.truth == "closed form")
    s += fmt::format("  derivative truth: the closed form {} in 100 digits, validated against "
                     "50; Ridders' numerical derivative agrees at {} points\n",
                     r.closed_form, r.cross_checked);
  else
    s += "  derivative truth: Ridders' numerical derivative (50, 100 or 400 digits)\n";
  if (r.second_checked != 0) {
    if (r.second_truth == "closed form")
      s += fmt::format("  second derivative truth: the closed form {} in 100 digits; Ridders' "
                       "derivative of the first-derivative rule agrees at {} points\n",
                       r.second_closed_form, r.second_cross_checked);
    else
      s += "  second derivative truth: Ridders' derivative of the first-derivative rule\n";
  }
  row("value", r.value, r.value_subnormal, r.tolerance.value_ulps);
  row("derivative", r.derivative, r.derivative_subnormal, r.tolerance.derivative_ulps);
  if (r.second_checked != 0)
    row("second", r.second, r.second_subnormal, r.tolerance.second_ulps);
  for (const KinkCheck& k : r.kinks)
    s += fmt::format("  kink at {}: tape {} = {} derivative (left {}, right {}), second "
                     "derivative {} (beside it {} and {}) {}{}\n",
                     k.at, k.documented, k.claim, k.left, k.right, k.second, k.second_left,
                     k.second_right, to_string(k.status), k.why.empty() ? "" : ": " + k.why);
  if (!r.unresolved_example.empty())
    s += fmt::format("  unresolved, e.g. x = {}\n", r.unresolved_example);
  for (const std::string& f : r.failures) s += fmt::format("  FAIL {}\n", f);
  if (r.status != Status::pass && !r.reason.empty() && r.failures.empty())
    s += fmt::format("  {}\n", r.reason);
  return s;
}

std::string to_string(const HessianReport& r) {
  const bool matrix = r.hessian.rows() != 0;
  const std::size_t n = matrix ? r.hessian.rows() : r.entries.size();
  std::string s = fmt::format("{} check: {}   f(x) = {:.17g}\n",
                              matrix ? "Hessian" : "Hessian-vector product", to_string(r.status),
                              r.value);
  if (!r.reason.empty()) s += fmt::format("  {}\n", r.reason);
  if (r.entries.empty()) return s;
  s += fmt::format("  {:>8} {:>24} {:>24} {:>10} {:>10} {:>8} {:>6}  {}\n", "entry", "tape",
                   "reference", "error", "allowed", "ULP", "digits", "verdict");
  for (const ComponentCheck& c : r.entries) {
    const std::string at = matrix ? fmt::format("({},{})", c.index % n, c.index / n)
                                  : fmt::format("{}", c.index);
    s += fmt::format("  {:>8} {:>24.17g} {:>24.17g} {:>10.3g} {:>10.3g} {:>8.3g} {:>6}  {}{}\n",
                     at, c.tape, c.reference, c.error, c.allowed, c.ulps, c.digits,
                     to_string(c.status), c.why.empty() ? "" : ": " + c.why);
  }
  return s;
}

std::string to_string(const GradientReport& r) {
  std::string s = fmt::format("gradient check: {}   f(x) = {:.17g}\n", to_string(r.status), r.value);
  if (!r.reason.empty()) s += fmt::format("  {}\n", r.reason);
  if (r.components.empty()) return s;
  s += fmt::format("  {:>3} {:>12} {:>24} {:>24} {:>10} {:>10} {:>8} {:>10} {:>10} {:>7} {:>6}  {}\n",
                   "i", "x", "tape (double)", "numerical (50+ digits)", "error", "allowed", "ULP",
                   "kappa", "paths", "mp dig", "ref", "verdict");
  for (const ComponentCheck& c : r.components)
    s += fmt::format("  {:>3} {:>12.6g} {:>24.17g} {:>24.17g} {:>10.3g} {:>10.3g} {:>8.3g} {:>10.3g} "
                     "{:>10.3g} {:>7.1f} {:>6}  {}{}\n",
                     c.index, c.x, c.tape, c.reference, c.error, c.allowed, c.ulps, c.condition,
                     c.paths, c.mp_digits, c.digits, to_string(c.status),
                     c.why.empty() ? "" : ": " + c.why);
  return s;
}

}  // namespace slope::check
