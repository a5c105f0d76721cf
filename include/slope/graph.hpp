// graph.hpp - drawing a recording: slope::to_dot writes the graph of a tape
// in Graphviz's DOT language.
//
//     slope::Tape tape;
//     tape.trace();                        // one statement per operation
//     slope::Var w = 0.5, x = 2.0, b = -1.0;
//     auto a = slope::sigmoid(w * x + b);
//     auto [dw, dx, db] = slope::derivatives(a, slope::wrt(w, x, b));
//     std::ofstream("neuron.dot") << slope::to_dot(tape, {{"w", w}, {"x", x}, {"b", b}, {"a", a}});
//     // then: dot -Tsvg neuron.dot -o neuron.svg
//
// One node per statement, labelled with its index, its primitive's name and
// value (known for statements recorded while tracing) and, after a sweep, its
// adjoint; one edge per operand, from the operand to the statement, labelled
// with the local partial derivative. Without tracing, the graph shows the
// tape as it is: inputs and the operations that combine two statements, with
// the unary operations folded into the edges' partials.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "slope/error.hpp"
#include "slope/format.hpp"
#include "slope/var.hpp"

namespace slope {

/// A Var with a name, for labelling the graph (`{"x", x}`).
template <class T>
struct NamedVar {
  std::string_view name;
  Var<T> var;
};

/// How to_dot draws.
struct DotOptions {
  /// At most this many statements are drawn: the last ones recorded (those
  /// nearest the output). The earlier ones are summarized in one node, so a
  /// large recording still gives a readable picture.
  std::size_t max_nodes = 200;
  /// Significant digits of values, adjoints and partials.
  int digits = 4;
  /// A title drawn above the graph (none if empty).
  std::string title;
  /// Graphviz's rankdir: "LR" (left to right) or "TB" (top to bottom).
  std::string rankdir = "LR";
};

namespace detail {

/// `s` as the inside of a double-quoted DOT string.
inline std::string dot_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace detail

/// The graph of what `tape` recorded, in DOT. `names` label statements: a
/// Var that is its statement (partial 1 and the statement's value, known
/// when it was recorded while tracing) names that statement; any other (a
/// folded result, or any Var of a tape that was not tracing) gets a node of
/// its own, with an edge from its statement labelled with its partial. Names
/// of statements that are not drawn (see DotOptions::max_nodes) are left
/// out. Throws slope::tape_error if a named Var does not belong to the
/// tape's current recording, slope::argument_error for a rankdir other than
/// LR, RL, TB or BT.
template <class T>
std::string to_dot(const Tape<T>& tape, std::initializer_list<NamedVar<T>> names = {},
                   const DotOptions& options = {}) {
  using index_type = typename Tape<T>::index_type;
  const std::size_t n = tape.size();
  const auto ends = tape.statement_ends();
  const auto args = tape.operand_indices();
  const auto partials = tape.partials();
  const int digits = options.digits;
  // Statements first..n are drawn; the ones below `first` are summarized.
  const std::size_t shown = std::min(n, std::max<std::size_t>(options.max_nodes, 1));
  const std::size_t first = n - shown + 1;

  std::vector<std::string> labels(n + 1);
  std::vector<std::string> extra;  // nodes for named folded Vars
  for (const NamedVar<T>& named : names) {
    const Var<T>& v = named.var;
    if (v.is_constant()) {
      extra.push_back(fmt::format("  c{} [shape=plaintext, label=\"{} = {} (constant)\"];\n",
                                  extra.size(), detail::dot_escape(named.name),
                                  detail::short_number(v.value(), digits)));
      continue;
    }
    tape.verify(v.index(), v.tag(), "to_dot");
    if (v.partial() == T(1) && tape.has_value(v.index()) && tape.value(v.index()) == v.value()) {
      std::string& label = labels[v.index()];
      label += label.empty() ? "" : ", ";
      label += named.name;
    } else if (v.index() >= first) {
      extra.push_back(fmt::format(
          "  c{0} [shape=ellipse, label=\"{1} = {2}\"];\n  s{3} -> c{0} [label=\"{4}\"];\n",
          extra.size(), detail::dot_escape(named.name), detail::short_number(v.value(), digits),
          v.index(), detail::short_number(v.partial(), digits)));
    }
  }

  if (options.rankdir != "LR" && options.rankdir != "RL" && options.rankdir != "TB" &&
      options.rankdir != "BT")
    throw argument_error(fmt::format(
        "slope::to_dot: DotOptions::rankdir is \"{}\"; Graphviz takes LR, RL, TB or BT",
        detail::dot_escape(options.rankdir)));
  std::string out = "digraph slope {\n";
  out += fmt::format("  rankdir={};\n", options.rankdir);
  out += "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=10];\n";
  if (!options.title.empty())
    out += fmt::format("  labelloc=t;\n  label=\"{}\";\n", detail::dot_escape(options.title));
  if (first > 1) {
    out += fmt::format(
        "  earlier [shape=note, label=\"statements 1 to {} not drawn\\n({} of {}; "
        "DotOptions::max_nodes = {})\"];\n",
        first - 1, first - 1, n, options.max_nodes);
  }
  for (std::size_t i = first; i <= n; ++i) {
    const auto idx = static_cast<index_type>(i);
    const bool input = ends[i] == ends[i - 1];
    std::string label = fmt::format("#{} {}", i, detail::dot_escape(tape.name(idx)));
    if (!labels[i].empty()) label += fmt::format(" ({})", detail::dot_escape(labels[i]));
    if (tape.has_value(idx)) label += "\\nvalue " + detail::short_number(tape.value(idx), digits);
    if (tape.has_adjoint(idx))
      label += "\\nadjoint " + detail::short_number(tape.adjoint(idx), digits);
    out += fmt::format("  s{} [label=\"{}\"{}];\n", i, label,
                       input ? ", style=\"rounded,filled\", fillcolor=\"#dde8f6\"" : "");
    std::size_t hidden = 0;
    for (std::size_t j = ends[i - 1]; j < ends[i]; ++j) {
      if (args[j] < first) {
        ++hidden;
        continue;
      }
      out += fmt::format("  s{} -> s{} [label=\"{}\"];\n", args[j], i,
                         detail::short_number(partials[j], digits));
    }
    if (hidden > 0)
      out += fmt::format("  earlier -> s{} [style=dashed, label=\"{} operand{}\"];\n", i, hidden,
                         hidden == 1 ? "" : "s");
  }
  for (const std::string& e : extra) out += e;
  out += "}\n";
  return out;
}

}  // namespace slope
