// Must not compile: a Dual of Duals is refused by a static_assert whose
// message the test "compile: Dual<Dual<T>> is refused" looks for (it also
// points to slope::hessian, where second derivatives come from).
#include <slope/slope.hpp>

int main() {
  const slope::Dual<slope::Dual<double>> x(slope::Dual<double>(1.0, 1.0));
  return x.value().value() > 0 ? 0 : 1;
}
