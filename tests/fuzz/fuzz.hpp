// fuzz.hpp - the fuzzer's program representation and the interfaces between
// its translation units.
//
// A program is a small random DAG: 2 to 4 inputs v0..v{n-1}, then 1 to 16
// steps, each computing a new value from earlier values and constants with a
// unary primitive (every element of slope::unary_primitives and
// slope::loss_primitives), a binary primitive (slope::binary_primitives), an
// operator (+ - * / with a Var or a number on either side, unary - and +,
// compound += -= *= /=) or an n-ary function (sum, dot, fma). The output is
// the last value. A program is a pure function of one 64-bit seed
// (generate()), and prints as one line per step (to_string()).
//
// Translation units: program.cpp generates and prints programs (double only);
// checks.cpp runs a program on Tape<double> and does the checks; reference.cpp
// (the only one that includes Boost.Multiprecision, which compiles slowly)
// runs the same program on a 50-digit tape. fuzz_main.cpp is the CTest
// driver, libfuzzer.cpp the libFuzzer entry point.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <slope/primitives.hpp>

namespace slope_fuzz {

/// Every unary primitive the fuzzer draws from: the unary ones, then the
/// losses (unary primitives with a data parameter). New primitives in
/// either list are picked up from here.
using all_unary = decltype(std::tuple_cat(std::declval<slope::unary_primitives>(),
                                          std::declval<slope::loss_primitives>()));
using all_binary = slope::binary_primitives;
inline constexpr std::size_t unary_count = std::tuple_size_v<all_unary>;
inline constexpr std::size_t binary_count = std::tuple_size_v<all_binary>;

/// Calls f(std::type_identity<P>{}) for P, the k-th type of Tuple (nothing
/// if k is out of range).
template <class Tuple, class F, std::size_t... I>
void visit_type_impl(std::size_t k, F& f, std::index_sequence<I...>) {
  (void)((k == I ? (f(std::type_identity<std::tuple_element_t<I, Tuple>>{}), true) : false) || ...);
}
template <class Tuple, class F>
void visit_type(std::size_t k, F&& f) {
  visit_type_impl<Tuple>(k, f, std::make_index_sequence<std::tuple_size_v<Tuple>>{});
}

// ---------------------------------------------------------------- programs ----

enum class Kind : std::uint8_t {
  unary,     // op: index into all_unary; a[0]
  binary,    // op: index into all_binary; a[0], a[1] (at most one a number)
  arith,     // op: 0 + 1 - 2 * 3 /; a[0] op a[1] (at most one a number)
  compound,  // op: 0 += 1 -= 2 *= 3 /=; r = a[0] (a value); r op= a[1]
  negate,    // -a[0]
  plus,      // +a[0]
  sum,       // op: 0 sum(span), 1 sum({...}), 2 sum(a, b, ...), 3 sum(vector); terms a
  dot,       // op: 0 dot(span Var, span T[, c]), 1 dot(span Var, span Var[, c]),
             //     2 dot(vector Var, vector T), 3 dot(vector Var, vector Var); a, b, c
  fma,       // slope::fma(a[0], a[1], a[2]), each a Var or a number
  accumulate,  // op & 3, the shape: 0 r = a0 b0; r += a_i b_i (or -=); 1 r = r + a_i b_i
               // (or -) on temporaries; 2 r += t for a named t = a_i b_i, moved; 3 r = a0
               // b0; r += a_i (or -=). Bit 2 + i of op: term i subtracted. a Vars, b any
               // form (grows one statement: see Var)
};

/// An operand: an earlier value (a Var), a plain number (a double next to a
/// Var), or a constant Var (Var<T>::constant(number)).
enum class Form : std::uint8_t { value, number, constant };
struct Operand {
  Form form = Form::value;
  int ref = 0;        // Form::value: the index of the earlier value
  double number = 0;  // Form::number and Form::constant
};

/// Parameters of a unary primitive, for the blocks that have them (a member
/// `target`, `slope` or `at_kink`); a flag off keeps the block's default.
struct Params {
  bool has_target = false, has_slope = false, has_at_kink = false;
  double target = 0, slope = 0, at_kink = 0;
};

struct Step {
  Kind kind = Kind::unary;
  int op = 0;
  Params params;
  std::vector<Operand> a, b;
  bool has_c = false;  // Kind::dot with forms 0 and 1: a bias c
  Operand c;
};

struct Program {
  std::uint64_t seed = 0;
  int regime = 0;  // 0 ordinary values, 1 some extreme ones, 2 mostly extreme ones
  std::vector<double> inputs;
  std::vector<Step> steps;
  std::size_t values() const { return inputs.size() + steps.size(); }
};

/// The seed of program number `counter` of a run with base seed `base`
/// (distinct counters give distinct seeds).
std::uint64_t program_seed(std::uint64_t base, std::uint64_t counter);
/// The program of a seed: a pure function of it.
Program generate(std::uint64_t seed);
/// One line per input and step ("v5 = log1p(v2)"), and the output.
std::string to_string(const Program& p);
/// The inputs, with their hex representation ("v0 = 1.5 (0x1.8p+0)").
std::string inputs_to_string(const Program& p);
/// The operation a step applies, for statistics ("log1p", "sum(span)", "operator/=", ...).
std::string step_name(const Step& s);
/// A double as printed in programs: shortest round trip ("1e-300", "-0", "nan").
std::string number(double x);
/// A double with its hex representation: "1.5 (0x1.8p+0)".
std::string number_hex(double x);

// ---------------------------------------------------------------- checking ----

/// A recording, read through the tape's public views: per statement the end
/// of its operands, per operand the statement it reads and its partial; the
/// output's statement and partial (the sweep's seed); the inputs' statements.
template <class T>
struct Snapshot {
  std::vector<std::uint64_t> ends, args;
  std::vector<T> partials;
  std::uint64_t output = 0;
  T seed = T(0);
  std::vector<std::uint64_t> inputs;
};

/// The 50-digit reference for one program: the same program recorded on a
/// traced Tape<cpp_bin_float_50>.
struct Reference {
  enum Status {
    checked,      // well conditioned: gradient holds the reference
    skipped,      // not well conditioned (reason says why)
    slope_error,  // a slope::error on the 50-digit tape (message in reason)
  };
  Status status = skipped;
  std::string reason;
  double rho = 0;                 // max relative difference of the local partials
  std::vector<double> values;     // the 50-digit values, rounded
  std::vector<double> gradient;   // the 50-digit gradient, rounded
  std::string text;               // for replays: the 50-digit values and gradient in full
  // For confirming a finite gradient component where the other recording's
  // is not finite (check d), under weaker conditions than (e)'s, over the
  // steps the output depends on: the 50-digit program ran, hits no kink
  // exactly, has finite values and local partials within confirm_rho <=
  // 2^-26 of the double ones (confirm_reason says which of these failed, if
  // one did); a component counts only where gradient_in_range (zero or
  // within double's normal range).
  bool confirmable = false;
  std::string confirm_reason;
  double confirm_rho = 0;
  std::vector<bool> gradient_in_range;
};

/// The 50-digit tape and its buffers, reused from program to program.
struct ReferenceTape;
ReferenceTape* make_reference_tape();
void destroy_reference_tape(ReferenceTape*);

/// Runs p on the traced 50-digit tape and decides whether the double
/// gradient can be compared with it: `partials` are the program's local
/// partials at the double values (local_partials() in evaluate.hpp).
Reference reference(ReferenceTape& tape, const Program& p, const std::vector<double>& partials,
                    bool verbose);

/// What one program's checks found.
struct Failure {
  std::string kind;    // e.g. "d: traced vs untraced gradient, finite vs non-finite"
  std::string detail;  // the numbers
};
/// A class a program falls in that is not a failure (check d): a gradient
/// component not comparable, or one recording's non-finite component
/// confirmed or not by the 50-digit reference.
struct Note {
  std::string kind;    // e.g. "not comparable: sweep under/overflow (traced)"
  std::string detail;  // the components and numbers
  bool output_finite = true;  // the program's output value is finite
  // "not comparable: ...": some component not compared is also beyond the
  // tolerance (the only ones for which the exclusion changes the verdict)
  bool beyond_tolerance = false;
};
struct Outcome {
  std::vector<Failure> failures;
  std::vector<Note> notes;         // at most one of each kind
  bool reference_checked = false;  // check (e) was done
  std::string skip_reason;         // why not, if not
  std::string text;                // verbose: every intermediate value and both gradients
};

struct Context;  // the tapes, reused from program to program (checks.cpp)
Context* make_context();
void destroy_context(Context*);

/// Runs every check on p. Never throws: exceptions are failures. `verbose`
/// fills Outcome::text.
Outcome check(const Program& p, Context& ctx, bool verbose);

/// A full failure report for one program: the kinds, the seed, the replay
/// command, the program, the inputs and the results.
std::string failure_report(const Program& p, const Outcome& o, const char* replay_command);

}  // namespace slope_fuzz
