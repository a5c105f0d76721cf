// evaluate.hpp - running a program on a tape, for any scalar type: the same
// code records it on Tape<double> (checks.cpp) and on a 50-digit tape
// (reference.cpp). Only slope's public API is used.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <vector>

#include <slope/slope.hpp>

#include "fuzz.hpp"

namespace slope_fuzz {

/// The primitive block P with the step's parameters.
template <class P>
P configure(const Params& q) {
  P p{};
  if constexpr (requires { p.target; })
    if (q.has_target) p.target = q.target;
  if constexpr (requires { p.slope; })
    if (q.has_slope) p.slope = q.slope;
  if constexpr (requires { p.at_kink; })
    if (q.has_at_kink) p.at_kink = q.at_kink;
  return p;
}

/// f(x) with x the operand as what it is: a Var<T> (an earlier value or a
/// constant Var) or a plain double.
template <class T, class F>
slope::Var<T> with_operand(const Operand& o, const std::vector<slope::Var<T>>& v, F&& f) {
  switch (o.form) {
    case Form::number: return f(o.number);
    case Form::constant: return f(slope::Var<T>::constant(T(o.number)));
    default: return f(v[static_cast<std::size_t>(o.ref)]);
  }
}

template <class T>
slope::Var<T> as_var(const Operand& o, const std::vector<slope::Var<T>>& v) {
  if (o.form == Form::value) return v[static_cast<std::size_t>(o.ref)];
  return slope::Var<T>::constant(T(o.number));
}

template <class X>
inline constexpr bool is_number_v = std::is_arithmetic_v<std::remove_cvref_t<X>>;

// The steps with operands of several forms, each a Var<T> or a double (the
// generator never makes every operand a number; that case only compiles).
template <class T, class Y>
T value_of(const Y& y) {
  if constexpr (is_number_v<Y>)
    return T(y);
  else
    return y.value();
}

template <class T, class P, class X, class Y>
slope::Var<T> binary_step(const P& p, const X& x, const Y& y) {
  if constexpr (std::is_same_v<P, slope::Pow> && !std::is_floating_point_v<T>) {
    // Boost.Multiprecision 1.74's pow(x, y) recurses without end (a stack
    // overflow) where y is a NaN with the sign bit set (-2 * NaN), x != 1;
    // slope::Pow calls it. The 50-digit reference is then not available
    // (reference() catches this), rather than the fuzzer crashing.
    using std::isnan;
    if (isnan(value_of<T>(y)))
      throw std::domain_error("pow with a NaN exponent: not evaluated in 50 digits (Boost 1.74's "
                              "pow recurses without end on a NaN with the sign bit set)");
  }
  if constexpr (is_number_v<X> && is_number_v<Y>)
    return slope::Var<T>::constant(p.forward(T(x), T(y)));
  else
    return slope::apply(p, x, y);
}
template <class T, class X, class Y>
slope::Var<T> arith_step(int op, const X& x, const Y& y) {
  if constexpr (is_number_v<X> && is_number_v<Y>) {
    return slope::Var<T>::constant(T(0));
  } else {
    switch (op) {
      case 0: return x + y;
      case 1: return x - y;
      case 2: return x * y;
      default: return x / y;
    }
  }
}
template <class T, class X, class Y, class Z>
slope::Var<T> fma_step(const X& x, const Y& y, const Z& z) {
  if constexpr (is_number_v<X> && is_number_v<Y> && is_number_v<Z>)
    return slope::Var<T>::constant(T(0));
  else
    return slope::fma(x, y, z);
}

/// The value of one step, recorded on the thread's active Tape<T>.
template <class T>
slope::Var<T> evaluate_step(const Step& s, const std::vector<slope::Var<T>>& v) {
  using V = slope::Var<T>;
  switch (s.kind) {
    case Kind::unary: {
      const V x = as_var(s.a[0], v);
      V out;
      visit_type<all_unary>(static_cast<std::size_t>(s.op), [&](auto id) {
        using P = typename decltype(id)::type;
        out = slope::apply(configure<P>(s.params), x);
      });
      return out;
    }
    case Kind::binary: {
      V out;
      visit_type<all_binary>(static_cast<std::size_t>(s.op), [&](auto id) {
        using P = typename decltype(id)::type;
        out = with_operand(s.a[0], v, [&](const auto& x) {
          return with_operand(s.a[1], v, [&](const auto& y) { return binary_step<T>(P{}, x, y); });
        });
      });
      return out;
    }
    case Kind::arith:
      return with_operand(s.a[0], v, [&](const auto& x) {
        return with_operand(s.a[1], v, [&](const auto& y) { return arith_step<T>(s.op, x, y); });
      });
    case Kind::compound: {
      V r = as_var(s.a[0], v);
      return with_operand(s.a[1], v, [&](const auto& y) -> V {
        switch (s.op) {
          case 0: r += y; break;
          case 1: r -= y; break;
          case 2: r *= y; break;
          default: r /= y; break;
        }
        return r;
      });
    }
    case Kind::accumulate: {
      const int shape = s.op & 3;
      auto minus = [&](std::size_t i) { return ((s.op >> 2) >> i & 1) != 0; };
      auto product = [&](std::size_t i) -> V {
        return with_operand(s.b[i], v, [&](const auto& y) -> V { return as_var(s.a[i], v) * y; });
      };
      V r = product(0);
      for (std::size_t i = 1; i < s.a.size(); ++i) {
        if (shape == 0) {
          if (minus(i))
            r -= product(i);
          else
            r += product(i);
        } else if (shape == 1) {
          r = minus(i) ? std::move(r) - product(i) : std::move(r) + product(i);
        } else if (shape == 2) {
          V t = product(i);
          if (minus(i))
            r -= std::move(t);
          else
            r += std::move(t);
        } else if (minus(i)) {
          r -= v[static_cast<std::size_t>(s.a[i].ref)];
        } else {
          r += v[static_cast<std::size_t>(s.a[i].ref)];
        }
      }
      return r;
    }
    case Kind::negate: return -as_var(s.a[0], v);
    case Kind::plus: return +as_var(s.a[0], v);
    case Kind::sum: {
      std::vector<V> t;
      for (const Operand& o : s.a) t.push_back(as_var(o, v));
      switch (s.op) {
        case 0: return slope::sum(std::span<const V>(t));
        case 1:
          switch (t.size()) {
            case 2: return slope::sum({t[0], t[1]});
            case 3: return slope::sum({t[0], t[1], t[2]});
            case 4: return slope::sum({t[0], t[1], t[2], t[3]});
            default: return slope::sum({t[0], t[1], t[2], t[3], t[4]});
          }
        case 2:
          switch (t.size()) {
            case 2: return slope::sum(t[0], t[1]);
            case 3: return slope::sum(t[0], t[1], t[2]);
            case 4: return slope::sum(t[0], t[1], t[2], t[3]);
            default: return slope::sum(t[0], t[1], t[2], t[3], t[4]);
          }
        default: return slope::sum(t);
      }
    }
    case Kind::dot: {
      std::vector<V> a;
      for (const Operand& o : s.a) a.push_back(as_var(o, v));
      if (s.op == 0 || s.op == 2) {
        std::vector<T> b;
        for (const Operand& o : s.b) b.push_back(T(o.number));
        if (s.op == 2) return slope::dot(a, b);
        if (s.has_c) return slope::dot(std::span<const V>(a), std::span<const T>(b), as_var(s.c, v));
        return slope::dot(std::span<const V>(a), std::span<const T>(b));
      }
      std::vector<V> b;
      for (const Operand& o : s.b) b.push_back(as_var(o, v));
      if (s.op == 3) return slope::dot(a, b);
      if (s.has_c) return slope::dot(std::span<const V>(a), std::span<const V>(b), as_var(s.c, v));
      return slope::dot(std::span<const V>(a), std::span<const V>(b));
    }
    case Kind::fma:
      return with_operand(s.a[0], v, [&](const auto& x) {
        return with_operand(s.a[1], v, [&](const auto& y) {
          return with_operand(s.a[2], v, [&](const auto& z) { return fma_step<T>(x, y, z); });
        });
      });
  }
  return V();
}

/// Records p's steps on the active Tape<T> after the inputs already in
/// `values`; returns the output (the last value).
template <class T>
slope::Var<T> evaluate(const Program& p, std::vector<slope::Var<T>>& values) {
  for (const Step& s : p.steps) {
    slope::Var<T> y = evaluate_step(s, values);
    values.push_back(std::move(y));  // an owner stays one, in the vector
  }
  return values.back();
}

/// Records p (inputs and steps) on the active Tape<T>.
template <class T>
slope::Var<T> record(const Program& p, std::vector<slope::Var<T>>& inputs,
                     std::vector<slope::Var<T>>& values) {
  inputs.clear();
  values.clear();
  for (double x : p.inputs) inputs.emplace_back(T(x));
  values = inputs;
  return evaluate(p, values);
}

/// The recording on `tape` that y was swept from, through the tape's views.
template <class T>
Snapshot<T> snapshot(const slope::Tape<T>& tape, const slope::Var<T>& y,
                     const std::vector<slope::Var<T>>& inputs) {
  Snapshot<T> s;
  const auto ends = tape.statement_ends();
  const auto args = tape.operand_indices();
  const auto partials = tape.partials();
  s.ends.assign(ends.begin(), ends.end());
  s.args.assign(args.begin(), args.end());
  s.partials.assign(partials.begin(), partials.end());
  s.output = y.index();
  s.seed = y.partial();
  for (const auto& x : inputs) s.inputs.push_back(x.index());
  return s;
}

/// The local partials of every step, in an order fixed by the program (per
/// step, one per operand that is an earlier value), evaluated at `values` by
/// the primitive blocks themselves: what a traced recording holds, but
/// independent of how the tape lays its statements out (the double tape
/// records extra statements where folding would lose a partial; a 50-digit
/// tape never needs to).
template <class T>
struct LocalPartials {
  std::vector<T> partial;
  std::vector<int> ref;           // the value each partial is with respect to
  std::vector<std::size_t> end;   // step i's partials end at end[i]
};

template <class T>
void local_partials(const Program& p, const std::vector<T>& values, LocalPartials<T>& out) {
  out.partial.clear();
  out.ref.clear();
  out.end.clear();
  auto val = [&](const Operand& o) -> T {
    return o.form == Form::value ? values[static_cast<std::size_t>(o.ref)] : T(o.number);
  };
  auto put = [&](const Operand& o, const T& d) {
    if (o.form != Form::value) return;
    out.partial.push_back(d);
    out.ref.push_back(o.ref);
  };
  using arith_primitives = std::tuple<slope::Add, slope::Subtract, slope::Multiply, slope::Divide>;
  auto binary = [&](const auto& prim, const Step& s) {
    const T x = val(s.a[0]), y = val(s.a[1]);
    const std::array<T, 2> d = prim.derivative(x, y, prim.forward(x, y));
    put(s.a[0], d[0]);
    put(s.a[1], d[1]);
  };
  for (const Step& s : p.steps) {
    switch (s.kind) {
      case Kind::unary:
        visit_type<all_unary>(static_cast<std::size_t>(s.op), [&](auto id) {
          using P = typename decltype(id)::type;
          const P prim = configure<P>(s.params);
          const T x = val(s.a[0]);
          if constexpr (requires { prim.eval(x); })
            put(s.a[0], prim.eval(x).derivative);
          else
            put(s.a[0], prim.derivative(x, prim.forward(x)));
        });
        break;
      case Kind::binary:
        visit_type<all_binary>(static_cast<std::size_t>(s.op), [&](auto id) {
          binary(typename decltype(id)::type{}, s);
        });
        break;
      case Kind::arith:
      case Kind::compound:
        visit_type<arith_primitives>(static_cast<std::size_t>(s.op), [&](auto id) {
          binary(typename decltype(id)::type{}, s);
        });
        break;
      case Kind::accumulate:
        for (std::size_t i = 0; i < s.a.size(); ++i) {
          const T sign = i > 0 && ((s.op >> 2) >> i & 1) != 0 ? T(-1) : T(1);
          if (i > 0 && (s.op & 3) == 3) {
            put(s.a[i], sign);
          } else {
            put(s.a[i], sign * val(s.b[i]));
            put(s.b[i], sign * val(s.a[i]));
          }
        }
        break;
      case Kind::negate: put(s.a[0], T(-1)); break;
      case Kind::plus: put(s.a[0], T(1)); break;
      case Kind::sum:
        for (const Operand& o : s.a) put(o, T(1));
        break;
      case Kind::dot:
        for (std::size_t i = 0; i < s.a.size(); ++i) {
          put(s.a[i], val(s.b[i]));
          put(s.b[i], val(s.a[i]));  // only Vars of the Var forms are values
        }
        if (s.has_c) put(s.c, T(1));
        break;
      case Kind::fma:
        put(s.a[0], val(s.a[1]));
        put(s.a[1], val(s.a[0]));
        put(s.a[2], T(1));
        break;
    }
    out.end.push_back(out.partial.size());
  }
}

/// Which values (inputs first) the output depends on through the program's
/// operands: the output, and every operand of a step that is marked. A step
/// that is not (dead code) affects neither the output nor its gradient, on
/// any tape: no sweep reaches its statement.
inline std::vector<bool> live_values(const Program& p) {
  const std::size_t n = p.inputs.size();
  std::vector<bool> live(p.values(), false);
  if (live.empty()) return live;
  live.back() = true;
  auto mark = [&](const Operand& o) {
    if (o.form == Form::value) live[static_cast<std::size_t>(o.ref)] = true;
  };
  for (std::size_t i = p.steps.size(); i-- > 0;) {
    if (!live[n + i]) continue;
    const Step& s = p.steps[i];
    for (const Operand& o : s.a) mark(o);
    for (const Operand& o : s.b) mark(o);
    if (s.has_c) mark(s.c);
  }
  return live;
}

/// Whether a step's argument lies exactly on a kink: a unary primitive's
/// `kinks` entry, or a binary primitive whose kink(a, b) says so (the ties
/// of min and max). With `live` (live_values()), only the steps it marks.
template <class T>
bool hits_kink(const Program& p, const std::vector<slope::Var<T>>& v,
               const std::vector<bool>* live = nullptr) {
  auto value = [&](const Operand& o) -> T {
    return o.form == Form::value ? v[static_cast<std::size_t>(o.ref)].value() : T(o.number);
  };
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const Step& s = p.steps[i];
    if (live != nullptr && !(*live)[p.inputs.size() + i]) continue;
    bool hit = false;
    if (s.kind == Kind::unary) {
      visit_type<all_unary>(static_cast<std::size_t>(s.op), [&](auto id) {
        using P = typename decltype(id)::type;
        if constexpr (requires { P::kinks; })
          for (double k : P::kinks) hit = hit || value(s.a[0]) == T(k);
      });
    } else if (s.kind == Kind::binary) {
      visit_type<all_binary>(static_cast<std::size_t>(s.op), [&](auto id) {
        using P = typename decltype(id)::type;
        const T a = value(s.a[0]), b = value(s.a[1]);
        hit = P::kink(static_cast<double>(a), static_cast<double>(b)) ||
              (P::kink(0.0, 0.0) && a == b);
      });
    }
    if (hit) return true;
  }
  return false;
}

}  // namespace slope_fuzz
