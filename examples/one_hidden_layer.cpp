// one_hidden_layer.cpp - training a small neural network with gradients from
// the tape: the planar "flower" classifier.
//
// 400 points in the plane, two classes arranged as the petals of a flower,
// which no straight line separates. A 2-h-1 network (tanh hidden layer,
// sigmoid output, mean cross-entropy cost) learns the petals by full-batch
// gradient descent. What it shows:
//
//   - the cost written once, generically: the same code runs on double (for
//     predictions), on slope::Var (for training) and on 50-digit numbers (to
//     verify the gradient with slope::check::gradient before training);
//   - slope::dot for a neuron's pre-activation w.x + b and slope::sum for the
//     cost: one tape statement each, however many terms;
//   - one tape for the whole training: tape.reset() forgets the recording and
//     keeps the memory, so after the first iteration nothing is allocated;
//   - the decision regions the network learned, drawn with gnuplot.
//
//   one_hidden_layer                       4 hidden units, 10,000 iterations
//   one_hidden_layer --study               hidden sizes 1, 2, 3, 4, 5, 20, 50
//   one_hidden_layer --help                every option
#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <slope/check.hpp>
#include <slope/slope.hpp>

namespace {

// ================================================================ data ====

/// The data set: points (x1, x2) and their classes (0 or 1).
struct Data {
  std::vector<std::array<double, 2>> x;
  std::vector<int> y;
  std::size_t size() const { return y.size(); }
};

/// Standard normal numbers from std::mt19937 by the Box-Muller transform.
/// mt19937's output is fixed by the C++ standard (std::normal_distribution's
/// is not), so the data and the initial weights are the same everywhere.
class Normal {
 public:
  explicit Normal(std::uint32_t seed) : bits_(seed) {}
  double operator()() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = uniform(), u2 = uniform();  // in (0, 1): log(u1) is finite
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(angle);
    has_spare_ = true;
    return r * std::cos(angle);
  }

 private:
  // 53 random bits, centred in their interval: a double in (0, 1).
  double uniform() {
    const std::uint64_t hi = bits_() >> 5, lo = bits_() >> 6;  // 27 + 26 bits
    return (static_cast<double>((hi << 26) | lo) + 0.5) * 0x1p-53;
  }
  std::mt19937 bits_;
  double spare_ = 0;
  bool has_spare_ = false;
};

/// The flower: for class j (200 points each), angles t spaced evenly over
/// [3.12 j, 3.12 (j + 1)] plus noise, radius r = 4 sin(4t) plus noise, and the
/// point (r sin t, r cos t). Noise is 0.2 times a standard normal.
Data flower(std::uint32_t seed) {
  constexpr int per_class = 200;
  constexpr double petals = 4, noise = 0.2, span = 3.12;
  Normal normal(seed);
  Data d;
  for (int j = 0; j < 2; ++j) {
    std::array<double, per_class> t{};
    for (int i = 0; i < per_class; ++i)
      t[i] = j * span + span * i / (per_class - 1) + noise * normal();
    for (int i = 0; i < per_class; ++i) {
      const double r = petals * std::sin(4 * t[i]) + noise * normal();
      d.x.push_back({r * std::sin(t[i]), r * std::cos(t[i])});
      d.y.push_back(j);
    }
  }
  return d;
}

// ============================================================= network ====
// Parameters in one flat vector p of 4h + 1 numbers:
//   W1 (h x 2, row by row) | b1 (h) | W2 (h) | b2 (1)
// hidden a_k = tanh(W1_k . x + b1_k), output sigmoid(W2 . a + b2).

std::size_t parameter_count(std::size_t hidden) { return 4 * hidden + 1; }

// slope::dot and slope::sum take Vars and record one statement for all their
// terms; on plain numbers (double, or the checker's 50-digit numbers) the
// same sums are plain loops.

/// w . x + b for the data x (plain doubles).
template <class S>
S neuron(std::span<const S> w, const std::array<double, 2>& x, const S& b) {
  if constexpr (slope::is_var_v<S>) {
    using T = typename S::value_type;
    const std::array<T, 2> xt{T(x[0]), T(x[1])};
    return slope::dot(w, std::span<const T>(xt), b);
  } else {
    return w[0] * x[0] + w[1] * x[1] + b;
  }
}

/// w . a + b, everything of the same type.
template <class S>
S neuron(std::span<const S> w, std::span<const S> a, const S& b) {
  if constexpr (slope::is_var_v<S>) {
    return slope::dot(w, a, b);
  } else {
    S z = b;
    for (std::size_t k = 0; k < w.size(); ++k) z += w[k] * a[k];
    return z;
  }
}

/// The sum of the terms.
template <class S>
S total(std::span<const S> terms) {
  if constexpr (slope::is_var_v<S>) {
    return slope::sum(terms);
  } else {
    S s = S(0);
    for (const S& t : terms) s += t;
    return s;
  }
}

/// The output pre-activation z = W2 . tanh(W1 x + b1) + b2 at one point;
/// sigmoid(z) is the probability of class 1. `hidden` is scratch of size h.
template <class S>
S output(std::span<const S> p, const std::array<double, 2>& x, std::vector<S>& hidden) {
  using std::tanh;  // slope::tanh (Var) and Boost's tanh are found by argument type
  const std::size_t h = hidden.size();
  const std::span<const S> W1 = p.subspan(0, 2 * h), b1 = p.subspan(2 * h, h),
                           W2 = p.subspan(3 * h, h);
  for (std::size_t k = 0; k < h; ++k) hidden[k] = tanh(neuron(W1.subspan(2 * k, 2), x, b1[k]));
  return neuron(W2, std::span<const S>(hidden), p[4 * h]);
}

/// The mean cross-entropy -(1/m) sum_j [y_j log a_j + (1 - y_j) log(1 - a_j)]
/// of the network with parameters p on the data, for any scalar S: double,
/// slope::Var, a multiprecision number. This is the function that is trained
/// and the one the checker verifies.
template <class S>
S cost(const std::vector<S>& p, const Data& data, std::size_t h) {
  using slope::sigmoid;
  using std::log;  // slope::log (Var) and Boost's log are found by argument type
  std::vector<S> hidden(h), terms(data.size());
  for (std::size_t j = 0; j < data.size(); ++j) {
    const S a = sigmoid(output(std::span<const S>(p), data.x[j], hidden));
    terms[j] = data.y[j] == 1 ? log(a) : log(1.0 - a);
  }
  return total(std::span<const S>(terms)) * (-1.0 / static_cast<double>(data.size()));
}

/// Small random weights (0.01 times a standard normal), zero biases.
std::vector<double> initial_parameters(std::size_t h, std::uint32_t seed) {
  Normal normal(seed);
  std::vector<double> p(parameter_count(h), 0.0);
  for (std::size_t i = 0; i < 2 * h; ++i) p[i] = 0.01 * normal();      // W1
  for (std::size_t i = 3 * h; i < 4 * h; ++i) p[i] = 0.01 * normal();  // W2
  return p;
}

/// Class 1 where sigmoid(z) >= 0.5, that is z >= 0.
int predict(const std::vector<double>& p, std::size_t h, const std::array<double, 2>& x) {
  std::vector<double> hidden(h);
  return output(std::span<const double>(p), x, hidden) >= 0 ? 1 : 0;
}

double accuracy(const std::vector<double>& p, std::size_t h, const Data& data) {
  std::size_t right = 0;
  for (std::size_t j = 0; j < data.size(); ++j) right += predict(p, h, data.x[j]) == data.y[j];
  return static_cast<double>(right) / static_cast<double>(data.size());
}

// ============================================================ training ====

struct Trained {
  std::vector<double> p;
  double first_cost = 0, final_cost = 0, accuracy = 0, seconds = 0;
};

/// Full-batch gradient descent: every iteration records the cost on the same
/// tape, sweeps it once for the whole gradient and steps down it.
Trained train(const Data& data, std::size_t h, int iterations, double learning_rate, bool verbose) {
  const auto start = std::chrono::steady_clock::now();
  Trained r{initial_parameters(h, 2), 0, 0, 0, 0};
  std::vector<double>& p = r.p;
  std::vector<double> grad(p.size());

  slope::Tape<> tape;
  std::vector<slope::Var<>> w(p.size());
  std::size_t memory_after_first = 0;
  for (int it = 0; it < iterations; ++it) {
    tape.reset();  // forget the last recording, keep its memory
    for (std::size_t i = 0; i < p.size(); ++i) w[i] = slope::Var<>(p[i]);  // new inputs
    const slope::Var<> J = cost(w, data, h);
    slope::gradient(J, std::span<const slope::Var<>>(w), std::span<double>(grad));
    if (it == 0) {
      r.first_cost = J.value();
      memory_after_first = tape.memory();
      if (verbose)
        fmt::print("The tape holds {} statements and {} operands per iteration; {} bytes.\n\n",
                   tape.size(), tape.operands(), tape.memory());
    }
    if (verbose && it % 1000 == 0)
      fmt::print("  iteration {:>6}   cost {:.6f}   tape memory {} bytes\n", it, J.value(),
                 tape.memory());
    for (std::size_t i = 0; i < p.size(); ++i) p[i] -= learning_rate * grad[i];
  }
  r.final_cost = cost(p, data, h);
  r.accuracy = accuracy(p, h, data);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (verbose && iterations > 0) {
    fmt::print("  iteration {:>6}   cost {:.6f}\n\n", iterations, r.final_cost);
    fmt::print("Tape memory after the first iteration: {} bytes; after the last: {} bytes{}.\n",
               memory_after_first, tape.memory(),
               memory_after_first == tape.memory() ? " (no reallocation)" : "");
  }
  return r;
}

// ============================================================ pictures ====

/// The region the pictures cover: the data's bounding box plus a margin.
struct Box {
  double x0, x1, y0, y1;
};
Box bounding_box(const Data& data) {
  Box b{1e300, -1e300, 1e300, -1e300};
  for (const auto& x : data.x) {
    b.x0 = std::min(b.x0, x[0]);
    b.x1 = std::max(b.x1, x[0]);
    b.y0 = std::min(b.y0, x[1]);
    b.y1 = std::max(b.y1, x[1]);
  }
  return {b.x0 - 1, b.x1 + 1, b.y0 - 1, b.y1 + 1};
}

std::ofstream open_output(const std::filesystem::path& path) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write " + path.string());
  return out;
}

/// The data points, class 0 and class 1 as two blocks (gnuplot's index 0, 1).
void write_points(const std::filesystem::path& path, const Data& data) {
  std::ofstream out = open_output(path);
  out << "# x1 x2 class\n";
  for (int c = 0; c < 2; ++c) {
    if (c == 1) out << "\n\n";
    for (std::size_t j = 0; j < data.size(); ++j)
      if (data.y[j] == c) out << fmt::format("{:.6f} {:.6f} {}\n", data.x[j][0], data.x[j][1], c);
  }
}

/// The predicted class on a regular grid over the box (for gnuplot's image).
void write_regions(const std::filesystem::path& path, const std::vector<double>& p, std::size_t h,
                   const Box& box) {
  constexpr int nx = 320, ny = 240;
  std::ofstream out = open_output(path);
  out << "# x1 x2 predicted-class\n";
  for (int iy = 0; iy < ny; ++iy) {
    const double y = box.y0 + (box.y1 - box.y0) * iy / (ny - 1);
    for (int ix = 0; ix < nx; ++ix) {
      const double x = box.x0 + (box.x1 - box.x0) * ix / (nx - 1);
      out << fmt::format("{:.4f} {:.4f} {}\n", x, y, predict(p, h, {x, y}));
    }
    out << '\n';
  }
}

/// gnuplot commands for one panel: the decision regions and the points.
std::string panel(const Box& box, const std::string& regions, const std::string& title) {
  return fmt::format(
      "set title \"{}\"\n"
      "set xrange [{:.3f}:{:.3f}]\nset yrange [{:.3f}:{:.3f}]\n"
      "plot \"{}\" using 1:2:3 with image notitle, \\\n"
      "     \"one_hidden_layer_points.dat\" index 0 using 1:2 with points pt 7 ps 0.6 "
      "lc rgb \"#c0392b\" title \"class 0\", \\\n"
      "     \"one_hidden_layer_points.dat\" index 1 using 1:2 with points pt 7 ps 0.6 "
      "lc rgb \"#1f4e9c\" title \"class 1\", \\\n"
      "     keyentry with boxes fill solid lc rgb \"#f6c9bd\" title \"predicted 0\", \\\n"
      "     keyentry with boxes fill solid lc rgb \"#c3d5f0\" title \"predicted 1\"\n",
      title, box.x0, box.x1, box.y0, box.y1, regions);
}

/// 10000 as "10,000" (n >= 0).
std::string grouped(long long n) {
  const std::string digits = std::to_string(n);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

constexpr std::string_view style =
    "set xlabel \"x_1\"\nset ylabel \"x_2\"\n"
    "set palette defined (0 \"#f6c9bd\", 1 \"#c3d5f0\")\nset cbrange [0:1]\nunset colorbox\n"
    "set key outside right top box\nset size ratio -1\n";

/// A string as a single-quoted shell word.
std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs gnuplot on the script in dir; if that fails, says how to do it by hand.
void render(const std::filesystem::path& dir, const std::string& script, const std::string& png) {
  const std::string command =
      "cd " + shell_quote(dir.string()) + " && gnuplot " + shell_quote(script);
  std::fflush(stdout);
  if (std::system((command + " 2>&1").c_str()) == 0) {
    fmt::print("Wrote {}\n", (dir / png).string());
  } else {
    fmt::print(
        "Could not run gnuplot, so {} was not drawn. To draw it, install gnuplot\n"
        "(apt-get install gnuplot) and run:\n  {}\n",
        png, command);
  }
}

std::string percent(double fraction) { return fmt::format("{:.2f} %", 100 * fraction); }

void draw(const std::filesystem::path& dir, const Data& data, const Trained& t, std::size_t h,
          int iterations) {
  const Box box = bounding_box(data);
  write_points(dir / "one_hidden_layer_points.dat", data);
  write_regions(dir / "one_hidden_layer_regions.dat", t.p, h, box);
  std::ofstream gp = open_output(dir / "one_hidden_layer.gp");
  gp << "# Decision regions of the 2-" << h << "-1 network; written by one_hidden_layer.\n"
     << "set terminal pngcairo size 800,600 enhanced font \"sans,11\"\n"
     << "set output \"one_hidden_layer.png\"\n"
     << style
     << panel(box, "one_hidden_layer_regions.dat",
              fmt::format("2-{}-1 tanh network, {} iterations: training accuracy {}", h,
                          grouped(iterations), percent(t.accuracy)));
  gp.close();
  render(dir, "one_hidden_layer.gp", "one_hidden_layer.png");
}

// =============================================================== study ====

int study(const std::filesystem::path& dir, const Data& data, int iterations,
          double learning_rate) {
  const std::vector<std::size_t> sizes = {1, 2, 3, 4, 5, 20, 50};
  const Box box = bounding_box(data);
  write_points(dir / "one_hidden_layer_points.dat", data);
  std::ofstream gp = open_output(dir / "one_hidden_layer_study.gp");
  gp << "# Decision regions for each hidden size; written by one_hidden_layer --study.\n"
     << "set terminal pngcairo size 1600,860 enhanced font \"sans,10\"\n"
     << "set output \"one_hidden_layer_study.png\"\n"
     << style
     << fmt::format(
            "set multiplot layout 2,4 title \"The flower, learned by 2-h-1 tanh networks: "
            "decision regions after {} iterations, learning rate {}\\n"
            "points: class 0 red, class 1 blue; regions: the predicted class\"\n",
            grouped(iterations), learning_rate);

  fmt::print("Hidden layer size study: {} iterations, learning rate {}.\n\n", grouped(iterations),
             learning_rate);
  fmt::print("  {:>6} {:>10} {:>12} {:>12} {:>10}\n", "hidden", "parameters", "final cost",
             "accuracy", "time");
  int status = 0;
  for (std::size_t h : sizes) {
    const Trained t = train(data, h, iterations, learning_rate, false);
    fmt::print("  {:>6} {:>10} {:>12.6f} {:>12} {:>9.2f}s\n", h, parameter_count(h), t.final_cost,
               percent(t.accuracy), t.seconds);
    std::fflush(stdout);
    if (!(t.final_cost < t.first_cost)) status = 1;
    const std::string regions = fmt::format("one_hidden_layer_study_h{}.dat", h);
    write_regions(dir / regions, t.p, h, box);
    gp << "unset key\n"
       << panel(box, regions,
                fmt::format("{} hidden unit{}: {}", h, h == 1 ? "" : "s", percent(t.accuracy)));
  }
  gp << "unset multiplot\n";
  gp.close();
  fmt::print("\n");
  render(dir, "one_hidden_layer_study.gp", "one_hidden_layer_study.png");
  if (status != 0) fmt::print("FAILED: the cost did not fall for some hidden size.\n");
  return status;
}

// ============================================================= options ====

struct Options {
  std::size_t hidden = 4;
  int iterations = 10000;
  double learning_rate = 1.2;
  bool study = false;
  std::filesystem::path output = ".";
  std::optional<double> require_accuracy;
  bool help = false;
};

/// A bad command line: what was wrong, for the message.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr std::string_view usage =
    "usage: one_hidden_layer [--hidden N] [--iterations N] [--learning-rate X] [--study]\n"
    "                        [--output DIR] [--require-accuracy X]\n"
    "  --hidden N            hidden units (1 to 1000; default 4)\n"
    "  --iterations N        gradient descent steps (1 to 10000000; default 10000)\n"
    "  --learning-rate X     step size (positive; default 1.2)\n"
    "  --study               train hidden sizes 1, 2, 3, 4, 5, 20, 50 and compare\n"
    "  --output DIR          where the data files, gnuplot scripts and pictures go\n"
    "                        (created if missing; default: the current directory)\n"
    "  --require-accuracy X  exit with code 1 unless the final training accuracy is at\n"
    "                        least X (0 to 1) and the cost fell (not with --study)\n"
    "  --help                this text\n";

template <class N>
N number(std::string_view option, std::string_view text, N lo, N hi) {
  N value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= lo && value <= hi))
    throw usage_error(
        fmt::format("{} needs a number from {} to {}, got \"{}\"", option, lo, hi, text));
  return value;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) throw usage_error(fmt::format("{} needs a value", arg));
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      o.help = true;
    } else if (arg == "--hidden") {
      o.hidden = number<std::size_t>(arg, value(), 1, 1000);
    } else if (arg == "--iterations") {
      o.iterations = number<int>(arg, value(), 1, 10000000);
    } else if (arg == "--learning-rate") {
      o.learning_rate = number<double>(arg, value(), 1e-12, 1e6);
    } else if (arg == "--study") {
      o.study = true;
    } else if (arg == "--output") {
      o.output = std::string(value());
      if (o.output.empty()) throw usage_error("--output needs a directory name");
    } else if (arg == "--require-accuracy") {
      o.require_accuracy = number<double>(arg, value(), 0.0, 1.0);
    } else {
      throw usage_error(fmt::format("unknown option \"{}\"", arg));
    }
  }
  if (o.study && o.require_accuracy)
    throw usage_error("--require-accuracy applies to one training run, not to --study");
  std::error_code ec;
  std::filesystem::create_directories(o.output, ec);
  if (ec || !std::filesystem::is_directory(o.output))
    throw usage_error(fmt::format("--output: cannot use \"{}\" as a directory{}", o.output.string(),
                                  ec ? ": " + ec.message() : ""));
  return o;
}

// ============================================================== check =====

/// Every `stride`-th point of the data.
Data every(const Data& data, std::size_t stride) {
  Data d;
  for (std::size_t j = 0; j < data.size(); j += stride) {
    d.x.push_back(data.x[j]);
    d.y.push_back(data.y[j]);
  }
  return d;
}

/// Verifies the tape gradient of the cost before training, at the initial
/// parameters, with slope::check::gradient: the double tape and a 50-digit
/// tape against the numerical gradient in 50-digit arithmetic. Returns
/// whether the check passed.
bool check_gradient(const Data& all, std::size_t h) {
  constexpr std::size_t stride = 4;  // all 400 points take about 15 s; 100 points, 4 s
  const Data data = every(all, stride);
  const auto start = std::chrono::steady_clock::now();
  const auto f = [&data, h](const auto& p) { return cost(p, data, h); };
  const std::vector<double> p0 = initial_parameters(h, 2);
  const slope::check::GradientReport report = slope::check::gradient(f, p0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(
      "Checking the gradient of the cost at the initial parameters, on every {}th point "
      "({} of\nthe {}, to keep it quick), against the numerical gradient in 50-digit "
      "arithmetic ({:.1f} s):\n\n{}\n",
      stride, data.size(), all.size(), seconds, report);
  double fewest_digits = 99, worst_ulps = 0;
  for (const auto& c : report.components) {
    fewest_digits = std::min(fewest_digits, c.mp_digits);
    worst_ulps = std::max(worst_ulps, c.ulps);
  }
  // The biases' components sum one term per point, and at the start those
  // terms nearly cancel: the gradient is far smaller than its terms, and the
  // double tape is many ULPs of it away, as any double summation is. The
  // checker's allowance includes the sum of |terms| along every path (the
  // "paths" column), so it passes them for what they are.
  fmt::print(
      "The 50-digit tape agrees with the numerical gradient to {}\nin every component; "
      "the double tape is at most {:.3g} ULP of the gradient away (where\nit is a sum of "
      "nearly cancelling terms; the paths column gives their size).\nGradient check: {}.\n\n",
      fewest_digits >= 99 ? std::string("within the reference's own error")
                          : fmt::format("{:.1f} digits or more", fewest_digits),
      worst_ulps, slope::check::to_string(report.status));
  return report.status == slope::check::Status::pass;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
    if (o.help) {
      fmt::print("{}", usage);
      return 0;
    }
  } catch (const usage_error& e) {
    fmt::print(stderr, "one_hidden_layer: {}\n{}", e.what(), usage);
    return 2;
  }
  try {
    const Data data = flower(1);
    fmt::print("The flower: {} points, {} of class 1.\n\n", data.size(),
               std::count(data.y.begin(), data.y.end(), 1));
    if (!check_gradient(data, o.hidden)) {
      fmt::print("FAILED: the tape gradient does not agree with the numerical gradient.\n");
      return 1;
    }
    if (o.study) return study(o.output, data, o.iterations, o.learning_rate);

    fmt::print("Training a 2-{}-1 network: {} iterations of gradient descent, learning rate {}.\n",
               o.hidden, grouped(o.iterations), o.learning_rate);
    const Trained t = train(data, o.hidden, o.iterations, o.learning_rate, true);
    fmt::print("Training accuracy: {} ({} iterations in {:.2f} s).\n\n", percent(t.accuracy),
               grouped(o.iterations), t.seconds);
    draw(o.output, data, t, o.hidden, o.iterations);

    const bool fell = t.final_cost < t.first_cost;
    if (!fell)
      fmt::print("{}the cost did not fall ({} to {}): try a smaller learning rate.\n",
                 o.require_accuracy ? "FAILED: " : "", t.first_cost, t.final_cost);
    if (o.require_accuracy && t.accuracy < *o.require_accuracy)
      fmt::print("FAILED: the accuracy {} is below the required {}.\n", percent(t.accuracy),
                 percent(*o.require_accuracy));
    if (o.require_accuracy && (!fell || t.accuracy < *o.require_accuracy)) return 1;
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "one_hidden_layer: {}\n", e.what());
    return 1;
  }
}
