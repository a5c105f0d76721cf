// checks.cpp - one program's checks on Tape<double>:
//
//   (a) no exception in a valid program (slope::error or other), and the
//       misuse probes (a stale Var, a derivative with respect to an
//       intermediate result, mismatched sizes; one program in 16) do throw
//       their slope::error;
//   (b) sweeping twice gives bit-identical gradients, and derivatives()
//       agrees with gradient() bit for bit;
//   (c) reset() and recording the program again gives bit-identical values,
//       recording and gradient, and so does value_and_gradient();
//   (d) traced = untraced: bit-identical values, and, per gradient
//       component where both are finite, |g_traced - g_untraced| <= tol S +
//       64 steps 2^-1074, tol = 64 steps 2^-52, S the path sum (the sweep
//       over |partials| and |seed|, in long double so that it neither
//       underflows nor overflows: the largest of the program's own, from its
//       local partials, and the two recordings'), unless either recording's
//       sweep (replayed by replay_sweep(), which must give the tape's
//       gradient) formed a product partial * adjoint of finite nonzero
//       factors that overflowed or underflowed inexactly, or a sum into an
//       adjoint that overflowed, upstream of that component: then not
//       comparable (folding is guaranteed never to form such a product;
//       the sweep's products are not). One finite and the other not, or two
//       different non-finite values: the finite one against the 50-digit
//       component where that is available (weaker conditions than (e)'s):
//       confirmed within (tol + 2 steps rho) times its own path sum, a
//       failure beyond that times max(its own, the program's), else (or
//       with no reference) unconfirmed; not a failure otherwise;
//   (e) where the program is well conditioned (here: every double value and
//       local partial finite and normal or zero, no kink hit exactly, every
//       value's adjoint path sum zero or within double's normal range;
//       reference.cpp: the rest), the double
//       gradient, untraced and traced, within (tol + 2 steps rho) S + the
//       same absolute term of the 50-digit one.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <exception>
#include <limits>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "evaluate.hpp"
#include "fuzz.hpp"

namespace slope_fuzz {

struct Context {
  slope::Tape<double> tape;
  std::vector<slope::Var<double>> inputs, values;
  ReferenceTape* reference = make_reference_tape();
  Context() = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context() { destroy_reference_tape(reference); }
};

Context* make_context() { return new Context; }
void destroy_context(Context* c) { delete c; }

namespace {

using V = slope::Var<double>;

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}
bool same_bits_or_nan(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_bits(a[i], b[i]) && !(std::isnan(a[i]) && std::isnan(b[i]))) return false;
  return true;
}
bool same_recording(const Snapshot<double>& a, const Snapshot<double>& b) {
  return a.ends == b.ends && a.args == b.args && same_bits(a.partials, b.partials) &&
         a.output == b.output && same_bits(a.seed, b.seed) && a.inputs == b.inputs;
}
bool normal_or_zero(double x) {
  const int c = std::fpclassify(x);
  return c == FP_NORMAL || c == FP_ZERO;
}

std::string list(const std::vector<double>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += fmt::format("{}{}", i ? ", " : "", number_hex(v[i]));
  return "[" + s + "]";
}

/// One recording of the program and what was read from it.
struct Run {
  std::vector<double> values;     // every value, inputs first
  std::vector<double> gradient;   // d output / d inputs
  std::vector<double> gradient2;  // a second sweep
  std::vector<double> derivs;     // derivatives(y, wrt(...)) (the same sweep again)
  Snapshot<double> rec;
  std::string tape_text;          // verbose: the tape printed by fmt
};

Run run(const Program& p, Context& ctx, bool trace, bool verbose) {
  slope::Tape<double>& tape = ctx.tape;
  tape.trace(trace);
  tape.reset();
  const V y = record(p, ctx.inputs, ctx.values);
  Run r;
  for (const V& v : ctx.values) r.values.push_back(v.value());
  const std::size_t n = ctx.inputs.size();
  const std::span<const V> xs(ctx.inputs);
  r.gradient.resize(n);
  r.gradient2.resize(n);
  slope::gradient(y, xs, std::span<double>(r.gradient));
  slope::gradient(y, xs, std::span<double>(r.gradient2));
  const auto& x = ctx.inputs;
  auto put = [&r](const auto& d) { r.derivs.assign(d.begin(), d.end()); };
  switch (n) {
    case 2: put(slope::derivatives(y, slope::wrt(x[0], x[1]))); break;
    case 3: put(slope::derivatives(y, slope::wrt(x[0], x[1], x[2]))); break;
    default: put(slope::derivatives(y, slope::wrt(x[0], x[1], x[2], x[3]))); break;
  }
  r.rec = snapshot(tape, y, ctx.inputs);
  if (verbose) r.tape_text = fmt::format("{}", tape);
  tape.trace(false);
  return r;
}

/// The path sums of the program itself, for every value (inputs first): the
/// sweep of the step DAG over the absolute values of its local partials, in
/// long double. Unlike a recording's, it sees every path separately: a
/// recording merges the terms of one statement (fma(c, x, x) has one operand
/// with partial c + 1), which hides a cancellation between them.
std::vector<long double> program_path_sums(const Program& p, const LocalPartials<double>& lp) {
  const std::size_t n = p.inputs.size();
  std::vector<long double> adj(p.values(), 0.0L);
  adj.back() = 1;
  for (std::size_t i = p.steps.size(); i-- > 0;) {
    const long double a = adj[n + i];
    if (a == 0) continue;
    for (std::size_t j = i == 0 ? 0 : lp.end[i - 1]; j < lp.end[i]; ++j) {
      if (lp.partial[j] == 0) continue;
      adj[static_cast<std::size_t>(lp.ref[j])] += std::fabs(static_cast<long double>(lp.partial[j])) * a;
    }
  }
  return adj;
}

/// The path sums of each input's derivative: the same sweep as the tape's,
/// over the absolute values of the partials and the seed, in long double (a
/// product of a few dozen doubles neither underflows nor overflows there).
std::vector<long double> path_sums(const Snapshot<double>& s) {
  std::vector<long double> out(s.inputs.size(), 0.0L);
  if (s.output == 0 || s.output >= s.ends.size()) return out;
  std::vector<long double> adj(s.output + 1, 0.0L);
  adj[s.output] = std::fabs(static_cast<long double>(s.seed));
  for (std::uint64_t i = s.output; i > 0; --i) {
    const long double a = adj[i];
    if (a == 0) continue;  // as the tape's sweep: nothing flows from here
    for (std::uint64_t j = s.ends[i - 1]; j < s.ends[i]; ++j) {
      if (s.partials[j] == 0) continue;  // carries nothing, even under an infinite adjoint
      adj[s.args[j]] += std::fabs(static_cast<long double>(s.partials[j])) * a;
    }
  }
  for (std::size_t k = 0; k < s.inputs.size(); ++k)
    if (s.inputs[k] <= s.output) out[k] = adj[s.inputs[k]];
  return out;
}

enum class Agreement { ok, beyond_tolerance, finite_vs_nonfinite, nonfinite_mismatch };

/// How far two gradients computed in different orders may be apart: each
/// rounding moves a result by a relative 2^-53 of its size or, where it is
/// subnormal, by an absolute 2^-1075 (the model of IEEE arithmetic with
/// gradual underflow), so `relative` times the path sum plus `absolute`.
/// The absolute term is 64 * steps subnormal units (about 5e-321 for 16
/// steps): a product that underflows to 0 in one order only, from anywhere
/// above that, still fails.
struct Tolerance {
  long double relative, absolute;
  long double of(long double s) const { return relative * s + absolute; }
};

/// Whether a and b agree to within the tolerance, where both are finite. A
/// path sum that is not finite bounds nothing.
Agreement agree(double a, double b, long double s, const Tolerance& tol) {
  const bool fa = std::isfinite(a), fb = std::isfinite(b);
  if (fa && fb) {
    if (!std::isfinite(s)) return Agreement::ok;
    const long double d = std::fabs(static_cast<long double>(a) - static_cast<long double>(b));
    return d <= tol.of(s) ? Agreement::ok : Agreement::beyond_tolerance;
  }
  if (fa != fb) return Agreement::finite_vs_nonfinite;
  if (std::isnan(a) && std::isnan(b)) return Agreement::ok;
  return a == b ? Agreement::ok : Agreement::nonfinite_mismatch;
}

const char* agreement_name(Agreement a) {
  switch (a) {
    case Agreement::beyond_tolerance: return "beyond tolerance";
    case Agreement::finite_vs_nonfinite: return "finite vs non-finite";
    case Agreement::nonfinite_mismatch: return "different non-finite values";
    default: return "ok";
  }
}

/// Compares two gradients component by component; adds one failure (of the
/// worst kind seen) if any component disagrees.
void compare_gradients(Outcome& o, const std::string& what, const char* name_a,
                       const std::vector<double>& a, const char* name_b,
                       const std::vector<double>& b, const std::vector<long double>& s,
                       const Tolerance& tol) {
  Agreement worst = Agreement::ok;
  std::string detail;
  for (std::size_t k = 0; k < a.size(); ++k) {
    const Agreement r = agree(a[k], b[k], s[k], tol);
    detail += fmt::format("    d/dv{}: {} {}  {} {}  |diff| {:.3Le}  path sum {:.3Le}  allowed {:.3Le}{}\n",
                          k, name_a, number_hex(a[k]), name_b, number_hex(b[k]),
                          std::fabs(static_cast<long double>(a[k]) - static_cast<long double>(b[k])),
                          s[k], tol.of(s[k]), r == Agreement::ok ? "" : "   <-- " + std::string(agreement_name(r)));
    if (r != Agreement::ok && (worst == Agreement::ok || r == Agreement::finite_vs_nonfinite)) worst = r;
  }
  if (worst != Agreement::ok)
    o.failures.push_back({what + ", " + agreement_name(worst),
                          fmt::format("  allowed: {:.3Le} of the path sum + {:.3Le}\n{}", tol.relative,
                                      tol.absolute, detail)});
}

/// Whether p * a, both finite and nonzero, with the double result r zero or
/// subnormal, is exact: the product of the significands (in [1/4, 1), exact
/// as hi + lo) scaled back from r must be hi, with lo = 0. A subnormal
/// result can be exact (1 * 5e-324); then it lost nothing.
bool exact_product(double p, double a, double r) {
  int ep = 0, ea = 0;
  const double mp = std::frexp(p, &ep), ma = std::frexp(a, &ea);
  const double hi = mp * ma;
  if (std::fma(mp, ma, -hi) != 0) return false;
  return std::ldexp(r, -(ep + ea)) == hi;
}

/// A recording's reverse sweep, replayed in double over its arrays
/// (statement_ends(), operand_indices(), partials()) as Tape::sweep does it:
/// seeded with the output's partial at the output's statement, statements
/// from the output down, a zero adjoint skipped, and under a non-finite one
/// a zero partial skipped; per operand adjoint[arg] += partial * adjoint.
/// Each operation is tested: a product partial * adjoint of two finite
/// nonzero factors that overflows, or underflows (to zero or a subnormal,
/// inexactly), or a sum of two finite terms into an adjoint that overflows,
/// is flagged (a sum cannot underflow: a subnormal or zero sum is exact).
/// Everything the sweep computes from a flagged adjoint, through nonzero
/// partials (also where the flagged adjoint came out 0 and the sweep passes
/// it over), is affected; `affected` says which inputs are.
struct SweepReplay {
  std::vector<double> gradient;  // the inputs' adjoints: the tape's gradient, bit for bit
  std::vector<bool> affected;    // per input: reached from a flagged operation
  std::size_t flagged = 0;       // operations flagged
  std::string text;              // the first few flagged operations
};

SweepReplay replay_sweep(const Snapshot<double>& s) {
  SweepReplay r;
  r.gradient.assign(s.inputs.size(), 0.0);
  r.affected.assign(s.inputs.size(), false);
  if (s.output == 0 || s.output >= s.ends.size()) return r;  // a constant: no sweep
  std::vector<double> adj(s.output + 1, 0.0);
  std::vector<char> taint(s.output + 1, 0);
  adj[s.output] = s.seed;
  const auto finite_nonzero = [](double x) { return x != 0 && std::isfinite(x); };
  for (std::uint64_t i = s.output; i > 0; --i) {
    const std::uint64_t lo = s.ends[i - 1], hi = s.ends[i];
    const double a = adj[i];
    if (taint[i] != 0)
      for (std::uint64_t j = lo; j < hi; ++j)
        if (s.partials[j] != 0) taint[s.args[j]] = 1;
    if (lo == hi || a == 0) continue;
    const bool careful = !(std::fabs(a) <= std::numeric_limits<double>::max());
    for (std::uint64_t j = lo; j < hi; ++j) {
      const double p = s.partials[j];
      if (careful && p == 0) continue;
      const std::uint64_t k = s.args[j];
      const double c = p * a;
      const double before = adj[k];
      const double after = before + c;
      const char* what = nullptr;
      if (finite_nonzero(p) && finite_nonzero(a)) {
        if (std::isinf(c))
          what = "the product overflows";
        else if (!normal_or_zero(c) || c == 0)
          what = exact_product(p, a, c) ? nullptr : "the product underflows";
      }
      if (what == nullptr && std::isfinite(before) && std::isfinite(c) && std::isinf(after))
        what = "the sum overflows";
      if (what != nullptr) {
        taint[k] = 1;
        if (++r.flagged <= 4)
          r.text += fmt::format("    statement {} -> {}: partial {} * adjoint {} = {}; adjoint {} + {} = {}: {}\n",
                                i, k, number_hex(p), number_hex(a), number_hex(c), number_hex(before),
                                number_hex(c), number_hex(after), what);
      }
      adj[k] = after;
    }
  }
  for (std::size_t k = 0; k < s.inputs.size(); ++k) {
    const std::uint64_t x = s.inputs[k];
    if (x == 0 || x > s.output) continue;
    r.gradient[k] = adj[x];
    r.affected[k] = taint[x] != 0;
  }
  if (r.flagged > 4) r.text += fmt::format("    ... {} flagged in all\n", r.flagged);
  return r;
}

/// Whether a component of the 50-digit reference can confirm a finite double
/// one (check d, where the other recording's is not finite); why not if not.
std::string confirmation_unavailable(const Reference& ref, bool evaluated, bool double_kink,
                                     std::size_t k) {
  if (!evaluated) return "no 50-digit reference";
  if (ref.status == Reference::slope_error) return "slope::error on the 50-digit tape";
  if (double_kink) return "a kink is hit exactly (double)";
  if (!ref.confirmable) return ref.confirm_reason.empty() ? ref.reason : ref.confirm_reason;
  if (k >= ref.gradient_in_range.size() || !ref.gradient_in_range[k])
    return "the 50-digit gradient component is not finite, or outside double's normal range";
  return "";
}

template <class E, class F>
void expect_throw(Outcome& o, const char* what, F&& f) {
  try {
    f();
  } catch (const E&) {
    return;
  } catch (const std::exception& e) {
    o.failures.push_back({"a: misuse threw the wrong exception",
                          fmt::format("  {}: {}\n", what, e.what())});
    return;
  }
  o.failures.push_back({"a: misuse not caught", fmt::format("  {}: nothing thrown\n", what)});
}

/// Misuse that slope must catch with a slope::error (tape_error or
/// argument_error), on a tracing or a plain tape.
void misuse_probes(Context& ctx, bool trace, Outcome& o) {
  slope::Tape<double>& tape = ctx.tape;
  tape.trace(trace);
  tape.reset();
  V stale = 1.5;
  V w = stale * 2.0;
  tape.reset();
  V fresh = 2.0;
  double g[2] = {0, 0};
  expect_throw<slope::tape_error>(o, "a stale Var (after reset) + a number", [&] { (void)(stale + 1.0); });
  expect_throw<slope::tape_error>(o, "exp of a stale Var", [&] { (void)slope::exp(w); });
  expect_throw<slope::tape_error>(o, "a stale Var * a fresh one", [&] { (void)(stale * fresh); });
  expect_throw<slope::tape_error>(o, "sum of a stale and a fresh Var", [&] { (void)slope::sum(fresh, stale); });
  expect_throw<slope::tape_error>(o, "the gradient of a stale Var", [&] {
    slope::gradient(stale, std::span<const V>(&fresh, 1), std::span<double>(g, 1));
  });
  V a = 0.5, b = 0.25;
  V c = a * b;
  expect_throw<slope::tape_error>(o, "a derivative with respect to an intermediate result", [&] {
    slope::gradient(c, std::span<const V>(&c, 1), std::span<double>(g, 1));
  });
  const V ab[2] = {a, b};
  const double one[1] = {1.0};
  expect_throw<slope::argument_error>(o, "dot of 2 Vars and 1 number", [&] {
    (void)slope::dot(std::span<const V>(ab), std::span<const double>(one));
  });
  expect_throw<slope::argument_error>(o, "gradient into a span of the wrong size", [&] {
    slope::gradient(c, std::span<const V>(ab), std::span<double>(g, 1));
  });
  tape.trace(false);
  tape.reset();
}

void check_program(const Program& p, Context& ctx, bool verbose, Outcome& o) {
  const long double steps = static_cast<long double>(std::max<std::size_t>(1, p.steps.size()));
  const Tolerance tol{64.0L * steps * 0x1p-52L, 64.0L * steps * 0x1p-1074L};

  // (b) within one recording, (c) against a second one.
  const Run untraced = run(p, ctx, false, verbose);
  if (!same_bits(untraced.gradient, untraced.gradient2))
    o.failures.push_back({"b: re-sweep gives another gradient",
                          fmt::format("  first  {}\n  second {}\n", list(untraced.gradient),
                                      list(untraced.gradient2))});
  if (!same_bits(untraced.gradient, untraced.derivs))
    o.failures.push_back({"b: derivatives() differs from gradient()",
                          fmt::format("  gradient()    {}\n  derivatives() {}\n",
                                      list(untraced.gradient), list(untraced.derivs))});
  const Run again = run(p, ctx, false, false);
  if (!same_bits(untraced.values, again.values))
    o.failures.push_back({"c: reset and re-record gives other values",
                          fmt::format("  first  {}\n  second {}\n", list(untraced.values), list(again.values))});
  else if (!same_recording(untraced.rec, again.rec))
    o.failures.push_back({"c: reset and re-record gives another recording", ""});
  if (!same_bits(untraced.gradient, again.gradient))
    o.failures.push_back({"c: reset and re-record gives another gradient",
                          fmt::format("  first  {}\n  second {}\n", list(untraced.gradient),
                                      list(again.gradient))});
  {
    auto f = [&p](const std::vector<V>& x) {
      std::vector<V> values(x.begin(), x.end());
      return evaluate(p, values);
    };
    const auto vg = slope::value_and_gradient(f, std::span<const double>(p.inputs), ctx.tape);
    if (!same_bits(vg.value, untraced.values.back()) || !same_bits(vg.gradient, untraced.gradient))
      o.failures.push_back({"c: value_and_gradient() differs from recording by hand",
                            fmt::format("  by hand             {} {}\n  value_and_gradient  {} {}\n",
                                        number_hex(untraced.values.back()), list(untraced.gradient),
                                        number_hex(vg.value), list(vg.gradient))});
  }

  // (d) traced = untraced.
  const Run traced = run(p, ctx, true, verbose);
  if (!same_bits(traced.gradient, traced.gradient2))
    o.failures.push_back({"b: re-sweep gives another gradient (traced)",
                          fmt::format("  first  {}\n  second {}\n", list(traced.gradient),
                                      list(traced.gradient2))});
  // Values are bit-identical, except that of two NaNs either may come out
  // (the sign and payload of a + b for NaN operands depend on the operand
  // order the compiler picks for a commutative operation, and a sum that
  // grows a statement computes its value in other code than the traced
  // operation does).
  if (!same_bits_or_nan(traced.values, untraced.values)) {
    std::string d;
    for (std::size_t i = 0; i < traced.values.size(); ++i)
      if (!same_bits(traced.values[i], untraced.values[i]) &&
          !(std::isnan(traced.values[i]) && std::isnan(untraced.values[i])))
        d += fmt::format("    v{}: untraced {}  traced {}\n", i, number_hex(untraced.values[i]),
                         number_hex(traced.values[i]));
    o.failures.push_back({"d: traced vs untraced values", d});
  }
  // The path sum: the program's, and the recordings' (which should not be
  // larger, but rounding differs); NaN partials make it NaN, which bounds
  // nothing.
  LocalPartials<double> local;
  local_partials(p, traced.values, local);
  const std::vector<long double> adjoint_bounds = program_path_sums(p, local);
  const std::vector<long double> sp(adjoint_bounds.begin(),
                                    adjoint_bounds.begin() + static_cast<std::ptrdiff_t>(p.inputs.size()));
  const std::vector<long double> su = path_sums(untraced.rec), st = path_sums(traced.rec);
  std::vector<long double> s(su.size());
  for (std::size_t k = 0; k < s.size(); ++k)
    s[k] = std::isnan(sp[k]) || std::isnan(su[k]) || std::isnan(st[k])
               ? std::numeric_limits<long double>::quiet_NaN()
               : std::max({sp[k], su[k], st[k]});
  // Each sweep replayed, with its under- and overflows flagged; the replay
  // must be the tape's sweep, or what it flags means nothing: bit for bit,
  // but any NaN equals any NaN (which operand's NaN an addition passes on,
  // and its sign, depend on the order the compiler gave the operands).
  const SweepReplay replay_u = replay_sweep(untraced.rec), replay_t = replay_sweep(traced.rec);
  for (const auto& [name, r, replayed] : {std::tuple{"untraced", &untraced, &replay_u},
                                          std::tuple{"traced", &traced, &replay_t}})
    if (!same_bits_or_nan(r->gradient, replayed->gradient))
      o.failures.push_back({fmt::format("d: the sweep's gradient differs from its replay ({})", name),
                            fmt::format("  tape   {}\n  replay {}\n", list(r->gradient),
                                        list(replayed->gradient))});
  // Components whose finiteness differs, or two different non-finite values:
  // classified against the 50-digit reference below.
  bool finiteness_differs = false;
  for (std::size_t k = 0; k < untraced.gradient.size(); ++k) {
    const double gu = untraced.gradient[k], gt = traced.gradient[k];
    if (std::isfinite(gu) && std::isfinite(gt)) continue;
    if (agree(gu, gt, 0, tol) != Agreement::ok) finiteness_differs = true;
  }

  if ((p.seed & 15) == 3) misuse_probes(ctx, (p.seed >> 4 & 1) != 0, o);

  // (e) against the 50-digit reference, where well conditioned. The double
  // side first: every value and local partial finite and normal (or zero),
  // no kink hit exactly. The local partials are each step's derivatives with
  // respect to its operands, from the primitive blocks (the untraced
  // recording's partials are products formed by folding: what is checked).
  // And every value's path sum (the bound of its adjoint, d output / d value)
  // zero or within double's normal range: a reverse sweep holds every
  // adjoint in a double, so where one cannot be represented (the adjoint of
  // x in -DBL_MAX * expm1(x) is -DBL_MAX e^x, which overflows for x > 0
  // although the gradient may not), no double sweep, in any order, is
  // accurate.
  const std::vector<double>& partials = local.partial;
  std::string skip;
  if (!std::all_of(traced.values.begin(), traced.values.end(), normal_or_zero))
    skip = "a double value is not finite and normal";
  else if (!std::all_of(partials.begin(), partials.end(), normal_or_zero))
    skip = "a double local partial is not finite and normal";
  else if (hits_kink(p, ctx.values))  // ctx.values: the traced recording's
    skip = "a kink is hit exactly (double)";
  else if (!std::all_of(adjoint_bounds.begin(), adjoint_bounds.end(), [](long double x) {
             return x == 0 || (x >= static_cast<long double>(std::numeric_limits<double>::min()) &&
                               x <= static_cast<long double>(std::numeric_limits<double>::max()));
           }))
    skip = "an adjoint's path sum is outside double's normal range";
  // A replay runs the reference for the printout even where it does not
  // count; it then adds no failure either.
  const bool counts = skip.empty();
  const std::vector<bool> live = live_values(p);
  const bool double_kink = hits_kink(p, ctx.values, &live);  // for (d)'s confirmation
  Reference ref;
  const bool ref_evaluated = counts || verbose || finiteness_differs;
  if (ref_evaluated) {
    ref = reference(*ctx.reference, p, partials, verbose);
    if (counts && ref.status == Reference::slope_error)
      o.failures.push_back({"a: slope::error on the 50-digit tape", "  " + ref.reason + "\n"});
    else if (counts && ref.status == Reference::skipped)
      skip = ref.reason;
  }
  if (counts && ref.status == Reference::checked) {
    o.reference_checked = true;
    const Tolerance tol_e{tol.relative + 2.0L * static_cast<long double>(p.steps.size()) *
                                             static_cast<long double>(ref.rho),
                          tol.absolute};
    compare_gradients(o, "e: untraced gradient vs 50-digit", "double", untraced.gradient,
                      "50-digit", ref.gradient, s, tol_e);
    compare_gradients(o, "e: traced gradient vs 50-digit", "double", traced.gradient, "50-digit",
                      ref.gradient, s, tol_e);
  } else {
    o.skip_reason = skip.empty() ? "not checked" : skip;
  }

  std::string d_text;  // verbose: the classification of (d)
  // (d) the gradients, component by component:
  //   both finite: within the tolerance, unless a flagged operation of
  //     either sweep reaches the component (then not comparable);
  //   the same non-finite value (both NaN, or the same infinity): agree;
  //   else (one finite and the other not, or two different non-finite
  //     values): the finite one against the 50-digit component where that
  //     is available (confirmation_unavailable()); within (tol + 2 steps
  //     rho) times the finite recording's own path sum it is confirmed;
  //     beyond that tolerance times max(its path sum, the program's), with
  //     that finite, it fails (a silently wrong value) unless a flagged
  //     operation of its own sweep reaches it; otherwise, or with no
  //     reference, unconfirmed.
  {
    const Tolerance tol_e{tol.relative + 2.0L * static_cast<long double>(p.steps.size()) *
                                             static_cast<long double>(ref.confirm_rho),
                          tol.absolute};
    Agreement worst = Agreement::ok;
    bool sweep_u = false, sweep_t = false, sweep_beyond = false;
    std::string detail, confirmed, unconfirmed, two_nonfinite;
    for (std::size_t k = 0; k < untraced.gradient.size(); ++k) {
      const double gu = untraced.gradient[k], gt = traced.gradient[k];
      const bool au = replay_u.affected[k], at = replay_t.affected[k];
      std::string line = fmt::format("    d/dv{}: untraced {}  traced {}", k, number_hex(gu), number_hex(gt));
      std::string verdict;
      if (std::isfinite(gu) && std::isfinite(gt)) {
        const long double d = std::fabs(static_cast<long double>(gu) - static_cast<long double>(gt));
        line += fmt::format("  |diff| {:.3Le}  path sum {:.3Le}  allowed {:.3Le}", d, s[k], tol.of(s[k]));
        if (au || at) {
          sweep_u = sweep_u || au;
          sweep_t = sweep_t || at;
          const bool beyond = agree(gu, gt, s[k], tol) != Agreement::ok;
          sweep_beyond = sweep_beyond || beyond;
          verdict = fmt::format("not compared: sweep under/overflow ({}){}",
                                au && at ? "traced and untraced" : au ? "untraced" : "traced",
                                beyond ? ", and beyond the tolerance" : ", within the tolerance anyway");
        } else if (agree(gu, gt, s[k], tol) != Agreement::ok) {
          worst = Agreement::beyond_tolerance;
          verdict = "<-- beyond tolerance";
        }
      } else if (agree(gu, gt, 0, tol) == Agreement::ok) {
        // the same non-finite value
      } else if (!std::isfinite(gu) && !std::isfinite(gt)) {
        verdict = "two different non-finite values: nothing to confirm";
        two_nonfinite += line + "\n";
      } else {
        const bool untraced_finite = std::isfinite(gu);
        const double g = untraced_finite ? gu : gt;
        const long double own = untraced_finite ? su[k] : st[k];
        const bool affected = untraced_finite ? au : at;
        const std::string why = confirmation_unavailable(ref, ref_evaluated, double_kink, k);
        if (!why.empty()) {
          verdict = "one non-finite, unconfirmed: " + why;
          unconfirmed += line + "  (" + why + ")\n";
        } else {
          const long double r = ref.gradient[k];
          const long double d = std::fabs(static_cast<long double>(g) - r);
          const long double nan = std::numeric_limits<long double>::quiet_NaN();
          const long double wide = std::isnan(sp[k]) || std::isnan(own) ? nan : std::max(sp[k], own);
          // The reference's own error: its sweep rounds to 2^-167 of its
          // path sum (the program's, to within rho), as the double one to
          // 2^-53 of its own; bounded here with the same margins as the
          // double model's (64 steps), and 2^-160.
          const long double ref_error = 64.0L * steps * 0x1p-160L * sp[k];
          const long double allowed = tol_e.of(own);
          line += fmt::format("  50-digit {}  |diff| {:.3Le}  allowed {:.3Le} (own path sum {:.3Le}; "
                              "the 50-digit one's error up to {:.3Le}), {:.3Le} (with the program's path sum {:.3Le})",
                              number_hex(ref.gradient[k]), d, allowed, own, ref_error, tol_e.of(wide), wide);
          std::string w;
          if (!std::isfinite(allowed))
            w = "its own path sum is not finite";
          else if (!(ref_error <= allowed))
            w = "the 50-digit gradient is not known to within that tolerance (the program's path sum is too large)";
          if (w.empty() && d <= allowed) {
            verdict = "one non-finite, the finite one confirmed by 50 digits";
            confirmed += line + "\n";
          } else if (std::isfinite(wide) && !(d <= tol_e.of(wide))) {
            if (affected) {
              (untraced_finite ? sweep_u : sweep_t) = true;
              sweep_beyond = true;
              verdict = "one non-finite, the finite one off the 50-digit one: sweep under/overflow";
            } else {
              worst = Agreement::finite_vs_nonfinite;
              verdict = "<-- one non-finite, the finite one off the 50-digit one";
            }
          } else {
            if (w.empty()) w = "it agrees only within the program's path sum";
            verdict = "one non-finite, unconfirmed: " + w;
            unconfirmed += line + "  (" + w + ")\n";
          }
        }
      }
      detail += line + (verdict.empty() ? "" : "   " + verdict) + "\n";
    }
    if (worst == Agreement::beyond_tolerance)
      o.failures.push_back({"d: traced vs untraced gradient, beyond tolerance",
                            fmt::format("  allowed: {:.3Le} of the path sum + {:.3Le}\n{}", tol.relative,
                                        tol.absolute, detail)});
    else if (worst == Agreement::finite_vs_nonfinite)
      o.failures.push_back({"d: traced vs untraced gradient, one non-finite and the finite one "
                            "off the 50-digit reference",
                            fmt::format("  allowed: ({:.3Le} + 2 steps rho {:.3e}) of the path sum + {:.3Le}\n{}",
                                        tol.relative, ref.confirm_rho, tol.absolute, detail)});
    auto flagged = [](const char* name, const SweepReplay& r) {
      return r.flagged == 0 ? std::string()
                            : fmt::format("  flagged in the {} sweep:\n{}", name, r.text);
    };
    const std::string sweeps = flagged("untraced", replay_u) + flagged("traced", replay_t);
    if (sweep_u || sweep_t)
      o.notes.push_back({fmt::format("not comparable: sweep under/overflow ({})",
                                     sweep_u && sweep_t ? "traced and untraced"
                                     : sweep_u          ? "untraced"
                                                        : "traced"),
                         detail + sweeps, true, sweep_beyond});
    if (!confirmed.empty())
      o.notes.push_back({"one recording non-finite, the finite one confirmed by 50 digits", confirmed});
    const bool output_finite = std::isfinite(traced.values.back());
    if (!unconfirmed.empty())
      o.notes.push_back({"one recording non-finite, unconfirmed", unconfirmed, output_finite});
    if (!two_nonfinite.empty())
      o.notes.push_back({"two different non-finite values, unconfirmed", two_nonfinite, output_finite});
    if (verbose) d_text = "check (d), gradient:\n" + detail + sweeps;
  }

  if (verbose) {
    std::string t = to_string(p);
    t += "inputs:\n" + inputs_to_string(p);
    t += "values (untraced = traced unless reported):\n";
    for (std::size_t i = 0; i < untraced.values.size(); ++i) {
      t += fmt::format("  v{:<3} {}", i, number_hex(untraced.values[i]));
      if (!same_bits(untraced.values[i], traced.values[i]))
        t += fmt::format("   traced {}", number_hex(traced.values[i]));
      if (i < ref.values.size()) t += fmt::format("   50-digit {}", number(ref.values[i]));
      t += "\n";
    }
    t += fmt::format("output partial (sweep seed): untraced {}  traced {}\n",
                     number_hex(untraced.rec.seed), number_hex(traced.rec.seed));
    t += "gradient:\n";
    for (std::size_t k = 0; k < untraced.gradient.size(); ++k) {
      t += fmt::format("  d/dv{}: untraced {}  traced {}", k, number_hex(untraced.gradient[k]),
                       number_hex(traced.gradient[k]));
      if (k < ref.gradient.size()) t += fmt::format("  50-digit {}", number(ref.gradient[k]));
      t += fmt::format("  path sums {:.6Le} (program) {:.6Le} (untraced) {:.6Le} (traced)\n", sp[k],
                       su[k], st[k]);
    }
    t += fmt::format("tolerance (d): {:.3Le} of the path sum + {:.3Le}\n", tol.relative, tol.absolute);
    t += d_text;
    t += fmt::format("50-digit reference: {}{}; largest relative difference of a local partial {:.3e}\n",
                     o.reference_checked ? "compared" : "not compared",
                     o.skip_reason.empty() ? "" : " (" + o.skip_reason + ")", ref.rho);
    t += ref.text;
    t += "untraced " + untraced.tape_text + "traced " + traced.tape_text;
    o.text = t;
  }
}

}  // namespace

Outcome check(const Program& p, Context& ctx, bool verbose) {
  Outcome o;
  try {
    check_program(p, ctx, verbose, o);
  } catch (const slope::error& e) {
    o.failures.push_back({"a: slope::error in a valid program", fmt::format("  {}\n", e.what())});
  } catch (const std::exception& e) {
    o.failures.push_back({"a: exception in a valid program", fmt::format("  {}\n", e.what())});
  }
  if (!o.failures.empty()) ctx.tape.trace(false);
  return o;
}

std::string failure_report(const Program& p, const Outcome& o, const char* replay_command) {
  std::string kinds;
  for (const Failure& f : o.failures) kinds += (kinds.empty() ? "" : "; ") + f.kind;
  std::string s = fmt::format("FAIL: {}\n  seed {:#018x}\n  replay: SLOPE_FUZZ_SEED={:#018x} {}\n",
                              kinds, p.seed, p.seed, replay_command);
  s += to_string(p);
  s += "inputs:\n" + inputs_to_string(p);
  for (const Failure& f : o.failures) s += fmt::format("{}:\n{}", f.kind, f.detail);
  return s;
}

}  // namespace slope_fuzz
