// format_test.cpp - fmt support for Var.
#include <doctest/doctest.h>

#include <sstream>

#include <slope/slope.hpp>

TEST_CASE("fmt prints a Var's value and applies the format spec to it") {
  slope::Tape tape;
  slope::Var x = 0.5;
  slope::Var y = slope::sigmoid(x);
  CHECK(fmt::format("{}", x) == "0.5");
  CHECK(fmt::format("{:.3f}", y) == "0.622");
  CHECK(fmt::format("{:>8.2e}", y) == "6.22e-01");
  CHECK(fmt::format("{}", y) == fmt::format("{}", y.value()));
  slope::Tape<float> ftape;
  slope::Var<float> f = 1.25f;
  CHECK(fmt::format("{:.1f}", f) == "1.2");
  std::ostringstream os;
  os << x;
  CHECK(os.str() == "0.5");
}

TEST_CASE("a Matrix is printable with fmt, as derivatives.hpp documents") {
  CHECK(fmt::is_formattable<slope::Var<>>::value);  // the check itself works
  CHECK(fmt::is_formattable<slope::Matrix<double>>::value);
  slope::Matrix<double> m(2, 3);
  m(0, 0) = 1;
  m(0, 2) = -0.5;
  m(1, 1) = 2.25;
  CHECK(fmt::format("{:.2f}", m) == "[[1.00, 0.00, -0.50],\n [0.00, 2.25, 0.00]]");
  CHECK(fmt::format("{}", m) == "[[1, 0, -0.5],\n [0, 2.25, 0]]");
  CHECK(fmt::format("{}", slope::Matrix<double>()) == "[]");
}
