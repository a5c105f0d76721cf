// tape.hpp - the tape: a flat record of statements for one reverse sweep.
//
// Jacobian taping. Inputs, and operations on Vars of two or more different
// statements, are statements with an index (var.hpp folds everything else
// into the Vars' partials). When a statement is recorded its partial
// derivatives are already known (the primitives computed them from the
// operands and the outputs), so the tape stores, per statement, only where its
// operands end, and per operand a (partial, operand index) pair:
//
//     end_[i]                  one past statement i's last operand
//     arg_[j], partial_[j]     operand j: the index it reads and d(stmt)/d(arg)
//
// Statement 0 is a sentinel (end_[0] = 0); index 0 also marks a constant Var,
// which is never recorded. The reverse sweep is one loop over statements,
// from the output down, that never knows which operation a statement was:
//
//     adjoint[arg_[j]] += partial_[j] * adjoint[i]   for each operand j of i
//
// Memory is contiguous and reused: reset() forgets the recording but keeps
// the capacity, so a loop that resets and re-records allocates nothing after
// its first iteration. The arrays double when full, without copying what
// they hold where the system allows it (buffer.hpp).
//
// Tracing (trace(true)) is for looking at a computation rather than for
// speed: every operation is then recorded as a statement of its own, with the
// name of its primitive and its value, for printing (format.hpp) and drawing
// (graph.hpp, to_dot).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "slope/buffer.hpp"
#include "slope/config.hpp"
#include "slope/dual.hpp"
#include "slope/error.hpp"


namespace slope {

template <class T = double>
class Tape;

namespace detail {

/// The innermost active tape of this thread, for scalar type T: the top of
/// this thread's stack of tapes, linked through the tapes themselves. There
/// is one such pointer per thread and type; nothing is shared between
/// threads. (Trivially destructible, so reading it costs no guard.)
template <class T>
Tape<T>*& active_tape() noexcept {
  static thread_local Tape<T>* tape = nullptr;
  return tape;
}

/// When a thread ends, the tapes still on its stack are taken off it, so a
/// tape that outlives the thread that made it active can still be activated
/// and destroyed elsewhere. One per thread and type, made by the first tape
/// that becomes active there.
template <class T>
struct StackGuard {
  ~StackGuard();
};

/// A fresh recording tag: unique in the process, on every thread, for the
/// process's life. Tags come from one 64-bit counter, handed out to threads
/// in blocks of 2^20 (so a thread takes the shared counter once per million
/// recordings); they are never 0 (the tag of constants) and stay below 2^63,
/// so that no tag is the complement of another (Tape::fold_check). After
/// 2^63 - 2^20 tags (292 years at one reset per nanosecond) it throws
/// slope::tape_error instead of reusing one.
std::uint64_t next_epoch();
/// For tests of the limit only: the next block of tags starts at `next`, and
/// this thread's current block is dropped. Returns the counter's previous value.
std::uint64_t set_epoch_counter(std::uint64_t next) noexcept;
inline constexpr std::uint64_t epoch_limit = std::uint64_t(1) << 63;
inline constexpr std::uint64_t epoch_block = std::uint64_t(1) << 20;

[[noreturn]] void throw_no_tape(const char* what);
[[noreturn]] void throw_foreign(const char* what, std::uint32_t index, std::uint64_t tag,
                                std::uint64_t epoch, std::size_t size);
[[noreturn]] void throw_full(std::size_t statements, std::size_t operands);
[[noreturn]] void throw_reserve(std::size_t statements, std::size_t operands,
                                std::size_t recorded_statements, std::size_t recorded_operands);
[[noreturn]] void throw_not_input(std::uint32_t index, bool statement_is_input);
[[noreturn]] void throw_constant_wrt();
[[noreturn]] void throw_other_thread(const char* what);
[[noreturn]] void terminate_foreign_destruction() noexcept;
[[noreturn]] void throw_anomaly(std::size_t statement, std::string_view name,
                                const std::string& message);
/// A number for a message: shortest round trip for float and double, the
/// long double value otherwise (multiprecision numbers convert to it).
std::string number_string(double x);
std::string number_string(long double x);
template <class T>
std::string number_string_of(const T& x) {
  if constexpr (is_dual_v<T>)
    return number_string_of(x.value()) + " + " + number_string_of(x.tangent()) + " eps";
  else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>)
    return number_string(double(x));
  else
    return number_string(static_cast<long double>(x));
}

}  // namespace detail

/// A tape records the operations on Var<T> values made while it is this
/// thread's active tape, for reverse sweeps.
///
/// Constructing a tape makes it the active tape of the calling thread (for
/// its scalar type); destroying it makes the previously active one active
/// again. A tape is neither copyable nor movable: Vars refer to it. Using a
/// Var after reset(), or with a tape it was not recorded on, throws
/// slope::tape_error.
///
/// Threads: a tape is active on at most one thread, the one whose stack of
/// tapes it is on (the constructing thread, until it is deactivated there or
/// activated on another thread after that). Calling activate() or
/// deactivate() on another thread throws slope::tape_error; destroying it on
/// another thread while it is still on a live thread's stack terminates the
/// program with a message (as destroying a joinable std::thread does), since
/// that thread would otherwise keep a dangling pointer. To hand a tape to a
/// worker, deactivate() it where it was made and activate() it in the
/// worker. When a thread ends, the tapes on its stack are taken off it.
template <class T>
class Tape {
 public:
  using value_type = T;
  using index_type = std::uint32_t;

  Tape() : epoch_(detail::next_epoch()), fold_tag_(epoch_) { push_active(); }
  ~Tape() {
    if (stack_ != nullptr && stack_ != &detail::active_tape<T>()) [[unlikely]]
      detail::terminate_foreign_destruction();
    unlink();
  }
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  /// The thread's active tape for T, or nullptr if there is none.
  static Tape* active() noexcept { return detail::active_tape<T>(); }

  /// The thread's active tape for T; throws slope::tape_error if there is none.
  /// `what` names the operation that needed it, for the message.
  SLOPE_INLINE static Tape& current(const char* what = "recording") {
    Tape* t = detail::active_tape<T>();
    if (t == nullptr) [[unlikely]]
      detail::throw_no_tape(what);
    return *t;
  }

  /// Makes this the calling thread's active tape (until another is activated,
  /// one is constructed, or this one is destroyed). Throws slope::tape_error
  /// if the tape is on another thread's stack: deactivate() it there first.
  void activate() {
    check_thread("activate");
    unlink();
    push_active();
  }
  /// Removes this tape from the thread's tapes: the one active before it (if
  /// any) becomes active again. Throws slope::tape_error if the tape is on
  /// another thread's stack.
  void deactivate() {
    check_thread("deactivate");
    unlink();
  }
  bool is_active() const noexcept { return active() == this; }

  /// Forgets every statement, keeping the allocated memory. Vars recorded so
  /// far become invalid: using them throws slope::tape_error. A tracing tape
  /// stays tracing. Throws slope::tape_error only when the process has used
  /// up its recording tags (see detail::next_epoch: not in practice).
  void reset() {
    epoch_ = detail::next_epoch();
    fold_tag_ = each_operation() ? ~epoch_ : epoch_;
    statements_ = 1;
    operands_ = 0;
    swept_ = 0;
    frozen_ = 0;
    names_.clear();
    values_.clear();
  }

  /// Turns tracing on or off for what is recorded from now on. While tracing,
  /// every operation on a Var (unary ones, and ones with a constant operand,
  /// too) records a statement of its own, with its primitive's name and its
  /// value, instead of being folded into a Var's partial: the recording then
  /// has one statement per operation, for printing (`fmt::print("{}", tape)`)
  /// and drawing (slope::to_dot). Derivatives are the same either way, up to
  /// rounding (folding multiplies partials forward, the sweep backward, so
  /// the products are formed in another order); tracing costs time and
  /// memory, so it is meant for small graphs.
  void trace(bool on = true) noexcept {
    tracing_ = on;
    each_operation_ = tracing_ || anomalies_;
    fold_tag_ = each_operation() ? ~epoch_ : epoch_;
  }
  bool tracing() const noexcept { return tracing_; }

  /// Anomaly mode, for finding where a NaN or an infinity comes from. While
  /// it is on, the tape records as if tracing (one named statement per
  /// operation, with its value), and:
  /// - recording an operation whose operands are finite throws
  ///   slope::anomaly_error if its value is NaN or infinite (log of a
  ///   negative, 0/0, exp(1000)) or a partial is NaN (pow(-2, p) in p);
  /// - a sweep (of a recording made in this mode) throws slope::anomaly_error
  ///   at the first statement whose finite adjoint, passed to an operand,
  ///   becomes infinite or NaN (sqrt at 0, whose partial is +inf, in
  ///   sqrt(x) at x = 0), or makes an operand's adjoint overflow.
  /// The message names the operation, its statement index, its value and
  /// its operands' values. An infinite partial alone is not an anomaly: it
  /// is the right derivative at the end of a domain, and harmless where
  /// nothing depends on it. Operations on constants only are not recorded
  /// and not checked. When off (the default), it costs nothing: the test is
  /// the one that sends traced operations to their own path, and one per
  /// sweep.
  void detect_anomalies(bool on = true) noexcept {
    anomalies_ = on;
    each_operation_ = tracing_ || anomalies_;
    fold_tag_ = each_operation() ? ~epoch_ : epoch_;
  }
  bool detecting_anomalies() const noexcept { return anomalies_; }
  /// Whether every operation records a statement of its own, with its name
  /// and value: while tracing or detecting anomalies.
  bool each_operation() const noexcept { return each_operation_; }

  /// The name of statement i: its primitive's name ("sum", "dot", "fma"
  /// for n-ary ones) if it was recorded while tracing; otherwise "input" for
  /// an input and "op" for an operation; an empty view if there is no
  /// statement i.
  std::string_view name(index_type i) const noexcept {
    if (i < names_.size() && !names_[i].empty()) return names_[i];
    if (i == 0 || i >= statements_) return {};
    return is_input(i) ? "input" : "op";
  }
  /// Whether the value of statement i is known (it was recorded while
  /// tracing), and then value(i) is that value.
  bool has_value(index_type i) const noexcept { return i < names_.size() && !names_[i].empty(); }
  T value(index_type i) const { return i < values_.size() ? values_[i] : T(0); }

  /// Reserves room for this many statements and operands (beyond the ones
  /// recorded), so that recording them allocates nothing. Throws
  /// slope::tape_error if that is more than the tape's 32-bit indices can
  /// address, and std::bad_alloc if the memory cannot be had; either way the
  /// tape is left exactly as it was.
  void reserve(std::size_t statements, std::size_t operands) {
    if (statements > max_size - statements_ || operands > max_size - operands_)
      detail::throw_reserve(statements, operands, size(), operands_);
    grow(statements_ + statements, operands_ + operands);
  }

  /// Number of recorded statements (inputs and operations).
  std::size_t size() const noexcept { return statements_ - 1; }
  /// The index the next statement will get: every statement of the current
  /// recording has a smaller one.
  index_type next_index() const noexcept { return static_cast<index_type>(statements_); }
  /// Number of recorded (partial, operand) pairs.
  std::size_t operands() const noexcept { return operands_; }
  /// Bytes of memory the tape holds now (its capacity, not its size). Of a
  /// large tape's arrays, only the pages written take physical memory
  /// (buffer.hpp): what is recorded, and what the last sweep reached.
  std::size_t memory() const noexcept {
    return end_.size() * sizeof(index_type) + arg_.size() * sizeof(index_type) +
           partial_.size() * sizeof(T) + adjoint_.size() * sizeof(T) +
           names_.capacity() * sizeof(std::string_view) + values_.capacity() * sizeof(T);
  }
  /// The tag every Var recorded since the last reset carries.
  std::uint64_t epoch() const noexcept { return epoch_; }

  // -------------------------------------------------------- recording ----
  // Low level: the Var layer calls these. Operand indices must be active
  // statements of this recording (checked by verify()).

  /// Throws slope::tape_error unless (index, tag) names a statement of the
  /// current recording of this tape.
  SLOPE_INLINE void verify(index_type index, std::uint64_t tag, const char* what) const {
    if (tag != epoch_ || index >= statements_) [[unlikely]]
      detail::throw_foreign(what, index, tag, epoch_, size());
  }

  /// verify(), and whether the tape is tracing: fold_check() (one tag test
  /// that also tells tracing apart) plus the index test that an operand
  /// about to be recorded needs.
  SLOPE_INLINE bool verify_tracing(index_type index, std::uint64_t tag, const char* what) const {
    if (index >= statements_) [[unlikely]]
      verify(index, tag, what);  // throws
    return fold_check(index, tag, what);
  }

  /// verify_tracing() for an operation that records nothing (it is folded
  /// into a Var's partial), which needs only the tag test: a Var carrying
  /// this recording's tag came from it, and an index is checked where it is
  /// recorded or swept from.
  SLOPE_INLINE bool fold_check(index_type index, std::uint64_t tag, const char* what) const {
    if (tag != fold_tag_) [[unlikely]] {
      verify(index, tag, what);
      return each_operation();
    }
    return false;
  }

  /// Records a name and value for statement i (the Var layer does this for
  /// each statement while tracing).
  void annotate(index_type i, std::string_view name, const T& value) {
    if (names_.size() <= i) {
      names_.resize(static_cast<std::size_t>(i) + 1);
      values_.resize(static_cast<std::size_t>(i) + 1);
    }
    names_[i] = name;
    values_[i] = value;
  }

  /// Records an independent variable (a statement with no operands).
  SLOPE_INLINE index_type new_input() {
    make_room(0);
    end_ptr_[statements_] = static_cast<index_type>(operands_);
    return static_cast<index_type>(statements_++);
  }
  /// Records n inputs at once and returns the first one's index (the others
  /// follow it). Throws slope::tape_error past the 32-bit index space, and
  /// std::bad_alloc if growing fails; either way nothing is recorded.
  index_type new_inputs(std::size_t n) {
    if (n > statement_capacity_ - statements_) {
      if (n > max_size - statements_) detail::throw_full(statements_ + n, operands_);
      // The capacity n inputs made one by one would reach (doubling), so
      // that what follows them does not double it again at once.
      std::size_t capacity = std::max(statement_capacity_, std::size_t(1024));
      while (capacity < statements_ + n) capacity = std::min(max_size, 2 * capacity);
      grow(capacity, operands_);
    }
    std::fill_n(end_ptr_ + statements_, n, static_cast<index_type>(operands_));
    const std::size_t first = statements_;
    statements_ += n;
    return static_cast<index_type>(first);
  }
  /// Records a statement with one operand.
  index_type record(index_type a, const T& da) {
    make_room(1);
    arg_ptr_[operands_] = a;
    partial_ptr_[operands_] = da;
    operands_ += 1;
    end_ptr_[statements_] = static_cast<index_type>(operands_);
    return static_cast<index_type>(statements_++);
  }
  /// Records a statement with two operands.
  SLOPE_INLINE index_type record(index_type a, const T& da, index_type b, const T& db) {
    make_room(2);
    arg_ptr_[operands_] = a;
    arg_ptr_[operands_ + 1] = b;
    partial_ptr_[operands_] = da;
    partial_ptr_[operands_ + 1] = db;
    operands_ += 2;
    end_ptr_[statements_] = static_cast<index_type>(operands_);
    return static_cast<index_type>(statements_++);
  }

  // ------------------------------------------ extending the last statement ----
  // A Var that owns its statement (the only Var that refers to it; see
  // Var) may add operands to it while it is the last one, and the last
  // statement may be merged into the one before it: `z += w * x` grows one
  // statement instead of recording one per term.

  /// Whether a Var tagged `tag` is of this recording, and the tape is not
  /// tracing (operations may then record nothing).
  SLOPE_INLINE bool folds(std::uint64_t tag) const noexcept { return tag == fold_tag_; }
  /// Whether statement `index` of the recording tagged `tag` is the last
  /// one and may grow: not while tracing or detecting anomalies, where every
  /// operation is a statement of its own.
  SLOPE_INLINE bool can_extend(index_type index, std::uint64_t tag) const noexcept {
    return tag == fold_tag_ && index + std::size_t(1) == statements_ && index >= frozen_;
  }
  /// Statements up to `index` never grow or merge again: a Var other than
  /// its owner refers to statement `index` (a slope::sum or dot whose terms
  /// all fell on it, folded into a partial).
  void freeze(index_type index) noexcept { frozen_ = std::max(frozen_, std::size_t(index) + 1); }
  /// Adds the operand (a, da) to the last statement (can_extend()). Throws
  /// what growing throws, with nothing changed.
  SLOPE_INLINE void extend_last(index_type a, const T& da) {
    if (operands_ == operand_capacity_) [[unlikely]]
      grow(statements_, operands_ + 1);
    arg_ptr_[operands_] = a;
    partial_ptr_[operands_] = da;
    ++operands_;
    end_ptr_[statements_ - 1] = static_cast<index_type>(operands_);
  }
  /// Whether the last statement (`last`) may be merged into statement
  /// `into`, the one before it, by merge_last(): both of the recording
  /// tagged `tag` (not tracing), and the last not reading `into` (which
  /// would make `into` an operand of itself).
  SLOPE_INLINE bool can_merge(index_type into, index_type last, std::uint64_t tag) const noexcept {
    if (tag != fold_tag_ || last + std::size_t(1) != statements_ || into + 1 != last ||
        into < frozen_)
      return false;
    for (std::size_t j = end_ptr_[last - 1]; j < end_ptr_[last]; ++j)
      if (arg_ptr_[j] == into) return false;
    return true;
  }
  /// Merges the last statement into the one before it (can_merge()): their
  /// operands become one statement, the one before's (negated with
  /// NegateFirst) and the last's (negated with NegateLast), and the last
  /// index is free again. Adjoints of a sweep before it are no longer valid
  /// from that index on.
  template <bool NegateFirst, bool NegateLast>
  SLOPE_INLINE void merge_last() noexcept {
    const std::size_t last = statements_ - 1;
    if constexpr (NegateFirst)
      for (std::size_t j = end_ptr_[last - 2]; j < end_ptr_[last - 1]; ++j)
        partial_ptr_[j] = -partial_ptr_[j];
    if constexpr (NegateLast)
      for (std::size_t j = end_ptr_[last - 1]; j < end_ptr_[last]; ++j)
        partial_ptr_[j] = -partial_ptr_[j];
    end_ptr_[last - 1] = end_ptr_[last];
    statements_ = last;
    swept_ = std::min(swept_, statements_);
  }

  /// Where the operands of a statement being built go: see open_statement().
  struct OperandSlots {
    index_type* args;
    T* partials;
  };
  /// Makes room for a statement of up to n operands and returns where to
  /// write them; close_statement(k) then records the statement with the
  /// first k of them. Nothing is recorded until then.
  SLOPE_INLINE OperandSlots open_statement(std::size_t n) {
    make_room(n);
    return {arg_ptr_ + operands_, partial_ptr_ + operands_};
  }
  SLOPE_INLINE index_type close_statement(std::size_t k) noexcept {
    operands_ += k;
    end_ptr_[statements_] = static_cast<index_type>(operands_);
    return static_cast<index_type>(statements_++);
  }
  /// close_statement(k) for a statement being built whose `unfolds`
  /// operands could not absorb their Var's partial: each is noted past the
  /// n operand slots, at n + 1 + u, as (the operand slot, the Var's partial p),
  /// while the slot holds (statement s, local partial d). Records a
  /// statement (s, p) in front of the one being built for each, points the
  /// slot at it, and moves the k operands past them.
  index_type close_unfolded(std::size_t k, std::size_t n, std::size_t unfolds) {
    if (unfolds == 0) return close_statement(k);
    const index_type* a = arg_ptr_ + operands_;
    const T* p = partial_ptr_ + operands_;
    std::vector<index_type> args(a, a + k);
    std::vector<T> partials(p, p + k);
    std::vector<std::pair<index_type, T>> notes(unfolds);
    for (std::size_t u = 0; u < unfolds; ++u) notes[u] = {a[n + 1 + u], p[n + 1 + u]};
    for (const auto& [slot, partial] : notes) args[slot] = record(args[slot], partial);
    const OperandSlots slots = open_statement(k);
    std::copy(args.begin(), args.end(), slots.args);
    std::copy(partials.begin(), partials.end(), slots.partials);
    return close_statement(k);
  }

  // ------------------------------------------------------------ sweep ----

  /// Reverse sweep from statement `output` with adjoint `seed`: afterwards
  /// adjoint(i) is seed * d(output)/d(statement i). Every call starts from
  /// zero adjoints, so sweeping twice gives the same numbers. In anomaly
  /// mode, throws slope::anomaly_error where an adjoint first becomes
  /// infinite or NaN (see detect_anomalies).
  void sweep(index_type output, const T& seed = T(1));

  /// Anomaly mode: throws slope::anomaly_error if statement i, just
  /// recorded with its value annotated, is a NaN or an infinity (or has a
  /// NaN partial) made from finite operands. `operands` are the operation's
  /// operand values (the Var layer knows them); if it is empty, the values
  /// recorded for the operand statements are used.
  void check_recorded(index_type i, std::span<const T> operands) const;

  /// Whether statement i is an input (a statement without operands).
  bool is_input(index_type i) const noexcept {
    return i > 0 && i < statements_ && end_ptr_[i] == end_ptr_[i - 1];
  }

  /// The adjoint of input x after the last sweep: what the derivative
  /// functions read for each variable. Throws slope::tape_error unless x is
  /// an input of the current recording (a Var constructed from a number, or
  /// a copy of one): derivatives are with respect to inputs, never with
  /// respect to a constant or an intermediate result, even one that shares
  /// an input's statement with partial 1 (x + 5.0). One test on the common
  /// path.
  template <class V>
  SLOPE_INLINE T input_adjoint(const V& x) const {
    return input_adjoint(x, epoch_, end_ptr_, adjoint_.data());
  }
  /// input_adjoint() for each Var of xs, into out, with the tape's state
  /// read once for the whole loop.
  template <class V>
  void input_adjoints(std::span<const V> xs, std::span<T> out) const {
    const std::uint64_t epoch = epoch_;
    const index_type* end = end_ptr_;
    const T* adjoint = adjoint_.data();
    for (std::size_t k = 0; k < xs.size(); ++k) out[k] = input_adjoint(xs[k], epoch, end, adjoint);
  }

  /// The adjoint of statement i after the last sweep; 0 for statements the
  /// output does not depend on and for index 0 (constants).
  T adjoint(index_type i) const { return i < swept_ ? adjoint_[i] : T(0); }
  /// Whether the last sweep (since the last reset) reached statement i: it
  /// started at or above i.
  bool has_adjoint(index_type i) const noexcept { return i > 0 && i < swept_; }

  // Read-only views of the recording, for printers and tests: end offsets of
  // statements 0 (the sentinel) to size(), and the operands.
  std::span<const index_type> statement_ends() const noexcept { return {end_ptr_, statements_}; }
  std::span<const index_type> operand_indices() const noexcept { return {arg_ptr_, operands_}; }
  std::span<const T> partials() const noexcept { return {partial_ptr_, operands_}; }

 private:
  friend struct detail::StackGuard<T>;

  // Room for one more statement with n operands; grows geometrically.
  SLOPE_INLINE void make_room(std::size_t n) {
    if (statements_ == statement_capacity_ || n > operand_capacity_ - operands_) [[unlikely]]
      grow(statements_ + 1, operands_ + n);
  }
  void grow(std::size_t statements, std::size_t operands);
  void sweep_checked(index_type output);
  [[noreturn]] void throw_sweep_anomaly(index_type i, std::size_t j, const T& adjoint,
                                        const T& before) const;

  template <class V>
  SLOPE_INLINE T input_adjoint(const V& x, std::uint64_t epoch, const index_type* end,
                               const T* adjoint) const {
    // Only a Var made as an input carries the input flag; a tag of this
    // recording comes with an index below statements_ (Vars are made by the
    // tape), and the index tests guard the low-level constructor.
    const index_type index = x.index();
    if (!x.is_input() || x.tag() != epoch || index == 0 || index >= statements_ ||
        end[index] != end[index - 1]) [[unlikely]] {
      if (x.is_constant()) detail::throw_constant_wrt();
      verify(index, x.tag(), "derivatives with respect to a Var");
      detail::throw_not_input(index, index > 0 && end[index] == end[index - 1]);
    }
    return index < swept_ ? adjoint[index] : T(0);
  }

  void check_thread(const char* what) const {
    if (stack_ != nullptr && stack_ != &detail::active_tape<T>()) [[unlikely]]
      detail::throw_other_thread(what);
  }
  void push_active() {
    // The first tape active on a thread makes its guard, which takes the
    // thread's remaining tapes off its stack when the thread ends.
    static thread_local detail::StackGuard<T> guard;
    (void)guard;
    Tape*& top = detail::active_tape<T>();
    below_ = top;
    top = this;
    stack_ = &top;
  }
  void unlink() noexcept {
    // Remove this tape from its thread's stack of tapes wherever it is, so
    // tapes may be destroyed in any order. Callers have checked that the
    // stack is this thread's.
    if (stack_ == nullptr) return;
    for (Tape** p = stack_; *p != nullptr; p = &(*p)->below_) {
      if (*p == this) {
        *p = below_;
        break;
      }
    }
    below_ = nullptr;
    stack_ = nullptr;
  }

  // Indices and operand offsets are 32-bit: past this, recording throws.
  static constexpr std::size_t max_size = 0xFFFFFFF0u;

  // Storage, used up to statements_ and operands_; the buffers own it and
  // the pointers address it. end_[0] = 0 is the sentinel statement.
  detail::Buffer<index_type> end_{1};
  detail::Buffer<index_type> arg_;
  detail::Buffer<T> partial_;
  detail::Buffer<T> adjoint_;
  index_type* end_ptr_ = end_.data();
  index_type* arg_ptr_ = nullptr;
  T* partial_ptr_ = nullptr;
  std::size_t statement_capacity_ = 1;  // end_.size(), and the smaller of arg_.size()
  std::size_t operand_capacity_ = 0;    // and partial_.size(), kept here for make_room()
  std::size_t statements_ = 1;          // including the sentinel
  std::size_t operands_ = 0;
  std::size_t swept_ = 0;               // adjoints valid below this index
  std::size_t frozen_ = 0;              // statements below this index never grow (freeze())
  std::uint64_t epoch_;
  std::uint64_t fold_tag_;  // epoch_, or ~epoch_ while tracing: see verify_tracing()
  bool tracing_ = false;
  bool anomalies_ = false;
  bool each_operation_ = false;  // tracing_ || anomalies_, read as one flag per new input
  // While tracing: the name and value of each statement ("" for statements
  // recorded while not tracing).
  std::vector<std::string_view> names_;
  std::vector<T> values_;
  Tape* below_ = nullptr;      // the next tape down this thread's stack
  Tape** stack_ = nullptr;     // the top of the stack this tape is on, if any
};

namespace detail {
template <class T>
StackGuard<T>::~StackGuard() {
  Tape<T>*& top = active_tape<T>();
  for (Tape<T>* t = top; t != nullptr;) {
    Tape<T>* below = t->below_;
    t->below_ = nullptr;
    t->stack_ = nullptr;
    t = below;
  }
  top = nullptr;
}
}  // namespace detail

template <class T>
void Tape<T>::grow(std::size_t statements, std::size_t operands) {
  if (statements > max_size || operands > max_size) detail::throw_full(statements, operands);
  // Double what is needed (at least 1024), so a long recording reallocates
  // O(log n) times; reset() keeps it all.
  auto target = [](std::size_t need, std::size_t have) {
    if (need <= have) return have;
    return std::min(max_size, std::max({need, 2 * have, std::size_t(1024)}));
  };
  // Strong guarantee: each buffer keeps its contents when it grows, and
  // changes nothing if it fails; if a later one fails, the earlier ones are
  // shrunk back, so a std::bad_alloc leaves the tape exactly as it was.
  // Buffers keep the whole old array, not only the recorded part: a
  // statement being built (open_statement) has operands beyond operands_.
  const std::size_t st = target(statements, statement_capacity_);
  const std::size_t op = target(operands, operand_capacity_);
  // (Mapped pages may move as they grow or shrink: the pointers are read
  // again either way.)
  auto install = [this] {
    end_ptr_ = end_.data();
    arg_ptr_ = arg_.data();
    partial_ptr_ = partial_.data();
    statement_capacity_ = end_.size();
    operand_capacity_ = std::min(arg_.size(), partial_.size());
  };
  const std::size_t had_end = end_.size(), had_arg = arg_.size(), had_partial = partial_.size();
  try {
    end_.grow(st);
    arg_.grow(op);
    partial_.grow(op);
  } catch (...) {
    end_.shrink(had_end);
    arg_.shrink(had_arg);
    partial_.shrink(had_partial);
    install();
    throw;
  }
  install();
}

template <class T>
void Tape<T>::sweep(index_type output, const T& seed) {
  if (output >= statements_) detail::throw_foreign("sweep", output, epoch_, epoch_, size());
  const std::size_t n = static_cast<std::size_t>(output) + 1;
  if (adjoint_.size() < n) adjoint_.grow(std::max(n, end_.size()));
  std::fill_n(adjoint_.data(), n, T(0));
  swept_ = n;
  if (output == 0) return;  // a constant: every derivative is 0
  adjoint_[output] = seed;
  if (anomalies_) [[unlikely]] {
    sweep_checked(output);
    return;
  }
  const index_type* end = end_ptr_;
  const index_type* arg = arg_ptr_;
  const T* partial = partial_ptr_;
  T* adj = adjoint_.data();
  // One pass down the statements; each operand is one multiply-add into the
  // adjoint it names, with no test of which statement it is (keeping the
  // contribution to the statement just below in a register instead measured
  // slower, on chains too).
  using std::abs;
  index_type hi = end[output];
  for (index_type i = output; i > 0; --i) {
    const index_type lo = end[i - 1];
    const T a = adj[i];
    // Inputs (no operands) are passed over at once. Skipping zero adjoints
    // is what keeps a statement the output does not depend on (say sqrt at
    // 0, partial +inf) from writing 0 * inf = NaN.
    if (lo != hi && !detail::is_zero(a)) {
      // Operand j receives partial[j] * a. Under an infinite (or NaN) adjoint
      // a zero partial still carries nothing, instead of inf * 0 = NaN (as
      // in sqrt(x) * 0 at x = 0): that test is compiled into the rare loop
      // only.
      auto spread = [&](auto careful) {
        for (std::size_t j = lo; j < hi; ++j) {
          if constexpr (decltype(careful)::value) {
            if (detail::is_zero(partial[j])) continue;
            adj[arg[j]] += detail::careful_product(partial[j], a);
          } else if constexpr (is_dual_v<T>) {
            // A Dual adjoint can be 0 in value with a tangent, or the reverse,
            // and a partial infinite in one component: a product with a
            // non-finite component is formed again, dropping zero factors.
            T c = partial[j] * a;
            if (!detail::all_finite(c)) [[unlikely]]
              c = detail::careful_product(partial[j], a);
            adj[arg[j]] += c;
          } else {
            adj[arg[j]] += partial[j] * a;
          }
        }
      };
      bool finite;
      if constexpr (is_dual_v<T>)
        finite = detail::all_finite(a);
      else
        finite = abs(a) <= std::numeric_limits<T>::max();  // false for NaN too
      if (!finite) [[unlikely]]
        spread(std::true_type{});
      else
        spread(std::false_type{});
    }
    hi = lo;
  }
}

template <class T>
void Tape<T>::check_recorded(index_type i, std::span<const T> operands) const {
  using detail::all_finite;
  const std::size_t lo = end_ptr_[i - 1], hi = end_ptr_[i];
  std::string values;  // the operands' values, for the message
  auto note = [&](const std::string& v) { values += (values.empty() ? "" : ", ") + v; };
  if (!operands.empty()) {
    for (const T& v : operands) {
      if (!all_finite(v)) return;  // a NaN or infinity made elsewhere, propagated
      note(detail::number_string_of(v));
    }
  } else {
    for (std::size_t j = lo; j < hi; ++j) {
      if (!has_value(arg_ptr_[j])) {
        note("?");
        continue;
      }
      if (!all_finite(values_[arg_ptr_[j]])) return;
      note(detail::number_string_of(values_[arg_ptr_[j]]));
    }
  }
  std::string what;
  if (!all_finite(values_[i]))
    what = "the value " + detail::number_string_of(values_[i]);
  for (std::size_t j = lo; j < hi && what.empty(); ++j)
    if (detail::has_nan(partial_ptr_[j]))
      what = "a NaN partial derivative towards statement " + std::to_string(arg_ptr_[j]) +
             " (value " + detail::number_string_of(values_[i]) + ")";
  if (what.empty()) return;
  detail::throw_anomaly(i, name(i),
                        "slope: anomaly while recording: " + std::string(name(i)) +
                            " (statement " + std::to_string(i) + ") of the finite operands (" +
                            values + ") gave " + what);
}

template <class T>
void Tape<T>::throw_sweep_anomaly(index_type i, std::size_t j, const T& adjoint,
                                  const T& before) const {
  auto described = [&](index_type k) {
    std::string d = std::string(name(k)) + " (statement " + std::to_string(k);
    if (has_value(k)) d += ", value " + detail::number_string_of(values_[k]);
    return d + ")";
  };
  const T contribution = partial_ptr_[j] * adjoint;
  detail::throw_anomaly(
      i, name(i),
      "slope: anomaly in the reverse sweep: " + described(i) + " has the finite adjoint " +
          detail::number_string_of(adjoint) + "; its partial " +
          detail::number_string_of(partial_ptr_[j]) + " towards its operand " +
          described(arg_ptr_[j]) + " makes that operand's adjoint " +
          detail::number_string_of(T(before + contribution)) + " (" +
          detail::number_string_of(before) + " + " + detail::number_string_of(contribution) + ")");
}

template <class T>
void Tape<T>::sweep_checked(index_type output) {
  // The sweep's loop with a test per operand: every adjoint stays finite, or
  // the first statement that makes one infinite or NaN is reported.
  using detail::all_finite;
  const index_type* end = end_ptr_;
  T* adj = adjoint_.data();
  for (index_type i = output; i > 0; --i) {
    const T a = adj[i];
    if (detail::is_zero(a) || !all_finite(a)) continue;  // an infinite seed is the caller's
    for (std::size_t j = end[i - 1]; j < end[i]; ++j) {
      const T before = adj[arg_ptr_[j]];
      const T after = before + partial_ptr_[j] * a;
      if (!all_finite(after) && all_finite(before)) [[unlikely]]
        throw_sweep_anomaly(i, j, a, before);
      adj[arg_ptr_[j]] = after;
    }
  }
}

extern template class Tape<float>;
extern template class Tape<double>;
extern template class Tape<long double>;

}  // namespace slope
