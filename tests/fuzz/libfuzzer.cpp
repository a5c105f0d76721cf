// libfuzzer.cpp - the fuzzer as a libFuzzer entry point (clang only: built
// with -fsanitize=fuzzer,address,undefined as the target fuzz_libfuzzer).
//
// The first 8 bytes of the data are the program's seed (the program
// fuzz_test would run for that seed); each further 8 bytes, if present,
// replace one input's value by that bit pattern, so that libFuzzer can steer
// the inputs toward the extremes itself. The same checks run as in
// fuzz_test; a disagreement prints its report and aborts, which libFuzzer
// records as a crash (rerun it with `./fuzz_libfuzzer crash-<hash>`; without
// replaced inputs `SLOPE_FUZZ_SEED=<seed> ./fuzz_test` replays it too).
//
//   ./fuzz_libfuzzer -max_total_time=600 corpus/
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace slope_fuzz;
  static Context* ctx = make_context();
  std::uint64_t seed = 0;
  std::memcpy(&seed, data, size < 8 ? size : 8);
  Program p = generate(seed);
  std::size_t replaced = 0;
  for (std::size_t k = 0; k < p.inputs.size() && 16 + 8 * k <= size; ++k, ++replaced)
    std::memcpy(&p.inputs[k], data + 8 + 8 * k, 8);
  const Outcome o = check(p, *ctx, false);
  if (!o.failures.empty()) {
    const char* command = replaced == 0 ? "./fuzz_test"
                                        : "./fuzz_test (the inputs differ: rerun "
                                          "./fuzz_libfuzzer on the crash file)";
    fmt::print(stderr, "\n{}", failure_report(p, o, command));
    if (replaced > 0) fmt::print(stderr, "({} inputs taken from the fuzzer's data)\n", replaced);
    std::fflush(stderr);
    std::abort();
  }
  return 0;
}
