// SPDX-License-Identifier: MIT
/** \file
 * The numeric value of a block diagram, when it has one: `(2,3):+` is 5,
 * `1.0/3` is 0.333..., `par(i,2,i) : max` is 1, `hslider(...)` is unknown.
 *
 * The evaluator needs constants where Faust needs them at compile time: iteration
 * counts, widget parameters, route connections, `%i` labels, and the numeric
 * simplification of arguments and patterns (so that `N-1` matches a rule for `1`).
 * Values flow through the boxes as Faust's signal propagation would carry them,
 * and primitives fold with Faust 2.54.9's rules (faust-semantics.md 2.2): int32
 * wrapping arithmetic; `/` of two ints is an int only when exact; `%` always folds
 * as `int(x) % int(y)`; `int^int` with a positive exponent stays int; comparisons
 * give int 0/1; math functions give reals computed in double; division or `%` by
 * zero and out-of-domain sqrt/log/asin/acos are errors (`NumericFault`).
 * Algebraic identities Faust's simplifier applies with unknown operands are kept
 * where they decide constness: `x*0` is 0, `x@0` is x, `select2(c,a,b)` with a
 * constant selector is the selected branch.
 *
 * Results of boxes whose inputs are all unknown are cached by box, so asking for
 * the constant of a large diagram many times stays linear. Depth and steps are
 * bounded (NumericFault::Kind::TooDeep / TooManySteps).
 */
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "boxes/box.h"

namespace tutti::eval {

/// A compile-time number: an int32 or a double.
struct Num {
    bool is_int = true;
    std::int32_t i = 0;
    double r = 0;

    static Num of_int(std::int32_t v) {
        return Num{true, v, 0};
    }
    static Num of_real(double v) {
        return Num{false, 0, v};
    }
    double real() const {
        return is_int ? double(i) : r;
    }
    /// Truncation toward zero, as Faust's tree2int (x86: out of range gives INT_MIN).
    std::int32_t to_int() const;
    bool operator==(const Num& o) const;
    std::string str() const;
};

using MaybeNum = std::optional<Num>;

/// Thrown when folding hits an error Faust reports at compile time.
struct NumericFault {
    enum class Kind { DivisionByZero, RemainderByZero, OutOfDomain, TooDeep, TooManySteps };
    Kind kind;
    std::string what; ///< the operation, e.g. "1 / 0", "sqrt(-4)"
};

/// Folds one primitive applied to `args` (prim_inputs(op) of them); nullopt when
/// the result is not a compile-time number.
MaybeNum fold_prim(ast::PrimOp op, std::span<const MaybeNum> args);

class NumericEvaluator {
public:
    /// `steps` is shared with the caller's budget; `max_depth` bounds nesting.
    NumericEvaluator(boxes::BoxContext& boxes, std::uint64_t& steps, std::uint64_t max_steps,
                     std::uint32_t max_depth)
        : boxes_(boxes), steps_(steps), max_steps_(max_steps), max_depth_(max_depth) {
    }

    /// Where the stack of the evaluating thread starts and how much may be used.
    void set_stack_limit(const char* base, std::size_t usable) {
        stack_base_ = base;
        stack_usable_ = usable;
    }

    /// The number a 0->1 box denotes, if any.
    MaybeNum constant(const boxes::Box* b);

    /// The outputs of `b` given its inputs (nullopt: unknown).
    std::vector<MaybeNum> outputs(const boxes::Box* b, std::span<const MaybeNum> inputs);

    /// Int or Real box of a number.
    const boxes::Box* box_of(const Num& n) {
        return n.is_int ? boxes_.make_int(n.i) : boxes_.make_real(n.r);
    }

private:
    void propagate(const boxes::Box* b, std::span<const MaybeNum> in, std::span<MaybeNum> out);
    void propagate_uncached(const boxes::Box* b, std::span<const MaybeNum> in,
                            std::span<MaybeNum> out);

    boxes::BoxContext& boxes_;
    std::uint64_t& steps_;
    std::uint64_t max_steps_;
    std::uint32_t max_depth_;
    std::uint32_t depth_ = 0;
    const char* stack_base_ = nullptr;
    std::size_t stack_usable_ = 0;
    /// Slot number -> value, while propagating inside Symbolic boxes.
    std::vector<std::pair<std::int32_t, MaybeNum>> slots_;
    /// Outputs of boxes whose inputs are all unknown, by box id (null: not computed).
    std::vector<std::unique_ptr<std::vector<MaybeNum>>> unknown_cache_;
    std::unordered_map<const boxes::Box*, MaybeNum> constants_;
};

} // namespace tutti::eval
