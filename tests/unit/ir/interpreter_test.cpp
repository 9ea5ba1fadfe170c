// SPDX-License-Identifier: MIT
// The reference executor against plain C++ implementations of the same DSP,
// bit for bit, in single and double precision; and its contract (invalid
// modules, locals, loop bounds, no allocation while running).
#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <type_traits>
#include <vector>

#include "allocation_counter.h"
#include "dsp_patterns.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "render.h"

namespace {

using namespace tutti::ir;
using namespace tutti::ir::test_support;

struct Case {
    const char* pattern;
    Type real;
};

std::string case_name(const testing::TestParamInfo<Case>& info) {
    return std::string(info.param.pattern) + (info.param.real == Type::F32 ? "_f32" : "_f64");
}

std::vector<Case> all_cases() {
    std::vector<Case> cases;
    for (const Pattern& p : patterns()) {
        cases.push_back({p.name, Type::F32});
        cases.push_back({p.name, Type::F64});
    }
    return cases;
}

class InterpreterMatchesCpp : public testing::TestWithParam<Case> {};

TEST_P(InterpreterMatchesCpp, BitForBit) {
    const Pattern& p = pattern(GetParam().pattern);
    Type real = GetParam().real;
    auto m = p.make(real);
    Interpreter interp(*m);
    ASSERT_TRUE(interp.ok()) << interp.errors()[0];
    Scenario sc = standard_scenario(p);
    Rendering expected = render(p.reference(real), real, m->num_inputs, m->num_outputs, sc);
    Rendering actual =
        render(interpreter_executor(interp, *m), real, m->num_inputs, m->num_outputs, sc);
    ASSERT_GE(expected.frames(), 4000u);
    EXPECT_EQ(compare(expected, actual), "");
}

INSTANTIATE_TEST_SUITE_P(Patterns, InterpreterMatchesCpp, testing::ValuesIn(all_cases()),
                         case_name);

// The comparison itself can fail: a wrong constant in the reference shows.
TEST(Interpreter, ComparisonDetectsADifference) {
    const Pattern& p = pattern("recursion");
    // Same DSP with 0.5 replaced by 0.49 in the IR.
    auto broken = std::make_unique<Module>();
    broken->real = Type::F32;
    broken->num_inputs = 1;
    broken->num_outputs = 1;
    Builder bb(*broken);
    std::uint32_t rec = bb.add_field("fRec0", Type::F32, 2, FieldKind::Recursion);
    broken->clear_state.body.push_back(bb.set_field(rec, bb.i32(0), bb.real(0)));
    broken->clear_state.body.push_back(bb.set_field(rec, bb.i32(1), bb.real(0)));
    broken->compute.body.push_back(bb.frame_loop({
        bb.set_field(rec, bb.i32(0),
                     bb.binary(Op::Add, bb.binary(Op::Mul, bb.real(0.49), bb.field(rec, bb.i32(1))),
                               bb.input(0))),
        bb.set_output(0, bb.field(rec, bb.i32(0))),
        bb.set_field(rec, bb.i32(1), bb.field(rec, bb.i32(0))),
    }));
    layout(*broken);
    Interpreter interp(*broken);
    ASSERT_TRUE(interp.ok());
    Scenario sc = standard_scenario(p);
    Rendering expected = render(p.reference(Type::F32), Type::F32, 1, 1, sc);
    Rendering actual = render(interpreter_executor(interp, *broken), Type::F32, 1, 1, sc);
    EXPECT_NE(compare(expected, actual), "");
}

TEST(Interpreter, InvalidModuleIsRejectedAndComputesSilence) {
    auto m = std::make_unique<Module>();
    m->real = Type::F32;
    m->num_outputs = 1;
    Builder b(*m);
    m->compute.body.push_back(
        b.frame_loop({b.set_output(0, b.call("no_such_function", Type::F32, {}))}));
    layout(*m);
    Interpreter interp(*m);
    ASSERT_FALSE(interp.ok());
    EXPECT_NE(interp.errors()[0].find("no_such_function"), std::string::npos);
    float out[4] = {1, 2, 3, 4};
    void* outs[] = {out};
    interp.init_constants(nullptr, 44100); // no-ops, even with no state
    interp.reset_controls(nullptr);
    interp.clear_state(nullptr);
    interp.compute(nullptr, 4, nullptr, outs);
    for (float x : out) {
        EXPECT_EQ(x, 0.0f);
    }
}

TEST(Interpreter, LocalsStartAtZeroInEachCall) {
    auto m = std::make_unique<Module>();
    m->real = Type::F64;
    Builder b(*m);
    std::uint32_t f = b.add_field("f", Type::F64, 1, FieldKind::Other);
    std::uint32_t l = Builder::add_local(m->reset_controls, "acc", Type::F64);
    // f = acc + 1; acc = 5: a second call sees acc == 0 again.
    m->reset_controls.body.push_back(
        b.set_field(f, nullptr, b.binary(Op::Add, b.local(l, Type::F64), b.real(1))));
    m->reset_controls.body.push_back(b.set_local(l, b.real(5)));
    layout(*m);
    Interpreter interp(*m);
    ASSERT_TRUE(interp.ok());
    double state[2] = {42, 42};
    interp.reset_controls(state);
    interp.reset_controls(state);
    EXPECT_EQ(state[0], 1.0);
}

TEST(Interpreter, ForBoundsAreEvaluatedOnce) {
    auto m = std::make_unique<Module>();
    m->real = Type::F32;
    Builder b(*m);
    std::uint32_t n = b.add_field("n", Type::I32, 1, FieldKind::Other);
    std::uint32_t sum = b.add_field("sum", Type::I32, 1, FieldKind::Other);
    // n = 3; sum = 0; for (i = 0; i < n; i++) { n = n + 1; sum = sum + i; }  -> 3 iterations
    m->clear_state.body = {
        b.set_field(n, nullptr, b.i32(3)),
        b.set_field(sum, nullptr, b.i32(0)),
        b.for_loop(0, b.i32(0), b.field(n),
                   {b.set_field(n, nullptr, b.binary(Op::Add, b.field(n), b.i32(1))),
                    b.set_field(sum, nullptr, b.binary(Op::Add, b.field(sum), b.loop_var(0)))}),
    };
    layout(*m);
    Interpreter interp(*m);
    ASSERT_TRUE(interp.ok());
    std::int32_t state[4] = {};
    interp.clear_state(state);
    EXPECT_EQ(state[m->fields[n].offset / 4], 6);
    EXPECT_EQ(state[m->fields[sum].offset / 4], 0 + 1 + 2);
}

TEST(Interpreter, NestedLoopsAndIfs) {
    auto m = std::make_unique<Module>();
    m->real = Type::F32;
    Builder b(*m);
    std::uint32_t t = b.add_field("t", Type::I32, 12, FieldKind::Table);
    // t[4*i + j] = i > j ? i*10 + j : -(i + j), for i < 3, j < 4
    const Expr* i = b.loop_var(1);
    const Expr* j = b.loop_var(2);
    m->init_constants.body.push_back(b.for_loop(
        1, b.i32(0), b.i32(3),
        {b.for_loop(2, b.i32(0), b.i32(4),
                    {b.if_else(b.binary(Op::Gt, i, j),
                               {b.set_field(t, b.binary(Op::Add, b.binary(Op::Mul, b.i32(4), i), j),
                                            b.binary(Op::Add, b.binary(Op::Mul, i, b.i32(10)), j))},
                               {b.set_field(t, b.binary(Op::Add, b.binary(Op::Mul, b.i32(4), i), j),
                                            b.unary(Op::Neg, b.binary(Op::Add, i, j)))})})}));
    layout(*m);
    Interpreter interp(*m);
    ASSERT_TRUE(interp.ok()) << interp.errors()[0];
    std::int32_t state[12] = {};
    interp.init_constants(state, 48000);
    for (int a = 0; a < 3; ++a) {
        for (int c = 0; c < 4; ++c) {
            EXPECT_EQ(state[4 * a + c], a > c ? a * 10 + c : -(a + c)) << a << "," << c;
        }
    }
}

/// Calls `f` with a zero of the C++ type of `t` (I32, F32 or F64).
template <class F> void with_type(Type t, const F& f) {
    if (t == Type::I32) {
        f(std::int32_t{0});
    } else if (t == Type::F32) {
        f(0.0f);
    } else {
        f(0.0);
    }
}

// A field read inside an arithmetic operation is fused with it (ir/interpreter_fuse.h):
// the field may be either operand, or both, or come through a local read once, in
// each type, and the order of the operands stays.
TEST(Interpreter, FieldOperandsOfArithmetic) {
    for (Type t : {Type::I32, Type::F32, Type::F64}) {
        auto m = std::make_unique<Module>();
        m->real = t == Type::I32 ? Type::F64 : t;
        Builder b(*m);
        std::uint32_t x = b.add_field("x", t, 2, FieldKind::Other);
        std::uint32_t y = b.add_field("y", t, 1, FieldKind::Other);
        std::uint32_t out = b.add_field("out", t, 30, FieldKind::Other);
        Function& f = m->init_constants;
        std::uint32_t l = Builder::add_local(f, "l", t);
        const Op ops[] = {Op::Add, Op::Sub, Op::Mul, Op::Div, t == Type::I32 ? Op::And : Op::Add};
        auto x1 = [&] { return b.field(x, b.i32(1)); };
        auto set = [&](int i, const Expr* v) { f.body.push_back(b.set_field(out, b.i32(i), v)); };
        // l = y (read many times); x[1] = 7, y = 3
        f.body.push_back(b.set_local(l, b.field(y)));
        for (int k = 0; k < 5; ++k) {
            const Op op = ops[k];
            set(6 * k, b.binary(op, x1(), b.local(l, t)));
            set(6 * k + 1, b.binary(op, b.local(l, t), x1()));
            set(6 * k + 2, b.binary(op, x1(), b.field(y)));
            set(6 * k + 3, b.binary(op, b.field(y), x1()));
            std::uint32_t once = Builder::add_local(f, "once_a", t);
            f.body.push_back(b.set_local(once, x1()));
            set(6 * k + 4, b.binary(op, b.local(once, t), b.local(l, t)));
            once = Builder::add_local(f, "once_b", t);
            f.body.push_back(b.set_local(once, x1()));
            set(6 * k + 5, b.binary(op, b.local(l, t), b.local(once, t)));
        }
        layout(*m);
        Interpreter interp(*m);
        ASSERT_TRUE(interp.ok()) << interp.errors()[0];
        std::vector<char> state(m->state_bytes + 16, 0);
        char* base = state.data();
        auto at = [&](std::uint32_t field, int i) {
            return base + m->fields[field].offset + i * type_size(t);
        };
        with_type(t, [&](auto zero) {
            const decltype(zero) seven = 7, three = 3;
            std::memcpy(at(x, 1), &seven, sizeof seven);
            std::memcpy(at(y, 0), &three, sizeof three);
        });
        interp.init_constants(base, 48000);
        with_type(t, [&](auto zero) {
            using V = decltype(zero);
            for (int k = 0; k < 5; ++k) {
                for (int j = 0; j < 6; ++j) {
                    const bool seven_first = j % 2 == 0;
                    const V p = seven_first ? 7 : 3, q = seven_first ? 3 : 7;
                    V got = 0;
                    std::memcpy(&got, at(out, 6 * k + j), sizeof got);
                    V last = p + q; // the fifth op: And for i32, Add otherwise
                    if constexpr (std::is_integral_v<V>) {
                        last = p & q;
                    }
                    const V want = k == 0   ? p + q
                                   : k == 1 ? p - q
                                   : k == 2 ? p * q
                                   : k == 3 ? p / q
                                            : last;
                    EXPECT_EQ(got, want) << type_name(t) << " op " << k << " case " << j;
                }
            }
        });
    }
}

TEST(Interpreter, ConcurrentCallsOnDifferentStatesAgree) {
    const Pattern& p = pattern("libm");
    auto m = p.make(Type::F64);
    Interpreter interp(*m);
    ASSERT_TRUE(interp.ok());
    Scenario sc = standard_scenario(p);
    Rendering alone = render(interpreter_executor(interp, *m), Type::F64, 2, m->num_outputs, sc);
    std::vector<Rendering> results(4);
    std::vector<std::thread> threads;
    threads.reserve(results.size());
    for (auto& r : results) {
        threads.emplace_back([&] {
            r = render(interpreter_executor(interp, *m), Type::F64, 2, m->num_outputs, sc);
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (const auto& r : results) {
        EXPECT_EQ(compare(alone, r), "");
    }
}

TEST(Interpreter, ComputeDoesNotAllocate) {
    const Pattern& p = pattern("control");
    auto m = p.make(Type::F32);
    Interpreter interp(*m);
    ASSERT_TRUE(interp.ok());
    std::vector<unsigned char> state(m->state_bytes);
    float in[256] = {}, out0[256], out1[256];
    const void* ins[] = {in};
    void* outs[] = {out0, out1};
    interp.init_constants(state.data(), 48000);
    interp.reset_controls(state.data());
    interp.clear_state(state.data());
    std::size_t before = allocation_count();
    for (int k = 0; k < 10; ++k) {
        interp.compute(state.data(), 256, ins, outs);
    }
    EXPECT_EQ(allocation_count(), before);
    // The counter works: a vector allocates.
    std::vector<int> v(10);
    EXPECT_GT(allocation_count(), before);
}

} // namespace
