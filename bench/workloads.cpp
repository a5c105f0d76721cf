// workloads.cpp - the four workloads of BENCHMARKS.md (W1 activations, W2 deep
// chain, W3 one-hidden-layer network, W4 wide network) and W5, a recurrent
// network (recurrent.hpp), timed for:
//
//   plain          the function in plain doubles (no derivatives)
//   hand           the hand-written adjoint: the yardstick
//   slope          slope, as a user writes it with slope's n-ary sum, dot
//                  product, fma and binary_cross_entropy where they fit
//   slope-scalar   slope with plain scalar loops of + and *
//   adolc-retape   ADOL-C: tape every evaluation, then its gradient driver
//   adolc-replay   ADOL-C: the gradient driver on a tape recorded once
//   slope-hvp      (W3) one Hessian-vector product, forward-over-reverse
//   slope-hessian  (W3) the full 17 x 17 Hessian (value_gradient_and_hessian)
//
// Every gradient is checked against the hand adjoint (normwise relative error
// below 1e-9) before anything is timed. Run with no arguments, every row is
// repeated in random order and the program ends with one table of medians and
// ratios, all measured in this one run.
//   build/bench/bench/workloads [--quick] [google benchmark flags]
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <adolc/adolc.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <slope/slope.hpp>

#include "recurrent.hpp"
#include "resident.hpp"
#include "reference/reference.hpp"

namespace {

using slope::Var;

// The five workloads' inputs, plain functions and hand adjoints: W1-W4 from
// the shared reference files, W5 from recurrent.cpp.
const std::vector<double>& inputs_of(const std::string& w) {
  return w == "W5" ? pb::recurrent_data().p : pb::data().inputs(w);
}
double plain_of(const std::string& w, const std::vector<double>& in) {
  return w == "W5" ? pb::w5_plain(in) : pb::plain(w, in);
}
double hand_of(const std::string& w, const std::vector<double>& in, std::vector<double>& g) {
  return w == "W5" ? pb::w5_hand(in, g) : pb::hand(w, in, g);
}

// ===================================================================== slope ==

/// A slope evaluator for one workload: its own tape and Var buffers, reused
/// (reset, not reallocated) across evaluations, as in a training loop.
class SlopeRunner {
 public:
  SlopeRunner(std::string workload, bool nary) : w_(std::move(workload)), nary_(nary) {
    tape_.deactivate();  // activated for each evaluation
  }

  double gradient(const std::vector<double>& in, std::vector<double>& g) {
    tape_.activate();
    tape_.reset();
    slope::inputs(in, x_);
    const Var<> y = w_ == "W1"   ? w1()
                    : w_ == "W2" ? w2()
                    : w_ == "W3" ? w3()
                    : w_ == "W4" ? w4()
                                 : w5();
    g.resize(in.size());
    slope::gradient(y, std::span<const Var<>>(x_), std::span<double>(g));
    tape_.deactivate();
    return y.value();
  }
  const slope::Tape<>& tape() const { return tape_; }

 private:
  Var<> w1() {
    using slope::leaky_relu;
    using slope::relu;
    using slope::sigmoid;
    using slope::tanh;
    if (nary_) {
      terms_.clear();
      for (const Var<>& z : x_) terms_.push_back(slope::sum(sigmoid(z), tanh(z), relu(z), leaky_relu(z)));
      return slope::sum(std::span<const Var<>>(terms_));
    }
    Var<> s;
    for (const Var<>& z : x_) s += sigmoid(z) + tanh(z) + relu(z) + leaky_relu(z);
    return s;
  }

  Var<> w2() {
    Var<> x = x_[0];
    const Var<>& w = x_[1];
    const Var<>& b = x_[2];
    if (nary_) {
      // w * s + b as one statement: slope::fma.
      for (long k = 0; k < pb::W2_K; ++k) x = slope::tanh(slope::fma(w, slope::sigmoid(x), b));
    } else {
      for (long k = 0; k < pb::W2_K; ++k) x = slope::tanh(w * slope::sigmoid(x) + b);
    }
    return x;
  }

  // Cross-entropy term of one sample, the textbook way (the scalar rows):
  // y log a + (1 - y) log(1 - a).
  static Var<> log_likelihood(double y, const Var<>& a) {
    return y * slope::log(a) + (1.0 - y) * slope::log(1.0 - a);
  }

  Var<> w3() {
    const pb::Data& D = pb::data();
    const Var<>* p = x_.data();
    terms_.clear();
    Var<> J;
    for (int j = 0; j < pb::W3_M; ++j) {
      Var<> a2;
      if (nary_) {
        const double xj[2] = {D.w3_X0[j], D.w3_X1[j]};
        Var<> a1[4];
        for (int i = 0; i < 4; ++i)
          a1[i] = slope::tanh(slope::dot(std::span<const Var<>>(p + 2 * i, 2), std::span<const double>(xj), p[8 + i]));
        a2 = slope::sigmoid(slope::dot(std::span<const Var<>>(p + 12, 4), std::span<const Var<>>(a1), p[16]));
        terms_.push_back(slope::binary_cross_entropy(a2, D.w3_y[j]));
      } else {
        Var<> z2 = p[16];
        for (int i = 0; i < 4; ++i)
          z2 += p[12 + i] * slope::tanh(p[i * 2] * D.w3_X0[j] + p[i * 2 + 1] * D.w3_X1[j] + p[8 + i]);
        a2 = slope::sigmoid(z2);
        J += log_likelihood(D.w3_y[j], a2);
      }
    }
    if (nary_) return slope::sum(std::span<const Var<>>(terms_)) * (1.0 / pb::W3_M);
    return J * (-1.0 / pb::W3_M);
  }

  Var<> w4() {
    const pb::Data& D = pb::data();
    const Var<>* W1 = x_.data();
    const Var<>* b1 = W1 + pb::W4_NH * pb::W4_NX;
    const Var<>* W2 = b1 + pb::W4_NH;
    const Var<>& b2 = x_[pb::W4_NP - 1];
    terms_.clear();
    Var<> J;
    Var<> a1[pb::W4_NH];
    for (int j = 0; j < pb::W4_M; ++j) {
      const double* x = &D.w4_Xs[j * pb::W4_NX];
      Var<> a2;
      if (nary_) {
        for (int i = 0; i < pb::W4_NH; ++i)
          a1[i] = slope::relu(slope::dot(std::span<const Var<>>(W1 + i * pb::W4_NX, pb::W4_NX),
                                         std::span<const double>(x, pb::W4_NX), b1[i]));
        a2 = slope::sigmoid(slope::dot(std::span<const Var<>>(W2, pb::W4_NH), std::span<const Var<>>(a1), b2));
        terms_.push_back(slope::binary_cross_entropy(a2, D.w4_y[j]));
      } else {
        Var<> z2 = b2;
        for (int i = 0; i < pb::W4_NH; ++i) {
          Var<> z1 = b1[i];
          for (int k = 0; k < pb::W4_NX; ++k) z1 += W1[i * pb::W4_NX + k] * x[k];
          z2 += W2[i] * slope::relu(z1);
        }
        a2 = slope::sigmoid(z2);
        J += log_likelihood(D.w4_y[j], a2);
      }
    }
    if (nary_) return slope::sum(std::span<const Var<>>(terms_)) * (1.0 / pb::W4_M);
    return J * (-1.0 / pb::W4_M);
  }

  Var<> w5() {
    const pb::RecurrentData& D = pb::recurrent_data();
    const Var<>* Wx = x_.data() + pb::W5_WX;
    const Var<>* Wh = x_.data() + pb::W5_WH;
    const Var<>* b = x_.data() + pb::W5_B;
    const Var<>* v = x_.data() + pb::W5_V;
    const Var<>& c = x_[pb::W5_C];
    terms_.clear();
    h_.assign(pb::W5_NH, Var<>());  // h_0 = 0: constants
    h_next_.resize(pb::W5_NH);
    Var<> J;
    for (int t = 0; t < pb::W5_T; ++t) {
      const double* x = &D.x[t * pb::W5_NX];
      if (nary_) {
        for (int i = 0; i < pb::W5_NH; ++i) {
          const Var<> input = slope::dot(std::span<const Var<>>(Wx + i * pb::W5_NX, pb::W5_NX),
                                         std::span<const double>(x, pb::W5_NX), b[i]);
          h_next_[i] = slope::tanh(slope::dot(std::span<const Var<>>(Wh + i * pb::W5_NH, pb::W5_NH),
                                              std::span<const Var<>>(h_), input));
        }
        h_.swap(h_next_);
        const Var<> a = slope::sigmoid(slope::dot(std::span<const Var<>>(v, pb::W5_NH),
                                                  std::span<const Var<>>(h_), c));
        terms_.push_back(slope::binary_cross_entropy(a, D.y[t]));
      } else {
        for (int i = 0; i < pb::W5_NH; ++i) {
          Var<> z = b[i];
          for (int k = 0; k < pb::W5_NX; ++k) z += Wx[i * pb::W5_NX + k] * x[k];
          for (int j = 0; j < pb::W5_NH; ++j) z += Wh[i * pb::W5_NH + j] * h_[j];
          h_next_[i] = slope::tanh(z);
        }
        h_.swap(h_next_);
        Var<> z = c;
        for (int i = 0; i < pb::W5_NH; ++i) z += v[i] * h_[i];
        J += log_likelihood(D.y[t], slope::sigmoid(z));
      }
    }
    if (nary_) return slope::sum(std::span<const Var<>>(terms_)) * (1.0 / pb::W5_T);
    return J * (-1.0 / pb::W5_T);
  }

  std::string w_;
  bool nary_;
  slope::Tape<> tape_;
  std::vector<Var<>> x_, terms_, h_, h_next_;
};

// ==================================================================== ADOL-C ==

adouble ad_sigmoid(const adouble& z) { return 1.0 / (1.0 + exp(-z)); }

/// Records the workload on ADOL-C tape `tag`; returns the value.
double adolc_record(const std::string& w, const std::vector<double>& in, short tag) {
  const pb::Data& D = pb::data();
  trace_on(tag);
  std::vector<adouble> p(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) p[i] <<= in[i];
  adouble y;
  if (w == "W1") {
    adouble s = 0.0;
    for (const adouble& z : p) s += ad_sigmoid(z) + tanh(z) + fmax(z, 0.0) + fmax(z, 0.01 * z);
    y = s;
  } else if (w == "W2") {
    adouble x = p[0];
    for (long k = 0; k < pb::W2_K; ++k) x = tanh(p[1] * ad_sigmoid(x) + p[2]);
    y = x;
  } else if (w == "W3") {
    adouble J = 0.0;
    for (int j = 0; j < pb::W3_M; ++j) {
      adouble z2 = p[16];
      for (int i = 0; i < 4; ++i)
        z2 += p[12 + i] * tanh(p[i * 2] * D.w3_X0[j] + p[i * 2 + 1] * D.w3_X1[j] + p[8 + i]);
      adouble a2 = ad_sigmoid(z2);
      J += D.w3_y[j] * log(a2) + (1.0 - D.w3_y[j]) * log(1.0 - a2);
    }
    y = J * (-1.0 / pb::W3_M);
  } else if (w == "W5") {
    const pb::RecurrentData& R = pb::recurrent_data();
    std::vector<adouble> h(pb::W5_NH), next(pb::W5_NH);
    for (adouble& hi : h) hi = 0.0;
    adouble J = 0.0;
    for (int t = 0; t < pb::W5_T; ++t) {
      const double* x = &R.x[t * pb::W5_NX];
      for (int i = 0; i < pb::W5_NH; ++i) {
        adouble z = p[pb::W5_B + i];
        for (int k = 0; k < pb::W5_NX; ++k) z += p[pb::W5_WX + i * pb::W5_NX + k] * x[k];
        for (int j = 0; j < pb::W5_NH; ++j) z += p[pb::W5_WH + i * pb::W5_NH + j] * h[j];
        next[i] = tanh(z);
      }
      std::swap(h, next);
      adouble z = p[pb::W5_C];
      for (int i = 0; i < pb::W5_NH; ++i) z += p[pb::W5_V + i] * h[i];
      adouble a = ad_sigmoid(z);
      J += R.y[t] * log(a) + (1.0 - R.y[t]) * log(1.0 - a);
    }
    y = J * (-1.0 / pb::W5_T);
  } else {
    const int nw = pb::W4_NH * pb::W4_NX;
    adouble J = 0.0;
    for (int j = 0; j < pb::W4_M; ++j) {
      const double* x = &D.w4_Xs[j * pb::W4_NX];
      adouble z2 = p[pb::W4_NP - 1];
      for (int i = 0; i < pb::W4_NH; ++i) {
        adouble z1 = p[nw + i];
        for (int k = 0; k < pb::W4_NX; ++k) z1 += p[i * pb::W4_NX + k] * x[k];
        z2 += p[nw + pb::W4_NH + i] * fmax(z1, 0.0);
      }
      adouble a2 = ad_sigmoid(z2);
      J += D.w4_y[j] * log(a2) + (1.0 - D.w4_y[j]) * log(1.0 - a2);
    }
    y = J * (-1.0 / pb::W4_M);
  }
  double out = 0;
  y >>= out;
  trace_off();
  return out;
}

short adolc_tag(const std::string& w) { return static_cast<short>(w[1] - '0'); }

// ============================================================ second order ==

/// W3's loss on a tape of Dual numbers, written as the slope row writes it
/// (dot, binary_cross_entropy, sum), for slope::hessian_vector_product and
/// slope::value_gradient_and_hessian. The tape and the term buffer are
/// reused across evaluations.
class SecondOrderW3 {
 public:
  using D = slope::Dual<double>;
  SecondOrderW3() { tape_.deactivate(); }

  // The loss, as a callable of the Vars (auto: deduced before its uses).
  auto loss() {
    return [this](const std::vector<Var<D>>& p) {
      const pb::Data& Dt = pb::data();
      terms_.clear();
      for (int j = 0; j < pb::W3_M; ++j) {
        const D xj[2] = {D(Dt.w3_X0[j]), D(Dt.w3_X1[j])};
        Var<D> a1[4];
        for (int i = 0; i < 4; ++i)
          a1[i] = slope::tanh(slope::dot(std::span<const Var<D>>(p.data() + 2 * i, 2),
                                         std::span<const D>(xj), p[8 + i]));
        const Var<D> a2 = slope::sigmoid(slope::dot(std::span<const Var<D>>(p.data() + 12, 4),
                                                    std::span<const Var<D>>(a1), p[16]));
        terms_.push_back(slope::binary_cross_entropy(a2, Dt.w3_y[j]));
      }
      return slope::sum(std::span<const Var<D>>(terms_)) * (1.0 / pb::W3_M);
    };
  }
  std::vector<double> hvp(const std::vector<double>& p, const std::vector<double>& v) {
    return slope::hessian_vector_product(loss(), std::span<const double>(p),
                                         std::span<const double>(v), tape_);
  }
  slope::Matrix<double> hessian(const std::vector<double>& p) {
    return slope::value_gradient_and_hessian(loss(), std::span<const double>(p), tape_).hessian;
  }

 private:
  slope::Tape<D> tape_;
  std::vector<Var<D>> terms_;
};

// ============================================================= the harness ==

struct Row {
  std::string workload, method;
  double seconds = 0;          // median time per gradient
  std::size_t statements = 0;  // slope rows: tape statements and operands
  std::size_t operands = 0;
  std::size_t tape_bytes = 0;
  double peak_bytes = -1;      // growth of the peak resident memory in the first evaluation
};

/// How much the process's peak resident memory grows while `run` runs: the
/// high-water mark is reset to the current resident memory first (Linux:
/// "5" to /proc/self/clear_refs). -1 where that cannot be done.
template <class F>
double peak_growth(F run) {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  const bool reset = f != nullptr && std::fputs("5", f) >= 0;
  if (f != nullptr) std::fclose(f);
  const double before = pb::status_bytes("VmRSS");
  run();
  const double peak = pb::status_bytes("VmHWM");
  if (!reset || before < 0 || peak < 0) return -1;
  return std::max(0.0, peak - before);
}

std::map<std::string, double> g_median;  // "W1/slope" -> median seconds per gradient
std::size_t g_repetitions = 0;
std::map<std::string, Row> g_rows;

double relative_error(const std::vector<double>& g, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    num = std::max(num, std::fabs(g[i] - ref[i]));
    den = std::max(den, std::fabs(ref[i]));
  }
  return num / den;
}

[[noreturn]] void fail(const std::string& what) {
  fmt::print(stderr, "workloads: {}\n", what);
  std::exit(1);
}

class TableReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    // Google Benchmark's own median over the repetitions (the aggregates are
    // what reaches the display when only aggregates are shown).
    for (const Run& r : runs) {
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median")
        g_median[r.run_name.function_name] = r.GetAdjustedRealTime() * 1e-3;
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "mean")
        g_repetitions = std::max<std::size_t>(g_repetitions, std::size_t(r.repetitions));
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    for (auto& [name, row] : g_rows) row.seconds = g_median[name];
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    fmt::print("\nMedians of {} repetitions, measured in this one run; ratios are of medians.\n",
               g_repetitions);
    fmt::print("{:<4} {:<14} {:>12} {:>9} {:>9} {:>11} {:>11} {:>7} {:>7} {:>9} {:>9}\n", "",
               "row", "ms/gradient", "x plain", "x hand", "statements", "operands", "B/stmt",
               "B/op", "tape MB", "peak MB");
    for (const char* w : {"W1", "W2", "W3", "W4", "W5"}) {
      const Row* plain = find(w, "plain");
      const Row* hand = find(w, "hand");
      for (const char* m : {"plain", "hand", "slope", "slope-scalar", "adolc-retape", "adolc-replay",
                            "slope-hvp", "slope-hessian"}) {
        const Row* r = find(w, m);
        if (r == nullptr || r->seconds == 0) continue;
        const std::string ratio_plain = plain ? fmt::format("{:.2f}", r->seconds / plain->seconds) : "";
        const std::string ratio_hand = hand ? fmt::format("{:.2f}", r->seconds / hand->seconds) : "";
        const std::string peak = r->peak_bytes >= 0 ? fmt::format("{:.1f}", r->peak_bytes / 1e6) : "";
        if (r->statements > 0) {
          const double stmt_bytes = sizeof(std::uint32_t) + sizeof(double);  // end offset + adjoint
          const double op_bytes = sizeof(std::uint32_t) + sizeof(double);    // index + partial
          fmt::print("{:<4} {:<14} {:>12.3f} {:>9} {:>9} {:>11} {:>11} {:>7.0f} {:>7.0f} {:>9.1f} {:>9}\n",
                     w, m, r->seconds * 1e3, ratio_plain, ratio_hand, r->statements, r->operands,
                     stmt_bytes, op_bytes, double(r->tape_bytes) / 1e6, peak);
        } else {
          fmt::print("{:<4} {:<14} {:>12.3f} {:>9} {:>9} {:>11} {:>11} {:>7} {:>7} {:>9} {:>9}\n", w,
                     m, r->seconds * 1e3, ratio_plain, ratio_hand, "", "", "", "", "", peak);
        }
      }
    }
    const Row* gradient = find("W3", "slope");
    const Row* hvp = find("W3", "slope-hvp");
    const Row* hessian = find("W3", "slope-hessian");
    if (gradient && hvp && hessian && gradient->seconds > 0)
      fmt::print("W3 second order (forward-over-reverse, {} parameters): one Hessian-vector "
                 "product = {:.2f} gradients (W3 slope row), the full Hessian = {:.2f} "
                 "gradients ({:.3f} ms)\n",
                 pb::W3_NP, hvp->seconds / gradient->seconds,
                 hessian->seconds / gradient->seconds, hessian->seconds * 1e3);
    fmt::print("peak MB: how much the process's peak resident memory grew during the row's first "
               "evaluation (its tape, Vars and buffers; from a fresh start).\n");
    fmt::print("Peak resident memory of this process: {:.0f} MB\n", double(usage.ru_maxrss) / 1024);
  }

 private:
  static const Row* find(const std::string& w, const std::string& m) {
    auto it = g_rows.find(w + "/" + m);
    return it == g_rows.end() ? nullptr : &it->second;
  }
};

template <class F>
void add(const std::string& workload, const std::string& method, F f) {
  const std::string name = workload + "/" + method;
  g_rows[name] = Row{workload, method};
  benchmark::RegisterBenchmark(name.c_str(), [f](benchmark::State& state) mutable {
    for (auto _ : state) benchmark::DoNotOptimize(f());
  })->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0)
      quick = true;
    else
      args.push_back(argv[i]);
  }
  std::string reps = quick ? "--benchmark_repetitions=3" : "--benchmark_repetitions=15";
  std::string order = "--benchmark_enable_random_interleaving=true";
  std::string min_time = quick ? "--benchmark_min_time=0.01" : "--benchmark_min_time=0.1";
  std::string quiet = "--benchmark_display_aggregates_only=true";
  if (args.size() == 1) args.insert(args.end(), {reps.data(), order.data(), min_time.data(), quiet.data()});

  const pb::Data& D = pb::data();
  static std::map<std::string, SlopeRunner*> runners;
  for (const char* w : {"W1", "W2", "W3", "W4", "W5"}) {
    const std::vector<double>& in = inputs_of(w);
    std::vector<double> ref, g;
    hand_of(w, in, ref);
    const double value = plain_of(w, in);
    // slope, both ways; each checked before it is timed.
    for (bool nary : {true, false}) {
      auto* runner = new SlopeRunner(w, nary);
      double v = 0;
      const double peak = peak_growth([&] { v = runner->gradient(in, g); });
      const double err = relative_error(g, ref);
      if (!(err < 1e-9) || !(std::fabs(v - value) <= 1e-9 * std::fabs(value)))
        fail(fmt::format("{} slope{} gradient differs from the hand adjoint: relative error {:.3g}",
                         w, nary ? "" : "-scalar", err));
      const std::string method = nary ? "slope" : "slope-scalar";
      add(w, method, [runner, &in, g]() mutable { return runner->gradient(in, g); });
      Row& row = g_rows[std::string(w) + "/" + method];
      row.statements = runner->tape().size();
      row.operands = runner->tape().operands();
      row.tape_bytes = runner->tape().memory();
      row.peak_bytes = peak;
    }
    // ADOL-C, checked the same way.
    const short tag = adolc_tag(w);
    g.assign(in.size(), 0.0);
    const double adolc_peak = peak_growth([&] {
      adolc_record(w, in, tag);
      gradient(tag, static_cast<int>(in.size()), in.data(), g.data());
    });
    if (!(relative_error(g, ref) < 1e-9))
      fail(fmt::format("{} ADOL-C gradient differs from the hand adjoint: relative error {:.3g}", w,
                       relative_error(g, ref)));
    add(w, "plain", [w, &in] { return plain_of(w, in); });
    add(w, "hand", [w, &in, g]() mutable { return hand_of(w, in, g); });
    add(w, "adolc-retape", [w, &in, tag, g]() mutable {
      adolc_record(w, in, tag);
      return gradient(tag, static_cast<int>(in.size()), in.data(), g.data());
    });
    g_rows[std::string(w) + "/adolc-retape"].peak_bytes = adolc_peak;
    add(w, "adolc-replay", [&in, tag, g]() mutable {
      return gradient(tag, static_cast<int>(in.size()), in.data(), g.data());
    });
  }
  // W3's Hessian-vector product against central differences of the hand
  // gradient, and the Hessian against its products with unit vectors.
  {
    static SecondOrderW3 second;
    const std::vector<double>& p = D.inputs("W3");
    std::vector<double> v(p.size());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(1.0 + static_cast<double>(i));
    const std::vector<double> hv = second.hvp(p, v);
    const double h = 1e-5;
    std::vector<double> plus = p, minus = p, gp, gm, fd(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
      plus[i] += h * v[i];
      minus[i] -= h * v[i];
    }
    pb::hand("W3", plus, gp);
    pb::hand("W3", minus, gm);
    for (std::size_t i = 0; i < p.size(); ++i) fd[i] = (gp[i] - gm[i]) / (2 * h);
    if (!(relative_error(hv, fd) < 1e-6))
      fail(fmt::format("W3 Hessian-vector product differs from differences of the hand "
                       "gradient: relative error {:.3g}",
                       relative_error(hv, fd)));
    const slope::Matrix<double> H = second.hessian(p);
    std::vector<double> Hv(p.size(), 0.0);
    for (std::size_t i = 0; i < p.size(); ++i)
      for (std::size_t j = 0; j < p.size(); ++j) Hv[i] += H(i, j) * v[j];
    if (!(relative_error(Hv, hv) < 1e-12))
      fail(fmt::format("W3 Hessian times v differs from the Hessian-vector product: {:.3g}",
                       relative_error(Hv, hv)));
    add("W3", "slope-hvp", [&p, v] { return second.hvp(p, v)[0]; });
    add("W3", "slope-hessian", [&p] { return second.hessian(p)(0, 0); });
  }
  fmt::print("Every gradient agrees with the hand adjoint (relative error < 1e-9); W3's "
             "Hessian-vector product agrees with differences of it (< 1e-6).\n");

  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  TableReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
