// slope_check.cpp - `slope-check`: verifies every registered primitive.
//
// For each primitive of slope::unary_primitives, slope::binary_primitives
// and slope::loss_primitives, check::primitive sweeps its whole double
// domain, comparing the value and the derivative the tape records in double
// with the truth in many digits,
// and prints one row: the rule, the points checked and those it could not
// resolve (never counted as passes), the largest error of value and
// derivative in ULPs (normal results; subnormal ones in units of 2^-1074),
// where the derivative is worst, the same for the second derivative, the kink convention, which truth the
// derivative was measured against, and PASS or FAIL against the bound slope
// documents for it. Exits with status 1 if any primitive fails.
//
// The truth: values are the primitive's forward pass in 100 digits (agreeing
// with 50, and with 400 at |x| >= 2^40). Derivatives of smooth primitives are
// a closed form of f' in 100 digits, written independently of the rule the
// tape uses (sigmoid' as 1/(4 cosh^2(z/2))), and Ridders' numerical
// derivative of the forward pass must agree with it at every 8th point;
// piecewise linear and binary primitives use Ridders' derivative everywhere.
//
// Second derivatives ("2nd" columns): the tape of Dual numbers
// (forward-over-reverse, what slope::hessian runs) against a closed form of
// f'' in 100 digits, cross-checked at every 8th point by Ridders' derivative
// of the block's first-derivative rule (or, without a closed form, that
// derivative everywhere); for binary primitives, the three second partials.
// At a kink the tape's f'' must lie between the true f'' on either side.
//
//   slope-check                   every primitive, full sweep (2 threads)
//   slope-check --quick           a coarse sweep, a few seconds
//   slope-check --primitive tanh  one primitive, with its detailed report
//   slope-check --points 20001    grid points per primitive
//   slope-check --precision 100   highest precision of Ridders' derivative (50, 100, 400)
//   slope-check --numerical       Ridders' derivative at every point, no closed forms
//   slope-check --cross-check 1   Ridders' derivative at every n-th point of a closed form
//   slope-check --threads 4
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include <slope/check.hpp>
#include <slope/slope.hpp>

namespace {

using slope::check::PrimitiveReport;
using slope::check::SweepOptions;

struct Job {
  std::string_view name;
  std::function<PrimitiveReport(const SweepOptions&)> run;
};

template <class Tuple>
void add_jobs(std::vector<Job>& jobs) {
  std::apply(
      [&jobs](auto... p) {
        (jobs.push_back({decltype(p)::name,
                         [](const SweepOptions& o) { return slope::check::primitive(decltype(p){}, o); }}),
         ...);
      },
      Tuple{});
}

std::string ulps(double u) { return u == 0 ? "0" : fmt::format("{:.2f}", u); }

int usage(const char* argv0) {
  fmt::print(stderr,
             "usage: {} [--quick] [--primitive NAME] [--points N] [--precision 50|100|400] "
             "[--numerical] [--cross-check N] [--threads N]\n",
             argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  SweepOptions base;
  std::string only;
  unsigned threads = 2;
  bool numerical = false;
  int cross_check = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--quick") {
      base = SweepOptions::quick();
    } else if (a == "--primitive") {
      const char* v = next();
      if (v == nullptr) return usage(argv[0]);
      only = v;
    } else if (a == "--points") {
      const char* v = next();
      if (v == nullptr) return usage(argv[0]);
      base.grid = std::atoi(v);
    } else if (a == "--precision") {
      const char* v = next();
      if (v == nullptr) return usage(argv[0]);
      base.max_digits = std::atoi(v);
    } else if (a == "--numerical") {
      numerical = true;
    } else if (a == "--cross-check") {
      const char* v = next();
      if (v == nullptr) return usage(argv[0]);
      cross_check = std::atoi(v);
      if (cross_check < 0) return usage(argv[0]);
    } else if (a == "--threads") {
      const char* v = next();
      if (v == nullptr) return usage(argv[0]);
      threads = static_cast<unsigned>(std::max(1, std::atoi(v)));
    } else {
      return usage(argv[0]);
    }
  }
  // --quick resets the options: the flags apply whatever their order.
  if (numerical) base.closed_forms = false;
  if (cross_check >= 0) base.cross_check_stride = cross_check;

  std::vector<Job> jobs;
  add_jobs<slope::unary_primitives>(jobs);
  add_jobs<slope::binary_primitives>(jobs);
  add_jobs<slope::loss_primitives>(jobs);
  if (!only.empty()) {
    std::erase_if(jobs, [&](const Job& j) { return j.name != only; });
    if (jobs.empty()) {
      fmt::print(stderr, "slope-check: no primitive named '{}'\n", only);
      return 2;
    }
  }

  // Each thread takes the next primitive; every sweep records on a tape of
  // its own thread. Boost.Multiprecision's lazily set numeric_limits values
  // are set here, on this thread, before any worker starts (check.hpp says
  // which and why; the sweeps would also do it, once).
  slope::check::initialize_multiprecision();
  std::vector<PrimitiveReport> reports(jobs.size());
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < std::min<std::size_t>(threads, jobs.size()); ++t)
    pool.emplace_back([&] {
      for (std::size_t i; (i = next++) < jobs.size();) {
        SweepOptions o = base;
        o.tolerance = slope::check::documented_tolerance(jobs[i].name);
        reports[i] = jobs[i].run(o);
      }
    });
  for (std::thread& t : pool) t.join();

  std::size_t w = 10;  // the name column fits the longest name
  for (const PrimitiveReport& r : reports) w = std::max(w, r.name.size());
  fmt::print("{:<{}} {:<22} {:>7} {:>6} {:>7} {:>7} {:>7} {:>7} {:>11} {:>7} {:>7} {:>11} "
             "{:<22} {:<20} {:>7} {}\n",
             "primitive", w, "rule", "points", "unres.", "value", "(subn.)", "deriv.", "(subn.)",
             "worst z", "2nd", "(subn.)", "worst z", "kink convention", "derivative truth",
             "Ridders", "verdict");
  fmt::print("{:<{}} {:<22} {:>7} {:>6} {:>7} {:>7} {:>7} {:>7} {:>11} {:>7} {:>7} {:>11} "
             "{:<22} {:<20} {:>7}\n",
             "", w, "", "checked", "", "max ULP", "max ULP", "max ULP", "max ULP", "(deriv.)",
             "max ULP", "max ULP", "(2nd)", "", "", "agrees");
  bool ok = true;
  for (const PrimitiveReport& r : reports) {
    auto where = [](const slope::check::Worst& worst) {
      return worst.at2 == worst.at2 ? fmt::format("{:.4g},{:.4g}", worst.at, worst.at2)
                                    : fmt::format("{:.6g}", worst.at);
    };
    const bool closed = r.truth == "closed form";
    const bool second = r.second_checked != 0;
    fmt::print("{:<{}} {:<22} {:>7} {:>6} {:>7} {:>7} {:>7} {:>7} {:>11} {:>7} {:>7} {:>11} "
               "{:<22} {:<20} {:>7} {}\n",
               r.name, w, r.rule.substr(0, 22), r.checked, r.unresolved, ulps(r.value.ulps),
               ulps(r.value_subnormal.ulps), ulps(r.derivative.ulps),
               ulps(r.derivative_subnormal.ulps), where(r.derivative),
               second ? ulps(r.second.ulps) : "-", second ? ulps(r.second_subnormal.ulps) : "-",
               second ? where(r.second) : "-", r.kink_convention.substr(0, 22),
               closed ? r.closed_form : "Ridders",
               closed ? fmt::format("{}", r.cross_checked) : "all", slope::check::to_string(r.status));
    if (r.status != slope::check::Status::pass) ok = false;
  }
  for (const PrimitiveReport& r : reports)
    if (r.status != slope::check::Status::pass || reports.size() == 1) fmt::print("\n{}", r);
  std::size_t unresolved = 0;
  for (const PrimitiveReport& r : reports) unresolved += r.unresolved;
  std::size_t checked = 0, agreed = 0;
  for (const PrimitiveReport& r : reports) checked += r.checked, agreed += r.cross_checked;
  fmt::print("\nderivative truth: a closed form of f' in 100 digits, with Ridders' numerical "
             "derivative agreeing\nat the points counted; or Ridders' derivative (50/100/400 "
             "digits) at every point.\n");
  fmt::print("{} primitives, {} points checked, {} closed-form derivatives cross-checked by "
             "Ridders,\n{} unresolved points (not counted as passes): {}\n",
             reports.size(), checked, agreed, unresolved, ok ? "all PASS" : "FAILURES");
  return ok ? 0 : 1;
}
