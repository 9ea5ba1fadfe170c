// SPDX-License-Identifier: MIT
// One broken module per verifier rule: each is rejected with a message that
// names the problem; the well-formed pattern modules pass.
#include <gtest/gtest.h>

#include <functional>
#include <limits>

#include "dsp_patterns.h"
#include "ir/builder.h"
#include "ir/ir_verifier.h"

namespace {

using namespace tutti::ir;

/// A valid single-precision module (1 in, 1 out) with a scalar real field
/// `fRec0`, an array `fVec0[8]`, an I32 field `IOTA0`, and locals
/// compute: f (real) and i (i32); the test then adds one broken thing.
struct Fixture {
    std::unique_ptr<Module> m = std::make_unique<Module>();
    Builder b{*m};
    std::uint32_t rec, vec, iota, f, i;
    Fixture() {
        m->real = Type::F32;
        m->num_inputs = 1;
        m->num_outputs = 1;
        rec = b.add_field("fRec0", Type::F32, 1, FieldKind::Recursion);
        vec = b.add_field("fVec0", Type::F32, 8, FieldKind::Delay);
        iota = b.add_field("IOTA0", Type::I32, 1, FieldKind::Iota);
        f = Builder::add_local(m->compute, "f", Type::F32);
        i = Builder::add_local(m->compute, "i", Type::I32);
    }
    /// Adds `s` inside compute's frame loop.
    void in_frame(const Stmt* s) {
        m->compute.body.push_back(b.frame_loop({s}));
    }
    /// Verifies after layout; returns all messages joined.
    std::string errors() {
        layout(*m);
        std::string all;
        for (const std::string& e : verify(*m)) {
            all += e + "\n";
        }
        return all;
    }
    const Expr* x() {
        return b.input(0);
    }
    const Expr* n(std::int32_t v) {
        return b.i32(v);
    }
};

#define EXPECT_REJECTED(fixture, text)                                                             \
    do {                                                                                           \
        std::string errs_ = (fixture).errors();                                                    \
        EXPECT_NE(errs_.find(text), std::string::npos) << "messages:\n" << errs_;                  \
    } while (0)

TEST(Verifier, WellFormedModulesPass) {
    Fixture t;
    t.in_frame(t.b.set_output(0, t.x()));
    EXPECT_EQ(t.errors(), "");
    for (const auto& p : tutti::ir::test_support::patterns()) {
        for (Type real : {Type::F32, Type::F64}) {
            auto m = p.make(real);
            auto errs = verify(*m);
            EXPECT_TRUE(errs.empty()) << p.name << ": " << (errs.empty() ? "" : errs[0]);
        }
    }
}

TEST(Verifier, BinaryOperandsMustHaveEqualTypes) {
    Fixture t;
    t.in_frame(t.b.set_output(0, t.b.binary(Op::Add, t.x(), t.b.constant(Type::F64, 1))));
    EXPECT_REJECTED(t, "compute: stmt 0.0 (SetOutput 0): Add operands are f32 and f64");
}

TEST(Verifier, ArithmeticIsOnI32OrTheRealType) {
    Fixture t; // f64 arithmetic in an f32 module
    const Expr* d = t.b.unary(Op::FExt, t.x());
    t.in_frame(t.b.set_output(0, t.b.unary(Op::FTrunc, t.b.binary(Op::Mul, d, d))));
    EXPECT_REJECTED(t, "Mul on f64, expected i32 or the real type f32");
}

TEST(Verifier, BitwiseOperatorsAreI32Only) {
    for (Op op : {Op::And, Op::Or, Op::Xor, Op::Shl, Op::Shr}) {
        Fixture t;
        t.in_frame(t.b.set_output(0, t.b.binary(op, t.x(), t.x())));
        EXPECT_REJECTED(t, "on f32, expected i32");
    }
}

TEST(Verifier, ComparisonsGiveI32) {
    Fixture t;
    Expr* e = const_cast<Expr*>(t.b.binary(Op::Lt, t.x(), t.x()));
    e->type = Type::F32; // a comparison typed as real
    t.in_frame(t.b.set_output(0, e));
    EXPECT_REJECTED(t, "Binary Lt has type f32, expected i32");
}

TEST(Verifier, ResultTypeOfArithmeticFollowsOperands) {
    Fixture t;
    Expr* e = const_cast<Expr*>(t.b.binary(Op::Add, t.n(1), t.n(2)));
    e->type = Type::F32;
    t.in_frame(t.b.set_output(0, e));
    EXPECT_REJECTED(t, "Binary Add has type f32, expected i32");
}

TEST(Verifier, UnaryOperandTypes) {
    struct C {
        Op op;
        bool int_operand;
        const char* text;
    };
    for (C c : {C{Op::FtoI, true, "FtoI operand is i32, expected f32 or f64"},
                C{Op::ItoF, false, "ItoF operand is f32, expected i32"},
                C{Op::FExt, true, "FExt operand is i32, expected f32"},
                C{Op::FTrunc, false, "FTrunc operand is f32, expected f64"}}) {
        Fixture t;
        const Expr* e = t.b.unary(c.op, c.int_operand ? t.n(1) : t.x());
        t.in_frame(t.b.set_local(c.op == Op::FtoI ? t.i : t.f, e));
        EXPECT_REJECTED(t, c.text);
    }
}

TEST(Verifier, NegOfF64InAnF32Module) {
    Fixture t;
    t.in_frame(
        t.b.set_output(0, t.b.unary(Op::FTrunc, t.b.unary(Op::Neg, t.b.unary(Op::FExt, t.x())))));
    EXPECT_REJECTED(t, "Neg operand is f64, expected i32 or the real type");
}

TEST(Verifier, SelectConditionIsI32AndBranchesMatch) {
    Fixture t;
    t.in_frame(t.b.set_output(0, t.b.select(t.x(), t.x(), t.x())));
    EXPECT_REJECTED(t, "Select condition is f32, not i32");
    Fixture u;
    u.in_frame(u.b.set_output(0, u.b.select(u.n(1), u.x(), u.b.constant(Type::F64, 0))));
    EXPECT_REJECTED(u, "Select branches are f32 and f64");
}

TEST(Verifier, SetFieldValueHasTheFieldType) {
    Fixture t;
    t.in_frame(t.b.set_field(t.rec, nullptr, t.n(1)));
    EXPECT_REJECTED(t, "(SetField fRec0): value is i32, the field is f32");
}

TEST(Verifier, SetLocalValueHasTheLocalType) {
    Fixture t;
    t.m->compute.body.push_back(t.b.set_local(t.i, t.b.real(1)));
    EXPECT_REJECTED(t, "(SetLocal 1): value is f32, the local is i32");
}

TEST(Verifier, SetOutputValueHasTheRealType) {
    Fixture t;
    t.in_frame(t.b.set_output(0, t.n(0)));
    EXPECT_REJECTED(t, "value is i32, outputs are f32");
}

TEST(Verifier, ElementIndexIsI32) {
    Fixture t;
    t.in_frame(t.b.set_output(0, t.b.field(t.vec, t.b.real(1))));
    EXPECT_REJECTED(t, "element index is f32, not i32");
}

TEST(Verifier, ElementIndexOnlyForArrayFields) {
    Fixture t;
    t.in_frame(t.b.set_output(0, t.b.field(t.rec, t.n(0))));
    EXPECT_REJECTED(t, "scalar field fRec0 accessed with an element index");
    Fixture u;
    u.in_frame(u.b.set_field(u.rec, u.n(0), u.x()));
    EXPECT_REJECTED(u, "scalar field fRec0 accessed with an element index");
}

TEST(Verifier, ArrayFieldsNeedAnElementIndex) {
    Fixture t;
    t.in_frame(t.b.set_output(0, t.b.field(t.vec)));
    EXPECT_REJECTED(t, "array field fVec0 accessed without an element index");
    Fixture u;
    u.in_frame(u.b.set_field(u.vec, nullptr, u.x()));
    EXPECT_REJECTED(u, "array field fVec0 accessed without an element index");
}

TEST(Verifier, FieldIndexInRange) {
    Fixture t;
    t.in_frame(t.b.set_field(7, nullptr, t.x()));
    EXPECT_REJECTED(t, "field 7 does not exist (3 fields)");
    Fixture u;
    Expr* e = const_cast<Expr*>(u.b.field(u.rec));
    e->index = 9;
    u.in_frame(u.b.set_output(0, e));
    EXPECT_REJECTED(u, "field 9 does not exist (3 fields)");
}

TEST(Verifier, LocalIndexInRange) {
    Fixture t;
    t.m->compute.body.push_back(t.b.set_local(5, t.n(0)));
    EXPECT_REJECTED(t, "local 5 does not exist (2 locals)");
    Fixture u; // locals belong to their function
    u.m->clear_state.body.push_back(u.b.set_field(u.rec, nullptr, u.b.local(u.f, Type::F32)));
    EXPECT_REJECTED(u, "clear_state: stmt 0 (SetField fRec0): local 0 does not exist (0 locals)");
}

TEST(Verifier, ChannelsInRange) {
    Fixture t;
    t.in_frame(t.b.set_output(0, t.b.input(1)));
    EXPECT_REJECTED(t, "input 1 does not exist (1 inputs)");
    Fixture u;
    u.in_frame(u.b.set_output(2, u.x()));
    EXPECT_REJECTED(u, "output 2 does not exist (1 outputs)");
}

TEST(Verifier, LoopVarOnlyInsideItsFor) {
    Fixture t;
    t.m->clear_state.body.push_back(
        t.b.for_loop(3, t.n(0), t.n(8), {t.b.set_field(t.vec, t.b.loop_var(3), t.b.real(0))}));
    t.m->clear_state.body.push_back(t.b.set_field(t.iota, nullptr, t.b.loop_var(3)));
    EXPECT_REJECTED(t, "clear_state: stmt 1 (SetField IOTA0): LoopVar 3 outside its For");
    Fixture u; // not in its own bounds either
    u.m->clear_state.body.push_back(u.b.for_loop(3, u.n(0), u.b.loop_var(3), {}));
    EXPECT_REJECTED(u, "LoopVar 3 outside its For");
    Fixture v; // a different loop's id
    v.m->clear_state.body.push_back(
        v.b.for_loop(1, v.n(0), v.n(8), {v.b.set_field(v.vec, v.b.loop_var(2), v.b.real(0))}));
    EXPECT_REJECTED(v, "clear_state: stmt 0.0 (SetField fVec0): LoopVar 2 outside its For");
}

TEST(Verifier, NestedForsUseDistinctIds) {
    Fixture t;
    t.m->clear_state.body.push_back(
        t.b.for_loop(1, t.n(0), t.n(2), {t.b.for_loop(1, t.n(0), t.n(2), {})}));
    EXPECT_REJECTED(t, "loop id 1 is already used by an enclosing For");
}

TEST(Verifier, ForBoundsAndIfConditionAreI32) {
    Fixture t;
    t.m->clear_state.body.push_back(t.b.for_loop(1, t.b.real(0), t.n(2), {}));
    EXPECT_REJECTED(t, "from is f32, not i32");
    Fixture u;
    u.m->clear_state.body.push_back(u.b.if_else(u.b.real(1), {}));
    EXPECT_REJECTED(u, "condition is f32, not i32");
}

TEST(Verifier, InputOnlyInsideComputesFrameLoop) {
    Fixture t;
    t.m->compute.body.push_back(t.b.set_local(t.f, t.x()));
    EXPECT_REJECTED(t, "compute: stmt 0 (SetLocal 0): Input outside compute's FrameLoop");
    Fixture u;
    u.m->clear_state.body.push_back(u.b.set_field(u.rec, nullptr, u.x()));
    EXPECT_REJECTED(u, "Input outside compute's FrameLoop");
}

TEST(Verifier, SetOutputOnlyInsideComputesFrameLoop) {
    Fixture t;
    t.m->compute.body.push_back(t.b.set_output(0, t.b.real(0)));
    EXPECT_REJECTED(t, "SetOutput outside compute's FrameLoop");
}

TEST(Verifier, FrameIndexOnlyInsideComputesFrameLoop) {
    Fixture t;
    t.m->compute.body.push_back(t.b.set_local(t.i, t.b.frame()));
    EXPECT_REJECTED(t, "FrameIndex outside compute's FrameLoop");
}

TEST(Verifier, FrameLoopOnlyInComputeAndNotNested) {
    Fixture t;
    t.m->clear_state.body.push_back(t.b.frame_loop({}));
    EXPECT_REJECTED(t, "clear_state: stmt 0 (FrameLoop): FrameLoop outside compute");
    Fixture u;
    u.m->compute.body.push_back(u.b.frame_loop({u.b.frame_loop({})}));
    EXPECT_REJECTED(u, "FrameLoop inside a FrameLoop");
}

TEST(Verifier, SampleRateOnlyInInitConstants) {
    Fixture t;
    t.m->compute.body.push_back(t.b.set_local(t.i, t.b.sample_rate()));
    EXPECT_REJECTED(t, "SampleRate outside init_constants");
    Fixture u;
    u.m->init_constants.body.push_back(u.b.set_field(u.iota, nullptr, u.b.sample_rate()));
    EXPECT_EQ(u.errors(), "");
}

TEST(Verifier, CountOnlyInCompute) {
    Fixture t;
    t.m->init_constants.body.push_back(t.b.set_field(t.iota, nullptr, t.b.count()));
    EXPECT_REJECTED(t, "init_constants: stmt 0 (SetField IOTA0): Count outside compute");
    Fixture u; // allowed in compute's control code
    u.m->compute.body.push_back(u.b.set_local(u.i, u.b.count()));
    EXPECT_EQ(u.errors(), "");
}

TEST(Verifier, CallCalleeMustBeKnown) {
    Fixture t;
    t.in_frame(t.b.set_output(0, t.b.call("sinus", Type::F32, {t.x()})));
    EXPECT_REJECTED(t, "Call of the unknown function 'sinus'");
    Fixture u;
    Expr* e = const_cast<Expr*>(u.b.call("sinf", Type::F32, {u.x()}));
    e->callee = nullptr;
    u.in_frame(u.b.set_output(0, e));
    EXPECT_REJECTED(u, "Call without a callee");
}

TEST(Verifier, CallMatchesTheFunctionsSignature) {
    Fixture t;
    t.in_frame(t.b.set_output(0, t.b.call("sinf", Type::F32, {t.x(), t.x()})));
    EXPECT_REJECTED(t, "Call of sinf with 2 arguments, it takes 1");
    Fixture u;
    u.in_frame(u.b.set_output(0, u.b.unary(Op::FTrunc, u.b.call("sin", Type::F64, {u.x()}))));
    EXPECT_REJECTED(u, "Call of sin: argument 0 is f32, expected f64");
    Fixture v;
    v.in_frame(v.b.set_output(0, v.b.call("sin", Type::F32, {v.b.unary(Op::FExt, v.x())})));
    EXPECT_REJECTED(v, "Call has type f32, expected f64");
    Fixture w;
    w.in_frame(w.b.set_output(0, w.b.call("ldexpf", Type::F32, {w.x(), w.x()})));
    EXPECT_REJECTED(w, "Call of ldexpf: argument 1 is f32, expected i32");
}

TEST(Verifier, LocalAndFieldReadsHaveTheirTypes) {
    Fixture t;
    t.in_frame(t.b.set_output(0, t.b.local(t.i, Type::F32)));
    EXPECT_REJECTED(t, "Local has type f32, expected i32");
}

TEST(Verifier, ModuleMustBeLaidOut) {
    Fixture t;
    t.in_frame(t.b.set_output(0, t.x()));
    // no layout(): every field sits at offset 0 in a 0-byte state
    auto errs = verify(*t.m);
    ASSERT_FALSE(errs.empty());
    EXPECT_NE(errs[0].find("lie outside the state (0 bytes; was layout() called?)"),
              std::string::npos)
        << errs[0];
}

TEST(Verifier, FieldsMustNotOverlap) {
    Fixture t;
    layout(*t.m);
    t.m->fields[t.iota].offset = t.m->fields[t.vec].offset + 4;
    auto errs = verify(*t.m);
    ASSERT_FALSE(errs.empty());
    EXPECT_NE(errs[0].find("overlaps"), std::string::npos) << errs[0];
}

TEST(Verifier, FieldCountIsPositiveAndRealTypeIsReal) {
    Fixture t;
    t.b.add_field("empty", Type::F32, 0, FieldKind::Other);
    EXPECT_REJECTED(t, "field 3 (empty): count is 0");
    Fixture u;
    u.m->real = Type::I32;
    EXPECT_REJECTED(u, "module: the real type is i32, not f32 or f64");
}

TEST(Verifier, NullNodesAreReported) {
    Fixture t;
    t.in_frame(t.b.set_output(0, nullptr));
    EXPECT_REJECTED(t, "null expression (value)");
    Fixture u;
    u.m->compute.body.push_back(nullptr);
    EXPECT_REJECTED(u, "compute: stmt 0 (null): null statement");
}

TEST(Verifier, OpMustFitTheNodeKind) {
    Fixture t;
    t.in_frame(t.b.set_output(0, t.b.unary(Op::Add, t.x())));
    EXPECT_REJECTED(t, "Unary with the non-unary op Add");
    Fixture u;
    u.in_frame(u.b.set_output(0, u.b.binary(Op::Neg, u.x(), u.x())));
    EXPECT_REJECTED(u, "Binary with the non-binary op Neg");
}

TEST(Verifier, NestingIsBounded) {
    Fixture t;
    const Expr* e = t.x();
    for (std::uint32_t k = 0; k < kMaxNesting + 10; ++k) {
        e = t.b.unary(Op::Neg, e);
    }
    t.in_frame(t.b.set_output(0, e));
    EXPECT_REJECTED(t, "expression nested deeper than");
}

TEST(Verifier, ErrorsAreCapped) {
    Fixture t;
    for (int k = 0; k < 300; ++k) {
        t.m->compute.body.push_back(t.b.set_local(9, t.n(0)));
    }
    layout(*t.m);
    auto errs = verify(*t.m);
    EXPECT_EQ(errs.size(), kMaxErrors + 1);
    EXPECT_EQ(errs.back(), "more errors were not reported");
}

} // namespace
