// custom_primitive.cpp - defining your own primitive, and letting the checker
// prove its rule (or catch a wrong one).
//
// A primitive is one block: name, rule, domain, kinks, forward(x) and
// derivative(x, y) with y = forward(x), written once for any scalar type.
// slope::apply(P{}, x) records it on the tape; slope::check::primitive(P{})
// sweeps it over the whole double range against 50- to 400-digit numerical
// derivatives. Here: swish(z) = z sigmoid(z), once with the right derivative
// and once with a plausible wrong one.
#include <array>
#include <cmath>
#include <string_view>

#include <slope/check.hpp>
#include <slope/slope.hpp>

/// swish(z) = z sigmoid(z) (swish(-inf) = 0).  swish'(z) = s + z s',
/// s = sigmoid(z), using slope's accurate sigmoid' (s' = s(1 - s));
/// swish'(+-inf) = 1, 0.
/// Domain: all reals. No kinks.
struct Swish {
  static constexpr std::string_view name = "swish";
  static constexpr std::string_view rule = "s + z s'";
  static constexpr slope::Domain domain = slope::Domain::all();
  static constexpr std::array<double, 0> kinks{};
  template <class T>
  T forward(const T& z) const {
    using std::isinf;
    if (isinf(z)) return z > T(0) ? z : T(0);  // -inf * 0 would be NaN
    return z * slope::Sigmoid{}.forward(z);
  }
  template <class T>
  T derivative(const T& z, const T& /*a*/) const {
    using std::isinf;
    if (isinf(z)) return z > T(0) ? T(1) : T(0);  // z s' would be inf * 0
    const auto s = slope::Sigmoid{}.eval(z);
    return s.value + z * s.derivative;
  }
  /// swish''(z) = 2 s' + z s'' (0 at +-inf), from sigmoid's accurate rules.
  /// Without this rule slope::hessian would take the tangent of `derivative`
  /// on Dual numbers, which goes through |z| inside sigmoid's eval and loses
  /// the tangent at z = 0 (swish''(0) would come out 0.25, not 0.5): the
  /// checker's second-derivative column catches that.
  template <class T>
  T second_derivative(const T& z, const T& /*a*/, const T& /*d*/) const {
    using std::isinf;
    if (isinf(z)) return T(0);
    const auto s = slope::Sigmoid{}.eval(z);
    return T(2) * s.derivative + z * slope::Sigmoid{}.second_derivative(z, s.value, s.derivative);
  }
};

/// The same function with a wrong rule: a(1 - a), sigmoid's rule applied to
/// swish's output. Wrong almost everywhere.
struct WrongSwish : Swish {
  static constexpr std::string_view name = "wrong_swish";
  static constexpr std::string_view rule = "a(1-a)";
  template <class T>
  T derivative(const T& /*z*/, const T& a) const {
    return a * (T(1) - a);
  }
};

int main() {
  // Use it: record swish in a composition and differentiate.
  slope::Tape tape;
  slope::Var x = 1.5, w = -0.4;
  slope::Var y = slope::apply(Swish{}, w * x) + x;
  auto [dx, dw] = slope::derivatives(y, slope::wrt(x, w));
  fmt::print("y = swish(w x) + x = {:.6f}, dy/dx = {:.6f}, dy/dw = {:.6f}\n\n", y, dx, dw);

  // First at slope's own bar for activations (3 ULP value, 4 derivative):
  // the checker shows where this straightforward swish loses digits. Where
  // sigmoid(z) is subnormal (z < -708) it has few digits left, and z times it
  // keeps that error.
  auto options = slope::check::SweepOptions::quick();
  const auto strict = slope::check::primitive(Swish{}, options);
  fmt::print("At the activations' bar:\n{}\n\n", strict);

  // Then at a tolerance chosen for this primitive: 32 ULP, and 512 units of
  // 2^-1074 for subnormal results. The right rule passes; the wrong rule is
  // off by about 1e12 ULP and fails.
  options.tolerance = {.value_ulps = 32, .derivative_ulps = 32, .subnormal_ulps = 512,
                       .second_ulps = 32};
  const auto good = slope::check::primitive(Swish{}, options);
  const auto bad = slope::check::primitive(WrongSwish{}, options);
  fmt::print("At 32 ULP:\n{}\n\n{}\n", good, bad);
  const bool ok = strict.status == slope::check::Status::fail &&
                  good.status == slope::check::Status::pass &&
                  bad.status == slope::check::Status::fail;
  fmt::print("\n{}\n", ok ? "The checker passes swish and catches the wrong rule."
                          : "UNEXPECTED: the checker did not tell the two rules apart.");
  return ok ? 0 : 1;
}
