// allocation_test.cpp - steady state allocates nothing: a loop that resets
// the tape and records the same computation again performs no heap
// allocation after its first iteration; and a tape whose growth fails is
// left exactly as it was. Global operator new is replaced in this program
// (and only here) to count allocations and to fail large ones on demand.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <span>
#include <vector>

#include <slope/slope.hpp>

namespace {
std::atomic<long> allocations{0};
// Requests of this many bytes or more throw std::bad_alloc.
std::atomic<std::size_t> fail_from{std::numeric_limits<std::size_t>::max()};
}  // namespace

void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (n >= fail_from.load(std::memory_order_relaxed)) throw std::bad_alloc();
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

// One training step of a small network, written with the allocation-free
// API: the tape, the Var buffers and the gradient are reused.
struct Step {
  slope::Tape<> tape;
  std::vector<slope::Var<>> params, hidden, terms;
  std::vector<double> gradient;

  double run(const std::vector<double>& p) {
    tape.reset();
    params.clear();
    for (double v : p) params.emplace_back(v);
    terms.clear();
    for (int j = 0; j < 50; ++j) {
      const double x[3] = {std::sin(0.1 * j), std::cos(0.3 * j), 1.0};
      hidden.clear();
      for (int i = 0; i < 4; ++i)
        hidden.push_back(slope::tanh(slope::dot(std::span<const slope::Var<>>(&params[3 * i], 3),
                                                std::span<const double>(x))));
      slope::Var<> z = params[12];
      for (int i = 0; i < 4; ++i) z += params[13 + i] * hidden[i];  // scalar loop too
      const slope::Var<> a = slope::sigmoid(z);
      const double y = j % 2;
      terms.push_back(y * slope::log(a) + (1.0 - y) * slope::log(1.0 - a));
    }
    const slope::Var<> cost = slope::sum(std::span<const slope::Var<>>(terms)) * (-1.0 / 50);
    gradient.resize(params.size());
    slope::gradient(cost, std::span<const slope::Var<>>(params), std::span<double>(gradient));
    return cost.value();
  }
};

}  // namespace

TEST_CASE("a reset and re-recorded computation allocates nothing after the first iteration") {
  std::vector<double> p(17);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = 0.1 * std::sin(1.0 + double(i));
  Step step;
  const double first = step.run(p);  // grows the tape and the buffers
  const long before = allocations.load();
  double last = 0;
  for (int iteration = 0; iteration < 100; ++iteration) {
    for (std::size_t i = 0; i < p.size(); ++i) p[i] -= 0.5 * step.gradient[i];  // gradient descent
    last = step.run(p);
  }
  CHECK(allocations.load() - before == 0);
  CHECK(last < first);  // and it trained
}

TEST_CASE("a tracing tape, reset and re-recorded, allocates nothing after the first iteration") {
  std::vector<double> p(17);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = 0.1 * std::cos(1.0 + double(i));
  Step step;
  step.tape.trace();
  const double first = step.run(p);
  const long before = allocations.load();
  double last = 0;
  for (int iteration = 0; iteration < 20; ++iteration) {
    for (std::size_t i = 0; i < p.size(); ++i) p[i] -= 0.5 * step.gradient[i];
    last = step.run(p);
  }
  CHECK(allocations.load() - before == 0);
  CHECK(step.tape.name(step.tape.size()) == "mul");  // traced: the last statement is cost * -1/50
  CHECK(last < first);
}

TEST_CASE("the counter counts") {
  const long before = allocations.load();
  std::vector<double> v(100);
  CHECK(allocations.load() - before == 1);
  slope::Tape<> tape;  // a fresh tape allocates when it first records
  slope::Var x = 1.0;
  CHECK(allocations.load() - before > 1);
  (void)x;
}

namespace {
struct FailFrom {  // sets the threshold for one scope
  explicit FailFrom(std::size_t bytes) { fail_from = bytes; }
  ~FailFrom() { fail_from = std::numeric_limits<std::size_t>::max(); }
};
}  // namespace

TEST_CASE("growth that fails leaves the tape exactly as it was (strong guarantee)") {
  // Each array of the tape grows in its own allocation: the statement ends
  // (4 bytes each), the operand indices (4) and the partials (8 for double).
  // Arrays below detail::Buffer's map_from (1 MiB) are on the heap, where
  // operator new can be made to fail: with requests of 64 KiB or more
  // failing, growing to 12,000 operands allocates the indices (48 KB) and
  // then fails on the partials (96 KB): a failure after a successful
  // allocation, the case that once left dangling pointers. (Mapped arrays
  // that the system refuses are tested in buffer_test.cpp.)
  static_assert(12'000 * sizeof(double) < slope::detail::Buffer<double>::map_from);
  slope::Tape<> tape;
  slope::Var x = 0.5, w = 2.0;
  slope::Var y = slope::sigmoid(w * x) * x;
  const auto expected = slope::derivatives(y, slope::wrt(x, w));
  const std::size_t memory = tape.memory(), size = tape.size(), operands = tape.operands();
  auto unchanged = [&] {
    CHECK(tape.memory() == memory);
    CHECK(tape.size() == size);
    CHECK(tape.operands() == operands);
    CHECK(slope::derivatives(y, slope::wrt(x, w)) == expected);  // the sweep reads valid memory
  };
  std::vector<slope::Var<>> many(20'000, x);  // allocated before the failures start
  for (std::size_t i = 0; i < many.size(); i += 2) many[i] = w;
  {
    const FailFrom guard(1 << 16);
    CHECK_THROWS_AS(tape.reserve(0, 12'000), std::bad_alloc);  // indices ok, partials fail
    unchanged();
    CHECK_THROWS_AS(tape.reserve(20'000, 0), std::bad_alloc);  // statement ends fail
    unchanged();
    CHECK_THROWS_AS(tape.reserve(12'000, 12'000), std::bad_alloc);  // ends ok, partials fail
    unchanged();
    // Recording past the capacity: a long sum needs the operand arrays to grow.
    CHECK_THROWS_AS((void)slope::sum(std::span<const slope::Var<>>(many)), std::bad_alloc);
    unchanged();
  }
  // With memory available again, the tape grows and records on.
  tape.reserve(0, 200'000);
  CHECK(tape.size() == size);
  slope::Var z = y * w;
  auto [dx, dw] = slope::derivatives(z, slope::wrt(x, w));
  CHECK(dx == doctest::Approx(expected[0] * 2.0));
  CHECK(dw == doctest::Approx(expected[1] * 2.0 + y.value()));
}
