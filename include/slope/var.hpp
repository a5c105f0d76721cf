// var.hpp - Var<T>, the handle users compute with, and the functions that
// apply primitives to it and record them on the thread's active tape.
//
// A Var is a value, a partial and the index of the statement it is a function
// of (0 for a constant, which records nothing), plus the tag of the recording
// it belongs to and whether it is an input. It is trivially copyable and
// small (32 bytes for double).
#pragma once

#include <bit>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <ranges>
#include <ostream>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "slope/primitives.hpp"
#include "slope/tape.hpp"

namespace slope {

template <class T = double>
class Var;

template <class X>
struct is_var : std::false_type {};
template <class T>
struct is_var<Var<T>> : std::true_type {};
template <class X>
inline constexpr bool is_var_v = is_var<std::remove_cvref_t<X>>::value;

/// A plain number that can stand beside a Var<T> in an expression (as a
/// constant): any arithmetic type or T itself, anything convertible to T that
/// is not a Var.
template <class U, class T>
concept PassiveFor = !is_var_v<U> && std::is_convertible_v<const U&, T>;

namespace detail {
template <class A, class B>
struct common_var {};
template <class T>
struct common_var<Var<T>, Var<T>> {
  using type = Var<T>;
};
template <class T, class U>
  requires PassiveFor<U, T>
struct common_var<Var<T>, U> {
  using type = Var<T>;
};
template <class T, class U>
  requires PassiveFor<U, T>
struct common_var<U, Var<T>> {
  using type = Var<T>;
};
}  // namespace detail

/// The Var type of an expression `a op b` with at least one Var operand and
/// the other a Var of the same scalar type or a plain number.
template <class A, class B>
using common_var_t =
    typename detail::common_var<std::remove_cvref_t<A>, std::remove_cvref_t<B>>::type;

/// Two operands that make a Var expression: Var op Var, Var op number or
/// number op Var.
template <class A, class B>
concept VarOperands = requires { typename common_var_t<A, B>; };

namespace detail {
struct recorded_t {
  explicit recorded_t() = default;
};
struct input_t {
  explicit input_t() = default;
};
struct owner_t {
  explicit owner_t() = default;
};
template <class T>
struct Sums;
}  // namespace detail

/// An active (or constant) number of scalar type T (double by default).
///
/// `Var x = 0.5;` records a new input on the thread's active tape (and throws
/// slope::tape_error if there is none). `Var::constant(0.5)` and a
/// default-constructed Var are constants: they record nothing, and an
/// operation whose operands are all constants records nothing either.
///
/// A Var is a value v and a linear form: dv = partial * d(statement index).
/// An input is its own statement with partial 1. An operation that depends on
/// a single statement (a unary primitive, an operation with a constant, or
/// any combination of Vars that share one statement) records nothing: it
/// multiplies the partials, so chains like log(1 - sigmoid(2 z)) cost one
/// multiplication per step and no tape. Only an operation on Vars of two
/// different statements records a statement. Derivatives are taken with
/// respect to inputs.
///
/// Sums grow one statement. The result of an operation that recorded a
/// statement owns it: it is the only Var that refers to it. While it is the
/// tape's last statement, `z += t` and `z - t` of an owner z (or of a
/// temporary, as in `a * b + c`) add t as an operand of z's statement
/// instead of recording another, and `z += a * b` merges the statement of
/// the temporary a * b into z's. So `for (...) z += w[i] * x[i];` records
/// one statement of one operand per term, as slope::dot does. A copy of an
/// owner, or a result folded from it (`2 * z`, `tanh(z)`), would refer to
/// the same statement, so making one first marks the statement shared: the
/// owner stops owning it, and it never grows under a Var that means its
/// earlier value. (That mark is a write to the source's mutable flags, so
/// one Var must not be copied on two threads at once.) A statement that
/// another statement reads is no longer the last one, so it does not grow
/// either. A Var moved from an owner hands its statement on and cannot be
/// used afterwards (operations on it throw slope::tape_error); a moved
/// non-owner is a copy.
template <class T>
class Var {
  // Nesting (a Var of Vars on a tape of Vars, for second derivatives) would
  // record through the inner tape with rules meant for plain numbers (zero
  // tests by value, T(1) recording an input) and gives wrong Hessians.
  // Second derivatives come from a tape of Dual numbers instead.
  static_assert(!is_var_v<T>,
                "slope: Var<Var<T>> is not supported: nesting tapes for second derivatives "
                "gives wrong results; use slope::hessian, slope::hessian_vector_product or "
                "slope::value_gradient_and_hessian (forward-over-reverse: a Var<Dual<T>>)");

 public:
  using value_type = T;
  using index_type = typename Tape<T>::index_type;

  /// A constant zero.
  Var() = default;
  /// A new independent variable on the thread's active tape.
  Var(const T& value) : value_(value), flags_(input_bit) {  // NOLINT: implicit, so `Var x = 0.5;` reads like math
    Tape<T>& tape = Tape<T>::current("creating a Var");
    index_ = tape.new_input();
    tag_ = tape.epoch();
    if (tape.each_operation()) [[unlikely]]
      tape.annotate(index_, "input", value);
  }
  /// A new independent variable from another arithmetic type (`Var x = 1;`).
  template <class U>
    requires(std::is_arithmetic_v<U> && !std::same_as<U, T>)
  Var(U value) : Var(T(value)) {}  // NOLINT

  /// A constant: recorded nowhere, derivative 0 with respect to everything.
  static Var constant(const T& value) noexcept {
    Var v;
    v.value_ = value;
    return v;
  }
  /// Low level: value with dvalue = partial * d(statement `index`) of the
  /// recording tagged `tag`; never an input.
  Var(const T& value, const T& partial, index_type index, std::uint64_t tag,
      detail::recorded_t) noexcept
      : value_(value), partial_(partial), index_(index), tag_(tag) {}
  /// Low level: the input recorded as statement `index` of the recording
  /// tagged `tag` (see slope::inputs).
  Var(const T& value, index_type index, std::uint64_t tag, detail::input_t) noexcept
      : value_(value), index_(index), flags_(input_bit), tag_(tag) {}

  // Copies and moves: see "Sums grow one statement" above. A copy never
  // owns, and the source stops owning; a move hands ownership on.
  Var(const Var& other) noexcept
      : value_(other.value_),
        partial_(other.partial_),
        index_(other.index_),
        flags_(other.flags_ & ~owner_bit),
        tag_(other.tag_) {
    other.share();
  }
  Var(Var&& other) noexcept
      : value_(other.value_),
        partial_(other.partial_),
        index_(other.index_),
        flags_(other.flags_),
        tag_(other.tag_) {
    other.hand_over();
  }
  // (Both read other whole before they change it, so that assigning a Var
  // to itself leaves it as it was, with no test of addresses: a Var whose
  // address is compared cannot live in registers.)
  Var& operator=(const Var& other) noexcept {
    const Var copy(other);
    return assign(copy.value_, copy.partial_, copy.index_, copy.flags_, copy.tag_);
  }
  Var& operator=(Var&& other) noexcept {
    const T value = other.value_, partial = other.partial_;
    const index_type index = other.index_;
    const std::uint32_t flags = other.flags_;
    const std::uint64_t tag = other.tag_;
    other.hand_over();
    return assign(value, partial, index, flags, tag);
  }
  ~Var() = default;

  const T& value() const noexcept { return value_; }
  /// d(this)/d(statement index()): 1 for inputs and recorded results.
  const T& partial() const noexcept { return partial_; }
  /// The statement this Var is a function of; 0 for a constant.
  index_type index() const noexcept { return index_; }
  /// The tag of the recording this Var belongs to.
  std::uint64_t tag() const noexcept { return tag_; }
  bool is_constant() const noexcept { return index_ == 0; }
  /// Whether this Var is an input (constructed from a number, or a copy of
  /// one): the only Vars derivatives are taken with respect to.
  bool is_input() const noexcept { return (flags_ & input_bit) != 0; }
  /// Whether this Var owns its statement (see "Sums grow one statement").
  bool owns_statement() const noexcept { return (flags_ & owner_bit) != 0; }
  /// Low level: marks the statement shared, so that this Var no longer owns
  /// it: what copies and folds do before they refer to it too. Writes only
  /// if it owned it.
  SLOPE_INLINE void share() const noexcept {
    if (flags_ & owner_bit) [[unlikely]]
      flags_ &= ~owner_bit;
  }

  // a op= b is a = a op b, for b a Var or a plain number. (Defined here:
  // clang 14 does not match constrained out-of-line definitions.)
  template <class B>
    requires VarOperands<Var, B>
  SLOPE_INLINE Var& operator+=(const B& b) {
    if constexpr (is_var_v<B>)
      detail::Sums<T>::template accumulate<false, false>(*this, b);
    else
      detail::Sums<T>::template add_constant<false>(*this, T(b));
    return *this;
  }
  /// z += t for a temporary t (`z += w * x`): t's statement may be merged.
  SLOPE_INLINE Var& operator+=(Var&& b) {
    detail::Sums<T>::template accumulate<false, true>(*this, b);
    return *this;
  }
  template <class B>
    requires VarOperands<Var, B>
  SLOPE_INLINE Var& operator-=(const B& b) {
    if constexpr (is_var_v<B>)
      detail::Sums<T>::template accumulate<true, false>(*this, b);
    else
      detail::Sums<T>::template add_constant<true>(*this, T(b));
    return *this;
  }
  SLOPE_INLINE Var& operator-=(Var&& b) {
    detail::Sums<T>::template accumulate<true, true>(*this, b);
    return *this;
  }
  template <class B>
    requires VarOperands<Var, B>
  SLOPE_INLINE Var& operator*=(const B& b) {
    return *this = apply(Multiply{}, *this, b);
  }
  template <class B>
    requires VarOperands<Var, B>
  SLOPE_INLINE Var& operator/=(const B& b) {
    return *this = apply(Divide{}, *this, b);
  }

 private:
  friend struct detail::Sums<T>;
  static constexpr std::uint32_t input_bit = 1;
  static constexpr std::uint32_t owner_bit = 2;

  /// Low level: the owner of statement `index`, just recorded.
  Var(const T& value, index_type index, std::uint64_t tag, detail::owner_t) noexcept
      : value_(value), index_(index), flags_(owner_bit), tag_(tag) {}
  SLOPE_INLINE Var& assign(const T& value, const T& partial, index_type index, std::uint32_t flags,
                           std::uint64_t tag) noexcept {
    value_ = value;
    partial_ = partial;
    index_ = index;
    flags_ = flags;
    tag_ = tag;
    return *this;
  }
  /// After a move: an owner's statement went with it, and may grow or be
  /// merged away, so this Var is made unusable (tag 0 with a statement
  /// index: every operation throws).
  SLOPE_INLINE void hand_over() noexcept {
    if (flags_ & owner_bit) [[unlikely]] {
      flags_ &= ~owner_bit;
      tag_ = 0;
    }
  }

  T value_{};
  T partial_ = T(1);
  index_type index_ = 0;
  // input_bit for an input, owner_bit for the owner of its statement.
  // 32 bits, not a bool: with a one-byte flag, GCC 12 assembles a Var
  // result in memory with three narrow stores and copies it on with one
  // 16-byte load, which cannot be forwarded from them (a stall of some 15
  // cycles per `z += w * x` of a plain loop: W4's scalar row measured 1.6
  // times slower).
  mutable std::uint32_t flags_ = 0;
  std::uint64_t tag_ = 0;
};

// `slope::Var x = 0.5;` is a Var<double> (the default argument), and so is
// `slope::Var n = 1;`. Where a type must be spelled (containers, parameters),
// write Var<> or Var<double>.
template <std::integral U>
Var(U) -> Var<double>;
// `Var x = 0.5f;` is a Var<float>. (Spelled out: clang finds the implicit
// guides of the two converting constructors ambiguous.)
template <std::floating_point U>
Var(U) -> Var<U>;

namespace detail {
template <class T>
struct VarConstant {
  Var<T> operator()(const T& x) const noexcept { return Var<T>::constant(x); }
};
}  // namespace detail

// ----------------------------------------------------- inputs in bulk ----

namespace detail {
[[noreturn]] void throw_size_mismatch(const char* what, std::size_t a, std::size_t b);
}

/// Makes out[i] a new input with value values[i] on the thread's active
/// tape, for every i: what `out[i] = Var<T>(values[i])` does, in one step
/// (one look-up of the tape, one reservation, one loop), with the inputs
/// numbered consecutively in order. Throws slope::argument_error if the
/// sizes differ and slope::tape_error if no tape is active; whatever it
/// throws, out is unchanged.
template <class T>
void inputs(std::span<const T> values, std::span<Var<T>> out) {
  if (values.size() != out.size())
    detail::throw_size_mismatch("inputs", values.size(), out.size());
  Tape<T>& tape = Tape<T>::current("creating inputs");
  using index_type = typename Tape<T>::index_type;
  const index_type first = tape.new_inputs(values.size());
  if (tape.each_operation()) [[unlikely]]
    for (std::size_t i = 0; i < values.size(); ++i)
      tape.annotate(static_cast<index_type>(first + i), "input", values[i]);
  const std::uint64_t tag = tape.epoch();
  for (std::size_t i = 0; i < values.size(); ++i)
    out[i] = Var<T>(values[i], static_cast<index_type>(first + i), tag, detail::input_t{});
}

namespace detail {
/// A contiguous range of plain numbers (a vector, an array, a span) that
/// inputs() accepts; integers are left out, as Var<int> is no Var to record.
template <class R>
concept InputValues = std::ranges::contiguous_range<R> && std::ranges::sized_range<R> &&
                      !is_var_v<std::ranges::range_value_t<R>> &&
                      !std::integral<std::ranges::range_value_t<R>>;
template <class R>
using input_scalar_t = std::remove_cv_t<std::ranges::range_value_t<R>>;
template <class R>
std::span<const input_scalar_t<R>> input_span(const R& values) {
  return {std::ranges::data(values), std::ranges::size(values)};
}
}  // namespace detail

/// inputs(values, out) for any contiguous range of numbers and a span of
/// Vars (a std::vector or std::array of Vars converts to it).
template <detail::InputValues R>
void inputs(const R& values, std::span<Var<detail::input_scalar_t<R>>> out) {
  inputs(detail::input_span(values), out);
}
/// inputs(values, out) into a vector resized to values.size() (a vector
/// reused across recordings keeps its memory). Nothing changes if it throws.
template <detail::InputValues R>
void inputs(const R& values, std::vector<Var<detail::input_scalar_t<R>>>& out) {
  using T = detail::input_scalar_t<R>;
  (void)Tape<T>::current("creating inputs");  // throws before out is touched
  out.resize(std::ranges::size(values));
  inputs(detail::input_span(values), std::span<Var<T>>(out));
}
/// A new input for each of values (any contiguous range of numbers: a
/// std::vector, std::array, span), in order: see inputs(values, out).
template <detail::InputValues R>
std::vector<Var<detail::input_scalar_t<R>>> inputs(const R& values) {
  using T = detail::input_scalar_t<R>;
  (void)Tape<T>::current("creating inputs");
  std::vector<Var<T>> out(std::ranges::size(values));
  inputs(detail::input_span(values), std::span<Var<T>>(out));
  return out;
}

// -------------------------------------------------------- applying primitives ----

namespace detail {

/// Whether every local derivative of primitive P is +1 or -1 (P declares
/// `static constexpr bool exact_partials = true`): folding by it is exact.
template <class P>
inline constexpr bool exact_v = requires { requires P::exact_partials; };

/// chain() off its common path: the product is 0, subnormal, infinite or
/// NaN. A zero factor carries nothing, even against an infinite or NaN one
/// (sqrt(-relu(x)) at x = -0.3 is 0 near x, so its derivative is 0, not
/// 0 * inf), exactly as a sweep skips a statement whose adjoint is 0. An
/// infinite or NaN factor gives the product a statement would give. Two
/// finite nonzero factors whose product underflowed or overflowed cannot be
/// folded: the sweep, multiplying in the other order, might not lose them.
template <class T>
struct Folded {
  T partial;
  bool ok;
};
// Arguments and result by value, so that nothing of the caller's has its
// address taken (the common path keeps everything in registers).
template <class T>
[[gnu::cold, gnu::noinline]] Folded<T> chain_rare(T local, T partial) {
  if (is_zero(local) || is_zero(partial)) return {T(0), true};
  if (!all_finite(local) || !all_finite(partial)) return {careful_product(local, partial), true};
  return {T(0), false};
}

/// Whether x is a normal number: finite, nonzero, not subnormal.
template <class T>
SLOPE_INLINE bool normal_number(const T& x) {
  if constexpr (std::is_same_v<T, double>) {
    // On the exponent's bits: measured cheaper than two comparisons of |x|.
    const std::uint64_t exponent = (std::bit_cast<std::uint64_t>(x) >> 52) & 0x7ff;
    return exponent - 1 < 0x7fe;
  } else {
    using std::abs;
    return abs(x) >= std::numeric_limits<T>::min() && abs(x) <= std::numeric_limits<T>::max();
  }
}

/// For Duals: whether the product of finite factors l and p may be folded.
/// Each component must be a normal number or exactly 0 because every
/// product in it has a zero factor (the value l.v p.v, the tangent
/// l.v p.d + l.d p.v): a component that underflowed, overflowed or
/// cancelled is recorded as a statement instead.
template <class T>
SLOPE_INLINE bool foldable_dual(const T& l, const T& p, const T& product) {
  using U = typename T::value_type;
  if (!all_finite(l) || !all_finite(p)) return false;
  const U zero(0);
  const bool value = normal_number(product.value()) || l.value() == zero || p.value() == zero;
  const bool tangent = normal_number(product.tangent()) ||
                       ((l.value() == zero || p.tangent() == zero) &&
                        (l.tangent() == zero || p.value() == zero));
  return value && tangent;
}

/// Folds a local derivative into an operand's partial: out = local *
/// partial, d(result)/d(operand's statement) along this path. Returns false
/// (out is then not to be used) where the product of two finite nonzero factors is 0,
/// subnormal or infinite: then the caller records a statement instead, so
/// that folding never loses what a statement would keep. With Exact (the
/// local derivative is +1 or -1, as for add, sub and neg) the product is
/// exact and always folds: nothing is tested, and a subnormal partial folds
/// too (exactly; the test would record a statement for it, which can only
/// round differently later).
template <bool Exact = false, class T>
SLOPE_INLINE bool chain(const T& local, const T& partial, T& out) {
  if constexpr (is_dual_v<T>) {
    if constexpr (Exact) {
      // local is +1 or -1 with no tangent: exact, and 0 * inf dropped.
      out = careful_product(local, partial);
      return true;
    }
    const T product = local * partial;
    out = product;
    if (foldable_dual(local, partial, product)) [[likely]]
      return true;
    const Folded<T> r = chain_rare(local, partial);
    out = r.partial;
    return r.ok;
  }
  const T product = local * partial;
  out = product;
  if constexpr (Exact) return true;
  // One test for the common case, a normal product.
  if (normal_number(product)) [[likely]]
    return true;
  if (product == T(0) && (local == T(0) || partial == T(0))) return true;  // relu'(z < 0): common
  const Folded<T> r = chain_rare(local, partial);
  out = r.partial;
  return r.ok;
}

/// Where an operand's partial cannot absorb a local derivative (see chain):
/// records a statement for x (one operand, x's partial) and returns its
/// index, on which the local derivative then applies with nothing folded.
/// x's tag and index must have been verified.
template <class T>
[[gnu::cold, gnu::noinline]] typename Tape<T>::index_type unfold(Tape<T>& tape,
                                                                 typename Tape<T>::index_type index,
                                                                 T partial) {
  return tape.record(index, partial);
}

/// An operand of a statement: the statement it reads and the partial.
template <class T>
struct Operand {
  typename Tape<T>::index_type index;
  T partial;
};

/// The operand for x with local derivative `local`: x's statement with
/// local * x's partial, or a statement recorded for x where that product
/// cannot be folded (see chain). x must have been verified.
template <bool Exact = false, class T>
SLOPE_INLINE Operand<T> operand(Tape<T>& tape, const Var<T>& x, const T& local) {
  Operand<T> o{x.index(), T(0)};
  if (!chain<Exact>(local, x.partial(), o.partial)) [[unlikely]] {
    o.index = unfold(tape, x.index(), x.partial());
    o.partial = local;
  }
  return o;
}

/// The result of a unary step y = f(x) with f'(x) = d that records nothing:
/// a function of x's statement with partial d times x's partial, or, where
/// that product cannot be folded, of a statement recorded for x.
template <bool Exact = false, class T>
SLOPE_INLINE Var<T> folded(Tape<T>& tape, const T& y, const T& d, const Var<T>& x,
                           const char* what) {
  x.share();  // the result refers to x's statement too (see Var)
  T partial;
  if (chain<Exact>(d, x.partial(), partial)) [[likely]]
    return Var<T>(y, partial, x.index(), x.tag(), recorded_t{});
  tape.verify(x.index(), x.tag(), what);
  return Var<T>(y, d, unfold(tape, x.index(), x.partial()), tape.epoch(), recorded_t{});
}

template <class T>
[[gnu::cold, gnu::noinline]] Var<T> traced(Tape<T>& tape, std::string_view name, const T& value,
                                           Operand<T> a, Operand<T> b = {0, T(0)});

// The functions out of line take Vars by value: a Var whose address is
// passed to a call lives in memory on every path (its value and partial
// stored and reloaded at each step of a loop), where a copy made for the
// call leaves it in registers.

/// While tracing (or detecting anomalies): records a unary operation's
/// result (x verified already).
template <class T>
[[gnu::cold, gnu::noinline]] Var<T> traced_unary(Tape<T>& tape, std::string_view name,
                                                 const T& y, const T& d, Var<T> x) {
  const Var<T> r = traced(tape, name, y, operand(tape, x, d));
  if (tape.detecting_anomalies()) tape.check_recorded(r.index(), std::span<const T>(&x.value(), 1));
  return r;
}

/// While tracing: records a binary operation's result (a and b verified,
/// constants left out). Out of line, so the untraced path stays small enough
/// to inline.
template <class T>
[[gnu::cold, gnu::noinline]] Var<T> traced_binary(Tape<T>& tape, std::string_view name,
                                                  const T& y, const std::array<T, 2>& d,
                                                  Var<T> a, Var<T> b) {
  Operand<T> oa{0, T(0)}, ob{0, T(0)};
  if (!a.is_constant()) {
    tape.verify(a.index(), a.tag(), name.data());
    oa = operand(tape, a, d[0]);
  }
  if (!b.is_constant()) {
    tape.verify(b.index(), b.tag(), name.data());
    ob = operand(tape, b, d[1]);
  }
  const Var<T> r = traced(tape, name, y, oa, ob);
  if (tape.detecting_anomalies()) {
    const std::array<T, 2> values{a.value(), b.value()};
    tape.check_recorded(r.index(), std::span<const T>(values));
  }
  return r;
}

/// While tracing: records the result of an operation named `name` as a
/// statement of its own, with an operand for each of a and b that is a
/// statement (index 0, a constant, is left out).
template <class T>
[[gnu::cold, gnu::noinline]] Var<T> traced(Tape<T>& tape, std::string_view name, const T& value,
                                           Operand<T> a, Operand<T> b) {
  const typename Tape<T>::OperandSlots slots = tape.open_statement(2);
  std::size_t k = 0;
  for (const Operand<T>& o : {a, b}) {
    if (o.index == 0) continue;
    slots.args[k] = o.index;
    slots.partials[k] = o.partial;
    ++k;
  }
  const typename Tape<T>::index_type i = tape.close_statement(k);
  tape.annotate(i, name, value);
  return Var<T>(value, T(1), i, tape.epoch(), recorded_t{});
}

/// a's and b's partials folded into one, for a binary step whose operands
/// share one statement: false where either product cannot be folded or
/// their sum overflows although both are finite (two operands on the same
/// statement are then recorded instead).
template <bool Exact = false, class T>
SLOPE_INLINE bool fold_same(const std::array<T, 2>& d, const Var<T>& a, const Var<T>& b, T& out) {
  T pa, pb;
  if (!chain<Exact>(d[0], a.partial(), pa) || !chain<Exact>(d[1], b.partial(), pb)) return false;
  out = pa + pb;
  return all_finite(out) || !all_finite(pa) || !all_finite(pb);
}

}  // namespace detail

/// Applies unary primitive `p` to `x`. Records nothing (unless the tape is
/// tracing, or folding would lose the partial): the result is a function of
/// x's statement with partial p'(x) times x's partial. Throws
/// slope::tape_error if x does not belong to the active tape's recording.
template <class P, class T>
SLOPE_INLINE Var<T> apply(const P& p, const Var<T>& x) {
  if (x.is_constant()) return Var<T>::constant(detail::forward(p, x.value()));
  Tape<T>& tape = Tape<T>::current(P::name.data());
  // The primitive first, then the check: nothing is kept across its calls.
  const ValueAndDerivative<T> r = detail::evaluate(p, x.value());
  if (tape.fold_check(x.index(), x.tag(), P::name.data())) [[unlikely]]
    return detail::traced_unary(tape, P::name, r.value, r.derivative, x);
  return detail::folded<detail::exact_v<P>>(tape, r.value, r.derivative, x, P::name.data());
}

/// Applies binary primitive `p` to (a, b). Records one statement if a and b
/// are functions of two different statements (or the tape is tracing);
/// otherwise (one is a constant, or both depend on the same statement) the
/// result is a function of that one statement, with the partials combined,
/// and nothing is recorded (unless folding would lose a partial).
template <class P, class T>
SLOPE_INLINE Var<T> apply(const P& p, const Var<T>& a, const Var<T>& b) {
  const T y = detail::forward_binary(p, a.value(), b.value());
  if (a.is_constant() && b.is_constant()) return Var<T>::constant(y);
  Tape<T>& tape = Tape<T>::current(P::name.data());
  const std::array<T, 2> d = detail::partials(p, a.value(), b.value(), y);
  if (b.is_constant()) {
    if (tape.fold_check(a.index(), a.tag(), P::name.data())) [[unlikely]]
      return detail::traced_binary(tape, P::name, y, d, a, b);
    return detail::folded<detail::exact_v<P>>(tape, y, d[0], a, P::name.data());
  }
  if (a.is_constant()) {
    if (tape.fold_check(b.index(), b.tag(), P::name.data())) [[unlikely]]
      return detail::traced_binary(tape, P::name, y, d, a, b);
    return detail::folded<detail::exact_v<P>>(tape, y, d[1], b, P::name.data());
  }
  if (tape.verify_tracing(a.index(), a.tag(), P::name.data())) [[unlikely]]
    return detail::traced_binary(tape, P::name, y, d, a, b);
  tape.verify(b.index(), b.tag(), P::name.data());
  if (a.index() == b.index()) {
    T partial;
    if (detail::fold_same<detail::exact_v<P>>(d, a, b, partial)) [[likely]] {
      a.share();  // the result refers to their statement too
      return Var<T>(y, partial, a.index(), a.tag(), detail::recorded_t{});
    }
  }
  const detail::Operand<T> oa = detail::operand<detail::exact_v<P>>(tape, a, d[0]);
  const detail::Operand<T> ob = detail::operand<detail::exact_v<P>>(tape, b, d[1]);
  return detail::Sums<T>::owner(y, tape.record(oa.index, oa.partial, ob.index, ob.partial),
                                tape.epoch());
}

template <class P, class T, PassiveFor<T> U>
SLOPE_INLINE Var<T> apply(const P& p, const Var<T>& a, const U& b) {
  return apply(p, a, Var<T>::constant(T(b)));
}
template <class P, class T, PassiveFor<T> U>
SLOPE_INLINE Var<T> apply(const P& p, const U& a, const Var<T>& b) {
  return apply(p, Var<T>::constant(T(a)), b);
}

namespace detail {
/// Sums that grow the statement of the Var that owns it (see Var).
template <class T>
struct Sums {
  static Var<T> owner(const T& value, typename Tape<T>::index_type index, std::uint64_t tag) noexcept {
    return Var<T>(value, index, tag, owner_t{});
  }

  /// z = z + b (z - b with Negate), in place. With Consume (b is a
  /// temporary, taken apart here) that owns its statement, see merge().
  /// Else if z owns the tape's last statement, b becomes an operand of it.
  /// Otherwise z = apply(Add or Subtract).
  template <bool Negate, bool Consume, class B>
  SLOPE_INLINE static void accumulate(Var<T>& z, B& b) {
    using P = std::conditional_t<Negate, Subtract, Add>;
    if constexpr (!std::is_floating_point_v<T>) {
      // Multiprecision and Dual scalars (references, second order) record
      // as before: less code to instantiate where speed matters less.
      const Var<T> r = apply(P{}, z, b);
      z.assign(r.value_, r.partial_, r.index_, r.flags_, r.tag_);
    } else {
      grow<Negate, Consume>(z, b);
    }
  }

  template <bool Negate, bool Consume, class B>
  SLOPE_INLINE static void grow(Var<T>& z, B& b) {
    using P = std::conditional_t<Negate, Subtract, Add>;
    if (b.is_constant()) {
      add_constant<Negate>(z, b.value_);
      return;
    }
    if constexpr (Consume) {
      if (b.owns_statement() && merge<Negate>(z, b)) return;
    }
    if (z.owns_statement()) {
      Tape<T>& tape = Tape<T>::current(P::name.data());
      if (tape.can_extend(z.index_, z.tag_) && b.tag_ == z.tag_ && b.index_ < z.index_)
          [[likely]] {
        tape.extend_last(b.index_, Negate ? T(-b.partial_) : b.partial_);
        z.value_ = Negate ? T(z.value_ - b.value_) : T(z.value_ + b.value_);
        return;
      }
    }
    const Var<T> r = apply(P{}, z, b);
    z.assign(r.value_, r.partial_, r.index_, r.flags_, r.tag_);
  }

  /// accumulate() where b is a temporary that owns its statement: merges
  /// the last two statements if z and b own them (in either order), or
  /// (for a sum) makes z an operand of b's statement if that is the last.
  /// Returns false, with nothing done, where neither applies. (Out of line:
  /// it would make every sum of temporaries larger where it is inlined.)
  template <bool Negate>
  [[gnu::noinline]] static bool merge(Var<T>& z, Var<T>& b) {
    if (z.is_constant() || b.tag_ != z.tag_) return false;
    Tape<T>& tape = Tape<T>::current(Negate ? "sub" : "add");
    const T value = Negate ? T(z.value_ - b.value_) : T(z.value_ + b.value_);
    if (z.owns_statement()) {
      if (tape.can_merge(z.index_, b.index_, z.tag_)) {
        tape.template merge_last<false, Negate>();
        z.value_ = value;
        b.hand_over();
        return true;
      }
      if (tape.can_merge(b.index_, z.index_, z.tag_)) {
        tape.template merge_last<Negate, false>();
        z.value_ = value;
        z.index_ = b.index_;
        b.hand_over();
        return true;
      }
    }
    if (!Negate && tape.can_extend(b.index_, b.tag_) && z.index_ < b.index_) {
      tape.extend_last(z.index_, z.partial_);
      z.assign(value, T(1), b.index_, Var<T>::owner_bit, b.tag_);
      b.hand_over();
      return true;
    }
    return false;
  }

  /// z = z + c (z - c with Negate) for a number c: an owner stays one (its
  /// derivative is unchanged), while the tape is not tracing.
  template <bool Negate>
  SLOPE_INLINE static void add_constant(Var<T>& z, const T& c) {
    using P = std::conditional_t<Negate, Subtract, Add>;
    if (std::is_floating_point_v<T> && z.owns_statement() &&
        Tape<T>::current(P::name.data()).folds(z.tag_)) {
      z.value_ = Negate ? T(z.value_ - c) : T(z.value_ + c);
      return;
    }
    z = apply(P{}, z, Var<T>::constant(c));
  }
};
}  // namespace detail

// ------------------------------------------------------------ operators ----

template <class T>
Var<T> operator+(const Var<T>& a) {
  return a;
}
template <class T>
SLOPE_INLINE Var<T> operator-(const Var<T>& a) {
  return apply(Negate{}, a);
}

template <class A, class B>
  requires VarOperands<A, B>
SLOPE_INLINE common_var_t<A, B> operator+(const A& a, const B& b) {
  return apply(Add{}, a, b);
}
template <class A, class B>
  requires VarOperands<A, B>
SLOPE_INLINE common_var_t<A, B> operator-(const A& a, const B& b) {
  return apply(Subtract{}, a, b);
}
// Sums with a temporary operand: the statement it owns may grow (see Var),
// so that `a * b + c * d + e` records one statement. Addition is
// commutative in floating point, so b + a is a + b.
template <class T>
SLOPE_INLINE Var<T> operator+(Var<T>&& a, const Var<T>& b) {
  Var<T> r(std::move(a));
  detail::Sums<T>::template accumulate<false, false>(r, b);
  return r;
}
template <class T>
SLOPE_INLINE Var<T> operator+(const Var<T>& a, Var<T>&& b) {
  Var<T> r(std::move(b));
  detail::Sums<T>::template accumulate<false, false>(r, a);
  return r;
}
template <class T>
SLOPE_INLINE Var<T> operator+(Var<T>&& a, Var<T>&& b) {
  Var<T> r(std::move(a));
  detail::Sums<T>::template accumulate<false, true>(r, b);
  return r;
}
template <class T, PassiveFor<T> U>
SLOPE_INLINE Var<T> operator+(Var<T>&& a, const U& b) {
  Var<T> r(std::move(a));
  detail::Sums<T>::template add_constant<false>(r, T(b));
  return r;
}
template <class T, PassiveFor<T> U>
SLOPE_INLINE Var<T> operator+(const U& a, Var<T>&& b) {
  Var<T> r(std::move(b));
  detail::Sums<T>::template add_constant<false>(r, T(a));
  return r;
}
template <class T>
SLOPE_INLINE Var<T> operator-(Var<T>&& a, const Var<T>& b) {
  Var<T> r(std::move(a));
  detail::Sums<T>::template accumulate<true, false>(r, b);
  return r;
}
template <class T>
SLOPE_INLINE Var<T> operator-(Var<T>&& a, Var<T>&& b) {
  Var<T> r(std::move(a));
  detail::Sums<T>::template accumulate<true, true>(r, b);
  return r;
}
template <class T, PassiveFor<T> U>
SLOPE_INLINE Var<T> operator-(Var<T>&& a, const U& b) {
  Var<T> r(std::move(a));
  detail::Sums<T>::template add_constant<true>(r, T(b));
  return r;
}
template <class A, class B>
  requires VarOperands<A, B>
SLOPE_INLINE common_var_t<A, B> operator*(const A& a, const B& b) {
  return apply(Multiply{}, a, b);
}
template <class A, class B>
  requires VarOperands<A, B>
SLOPE_INLINE common_var_t<A, B> operator/(const A& a, const B& b) {
  return apply(Divide{}, a, b);
}

namespace detail {
template <class X>
decltype(auto) value_of(const X& x) {
  if constexpr (is_var_v<X>)
    return x.value();
  else
    return x;
}
}  // namespace detail

// Comparisons compare values and record nothing.
template <class A, class B>
  requires VarOperands<A, B>
bool operator==(const A& a, const B& b) {
  return detail::value_of(a) == detail::value_of(b);
}
template <class A, class B>
  requires VarOperands<A, B>
bool operator!=(const A& a, const B& b) {
  return detail::value_of(a) != detail::value_of(b);
}
template <class A, class B>
  requires VarOperands<A, B>
bool operator<(const A& a, const B& b) {
  return detail::value_of(a) < detail::value_of(b);
}
template <class A, class B>
  requires VarOperands<A, B>
bool operator<=(const A& a, const B& b) {
  return detail::value_of(a) <= detail::value_of(b);
}
template <class A, class B>
  requires VarOperands<A, B>
bool operator>(const A& a, const B& b) {
  return detail::value_of(a) > detail::value_of(b);
}
template <class A, class B>
  requires VarOperands<A, B>
bool operator>=(const A& a, const B& b) {
  return detail::value_of(a) >= detail::value_of(b);
}

/// Prints the value (for test frameworks and streams; fmt has format.hpp).
template <class T>
std::ostream& operator<<(std::ostream& os, const Var<T>& x) {
  return os << x.value();
}

// ------------------------------------------------------------ functions ----
// slope::f(Var) for each primitive of the table; `using std::exp; exp(v)` in
// generic code finds these by argument-dependent lookup.

// clang-format off
template <class T> SLOPE_INLINE Var<T> exp(const Var<T>& x) { return apply(Exp{}, x); }
template <class T> SLOPE_INLINE Var<T> exp2(const Var<T>& x) { return apply(Exp2{}, x); }
template <class T> SLOPE_INLINE Var<T> expm1(const Var<T>& x) { return apply(Expm1{}, x); }
template <class T> SLOPE_INLINE Var<T> log(const Var<T>& x) { return apply(Log{}, x); }
template <class T> SLOPE_INLINE Var<T> log2(const Var<T>& x) { return apply(Log2{}, x); }
template <class T> SLOPE_INLINE Var<T> log10(const Var<T>& x) { return apply(Log10{}, x); }
template <class T> SLOPE_INLINE Var<T> log1p(const Var<T>& x) { return apply(Log1p{}, x); }
template <class T> SLOPE_INLINE Var<T> sqrt(const Var<T>& x) { return apply(Sqrt{}, x); }
template <class T> SLOPE_INLINE Var<T> cbrt(const Var<T>& x) { return apply(Cbrt{}, x); }
template <class T> SLOPE_INLINE Var<T> sin(const Var<T>& x) { return apply(Sin{}, x); }
template <class T> SLOPE_INLINE Var<T> cos(const Var<T>& x) { return apply(Cos{}, x); }
template <class T> SLOPE_INLINE Var<T> tan(const Var<T>& x) { return apply(Tan{}, x); }
template <class T> SLOPE_INLINE Var<T> asin(const Var<T>& x) { return apply(Asin{}, x); }
template <class T> SLOPE_INLINE Var<T> acos(const Var<T>& x) { return apply(Acos{}, x); }
template <class T> SLOPE_INLINE Var<T> atan(const Var<T>& x) { return apply(Atan{}, x); }
template <class T> SLOPE_INLINE Var<T> sinh(const Var<T>& x) { return apply(Sinh{}, x); }
template <class T> SLOPE_INLINE Var<T> cosh(const Var<T>& x) { return apply(Cosh{}, x); }
template <class T> SLOPE_INLINE Var<T> tanh(const Var<T>& x) { return apply(Tanh{}, x); }
template <class T> SLOPE_INLINE Var<T> asinh(const Var<T>& x) { return apply(Asinh{}, x); }
template <class T> SLOPE_INLINE Var<T> acosh(const Var<T>& x) { return apply(Acosh{}, x); }
template <class T> SLOPE_INLINE Var<T> atanh(const Var<T>& x) { return apply(Atanh{}, x); }
template <class T> SLOPE_INLINE Var<T> erf(const Var<T>& x) { return apply(Erf{}, x); }
template <class T> SLOPE_INLINE Var<T> erfc(const Var<T>& x) { return apply(Erfc{}, x); }
template <class T> SLOPE_INLINE Var<T> abs(const Var<T>& x) { return apply(Abs{}, x); }
template <class T> SLOPE_INLINE Var<T> fabs(const Var<T>& x) { return apply(Abs{}, x); }

// The Var-Var overloads are more specialized than std::min(const T&, const T&)
// and friends, so `using std::max; max(a, b)` records a max for two Vars.
template <class T> SLOPE_INLINE Var<T> pow(const Var<T>& x, const Var<T>& p) { return apply(Pow{}, x, p); }
template <class T> SLOPE_INLINE Var<T> min(const Var<T>& a, const Var<T>& b) { return apply(Min{}, a, b); }
template <class T> SLOPE_INLINE Var<T> max(const Var<T>& a, const Var<T>& b) { return apply(Max{}, a, b); }
template <class T> SLOPE_INLINE Var<T> fmin(const Var<T>& a, const Var<T>& b) { return apply(Min{}, a, b); }
template <class T> SLOPE_INLINE Var<T> fmax(const Var<T>& a, const Var<T>& b) { return apply(Max{}, a, b); }
template <class A, class B> requires VarOperands<A, B>
SLOPE_INLINE common_var_t<A, B> pow(const A& x, const B& p) { return apply(Pow{}, x, p); }
template <class A, class B> requires VarOperands<A, B>
SLOPE_INLINE common_var_t<A, B> min(const A& a, const B& b) { return apply(Min{}, a, b); }
template <class A, class B> requires VarOperands<A, B>
SLOPE_INLINE common_var_t<A, B> max(const A& a, const B& b) { return apply(Max{}, a, b); }
template <class A, class B> requires VarOperands<A, B>
SLOPE_INLINE common_var_t<A, B> fmin(const A& a, const B& b) { return apply(Min{}, a, b); }
template <class A, class B> requires VarOperands<A, B>
SLOPE_INLINE common_var_t<A, B> fmax(const A& a, const B& b) { return apply(Max{}, a, b); }
// clang-format on

// --------------------------------------------------------------- n-ary ----
// Sums and dot products of many terms, each recorded as one statement with
// one operand per active term, instead of a chain of binary statements: less
// tape, and a sweep that touches each operand once.

namespace detail {
template <class T>
bool any_active(std::span<const Var<T>> xs) {
  for (const Var<T>& x : xs)
    if (!x.is_constant()) return true;
  return false;
}

/// Builds one statement with up to n operands directly in the tape, of which
/// up to `inexact` are added with a local partial other than 1 (add(x,
/// local): these may need a statement of their own, see add). Terms on
/// the same statement as the previous term are merged into its partial; a
/// result that ends up depending on a single statement records nothing. The
/// tape's tag and size are read once, and the latest term is held in
/// registers until a term on another statement comes (then it is written
/// out), so that terms merging into one statement are added in registers
/// and a result that folds records no operand.
template <class T>
class StatementBuilder {
  using index_type = typename Tape<T>::index_type;

 public:
  SLOPE_INLINE StatementBuilder(std::size_t n, const char* what, std::size_t inexact)
      : tape_(Tape<T>::current(what)),
        slots_(tape_.open_statement(n + 1 + inexact)),  // see term()
        epoch_(tape_.epoch()),
        end_(tape_.next_index()),
        what_(what),
        n_(n) {}

  /// Adds the term local * x (x's own partial included).
  SLOPE_INLINE void add(const Var<T>& x, const T& local) { term<false>(x, local); }
  /// Adds the term x (local partial 1: folding it is exact).
  SLOPE_INLINE void add(const Var<T>& x) { term<true>(x, T(1)); }

  SLOPE_INLINE Var<T> finish(const T& value) {
    if (held_ == 0 && k_ == 0) return Var<T>::constant(value);
    if (tape_.each_operation() || unfolds_ != 0) [[unlikely]] {
      write_held();
      return special_close(tape_, k_, n_, unfolds_, what_, value);
    }
    if (k_ == 0) {
      // A function of one term's statement: its owner, if any, must not grow
      // it now (marked on the tape, so that no term pays for a test).
      tape_.freeze(held_);
      return Var<T>(value, held_partial_, held_, epoch_, recorded_t{});
    }
    write_held();
    return Sums<T>::owner(value, tape_.close_statement(k_), epoch_);
  }

 private:
  template <bool Exact>
  SLOPE_INLINE void term(const Var<T>& x, const T& local) {
    const index_type i = x.index();
    // A constant's tag, 0, is never a recording's (see next_epoch), so one
    // test sends constants and Vars of other recordings to the rare branch.
    if (x.tag() != epoch_) [[unlikely]] {
      if (i == 0) return;  // a constant
      tape_.verify(i, x.tag(), what_);  // throws
    }
    T p;
    if (!chain<Exact>(local, x.partial(), p)) [[unlikely]] {
      // The product cannot be folded: the term gets a slot of its own with
      // the local partial, and the tape records a statement for x in front
      // of this one when it closes (Tape::close_unfolded).
      // No call here: a call would make the loops of sum and dot keep
      // their doubles in memory (x86-64 has no callee-saved SSE register).
      // The note (which slot, x's partial) goes past the n operand slots
      // and slot n, which write_held() may write with nothing held.
      if (i >= end_) tape_.verify(i, x.tag(), what_);  // throws
      write_held();
      slots_.args[n_ + 1 + unfolds_] = static_cast<index_type>(k_);
      slots_.partials[n_ + 1 + unfolds_] = x.partial();
      ++unfolds_;
      slots_.args[k_] = i;
      slots_.partials[k_] = local;
      ++k_;
      held_ = 0;  // nothing held: the next term starts afresh
      return;
    }
    if (i == held_) {  // never true for the first term: held_ starts at 0
      const T merged = held_partial_ + p;
      if (finite_sum(merged, p)) [[likely]] {
        held_partial_ = merged;
        return;
      }
      // Two finite partials on one statement whose sum overflows: kept as
      // two operands, as a sweep would see them.
    }
    if (i >= end_) [[unlikely]]
      tape_.verify(i, x.tag(), what_);  // throws
    write_held();
    held_ = i;
    held_partial_ = p;
  }
  // Writes the held term out. Before the first term there is none: the
  // slot written then is not counted (it is overwritten or left unused).
  SLOPE_INLINE void write_held() {
    slots_.args[k_] = held_;
    slots_.partials[k_] = held_partial_;
    k_ += held_ != 0;
  }
  // Whether merged = held_partial_ + p may stand for the two: it is finite,
  // or one of them was not (the sum is then what a sweep would make).
  SLOPE_INLINE bool finite_sum(const T& merged, const T& p) const {
    return all_finite(merged) || !all_finite(held_partial_) || !all_finite(p);
  }
  // While tracing, or with terms to unfold: records the statement (even
  // with one operand), named while tracing. Out of line and given copies,
  // so that the builder stays in registers.
  [[gnu::cold, gnu::noinline]] static Var<T> special_close(Tape<T>& tape, std::size_t k,
                                                           std::size_t n, std::size_t unfolds,
                                                           const char* what, T value) {
    const index_type i = tape.close_unfolded(k, n, unfolds);
    if (tape.each_operation()) {
      tape.annotate(i, what, value);
      if (tape.detecting_anomalies()) tape.check_recorded(i, {});
    }
    return Var<T>(value, T(1), i, tape.epoch(), recorded_t{});
  }

  Tape<T>& tape_;
  typename Tape<T>::OperandSlots slots_;
  std::uint64_t epoch_;
  index_type end_;
  const char* what_;
  std::size_t n_;
  std::size_t k_ = 0;
  std::size_t unfolds_ = 0;  // terms noted past the n slots, for Tape::close_unfolded
  index_type held_ = 0;      // the latest term's statement (0: none yet)
  T held_partial_ = T(0);
};
}  // namespace detail

/// The sum of xs, recorded as one statement (partial 1 for each active term).
template <class T>
SLOPE_INLINE Var<T> sum(std::span<const Var<T>> xs) {
  T value(0);
  if (!detail::any_active(xs)) {
    for (const Var<T>& x : xs) value += x.value();
    return Var<T>::constant(value);
  }
  detail::StatementBuilder<T> statement(xs.size(), "sum", 0);
  for (const Var<T>& x : xs) {
    value += x.value();
    statement.add(x);
  }
  return statement.finish(value);
}
template <class T>
SLOPE_INLINE Var<T> sum(std::initializer_list<Var<T>> xs) {
  return sum(std::span<const Var<T>>(xs.begin(), xs.size()));
}
template <class T>
SLOPE_INLINE Var<T> sum(const std::vector<Var<T>>& xs) {
  return sum(std::span<const Var<T>>(xs));
}
/// sum(a, b, ...) of two or more Vars given one by one: sum({a, b, ...})
/// without building the list in memory.
template <class T, class... Vs>
  requires(sizeof...(Vs) >= 1 && (std::same_as<Vs, Var<T>> && ...))
SLOPE_INLINE Var<T> sum(const Var<T>& x, const Vs&... xs) {
  T value = T(0) + x.value();  // summed as sum(span) does, from 0
  ((value += xs.value()), ...);
  if (x.is_constant() && (xs.is_constant() && ...)) return Var<T>::constant(value);
  detail::StatementBuilder<T> statement(1 + sizeof...(Vs), "sum", 0);
  statement.add(x);
  (statement.add(xs), ...);
  return statement.finish(value);
}

/// The dot product of Vars a and plain numbers b (weights, data) plus c (a
/// bias; a constant zero by default), recorded as one statement: partial b_i
/// for each active a_i, 1 for c. Throws slope::argument_error if the sizes
/// differ.
template <class T>
SLOPE_INLINE Var<T> dot(std::span<const Var<T>> a, std::span<const T> b, const Var<T>& c = Var<T>()) {
  if (a.size() != b.size()) detail::throw_size_mismatch("dot", a.size(), b.size());
  T value(0);
  if (!detail::any_active(a) && c.is_constant()) {
    for (std::size_t i = 0; i < a.size(); ++i) value += a[i].value() * b[i];
    return Var<T>::constant(value + c.value());
  }
  detail::StatementBuilder<T> statement(a.size() + 1, "dot", a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    value += a[i].value() * b[i];
    statement.add(a[i], b[i]);
  }
  statement.add(c);
  return statement.finish(value + c.value());
}

/// The dot product of two spans of Vars plus c (a constant zero by default),
/// recorded as one statement: partial b_i for a_i, a_i for b_i and 1 for c,
/// for the active ones.
template <class T>
SLOPE_INLINE Var<T> dot(std::span<const Var<T>> a, std::span<const Var<T>> b, const Var<T>& c = Var<T>()) {
  if (a.size() != b.size()) detail::throw_size_mismatch("dot", a.size(), b.size());
  T value(0);
  if (!detail::any_active(a) && !detail::any_active(b) && c.is_constant()) {
    for (std::size_t i = 0; i < a.size(); ++i) value += a[i].value() * b[i].value();
    return Var<T>::constant(value + c.value());
  }
  detail::StatementBuilder<T> statement(2 * a.size() + 1, "dot", 2 * a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    value += a[i].value() * b[i].value();
    statement.add(a[i], b[i].value());
    statement.add(b[i], a[i].value());
  }
  statement.add(c);
  return statement.finish(value + c.value());
}
template <class T>
SLOPE_INLINE Var<T> dot(const std::vector<Var<T>>& a, const std::vector<T>& b) {
  return dot(std::span<const Var<T>>(a), std::span<const T>(b));
}
template <class T>
SLOPE_INLINE Var<T> dot(const std::vector<Var<T>>& a, const std::vector<Var<T>>& b) {
  return dot(std::span<const Var<T>>(a), std::span<const Var<T>>(b));
}

namespace detail {
template <class X>
struct var_scalar {
  using type = void;
};
template <class T>
struct var_scalar<Var<T>> {
  using type = T;
};
/// The scalar type of the first Var among A, B, C (void if there is none).
template <class A, class B, class C>
using first_var_scalar_t = typename var_scalar<std::remove_cvref_t<std::conditional_t<
    is_var_v<A>, A, std::conditional_t<is_var_v<B>, B, C>>>>::type;
template <class X, class T>
concept OperandFor = std::same_as<std::remove_cvref_t<X>, Var<T>> || PassiveFor<X, T>;
/// x itself if it is a Var (a reference, not a copy), else a constant Var.
template <class T, class X>
SLOPE_INLINE decltype(auto) as_var(const X& x) {
  if constexpr (is_var_v<X>)
    return (x);
  else
    return Var<T>::constant(T(x));
}
}  // namespace detail

/// a * b + c, rounded once (std::fma on the values), recorded as one
/// statement with partials b, a and 1 instead of a product and a sum: the
/// natural step of a recurrence like x = tanh(fma(w, sigmoid(x), b)). Any
/// of a, b, c may be a plain number; one at least is a Var.
template <class A, class B, class C, class T = detail::first_var_scalar_t<A, B, C>>
  requires(!std::is_void_v<T> && detail::OperandFor<A, T> && detail::OperandFor<B, T> &&
           detail::OperandFor<C, T>)
SLOPE_INLINE Var<T> fma(const A& a, const B& b, const C& c) {
  using std::fma;
  const Var<T>& x = detail::as_var<T>(a);
  const Var<T>& y = detail::as_var<T>(b);
  const Var<T>& z = detail::as_var<T>(c);
  const T value = fma(x.value(), y.value(), z.value());
  if (x.is_constant() && y.is_constant() && z.is_constant()) return Var<T>::constant(value);
  detail::StatementBuilder<T> statement(3, "fma", 2);
  statement.add(x, y.value());
  statement.add(y, x.value());
  statement.add(z);
  return statement.finish(value);
}

// The activations work on plain numbers and Dual numbers too, so one generic
// function runs on double, Var, Dual and multiprecision numbers alike.

/// sigmoid(z) = 1/(1 + e^-z); see slope::Sigmoid.
template <class X>
SLOPE_INLINE X sigmoid(const X& z) {
  if constexpr (is_var_v<X>)
    return apply(Sigmoid{}, z);
  else
    return detail::forward(Sigmoid{}, z);
}
/// relu(z) = max(0, z), relu'(0) = 1; see slope::Relu.
template <class X>
SLOPE_INLINE X relu(const X& z) {
  if constexpr (is_var_v<X>)
    return apply(Relu{}, z);
  else
    return detail::forward(Relu{}, z);
}
/// leaky_relu(z) = z >= 0 ? z : slope * z, derivative 1 at 0; see slope::LeakyRelu.
template <class X>
SLOPE_INLINE X leaky_relu(const X& z, double slope = 0.01) {
  if constexpr (is_var_v<X>)
    return apply(LeakyRelu{.slope = slope}, z);
  else
    return detail::forward(LeakyRelu{.slope = slope}, z);
}
/// binary_cross_entropy(a, y) = -(y log a + (1 - y) log(1 - a)) for a
/// probability a and a target y (a label 0 or 1, or a soft target in
/// [0, 1]; data, not a Var); see slope::BinaryCrossEntropy. The loss of a
/// sigmoid output a in one primitive: `J += binary_cross_entropy(sigmoid(z), y)`.
template <class X>
SLOPE_INLINE X binary_cross_entropy(const X& a, double y) {
  if constexpr (is_var_v<X>)
    return apply(BinaryCrossEntropy{.target = y}, a);
  else
    return detail::forward(BinaryCrossEntropy{.target = y}, a);
}
/// softplus(z) = log(1 + e^z); see slope::Softplus.
template <class X>
SLOPE_INLINE X softplus(const X& z) {
  if constexpr (is_var_v<X>)
    return apply(Softplus{}, z);
  else
    return detail::forward(Softplus{}, z);
}

}  // namespace slope

/// The limits of a Var are those of its scalar type, as constants (which
/// record nothing): numeric code that asks for epsilon() or max() of its
/// number type gets the right values, not the zeros of the unspecialized
/// template.
template <class T>
struct std::numeric_limits<slope::Var<T>>
    : slope::detail::limits_of<T, slope::Var<T>, slope::detail::VarConstant<T>> {};
