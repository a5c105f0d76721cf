// buffer_test.cpp - the tape's arrays (buffer.hpp): they keep what they hold
// when they grow, from the heap into mapped pages and on, shrink back exactly,
// and leave everything as it was when the memory cannot be had.
#include <doctest/doctest.h>

#include <cstddef>
#include <fstream>
#include <new>
#include <string>

#include <slope/slope.hpp>

using slope::detail::Buffer;

namespace {

template <class T>
void fill(Buffer<T>& b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<T>(i * 3 + 1);
}
template <class T>
bool holds(const Buffer<T>& b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (b[i] != static_cast<T>(i * 3 + 1)) return false;
  return true;
}

// Whether the system refuses a mapping larger than its memory (Linux's
// default heuristic overcommit, mode 0, and strict accounting, mode 2; mode 1
// grants every request).
bool refuses_huge_mappings() {
  std::ifstream f("/proc/sys/vm/overcommit_memory");
  int mode = 0;
  return f >> mode && mode != 1;
}

// 16 TiB: more than any machine this runs on has.
constexpr std::size_t huge_doubles = std::size_t(1) << 41;

}  // namespace

TEST_CASE("a small buffer is on the heap and keeps its elements when it grows") {
  Buffer<double> b(10);
  CHECK(b.size() == 10);
  CHECK_FALSE(b.mapped());
  fill(b, 10);
  b.grow(1000);
  CHECK(b.size() == 1000);
  CHECK(holds(b, 10));
  b.grow(500);  // never smaller
  CHECK(b.size() == 1000);
}

TEST_CASE("past map_from bytes, a buffer of numbers moves to mapped pages, keeping its elements") {
  Buffer<double> b(1000);
  fill(b, 1000);
  const std::size_t n = Buffer<double>::map_from / sizeof(double) + 1;
  b.grow(n);
  CHECK(b.size() >= n);
  CHECK(holds(b, 1000));
  if constexpr (slope::detail::pages_can_grow) {
    CHECK(b.mapped());
    CHECK(b.size() * sizeof(double) % slope::detail::page_bytes() == 0);  // whole pages
  }
  // Doubling on to 64 MiB (mremap, which moves pages rather than copying
  // them): everything written at each size is still there at the next.
  std::size_t written = 1000;
  while (b.size() < (std::size_t(64) << 20) / sizeof(double)) {
    fill(b, b.size());
    written = b.size();
    b.grow(2 * b.size());
    REQUIRE(holds(b, written));
  }
  CHECK(b.size() >= (std::size_t(64) << 20) / sizeof(double));
}

TEST_CASE("a buffer of a type that is not trivially copyable stays on the heap") {
  Buffer<std::string> b(2);
  b[0] = "first";
  b[1] = std::string(100, 'x');
  b.grow(Buffer<std::string>::map_from / sizeof(std::string) + 10);
  CHECK_FALSE(b.mapped());
  CHECK(b[0] == "first");
  CHECK(b[1] == std::string(100, 'x'));
  CHECK(b[2].empty());
}

TEST_CASE("shrink undoes a grow exactly, on the heap and in mapped pages") {
  Buffer<float> heap(100);
  fill(heap, 100);
  heap.grow(5000);
  heap.shrink(100);
  CHECK(heap.size() == 100);
  CHECK(holds(heap, 100));

  Buffer<float> pages(100);
  fill(pages, 100);
  pages.grow(Buffer<float>::map_from);  // 4 MiB of floats
  const std::size_t grown = pages.size();
  fill(pages, grown);
  pages.grow(4 * grown);
  pages.shrink(grown);
  CHECK(pages.size() == grown);
  CHECK(holds(pages, grown));
  pages.shrink(100);  // back below map_from: still mapped, but exactly 100
  CHECK(pages.size() == 100);
  CHECK(holds(pages, 100));
  pages.grow(200);
  CHECK(holds(pages, 100));
}

TEST_CASE("a buffer whose growth the system refuses throws std::bad_alloc and is unchanged") {
  if (!refuses_huge_mappings() || !slope::detail::pages_can_grow) {
    MESSAGE("skipped: this system grants mappings of any size (vm.overcommit_memory = 1)");
    return;
  }
  Buffer<double> heap(1000);  // on the heap: the refusal is of new pages
  fill(heap, 1000);
  CHECK_THROWS_AS(heap.grow(huge_doubles), std::bad_alloc);
  CHECK(heap.size() == 1000);
  CHECK_FALSE(heap.mapped());
  CHECK(holds(heap, 1000));

  Buffer<double> pages(Buffer<double>::map_from / sizeof(double));  // mapped: mremap is refused
  const std::size_t n = pages.size();
  fill(pages, n);
  CHECK_THROWS_AS(pages.grow(huge_doubles), std::bad_alloc);
  CHECK(pages.size() == n);
  CHECK(holds(pages, n));
  pages.grow(2 * n);  // and it grows again when asked for what there is
  CHECK(holds(pages, n));
}

TEST_CASE("a tape whose arrays reach mapped pages records and sweeps as on the heap") {
  // 300,000 steps of two statements with two operands: 9.6 MB of partials,
  // past map_from.
  slope::Tape<> tape;
  slope::Var<> x = 1.5, w = 0.75;
  slope::Var<> y = x;
  constexpr int n = 300'000;
  for (int i = 0; i < n; ++i) y = y * w + x * 1e-6;  // a statement of two operands each step
  const auto [dx, dw] = slope::derivatives(y, slope::wrt(x, w));
  // Against the same chain recorded on a fresh tape reserved in advance, so
  // that it never grows: the two recordings are the same, bit for bit.
  slope::Tape<> reserved;
  reserved.reserve(2 * n + 10, 4 * n + 10);
  const std::size_t memory = reserved.memory();
  slope::Var<> x2 = 1.5, w2 = 0.75;
  slope::Var<> y2 = x2;
  for (int i = 0; i < n; ++i) y2 = y2 * w2 + x2 * 1e-6;
  CHECK(reserved.memory() == memory);  // the sweep's adjoints aside, nothing grew
  const auto [dx2, dw2] = slope::derivatives(y2, slope::wrt(x2, w2));
  CHECK(tape.size() == reserved.size());
  CHECK(dx == dx2);
  CHECK(dw == dw2);
  CHECK(y.value() == y2.value());
}
