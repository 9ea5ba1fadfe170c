// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "ir/builder.h"
#include "ir/ir_printer.h"

namespace {

using namespace tutti::ir;

TEST(Printer, Golden) {
    Module m;
    m.real = Type::F32;
    m.num_inputs = 1;
    m.num_outputs = 2;
    Builder b(m);
    std::uint32_t gain = b.add_field("fHslider0", Type::F32, 1, FieldKind::Control, "ui:/gain");
    std::uint32_t vec = b.add_field("fVec0", Type::F32, 1024, FieldKind::Delay, "delay:x");
    std::uint32_t iota = b.add_field("IOTA0", Type::I32, 1, FieldKind::Iota);
    std::uint32_t c = b.add_field("fConst0", Type::F64, 1, FieldKind::Constant);
    std::uint32_t table = b.add_field("", Type::F32, 16, FieldKind::Table);
    layout(m);
    m.init_constants.body = {
        b.set_field(c, nullptr,
                    b.binary(Op::Div, b.constant(Type::F64, 1),
                             b.to_real(b.binary(Op::Max, b.i32(1), b.sample_rate()), Type::F64))),
        b.for_loop(3, b.i32(0), b.i32(16),
                   {b.set_field(table, b.loop_var(3),
                                b.call("sinf", Type::F32, {b.unary(Op::ItoF, b.loop_var(3))}))}),
    };
    m.reset_controls.body = {b.set_field(gain, nullptr, b.real(0.1))};
    m.clear_state.body = {
        b.set_field(iota, nullptr, b.i32(0)),
        b.for_loop(0, b.i32(0), b.i32(1024), {b.set_field(vec, b.loop_var(0), b.real(0))}),
    };
    std::uint32_t slow = Builder::add_local(m.compute, "fSlow0", Type::F32);
    std::uint32_t t = Builder::add_local(m.compute, "", Type::I32);
    m.compute.body = {
        b.set_local(slow, b.binary(Op::Mul, b.real(-0.5), b.unary(Op::Neg, b.field(gain)))),
        b.frame_loop({
            b.set_field(vec, b.binary(Op::And, b.field(iota), b.i32(1023)), b.input(0)),
            b.set_local(t, b.binary(Op::Min, b.unary(Op::FtoI, b.input(0)),
                                    b.binary(Op::Shl, b.i32(1), b.frame()))),
            b.if_else(b.binary(Op::Lt, b.local(t, Type::I32), b.i32(-3)),
                      {b.set_output(0, b.select(b.binary(Op::Eq, b.count(), b.i32(2)),
                                                b.real(1e-10), b.unary(Op::FTrunc, b.field(c))))},
                      {b.set_output(0, b.binary(Op::Sub, b.local(slow, Type::F32),
                                                b.binary(Op::Sub, b.real(1), b.input(0))))}),
            b.set_output(1, b.binary(Op::Mul,
                                     b.binary(Op::Add, b.real(2),
                                              b.field(vec, b.binary(Op::And,
                                                                    b.binary(Op::Sub, b.field(iota),
                                                                             b.i32(10)),
                                                                    b.i32(1023)))),
                                     b.field(table, b.i32(0)))),
            b.set_field(iota, nullptr, b.binary(Op::Add, b.field(iota), b.i32(1))),
        }),
    };
    EXPECT_EQ(print(m), R"(module f32 inputs 1 outputs 2 state_bytes 4176
fields {
  f32 fHslider0;  // #0 control @8 id "ui:/gain"
  f32 fVec0[1024];  // #1 delay @12 id "delay:x"
  i32 IOTA0;  // #2 iota @4108
  f64 fConst0;  // #3 constant @0
  f32 field4[16];  // #4 table @4112
}

init_constants(state, sample_rate) {
  fConst0 = 1.0 / (f64)max(1, sample_rate);
  for (i3 = 0; i3 < 16; i3++) {
    field4[i3] = sinf((f32)i3);
  }
}

reset_controls(state) {
  fHslider0 = 0.1f;
}

clear_state(state) {
  IOTA0 = 0;
  for (i0 = 0; i0 < 1024; i0++) {
    fVec0[i0] = 0.0f;
  }
}

compute(state, count, inputs, outputs) {
  f32 fSlow0;
  i32 l1;
  fSlow0 = -0.5f * -fHslider0;
  for (frame = 0; frame < count; frame++) {
    fVec0[IOTA0 & 1023] = in0;
    l1 = min((i32)in0, 1 << frame);
    if (l1 < -3) {
      out0 = count == 2 ? 1e-10f : (f32)fConst0;
    } else {
      out0 = fSlow0 - (1.0f - in0);
    }
    out1 = (2.0f + fVec0[(IOTA0 - 10) & 1023]) * field4[0];
    IOTA0 = IOTA0 + 1;
  }
}
)");
}

TEST(Printer, MalformedModulesPrint) {
    Module m;
    m.real = Type::F32;
    Builder b(m);
    b.add_field("f", Type::F32, 1, FieldKind::Other);
    Expr* bad = const_cast<Expr*>(b.field(0));
    bad->index = 9;
    m.compute.body = {nullptr, b.set_local(4, b.binary(Op::Add, bad, nullptr))};
    std::string s = print(m);
    EXPECT_NE(s.find("<null statement>;"), std::string::npos) << s;
    EXPECT_NE(s.find("<local 4> = <field 9> + <null>;"), std::string::npos) << s;
}

} // namespace
