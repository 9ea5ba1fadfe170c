// SPDX-License-Identifier: MIT
// The normal form of signals (and the association of the reference's C++
// text), rule by rule, on hand-built signals, checked
// through the signal printer. Each expected form is the one faust 2.54.9 gives
// the same expression (its generated C++ for the program in the comment).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <vector>

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

    /// The inputs exist before the rest, as after propagation.
    Fx() {
        for (int i = 0; i < 4; ++i) {
            sc.make_input(i);
        }
    }

    const Signal* x(int i) {
        return sc.make_input(i);
    }
    const Signal* k(int v) {
        return sc.make_int(v);
    }
    const Signal* r(double v) {
        return sc.make_real(v);
    }
    const Signal* add(const Signal* a, const Signal* b) {
        return sc.make_bin(PrimOp::Add, a, b);
    }
    const Signal* sub(const Signal* a, const Signal* b) {
        return sc.make_bin(PrimOp::Sub, a, b);
    }
    const Signal* mul(const Signal* a, const Signal* b) {
        return sc.make_bin(PrimOp::Mul, a, b);
    }
    const Signal* div(const Signal* a, const Signal* b) {
        return sc.make_bin(PrimOp::Div, a, b);
    }
    const Signal* delay(const Signal* a, int n) {
        return sc.make_delay(a, k(n));
    }
    const Signal* pow(const Signal* a, const Signal* b) {
        const Signal* args[2] = {a, b};
        return sc.make_math(PrimOp::Pow, args);
    }
    /// float(fSamplingFreq), as the reference's promotion makes it in a real context.
    const Signal* sr() {
        const Signal* k[1] = {sc.make_fconst(SigKind::FConst, ast::ValueType::Int,
                                             in.intern("fSamplingFreq"), in.intern("<math.h>"))};
        return sc.make(SigKind::FloatCast, k);
    }
    const Signal* slider(const char* name) {
        static const double nums[4] = {0, 0, 1, 0.1};
        return sc.make_widget(SigKind::HSlider, in.intern(name), nums);
    }
    /// The printed normal form of one output.
    std::string normal(const Signal* s) {
        const Signal* outs[1] = {s};
        return sig::print(passes::normalize(outs, sc, passes::infer_types(outs)));
    }
    /// The same, associated as the reference's C++ text is (the lowering's input).
    std::string printed(const Signal* s) {
        const Signal* outs[1] = {s};
        std::vector<const Signal*> normal = passes::normalize(outs, sc, passes::infer_types(outs));
        return sig::print(passes::associate_as_printed(normal, sc));
    }
    std::string text(const Signal* s) {
        const Signal* outs[1] = {s};
        return sig::print(outs);
    }
};

TEST(Normalize, LikeTermsCancel) {
    // generator/osc.dsp, si.smoo: 1 - (1 - 44.1/SR) is 44.1/SR, the constant
    // faust computes once (fConst2) and uses directly
    Fx f;
    const Signal* p = f.div(f.r(44.1), f.sr());
    {
        std::string got = f.normal(f.sub(f.k(1), f.sub(f.k(1), p)));
        EXPECT_EQ(got, f.text(p));
    }
}

TEST(Normalize, FactorsAreGroupedByOrder) {
    // freq / SR: faust computes fConst1 = 1/SR at init, then fConst1 * freq per block
    Fx f;
    const Signal* freq = f.slider("freq");
    {
        std::string got = f.normal(f.div(freq, f.sr()));
        EXPECT_EQ(got, f.text(f.mul(f.div(f.r(1.0), f.sr()), freq)));
    }
}

TEST(Normalize, DivisionByAConstantIsAReciprocal) {
    // process = _ <: (_-1)/3;  ->  0.33333334f * (x + -1.0f)
    Fx f;
    {
        std::string got = f.normal(f.div(f.sub(f.x(0), f.k(1)), f.k(3)));
        EXPECT_EQ(got, f.text(f.mul(f.r(1.0 / 3.0), f.add(f.x(0), f.r(-1.0)))));
    }
}

TEST(Normalize, NegativeMonomialIsSubtractedFromZero) {
    // process = _ <: (_ - 3) * -2;  ->  0.0f - 2.0f * (x + -3.0f)
    Fx f;
    {
        std::string got = f.normal(f.mul(f.sub(f.x(0), f.k(3)), f.k(-2)));
        EXPECT_EQ(got, f.text(f.sub(f.k(0), f.mul(f.r(2.0), f.add(f.x(0), f.r(-3.0))))));
    }
}

TEST(Normalize, CoefficientsOfLikeTermsAreAdded) {
    // process = _ <: _*0.1 + _*0.2;  ->  0.3f * x
    Fx f;
    {
        std::string got = f.normal(f.add(f.mul(f.x(0), f.r(0.1)), f.mul(f.x(0), f.r(0.2))));
        EXPECT_EQ(got, f.text(f.mul(f.r(0.1 + 0.2), f.x(0))));
    }
}

TEST(Normalize, CommonCoefficientIsFactoredOut) {
    // process = _,_,_ : *(2), *(2), *(3) :> _;  ->  2.0f * (x0 + x1) + 3.0f * x2
    Fx f;
    const Signal* x0 = f.x(0);
    const Signal* a = f.mul(x0, f.k(2));
    const Signal* x1 = f.x(1);
    const Signal* b = f.mul(x1, f.k(2));
    const Signal* ab = f.add(a, b);
    const Signal* x2 = f.x(2);
    const Signal* c = f.mul(x2, f.k(3));
    {
        std::string got = f.normal(f.add(ab, c));
        EXPECT_EQ(got,
                  f.text(f.add(f.mul(f.r(2.0), f.add(f.x(0), f.x(1))), f.mul(f.r(3.0), f.x(2)))));
    }
}

TEST(Normalize, OppositeCoefficientsAreFactoredOut) {
    // process = _,_ : *(2), *(-2) :> _;  ->  2.0f * (x0 - x1)
    Fx f;
    {
        std::string got = f.normal(f.add(f.mul(f.x(0), f.k(2)), f.mul(f.x(1), f.k(-2))));
        EXPECT_EQ(got, f.text(f.mul(f.r(2.0), f.sub(f.x(0), f.x(1)))));
    }
}

TEST(Normalize, RepeatedFactorIsAPower) {
    // process = _ <: _ * _ * _ * 2 / _;  ->  2.0f * mydsp_faustpower2_f(x)
    Fx f;
    const Signal* x = f.x(0);
    {
        std::string got = f.normal(f.div(f.mul(f.mul(f.mul(x, x), x), f.k(2)), x));
        EXPECT_EQ(got, f.text(f.mul(f.r(2.0), f.pow(x, f.k(2)))));
    }
}

TEST(Normalize, WrittenPowerIsOneFactor) {
    // process = _ <: pow(_,3) / _;  ->  mydsp_faustpower3_f(x) / x
    Fx f;
    const Signal* p = f.div(f.pow(f.x(0), f.k(3)), f.x(0));
    {
        std::string got = f.normal(p);
        EXPECT_EQ(got, f.text(p));
    }
}

TEST(Normalize, DelayGoesThroughConstantFactors) {
    // process = _ : (_*3)@5 : mem;  ->  3.0f * fVec0[6]: through the constant
    // factor, and the two delays merged into one, as faust does
    Fx f;
    {
        std::string got = f.normal(f.delay(f.delay(f.mul(f.x(0), f.k(3)), 5), 1));
        EXPECT_EQ(got, f.text(f.mul(f.r(3.0), f.delay(f.x(0), 6))));
    }
}

TEST(Normalize, IntSubExpressionOfARealSumIsOneFactor) {
    // process = (1 - 1') + _ * 2;  ->  float(1 - iVec0[1]) + 2.0f * x
    Fx f;
    const Signal* impulse = f.sub(f.k(1), f.delay(f.k(1), 1));
    const Signal* s = f.add(impulse, f.mul(f.x(0), f.k(2)));
    const Signal* cast[1] = {impulse};
    {
        std::string got = f.normal(s);
        EXPECT_EQ(got, f.text(f.add(f.sc.make(SigKind::FloatCast, cast), f.mul(f.r(2.0), f.x(0)))));
    }
}

TEST(Normalize, SumIsAssociatedAsTheReferencePrintsIt) {
    // process = _ + hslider("a",...) : -(1);  ->  fSlow0 + float(input0[i0]) + -1.0f,
    // which C++ computes as (a + x) + -1 although the normal form is a + (x + -1)
    Fx f;
    const Signal* a = f.slider("a");
    {
        std::string got = f.printed(f.sub(f.add(f.x(0), a), f.k(1)));
        EXPECT_EQ(got, f.text(f.add(f.add(a, f.x(0)), f.r(-1.0))));
    }
}

TEST(Normalize, ProductIsAssociatedAsTheReferencePrintsIt) {
    // process = _,_ : * : *(2);  ->  2.0f * x0 * x1, computed as (2 * x0) * x1
    Fx f;
    {
        std::string got = f.printed(f.mul(f.mul(f.x(0), f.x(1)), f.k(2)));
        EXPECT_EQ(got, f.text(f.mul(f.mul(f.r(2.0), f.x(0)), f.x(1))));
    }
}

TEST(Normalize, QuotientKeepsItsParentheses) {
    // process = _,_ : / : *(2);  ->  2.0f * (x0 / x1)
    Fx f;
    {
        std::string got = f.printed(f.mul(f.div(f.x(0), f.x(1)), f.k(2)));
        EXPECT_EQ(got, f.text(f.mul(f.r(2.0), f.div(f.x(0), f.x(1)))));
    }
}

TEST(Normalize, NeutralAndAbsorbingElements) {
    // process = _ <: _*0, 0/_, _/1, 1*_, _ - 0, 0 + _;  ->  0, 0, x, x, x, x
    Fx f;
    const Signal* x = f.x(0);
    {
        std::string got = f.normal(f.mul(x, f.k(0)));
        EXPECT_EQ(got, f.text(f.r(0.0)));
    }
    {
        std::string got = f.normal(f.div(f.k(0), x));
        EXPECT_EQ(got, f.text(f.r(0.0)));
    }
    {
        std::string got = f.normal(f.div(x, f.k(1)));
        EXPECT_EQ(got, f.text(x));
    }
    {
        std::string got = f.normal(f.mul(f.k(1), x));
        EXPECT_EQ(got, f.text(x));
    }
    {
        std::string got = f.normal(f.sub(x, f.k(0)));
        EXPECT_EQ(got, f.text(x));
    }
    {
        std::string got = f.normal(f.add(f.k(0), x));
        EXPECT_EQ(got, f.text(x));
    }
}

TEST(Normalize, ConstantSelector) {
    // process = select2(0.5, 1, _), select2(1.5, _, 2);  ->  1, 2
    Fx f;
    const Signal* a[3] = {f.r(0.5), f.k(1), f.x(0)};
    const Signal* b[3] = {f.r(1.5), f.x(0), f.k(2)};
    {
        std::string got = f.normal(f.sc.make(SigKind::Select2, a));
        EXPECT_EQ(got, f.text(f.k(1)));
    }
    {
        std::string got = f.normal(f.sc.make(SigKind::Select2, b));
        EXPECT_EQ(got, f.text(f.k(2)));
    }
}

/// A chain of sums normalised alone (each prefix used only by the next sum: the
/// kept polynomial and tree, normalize.cpp Chain) prints as when every prefix
/// is an output too (each normalised in full). Each side in a context of its
/// own: the normal form orders terms by when their trees were made (Ranks), so
/// a second pass in the same context would see the first one's trees as older.
using Terms = std::vector<std::pair<const Signal*, bool>>;
void expect_chain_as_in_full(const std::function<Terms(Fx&)>& make_terms) {
    auto chain_of = [](Fx& f, const Terms& terms) {
        const Signal* s = terms[0].first;
        std::vector<const Signal*> all;
        for (std::size_t i = 1; i < terms.size(); ++i) {
            s = terms[i].second ? f.sub(s, terms[i].first) : f.add(s, terms[i].first);
            all.push_back(s);
        }
        return all;
    };
    Fx fa;
    std::vector<const Signal*> prefixes_a = chain_of(fa, make_terms(fa));
    const Signal* alone[1] = {prefixes_a.back()};
    std::vector<const Signal*> chained =
        passes::normalize(alone, fa.sc, passes::infer_types(alone));
    Fx fb;
    std::vector<const Signal*> all = chain_of(fb, make_terms(fb));
    std::reverse(all.begin(), all.end()); // the whole sum first
    std::vector<const Signal*> full = passes::normalize(all, fb.sc, passes::infer_types(all));
    const Signal* a[1] = {chained[0]};
    const Signal* b[1] = {full[0]};
    EXPECT_EQ(sig::print(a), sig::print(b));
}

TEST(Normalize, ChainOfSumsIsNormalisedAsEachPrefixInFull) {
    // sum(i, 200, _@i): distinct terms, the usual case
    expect_chain_as_in_full([](Fx& f) {
        Terms t;
        for (int i = 0; i < 200; ++i) {
            t.push_back({f.delay(f.x(0), i + 1), false});
        }
        return t;
    });
    // terms of every order, subtracted ones, coefficients, quotients, powers
    expect_chain_as_in_full([](Fx& f) {
        Terms t;
        for (int i = 0; i < 60; ++i) {
            const Signal* g = f.slider(i % 2 == 0 ? "a" : "b");
            switch (i % 6) {
            case 0:
                t.push_back({f.mul(f.k(i + 2), f.delay(f.x(1), i + 1)), false});
                break;
            case 1:
                t.push_back({f.mul(g, f.delay(f.x(0), i)), true});
                break;
            case 2:
                t.push_back({f.div(f.delay(f.x(2), i), f.r(i + 0.5)), false});
                break;
            case 3:
                t.push_back({f.mul(f.delay(f.x(3), i), f.delay(f.x(3), i)), true});
                break;
            case 4:
                t.push_back({f.div(f.sr(), f.k(i)), false});
                break;
            default:
                t.push_back({f.r(0.25 * i), i % 4 == 1});
                break;
            }
        }
        return t;
    });
    // alike terms and common divisors: prefixes normalised in full
    expect_chain_as_in_full([](Fx& f) {
        Terms t;
        for (int i = 0; i < 40; ++i) {
            t.push_back({f.mul(f.k(2 + i % 3), f.delay(f.x(i % 4), i % 7)), i % 5 == 0});
        }
        return t;
    });
}

} // namespace
