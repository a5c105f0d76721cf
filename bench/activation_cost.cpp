// activation_cost.cpp - what slope's accurate sigmoid and tanh rules cost
// against the textbook forms, forward and derivative together:
//
//   textbook sigmoid: a = 1/(1 + e^-z), a' = a(1 - a)
//   textbook tanh:    a = std::tanh(z), a' = 1 - a^2
//   slope:            Sigmoid{}.eval(z), Tanh{}.eval(z) (value and derivative)
//
// Each benchmark evaluates value and derivative for 4096 inputs spread over
// [-8, 8] (the W1 range) or [-40, 40] (into the saturated tails). Run without
// arguments it repeats every benchmark 30 times in random order and ends
// with a table of slope / textbook time ratios: of the fastest runs (the most
// stable figure on a noisy machine) and of the medians.
//   build/bench/bench/activation_cost
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <slope/primitives.hpp>

namespace {

std::vector<double> inputs(double range) {
  std::vector<double> z(4096);
  for (std::size_t i = 0; i < z.size(); ++i)
    z[i] = -range + 2 * range * double(i * 2654435761u % z.size()) / double(z.size() - 1);
  return z;
}

template <class F>
void run(benchmark::State& state, F f) {
  const std::vector<double> z = inputs(double(state.range(0)));
  std::vector<double> y(z.size()), d(z.size());
  for (auto _ : state) {
    for (std::size_t i = 0; i < z.size(); ++i) f(z[i], y[i], d[i]);
    benchmark::DoNotOptimize(y.data());
    benchmark::DoNotOptimize(d.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * std::int64_t(z.size()));
}

void textbook_sigmoid(benchmark::State& state) {
  run(state, [](double z, double& y, double& d) {
    const double a = 1.0 / (1.0 + std::exp(-z));
    y = a;
    d = a * (1.0 - a);
  });
}
void slope_sigmoid(benchmark::State& state) {
  run(state, [](double z, double& y, double& d) {
    const auto r = slope::Sigmoid{}.eval(z);
    y = r.value;
    d = r.derivative;
  });
}
void textbook_tanh(benchmark::State& state) {
  run(state, [](double z, double& y, double& d) {
    const double a = std::tanh(z);
    y = a;
    d = 1.0 - a * a;
  });
}
void slope_tanh(benchmark::State& state) {
  run(state, [](double z, double& y, double& d) {
    const auto r = slope::Tanh{}.eval(z);
    y = r.value;
    d = r.derivative;
  });
}

}  // namespace

BENCHMARK(textbook_sigmoid)->Arg(8)->Arg(40);
BENCHMARK(slope_sigmoid)->Arg(8)->Arg(40);
BENCHMARK(textbook_tanh)->Arg(8)->Arg(40);
BENCHMARK(slope_tanh)->Arg(8)->Arg(40);

namespace {

// Prints as usual, keeps every repetition's time, and ends with the ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if (r.run_type == Run::RT_Iteration) times_[r.run_name.str()].push_back(r.GetAdjustedCPUTime());
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v.empty() ? 0.0 : v[v.size() / 2];
    };
    auto fastest = [](const std::vector<double>& v) {
      return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end());
    };
    fmt::print("\n{:<10} {:>8}  {:>22}  {:>22}  {:>6} {:>6}\n", "function", "range",
               "textbook ns/item", "slope ns/item", "ratio", "(med.)");
    for (const char* f : {"sigmoid", "tanh"}) {
      for (const char* range : {"8", "40"}) {
        const auto& t = times_[fmt::format("textbook_{}/{}", f, range)];
        const auto& s = times_[fmt::format("slope_{}/{}", f, range)];
        if (t.empty() || s.empty()) continue;
        fmt::print("{:<10} {:>8}  {:>22.2f}  {:>22.2f}  {:>6.2f} {:>6.2f}\n", f,
                   fmt::format("+-{}", range), fastest(t) / 4096, fastest(s) / 4096,
                   fastest(s) / fastest(t), median(s) / median(t));
      }
    }
  }

 private:
  std::map<std::string, std::vector<double>> times_;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  std::string reps = "--benchmark_repetitions=30", order = "--benchmark_enable_random_interleaving=true",
              min_time = "--benchmark_min_time=0.03";
  if (argc == 1) args.insert(args.end(), {reps.data(), order.data(), min_time.data()});
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
