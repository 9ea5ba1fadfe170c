// SPDX-License-Identifier: MIT
// State identities follow the program's structure, not the values flowing in:
// built from hand-made signal graphs, lowered, and compared field by field.
#include <gtest/gtest.h>

#include <map>

#include "lower/lower.h"
#include "passes/associate_as_printed.h"
#include "passes/normalize.h"

namespace {

using namespace tutti;
using ast::PrimOp;
using sig::SigKind;
using sig::Signal;

struct Fx {
    Arena arena;
    Interner in{arena};
    sig::SignalContext sc{in};

    /// A phasor: y = frac(y' + inc), as os.phasor does (with floor).
    const Signal* phasor(double inc) {
        int id = sc.fresh_group();
        const Signal* prev = sc.make_delay1(sc.make_proj(0, sc.make_recvar(id)));
        const Signal* sum = sc.make_bin(PrimOp::Add, prev, sc.make_real(inc));
        const Signal* fl[1] = {sum};
        const Signal* body = sc.make_bin(PrimOp::Sub, sum, sc.make_math(PrimOp::Floor, fl));
        const Signal* bodies[1] = {body};
        return sc.make_proj(0, sc.make_recgroup(id, bodies));
    }
    /// A one-pole lowpass: y = x + a * y'.
    const Signal* lowpass(const Signal* x, double a) {
        int id = sc.fresh_group();
        const Signal* prev = sc.make_delay1(sc.make_proj(0, sc.make_recvar(id)));
        const Signal* body =
            sc.make_bin(PrimOp::Add, x, sc.make_bin(PrimOp::Mul, sc.make_real(a), prev));
        const Signal* bodies[1] = {body};
        return sc.make_proj(0, sc.make_recgroup(id, bodies));
    }
    const Signal* delay(const Signal* x, int n) {
        return sc.make_delay(x, sc.make_int(n));
    }
    /// field identity -> field kind, for the state fields of the lowered program.
    std::map<std::string, ir::FieldKind> ids(const Signal* out) {
        const Signal* outs[1] = {out};
        // the signal passes before lowering, in the pipeline's order (compiler/pipeline.cpp)
        std::vector<const Signal*> normal = passes::associate_as_printed(
            passes::normalize(outs, sc, passes::infer_types(outs)), sc);
        lower::LowerResult r = lower::lower(normal, 0, sc, passes::infer_types(normal),
                                            passes::infer_intervals(normal), true);
        EXPECT_TRUE(r.module) << r.error;
        std::map<std::string, ir::FieldKind> m;
        if (!r.module) {
            return m;
        }
        for (const auto& f : r.module->fields) {
            if (!f.identity.empty() && f.identity != "iota") {
                EXPECT_EQ(m.count(f.identity), 0u) << "duplicate identity " << f.identity;
                m[f.identity] = f.kind;
            }
        }
        return m;
    }
};

TEST(StateIdentity, SameProgramSameIdentities) {
    Fx a, b;
    auto ia = a.ids(a.delay(a.phasor(0.01), 24000));
    auto ib = b.ids(b.delay(b.phasor(0.01), 24000));
    // the phasor's recursion memory doubles as the delay line of its output
    EXPECT_EQ(ia.size(), 1u);
    EXPECT_EQ(ia, ib);
}

TEST(StateIdentity, AnUpstreamConstantDoesNotMoveState) {
    // osc(440) : delay  ->  osc(550) : delay, and a different delay length
    Fx a, b;
    auto ia = a.ids(a.delay(a.phasor(440.0 / 44100), 24000));
    auto ib = b.ids(b.delay(b.phasor(550.0 / 44100), 30000));
    EXPECT_EQ(ia, ib);
}

TEST(StateIdentity, ADownstreamGainDoesNotMoveState) {
    Fx a, b;
    auto ia =
        a.ids(a.sc.make_bin(PrimOp::Mul, a.lowpass(a.phasor(0.01), 0.5), a.sc.make_real(0.3)));
    auto ib =
        b.ids(b.sc.make_bin(PrimOp::Mul, b.lowpass(b.phasor(0.01), 0.5), b.sc.make_real(0.9)));
    EXPECT_EQ(ia, ib);
}

TEST(StateIdentity, AStructuralChangeChangesOnlyWhatChanged) {
    // phasor : lowpass  ->  phasor : delay : lowpass: the lowpass keeps its
    // identity (same position from the output, same shape); the phasor keeps its
    // shape but not its position; the new delay line is new.
    Fx a, b;
    auto ia = a.ids(a.lowpass(a.phasor(0.01), 0.5));
    auto ib = b.ids(b.lowpass(b.delay(b.phasor(0.01), 10), 0.5));
    std::size_t common = 0;
    for (const auto& [id, kind] : ia) {
        common += ib.count(id);
    }
    EXPECT_EQ(common, 1u); // the lowpass
    // and the phasor is still recognisable by its shape (the last component)
    auto shape = [](const std::string& id) { return id.substr(id.rfind(':')); };
    std::size_t same_shape = 0;
    for (const auto& [x, kx] : ia) {
        for (const auto& [y, ky] : ib) {
            same_shape += kx == ky && shape(x) == shape(y) ? 1 : 0;
        }
    }
    EXPECT_GE(same_shape, 2u);
}

TEST(StateIdentity, ControlsAreIdentifiedByTheirPath) {
    Fx a;
    const double p[4] = {1, 0, 2, 0.1};
    const Signal* g = a.sc.make_widget(SigKind::HSlider, a.in.intern("h:mix/gain"), p);
    auto ia = a.ids(a.sc.make_bin(PrimOp::Mul, a.phasor(0.01), g));
    EXPECT_EQ(ia.count("control:h:mix/gain"), 1u);
}

} // namespace
