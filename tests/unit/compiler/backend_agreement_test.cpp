// SPDX-License-Identifier: MIT
// The LLVM JIT and the IR interpreter agree bit for bit on real programs: a set
// of installed example programs rendered through the public API with both
// backends, in single and double precision (impulse inputs, buttons held for
// the first half, blocks of 64).
#include <gtest/gtest.h>

#include <cstring>

#include "tools/test_support.h"
#include "tutti/compiler.h"

namespace {

const char* const programs[] = {
    "generator/noise.dsp",       "misc/switcher.dsp",
    "old/freeverb.dsp",          "spat/panpot.dsp",
    "generator/osc.dsp",         "generator/sawtoothLab.dsp",
    "filtering/moogVCF.dsp",     "filtering/korg35LPF.dsp",
    "filtering/diodeLadder.dsp", "dynamic/compressor.dsp",
    "delayEcho/echo.dsp",        "phasing/flanger.dsp",
    "gameaudio/rain.dsp",        "physicalModeling/old/karplus.dsp",
    "reverb/zitaRev.dsp",        "reverb/greyhole.dsp",
    "reverb/fdnRev.dsp",
};

template <class T> std::vector<T> render(const tutti::Factory& f, int frames) {
    auto dsp = f.create_instance();
    dsp->init(44100);
    int nin = dsp->num_inputs(), nout = dsp->num_outputs();
    std::vector<std::vector<T>> in(std::size_t(nin), std::vector<T>(std::size_t(frames), T(0)));
    for (auto& ch : in) {
        ch[0] = T(1);
    }
    std::vector<std::vector<T>> out(static_cast<std::size_t>(nout),
                                    std::vector<T>(static_cast<std::size_t>(frames)));
    std::vector<std::size_t> buttons;
    for (std::size_t i = 0; i < dsp->parameters().size(); ++i) {
        if (dsp->parameters()[i].kind == tutti::Parameter::Kind::Button) {
            buttons.push_back(i);
        }
    }
    for (int pos = 0; pos < frames; pos += 64) {
        for (std::size_t b : buttons) {
            dsp->set_parameter(b, pos < frames / 2 ? 1.0 : 0.0);
        }
        int n = std::min(64, frames - pos);
        std::vector<const void*> ip;
        std::vector<void*> op;
        ip.reserve(in.size());
        for (auto& ch : in) {
            ip.push_back(ch.data() + pos);
        }
        op.reserve(out.size());
        for (auto& ch : out) {
            op.push_back(ch.data() + pos);
        }
        dsp->compute(n, ip.data(), op.data());
    }
    std::vector<T> flat;
    for (auto& ch : out) {
        flat.insert(flat.end(), ch.begin(), ch.end());
    }
    return flat;
}

class BackendAgreement : public ::testing::TestWithParam<const char*> {};

TEST_P(BackendAgreement, JitEqualsInterpreterBitForBit) {
    auto dir = tutti::test::faust_dir();
    ASSERT_FALSE(dir.empty()) << "install faust (make setup)";
    std::string path = (dir / "examples" / GetParam()).string();
    for (bool dbl : {false, true}) {
        tutti::CompileOptions o;
        o.double_precision = dbl;
        o.backend = tutti::Backend::Interpreter;
        auto ri = tutti::compile_file(path, o);
        o.backend = tutti::Backend::Llvm;
        auto rl = tutti::compile_file(path, o);
        ASSERT_TRUE(ri.ok() && rl.ok())
            << (ri.diagnostics.empty() ? "" : tutti::to_text(ri.diagnostics[0]));
        const int frames = 4000;
        bool same;
        std::size_t nonzero = 0;
        if (dbl) {
            auto a = render<double>(*ri.factory, frames), b = render<double>(*rl.factory, frames);
            same = a.size() == b.size() &&
                   std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
            for (double v : a) {
                nonzero += v != 0;
            }
        } else {
            auto a = render<float>(*ri.factory, frames), b = render<float>(*rl.factory, frames);
            same = a.size() == b.size() &&
                   std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
            for (float v : a) {
                nonzero += v != 0;
            }
        }
        EXPECT_TRUE(same) << GetParam() << (dbl ? " double" : " single");
        EXPECT_GT(nonzero, 0u) << GetParam() << ": silent, so the comparison proves little";
    }
}

INSTANTIATE_TEST_SUITE_P(Examples, BackendAgreement, ::testing::ValuesIn(programs),
                         [](const auto& param_info) {
                             std::string s = param_info.param;
                             for (char& c : s) {
                                 c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                             }
                             return s;
                         });

} // namespace
