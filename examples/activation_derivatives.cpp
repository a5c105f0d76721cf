// activation_derivatives.cpp - the seed slide, "Derivatives of activation
// functions", reproduced and checked.
//
// For sigmoid, tanh, ReLU and leaky ReLU at z in {-10, -1, 0, 1, 10, 40}:
// g(z), the derivative g'(z) the tape records, the derivative computed by
// numerical differentiation in 50-digit arithmetic (100 where 50 cannot
// resolve it: the "digits" column; one-sided at the kink), and how far apart
// they are in units in the last place. The textbook forms a(1-a) and 1-a^2 are shown beside them:
// in the tails they return 0, slope's rules do not.
#include <cmath>
#include <string>

#include <slope/check.hpp>
#include <slope/slope.hpp>

namespace {

struct Row {
  std::string name;
  double z, value, tape, reference, ulps;
  int digits;  // precision of the numerical reference
  bool ok;
};

// Records g on a tape at z, sweeps it, and compares with the reference.
template <class P>
Row check_row(const P& p, double z) {
  slope::Tape tape;
  slope::Var x = z;
  const slope::Var a = slope::apply(p, x);
  const double tape_derivative = slope::derivatives(a, slope::wrt(x))[0];

  const bool at_kink = std::find(P::kinks.begin(), P::kinks.end(), z) != P::kinks.end();
  // At the kink the slide's convention g'(0) = 1 is the z >= 0 branch: the
  // derivative from the right, so that is what it is compared with.
  const auto side = at_kink ? slope::check::Side::right : slope::check::Side::central;
  const auto ref = slope::check::reference_derivative([&p](const auto& t) { return p.forward(t); },
                                                      z, side, at_kink ? 0.25 : 0.0);
  const double ulps = slope::check::ulp_error(tape_derivative, slope::check::Real50(ref.value));
  std::string name(P::name);
  if (at_kink) name += " (kink: right)";
  return {name,          z, a.value(), tape_derivative, static_cast<double>(ref.value),
          ulps,          ref.digits, ref.digits > 0 && ulps <= 4.0};
}

}  // namespace

int main() {
  const double zs[] = {-10, -1, 0, 1, 10, 40};
  fmt::print("Derivatives of activation functions (the seed slide), checked\n\n");
  fmt::print("{:<24} {:>4}  {:>12}  {:>24}  {:>24} {:>6}  {:>5}  {:>9}\n", "g", "z", "g(z)",
             "g'(z) from the tape", "g'(z) numerical", "digits", "ULPs", "textbook");
  int failures = 0;
  auto print = [&](const Row& r, double textbook) {
    failures += r.ok ? 0 : 1;
    fmt::print("{:<24} {:>4}  {:>12.6g}  {:>24.17g}  {:>24.17g} {:>6}  {:>5.2f}  {:>9.4g}  {}\n",
               r.name, r.z, r.value, r.tape, r.reference, r.digits, r.ulps, textbook,
               r.ok ? "agree" : "DISAGREE");
  };
  for (double z : zs) {
    const Row r = check_row(slope::Sigmoid{}, z);
    print(r, r.value * (1 - r.value));  // a(1-a)
  }
  for (double z : zs) {
    const Row r = check_row(slope::Tanh{}, z);
    print(r, 1 - r.value * r.value);  // 1-a^2
  }
  for (double z : zs) print(check_row(slope::Relu{}, z), z >= 0 ? 1.0 : 0.0);
  for (double z : zs) print(check_row(slope::LeakyRelu{}, z), z >= 0 ? 1.0 : 0.01);

  // The slide's worked values.
  slope::Tape tape;
  slope::Var zero = 0.0;
  const auto s = slope::sigmoid(zero);
  const auto t = slope::tanh(zero);
  const bool slide = s.value() == 0.5 && slope::derivatives(s, slope::wrt(zero))[0] == 0.25 &&
                     t.value() == 0.0 && slope::derivatives(t, slope::wrt(zero))[0] == 1.0;
  fmt::print("\nThe slide: sigmoid(0) = {}, sigmoid'(0) = {}, tanh(0) = {}, tanh'(0) = {}: {}\n",
             s, slope::derivatives(s, slope::wrt(zero))[0], t,
             slope::derivatives(t, slope::wrt(zero))[0], slide ? "as on the slide" : "WRONG");
  fmt::print("At z = 10 and -10 both derivatives are ~0 (sigmoid'(10) = {:.3g}, tanh'(10) = {:.3g}),\n"
             "and at z = 40 the textbook forms have lost every digit while slope keeps them.\n",
             check_row(slope::Sigmoid{}, 10).tape, check_row(slope::Tanh{}, 10).tape);
  failures += slide ? 0 : 1;
  fmt::print("\n{}\n", failures == 0 ? "All rows agree." : fmt::format("{} rows DISAGREE.", failures));
  return failures == 0 ? 0 : 1;
}
