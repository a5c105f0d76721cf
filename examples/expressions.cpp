// expressions.cpp - building expressions at run time and differentiating them.
//
//     expressions "tanh(w*x + b)" w=0.5 x=2 b=-1
//     expressions --layers 2,4,1 --activations tanh,sigmoid
//     expressions                 (a demo: good expressions, checked, and bad ones)
//
// The expression is parsed by recursive descent into a small AST: a flat list
// of nodes, each operand before the node that uses it. Evaluating the AST is
// one generic loop over the nodes, so the same parsed expression runs on
// double (to find domain errors before anything is recorded), on slope::Var
// (recorded on a tape, all derivatives in one reverse sweep), and on 50- and
// 100-digit numbers and 50-digit Vars, which is what slope::check::gradient
// needs to verify the tape's gradient numerically. Parsing straight onto a
// tape would record the expression once, in double only.
//
// No function is listed by hand: the parser looks names up in slope's own
// primitive tables (`slope::unary_primitives`, `slope::binary_primitives`
// in primitives.hpp), by each block's `name`. Every primitive slope has,
// including one added to the table later, is callable here under that name;
// `+ - * / ^` and unary minus are the table's add, sub, mul, div, pow and neg.
// Each block's domain comes from the table too, so log(x) at x = -1 is an
// error that points at the call instead of a NaN in the output.
//
// Every derivative printed is checked: slope::check::gradient compares it with
// a 50-digit numerical derivative (allowing for the conditioning of the
// expression at the point); where a call sits on a kink (relu at 0, max at a
// tie) a central difference means nothing, and the tape's value is compared
// with the left and right 50-digit derivatives instead.
//
// --layers and --activations describe a small network the same way: the
// activations are looked up in the same table, the weights are
// deterministic, and the gradient with respect to inputs and parameters is
// checked like an expression's.
//
// Every mistake in a description (the expression, a name=value argument, an
// option) throws a `DescriptionError` carrying the text and the position;
// main prints the text, a caret line under the position and the message, and
// exits with code 1. A derivative that fails its check also gives exit code 1;
// one the checker cannot verify at that point (it says why) does not.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <slope/check.hpp>
#include <slope/slope.hpp>

namespace {

using slope::check::Real50;
using slope::check::Status;

// ================================================================ errors ===

/// A mistake in a description: the text it is in (the expression, or one
/// command-line argument), the byte range [begin, end) it is about, and what
/// is wrong.
class DescriptionError : public std::runtime_error {
 public:
  DescriptionError(std::string source, std::size_t begin, std::size_t end, std::string message)
      : std::runtime_error(std::move(message)),
        source_(std::move(source)),
        begin_(begin),
        end_(std::max(end, begin + 1)) {}
  const std::string& source() const noexcept { return source_; }
  std::size_t begin() const noexcept { return begin_; }
  std::size_t end() const noexcept { return end_; }

 private:
  std::string source_;
  std::size_t begin_, end_;
};

/// The 1-based column of byte `pos` of `text`, counting UTF-8 characters.
std::size_t column(std::string_view text, std::size_t pos) {
  std::size_t c = 1;
  for (std::size_t i = 0; i < pos && i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++c;
  return c;
}

/// The source, a caret line under the error's range and the message.
std::string describe(const DescriptionError& e) {
  const std::string_view s = e.source();
  std::string marks;
  for (std::size_t i = 0; i < e.end(); ++i) {
    if (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (i < e.begin())
      marks += i < s.size() && s[i] == '\t' ? '\t' : ' ';
    else
      marks += i == e.begin() ? '^' : '~';
  }
  return fmt::format("  {}\n  {}\nerror (column {}): {}\n", s, marks, column(s, e.begin()),
                     e.what());
}

/// The number of single-character edits that turn a into b.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

/// Parses all of `text` as a double; false if it is not exactly one number.
bool parse_double(std::string_view text, double& out) {
  if (text.empty()) return false;
  const char* first = text.data();
  if (*first == '+') ++first;  // from_chars takes no '+'
  const auto [end, ec] = std::from_chars(first, text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

/// A number as the messages show it: shortest round-trip form, and NaN
/// (never "-nan") for any NaN.
std::string show(double x, int digits = 0) {
  if (std::isnan(x)) return "NaN";
  return digits == 0 ? fmt::format("{}", x) : fmt::format("{:.{}g}", x, digits);
}

// ============================================ slope's primitives, by name ===
// One entry per block of the tables, in table order, built from the tables
// themselves: adding a primitive to primitives.hpp makes it callable here.

/// A primitive's name, number of arguments and place in its table, with
/// what the block says about where it is defined and differentiable.
struct FunctionInfo {
  std::string_view name;
  int arity = 1;
  std::size_t index = 0;                        ///< into unary_primitives or binary_primitives
  slope::Domain domain{};                       ///< unary
  std::span<const double> kinks{};              ///< unary
  bool (*in_domain)(double, double) = nullptr;  ///< binary
  bool (*kink)(double, double) = nullptr;       ///< binary
  /// The local derivatives at (a, b) (b ignored for a unary primitive), as
  /// the tape computes them in double.
  std::array<double, 2> (*derivative)(double, double) = nullptr;
};

template <class P>
std::array<double, 2> local_derivative(double a, double b) {
  const P p{};
  if constexpr (requires { p.eval(a); }) {
    return {p.eval(a).derivative, 0.0};
  } else if constexpr (requires { p.forward(a, b); }) {
    return p.derivative(a, b, p.forward(a, b));
  } else {
    return {p.derivative(a, p.forward(a)), 0.0};
  }
}

template <class... P>
std::vector<FunctionInfo> unary_infos(std::tuple<P...>*) {
  std::size_t i = 0;
  return {FunctionInfo{.name = P::name,
                       .arity = 1,
                       .index = i++,
                       .domain = P::domain,
                       .kinks = std::span<const double>(P::kinks),
                       .derivative = &local_derivative<P>}...};
}
template <class... P>
std::vector<FunctionInfo> binary_infos(std::tuple<P...>*) {
  std::size_t i = 0;
  return {FunctionInfo{.name = P::name,
                       .arity = 2,
                       .index = i++,
                       .in_domain = &P::in_domain,
                       .kink = &P::kink,
                       .derivative = &local_derivative<P>}...};
}

/// Every primitive of slope's tables, unary ones first.
const std::vector<FunctionInfo>& functions() {
  static const std::vector<FunctionInfo> all = [] {
    std::vector<FunctionInfo> f = unary_infos(static_cast<slope::unary_primitives*>(nullptr));
    for (const FunctionInfo& b : binary_infos(static_cast<slope::binary_primitives*>(nullptr)))
      f.push_back(b);
    return f;
  }();
  return all;
}

const FunctionInfo* find_function(std::string_view name) {
  for (const FunctionInfo& f : functions())
    if (f.name == name) return &f;
  return nullptr;
}

/// The entry of a primitive the parser relies on (add, neg, pow, ...).
const FunctionInfo& function(std::string_view name) {
  const FunctionInfo* f = find_function(name);
  if (f == nullptr) throw std::logic_error(fmt::format("slope has no primitive '{}'", name));
  return *f;
}

/// The names of the primitives with `arity` arguments (0: all of them).
std::string function_names(int arity = 0) {
  std::string s;
  for (const FunctionInfo& f : functions())
    if (arity == 0 || f.arity == arity) s += fmt::format("{}{}", s.empty() ? "" : ", ", f.name);
  return s;
}

/// "did you mean X? " for the names closest to an unknown one, then the
/// list (of the primitives with `arity` arguments; 0: all).
std::string suggest(std::string_view name, int arity = 0) {
  std::size_t best = std::numeric_limits<std::size_t>::max();
  for (const FunctionInfo& f : functions())
    if (arity == 0 || f.arity == arity) best = std::min(best, edit_distance(name, f.name));
  std::string close;
  if (best <= std::max<std::size_t>(1, name.size() / 3))
    for (const FunctionInfo& f : functions())
      if ((arity == 0 || f.arity == arity) && edit_distance(name, f.name) == best)
        close += fmt::format("{}{}", close.empty() ? "" : " or ", f.name);
  return (close.empty() ? "" : "did you mean " + close + "? ") +
         "slope has: " + function_names(arity);
}

/// "x > 0", "-1 <= x <= 1", "all reals".
std::string to_string(const slope::Domain& d) {
  const bool lo = std::isfinite(d.lo), hi = std::isfinite(d.hi);
  if (!lo && !hi) return "all reals";
  if (!hi) return fmt::format("x {} {}", d.lo_closed ? ">=" : ">", d.lo);
  if (!lo) return fmt::format("x {} {}", d.hi_closed ? "<=" : "<", d.hi);
  return fmt::format("{} {} x {} {}", d.lo, d.lo_closed ? "<=" : "<", d.hi_closed ? "<=" : "<",
                     d.hi);
}

// A primitive applied to any scalar type: recorded through slope::apply on a
// Var, the block's forward() on a plain number.
template <class S>
using UnaryFunction = S (*)(const S&);
template <class S>
using BinaryFunction = S (*)(const S&, const S&);

template <class S, class P>
S call_unary(const S& x) {
  if constexpr (slope::is_var_v<S>)
    return slope::apply(P{}, x);
  else
    return S(P{}.forward(x));
}
template <class S, class P>
S call_binary(const S& a, const S& b) {
  if constexpr (slope::is_var_v<S>)
    return slope::apply(P{}, a, b);
  else
    return S(P{}.forward(a, b));
}
template <class S, class... P>
constexpr std::array<UnaryFunction<S>, sizeof...(P)> unary_table(std::tuple<P...>*) {
  return {&call_unary<S, P>...};
}
template <class S, class... P>
constexpr std::array<BinaryFunction<S>, sizeof...(P)> binary_table(std::tuple<P...>*) {
  return {&call_binary<S, P>...};
}
template <class S>
constexpr auto unary_functions = unary_table<S>(static_cast<slope::unary_primitives*>(nullptr));
template <class S>
constexpr auto binary_functions = binary_table<S>(static_cast<slope::binary_primitives*>(nullptr));

template <class S>
S constant(double c) {
  if constexpr (slope::is_var_v<S>)
    return S::constant(typename S::value_type(c));
  else
    return S(c);
}
template <class S>
double to_double(const S& x) {
  if constexpr (slope::is_var_v<S>)
    return static_cast<double>(x.value());
  else
    return static_cast<double>(x);
}

// =================================================================== AST ===

/// One node: a number, a variable, or a primitive applied to earlier nodes.
struct Node {
  enum class Kind { number, variable, call } kind = Kind::number;
  double number = 0;                       ///< Kind::number
  std::size_t variable = 0;                ///< Kind::variable: index into Expression::variables
  const FunctionInfo* function = nullptr;  ///< Kind::call
  std::size_t a = 0, b = 0;                ///< operand nodes of a call (b for binary ones)
  std::size_t begin = 0, end = 0;          ///< where the node is in the text
  bool constant = true;                    ///< no variable below this node
};

/// A parsed expression: nodes in evaluation order, the last one the result.
struct Expression {
  std::string text;
  std::vector<Node> nodes;
  std::vector<std::string> variables;  ///< in order of first use
  std::vector<std::size_t> first_use;  ///< where each variable first appears
};

/// Evaluates e at `vars` (one per variable) on scalar type S. `after(i, v)`
/// is called after node i with the values so far.
template <class S, class After>
S evaluate(const Expression& e, std::span<const S> vars, After&& after) {
  std::vector<S> v;
  v.reserve(e.nodes.size());
  for (std::size_t i = 0; i < e.nodes.size(); ++i) {
    const Node& n = e.nodes[i];
    switch (n.kind) {
      case Node::Kind::number:
        v.push_back(constant<S>(n.number));
        break;
      case Node::Kind::variable:
        v.push_back(vars[n.variable]);
        break;
      case Node::Kind::call:
        if (n.function->arity == 1)
          v.push_back(unary_functions<S>[n.function->index](v[n.a]));
        else
          v.push_back(binary_functions<S>[n.function->index](v[n.a], v[n.b]));
        break;
    }
    after(i, std::as_const(v));
  }
  return v.back();
}
template <class S>
S evaluate(const Expression& e, std::span<const S> vars) {
  return evaluate(e, vars, [](std::size_t, const std::vector<S>&) {});
}

// ================================================================ parser ===

/// Recursive descent over
///
///   expression = term { ("+" | "-") term }
///   term       = unary { ("*" | "/") unary }
///   unary      = ("-" | "+") unary | power
///   power      = primary [ "^" unary ]              (right-associative)
///   primary    = number | name | name "(" [ expression { "," expression } ] ")"
///              | "(" expression ")"
///
/// so -x^2 is -(x^2) and 2^-1 is 0.5. Each rule appends its node to the AST
/// after its operands'.
class Parser {
 public:
  explicit Parser(std::string text) { e_.text = std::move(text); }

  Expression parse() {
    advance();
    const std::size_t root = expression();
    if (token_.kind != Token::eof) {
      if (token_.kind == Token::close)
        fail(token_.begin, token_.end, "unbalanced ')': there is no '(' for it to close");
      const bool operand =
          token_.kind == Token::number || token_.kind == Token::name || token_.kind == Token::open;
      fail(token_.begin, token_.end,
           fmt::format("expected an operator or the end of the expression, found '{}'{}", text(),
                       operand
                           ? fmt::format(" (for a product write {}*{})",
                                         source(e_.nodes[root].begin, e_.nodes[root].end), text())
                           : ""));
    }
    return std::move(e_);
  }

 private:
  struct Token {
    enum Kind { eof, number, name, op, open, close, comma } kind = eof;
    std::size_t begin = 0, end = 0;
    double value = 0;
  };

  static constexpr int max_depth = 200;

  [[noreturn]] void fail(std::size_t begin, std::size_t end, std::string message) const {
    throw DescriptionError(e_.text, begin, end, std::move(message));
  }
  std::string_view source(std::size_t begin, std::size_t end) const {
    return std::string_view(e_.text).substr(begin, end - begin);
  }
  std::string_view text() const { return source(token_.begin, token_.end); }
  bool is_op(char c) const { return token_.kind == Token::op && e_.text[token_.begin] == c; }

  static bool name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
  static bool digit(char c) { return c >= '0' && c <= '9'; }

  /// Reads the next token into token_.
  void advance() {
    const std::string& s = e_.text;
    std::size_t i = token_.end;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    token_ = Token{};
    token_.begin = i;
    if (i == s.size()) {
      token_.end = i;
      return;
    }
    const char c = s[i];
    if (digit(c) || (c == '.' && i + 1 < s.size() && digit(s[i + 1]))) {
      std::size_t j = i;
      while (j < s.size() && digit(s[j])) ++j;
      if (j < s.size() && s[j] == '.') ++j;
      while (j < s.size() && digit(s[j])) ++j;
      if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
        if (k == s.size() || !digit(s[k]))
          fail(i, k,
               fmt::format("the number '{}' has no digits in its exponent", s.substr(i, k - i)));
        while (k < s.size() && digit(s[k])) ++k;
        j = k;
      }
      token_.kind = Token::number;
      token_.end = j;
      if (!parse_double(source(i, j), token_.value) || !std::isfinite(token_.value))
        fail(i, j, fmt::format("the number {} is out of the range of double", source(i, j)));
      return;
    }
    if (name_start(c)) {
      std::size_t j = i;
      while (j < s.size() && (name_start(s[j]) || digit(s[j]))) ++j;
      token_.kind = Token::name;
      token_.end = j;
      return;
    }
    token_.end = i + 1;
    switch (c) {
      case '+':
      case '-':
      case '*':
      case '/':
      case '^':
        token_.kind = Token::op;
        return;
      case '(':
        token_.kind = Token::open;
        return;
      case ')':
        token_.kind = Token::close;
        return;
      case ',':
        token_.kind = Token::comma;
        return;
      default:
        break;
    }
    // A whole UTF-8 character, for the message.
    std::size_t j = i + 1;
    while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) ++j;
    fail(i, j,
         fmt::format("unexpected character '{}': an expression has numbers, names, "
                     "+ - * / ^, parentheses and commas",
                     source(i, j)));
  }

  std::size_t add(Node n) {
    e_.nodes.push_back(n);
    return e_.nodes.size() - 1;
  }
  std::size_t call(const FunctionInfo& f, std::size_t a, std::size_t b, std::size_t begin,
                   std::size_t end) {
    Node n;
    n.kind = Node::Kind::call;
    n.function = &f;
    n.a = a;
    n.b = b;
    n.begin = begin;
    n.end = end;
    n.constant = e_.nodes[a].constant && (f.arity == 1 || e_.nodes[b].constant);
    return add(n);
  }

  void enter(std::size_t at) {
    if (++depth_ > max_depth)
      fail(at, at + 1, fmt::format("the expression nests deeper than {} levels", max_depth));
  }

  std::size_t expression() {
    std::size_t left = term();
    while (is_op('+') || is_op('-')) {
      const FunctionInfo& f = function(is_op('+') ? "add" : "sub");
      advance();
      const std::size_t right = term();
      left = call(f, left, right, e_.nodes[left].begin, e_.nodes[right].end);
    }
    return left;
  }

  std::size_t term() {
    std::size_t left = unary();
    while (is_op('*') || is_op('/')) {
      const FunctionInfo& f = function(is_op('*') ? "mul" : "div");
      advance();
      const std::size_t right = unary();
      left = call(f, left, right, e_.nodes[left].begin, e_.nodes[right].end);
    }
    return left;
  }

  std::size_t unary() {
    if (is_op('-') || is_op('+')) {
      const bool minus = is_op('-');
      const std::size_t begin = token_.begin;
      enter(begin);
      advance();
      const std::size_t operand = unary();
      --depth_;
      if (!minus) return operand;
      return call(function("neg"), operand, 0, begin, e_.nodes[operand].end);
    }
    return power();
  }

  std::size_t power() {
    const std::size_t base = primary();
    if (!is_op('^')) return base;
    enter(token_.begin);
    advance();
    const std::size_t exponent = unary();  // right-associative: 2^3^2 = 2^9
    --depth_;
    return call(function("pow"), base, exponent, e_.nodes[base].begin, e_.nodes[exponent].end);
  }

  /// Reads the ")" closing the "(" at `open` and returns the position after
  /// it; fails if it is missing.
  std::size_t expect_close(std::size_t open, std::string_view what) {
    if (token_.kind == Token::close) {
      const std::size_t after = token_.end;
      advance();
      return after;
    }
    if (token_.kind == Token::eof)
      fail(token_.begin, token_.end,
           fmt::format("missing ')': the '(' at column {} is never closed", column(e_.text, open)));
    fail(token_.begin, token_.end, fmt::format("expected {}, found '{}'", what, text()));
  }

  std::size_t primary() {
    switch (token_.kind) {
      case Token::number: {
        Node n;
        n.number = token_.value;
        n.begin = token_.begin;
        n.end = token_.end;
        advance();
        return add(n);
      }
      case Token::open: {
        const std::size_t open = token_.begin;
        enter(open);
        advance();
        const std::size_t inner = expression();
        // The node's text includes the parentheses, so that an operation on
        // it underlines "(a + b)^2", not "a + b)^2".
        e_.nodes[inner].end = expect_close(open, "')' or an operator");
        e_.nodes[inner].begin = open;
        --depth_;
        return inner;
      }
      case Token::name:
        return name_or_call();
      case Token::eof:
        fail(token_.begin, token_.end,
             "the expression ends where a number, a variable, a function call or '(' should be");
      default:
        fail(token_.begin, token_.end,
             fmt::format("expected a number, a variable, a function call or '(', found '{}'",
                         text()));
    }
  }

  std::size_t name_or_call() {
    const std::size_t begin = token_.begin, end = token_.end;
    const std::string name(text());
    advance();
    const FunctionInfo* f = find_function(name);
    if (token_.kind != Token::open) {
      if (f != nullptr)
        fail(begin, end, fmt::format("{} is a function: call it as {}(...)", name, name));
      Node n;
      n.kind = Node::Kind::variable;
      n.begin = begin;
      n.end = end;
      n.constant = false;
      const auto it = std::find(e_.variables.begin(), e_.variables.end(), name);
      n.variable = static_cast<std::size_t>(it - e_.variables.begin());
      if (it == e_.variables.end()) {
        e_.variables.push_back(name);
        e_.first_use.push_back(begin);
      }
      return add(n);
    }
    if (f == nullptr)
      fail(begin, end, fmt::format("unknown function '{}'; {}", name, suggest(name)));
    const std::size_t open = token_.begin;
    enter(open);
    advance();
    std::vector<std::size_t> args;
    if (token_.kind != Token::close) {
      args.push_back(expression());
      while (token_.kind == Token::comma) {
        advance();
        args.push_back(expression());
      }
    }
    const std::size_t call_end =
        expect_close(open, fmt::format("',' or ')' in the call of {}", name));
    --depth_;
    if (static_cast<int>(args.size()) != f->arity)
      fail(begin, call_end,
           fmt::format("{} takes {} argument{}, got {}", name, f->arity, f->arity == 1 ? "" : "s",
                       args.size()));
    return call(*f, args[0], f->arity == 2 ? args[1] : 0, begin, call_end);
  }

  Expression e_;
  Token token_;
  int depth_ = 0;
};

// ========================================================= domain checks ===

/// What check_domains found besides errors.
struct DomainReport {
  /// Nodes at a kink (relu, leaky_relu, abs at 0; min, max at a tie), where
  /// the derivative is one of two one-sided ones.
  std::vector<std::size_t> kinks;
  /// Calls whose local derivative is infinite or NaN (sqrt at 0, asin at 1),
  /// each with a sentence saying so.
  std::vector<std::pair<std::size_t, std::string>> infinite_derivatives;
};

/// Evaluates e in double at `values` and throws a DescriptionError at the
/// first call outside its primitive's domain, as the table states it (where
/// slope would give NaN, or an infinity from a pole), and at the first NaN
/// made from operands that are not NaN (inf - inf).
DomainReport check_domains(const Expression& e, std::span<const double> values) {
  DomainReport report;
  const auto text = [&e](std::size_t i) {
    return std::string_view(e.text).substr(e.nodes[i].begin, e.nodes[i].end - e.nodes[i].begin);
  };
  evaluate(e, values, [&](std::size_t i, const std::vector<double>& v) {
    const Node& n = e.nodes[i];
    if (n.kind != Node::Kind::call) return;
    const FunctionInfo& f = *n.function;
    const double y = v[i], a = v[n.a], b = f.arity == 2 ? v[n.b] : 0.0;
    const auto fail = [&](std::string message) {
      throw DescriptionError(e.text, n.begin, n.end, std::move(message));
    };
    // The argument, where it is not just a number or a variable.
    const auto argument = [&](std::size_t j) {
      return e.nodes[j].kind == Node::Kind::call
                 ? fmt::format(" (the argument {} is {} here)", text(j), show(v[j]))
                 : std::string();
    };
    if (f.arity == 1) {
      if (!f.domain.contains(a) && !std::isnan(a))
        fail(fmt::format("{}({}) is outside the domain of {}, {}: slope would give {}{}", f.name,
                         show(a), f.name, to_string(f.domain), show(y), argument(n.a)));
      if (!n.constant && std::find(f.kinks.begin(), f.kinks.end(), a) != f.kinks.end())
        report.kinks.push_back(i);
    } else if (f.name == "pow") {
      // The table's domain (base > 0) is for a variable exponent; with a
      // constant one, x^p only needs to be real and finite.
      if (!e.nodes[n.b].constant && !f.in_domain(a, b))
        fail(
            fmt::format("pow({}, {}) with a variable exponent needs a base > 0: the derivative "
                        "in the exponent is log(base) base^p{}",
                        show(a), show(b), argument(n.a)));
      if (a < 0 && std::isfinite(b) && std::nearbyint(b) != b)
        fail(
            fmt::format("pow({}, {}) is not real: a negative base needs an integer exponent; "
                        "slope would give {}{}",
                        show(a), show(b), show(y), argument(n.a)));
      if (a == 0 && b < 0)
        fail(fmt::format("pow(0, {}) divides by zero: slope would give {}{}", show(b), show(y),
                         argument(n.a)));
    } else if (!f.in_domain(a, b)) {
      if (f.name == "div")
        fail(fmt::format("division by zero: the divisor {} is {} here (slope would give {})",
                         text(n.b), show(b), show(y)));
      fail(fmt::format("{}({}, {}) is outside the domain of {}: slope would give {}", f.name,
                       show(a), show(b), f.name, show(y)));
    } else if (!n.constant && f.kink(a, b)) {
      report.kinks.push_back(i);
    }
    if (std::isnan(y) && !std::isnan(a) && !std::isnan(b))
      fail(fmt::format("{}({}{}) is NaN", f.name, show(a),
                       f.arity == 2 ? ", " + show(b) : std::string()));
    // Local derivatives that matter (of operands that depend on a variable).
    const std::array<double, 2> d = f.derivative(a, b);
    for (int k = 0; k < f.arity; ++k) {
      const std::size_t operand = k == 0 ? n.a : n.b;
      if (!e.nodes[operand].constant && !std::isfinite(d[k])) {
        report.infinite_derivatives.emplace_back(
            i,
            fmt::format("the derivative of {} in its {}argument is {} at {}", text(i),
                        f.arity == 1 ? ""
                        : k == 0     ? "first "
                                     : "second ",
                        show(d[k]), f.arity == 1 ? show(a) : "(" + show(a) + ", " + show(b) + ")"));
        break;
      }
    }
  });
  return report;
}

/// e with every constant subexpression (no variable below it) replaced by
/// its value in double, which is what the tape uses: a Var operation on
/// constants is computed in double and records nothing. The multiprecision
/// evaluations of the checker then differentiate the same function of the
/// variables as the tape, not one with cos(1e-3) or erf(3) to 50 digits,
/// whose logarithm differs from the double one in the tenth digit.
Expression fold_constants(const Expression& e) {
  Expression folded = e;
  const std::vector<double> any(e.variables.size(), 0.0);  // constants do not depend on them
  evaluate(e, std::span<const double>(any), [&](std::size_t i, const std::vector<double>& v) {
    Node& n = folded.nodes[i];
    if (n.kind == Node::Kind::call && n.constant) {
      n.kind = Node::Kind::number;
      n.number = v[i];
    }
  });
  return folded;
}

// ========================================================= name=value ===

/// Values for the variables of e from name=value arguments (args[i] is
/// command-line argument first + i).
std::vector<double> bind(const Expression& e, std::span<const std::string> args) {
  std::vector<double> values(e.variables.size(), std::numeric_limits<double>::quiet_NaN());
  std::vector<std::size_t> given(e.variables.size(), args.size());
  for (std::size_t k = 0; k < args.size(); ++k) {
    const std::string& arg = args[k];
    const std::size_t eq = arg.find('=');
    if (eq == std::string::npos)
      throw DescriptionError(arg, 0, arg.size(),
                             fmt::format("expected name=value, e.g. x=0.5, found '{}'", arg));
    const std::string_view name = std::string_view(arg).substr(0, eq);
    const std::string_view value = std::string_view(arg).substr(eq + 1);
    const bool identifier = !name.empty() && !(name[0] >= '0' && name[0] <= '9') &&
                            std::all_of(name.begin(), name.end(), [](char c) {
                              return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                     (c >= '0' && c <= '9') || c == '_';
                            });
    if (!identifier)
      throw DescriptionError(arg, 0, eq,
                             fmt::format("'{}' is not a variable name (a letter or _, then "
                                         "letters, digits or _)",
                                         name));
    double x = 0;
    if (!parse_double(value, x))
      throw DescriptionError(
          arg, eq + 1, arg.size(),
          fmt::format("'{}' is not a number (write e.g. {}=0.5 or {}=1e-3)", value, name, name));
    if (!std::isfinite(x))
      throw DescriptionError(arg, eq + 1, arg.size(),
                             fmt::format("{} must be a finite number, not {}", name, value));
    const auto it = std::find(e.variables.begin(), e.variables.end(), name);
    if (it == e.variables.end())
      throw DescriptionError(
          arg, 0, eq,
          fmt::format(
              "the expression has no variable '{}' (it has: {})", name,
              e.variables.empty() ? "none" : fmt::format("{}", fmt::join(e.variables, ", "))));
    const std::size_t i = static_cast<std::size_t>(it - e.variables.begin());
    if (given[i] != args.size())
      throw DescriptionError(arg, 0, eq,
                             fmt::format("{} is given twice (also as {})", name, args[given[i]]));
    given[i] = k;
    values[i] = x;
  }
  for (std::size_t i = 0; i < values.size(); ++i)
    if (given[i] == args.size())
      throw DescriptionError(e.text, e.first_use[i], e.first_use[i] + e.variables[i].size(),
                             fmt::format("no value for {}: add {}=<number> to the command line",
                                         e.variables[i], e.variables[i]));
  return values;
}

// ====================================================== differentiation ===

/// One derivative, from the tape and from the numerical reference.
struct CheckedDerivative {
  double tape = 0;
  Status status = Status::pass;
  std::string how;  ///< the reference and how far the tape is from it
};

/// The tolerance at a kink, where check::gradient's central differences do
/// not apply: the tape must be within this many ULPs of a one-sided
/// 50-digit derivative (or lie between the two).
constexpr double kink_ulps = 64;

/// Checks each derivative of f (a generic callable on std::vector<S>) at x:
/// with slope::check::gradient, or, at a kink, against the one-sided
/// numerical derivatives in each variable.
template <class F>
std::vector<CheckedDerivative> verify(const F& f, const std::vector<double>& x,
                                      const std::vector<double>& tape, bool at_kink) {
  std::vector<CheckedDerivative> out(x.size());
  if (!at_kink) {
    const slope::check::GradientReport r = slope::check::gradient(f, x);
    for (std::size_t i = 0; i < x.size(); ++i) {
      CheckedDerivative& d = out[i];
      d.tape = tape[i];
      if (i >= r.components.size()) {
        d.status = r.status;
        d.how = r.reason;
        continue;
      }
      const slope::check::ComponentCheck& c = r.components[i];
      d.status = c.status;
      d.how =
          c.status == Status::cannot_check
              ? c.why
              : fmt::format("{}-digit reference {}, {} ULP apart", c.digits, show(c.reference, 17),
                            c.ulps < 0.01 ? std::string("< 0.01") : show(c.ulps, 2));
      if (c.status == Status::fail && !c.why.empty()) d.how += "; " + c.why;
      // The same function on the checker's tape must give the same number.
      if (c.tape != tape[i] && !(std::isnan(c.tape) && std::isnan(tape[i]))) {
        d.status = Status::fail;
        d.how += fmt::format("; the checker's own tape gave {}", show(c.tape));
      }
    }
    return out;
  }
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto fi = [&f, &x, i](const auto& z) {
      using R = std::remove_cvref_t<decltype(z)>;
      std::vector<R> v(x.begin(), x.end());
      v[i] = z;
      return R(f(v));
    };
    const slope::check::Reference left =
        slope::check::reference_derivative(fi, x[i], slope::check::Side::left);
    const slope::check::Reference right =
        slope::check::reference_derivative(fi, x[i], slope::check::Side::right);
    CheckedDerivative& d = out[i];
    d.tape = tape[i];
    if (left.digits == 0 || right.digits == 0) {
      d.status = Status::cannot_check;
      d.how = left.digits == 0 ? left.why : right.why;
      continue;
    }
    const double l = static_cast<double>(left.value), r = static_cast<double>(right.value);
    const double ul = slope::check::ulp_error(d.tape, Real50(left.value));
    const double ur = slope::check::ulp_error(d.tape, Real50(right.value));
    const char* claim = ul <= kink_ulps && ur <= kink_ulps ? "both one-sided derivatives"
                        : ur <= kink_ulps                  ? "the right derivative"
                        : ul <= kink_ulps                  ? "the left derivative"
                        : (d.tape - l) * (d.tape - r) < 0  ? "between the one-sided ones"
                                                           : nullptr;
    d.status = claim != nullptr ? Status::pass : Status::fail;
    d.how = fmt::format("at a kink: left {}, right {}; the tape's is {}", show(l, 17), show(r, 17),
                        claim != nullptr ? claim : "neither");
  }
  return out;
}

/// The worst of two outcomes: fail, then cannot_check, then pass.
Status worse(Status a, Status b) {
  if (a == Status::fail || b == Status::fail) return Status::fail;
  if (a == Status::cannot_check || b == Status::cannot_check) return Status::cannot_check;
  return Status::pass;
}

/// Parses, evaluates and differentiates `text` at the name=value `args`;
/// prints value, derivatives and their checks, and returns the worst check.
/// Throws DescriptionError for a mistake in the description.
Status run_expression(const std::string& text, std::span<const std::string> args) {
  const Expression e = Parser(text).parse();
  const std::vector<double> x = bind(e, args);
  const DomainReport domains = check_domains(e, x);

  // Record on a tape: inputs first, then the expression, then one sweep.
  slope::Tape<double> tape;
  std::vector<slope::Var<>> vars(x.begin(), x.end());
  const slope::Var<> y = evaluate(e, std::span<const slope::Var<>>(vars));
  const std::vector<double> g = slope::gradient(y, vars);

  std::string at;
  for (std::size_t i = 0; i < x.size(); ++i)
    at += fmt::format("{}{} = {}", i == 0 ? "  at " : ", ", e.variables[i], show(x[i]));
  fmt::print("{}{}\n", e.text, at);
  fmt::print("  value     {}\n", show(y.value(), 17));
  if (x.empty()) {
    fmt::print("  (no variables: nothing to differentiate)\n\n");
    return Status::pass;
  }
  const auto where = [&e](std::size_t k) { return column(e.text, e.nodes[k].begin); };
  for (std::size_t k : domains.kinks)
    fmt::print(
        "  note: column {}: {} is at a kink\n", where(k),
        std::string_view(e.text).substr(e.nodes[k].begin, e.nodes[k].end - e.nodes[k].begin));
  for (const auto& [k, sentence] : domains.infinite_derivatives)
    fmt::print("  note: column {}: {}\n", where(k), sentence);

  const Expression folded = fold_constants(e);
  const auto f = [&folded](const auto& v) {
    using S = typename std::remove_cvref_t<decltype(v)>::value_type;
    return evaluate(folded, std::span<const S>(v));
  };
  const std::vector<CheckedDerivative> checks = verify(f, x, g, !domains.kinks.empty());
  Status status = Status::pass;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const CheckedDerivative& c = checks[i];
    fmt::print("  d/d{:<6} {:<24} {}: {}\n", e.variables[i], show(g[i], 17),
               c.status == Status::pass   ? "PASS"
               : c.status == Status::fail ? "FAIL"
                                          : "CANNOT CHECK",
               c.how);
    status = worse(status, c.status);
  }
  const auto plural = [](std::size_t n, std::string_view word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
  };
  fmt::print("  tape: {} ({}), {}\n\n", plural(tape.size(), "statement"), plural(x.size(), "input"),
             plural(tape.operands(), "operand"));
  return status;
}

// ================================================================ network ===

/// A small multilayer perceptron from --layers and --activations.
struct Network {
  std::vector<std::size_t> layers;               ///< units per layer, inputs first
  std::vector<const FunctionInfo*> activations;  ///< one per weight layer
  std::vector<double> inputs;
  std::string activations_text;  ///< the --activations argument
  std::vector<std::pair<std::size_t, std::size_t>> activation_spans;  ///< in it, per layer

  /// The name of component i of (inputs, parameters): x1, or w2[3,1] (layer
  /// 2, unit 3, weight of unit 1 below), or b2[3] (its bias).
  std::string variable_name(std::size_t i) const {
    if (i < layers[0]) return fmt::format("x{}", i + 1);
    i -= layers[0];
    for (std::size_t l = 1; l < layers.size(); ++l) {
      const std::size_t row = layers[l - 1] + 1;
      if (i < layers[l] * row) {
        const std::size_t j = i / row, k = i % row;
        return k + 1 == row ? fmt::format("b{}[{}]", l, j + 1)
                            : fmt::format("w{}[{},{}]", l, j + 1, k + 1);
      }
      i -= layers[l] * row;
    }
    return "?";
  }

  std::size_t parameters() const {
    std::size_t n = 0;
    for (std::size_t l = 1; l < layers.size(); ++l) n += layers[l] * (layers[l - 1] + 1);
    return n;
  }
  /// Deterministic weights and biases: layer by layer, row by row, each row's
  /// weights then its bias, scaled by 1/sqrt(fan-in).
  std::vector<double> initial_parameters() const {
    std::vector<double> p;
    for (std::size_t l = 1; l < layers.size(); ++l)
      for (std::size_t j = 0; j < layers[l]; ++j) {
        for (std::size_t i = 0; i <= layers[l - 1]; ++i)
          p.push_back(std::sin(1.0 + 3.1 * double(l) + 1.7 * double(j) + 0.9 * double(i)) /
                      std::sqrt(double(layers[l - 1])));
      }
    return p;
  }

  /// Output `k` of the network for v = (inputs, parameters), on any scalar.
  /// `after(l, j, s)` sees the pre-activation s of unit j of layer l.
  template <class S, class After>
  S output(const std::vector<S>& v, std::size_t k, After&& after) const {
    std::vector<S> a(v.begin(), v.begin() + std::ptrdiff_t(layers[0])), z;
    std::size_t p = layers[0];
    for (std::size_t l = 1; l < layers.size(); ++l) {
      z.clear();
      for (std::size_t j = 0; j < layers[l]; ++j) {
        const std::span<const S> w(v.data() + p, a.size());
        const S& bias = v[p + a.size()];
        p += a.size() + 1;
        S s;
        if constexpr (slope::is_var_v<S>) {
          s = slope::dot(w, std::span<const S>(a), bias);  // one statement per neuron
        } else {
          s = bias;
          for (std::size_t i = 0; i < a.size(); ++i) s += w[i] * a[i];
        }
        after(l, j, s);
        z.push_back(unary_functions<S>[activations[l - 1]->index](s));
      }
      std::swap(a, z);
    }
    return a[k];
  }
  template <class S>
  S output(const std::vector<S>& v, std::size_t k) const {
    return output(v, k, [](std::size_t, std::size_t, const S&) {});
  }

  /// Throws a DescriptionError, pointing at the activation in --activations,
  /// where a pre-activation at v lies outside the activation's domain.
  void check_domains(const std::vector<double>& v) const {
    output(v, 0, [this](std::size_t l, std::size_t j, double s) {
      const FunctionInfo& f = *activations[l - 1];
      if (f.domain.contains(s)) return;
      const auto [begin, end] = activation_spans[l - 1];
      throw DescriptionError(
          activations_text, begin, end,
          fmt::format("layer {}, unit {}: the pre-activation {} is outside the domain of {}, {}: "
                      "slope would give {}",
                      l, j + 1, show(s), f.name, to_string(f.domain),
                      show(unary_functions<double>[f.index](s))));
    });
  }
};

/// Splits "2,4,1" at commas: each field with its byte offset.
std::vector<std::pair<std::string, std::size_t>> fields(const std::string& s) {
  std::vector<std::pair<std::string, std::size_t>> out;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t comma = s.find(',', begin);
    out.emplace_back(s.substr(begin, comma - begin), begin);
    if (comma == std::string::npos) return out;
    begin = comma + 1;
  }
}

Network parse_network(const std::string& layers, const std::string& activations,
                      const std::string* inputs) {
  Network net;
  constexpr std::size_t max_units = 64;
  for (const auto& [field, at] : fields(layers)) {
    double n = 0;
    if (!parse_double(field, n) || n != std::floor(n) || n < 1 || n > double(max_units))
      throw DescriptionError(
          layers, at, at + field.size(),
          fmt::format("'{}' is not a number of units (1 to {})", field, max_units));
    net.layers.push_back(static_cast<std::size_t>(n));
  }
  if (net.layers.size() < 2)
    throw DescriptionError(layers, 0, layers.size(),
                           "--layers needs at least two sizes, inputs and outputs (e.g. 2,4,1)");
  const auto names = fields(activations);
  for (const auto& [field, at] : names) {
    const FunctionInfo* f = find_function(field);
    if (f == nullptr || f->arity != 1)
      throw DescriptionError(
          activations, at, at + field.size(),
          f == nullptr ? fmt::format("unknown activation '{}'; {}", field, suggest(field, 1))
                       : fmt::format("{} takes 2 arguments: an activation "
                                     "takes 1",
                                     field));
    net.activations.push_back(f);
    net.activation_spans.emplace_back(at, at + field.size());
  }
  net.activations_text = activations;
  if (net.activations.size() == 1) {
    net.activations.resize(net.layers.size() - 1, net.activations[0]);
    net.activation_spans.resize(net.layers.size() - 1, net.activation_spans[0]);
  }
  if (net.activations.size() != net.layers.size() - 1)
    throw DescriptionError(
        activations, 0, activations.size(),
        fmt::format("{} layers of weights need {} activations (or one for "
                    "all), got {}",
                    net.layers.size() - 1, net.layers.size() - 1, net.activations.size()));
  if (inputs != nullptr) {
    for (const auto& [field, at] : fields(*inputs)) {
      double x = 0;
      if (!parse_double(field, x) || !std::isfinite(x))
        throw DescriptionError(*inputs, at, at + field.size(),
                               fmt::format("'{}' is not a finite number", field));
      net.inputs.push_back(x);
    }
    if (net.inputs.size() != net.layers[0])
      throw DescriptionError(*inputs, 0, inputs->size(),
                             fmt::format("the network has {} input{}, got {} value{}",
                                         net.layers[0], net.layers[0] == 1 ? "" : "s",
                                         net.inputs.size(), net.inputs.size() == 1 ? "" : "s"));
  } else {
    for (std::size_t i = 0; i < net.layers[0]; ++i)
      net.inputs.push_back((i % 2 == 0 ? 0.5 : -0.5) * double(i + 1));
  }
  return net;
}

/// Builds the network, prints each output with its gradient with respect to
/// the inputs and the norm of its gradient with respect to the parameters,
/// and checks the whole gradient. Returns the worst check.
Status run_network(const Network& net) {
  std::vector<double> x = net.inputs;
  const std::vector<double> p = net.initial_parameters();
  x.insert(x.end(), p.begin(), p.end());
  const std::size_t n_in = net.layers[0];
  net.check_domains(x);

  std::string shape, acts;
  for (std::size_t l = 0; l < net.layers.size(); ++l)
    shape += fmt::format("{}{}", l == 0 ? "" : "-", net.layers[l]);
  for (const FunctionInfo* a : net.activations)
    acts += fmt::format("{}{}", acts.empty() ? "" : ",", a->name);
  fmt::print("network {} ({}), {} parameters, inputs ({})\n", shape, acts, net.parameters(),
             fmt::join(net.inputs, ", "));

  slope::Tape<double> tape;
  Status status = Status::pass;
  for (std::size_t k = 0; k < net.layers.back(); ++k) {
    tape.reset();
    const std::vector<slope::Var<>> v(x.begin(), x.end());
    const slope::Var<> y = net.output(v, k);
    const std::vector<double> g = slope::gradient(y, v);
    double norm = 0;
    for (std::size_t i = n_in; i < g.size(); ++i) norm += g[i] * g[i];
    fmt::print("  output {}  {:.17g}\n", k + 1, y.value());
    fmt::print("    d/d inputs      ({:.6g})\n",
               fmt::join(g.begin(), g.begin() + std::ptrdiff_t(n_in), ", "));
    fmt::print("    |d/d parameters| {:.6g}   tape: {} statements, {} operands\n", std::sqrt(norm),
               tape.size(), tape.operands());
    const auto f = [&net, k](const auto& vv) { return net.output(vv, k); };
    const slope::check::GradientReport r = slope::check::gradient(f, x);
    std::size_t passed = 0, failed = 0, unchecked = 0;
    double worst = 0;
    std::string first_failure, first_unchecked;
    for (const slope::check::ComponentCheck& c : r.components) {
      const std::string what = fmt::format("d/d{}: {}", net.variable_name(c.index), c.why);
      if (c.status == Status::pass) {
        ++passed;
        worst = std::max(worst, c.ulps);
      } else if (c.status == Status::fail) {
        if (failed++ == 0) first_failure = what;
      } else if (unchecked++ == 0) {
        first_unchecked = what;
      }
    }
    fmt::print(
        "    check: {} of {} derivatives PASS against 50-digit numerical ones (worst {} ULP)\n",
        passed, x.size(), show(worst, 2));
    if (failed > 0) fmt::print("    {} FAIL, the first {}\n", failed, first_failure);
    if (unchecked > 0)
      fmt::print("    {} CANNOT CHECK, the first {}\n", unchecked, first_unchecked);
    if (r.components.empty()) fmt::print("    {}\n", r.reason);
    status = worse(status, r.status);
  }
  fmt::print("\n");
  return status;
}

// ================================================================== main ===

void usage(std::FILE* out) {
  fmt::print(out,
             "usage: expressions                       a demo: expressions, a network, errors\n"
             "       expressions EXPRESSION [NAME=VALUE ...]\n"
             "       expressions --layers 2,4,1 --activations tanh,sigmoid [--inputs 0.5,-1]\n"
             "       expressions --functions           the functions an expression can call\n"
             "An expression has numbers (0.5, 1e-3), variables, + - * / ^ (right-associative),\n"
             "unary minus, parentheses and calls of slope's primitives by name.\n");
}

/// The built-in demo: each good expression evaluated, differentiated and
/// checked; a network; then one bad description of each kind, with the
/// message the command line would print. Returns whether everything did as
/// expected.
bool demo() {
  struct Case {
    std::string expression;
    std::vector<std::string> values;
  };
  const std::vector<Case> good = {
      {"sigmoid(z)", {"z=0"}},
      {"sigmoid(z)", {"z=2"}},
      {"tanh(z)", {"z=0"}},
      {"tanh(z)", {"z=2"}},
      {"relu(z)", {"z=0"}},
      {"relu(z)", {"z=2"}},
      {"leaky_relu(z)", {"z=0"}},
      {"leaky_relu(z)", {"z=-2"}},
      {"tanh(w*x + b)", {"w=0.5", "x=2", "b=-1"}},
      {"x^2 * sin(y) / (1 + exp(-x*y))", {"x=1.5", "y=-0.7"}},
      {"-x^2 + 2^-1 * x^3^0.5", {"x=1.3"}},
      {"pow(a, b) + sqrt(a) * cos(b) - log(a) / abs(b)", {"a=2.5", "b=-1.25"}},
      {"max(x, y) + min(x, 0.5)^2 + softplus(x - y)", {"x=0.25", "y=1e-3"}},
      {"sigmoid(40) * u + tanh(-20 * u)", {"u=1"}},
  };
  bool ok = true;
  std::size_t passed = 0;
  for (const Case& c : good) {
    const bool pass = run_expression(c.expression, c.values) == Status::pass;
    passed += pass;
    ok = ok && pass;
  }
  ok = run_network(parse_network("2,4,1", "tanh,sigmoid", nullptr)) == Status::pass && ok;

  const std::vector<Case> bad = {
      {"tanh(w*x", {"w=1", "x=2"}},
      {"tanh(w*x))", {"w=1", "x=2"}},
      {"sigmod(z)", {"z=1"}},
      {"pow(x)", {"x=2"}},
      {"tanh(x, y)", {"x=1", "y=2"}},
      {"2x + 1", {"x=1"}},
      {"x # y", {"x=1", "y=2"}},
      {"w*x + b", {"w=1", "x=2"}},
      {"w*x", {"w=1", "x=two"}},
      {"w*x", {"w=1", "x=2", "z=3"}},
      {"log(x) + 1", {"x=-1"}},
      {"1 / (x - y)", {"x=2", "y=2"}},
      {"x^0.5", {"x=-4"}},
  };
  fmt::print("Descriptions with mistakes, and what the command line says:\n\n");
  for (const Case& c : bad) {
    fmt::print("$ expressions \"{}\" {}\n", c.expression, fmt::join(c.values, " "));
    try {
      run_expression(c.expression, c.values);
      fmt::print("  (accepted: this should have been an error)\n");
      ok = false;
    } catch (const DescriptionError& e) {
      fmt::print("{}\n", describe(e));
    }
  }
  fmt::print("{} of {} expressions and the network: every derivative {}\n", passed, good.size(),
             ok ? "PASS" : "did NOT pass");
  return ok;
}

int run(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return demo() ? 0 : 1;
  if (args[0] == "--help" || args[0] == "-h") {
    usage(stdout);
    return 0;
  }
  if (args[0] == "--functions") {
    for (const FunctionInfo& f : functions())
      fmt::print("{:<11} {} argument{}{}\n", f.name, f.arity, f.arity == 1 ? " " : "s",
                 f.arity == 1 ? "  domain: " + to_string(f.domain) : "");
    return 0;
  }
  if (args[0].starts_with("--")) {
    const std::string *layers = nullptr, *activations = nullptr, *inputs = nullptr;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      const std::string** slot = a == "--layers"        ? &layers
                                 : a == "--activations" ? &activations
                                 : a == "--inputs"      ? &inputs
                                                        : nullptr;
      if (slot == nullptr)
        throw DescriptionError(a, 0, a.size(),
                               fmt::format("unknown option '{}' (--layers, --activations, "
                                           "--inputs, --functions, --help)",
                                           a));
      if (i + 1 == args.size())
        throw DescriptionError(a, a.size(), a.size() + 1, fmt::format("{} needs a value", a));
      *slot = &args[++i];
    }
    if (layers == nullptr || activations == nullptr)
      throw DescriptionError(args[0], 0, args[0].size(),
                             "a network needs both --layers and --activations");
    return run_network(parse_network(*layers, *activations, inputs)) == Status::fail ? 1 : 0;
  }
  // A derivative the checker cannot verify here is not an error; a wrong one is.
  const Status s = run_expression(args[0], std::span<const std::string>(args).subspan(1));
  return s == Status::fail ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const DescriptionError& e) {
    fmt::print(stderr, "{}", describe(e));
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
