// reference.cpp - the 50-digit reference: the same program on a traced
// Tape<cpp_bin_float_50>. The only translation unit of the fuzzer that
// includes Boost.Multiprecision (it compiles slowly).
//
// The double gradient is compared with this one only where the comparison
// means something ("well conditioned"); checks.cpp has already required every
// double value and local partial to be finite and normal (or zero) and no
// kink to be hit exactly in double. Here, in this order:
//   - no kink is hit exactly in 50 digits either;
//   - every 50-digit value is within double's normal range (or zero);
//   - every local partial of the program (local_partials(): each step's
//     derivatives with respect to its operands, from the primitive blocks,
//     at the double and at the 50-digit values) is within 2^-26
//     (relatively) of the 50-digit one: otherwise the values the partials
//     were evaluated at differ (cancellation upstream, sin of 1e300, which
//     Boost's 50 digits cannot reduce, a branch taken differently near a kink
//     or a domain edge), and the double gradient answers another question
//     than the reference;
//   - the 50-digit gradient is within double's normal range (or zero).
// (checks.cpp adds: the path sums within double's range.)
//
// For check (d)'s confirmation of a finite component where the other
// recording's is not finite, weaker conditions (Reference::confirmable): the
// double side may have overflowed (that is what is being looked at), so only
// the 50-digit program is required to be finite, to hit no kink exactly and
// to have local partials within 2^-26 of the double ones (rho over these:
// confirm_rho), all three over the steps the output depends on
// (live_values(): a dead step's NaN matters to no gradient), and the
// component itself to be zero or within double's normal range.
//
// A pow with a NaN exponent is not evaluated here (evaluate.hpp throws, and
// the reference is then not available): Boost 1.74's pow recurses without
// end on a NaN with the sign bit set.
// The largest relative difference of a partial, rho, widens the tolerance
// (by 2 * steps * rho: a path of up to `steps` partials each off by rho).
#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <fmt/format.h>

#include "evaluate.hpp"
#include "fuzz.hpp"

namespace slope_fuzz {

using F = boost::multiprecision::cpp_bin_float_50;

struct ReferenceTape {
  slope::Tape<F> tape;
  std::vector<slope::Var<F>> inputs, values;
};

ReferenceTape* make_reference_tape() { return new ReferenceTape; }
void destroy_reference_tape(ReferenceTape* t) { delete t; }

namespace {

constexpr double max_rho = 0x1p-26;

bool in_normal_range(const F& x) {
  using std::abs;
  const F a = abs(x);
  return a == 0 || (a >= F(std::numeric_limits<double>::min()) &&
                    a <= F(std::numeric_limits<double>::max()));
}

void run(ReferenceTape& t, const Program& p, const std::vector<double>& partials, bool verbose,
         Reference& ref) {
  slope::Tape<F>& tape = t.tape;
  tape.trace(true);
  tape.reset();
  const slope::Var<F> y = record(p, t.inputs, t.values);
  std::vector<F> g(t.inputs.size());
  slope::gradient(y, std::span<const slope::Var<F>>(t.inputs), std::span<F>(g));
  tape.trace(false);

  std::vector<F> values;
  for (const auto& v : t.values) values.push_back(v.value());
  for (const F& v : values) ref.values.push_back(static_cast<double>(v));
  for (const F& gk : g) ref.gradient.push_back(static_cast<double>(gk));
  if (verbose) {
    ref.text = "50-digit values:\n";
    for (std::size_t i = 0; i < values.size(); ++i)
      ref.text += fmt::format("  v{:<3} {}\n", i, values[i].str(30));
    ref.text += "50-digit gradient:\n";
    for (std::size_t k = 0; k < g.size(); ++k) ref.text += fmt::format("  d/dv{}: {}\n", k, g[k].str(30));
  }

  // How far the double local partials are from the 50-digit ones.
  LocalPartials<F> local;
  local_partials(p, values, local);
  const std::vector<F>& exact = local.partial;
  F rho = 0;
  std::size_t worst = 0;
  using std::abs;
  for (std::size_t j = 0; j < exact.size() && j < partials.size(); ++j) {
    const F pd(partials[j]);
    const F& pr = exact[j];
    if (pd == pr) continue;  // 0 and 0 included
    // A 50-digit partial that is 0 or not finite (the double one is finite
    // and normal here) is infinitely far; so is a NaN difference.
    using boost::multiprecision::isfinite;
    F r = std::numeric_limits<double>::infinity();
    if (pr != 0 && isfinite(pr)) r = abs(pd - pr) / abs(pr);
    if (!(r <= rho) || !isfinite(r)) {
      rho = isfinite(r) ? r : F(std::numeric_limits<double>::infinity());
      worst = j;
      if (!isfinite(rho)) break;
    }
  }
  ref.rho = static_cast<double>(rho);
  if (verbose && !exact.empty() && worst < partials.size())
    ref.text += fmt::format("largest local partial difference: partial {} of the program, double {}  "
                            "50-digit {}\n", worst, number_hex(partials[worst]), exact[worst].str(20));

  // The weaker conditions, for confirming a component (checks.cpp, check
  // d), over the steps the output depends on only.
  using boost::multiprecision::isfinite;
  const std::vector<bool> live = live_values(p);
  const std::size_t n = p.inputs.size();
  F live_rho = 0;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    if (!live[n + i]) continue;
    for (std::size_t j = i == 0 ? 0 : local.end[i - 1]; j < local.end[i] && j < partials.size(); ++j) {
      const F pd(partials[j]);
      const F& pr = exact[j];
      if (pd == pr) continue;
      const F r = pr != 0 && isfinite(pr) ? F(abs(pd - pr) / abs(pr))
                                          : F(std::numeric_limits<double>::infinity());
      if (!(r <= live_rho)) live_rho = isfinite(r) ? r : F(std::numeric_limits<double>::infinity());
    }
  }
  bool live_finite = true;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (live[i] && !isfinite(values[i])) live_finite = false;
  for (const F& gk : g) ref.gradient_in_range.push_back(in_normal_range(gk));
  if (hits_kink(p, t.values, &live))
    ref.confirm_reason = "a kink is hit exactly (50 digits)";
  else if (!live_finite)
    ref.confirm_reason = "a 50-digit value the output depends on is not finite";
  else if (!(live_rho <= F(max_rho)))
    ref.confirm_reason = "double and 50-digit local partials differ by more than 2^-26";
  else
    ref.confirmable = true;
  ref.confirm_rho = static_cast<double>(live_rho);

  ref.status = Reference::skipped;
  if (hits_kink(p, t.values)) {
    ref.reason = "a kink is hit exactly (50 digits)";
  } else if (!std::all_of(values.begin(), values.end(), in_normal_range)) {
    ref.reason = "a 50-digit value is outside double's normal range";
  } else if (!(rho <= F(max_rho))) {
    ref.reason = "double and 50-digit local partials differ by more than 2^-26 (ill conditioned)";
  } else if (!std::all_of(g.begin(), g.end(), in_normal_range)) {
    ref.reason = "the 50-digit gradient is outside double's normal range";
  } else {
    ref.status = Reference::checked;
  }
}

}  // namespace

Reference reference(ReferenceTape& t, const Program& p, const std::vector<double>& partials,
                    bool verbose) {
  Reference ref;
  try {
    run(t, p, partials, verbose, ref);
  } catch (const slope::error& e) {
    ref.status = Reference::slope_error;
    ref.reason = e.what();
  } catch (const std::exception& e) {
    // Boost.Math's own errors: the reference's problem, not slope's.
    ref.status = Reference::skipped;
    ref.reason = std::string("the 50-digit evaluation threw: ") + e.what();
  }
  t.tape.trace(false);
  return ref;
}

}  // namespace slope_fuzz
