// SPDX-License-Identifier: MIT
// Compile-time folding of primitives (faust-semantics.md 2.2), each case checked
// against what the installed faust folds (`faust -e` on `(a,b) : op`).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "eval/numeric.h"
#include "support/arena.h"
#include "support/interner.h"

using tutti::ast::PrimOp;
using tutti::eval::fold_prim;
using tutti::eval::MaybeNum;
using tutti::eval::Num;
using tutti::eval::NumericFault;

namespace {

Num I(std::int32_t v) {
    return Num::of_int(v);
}
Num R(double v) {
    return Num::of_real(v);
}
MaybeNum fold(PrimOp op, std::initializer_list<MaybeNum> args) {
    return fold_prim(op, std::span<const MaybeNum>(args.begin(), args.size()));
}
std::string show(MaybeNum n) {
    if (!n) {
        return "unknown";
    }
    return (n->is_int ? "int " : "real ") + n->str();
}

TEST(NumericFold, IntArithmeticWraps) {
    EXPECT_EQ(show(fold(PrimOp::Add, {I(2147483647), I(1)})), "int -2147483648");
    EXPECT_EQ(show(fold(PrimOp::Mul, {I(65536), I(65536)})), "int 0");
    EXPECT_EQ(show(fold(PrimOp::Sub, {I(3), R(0.5)})), "real 2.5");
}

TEST(NumericFold, DivisionIsIntOnlyWhenExact) {
    EXPECT_EQ(show(fold(PrimOp::Div, {I(4), I(2)})), "int 2");
    EXPECT_EQ(show(fold(PrimOp::Div, {I(7), I(2)})), "real 3.5");
    EXPECT_EQ(show(fold(PrimOp::Div, {I(-7), I(2)})), "real -3.5");
    EXPECT_EQ(show(fold(PrimOp::Div, {R(4), I(2)})), "real 2");
    EXPECT_THROW(fold(PrimOp::Div, {I(1), I(0)}), NumericFault);
    EXPECT_THROW(fold(PrimOp::Div, {R(1), R(0)}), NumericFault);
}

TEST(NumericFold, RemainderFoldsAsIntegers) {
    EXPECT_EQ(show(fold(PrimOp::Mod, {R(7.5), I(2)})), "int 1");
    EXPECT_EQ(show(fold(PrimOp::Mod, {R(-7.5), I(2)})), "int -1");
    EXPECT_EQ(show(fold(PrimOp::Mod, {I(-7), I(2)})), "int -1");
    EXPECT_THROW(fold(PrimOp::Mod, {I(1), I(0)}), NumericFault);
    EXPECT_EQ(show(fold(PrimOp::Fmod, {R(7.5), I(2)})), "real 1.5");
    EXPECT_EQ(show(fold(PrimOp::Fmod, {I(7), I(2)})), "real 1");
}

TEST(NumericFold, Power) {
    EXPECT_EQ(show(fold(PrimOp::Pow, {I(2), I(3)})), "int 8");
    EXPECT_EQ(show(fold(PrimOp::Pow, {I(2), I(31)})), "int -2147483648");
    EXPECT_EQ(show(fold(PrimOp::Pow, {I(2), I(0)})), "real 1");
    EXPECT_EQ(show(fold(PrimOp::Pow, {I(2), I(-1)})), "real 0.5");
    EXPECT_EQ(show(fold(PrimOp::Pow, {R(2), I(2)})), "real 4");
}

TEST(NumericFold, ComparisonsBitsAndShifts) {
    EXPECT_EQ(show(fold(PrimOp::Lt, {I(3), R(3.5)})), "int 1");
    EXPECT_EQ(show(fold(PrimOp::Eq, {R(7), I(7)})), "int 1");
    EXPECT_EQ(show(fold(PrimOp::And, {I(5), R(3.7)})), "int 1");
    EXPECT_EQ(show(fold(PrimOp::Lsh, {I(1), I(31)})), "int -2147483648");
    EXPECT_EQ(show(fold(PrimOp::Lsh, {I(1), I(33)})), "int 2");
    EXPECT_EQ(show(fold(PrimOp::Rsh, {I(-8), I(1)})), "int -4");
    EXPECT_EQ(show(fold(PrimOp::Xor, {I(1), I(2)})), "int 3");
}

TEST(NumericFold, CastsAndMath) {
    EXPECT_EQ(show(fold(PrimOp::IntCast, {R(-2.9)})), "int -2");
    EXPECT_EQ(show(fold(PrimOp::IntCast, {R(3e10)})), "int -2147483648");
    EXPECT_EQ(show(fold(PrimOp::FloatCast, {I(3)})), "real 3");
    EXPECT_EQ(show(fold(PrimOp::Abs, {I(-3)})), "int 3");
    EXPECT_EQ(show(fold(PrimOp::Floor, {I(3)})), "real 3");
    EXPECT_EQ(show(fold(PrimOp::Min, {I(2), R(3.5)})), "real 2");
    EXPECT_EQ(show(fold(PrimOp::Max, {I(2), I(3)})), "int 3");
    EXPECT_EQ(show(fold(PrimOp::Rint, {R(2.5)})), "real 2");
    EXPECT_EQ(fold(PrimOp::Sin, {I(1)})->r, std::sin(1.0));
    EXPECT_EQ(fold(PrimOp::Log, {I(0)})->r, -std::numeric_limits<double>::infinity());
    EXPECT_THROW(fold(PrimOp::Sqrt, {I(-4)}), NumericFault);
    EXPECT_THROW(fold(PrimOp::Log, {I(-1)}), NumericFault);
    EXPECT_THROW(fold(PrimOp::Asin, {I(2)}), NumericFault);
}

TEST(NumericFold, SelectorsAndIdentities) {
    MaybeNum unknown;
    EXPECT_EQ(show(fold(PrimOp::Select2, {I(0), I(2), I(3)})), "int 2");
    EXPECT_EQ(show(fold(PrimOp::Select2, {R(0.5), I(2), I(3)})), "int 3");
    EXPECT_EQ(show(fold(PrimOp::Select2, {I(1), unknown, I(3)})), "int 3");
    EXPECT_EQ(show(fold(PrimOp::Select3, {R(1.5), I(1), I(2), I(3)})), "int 3");
    EXPECT_EQ(show(fold(PrimOp::Select3, {I(1), I(1), I(2), I(3)})), "int 2");
    EXPECT_EQ(show(fold(PrimOp::Mul, {unknown, I(0)})), "int 0");
    EXPECT_EQ(show(fold(PrimOp::Delay, {I(3), I(0)})), "int 3");
    EXPECT_EQ(show(fold(PrimOp::Delay, {I(3), I(1)})), "unknown");
    EXPECT_EQ(show(fold(PrimOp::Mem, {I(3)})), "unknown");
    EXPECT_EQ(show(fold(PrimOp::Add, {unknown, I(0)})), "unknown");
}

TEST(NumericEvaluatorTest, PropagatesThroughCompositions) {
    tutti::Arena arena;
    tutti::Interner interner(arena);
    tutti::boxes::BoxContext bx(interner);
    std::uint64_t steps = 0;
    tutti::eval::NumericEvaluator ev(bx, steps, 1000000, 1000);
    using tutti::boxes::BoxKind;
    auto par = [&](auto a, auto b) { return bx.make_binary(BoxKind::Par, a, b); };
    auto seq = [&](auto a, auto b) { return bx.make_binary(BoxKind::Seq, a, b); };
    // (1,2,3) :> _  is 6
    auto three = par(bx.make_int(1), par(bx.make_int(2), bx.make_int(3)));
    EXPECT_EQ(show(ev.constant(bx.make_binary(BoxKind::Merge, three, bx.make_wire()))), "int 6");
    // 2 <: + is 4
    EXPECT_EQ(show(ev.constant(
                  bx.make_binary(BoxKind::Split, bx.make_int(2), bx.make_prim(PrimOp::Add)))),
              "int 4");
    // route(2,2,1,2,2,1) swaps
    const double pairs[] = {1, 2, 2, 1};
    auto r = bx.make_route(2, 2, pairs);
    auto out = ev.outputs(seq(par(bx.make_int(7), bx.make_int(8)), r), {});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(show(out[0]), "int 8");
    EXPECT_EQ(show(out[1]), "int 7");
    // a recursion or a widget is not a constant
    EXPECT_EQ(
        show(ev.constant(bx.make_binary(BoxKind::Rec, bx.make_prim(PrimOp::Add), bx.make_wire()))),
        "unknown");
    EXPECT_EQ(show(ev.constant(bx.make_button(interner.intern("b")))), "unknown");
    // symbolic boxes bind their slot: \(#1).(#1 * 2) applied to 21
    auto slot = bx.make_slot(1);
    auto body = seq(par(slot, bx.make_int(2)), bx.make_prim(PrimOp::Mul));
    auto fn = bx.make_symbolic(slot, body);
    EXPECT_EQ(show(ev.constant(seq(bx.make_int(21), fn))), "int 42");
}

TEST(NumericEvaluatorTest, BoundsStepsAndDepth) {
    tutti::Arena arena;
    tutti::Interner interner(arena);
    tutti::boxes::BoxContext bx(interner);
    std::uint64_t steps = 0;
    tutti::eval::NumericEvaluator ev(bx, steps, 100, 1000);
    const tutti::boxes::Box* b = bx.make_int(1);
    for (int k = 0; k < 200; ++k) {
        b = bx.make_binary(tutti::boxes::BoxKind::Seq, b, bx.make_wire());
    }
    EXPECT_THROW(ev.constant(b), NumericFault);
}

} // namespace
