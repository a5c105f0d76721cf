// fuzz_main.cpp - the fuzzer as a CTest program: seeded random expression
// programs over every primitive and operator, with extreme inputs, each
// checked as checks.cpp describes.
//
//   fuzz_test                         the fixed budget: 100,000 programs
//   SLOPE_FUZZ_PROGRAMS=N             N programs instead
//   SLOPE_FUZZ_SECONDS=S              as many programs as fit in S seconds
//   SLOPE_FUZZ_BASE_SEED=B            another sequence of programs (default 1);
//                                     program i has seed program_seed(B, i)
//   SLOPE_FUZZ_SEED=0x...             replay the one program of that seed, with
//                                     every intermediate value and all gradients
//   SLOPE_FUZZ_MAX_FAILURES=N         stop after N failing programs (default 20;
//                                     0: never stop, print the first 20)
//
// A failure prints the kind of disagreement, the seed, the replay command,
// the program and its inputs (with hex floats) and both results. The run
// ends with a summary: programs and rates, how many programs the 50-digit
// reference could be compared on and why the others were not, the programs
// check (d) could not compare in full (a sweep's under/overflow) or
// classified against the 50-digit reference (one recording's gradient not
// finite: confirmed or unconfirmed, with up to 3 unconfirmed examples
// printed at the end), and the failures counted by kind. Exit code 1 if
// any program failed.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include "fuzz.hpp"

// Set by the sanitizers' runtimes when they are linked in (weak: null
// otherwise): called when a sanitizer reports an error and ends the program.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace {

using namespace slope_fuzz;

volatile std::uint64_t current_seed = 0;
volatile bool running = false;

/// Writes "fuzz: died in program 0x... (replay: SLOPE_FUZZ_SEED=0x... fuzz_test)"
/// with write(2) only: called from a signal handler or a sanitizer's death.
void print_current_seed() {
  if (!running) return;
  char hex[19] = "0x";
  const std::uint64_t s = current_seed;
  for (int i = 0; i < 16; ++i) hex[2 + i] = "0123456789abcdef"[(s >> (60 - 4 * i)) & 15];
  hex[18] = 0;
  const char* parts[] = {"\nfuzz: died in the program of seed ", hex, "; replay: SLOPE_FUZZ_SEED=",
                         hex, " ./fuzz_test\n"};
  for (const char* part : parts) {
    std::size_t n = 0;
    while (part[n] != 0) ++n;
    ssize_t w = write(2, part, n);
    (void)w;
  }
}

extern "C" void on_signal(int sig) {
  print_current_seed();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void install_crash_reporting() {
  if (__sanitizer_set_death_callback != nullptr) {
    __sanitizer_set_death_callback(print_current_seed);  // a sanitizer owns the signals
    return;
  }
  // On a stack of its own, so that a stack overflow (a recursion without
  // end, as in Boost 1.74's pow of a negative NaN) reports its seed too.
  static char alternate_stack[64 * 1024];
  stack_t ss{};
  ss.ss_sp = alternate_stack;
  ss.ss_size = sizeof alternate_stack;
  const bool on_stack = sigaltstack(&ss, nullptr) == 0;
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = on_stack ? SA_ONSTACK : 0;
    sigaction(sig, &sa, nullptr);
  }
}

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == 0) return fallback;
  char* end = nullptr;
  const std::uint64_t x = std::strtoull(v, &end, 0);  // decimal, or 0x... hex
  if (end == v || *end != 0) {
    fmt::print(stderr, "fuzz: {}={} is not a number\n", name, v);
    std::exit(2);
  }
  return x;
}

/// The names of every operation the generator can draw (for the coverage check).
std::vector<std::string> every_operation() {
  std::vector<std::string> names;
  Step s;
  s.kind = Kind::unary;
  for (std::size_t k = 0; k < unary_count; ++k) {
    s.op = static_cast<int>(k);
    names.push_back(step_name(s));
  }
  s.kind = Kind::binary;
  for (std::size_t k = 0; k < binary_count; ++k) {
    s.op = static_cast<int>(k);
    names.push_back(step_name(s));
  }
  for (Kind kind : {Kind::arith, Kind::compound, Kind::sum, Kind::dot})
    for (int op = 0; op < 4; ++op) {
      s.kind = kind;
      s.op = op;
      names.push_back(step_name(s));
    }
  for (Kind kind : {Kind::negate, Kind::plus, Kind::fma}) {
    s.kind = kind;
    s.op = 0;
    names.push_back(step_name(s));
  }
  s.kind = Kind::accumulate;
  for (int op = 0; op < 4; ++op) {
    s.op = op;
    names.push_back(step_name(s));
  }
  return names;
}

int replay(std::uint64_t seed, const char* command) {
  Context* ctx = make_context();
  const Program p = generate(seed);
  running = true;
  current_seed = seed;
  const Outcome o = check(p, *ctx, true);
  running = false;
  fmt::print("{}", o.text);
  if (o.failures.empty()) {
    fmt::print("\nno disagreement for seed {:#018x}\n", seed);
  } else {
    fmt::print("\n{}", failure_report(p, o, command));
  }
  destroy_context(ctx);
  return o.failures.empty() ? 0 : 1;
}

}  // namespace

int main(int, char** argv) {
  install_crash_reporting();
  const std::string command = "./fuzz_test";
  if (std::getenv("SLOPE_FUZZ_SEED") != nullptr)
    return replay(env_number("SLOPE_FUZZ_SEED", 0), command.c_str());
  (void)argv;

  const std::uint64_t seconds = env_number("SLOPE_FUZZ_SECONDS", 0);
  const std::uint64_t budget = seconds > 0 ? UINT64_MAX : env_number("SLOPE_FUZZ_PROGRAMS", 100000);
  const std::uint64_t base = env_number("SLOPE_FUZZ_BASE_SEED", 1);
  const std::uint64_t max_failures = env_number("SLOPE_FUZZ_MAX_FAILURES", 20);
  constexpr std::uint64_t printed_max = 20;
  if (seconds > 0)
    fmt::print("fuzz: programs from base seed {} for {} s\n", base, seconds);
  else
    fmt::print("fuzz: {} programs from base seed {}\n", budget, base);
  std::fflush(stdout);

  Context* ctx = make_context();
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::uint64_t programs = 0, steps = 0, compared = 0, failing = 0;
  std::map<std::string, std::uint64_t> skipped, ops, kinds, noted, noted_nonfinite_output, noted_beyond;
  std::map<std::string, std::vector<std::uint64_t>> examples, noted_seeds;
  // Up to 3 programs of each unconfirmed class, printed in full at the end:
  // the first ones with a finite output, else the first ones.
  struct Example {
    bool output_finite;
    std::string text;
  };
  std::map<std::string, std::vector<Example>> noted_examples;
  for (const std::string& name : every_operation()) ops[name] = 0;
  for (std::uint64_t i = 0; i < budget; ++i) {
    if (seconds > 0 && (i & 63) == 0 && elapsed() >= static_cast<double>(seconds)) break;
    const std::uint64_t seed = program_seed(base, i);
    const Program p = generate(seed);
    current_seed = seed;
    running = true;
    const Outcome o = check(p, *ctx, false);
    running = false;
    ++programs;
    steps += p.steps.size();
    for (const Step& s : p.steps) ++ops[step_name(s)];
    if (o.reference_checked)
      ++compared;
    else
      ++skipped[o.skip_reason];
    for (const Note& n : o.notes) {
      ++noted[n.kind];
      if (!n.output_finite) ++noted_nonfinite_output[n.kind];
      if (n.beyond_tolerance) ++noted_beyond[n.kind];
      if (noted_seeds[n.kind].size() < 3) noted_seeds[n.kind].push_back(seed);
      if (n.kind.find("unconfirmed") == std::string::npos) continue;
      std::vector<Example>& ex = noted_examples[n.kind];
      auto worse = std::find_if(ex.begin(), ex.end(), [](const Example& e) { return !e.output_finite; });
      if (ex.size() < 3 || (n.output_finite && worse != ex.end())) {
        Example e{n.output_finite, fmt::format("  seed {:#018x} (replay: SLOPE_FUZZ_SEED={:#018x} {})\n{}{}{}",
                                               seed, seed, command, to_string(p), inputs_to_string(p), n.detail)};
        if (ex.size() < 3)
          ex.push_back(std::move(e));
        else
          *worse = std::move(e);
      }
    }
    if (o.failures.empty()) continue;
    ++failing;
    std::vector<std::string> seen;
    for (const Failure& f : o.failures) {
      if (std::find(seen.begin(), seen.end(), f.kind) != seen.end()) continue;
      seen.push_back(f.kind);
      ++kinds[f.kind];
      if (examples[f.kind].size() < 3) examples[f.kind].push_back(seed);
    }
    if (failing <= printed_max) {
      fmt::print("\n{}", failure_report(p, o, command.c_str()));
      std::fflush(stdout);
    }
    if (max_failures > 0 && failing >= max_failures) {
      fmt::print("\nfuzz: stopping after {} failing programs (SLOPE_FUZZ_MAX_FAILURES)\n", failing);
      break;
    }
  }
  const double t = elapsed();
  destroy_context(ctx);

  fmt::print("\nfuzz: {} programs (base seed {}), {} steps, in {:.1f} s: {:.0f} programs/s\n",
             programs, base, steps, t, static_cast<double>(programs) / std::max(t, 1e-9));
  fmt::print("  50-digit reference compared on {} programs; not well conditioned (skipped): {}\n",
             compared, programs - compared);
  std::vector<std::pair<std::uint64_t, std::string>> reasons;
  for (const auto& [reason, n] : skipped) reasons.emplace_back(n, reason);
  std::sort(reasons.rbegin(), reasons.rend());
  for (const auto& [n, reason] : reasons) fmt::print("    {:>9}  {}\n", n, reason);
  // Check (d)'s classes that are not failures, by the number of programs
  // (a program can be in more than one).
  fmt::print("  traced vs untraced gradient (d): programs with a component not compared or classified:{}\n",
             noted.empty() ? " none" : "");
  const char* note_kinds[] = {"not comparable: sweep under/overflow (traced)",
                              "not comparable: sweep under/overflow (untraced)",
                              "not comparable: sweep under/overflow (traced and untraced)",
                              "one recording non-finite, the finite one confirmed by 50 digits",
                              "one recording non-finite, unconfirmed",
                              "two different non-finite values, unconfirmed"};
  for (const char* kind : note_kinds) {
    const auto it = noted.find(kind);
    if (it == noted.end()) continue;
    std::string seeds;
    for (std::uint64_t sd : noted_seeds[kind]) seeds += fmt::format(" {:#018x}", sd);
    fmt::print("    {:>9}  {}  e.g.{}\n", it->second, kind, seeds);
    if (std::string(kind).starts_with("not comparable"))
      fmt::print("    {:>9}    of which a component not compared is beyond the tolerance\n",
                 noted_beyond[kind]);
    if (noted_nonfinite_output.count(kind) != 0)
      fmt::print("    {:>9}    of which the output itself is not finite\n", noted_nonfinite_output[kind]);
  }
  for (const auto& [kind, n] : noted)
    if (std::find(std::begin(note_kinds), std::end(note_kinds), kind) == std::end(note_kinds))
      fmt::print("    {:>9}  {}\n", n, kind);
  std::string drawn;
  std::uint64_t fewest = UINT64_MAX;
  std::vector<std::string> never;
  for (const auto& [name, n] : ops) {
    drawn += fmt::format("{}{} {}", drawn.empty() ? "" : ", ", name, n);
    fewest = std::min(fewest, n);
    if (n == 0) never.push_back(name);
  }
  fmt::print("  operations drawn (fewest {}): {}\n", fewest, drawn);
  // With the default budget every operation is drawn thousands of times; one
  // never drawn means the generator does not see it.
  const bool coverage_failed = programs >= 10000 && !never.empty();
  if (coverage_failed)
    fmt::print("FAIL: never drawn in {} programs: {}\n", programs, fmt::join(never, ", "));
  if (failing == 0) {
    fmt::print("  no failures\n");
  } else {
    fmt::print("  {} failing programs; by kind (programs, first seeds):\n", failing);
    for (const auto& [kind, n] : kinds) {
      std::string seeds;
      for (std::uint64_t s : examples[kind]) seeds += fmt::format(" {:#018x}", s);
      fmt::print("    {:>7}  {}  e.g.{}\n", n, kind, seeds);
    }
    fmt::print("  replay one: SLOPE_FUZZ_SEED=<seed> {}\n", command);
  }
  for (const auto& [kind, ex] : noted_examples) {
    fmt::print("\nfuzz: examples of \"{}\" (not failures; for inspection; a finite output first):\n", kind);
    for (const Example& e : ex) fmt::print("{}", e.text);
  }
  return failing == 0 && !coverage_failed ? 0 : 1;
}
