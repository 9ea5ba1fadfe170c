// SPDX-License-Identifier: MIT
// Propagation of hand-built boxes into signals, checked through the signal
// printer (a deterministic SSA-like text).
#include <gtest/gtest.h>

#include "signals/propagate.h"

namespace {

using namespace tutti;
using ast::PrimOp;
using boxes::BoxKind;

struct Fx {
    Arena arena;
    Interner in{arena};
    boxes::BoxContext bc{in};
    sig::SignalContext sc{in};

    const boxes::Box* w() {
        return bc.make_wire();
    }
    const boxes::Box* seq(const boxes::Box* a, const boxes::Box* b) {
        return bc.make_binary(BoxKind::Seq, a, b);
    }
    const boxes::Box* par(const boxes::Box* a, const boxes::Box* b) {
        return bc.make_binary(BoxKind::Par, a, b);
    }
    const boxes::Box* p(PrimOp op) {
        return bc.make_prim(op);
    }
    std::string run(const boxes::Box* b) {
        auto r = sig::propagate_process(b, sc);
        EXPECT_TRUE(r.error.empty()) << r.error;
        return sig::print(r.outputs);
    }
};

TEST(Propagate, InfixAddition) {
    Fx f;
    EXPECT_EQ(f.run(f.seq(f.par(f.w(), f.w()), f.p(PrimOp::Add))),
              "S0 = bin(+, input(0), input(1))\nout0 = S0\n");
}

TEST(Propagate, RecursionIsAGroupFedBackThroughADelay) {
    Fx f;
    // +(1) ~ _  : y(t) = y(t-1) + 1
    const boxes::Box* plus1 = f.seq(f.par(f.w(), f.bc.make_int(1)), f.p(PrimOp::Add));
    EXPECT_EQ(f.run(f.bc.make_binary(BoxKind::Rec, plus1, f.w())), "S0 = proj(0, W0)\n"
                                                                   "S1 = delay(S0, 1)\n"
                                                                   "S2 = bin(+, S1, 1)\n"
                                                                   "S3 = rec(0, S2)\n"
                                                                   "S4 = proj(0, S3)\n"
                                                                   "out0 = S4\n");
}

TEST(Propagate, SplitDuplicatesAndMergeSums) {
    Fx f;
    const boxes::Box* three = f.par(f.w(), f.par(f.w(), f.w()));
    EXPECT_EQ(f.run(f.bc.make_binary(BoxKind::Split, f.w(), three)),
              "out0 = input(0)\nout1 = input(0)\nout2 = input(0)\n");
    const boxes::Box* four = f.par(f.w(), three);
    const boxes::Box* two = f.par(f.w(), f.w());
    // outputs k of A go to input k mod 2 of B, summed in order
    EXPECT_EQ(
        f.run(f.bc.make_binary(BoxKind::Merge, four, two)),
        "S0 = bin(+, input(0), input(2))\nS1 = bin(+, input(1), input(3))\nout0 = S0\nout1 = S1\n");
}

TEST(Propagate, WidgetsCarryTheirGroupPath) {
    Fx f;
    Symbol freq = f.in.intern("freq [unit:Hz]");
    const boxes::Box* s = f.bc.make_slider(BoxKind::HSlider, freq, 440, 20, 2000, 1);
    const boxes::Box* grouped = f.bc.make_group(BoxKind::HGroup, f.in.intern("Osc"), s);
    const boxes::Box* by_path =
        f.bc.make_slider(BoxKind::HSlider, f.in.intern("h:Osc/freq [unit:Hz]"), 440, 20, 2000, 1);
    auto r = sig::propagate_process(f.par(grouped, by_path), f.sc);
    ASSERT_EQ(r.outputs.size(), 2u);
    EXPECT_EQ(r.outputs[0], r.outputs[1]); // the same widget, one signal (as in Faust)
    EXPECT_EQ(r.outputs[0]->label.str(), "h:Osc/freq [unit:Hz]");
}

TEST(Propagate, LabelPaths) {
    EXPECT_EQ(sig::resolve_label_path("", "gain", 0), "gain");
    EXPECT_EQ(sig::resolve_label_path("v:a/h:b", "../t:c/x", 0), "v:a/t:c/x");
    EXPECT_EQ(sig::resolve_label_path("v:a/h:b", "/h:top/x", 0), "h:top/x");
    EXPECT_EQ(sig::resolve_label_path("v:a", "./y", 0), "v:a/y");
    EXPECT_EQ(sig::resolve_label_path("v:a", "B", 'h'), "v:a/h:B");
    // As Faust's label2path: only an "x:" prefix opens a group; the rest of the
    // label, '/' included, is the widget's label ('/' and '\' escaped).
    EXPECT_EQ(sig::resolve_label_path("", "url [link:http://x/y]", 0),
              "url [link:http:\\/\\/x\\/y]");
    EXPECT_EQ(sig::resolve_label_path("", "x/a", 0), "x\\/a");
    EXPECT_EQ(sig::resolve_label_path("", "h:g", 0), "h:g/");    // the empty label in group g
    EXPECT_EQ(sig::resolve_label_path("", "q:g/w", 0), "v:g/w"); // any other letter: a vgroup
    EXPECT_EQ(sig::resolve_label_path("v:a", "A b/c", 'h'),
              "v:a/h:A b\\/c"); // a group label is whole
    EXPECT_EQ(sig::resolve_label_path("", "a\\b", 0), "a\\\\b");
}

TEST(Propagate, UiPathsSplitBackIntoTheirLabels) {
    std::string p =
        sig::resolve_label_path(sig::resolve_label_path("", "A b/c", 'h'), "x/a [k:v]", 0);
    std::vector<sig::UiPathPart> parts = sig::split_ui_path(p);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].kind, 'h');
    EXPECT_EQ(parts[0].label, "A b/c");
    EXPECT_EQ(parts[1].kind, 0);
    EXPECT_EQ(parts[1].label, "x/a [k:v]");
    parts = sig::split_ui_path(sig::resolve_label_path("v:g", "", 0));
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[1].label, "");
}

TEST(Propagate, SymbolicBoxesBindTheirFirstInput) {
    Fx f;
    const boxes::Box* slot = f.bc.make_slot(f.bc.fresh_slot());
    // \(x).(x * x) used as a box
    const boxes::Box* body = f.seq(f.par(slot, slot), f.p(PrimOp::Mul));
    EXPECT_EQ(f.run(f.bc.make_symbolic(slot, body)),
              "S0 = bin(*, input(0), input(0))\nout0 = S0\n");
}

TEST(Propagate, RouteAndSelect3) {
    Fx f;
    const double swap[] = {1, 2, 2, 1};
    EXPECT_EQ(f.run(f.bc.make_route(2, 3, swap)), "out0 = input(1)\nout1 = input(0)\nout2 = 0\n");
    EXPECT_EQ(f.run(f.p(PrimOp::Select3)), "S0 = bin(==, input(0), 0)\nS1 = bin(==, input(0), "
                                           "1)\nS2 = select2(S1, input(3), input(2))\n"
                                           "S3 = select2(S0, S2, input(1))\nout0 = S3\n");
}

TEST(Propagate, SoundfileGivesLengthRateAndClampedChannels) {
    Fx f;
    auto r = sig::propagate_process(f.bc.make_soundfile(f.in.intern("s"), 1), f.sc);
    ASSERT_TRUE(r.error.empty());
    ASSERT_EQ(r.outputs.size(), 3u);
    EXPECT_EQ(r.outputs[0]->kind, sig::SigKind::SoundLength);
    EXPECT_EQ(r.outputs[1]->kind, sig::SigKind::SoundRate);
    EXPECT_EQ(r.outputs[2]->kind, sig::SigKind::SoundBuffer);
}

} // namespace
