// check.hpp - verification against high-precision numerical differentiation.
//
// Three tools, from the smallest up:
//
//   check::derivative<R>(f, x)      f'(x) in precision R (50, 100 or 400
//                                   digits) with an error estimate;
//   check::primitive(P{})           a sweep of a primitive (built in or
//                                   yours) over its whole double domain,
//                                   value and derivative in ULPs;
//   check::gradient(f, x)           the tape gradient of a generic callable
//                                   against the numerical gradient, with a
//                                   pass/fail decision from an error model;
//   check::hessian(f, x)            slope::hessian the same way, against
//                                   Ridders' derivatives of the 50-digit
//                                   tape gradient (and check::
//                                   hessian_vector_product for H v).
//
// Numerical derivatives are Richardson-extrapolated finite differences
// (Ridders' scheme) whose error estimate includes the rounding floor of the
// working precision, so a result is only ever trusted when it is known to be
// exact to far more digits than a double carries. Every check answers pass,
// fail, or "cannot check here, because ...": never a PASS it cannot back.
//
// The multiprecision machinery is compiled once, in src/check.cpp; code that
// includes this header only instantiates its own function (or primitive) for
// the multiprecision types.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <fmt/format.h>

#include "slope/derivatives.hpp"
#include "slope/primitives.hpp"

namespace slope::check {

/// 50 significant decimal digits: the default reference precision.
using Real50 = boost::multiprecision::cpp_bin_float_50;
/// 100 digits, for derivatives far smaller than the function value (tails).
using Real100 = boost::multiprecision::cpp_bin_float_100;
/// 400 digits: the last resort in the saturated tails, where f' is as small
/// as the smallest subnormal (tanh'(372) ~ 1e-323 next to tanh(372) ~ 1).
using Real400 = boost::multiprecision::number<boost::multiprecision::cpp_bin_float<400>>;

/// Sets, once per process, the values Boost.Multiprecision 1.74 would
/// otherwise compute lazily and without synchronization when a thread first
/// needs them, so that the checker can run on several threads at once (as
/// slope-check does). The values are numeric_limits<number<cpp_bin_float<N>,
/// et_on>>::epsilon, round_error, min, max, infinity and quiet_NaN, for
/// N = 50, 100, 400. Boost's own startup initializer (cpp_bin_float.hpp,
/// data_initializer) only sets them for the default et_off numbers, but
/// Boost's cos, sin, exp, log, ... ask for the et_on ones. Two threads asking
/// at once for the first time is a data race (reported by ThreadSanitizer).
/// check::derivative, check::primitive, check::primitive_at and
/// check::gradient call this first; calling it again costs one atomic load.
/// A program that starts threads that evaluate Real50, Real100 or Real400
/// math outside the checker should call it before it starts them.
void initialize_multiprecision();

/// Which finite differences to use: central (smooth points), or one-sided
/// from the left or the right (at a kink, for the one-sided derivatives).
enum class Side { central, left, right };

/// A numerically computed derivative and an estimate of its absolute error.
/// `error` includes `rounding`, the floor set by the working precision:
/// about eps_R max|f| / h for the smallest step h used.
template <class R>
struct NumericalDerivative {
  R value;
  R error;
  R rounding{};
};

/// f'(x) by Richardson-extrapolated finite differences in precision R.
/// `step` is the largest step used: the function must be smooth on
/// [x - step, x + step] (or the one side used); 0 picks 2^-6 max(1, |x|).
/// If f is not finite at the first step (outside its domain), the step is
/// shrunk until it is. A NaN value with an infinite error means there was no
/// usable step. Supported R: Real50, Real100 and Real400.
template <class R>
NumericalDerivative<R> derivative(const std::function<R(const R&)>& f, const R& x,
                                  Side side = Side::central, const R& step = R(0));

extern template NumericalDerivative<Real50> derivative(const std::function<Real50(const Real50&)>&,
                                                       const Real50&, Side, const Real50&);
extern template NumericalDerivative<Real100> derivative(
    const std::function<Real100(const Real100&)>&, const Real100&, Side, const Real100&);
extern template NumericalDerivative<Real400> derivative(
    const std::function<Real400(const Real400&)>&, const Real400&, Side, const Real400&);

/// A reference derivative at a double point. `digits` is the precision that
/// resolved it (50, 100 or 400) and 0 if none did; then `why` says why.
/// Resolved means: error estimate below 1e-25 of the value, or below 2^-1100
/// in absolute terms (far below the smallest double, for derivatives that
/// round to 0 in double anyway).
struct Reference {
  Real100 value;
  Real100 error;
  int digits;
  std::string why{};
};

/// A function of one variable in each reference precision. `f400` may be
/// empty: then 100 digits is the most that is tried.
struct Functions {
  std::function<Real50(const Real50&)> f50;
  std::function<Real100(const Real100&)> f100;
  std::function<Real400(const Real400&)> f400{};
};

/// The derivative of `f` at x in the lowest precision that resolves it:
/// 50 digits, then (if rounding, not truncation, limited it) 100, then 400
/// (if `max_digits` allows and f400 is given). A truncation-limited estimate
/// is retried once with a step 2^-12 as large. An error estimate below
/// `absolute` also counts as resolved (check::gradient: far below the
/// gradient's scale, where the derivative is 0 and no relative accuracy
/// exists).
Reference staged_derivative(const Functions& f, double x, Side side, double step,
                            int max_digits = 400, double absolute = 0);

/// The derivative of a generic function f (callable with Real50 and Real100)
/// at x, for checking a double-precision derivative. At 50 digits a function
/// far steeper in value than in slope (tanh at 40, where f' ~ 1e-35) loses
/// its derivative to rounding; then 100 digits are used.
template <class F>
Reference reference_derivative(const F& f, double x, Side side = Side::central, double step = 0) {
  Functions fs{[&f](const Real50& z) { return Real50(f(z)); },
               [&f](const Real100& z) { return Real100(f(z)); }};
  return staged_derivative(fs, x, side, step, 100);
}

/// The distance of `computed` from `exact` in units in the last place of the
/// double nearest to `exact` (2^-1074 for subnormal results). Two infinities
/// of the same sign are 0 apart; NaN on either side gives NaN.
double ulp_error(double computed, const Real50& exact);

/// The relative error |computed - exact| / |exact| (the absolute error when
/// exact is 0).
double relative_error(double computed, const Real50& exact);

// ================================================================ verdicts ==

/// The outcome of a check. `cannot_check` is never a pass: the reference
/// could not be computed to the accuracy the check needs, or the input is
/// not one the check can use; the report says why.
enum class Status { pass, fail, cannot_check };

std::string_view to_string(Status s);

// ======================================================= primitive sweeps ==

/// Allowed errors of a primitive, in ULPs of the true result: where it is a
/// normal double, and (in units of 2^-1074) where it is subnormal.
struct Tolerance {
  double value_ulps = 3;
  double derivative_ulps = 4;
  double subnormal_ulps = 2;
  /// The second derivative, as forward-over-reverse (a tape of Dual
  /// numbers) computes it.
  double second_ulps = 6;
};

/// The bound slope documents (and slope-check enforces) for a built-in
/// primitive, by name: 3 ULP value / 4 ULP derivative for the activations,
/// the measured bound (README, "Verification") for the others.
Tolerance documented_tolerance(std::string_view name);

/// How densely a sweep samples the domain.
struct SweepOptions {
  int grid = 2001;         ///< uniform grid points over [-750, 750] (or a finite domain)
  int per_binade = 1;      ///< random mantissas per exponent, besides +-2^k itself
  int bend = 1000;         ///< random points in [-45, 45], where activations bend
  int max_digits = 400;    ///< highest reference precision: 50, 100 or 400
  std::uint64_t seed = 20261127;
  Tolerance tolerance{};
  /// Where a primitive has a closed-form derivative in multiprecision (every
  /// smooth built-in one does, see closed_form_derivative), it is the truth
  /// the tape's derivative is measured against, and Ridders' numerical
  /// derivative cross-checks it at every `cross_check_stride`-th point. With
  /// false, every point uses Ridders' derivative (50/100/400 digits), as for
  /// a primitive without a closed form: slower, the same verdicts.
  bool closed_forms = true;
  int cross_check_stride = 8;  ///< Ridders at every n-th point of a closed-form sweep
  /// A quick sweep: every 16th binade, a coarse grid (for tests and CI).
  static SweepOptions quick() {
    SweepOptions o;
    o.grid = 201;
    o.per_binade = 0;
    o.bend = 100;
    o.binade_stride = 16;
    return o;
  }
  int binade_stride = 1;  ///< use every n-th exponent k of +-2^k
};

/// The largest error seen in one category, and where.
struct Worst {
  double ulps = 0;
  double relative = 0;
  double at = std::numeric_limits<double>::quiet_NaN();  ///< the input (x, or x1 for binary)
  double at2 = std::numeric_limits<double>::quiet_NaN(); ///< x2 for a binary primitive
};

/// What the checker found at one kink of a unary primitive.
struct KinkCheck {
  double at = 0;
  double documented = 0;  ///< the derivative the tape records at the kink
  double left = 0, right = 0;  ///< one-sided numerical derivatives
  std::string claim;      ///< "right", "left", "between" (or "neither": a failure)
  /// The second derivative the tape of Dual numbers gives at the kink, and
  /// the true second derivative just left and right of it (it must lie
  /// between them: 0 for relu, leaky_relu and abs).
  double second = 0, second_left = 0, second_right = 0;
  Status status = Status::pass;
  std::string why;
};

/// The result of check::primitive: counts, worst errors and verdict.
struct PrimitiveReport {
  std::string name, rule;
  Status status = Status::pass;
  std::string reason;               ///< for fail and cannot_check
  std::size_t points = 0;           ///< points visited in the domain
  std::size_t checked = 0;          ///< points with a resolved reference
  std::size_t unresolved = 0;       ///< points where the reference could not be resolved
  std::string unresolved_example;   ///< one of them, with the reason
  Worst value, derivative;          ///< over normal true results (ULPs of the result)
  Worst value_subnormal, derivative_subnormal;  ///< in units of 2^-1074
  /// The second derivative (second partials of a binary primitive), over the
  /// points where its reference resolved.
  Worst second, second_subnormal;
  std::size_t second_checked = 0;     ///< points with a resolved second-derivative reference
  /// What the second derivative was measured against ("closed form" or
  /// "numerical": Ridders on the block's first-derivative rule in 50/100/400
  /// digits), the formula, and the closed-form points Ridders agreed with.
  std::string second_truth = "numerical";
  std::string second_closed_form;
  std::size_t second_cross_checked = 0;
  std::vector<KinkCheck> kinks;
  std::vector<std::string> failures;  ///< the first few failing points, described
  std::string kink_convention;        ///< e.g. "g'(0)=1 (right)"; "-" if no kinks
  Tolerance tolerance;
  /// What the derivative was measured against: "closed form" (a formula for
  /// f' in 50/100 digits, `closed_form` says which) or "numerical" (Ridders'
  /// extrapolation in 50/100/400 digits).
  std::string truth = "numerical";
  std::string closed_form;            ///< the formula, where truth is "closed form"
  /// Points where Ridders' derivative was resolved and agreed with the
  /// closed form (a disagreement is a failure: the formula or the forward
  /// pass is wrong).
  std::size_t cross_checked = 0;
};

/// The sweep result at one point (check::primitive_at).
struct PointCheck {
  double x = 0;
  Status status = Status::pass;
  std::string why;
  double value = 0, derivative = 0;          ///< as the tape records them
  double value_ulps = 0, derivative_ulps = 0;
  double value_relative = 0, derivative_relative = 0;
  bool value_subnormal = false, derivative_subnormal = false;
  int digits = 0;  ///< precision of the derivative reference
  bool closed_form = false;  ///< the reference was the closed form (else Ridders)
  bool cross_checked = false;  ///< Ridders' derivative resolved and agreed with it
  /// The second derivative from the tape of Dual numbers, its errors, and the
  /// precision of its reference (0: not checked here, `second_why` says why).
  double second = 0, second_ulps = 0, second_relative = 0;
  bool second_subnormal = false;
  int second_digits = 0;
  bool second_closed_form = false, second_cross_checked = false;
  std::string second_why;
};

/// The derivative of the built-in unary primitive `name` as a formula of
/// its own, in 50, 100 and 400 digits (with the formula as text), for the
/// smooth primitives: written from the mathematics (sigmoid' as
/// 1/(4 cosh^2(z/2)), tanh' as 1/cosh^2 z, erf' as 2/sqrt(pi) e^(-z^2)),
/// never from the rule the tape evaluates in double. Empty for the piecewise
/// linear ones (relu, leaky_relu, abs, neg), whose numerical derivative is
/// exact and cheap, and for names slope does not ship.
std::optional<std::pair<Functions, std::string>> closed_form_derivative(std::string_view name);

/// The second derivative of the built-in unary primitive `name` as a
/// formula of its own in 50, 100 and 400 digits, written from the
/// mathematics (sigmoid'' as -sinh(z/2)/(4 cosh^3(z/2)), tanh'' as
/// -2 sinh z/cosh^3 z), never from the rule the tape evaluates; 0 for the
/// piecewise linear ones. Empty for names slope does not ship.
std::optional<std::pair<Functions, std::string>> closed_form_second_derivative(
    std::string_view name);

namespace detail {

/// A unary primitive, as the checker sees it: its table entry, the tape's
/// value and derivative in double, and its forward pass in each precision.
struct UnaryUnderTest {
  std::string name, rule;
  Domain domain;
  std::vector<double> kinks, singularities;
  double period = 0;  ///< of a periodic primitive: numerical steps stay well below it
  std::function<std::pair<double, double>(double)> tape;
  Functions forward;
  bool has_documented_kink_value = false;
  double documented_kink_value = 0;
  /// f' in closed form in each precision (may be empty: Ridders alone), and
  /// the formula, for reports.
  Functions derivative{};
  std::string derivative_formula;
  /// The tape's second derivative in double (forward-over-reverse: a
  /// Var<Dual<double>> with tangent 1), the block's first-derivative rule in
  /// each precision (Ridders on it is the second derivative's reference, or
  /// cross-checks the closed form), and f'' as a formula where there is one.
  std::function<double(double)> tape_second;
  Functions first_rule;
  Functions second{};
  std::string second_formula;
};

/// A binary primitive: tape value and both partials in double, and forward
/// in 50 and 100 digits.
struct BinaryUnderTest {
  std::string name, rule;
  std::function<std::array<double, 3>(double, double)> tape;
  std::function<Real50(const Real50&, const Real50&)> f50;
  std::function<Real100(const Real100&, const Real100&)> f100;
  std::function<bool(double, double)> kink, in_domain;
  /// Both partials in closed form in 50 and 100 digits (may be empty:
  /// Ridders alone), and the formulas, for reports.
  std::function<std::array<Real50, 2>(const Real50&, const Real50&)> partials50{};
  std::function<std::array<Real100, 2>(const Real100&, const Real100&)> partials100{};
  std::string derivative_formula;
  /// The tape's second partials in double, forward-over-reverse with input
  /// tangents (1, 0) and then (0, 1): {f_11, f_21, f_12, f_22} (f_21 and f_12
  /// are computed apart, so symmetry is checked too).
  std::function<std::array<double, 4>(double, double)> tape_second;
  /// The block's partials rule in 50 and 100 digits (Ridders on it
  /// cross-checks the closed-form second partials).
  std::function<std::array<Real50, 2>(const Real50&, const Real50&)> rule50;
  std::function<std::array<Real100, 2>(const Real100&, const Real100&)> rule100;
  /// {f_11, f_12, f_22} in closed form in 50 and 100 digits, and the formula.
  std::function<std::array<Real50, 3>(const Real50&, const Real50&)> seconds50{};
  std::function<std::array<Real100, 3>(const Real100&, const Real100&)> seconds100{};
  std::string second_formula;
};

/// The partials of the built-in binary primitive `name` in closed form in
/// 50 and 100 digits (empty for names slope does not ship): what
/// BinaryUnderTest holds.
bool closed_form_partials(std::string_view name, BinaryUnderTest& b);

PrimitiveReport sweep(const UnaryUnderTest& p, const SweepOptions& options);
PrimitiveReport sweep(const BinaryUnderTest& p, const SweepOptions& options);
PointCheck check_point(const UnaryUnderTest& p, double x, const SweepOptions& options,
                       bool cross_check = true);

/// Whether P is one of the types listed in Tuple.
template <class P, class Tuple>
struct listed : std::false_type {};
template <class P, class... Ts>
struct listed<P, std::tuple<Ts...>> : std::bool_constant<(std::is_same_v<P, Ts> || ...)> {};

template <class P>
concept UnaryPrimitive = requires(const P& p, double x) {
  { p.forward(x) };
  P::domain;
  P::kinks;
};

template <class P>
UnaryUnderTest describe(const P& p) {
  UnaryUnderTest u;
  u.name = std::string(P::name);
  u.rule = std::string(P::rule);
  u.domain = P::domain;
  u.kinks.assign(P::kinks.begin(), P::kinks.end());
  if constexpr (requires { P::singularities; })
    u.singularities.assign(P::singularities.begin(), P::singularities.end());
  if constexpr (requires { P::period; }) u.period = P::period;
  u.tape = [p](double x) -> std::pair<double, double> {
    Tape<double> tape;
    Var<double> v = x;
    const Var<double> y = apply(p, v);
    return {y.value(), derivatives(y, wrt(v))[0]};
  };
  u.forward.f50 = [p](const Real50& x) { return Real50(p.forward(x)); };
  u.forward.f100 = [p](const Real100& x) { return Real100(p.forward(x)); };
  u.forward.f400 = [p](const Real400& x) { return Real400(p.forward(x)); };
  if constexpr (requires { p.at_kink; }) {
    u.has_documented_kink_value = true;
    u.documented_kink_value = static_cast<double>(p.at_kink);
  }
  u.tape_second = [p](double x) {
    Tape<Dual<double>> tape;
    Var<Dual<double>> v = Dual<double>(x, 1.0);
    const Var<Dual<double>> y = apply(p, v);
    return derivatives(y, wrt(v))[0].tangent();
  };
  u.first_rule.f50 = [p](const Real50& x) { return Real50(slope::detail::evaluate(p, x).derivative); };
  u.first_rule.f100 = [p](const Real100& x) { return Real100(slope::detail::evaluate(p, x).derivative); };
  u.first_rule.f400 = [p](const Real400& x) { return Real400(slope::detail::evaluate(p, x).derivative); };
  if constexpr (listed<P, unary_primitives>::value) {
    if (auto cf = closed_form_derivative(P::name)) {
      u.derivative = std::move(cf->first);
      u.derivative_formula = std::move(cf->second);
    }
    if (auto cf = closed_form_second_derivative(P::name)) {
      u.second = std::move(cf->first);
      u.second_formula = std::move(cf->second);
    }
  }
  return u;
}

template <class P>
BinaryUnderTest describe_binary(const P& p) {
  BinaryUnderTest b;
  b.name = std::string(P::name);
  b.rule = std::string(P::rule);
  b.tape = [p](double x1, double x2) -> std::array<double, 3> {
    Tape<double> tape;
    Var<double> a = x1, c = x2;
    const Var<double> y = apply(p, a, c);
    const auto [d1, d2] = derivatives(y, wrt(a, c));
    return {y.value(), d1, d2};
  };
  b.f50 = [p](const Real50& x1, const Real50& x2) { return Real50(p.forward(x1, x2)); };
  b.f100 = [p](const Real100& x1, const Real100& x2) { return Real100(p.forward(x1, x2)); };
  b.tape_second = [p](double x1, double x2) -> std::array<double, 4> {
    std::array<double, 4> h{};
    for (int k = 0; k < 2; ++k) {
      Tape<Dual<double>> tape;
      Var<Dual<double>> a = Dual<double>(x1, k == 0 ? 1.0 : 0.0);
      Var<Dual<double>> c = Dual<double>(x2, k == 1 ? 1.0 : 0.0);
      const Var<Dual<double>> y = apply(p, a, c);
      const auto [d1, d2] = derivatives(y, wrt(a, c));
      h[2 * k] = d1.tangent();
      h[2 * k + 1] = d2.tangent();
    }
    return h;
  };
  b.rule50 = [p](const Real50& x1, const Real50& x2) {
    return slope::detail::partials(p, x1, x2, Real50(p.forward(x1, x2)));
  };
  b.rule100 = [p](const Real100& x1, const Real100& x2) {
    return slope::detail::partials(p, x1, x2, Real100(p.forward(x1, x2)));
  };
  b.kink = [](double x1, double x2) { return P::kink(x1, x2); };
  b.in_domain = [](double x1, double x2) { return P::in_domain(x1, x2); };
  if constexpr (listed<P, binary_primitives>::value) closed_form_partials(P::name, b);
  return b;
}

}  // namespace detail

/// Sweeps a unary primitive p (built in or user-defined, with the block
/// interface of primitives.hpp) over its whole double domain, as the tape
/// evaluates it in double: a dense grid, +-2^k for every exponent k (and
/// random mantissas in each binade), points where activations bend and
/// saturate, subnormal inputs and results, +-0, +-inf and NaN, both sides of
/// each kink. Values are compared with p.forward in 100 digits (validated
/// against 50), derivatives with numerical derivatives (50/100/400 digits).
/// At a kink, the tape's value must equal the one-sided derivative it claims
/// (and p.at_kink, where the block has one) and lie between the one-sided
/// derivatives. Fails if any error exceeds `options.tolerance`.
template <detail::UnaryPrimitive P>
PrimitiveReport primitive(const P& p, const SweepOptions& options = {}) {
  return detail::sweep(detail::describe(p), options);
}

/// Sweeps a binary primitive over pairs of points from a set spanning the
/// double range (ties included, for min and max): value and both partials.
template <class P>
  requires requires(const P& p, double x) { p.forward(x, x); P::in_domain(x, x); }
PrimitiveReport primitive(const P& p, const SweepOptions& options = {}) {
  return detail::sweep(detail::describe_binary(p), options);
}

/// Checks a unary primitive at one point x: "cannot check here, because ..."
/// for NaN, a point outside the domain, or an unresolvable reference.
template <detail::UnaryPrimitive P>
PointCheck primitive_at(const P& p, double x, const SweepOptions& options = {}) {
  return detail::check_point(detail::describe(p), x, options);
}

// ========================================================== gradient check ==

/// Options of check::gradient.
struct GradientOptions {
  /// The error model allows K u (|g_i| + kappa_i + a_i) per component (u = 2^-53),
  /// where kappa_i bounds the change of g_i under relative perturbations of
  /// the inputs and a_i the effect of the sweep's roundings; this is K.
  double roundoff_units = 64;
  /// Correct digits the 50-digit tape gradient must reach.
  double mp_digits = 30;
  /// Random sign vectors used to estimate the conditioning kappa_i.
  int directions = 2;
  std::uint64_t seed = 1;
};

/// One component of a gradient check.
struct ComponentCheck {
  std::size_t index = 0;
  double x = 0;
  double tape = 0;           ///< dg/dx_i from the double tape
  double reference = 0;      ///< the numerical derivative, rounded to double
  double reference_error = 0;
  double error = 0;          ///< |tape - reference|
  double allowed = 0;        ///< what the error model allows
  double ulps = 0;
  double condition = 0;      ///< kappa_i, the input-perturbation sensitivity
  double paths = 0;          ///< a_i, the sum over paths of |product of partials|
  double mp_digits = 0;      ///< correct digits of the 50-digit tape
  int digits = 0;            ///< precision of the reference
  Status status = Status::pass;
  std::string why;
};

/// The result of check::gradient.
struct GradientReport {
  Status status = Status::pass;
  std::string reason;
  double value = 0;
  std::vector<ComponentCheck> components;
};

namespace detail {

/// What the header gathers from the user's function; check.cpp decides.
struct GradientData {
  std::vector<double> x;
  double value = 0;
  std::vector<double> tape;                 ///< double tape gradient
  std::vector<Real50> tape50;               ///< 50-digit tape gradient
  std::vector<Reference> references;        ///< numerical gradient
  std::vector<Real50> condition;            ///< kappa_i
  std::vector<Real50> paths;                ///< a_i: the sweep on |partials|
  /// For Hessians: how far the double result moves when it is computed
  /// again rounding upward and downward (empty for gradients): an estimate
  /// of its rounding error that sees cancellation inside the computation.
  std::vector<double> spread;
  bool value50_finite = true;
};

/// Runs `run` with the floating-point rounding mode set to upward (up) or
/// downward, and restores round-to-nearest.
void with_directed_rounding(bool up, const std::function<void()>& run);

/// The reverse sweep from `output` (seeded with |seed|) on the absolute
/// values of the tape's partials: for each input, the sum over all paths to
/// the output of |product of partials|.
template <class T>
std::vector<T> absolute_sweep(const Tape<T>& tape, typename Tape<T>::index_type output,
                              const T& seed, const std::vector<Var<T>>& inputs) {
  using std::abs;
  using index_type = typename Tape<T>::index_type;
  std::vector<T> adjoint(static_cast<std::size_t>(output) + 1, T(0));
  const auto ends = tape.statement_ends();
  const auto args = tape.operand_indices();
  const auto partials = tape.partials();
  if (output > 0) adjoint[output] = abs(seed);
  for (index_type i = output; i > 0; --i) {
    if (adjoint[i] == T(0)) continue;  // as the sweep: no 0 * inf
    for (index_type j = ends[i - 1]; j < ends[i]; ++j)
      if (partials[j] != T(0)) adjoint[args[j]] += abs(partials[j]) * adjoint[i];
  }
  std::vector<T> out;
  for (const Var<T>& v : inputs)
    out.push_back(v.index() <= output ? adjoint[v.index()] : T(0));
  return out;
}

GradientReport assemble(const GradientData& data, const GradientOptions& options);
std::vector<std::vector<double>> sign_vectors(std::size_t n, int count, std::uint64_t seed);

template <class F, class R>
R call_real(const F& f, const std::vector<R>& x) {
  return R(f(x));
}

/// If an input is not finite, marks r "cannot check" with that input as
/// the reason and returns true (a check needs finite points to step from).
template <class Report>
bool non_finite_input(const std::vector<double>& x, Report& r) {
  for (double xi : x)
    if (!std::isfinite(xi)) {
      r.status = Status::cannot_check;
      r.reason = fmt::format("cannot check here, because the input {} is not finite", xi);
      return true;
    }
  return false;
}

}  // namespace detail

/// Checks the tape gradient of a generic callable f (taking a
/// `const std::vector<S>&` and returning S, for S = Var<double>,
/// Var<Real50>, Real50 and Real100) at x:
///
/// - against the numerical gradient (50 or 100 digits, with error
///   estimate), per component, allowing K u (|g_i| + kappa_i + a_i), where
///   kappa_i = max over random sign vectors s of |sum_j H_ij x_j s_j| is the
///   first-order change of g_i under relative input perturbations (the
///   conditioning of the gradient at x), and a_i is the reverse sweep run
///   on the absolute values of the tape's partials: the sum over all paths
///   from x_i to f of |product of partials|. Rounding a partial or an
///   adjoint by a relative u moves g_i by at most u times a path's product,
///   so a_i bounds what the sweep's own roundings can do, also where the
///   paths cancel (g_i small next to a_i); both estimated on the 50-digit
///   tape;
/// - and the 50-digit tape gradient against the same reference to
///   `mp_digits` digits of max(|g_i|, a_i): the chain rule itself, beyond
///   double rounding.
///
/// The numerical derivative must be resolved to 1e-25 relative, or in
/// absolute terms to 1e-30 of a_i; for a component with no path at all (an
/// input whose paths are all cut by relu, min, max: exactly 0), to 1e-30 of
/// the gradient's scale, max(max_j |g_j|, |f(x)| / max(1, max_j |x_j|)).
/// Both are far below anything a double tape resolves. A non-finite input, a
/// non-finite f(x), a non-finite a_i or an unresolvable reference gives
/// Status::cannot_check with the reason.
template <class F>
GradientReport gradient(const F& f, const std::vector<double>& x,
                        const GradientOptions& options = {}) {
  using std::abs;
  initialize_multiprecision();  // before f runs on Real50: see its comment
  detail::GradientData d;
  d.x = x;
  if (GradientReport r; detail::non_finite_input(x, r)) return r;
  const auto vg = value_and_gradient(f, x);
  d.value = vg.value;
  d.tape = vg.gradient;
  if (!std::isfinite(d.value)) return detail::assemble(d, options);

  const std::vector<Real50> x50(x.begin(), x.end());
  Real50 scale = 0;
  {
    Tape<Real50> tape50;
    std::vector<Var<Real50>> vars(x50.begin(), x50.end());
    const auto y = f(std::as_const(vars));
    d.tape50.assign(x.size(), Real50(0));
    d.paths.assign(x.size(), Real50(0));
    if constexpr (is_var_v<std::decay_t<decltype(y)>>) {
      gradient(y, std::span<const Var<Real50>>(vars), std::span<Real50>(d.tape50));
      d.paths = detail::absolute_sweep(tape50, y.index(), y.partial(), vars);
      scale = abs(y.value()) / std::max(1.0, [&] {
        double m = 0;
        for (double xi : x) m = std::max(m, std::fabs(xi));
        return m;
      }());
    }
    for (const Real50& g : d.tape50)
      if (abs(g) > scale) scale = abs(g);
    // kappa_i: central differences of the 50-digit gradient along x o s.
    const Real50 t = Real50(1e-20);
    d.condition.assign(x.size(), Real50(0));
    for (const auto& s : detail::sign_vectors(x.size(), options.directions, options.seed)) {
      std::vector<Real50> xp = x50, xm = x50;
      for (std::size_t j = 0; j < x.size(); ++j) {
        xp[j] = x50[j] * (1 + t * s[j]);
        xm[j] = x50[j] * (1 - t * s[j]);
      }
      const auto gp = value_and_gradient(f, std::span<const Real50>(xp), tape50).gradient;
      const auto gm = value_and_gradient(f, std::span<const Real50>(xm), tape50).gradient;
      for (std::size_t i = 0; i < x.size(); ++i) {
        const Real50 k = abs(Real50(gp[i] - gm[i])) / (2 * t);
        if (k > d.condition[i]) d.condition[i] = k;
      }
    }
  }
  for (std::size_t i = 0; i < x.size(); ++i) {
    // A reference counts as resolved when its absolute error is below 1e-30
    // of the component's own size, the sum over paths of |product of
    // partials|: a derivative of 1e-217 (sigmoid' at 499) must be resolved to
    // that size, not to the gradient's. Only a component with no path at all
    // (every path cut by relu, min or max: exactly 0) is judged against the
    // scale of the whole gradient.
    const Real50 size = i < d.paths.size() && d.paths[i] > 0 ? d.paths[i] : scale;
    const double absolute = static_cast<double>(size) * 1e-30;
    Functions fs;
    fs.f50 = [&f, &x, i](const Real50& z) {
      std::vector<Real50> v(x.begin(), x.end());
      v[i] = z;
      return detail::call_real(f, v);
    };
    fs.f100 = [&f, &x, i](const Real100& z) {
      std::vector<Real100> v(x.begin(), x.end());
      v[i] = z;
      return detail::call_real(f, v);
    };
    const double step = std::ldexp(1.0, -8) * std::fmax(1.0, std::fabs(x[i]));
    d.references.push_back(staged_derivative(fs, x[i], Side::central, step, 100, absolute));
  }
  return detail::assemble(d, options);
}

// =========================================================== Hessian check ==

/// Options of check::hessian and check::hessian_vector_product: as for
/// check::gradient (K, digits of the 50-digit computation, directions for the
/// conditioning estimate).
struct HessianOptions {
  double roundoff_units = 64;
  double mp_digits = 25;
  int directions = 2;
  std::uint64_t seed = 1;
};

/// The result of check::hessian (entries of H column by column: entry
/// (i, j) is entries[j * n + i], with that `index`) or
/// check::hessian_vector_product (components of H v).
struct HessianReport {
  Status status = Status::pass;
  std::string reason;
  double value = 0;
  Matrix<double> hessian;               ///< what slope::hessian returns (HVP: empty)
  std::vector<double> product;          ///< what slope::hessian_vector_product returns
  std::vector<ComponentCheck> entries;  ///< one per entry (or component of H v)
};

namespace detail {

/// |x| per component (a Dual's value and tangent), for the path sums.
template <class T>
T component_abs(const T& x) {
  using std::abs;
  if constexpr (is_dual_v<T>)
    return T(abs(x.value()), abs(x.tangent()));
  else
    return abs(x);
}

/// The reverse sweep of a tape of Dual numbers on the componentwise
/// absolute values of its partials, from `output` seeded with |seed|: for
/// each input, the tangent is the sum over all paths of the terms of the
/// Hessian-vector product, in absolute value (what bounds the sweep's
/// roundings in H v).
template <class T>
std::vector<T> absolute_tangent_sweep(const Tape<Dual<T>>& tape,
                                      typename Tape<Dual<T>>::index_type output,
                                      const Dual<T>& seed,
                                      const std::vector<Var<Dual<T>>>& inputs) {
  using D = Dual<T>;
  using index_type = typename Tape<D>::index_type;
  std::vector<D> adjoint(static_cast<std::size_t>(output) + 1, D(0));
  const auto ends = tape.statement_ends();
  const auto args = tape.operand_indices();
  const auto partials = tape.partials();
  if (output > 0) adjoint[output] = component_abs(seed);
  for (index_type i = output; i > 0; --i) {
    if (slope::detail::is_zero(adjoint[i])) continue;
    for (index_type j = ends[i - 1]; j < ends[i]; ++j)
      adjoint[args[j]] += slope::detail::careful_product(component_abs(partials[j]), adjoint[i]);
  }
  std::vector<T> out;
  for (const Var<D>& v : inputs)
    out.push_back(v.index() <= output ? adjoint[v.index()].tangent() : T(0));
  return out;
}

/// One forward-over-reverse pass in precision T: H v (the tangents of the
/// gradient) and, if `paths` is given, the absolute path sums.
template <class F, class T>
std::vector<T> hvp_in(const F& f, const std::vector<T>& x, const std::vector<T>& v,
                      std::vector<T>* paths = nullptr) {
  std::vector<Dual<T>> d(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) d[i] = Dual<T>(x[i], v[i]);
  Tape<Dual<T>> tape;
  std::vector<Var<Dual<T>>> vars(d.begin(), d.end());
  const auto y = f(std::as_const(vars));
  std::vector<T> hv(x.size(), T(0));
  if (paths != nullptr) paths->assign(x.size(), T(0));
  if constexpr (is_var_v<std::decay_t<decltype(y)>>) {
    std::vector<Dual<T>> g(x.size());
    gradient(y, std::span<const Var<Dual<T>>>(vars), std::span<Dual<T>>(g));
    for (std::size_t i = 0; i < x.size(); ++i) hv[i] = g[i].tangent();
    if (paths != nullptr) *paths = absolute_tangent_sweep(tape, y.index(), y.partial(), vars);
  }
  return hv;
}

/// The tape gradient of f in precision R at x, memoized by the point (the
/// references of one direction ask for the same points once per component).
template <class F, class R>
class GradientAt {
 public:
  GradientAt(const F& f, std::vector<R> x, std::vector<R> v)
      : f_(f), x_(std::move(x)), v_(std::move(v)) {}
  /// Component i of the gradient at x + t v.
  R operator()(std::size_t i, const R& t) {
    auto it = cache_.find(t);
    if (it == cache_.end()) {
      std::vector<R> xt = x_;
      for (std::size_t k = 0; k < xt.size(); ++k) xt[k] += t * v_[k];
      Tape<R> tape;
      it = cache_.emplace(t, value_and_gradient(f_, std::span<const R>(xt), tape).gradient).first;
    }
    return it->second[i];
  }

 private:
  const F& f_;
  std::vector<R> x_, v_;
  std::map<R, std::vector<R>> cache_;
};

/// The Hessian-vector products H v_k of f at x for each direction v_k, in
/// double (by slope's own functions, as a user calls them), in 50 digits, and
/// with references and an error model: data for assemble(), one entry per
/// (direction, component).
template <class F>
GradientData hessian_data(const F& f, const std::vector<double>& x, double value,
                          const std::vector<std::vector<double>>& directions,
                          const std::vector<std::vector<double>>& double_products,
                          const std::vector<std::vector<double>>& spreads,
                          const HessianOptions& options) {
  using std::abs;
  GradientData d;
  const std::size_t n = x.size();
  const std::vector<Real50> x50(x.begin(), x.end());
  for (std::size_t k = 0; k < directions.size(); ++k) {
    const std::vector<double>& v = directions[k];
    const std::vector<Real50> v50(v.begin(), v.end());
    std::vector<Real50> paths;
    const std::vector<Real50> hv50 = hvp_in(f, x50, v50, &paths);
    // kappa: central differences of the 50-digit H v along x o s.
    std::vector<Real50> condition(n, Real50(0));
    const Real50 t = Real50(1e-20);
    for (const auto& s : sign_vectors(n, options.directions, options.seed + k)) {
      std::vector<Real50> xp = x50, xm = x50;
      for (std::size_t j = 0; j < n; ++j) {
        xp[j] = x50[j] * (1 + t * s[j]);
        xm[j] = x50[j] * (1 - t * s[j]);
      }
      const std::vector<Real50> hp = hvp_in(f, xp, v50), hm = hvp_in(f, xm, v50);
      for (std::size_t i = 0; i < n; ++i) {
        const Real50 c = abs(Real50(hp[i] - hm[i])) / (2 * t);
        if (c > condition[i]) condition[i] = c;
      }
    }
    // The reference: Ridders' derivative of the 50-digit (and 100-digit) tape
    // gradient along v.
    GradientAt<F, Real50> g50(f, x50, v50);
    GradientAt<F, Real100> g100(f, std::vector<Real100>(x.begin(), x.end()),
                                std::vector<Real100>(v.begin(), v.end()));
    double vmax = 0, xmax = 0;
    for (std::size_t j = 0; j < n; ++j) {
      vmax = std::max(vmax, std::fabs(v[j]));
      if (v[j] != 0) xmax = std::max(xmax, std::fabs(x[j]));
    }
    // An entry with no path at all is resolved against the scale of H v,
    // or of f itself (|f| / max(1, |x|)^2) where H v is 0.
    Real50 scale = std::fabs(value) / std::pow(std::fmax(1.0, xmax), 2);
    for (const Real50& h : hv50)
      if (abs(h) > scale) scale = abs(h);
    const double step = vmax == 0 ? 1 : std::ldexp(1.0, -8) * std::fmax(1.0, xmax) / vmax;
    for (std::size_t i = 0; i < n; ++i) {
      const Real50 size = paths[i] > 0 ? paths[i] : scale;
      Functions fs;
      fs.f50 = [&g50, i](const Real50& z) { return g50(i, z); };
      fs.f100 = [&g100, i](const Real100& z) { return g100(i, z); };
      d.x.push_back(0);
      d.tape.push_back(double_products[k][i]);
      d.spread.push_back(spreads[k][i]);
      d.tape50.push_back(hv50[i]);
      d.paths.push_back(paths[i]);
      d.condition.push_back(condition[i]);
      d.references.push_back(
          vmax == 0 ? Reference{Real100(0), Real100(0), 50}
                    : staged_derivative(fs, 0.0, Side::central, step, 100,
                                        static_cast<double>(size) * 1e-30));
    }
  }
  return d;
}

HessianReport assemble_hessian(const GradientData& data, const HessianOptions& options,
                               std::size_t n, bool matrix);

}  // namespace detail

/// Checks slope::hessian of a generic callable f (taking a
/// `const std::vector<S>&` and returning S, for S = Var<Dual<double>>,
/// Var<Dual<Real50>>, Var<Real50> and Var<Real100>: a lambda over
/// `const auto&`) at x, entry by entry, with check::gradient's discipline:
///
/// - the reference for column j is Ridders' derivative of the tape gradient
///   in 50 and 100 digits along e_j, resolved to 1e-25 relative (or 1e-30
///   of the entry's path sum);
/// - the double entry must be within K u (|H_ij| + kappa_ij + a_ij + r_ij)
///   of it, where kappa_ij is the change of H_ij under relative
///   perturbations of the inputs (central differences of the 50-digit
///   Hessian along random sign vectors), a_ij the absolute path sum of the
///   forward-over-reverse sweep of column j (the sum over paths of the terms
///   of H e_j, each in absolute value), and r_ij = s_ij / u where s_ij is how
///   far the double entry moves when slope::hessian runs again rounding
///   upward and downward: the rounding error that cancellation inside the
///   computation leaves (log10(exp2(x)) is linear, and its H = 0 is a
///   difference of two terms of size 0.2), which the path sum cannot see;
/// - the 50-digit forward-over-reverse Hessian must agree with the reference
///   to `mp_digits` digits of max(|H_ij|, a_ij, r_ij): the second-derivative
///   rules and the chain rule themselves, beyond double rounding.
///
/// A non-finite input or f(x), an unresolved reference or a non-finite path
/// sum gives Status::cannot_check with the reason, never a pass.
template <class F>
HessianReport hessian(const F& f, const std::vector<double>& x,
                      const HessianOptions& options = {}) {
  initialize_multiprecision();
  const std::size_t n = x.size();
  if (HessianReport r; detail::non_finite_input(x, r)) return r;
  const auto vgh = value_gradient_and_hessian(f, x);
  Matrix<double> up, down;
  detail::with_directed_rounding(true, [&] { up = value_gradient_and_hessian(f, x).hessian; });
  detail::with_directed_rounding(false, [&] { down = value_gradient_and_hessian(f, x).hessian; });
  std::vector<std::vector<double>> directions, products, spreads;
  for (std::size_t j = 0; j < n; ++j) {
    directions.emplace_back(n, 0.0);
    directions.back()[j] = 1;
    // Column j of what slope::hessian returns (symmetric: row j).
    const std::span<const double> row = vgh.hessian.row(j);
    products.emplace_back(row.begin(), row.end());
    spreads.emplace_back(n);
    for (std::size_t i = 0; i < n; ++i)
      spreads.back()[i] = std::fmax(std::fabs(up(j, i) - row[i]), std::fabs(down(j, i) - row[i]));
  }
  detail::GradientData d;
  if (std::isfinite(vgh.value))
    d = detail::hessian_data(f, x, vgh.value, directions, products, spreads, options);
  d.value = vgh.value;
  HessianReport r = detail::assemble_hessian(d, options, n, true);
  r.hessian = vgh.hessian;
  return r;
}

/// Checks slope::hessian_vector_product of f at x along v, component by
/// component, as check::hessian checks a column (the reference is Ridders'
/// derivative of the 50/100-digit tape gradient along v).
template <class F>
HessianReport hessian_vector_product(const F& f, const std::vector<double>& x,
                                     const std::vector<double>& v,
                                     const HessianOptions& options = {}) {
  initialize_multiprecision();
  if (x.size() != v.size()) slope::detail::throw_size_mismatch("check::hessian_vector_product", x.size(), v.size());
  if (HessianReport r; detail::non_finite_input(x, r) || detail::non_finite_input(v, r))
    return r;
  const std::vector<double> hv = slope::hessian_vector_product(f, x, v);
  std::vector<double> up, down, spread(x.size());
  detail::with_directed_rounding(true, [&] { up = slope::hessian_vector_product(f, x, v); });
  detail::with_directed_rounding(false, [&] { down = slope::hessian_vector_product(f, x, v); });
  for (std::size_t i = 0; i < x.size(); ++i)
    spread[i] = std::fmax(std::fabs(up[i] - hv[i]), std::fabs(down[i] - hv[i]));
  const double value = value_and_gradient(f, x).value;
  detail::GradientData d;
  if (std::isfinite(value)) d = detail::hessian_data(f, x, value, {v}, {hv}, {spread}, options);
  d.value = value;
  HessianReport r = detail::assemble_hessian(d, options, x.size(), false);
  r.product = hv;
  return r;
}

/// The report as an fmt table (also what fmt::print("{}", report) prints).
std::string to_string(const PrimitiveReport& r);
std::string to_string(const GradientReport& r);
std::string to_string(const HessianReport& r);

}  // namespace slope::check

template <>
struct fmt::formatter<slope::check::PrimitiveReport> : fmt::formatter<std::string_view> {
  auto format(const slope::check::PrimitiveReport& r, format_context& ctx) const {
    const std::string s = slope::check::to_string(r);
    return fmt::formatter<std::string_view>::format(s, ctx);
  }
};
template <>
struct fmt::formatter<slope::check::GradientReport> : fmt::formatter<std::string_view> {
  auto format(const slope::check::GradientReport& r, format_context& ctx) const {
    const std::string s = slope::check::to_string(r);
    return fmt::formatter<std::string_view>::format(s, ctx);
  }
};
template <>
struct fmt::formatter<slope::check::HessianReport> : fmt::formatter<std::string_view> {
  auto format(const slope::check::HessianReport& r, format_context& ctx) const {
    const std::string s = slope::check::to_string(r);
    return fmt::formatter<std::string_view>::format(s, ctx);
  }
};
template <>
struct fmt::formatter<slope::check::Status> : fmt::formatter<std::string_view> {
  auto format(slope::check::Status s, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(slope::check::to_string(s), ctx);
  }
};
