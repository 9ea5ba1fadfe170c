// SPDX-License-Identifier: MIT
// The public compiler API end to end: source text -> factory -> instance ->
// samples, on both executors, with outputs that follow from the language's
// definition (the example programs are compared with the reference compiler by
// scripts/conformance.sh and the conformance test).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "tutti/compiler.h"

namespace {

using tutti::Backend;
using tutti::CompileOptions;

std::string first_error(const tutti::CompileResult& r) {
    return r.diagnostics.empty() ? "" : tutti::to_text(r.diagnostics[0]);
}

/// Runs `frames` frames of a program (inputs: an impulse) and returns output 0.
template <class T>
std::vector<T> run(const std::string& src, Backend backend, int frames, bool dbl, int block = 7) {
    CompileOptions o;
    o.backend = backend;
    o.double_precision = dbl;
    auto r = tutti::compile_source("t.dsp", src, o);
    EXPECT_TRUE(r.ok()) << first_error(r);
    if (!r.ok()) {
        return {};
    }
    auto dsp = r.factory->create_instance();
    dsp->init(44100);
    int nin = dsp->num_inputs(), nout = dsp->num_outputs();
    std::vector<std::vector<T>> in(std::size_t(nin), std::vector<T>(std::size_t(frames), T(0)));
    for (auto& ch : in) {
        ch[0] = T(1);
    }
    std::vector<std::vector<T>> out(std::size_t(nout), std::vector<T>(std::size_t(frames), T(0)));
    for (int pos = 0; pos < frames; pos += block) {
        int n = std::min(block, frames - pos);
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
    return nout > 0 ? out[0] : std::vector<T>{};
}

class BothBackends : public ::testing::TestWithParam<Backend> {};

TEST_P(BothBackends, CounterRecursion) {
    auto y = run<float>("process = +(1) ~ _;", GetParam(), 100, false);
    ASSERT_EQ(y.size(), 100u);
    for (int n = 0; n < 100; ++n) {
        EXPECT_EQ(y[std::size_t(n)], float(n + 1));
    }
}

TEST_P(BothBackends, DelaysOfEverySize) {
    // one-sample, small (shifted array) and large (ring buffer) delays of an impulse
    for (int d : {1, 3, 15, 16, 100, 3000}) {
        auto y = run<double>("process = _ @ " + std::to_string(d) + ";", GetParam(), 4000, true);
        ASSERT_EQ(y.size(), 4000u);
        for (int n = 0; n < 4000; ++n) {
            ASSERT_EQ(y[std::size_t(n)], n == d ? 1.0 : 0.0) << "delay " << d << " frame " << n;
        }
    }
}

TEST_P(BothBackends, OnePoleFilterInDouble) {
    auto y = run<double>("process = + ~ *(0.5);", GetParam(), 50, true);
    ASSERT_EQ(y.size(), 50u);
    for (int n = 0; n < 50; ++n) {
        EXPECT_EQ(y[std::size_t(n)], std::ldexp(1.0, -n)); // impulse response 0.5^n
    }
}

TEST_P(BothBackends, IntegerNoiseWraps) {
    // the LCG of noises.lib, written out: wraps modulo 2^32
    auto y =
        run<double>("process = +(12345) ~ *(1103515245) : /(2147483647.0);", GetParam(), 10, true);
    ASSERT_EQ(y.size(), 10u);
    std::uint32_t x = 0;
    for (int n = 0; n < 10; ++n) {
        x = x * 1103515245u + 12345u;
        EXPECT_EQ(y[std::size_t(n)], double(std::int32_t(x)) / 2147483647.0) << n;
    }
}

TEST_P(BothBackends, TablesAndControls) {
    auto y = run<float>("process = rdtable(4, +(1) ~ _, int(hslider(\"i\", 2, 0, 10, 1)));",
                        GetParam(), 3, false);
    ASSERT_EQ(y.size(), 3u);
    EXPECT_EQ(y[0], 3.0f); // the table holds 1,2,3,4; index 2
}

TEST_P(BothBackends, RdtableOfAWaveform) {
    // Regression: a table and the waveform filling it shared one field, and the
    // table read zeros. Expected values are the reference faust's output.
    auto y = run<double>("process = rdtable(waveform{10,20,30,40,50}, int(+(1)~_ : %(7)));",
                         GetParam(), 8, true);
    ASSERT_EQ(y, (std::vector<double>{20, 30, 40, 50, 50, 50, 10, 20}));
}

TEST_P(BothBackends, RecursionReadThroughAVariableDelayThatIsZero) {
    // Regression (smartKeyboard/acGuitar: a string whose length starts at 0 makes
    // de.fdelay4 clamp its delay to 0 inside a feedback chain): a recursion's
    // output read with a variable delay that is 0 is its current value, as in
    // the reference, for a shifted-array line (max 10) and a ring buffer (1000).
    for (int max : {10, 1000}) {
        auto y = run<double>("process = + ~ *(0.4) : @(int(hslider(\"d\", 0, 0, " +
                                 std::to_string(max) + ", 1)));",
                             GetParam(), 2000, true);
        ASSERT_EQ(y.size(), 2000u);
        double want = 0;
        for (int n = 0; n < 2000; ++n) {
            want = (n == 0 ? 1.0 : 0.0) + want * 0.4;
            ASSERT_EQ(y[std::size_t(n)], want) << "max " << max << " frame " << n;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, BothBackends,
                         ::testing::Values(Backend::Interpreter, Backend::Llvm), [](const auto& i) {
                             return i.param == Backend::Llvm ? "llvm" : "interp";
                         });

TEST(Compiler, ParametersAndJson) {
    auto r = tutti::compile_source(
        "ui.dsp", "process = hslider(\"gain [unit:dB]\", -6, -70, 6, 0.1), button(\"gate\");",
        {false, Backend::Interpreter, {}, 2});
    ASSERT_TRUE(r.ok()) << first_error(r);
    const auto& params = r.factory->parameters();
    ASSERT_EQ(params.size(), 2u);
    EXPECT_EQ(params[0].path, "/ui/gain"); // wrapped in an implicit vgroup named after the file
    EXPECT_EQ(params[0].label, "gain");
    ASSERT_EQ(params[0].metadata.size(), 1u);
    EXPECT_EQ(params[0].metadata[0].second, "dB");
    EXPECT_EQ(params[1].path, "/ui/gate");
    const std::string& json = r.factory->json();
    EXPECT_NE(json.find("\"address\": \"/ui/gain\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"type\": \"hslider\""), std::string::npos);
    EXPECT_NE(json.find("\"outputs\": 2"), std::string::npos);

    auto dsp = r.factory->create_instance();
    dsp->init(48000);
    EXPECT_EQ(dsp->get_parameter("gain").value(), -6.0);
    EXPECT_TRUE(dsp->set_parameter("/ui/gain", 3.0));
    EXPECT_EQ(dsp->get_parameter("gain").value(), 3.0);
    EXPECT_FALSE(dsp->set_parameter("nothing", 1.0));
}

TEST(Compiler, ASingleTopGroupIsNotWrapped) {
    auto r =
        tutti::compile_source("x.dsp", "process = hgroup(\"g\", hslider(\"gain\", 1, 0, 2, 0.01));",
                              {false, Backend::Interpreter, {}, 2});
    ASSERT_TRUE(r.ok()) << first_error(r);
    ASSERT_EQ(r.factory->parameters().size(), 1u);
    EXPECT_EQ(r.factory->parameters()[0].path, "/g/gain");
}

TEST(Compiler, ParametersAreNamedByFaustAddressShortNameOrLabel) {
    // Addresses and short names as `faust -json` (2.54.9) writes them for this program.
    auto r = tutti::compile_source(
        "n.dsp",
        "process = hgroup(\"echo 1000\", hslider(\"feedback (%) [unit:%]\", 0, 0, 1, 0.01)),"
        " hgroup(\"Voice 2\", hslider(\"feedback (%)\", 0, 0, 1, 0.01)), vgroup(\"A b/c\", "
        "button(\"x/y\"));",
        {false, Backend::Interpreter, {}, 2});
    ASSERT_TRUE(r.ok()) << first_error(r);
    const auto& params = r.factory->parameters();
    ASSERT_EQ(params.size(), 3u);
    EXPECT_EQ(params[0].path, "/n/echo_1000/feedback__%_");
    EXPECT_EQ(params[0].shortname, "echo_1000_feedback");
    EXPECT_EQ(params[0].label, "feedback (%)");
    EXPECT_EQ(params[1].path, "/n/Voice_2/feedback__%_");
    EXPECT_EQ(params[1].shortname, "Voice_2_feedback");
    EXPECT_EQ(params[2].path, "/n/A_b/c/x/y"); // '/' in labels is kept, in one group and one label
    EXPECT_EQ(params[2].shortname, "y");
    auto dsp = r.factory->create_instance();
    dsp->init(48000);
    EXPECT_TRUE(dsp->set_parameter("/n/echo_1000/feedback__%_", 0.25));
    EXPECT_TRUE(dsp->set_parameter("Voice_2_feedback", 0.5));
    EXPECT_EQ(dsp->get_parameter(0), 0.25);
    EXPECT_EQ(dsp->get_parameter(1), 0.5);
    EXPECT_TRUE(dsp->set_parameter("feedback (%)", 0.125)); // a label names both
    EXPECT_EQ(dsp->get_parameter(0), 0.125);
    EXPECT_EQ(dsp->get_parameter(1), 0.125);
    EXPECT_FALSE(dsp->set_parameter("/n/echo 1000/feedback (%)", 1.0)); // not an address
}

TEST(Compiler, ConstantFoldingFollowsTheReference) {
    // faust-semantics.md 2.2 (checked with faust 2.54.9): % folds as int(x) % int(y)
    // even for reals (7.5 % 2 -> 1, while fmod would give 1.5), an exact int
    // division stays int ((4/2) << 1 = 4), int arithmetic wraps.
    auto r = tutti::compile_source(
        "f.dsp", "process = 7.5 % 2, (4/2) << 1, 7/2, 2147483647 + 1, 1 << 31, -7.5 % 2;",
        {true, Backend::Interpreter, {}, 2});
    ASSERT_TRUE(r.ok()) << first_error(r);
    auto dsp = r.factory->create_instance();
    dsp->init(44100);
    std::vector<double> out(std::size_t(6) * 2);
    std::vector<void*> op;
    op.reserve(6);
    for (int c = 0; c < 6; ++c) {
        op.push_back(out.data() + std::ptrdiff_t(2) * c);
    }
    dsp->compute(2, nullptr, op.data());
    EXPECT_EQ(out[0], 1.0);
    EXPECT_EQ(out[2], 4.0);
    EXPECT_EQ(out[4], 3.5);
    EXPECT_EQ(out[6], -2147483648.0);
    EXPECT_EQ(out[8], -2147483648.0);
    EXPECT_EQ(out[10], -1.0);
}

TEST(Compiler, UnboundedDelayIsADiagnostic) {
    auto r = tutti::compile_source("d.dsp", "process = _ @ (+(1) ~ _);",
                                   {false, Backend::Interpreter, {}, 2});
    EXPECT_FALSE(r.ok());
    ASSERT_FALSE(r.diagnostics.empty());
    EXPECT_NE(r.diagnostics[0].message.find("delay"), std::string::npos) << first_error(r);
}

// Fuzz finding state-size-overflows-32-bit-offsets: 80 delay lines of 2^24
// samples overflowed the 32-bit field offsets (an "invalid IR" internal error).
TEST(Compiler, StateTooLargeIsADiagnostic) {
    auto r = tutti::compile_source("s.dsp", "process = _ <: par(i, 80, +(i) : @(16000000)) :> _;",
                                   {false, Backend::Interpreter, {}, 2});
    EXPECT_FALSE(r.ok());
    ASSERT_FALSE(r.diagnostics.empty());
    EXPECT_NE(r.diagnostics[0].message.find("state of the program is too large"), std::string::npos)
        << first_error(r);
    EXPECT_EQ(r.diagnostics[0].id, "state_too_large"); // the user's mistake, not an internal error
}

} // namespace

namespace {

std::vector<std::string> identities(const std::string& src) {
    auto r = tutti::compile_source("id.dsp", src, {true, Backend::Interpreter, {}, 2});
    EXPECT_TRUE(r.ok()) << first_error(r);
    std::vector<std::string> ids;
    if (r.ok()) {
        for (const auto& f : r.factory->state_layout()) {
            if (!f.identity.empty()) {
                ids.push_back(to_string(f.identity));
            }
        }
    }
    return ids;
}

TEST(Compiler, StateIdentitiesAreStableAndLocal) {
    // an oscillator into a reverb, in parallel with a filtered noise
    const std::string a = "import(\"stdfaust.lib\");\n"
                          "process = os.osc(440) <: re.zita_rev1_stereo(0, 200, 6000, 3, 4, 44100),"
                          " (no.noise : fi.lowpass(2, 1000));\n";
    // the same with an edited constant in the noise branch
    const std::string b = "import(\"stdfaust.lib\");\n"
                          "process = os.osc(440) <: re.zita_rev1_stereo(0, 200, 6000, 3, 4, 44100),"
                          " (no.noise : fi.lowpass(2, 2000));\n";
    // the same with a structural edit of the noise branch (a 4th-order filter)
    const std::string c = "import(\"stdfaust.lib\");\n"
                          "process = os.osc(440) <: re.zita_rev1_stereo(0, 200, 6000, 3, 4, 44100),"
                          " (no.noise : fi.lowpass(4, 1000));\n";
    auto ia = identities(a), ia2 = identities(a), ib = identities(b), ic = identities(c);
    ASSERT_GT(ia.size(), 20u);
    EXPECT_EQ(ia, ia2); // compiled twice: the same identities, in the same order
    EXPECT_EQ(std::set<std::string>(ia.begin(), ia.end()),
              std::set<std::string>(ib.begin(), ib.end()));
    // the structural edit changes the filter's state only: everything else keeps its identity
    std::set<std::string> sa(ia.begin(), ia.end()), sc(ic.begin(), ic.end());
    std::size_t kept = 0;
    for (const auto& id : sa) {
        kept += sc.count(id);
    }
    EXPECT_GE(kept, sa.size() - 4) << "kept " << kept << " of " << sa.size();
    EXPECT_LT(kept, sa.size()); // and the changed filter did change
}

TEST(Compiler, ContentKey) {
    const std::string src = "process = + ~ *(0.5);";
    auto r1 = tutti::compile_source("k.dsp", src, {false, Backend::Interpreter, {}, 2});
    auto r2 = tutti::compile_source("other-name.dsp", "process = +~*(0.5); // same program",
                                    {false, Backend::Interpreter, {}, 2});
    auto r3 = tutti::compile_source("k.dsp", src, {true, Backend::Interpreter, {}, 2});
    auto r4 = tutti::compile_source("k.dsp", "process = + ~ *(0.25);",
                                    {false, Backend::Interpreter, {}, 2});
    ASSERT_TRUE(r1.ok() && r2.ok() && r3.ok() && r4.ok());
    EXPECT_EQ(r1.factory->content_key().size(), 32u);
    // the text may differ (spaces, comments); the name is the interface's: another
    // file name is another factory (its controls' addresses differ)
    EXPECT_NE(r1.factory->content_key(), r2.factory->content_key());
    auto r5 = tutti::compile_source("k.dsp", "process = +~*(0.5); // same program",
                                    {false, Backend::Interpreter, {}, 2});
    ASSERT_TRUE(r5.ok());
    EXPECT_EQ(r1.factory->content_key(), r5.factory->content_key());
    EXPECT_NE(r1.factory->content_key(), r3.factory->content_key());
    EXPECT_NE(r1.factory->content_key(), r4.factory->content_key());
}

TEST(Compiler, MathModes) {
    EXPECT_EQ(tutti::parse_math_mode("exact"), tutti::MathMode::Exact);
    EXPECT_EQ(tutti::parse_math_mode("fast"), tutti::MathMode::Fast);
    EXPECT_FALSE(tutti::parse_math_mode("Fast").has_value());
    EXPECT_STREQ(tutti::to_string(tutti::MathMode::Fast), "fast");
    EXPECT_EQ(tutti::CompileOptions{}.math, tutti::MathMode::Exact); // the default
    // a filter bank fed by an oscillator: fast is close to exact, and a different key
    const std::string src = "import(\"stdfaust.lib\");\n"
                            "process = os.osc(440) * 0.5 + _ : fi.lowpass(3, 2000) : "
                            "fi.highpass(2, 100) <: _, (_ : sin);";
    tutti::CompileOptions exact;
    tutti::CompileOptions fast;
    fast.math = tutti::MathMode::Fast;
    auto a = tutti::compile_source("m.dsp", src, exact);
    auto b = tutti::compile_source("m.dsp", src, fast);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(a.factory->content_key(), b.factory->content_key());
    auto ia = a.factory->create_instance();
    auto ib = b.factory->create_instance();
    ia->init(48000);
    ib->init(48000);
    std::vector<float> in(256), oa0(256), oa1(256), ob0(256), ob1(256);
    const void* ins[] = {in.data()};
    void* outs_a[] = {oa0.data(), oa1.data()};
    void* outs_b[] = {ob0.data(), ob1.data()};
    double peak = 0, diff = 0;
    std::uint32_t seed = 1;
    for (int block = 0; block < 40; ++block) {
        for (float& x : in) {
            seed = seed * 1664525u + 1013904223u;
            x = float(std::int32_t(seed)) * 2e-10f;
        }
        ia->compute(256, ins, outs_a);
        ib->compute(256, ins, outs_b);
        for (std::size_t i = 0; i < 256; ++i) {
            peak = std::max({peak, double(std::fabs(oa0[i])), double(std::fabs(oa1[i]))});
            diff = std::max(
                {diff, double(std::fabs(oa0[i] - ob0[i])), double(std::fabs(oa1[i] - ob1[i]))});
        }
    }
    EXPECT_GT(peak, 0.1);
    EXPECT_LT(diff, 1e-3 * peak); // the speed runner's tolerance
}

TEST(Compiler, ALargeClearStateLeftUnoptimisedStillClearsEverything) {
    // 400 recursions of 2 and 3 samples: clear_state is past the size where
    // the LLVM backend leaves it unoptimised (codegen's max_optimised_setup_instructions)
    const std::string src = "process = _ <: par(i, 200, (+ ~ *(0.5 + i * 0.001)) : "
                            "(+ ~ (_ <: _, _' : + : *(0.25 - i * 0.0005)))) :> _;";
    tutti::CompileOptions jit;
    tutti::CompileOptions interp;
    interp.backend = Backend::Interpreter;
    auto a = tutti::compile_source("c.dsp", src, jit);
    auto b = tutti::compile_source("c.dsp", src, interp);
    ASSERT_TRUE(a.ok() && b.ok());
    auto ia = a.factory->create_instance();
    auto ib = b.factory->create_instance();
    std::vector<float> in(64, 0.25f), oa(64), ob(64);
    const void* ins[] = {in.data()};
    void* outs_a[] = {oa.data()};
    void* outs_b[] = {ob.data()};
    for (int round = 0; round < 2; ++round) { // the second clear follows a dirty state
        ia->init(48000);
        ib->init(48000);
        ASSERT_EQ(std::memcmp(ia->state(), ib->state(), a.factory->state_bytes()), 0);
        for (int block = 0; block < 4; ++block) {
            ia->compute(64, ins, outs_a);
            ib->compute(64, ins, outs_b);
            ASSERT_EQ(oa, ob);
        }
    }
    EXPECT_NE(oa[63], 0.0f);
}

struct Recorder : tutti::UiVisitor {
    std::string log;
    void open_group(std::string_view type, std::string_view label,
                    const std::vector<std::pair<std::string, std::string>>&) override {
        log += std::string(type) + "(" + std::string(label) + ") ";
    }
    void close_group() override {
        log += "end ";
    }
    void widget(const tutti::Parameter& p, std::size_t index) override {
        log += p.label + "#" + std::to_string(index) + " ";
    }
};

TEST(Compiler, UiVisitorWalksGroupsInOrder) {
    auto r = tutti::compile_source("v.dsp",
                                   "process = hgroup(\"A\", hslider(\"x\", 0, 0, 1, 0.1) + "
                                   "vgroup(\"B\", button(\"b\"))), checkbox(\"c\");",
                                   {false, Backend::Interpreter, {}, 2});
    ASSERT_TRUE(r.ok()) << first_error(r);
    Recorder rec;
    r.factory->build_user_interface(rec);
    // Faust's order (faust -json, 2.54.9): items sorted by label, "B" before "x".
    EXPECT_EQ(rec.log, "vgroup(v) hgroup(A) vgroup(B) b#1 end x#0 end c#2 end ");
}

} // namespace

namespace {

// create_instance() gives an instance whose factory() is the very factory it was
// made from, on both implementations of the runtime's interface.
TEST(Compiler, AnInstanceKnowsTheFactoryThatMadeIt) {
    for (Backend backend : {Backend::Interpreter, Backend::Llvm}) {
        CompileOptions o;
        o.backend = backend;
        auto r =
            tutti::compile_source("f.dsp", "process = _ * hslider(\"g\", 0.5, 0, 1, 0.1);\n", o);
        ASSERT_TRUE(r.ok()) << first_error(r);
        auto dsp = r.factory->create_instance();
        EXPECT_EQ(&dsp->factory(), r.factory.get());
        EXPECT_STREQ(r.factory->implementation(),
                     backend == Backend::Llvm ? "llvm-jit" : "interpreter");
    }
}

// The state layout is typed: kinds, element types and identities are values,
// the identity's kind agrees with the field's, and lines have a position.
TEST(Compiler, TheStateLayoutIsTyped) {
    auto r = tutti::compile_source(
        "t.dsp", "process = @(1000), (+ ~ (_ * hslider(\"g\", 0.5, 0, 1, 0.1)));\n",
        {true, Backend::Interpreter, {}, 2});
    ASSERT_TRUE(r.ok()) << first_error(r);
    using K = tutti::StateIdentity::Kind;
    int controls = 0, lines = 0, recursions = 0;
    for (const tutti::StateField& f : r.factory->state_layout()) {
        EXPECT_EQ(f.bytes, tutti::size_of(f.type) * f.elements) << f.name;
        switch (f.kind) {
        case tutti::StateKind::Control:
            ++controls;
            EXPECT_EQ(f.identity.kind, K::Control);
            EXPECT_FALSE(f.identity.path.empty());
            break;
        case tutti::StateKind::Delay:
            ++lines;
            EXPECT_EQ(f.identity.kind, K::Delay) << f.name;
            EXPECT_NE(f.identity.position, 0u) << f.name;
            break;
        case tutti::StateKind::Recursion:
            ++recursions;
            EXPECT_EQ(f.identity.kind, K::Recursion) << f.name;
            EXPECT_EQ(f.type, tutti::ValueType::F64);
            break;
        default:
            break;
        }
    }
    EXPECT_EQ(controls, 1);
    EXPECT_GE(lines, 1);
    EXPECT_EQ(recursions, 1);
}

} // namespace

// A library is read when the program first uses one of its definitions, as the
// reference does: `faust` accepts a program that names a library which does
// not parse but never uses it (exit 0), and rejects it once it uses it (exit 1).
TEST(Compiler, ALibraryIsParsedWhenItIsUsed) {
    namespace fs = std::filesystem;
    fs::path dir = fs::temp_directory_path() / ("tutti-lazy-lib-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto write = [&](const char* name, const char* text) { std::ofstream(dir / name) << text; };
    write("bad.lib", "broken = +  ;;; (\n");
    write("good.lib", "two = 2;\n");
    write("unused.dsp",
          "b = library(\"bad.lib\");\ng = library(\"good.lib\");\nprocess = g.two;\n");
    write("used.dsp", "b = library(\"bad.lib\");\nprocess = b.x;\n");
    CompileOptions o;
    o.backend = Backend::Interpreter;
    auto unused = tutti::compile_file((dir / "unused.dsp").string(), o);
    EXPECT_TRUE(unused.ok()) << first_error(unused);
    if (unused.ok()) {
        const auto& files = unused.factory->source_files();
        EXPECT_TRUE(std::none_of(files.begin(), files.end(), [](const std::string& f) {
            return f.find("bad.lib") != std::string::npos;
        }));
        EXPECT_TRUE(std::any_of(files.begin(), files.end(), [](const std::string& f) {
            return f.find("good.lib") != std::string::npos;
        }));
    }
    auto used = tutti::compile_file((dir / "used.dsp").string(), o);
    EXPECT_FALSE(used.ok());
    ASSERT_FALSE(used.diagnostics.empty());
    EXPECT_NE(tutti::to_text(used.diagnostics[0]).find("bad.lib:1:"), std::string::npos)
        << first_error(used);
    fs::remove_all(dir);
}
