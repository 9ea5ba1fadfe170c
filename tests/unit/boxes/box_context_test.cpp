// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "boxes/box.h"

namespace {

using namespace tutti;
using boxes::BoxKind;

struct Fixture {
    Arena arena;
    Interner in{arena};
    boxes::BoxContext bc{in};
};

TEST(Boxes, EqualStructuresAreOneBox) {
    Fixture f;
    auto& bc = f.bc;
    const boxes::Box* a =
        bc.make_binary(BoxKind::Seq, bc.make_binary(BoxKind::Par, bc.make_wire(), bc.make_wire()),
                       bc.make_prim(ast::PrimOp::Add));
    const boxes::Box* b =
        bc.make_binary(BoxKind::Seq, bc.make_binary(BoxKind::Par, bc.make_wire(), bc.make_wire()),
                       bc.make_prim(ast::PrimOp::Add));
    EXPECT_EQ(a, b);
    EXPECT_NE(bc.make_real(1.0), bc.make_int(1));
    EXPECT_NE(bc.make_real(0.0), bc.make_real(-0.0)); // bitwise identity
    EXPECT_EQ(bc.make_slider(BoxKind::HSlider, f.in.intern("g"), 1, 0, 2, 0.1),
              bc.make_slider(BoxKind::HSlider, f.in.intern("g"), 1, 0, 2, 0.1));
    EXPECT_NE(bc.make_slider(BoxKind::HSlider, f.in.intern("g"), 1, 0, 2, 0.1),
              bc.make_slider(BoxKind::HSlider, f.in.intern("g"), 1, 0, 3, 0.1));
}

TEST(Boxes, ArityFollowsTheCompositionRules) {
    Fixture f;
    auto& bc = f.bc;
    const boxes::Box* w = bc.make_wire();
    const boxes::Box* add = bc.make_prim(ast::PrimOp::Add);
    const boxes::Box* two = bc.make_binary(BoxKind::Par, w, w);
    EXPECT_EQ(two->inputs, 2u);
    EXPECT_EQ(two->outputs, 2u);
    const boxes::Box* split = bc.make_binary(BoxKind::Split, w, two);
    EXPECT_EQ(split->inputs, 1u);
    EXPECT_EQ(split->outputs, 2u);
    const boxes::Box* rec = bc.make_binary(BoxKind::Rec, add, w); // +~_ : 1 -> 1
    EXPECT_EQ(rec->inputs, 1u);
    EXPECT_EQ(rec->outputs, 1u);
    EXPECT_EQ(bc.make_prim(ast::PrimOp::Rwtable)->inputs, 5u);
    const boxes::Box* vals[] = {bc.make_int(1), bc.make_real(2.5)};
    EXPECT_EQ(bc.make_waveform(vals)->outputs, 2u);
    EXPECT_EQ(bc.make_soundfile(f.in.intern("s"), 3)->outputs, 5u);
    const double pairs[] = {1, 2, 2, 1};
    const boxes::Box* r = bc.make_route(2, 2, pairs);
    EXPECT_EQ(r->inputs, 2u);
    EXPECT_EQ(r->outputs, 2u);
    const boxes::Box* slot = bc.make_slot(bc.fresh_slot());
    const boxes::Box* sym = bc.make_symbolic(
        slot, bc.make_binary(BoxKind::Seq, bc.make_binary(BoxKind::Par, slot, w), add));
    EXPECT_EQ(sym->inputs, 2u);
    EXPECT_EQ(sym->outputs, 1u);
}

TEST(Boxes, PrinterIsReadable) {
    Fixture f;
    auto& bc = f.bc;
    const boxes::Box* b = bc.make_binary(
        BoxKind::Seq, bc.make_binary(BoxKind::Par, bc.make_wire(), bc.make_real(0.5)),
        bc.make_prim(ast::PrimOp::Mul));
    EXPECT_EQ(boxes::print(b), "((_,0.5) : *)");
    EXPECT_EQ(boxes::print(bc.make_group(
                  BoxKind::HGroup, f.in.intern("g"),
                  bc.make_slider(BoxKind::HSlider, f.in.intern("f"), 440, 20, 2000, 1))),
              "hgroup(\"g\", hslider(\"f\",440,20,2000,1))");
}

} // namespace
