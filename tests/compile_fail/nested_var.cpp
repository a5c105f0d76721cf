// Must not compile: a Var of Vars (nested tapes) is refused by a
// static_assert whose message the test "compile: Var<Var<T>> is refused"
// looks for. Nesting gave wrong second derivatives without an error.
#include <slope/slope.hpp>

int main() {
  slope::Tape<slope::Var<double>> outer;
  slope::Var<slope::Var<double>> x = slope::Var<double>::constant(1.0);
  return x.value().value() > 0 ? 0 : 1;
}
