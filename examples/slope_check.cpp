// slope_check.cpp - `slope-check`: verifies every registered primitive.
//
// For each primitive of slope::unary_primitives and slope::binary_primitives,
// check::primitive sweeps its whole double domain, comparing the value and
// the derivative the tape records in double with 100-digit values and
// 50/100/400-digit numerical derivatives, and prints one row: the rule, the
// points checked, the largest error of value and derivative in ULPs (normal
// results; subnormal ones in units of 2^-1074), where the derivative is
// worst, the kink convention, and PASS or FAIL against the bound slope
// documents for it. Exits with status 1 if any primitive fails.
//
//   slope-check                   every primitive, full sweep (2 threads)
//   slope-check --quick           a coarse sweep, a few seconds
//   slope-check --primitive tanh  one primitive, with its detailed report
//   slope-check --points 20001    grid points per primitive
//   slope-check --precision 100   highest reference precision (50, 100, 400)
//   slope-check --threads 4
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
             "[--threads N]\n",
             argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  SweepOptions base;
  std::string only;
  unsigned threads = 2;
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
    } else if (a == "--threads") {
      const char* v = next();
      if (v == nullptr) return usage(argv[0]);
      threads = static_cast<unsigned>(std::max(1, std::atoi(v)));
    } else {
      return usage(argv[0]);
    }
  }

  std::vector<Job> jobs;
  add_jobs<slope::unary_primitives>(jobs);
  add_jobs<slope::binary_primitives>(jobs);
  if (!only.empty()) {
    std::erase_if(jobs, [&](const Job& j) { return j.name != only; });
    if (jobs.empty()) {
      fmt::print(stderr, "slope-check: no primitive named '{}'\n", only);
      return 2;
    }
  }

  // Each thread takes the next primitive; every sweep records on a tape of
  // its own thread.
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

  fmt::print("{:<11} {:<24} {:>7} {:>9} {:>9} {:>9} {:>9} {:>12} {:<26} {}\n", "primitive", "rule",
             "points", "value", "(subn.)", "deriv.", "(subn.)", "worst z", "kink convention",
             "verdict");
  fmt::print("{:<11} {:<24} {:>7} {:>9} {:>9} {:>9} {:>9} {:>12} {:<26}\n", "", "", "checked",
             "max ULP", "max ULP", "max ULP", "max ULP", "(deriv.)", "");
  bool ok = true;
  for (const PrimitiveReport& r : reports) {
    const std::string worst = r.derivative.at2 == r.derivative.at2
                                  ? fmt::format("{:.4g},{:.4g}", r.derivative.at, r.derivative.at2)
                                  : fmt::format("{:.6g}", r.derivative.at);
    fmt::print("{:<11} {:<24} {:>7} {:>9} {:>9} {:>9} {:>9} {:>12} {:<26} {}\n", r.name,
               r.rule.substr(0, 24), r.checked, ulps(r.value.ulps), ulps(r.value_subnormal.ulps),
               ulps(r.derivative.ulps), ulps(r.derivative_subnormal.ulps), worst,
               r.kink_convention.substr(0, 26), slope::check::to_string(r.status));
    if (r.status != slope::check::Status::pass) ok = false;
  }
  for (const PrimitiveReport& r : reports)
    if (r.status != slope::check::Status::pass || reports.size() == 1) fmt::print("\n{}", r);
  std::size_t unresolved = 0;
  for (const PrimitiveReport& r : reports) unresolved += r.unresolved;
  fmt::print("\n{} primitives, {} unresolved points (not counted as passes): {}\n", reports.size(),
             unresolved, ok ? "all PASS" : "FAILURES");
  return ok ? 0 : 1;
}
