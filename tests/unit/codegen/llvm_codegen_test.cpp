// SPDX-License-Identifier: MIT
// The LLVM code against the reference interpreter, bit for bit (outputs and
// the whole state block), on every DSP pattern in single and double precision,
// at several optimisation levels, in blocks of varying sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "codegen/llvm_codegen.h"
#include "dsp_patterns.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "render.h"

namespace {

using namespace tutti;
using namespace tutti::ir;
using namespace tutti::ir::test_support;
using codegen::compile_native;
using codegen::NativeCode;

Executor native_executor(const NativeCode& code, const Module& m) {
    Executor ex;
    ex.state_bytes = m.state_bytes;
    ex.init_constants = [&code](void* s, int sr) { code.init_constants(s, sr); };
    ex.reset_controls = [&code](void* s) { code.reset_controls(s); };
    ex.clear_state = [&code](void* s) { code.clear_state(s); };
    ex.compute = [&code](void* s, int n, const void* const* i, void* const* o) {
        code.compute(s, n, i, o);
    };
    ex.set_control = [&m](void* s, double v) { set_control_field(m, s, v); };
    return ex;
}

struct Case {
    const char* pattern;
    Type real;
    int opt_level;
};

std::string case_name(const testing::TestParamInfo<Case>& info) {
    return std::string(info.param.pattern) + (info.param.real == Type::F32 ? "_f32" : "_f64") +
           "_O" + std::to_string(info.param.opt_level);
}

std::vector<Case> all_cases() {
    std::vector<Case> cases;
    for (const Pattern& p : patterns()) {
        for (Type real : {Type::F32, Type::F64}) {
            for (int opt : {0, 2, 3}) {
                cases.push_back({p.name, real, opt});
            }
        }
    }
    return cases;
}

class JitMatchesInterpreter : public testing::TestWithParam<Case> {};

TEST_P(JitMatchesInterpreter, BitForBit) {
    const Pattern& p = pattern(GetParam().pattern);
    Type real = GetParam().real;
    auto m = p.make(real);
    Interpreter interp(*m);
    ASSERT_TRUE(interp.ok()) << interp.errors()[0];
    NativeCode code = compile_native(*m, {GetParam().opt_level});
    ASSERT_TRUE(code.module) << code.error;
    for (std::uint32_t seed : {1u, 2u}) {
        Scenario sc = standard_scenario(p, seed);
        Rendering expected =
            render(interpreter_executor(interp, *m), real, m->num_inputs, m->num_outputs, sc);
        Rendering actual =
            render(native_executor(code, *m), real, m->num_inputs, m->num_outputs, sc);
        ASSERT_GE(expected.frames(), 4000u);
        EXPECT_EQ(compare(expected, actual), "") << "seed " << seed;
    }
}

INSTANTIATE_TEST_SUITE_P(Patterns, JitMatchesInterpreter, testing::ValuesIn(all_cases()),
                         case_name);

/// Runs clear_state of `m` in both executors on a zeroed state and compares the blocks.
void expect_same_clear_state(const Module& m) {
    Interpreter interp(m);
    ASSERT_TRUE(interp.ok()) << interp.errors()[0];
    NativeCode code = compile_native(m);
    ASSERT_TRUE(code.module) << code.error;
    std::vector<unsigned char> a(m.state_bytes, 0), b(m.state_bytes, 0);
    interp.clear_state(a.data());
    code.clear_state(b.data());
    EXPECT_EQ(a, b);
}

TEST(Codegen, ForBoundsAreEvaluatedOnceAndLocalsStartAtZero) {
    Module m;
    m.real = Type::F32;
    Builder b(m);
    std::uint32_t n = b.add_field("n", Type::I32, 1, FieldKind::Other);
    std::uint32_t sum = b.add_field("sum", Type::I32, 1, FieldKind::Other);
    std::uint32_t acc = Builder::add_local(m.clear_state, "acc", Type::I32);
    m.clear_state.body = {
        b.set_field(n, nullptr, b.i32(3)),
        b.set_field(sum, nullptr, b.local(acc, Type::I32)),
        b.for_loop(0, b.i32(0), b.field(n),
                   {b.set_field(n, nullptr, b.binary(Op::Add, b.field(n), b.i32(1))),
                    b.set_field(sum, nullptr, b.binary(Op::Add, b.field(sum), b.loop_var(0)))}),
    };
    layout(m);
    expect_same_clear_state(m);
    NativeCode code = compile_native(m);
    ASSERT_TRUE(code.module);
    std::int32_t state[4] = {0, 0, 0, 0};
    code.clear_state(state);
    EXPECT_EQ(state[m.fields[n].offset / 4], 6);
    EXPECT_EQ(state[m.fields[sum].offset / 4], 3);
}

TEST(Codegen, NestedLoopsIfsAndFrameLoopInsideIf) {
    Module m;
    m.real = Type::F64;
    m.num_inputs = 1;
    m.num_outputs = 1;
    Builder b(m);
    std::uint32_t t = b.add_field("t", Type::I32, 12, FieldKind::Table);
    std::uint32_t g = b.add_field("g", Type::F64, 1, FieldKind::Control);
    const Expr* i = b.loop_var(1);
    const Expr* j = b.loop_var(2);
    m.init_constants.body.push_back(b.for_loop(
        1, b.i32(0), b.i32(3),
        {b.for_loop(2, b.i32(0), b.i32(4),
                    {b.if_else(b.binary(Op::Gt, i, j),
                               {b.set_field(t, b.binary(Op::Add, b.binary(Op::Mul, b.i32(4), i), j),
                                            b.binary(Op::Add, b.binary(Op::Mul, i, b.i32(10)), j))},
                               {b.set_field(t, b.binary(Op::Add, b.binary(Op::Mul, b.i32(4), i), j),
                                            b.unary(Op::Neg, b.binary(Op::Add, i, j)))})})}));
    m.reset_controls.body.push_back(b.set_field(g, nullptr, b.real(0.25)));
    // if (count > 16) frames: out = in * g + t[frame % 12]  else frames: out = -in
    m.compute.body.push_back(b.if_else(
        b.binary(Op::Gt, b.count(), b.i32(16)),
        {b.frame_loop({b.set_output(
            0, b.binary(Op::Add, b.binary(Op::Mul, b.input(0), b.field(g)),
                        b.unary(Op::ItoF, b.field(t, b.binary(Op::Rem, b.frame(), b.i32(12))))))})},
        {b.frame_loop({b.set_output(0, b.unary(Op::Neg, b.input(0)))})}));
    layout(m);
    Interpreter interp(m);
    ASSERT_TRUE(interp.ok()) << interp.errors()[0];
    NativeCode code = compile_native(m);
    ASSERT_TRUE(code.module) << code.error;
    Scenario sc;
    sc.blocks = varying_blocks(3000);
    int frames = 0;
    for (int k : sc.blocks) {
        frames += k;
    }
    sc.inputs = random_inputs(1, frames, 9, true);
    sc.controls = {0.5, 1.5, -2};
    Rendering expected = render(interpreter_executor(interp, m), m.real, 1, 1, sc);
    Rendering actual = render(native_executor(code, m), m.real, 1, 1, sc);
    EXPECT_EQ(compare(expected, actual), "");
    // Spot checks of the meaning. Blocks: 0 frames (g = 0.5), 1 frame (g = 1.5, the
    // else branch), 64 frames (g = -2, the then branch; t[0] = -(0 + 0) = 0).
    ASSERT_EQ(sc.blocks[1], 1);
    ASSERT_EQ(sc.blocks[2], 64);
    EXPECT_EQ(expected.sample(0, 0), -sc.inputs[0][0]);
    EXPECT_EQ(expected.sample(0, 1), sc.inputs[0][1] * -2.0 + 0.0);
    EXPECT_EQ(expected.sample(0, 2), sc.inputs[0][2] * -2.0 - 1.0); // frame 1: t[1] = -(0 + 1)
    EXPECT_EQ(expected.sample(0, 10),
              sc.inputs[0][10] * -2.0 + 21.0); // frame 9: t[4*2 + 1] = 2*10 + 1
}

// A frame loop selecting on a control the loop does not write (a bypass
// switch read through FtoI) is emitted twice, one copy per value of the
// switch; every block, in both math modes, computes what the interpreter does
// (exact: bit for bit), the switch moving between blocks.
TEST(Codegen, FrameLoopVersionedOnAControlMatchesTheInterpreter) {
    Module m;
    m.real = Type::F32;
    m.num_inputs = 1;
    m.num_outputs = 2;
    Builder b(m);
    std::uint32_t bypass = b.add_field("fCheckbox0", Type::F32, 1, FieldKind::Control);
    std::uint32_t rec = b.add_field("fRec0", Type::F32, 2, FieldKind::Recursion);
    // fRec0[0] = 0.5 * fRec0[1] + in; gain = expf(0.25 * fRec0[0]);
    // out0 = (i32)bypass != 0 ? in : fRec0[0] * gain; out1 = (i32)bypass ? 0 : gain;
    // fRec0[1] = fRec0[0]
    const Expr* on = b.binary(Op::Ne, b.unary(Op::FtoI, b.field(bypass)), b.i32(0));
    const Expr* r0 = b.field(rec, b.i32(0));
    const Expr* gain = b.call("expf", Type::F32, {b.binary(Op::Mul, b.real(0.25), r0)});
    m.compute.body.push_back(b.frame_loop({
        b.set_field(
            rec, b.i32(0),
            b.binary(Op::Add, b.binary(Op::Mul, b.real(0.5), b.field(rec, b.i32(1))), b.input(0))),
        b.set_output(0, b.select(on, b.input(0), b.binary(Op::Mul, r0, gain))),
        b.set_output(1, b.select(b.unary(Op::FtoI, b.field(bypass)), b.real(0), gain)),
        b.set_field(rec, b.i32(1), r0),
    }));
    layout(m);
    EXPECT_NE(codegen::emit_llvm_text(m).find("frames.on"), std::string::npos);
    Interpreter interp(m);
    ASSERT_TRUE(interp.ok()) << interp.errors()[0];
    Scenario sc;
    sc.blocks = varying_blocks(3000);
    int frames = 0;
    for (int k : sc.blocks) {
        frames += k;
    }
    sc.inputs = random_inputs(1, frames, 5, false);
    for (std::size_t k = 0; k < sc.blocks.size(); ++k) {
        sc.controls.push_back(k % 3 == 0 ? 0.0 : k % 3 == 1 ? 1.0 : 0.75); // 0.75: (i32) 0
    }
    Rendering expected = render(interpreter_executor(interp, m), m.real, 1, 2, sc);
    NativeCode code = compile_native(m);
    ASSERT_TRUE(code.module) << code.error;
    EXPECT_EQ(compare(expected, render(native_executor(code, m), m.real, 1, 2, sc)), "");
    jit::JitOptions fast;
    fast.fast_math = true;
    NativeCode fast_code = compile_native(m, fast);
    ASSERT_TRUE(fast_code.module) << fast_code.error;
    Rendering actual = render(native_executor(fast_code, m), m.real, 1, 2, sc);
    for (std::size_t i = 0; i < expected.frames(); ++i) {
        for (std::size_t c = 0; c < 2; ++c) {
            double e = expected.sample(c, i);
            ASSERT_NEAR(actual.sample(c, i), e, 1e-4 * (1 + std::fabs(e))) << c << " " << i;
        }
    }
}

TEST(Codegen, FtoIEdgeCasesGiveIntMin) {
    Module m;
    m.real = Type::F64;
    m.num_inputs = 1;
    m.num_outputs = 1;
    Builder b(m);
    m.compute.body.push_back(
        b.frame_loop({b.set_output(0, b.unary(Op::ItoF, b.unary(Op::FtoI, b.input(0))))}));
    layout(m);
    NativeCode code = compile_native(m);
    ASSERT_TRUE(code.module) << code.error;
    const double inf = std::numeric_limits<double>::infinity();
    double in[] = {std::nan(""),  inf,           -inf,  2147483648.0, 2147483647.9, -2147483648.0,
                   -2147483648.9, -2147483649.0, 1e300, -0.9,         3.99};
    double expect[] = {
        -2147483648.0, -2147483648.0, -2147483648.0, -2147483648.0, 2147483647.0, -2147483648.0,
        -2147483648.0, -2147483648.0, -2147483648.0, 0.0,           3.0};
    constexpr int n = sizeof in / sizeof in[0];
    double out[n];
    const void* ins[] = {in};
    void* outs[] = {out};
    code.compute(nullptr, n, ins, outs);
    for (int k = 0; k < n; ++k) {
        EXPECT_EQ(out[k], expect[k]) << "input " << in[k];
    }
}

// Out-of-range constants: LLVM folds a bare fptosi of them to poison; the
// generated guard must keep INT_MIN at every optimisation level.
TEST(Codegen, FtoIOfOutOfRangeConstantsGivesIntMin) {
    for (int opt : {0, 2, 3}) {
        Module m;
        m.real = Type::F32;
        m.num_outputs = 4;
        Builder b(m);
        const double values[] = {1e10, -3e9, std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::infinity()};
        std::vector<const Stmt*> body;
        for (std::uint32_t k = 0; k < 4; ++k) {
            body.push_back(
                b.set_output(k, b.unary(Op::ItoF, b.unary(Op::FtoI, b.real(values[k])))));
        }
        m.compute.body.push_back(b.frame_loop(body));
        layout(m);
        NativeCode code = compile_native(m, {opt});
        ASSERT_TRUE(code.module) << code.error;
        float out[4][2];
        void* outs[] = {out[0], out[1], out[2], out[3]};
        code.compute(nullptr, 2, nullptr, outs);
        for (int k = 0; k < 4; ++k) {
            EXPECT_EQ(out[k][0], -2147483648.0f) << "O" << opt << " value " << values[k];
            EXPECT_EQ(out[k][1], -2147483648.0f) << "O" << opt << " value " << values[k];
        }
    }
}

TEST(Codegen, EmptyBlocksDoNotTouchTheChannelArrays) {
    auto m = pattern("delay").make(Type::F32);
    NativeCode code = compile_native(*m);
    ASSERT_TRUE(code.module) << code.error;
    std::vector<unsigned char> state(m->state_bytes, 0);
    code.clear_state(state.data());
    code.compute(state.data(), 0, nullptr, nullptr);
    code.compute(state.data(), -5, nullptr, nullptr);
    std::int32_t iota;
    std::memcpy(&iota, &state[m->fields[1].offset], 4);
    EXPECT_EQ(iota, 0);
}

TEST(Codegen, InvalidModuleIsAnError) {
    Module m;
    m.real = Type::F32;
    m.num_outputs = 1;
    Builder b(m);
    m.compute.body.push_back(
        b.frame_loop({b.set_output(0, b.call("sinus", Type::F32, {b.real(1)}))}));
    layout(m);
    NativeCode code = compile_native(m);
    EXPECT_EQ(code.module, nullptr);
    EXPECT_EQ(code.compute, nullptr);
    EXPECT_NE(code.error.find("unknown function 'sinus'"), std::string::npos) << code.error;
}

TEST(Codegen, LlvmTextHasNoWrapFlagsNoFastMathAndNoBuiltinCalls) {
    for (const char* name : {"noise", "integer_edges", "libm", "sine_table"}) {
        auto m = pattern(name).make(Type::F32);
        std::string ll = codegen::emit_llvm_text(*m);
        EXPECT_EQ(ll.find(" nsw "), std::string::npos) << name;
        EXPECT_EQ(ll.find(" nuw "), std::string::npos) << name;
        for (const char* flag : {" fast ", " nnan ", " ninf ", " nsz ", " arcp ", " contract ",
                                 " afn ", " reassoc "}) {
            EXPECT_EQ(ll.find(flag), std::string::npos) << name << flag;
        }
        if (std::string(name) == "libm" || std::string(name) == "sine_table") {
            EXPECT_NE(ll.find("call float @sinf(float"), std::string::npos) << name;
            EXPECT_NE(ll.find("nobuiltin"), std::string::npos) << name;
        }
    }
    auto m = pattern("libm").make(Type::F64);
    std::string ll = codegen::emit_llvm_text(*m);
    EXPECT_NE(ll.find("@llvm.sqrt.f64"), std::string::npos);
    EXPECT_NE(ll.find("declare double @pow(double, double)"), std::string::npos);
}

TEST(Codegen, FastMathMarksFloatOperationsAndLetsLlvmRewriteLibm) {
    auto m = pattern("libm").make(Type::F32);
    std::string exact = codegen::emit_llvm_text(*m, false);
    std::string fast = codegen::emit_llvm_text(*m, true);
    EXPECT_EQ(exact.find(" fast "), std::string::npos);
    EXPECT_NE(fast.find("fmul fast float"), std::string::npos);
    EXPECT_NE(exact.find("nobuiltin"), std::string::npos);
    EXPECT_EQ(fast.find("nobuiltin"), std::string::npos);
    EXPECT_EQ(fast.find(" nsw "), std::string::npos); // integers stay wrapping
    jit::JitOptions jo;
    jo.fast_math = true;
    NativeCode code = compile_native(*m, jo);
    ASSERT_TRUE(code.module) << code.error;
}

TEST(Codegen, CompiledCodeOutlivesTheModule) {
    NativeCode code;
    std::vector<unsigned char> state;
    {
        auto m = pattern("noise").make(Type::F32);
        code = compile_native(*m);
        ASSERT_TRUE(code.module) << code.error;
        state.assign(m->state_bytes, 0);
    }
    code.clear_state(state.data());
    float out[4];
    void* outs[] = {out};
    code.compute(state.data(), 4, nullptr, outs);
    EXPECT_EQ(out[0], 4.656612875e-10f * 12345.0f);
}

} // namespace
