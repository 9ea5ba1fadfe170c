// SPDX-License-Identifier: MIT
// Tiered start (EngineOptions::tiered): a version plays on the interpreter at
// once and moves to its LLVM code when that is compiled, through the
// state-carrying swap. The samples continue exactly: the output is bit for bit
// the output of the LLVM code played from the start. Edits are classified
// (constants only or structural). Every test checks the audio thread stayed
// real-time (RtChecked).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "engine_harness.h"

namespace tutti::test {
namespace {

using TierTest = RtChecked;

const std::string examples = "/usr/share/faust/examples/";

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

EngineOptions tiered_options(int inputs, int outputs) {
    EngineOptions eo;
    eo.sample_rate = 44100;
    eo.max_block = 64;
    eo.inputs = inputs;
    eo.outputs = outputs;
    eo.double_precision = true;
    eo.check_migrations = true;
    eo.tiered = true;
    eo.compiler = compile_program;
    eo.compile.double_precision = true;
    eo.compile.library_cache = make_library_cache();
    return eo;
}

/// Plays `source` from frame 0 on a tiered engine for `frames` frames (an
/// impulse on every input at frame 0, as render() feeds): the interpreter
/// first, then its LLVM code, which must take over after at least `min_blocks`
/// blocks (the test waits for it between blocks).
Rendered play_tiered(const std::string& source, int inputs, int outputs, long frames,
                     long min_blocks = 8) {
    EngineOptions eo = tiered_options(inputs, outputs);
    Engine engine(eo);
    const std::uint64_t g = engine.load_source("tiered.dsp", source);
    EXPECT_TRUE(engine.wait_prepared(g));
    Rendered run;
    std::vector<std::vector<double>> in(std::size_t(inputs),
                                        std::vector<double>(std::size_t(frames), 0.0));
    for (auto& c : in) {
        c[0] = 1;
    }
    run.out.assign(std::size_t(outputs), std::vector<double>(std::size_t(frames), 0.0));
    std::vector<const void*> ip(in.size());
    std::vector<void*> op(run.out.size());
    SwapReport report;
    const int block = eo.max_block;
    long blocks = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (long pos = 0; pos < frames; pos += block, ++blocks) {
        if (blocks == min_blocks) {
            // from here on the LLVM code: wait until it is queued, the next block takes it
            while (report.tier_prepare_ms == 0 && report.tier_note.empty() &&
                   std::chrono::steady_clock::now() < give_up) {
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
                for (SwapReport& r : engine.take_reports()) {
                    report = r;
                }
            }
        }
        int n = int(std::min<long>(block, frames - pos));
        for (std::size_t c = 0; c < in.size(); ++c) {
            ip[c] = in[c].data() + pos;
        }
        for (std::size_t c = 0; c < run.out.size(); ++c) {
            op[c] = run.out[c].data() + pos;
        }
        engine.process(n, ip.data(), op.data());
        for (SwapReport& r : engine.take_reports()) {
            report = r;
        }
    }
    for (SwapReport& r : engine.take_reports()) {
        report = r;
    }
    run.reports.push_back(report);
    return run;
}

void expect_tier_move_exact(const std::string& name, const std::string& source, int inputs,
                            int outputs, long frames) {
    auto llvm = compile(source); // the LLVM code alone, from the start
    ASSERT_TRUE(llvm);
    Rendered plain = render(llvm, frames);
    Rendered tiered = play_tiered(source, inputs, outputs, frames);
    ASSERT_EQ(tiered.reports.size(), 1u);
    const SwapReport& r = tiered.reports[0];
    EXPECT_TRUE(r.tiered) << name << ": " << r.tier_note;
    EXPECT_TRUE(r.committed) << name;
    EXPECT_EQ(r.commit_frame, 0u) << name;
    ASSERT_TRUE(r.tier_moved) << name << ": the LLVM code never took over: " << r.tier_note;
    EXPECT_GT(r.tier_frame, 0u) << name << ": some blocks played on the interpreter";
    EXPECT_TRUE(r.tier_exact) << name;
    EXPECT_TRUE(r.migration_checked) << name;
    for (const std::string& e : r.migration_errors) {
        ADD_FAILURE() << name << ": " << e;
    }
    for (std::size_t c = 0; c < plain.out.size(); ++c) {
        for (long n = 0; n < frames; ++n) {
            ASSERT_EQ(plain.out[c][std::size_t(n)], tiered.out[c][std::size_t(n)])
                << name << " channel " << c << " frame " << n << " (tier move at frame "
                << r.tier_frame << ")";
        }
    }
}

// Delay lines, recursions, a sine table, noise: all carried from the
// interpreter's state to the LLVM code's, bit for bit.
TEST_F(TierTest, TierMoveKeepsTheSamplesExact) {
    const std::string mix = R"(import("stdfaust.lib");
process = _ + no.noise * 0.1 : fi.lowpass(2, 1000) : + ~ (@(300) : *(0.9))
          <: _, (os.osc(220) * 0.1 : + ~ (@(17) * 0.5));
)";
    expect_tier_move_exact("mix", mix, 1, 2, 30000);
    expect_tier_move_exact("zitaRev", read_text(examples + "reverb/zitaRev.dsp"), 2, 2, 30000);
}

// Edits as the engine reports them: a constant-only edit and a structural
// one, each heard first on the interpreter.
TEST_F(TierTest, EditsAreClassified) {
    const std::string v1 = "import(\"stdfaust.lib\");\nprocess = _ : fi.lowpass(2, 1000) * 0.5;\n";
    const std::string v2 = "import(\"stdfaust.lib\");\nprocess = _ : fi.lowpass(2, 800) * 0.25;\n";
    const std::string v3 = "import(\"stdfaust.lib\");\nprocess = _ : fi.highpass(2, 800) * 0.25;\n";
    const std::string v4 = v3 + "// a comment\n";
    EngineOptions eo = tiered_options(1, 1);
    Engine engine(eo);
    std::vector<double> in(64, 0.0), out(64, 0.0);
    const void* ip[1] = {in.data()};
    void* op[1] = {out.data()};
    std::map<std::uint64_t, SwapReport> seen;
    std::vector<std::uint64_t> gens;
    for (const std::string* v : {&v1, &v2, &v3, &v4}) {
        const std::uint64_t g = engine.load_source("edit.dsp", *v);
        ASSERT_TRUE(engine.wait_prepared(g));
        gens.push_back(g);
        for (int b = 0; b < 4; ++b) {
            engine.process(64, ip, op);
        }
        for (SwapReport& r : engine.take_reports()) {
            seen[r.generation] = r;
        }
    }
    ASSERT_EQ(seen.count(gens[3]), 1u);
    EXPECT_EQ(seen[gens[0]].edit, "");
    EXPECT_EQ(seen[gens[1]].edit, "constants");
    EXPECT_EQ(seen[gens[2]].edit, "structural");
    EXPECT_EQ(seen[gens[3]].edit, "same");
    for (std::uint64_t g : gens) {
        // on the interpreter, or (numbers only, once the slot code of a version
        // like it is ready) on that code with its constants
        EXPECT_TRUE(seen[g].tiered || seen[g].patched)
            << "version " << g << ": " << seen[g].tier_note;
        EXPECT_TRUE(seen[g].committed) << "version " << g;
    }
}

// A constant-only edit, once the slot code of the version before is ready
// (the tier thread makes it after its LLVM code), plays at once on that code
// with its own constants, every field carried; then its own LLVM code takes
// over, exactly. (The patched code's samples are the edited program's:
// tiered_compile_test's ConstantSlots tests.)
TEST_F(TierTest, ConstantEditsArePatchedIntoTheRunningCode) {
    auto version = [](int k) {
        return "import(\"stdfaust.lib\");\nprocess = _ : fi.lowpass(2, " +
               std::to_string(500 + 10 * k) + ") : + ~ (@(20) : *(0.5" + std::to_string(k) +
               "));\n";
    };
    EngineOptions eo = tiered_options(1, 1);
    Engine engine(eo);
    std::vector<double> in(64, 0.0), out(64, 0.0);
    in[0] = 1;
    const void* ip[1] = {in.data()};
    void* op[1] = {out.data()};
    std::map<std::uint64_t, SwapReport> seen;
    auto play = [&](int blocks) {
        for (int b = 0; b < blocks; ++b) {
            engine.process(64, ip, op);
        }
        for (SwapReport& r : engine.take_reports()) {
            seen[r.generation] = r;
        }
    };
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::uint64_t patched = 0;
    for (int k = 1; patched == 0 && std::chrono::steady_clock::now() < give_up; ++k) {
        const std::uint64_t g = engine.load_source("edit.dsp", version(k % 10));
        ASSERT_TRUE(engine.wait_prepared(g));
        play(2);
        ASSERT_TRUE(seen[g].committed);
        if (seen[g].patched) {
            patched = g;
            break;
        }
        EXPECT_TRUE(seen[g].tiered) << seen[g].tier_note;
        // its LLVM code, then (on the tier thread) its slot code
        while (!seen[g].tier_moved && std::chrono::steady_clock::now() < give_up) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            play(1);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ASSERT_NE(patched, 0u) << "no constant edit was ever patched";
    const SwapReport& r = seen[patched];
    EXPECT_FALSE(r.tiered);
    EXPECT_EQ(r.edit, "constants");
    EXPECT_FALSE(r.crossfade);
    EXPECT_EQ(r.reset, 0);
    EXPECT_TRUE(r.migration_checked);
    for (const std::string& e : r.migration_errors) {
        ADD_FAILURE() << e;
    }
    // then its own LLVM code takes over, every field carried
    while (!seen[patched].tier_moved && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        play(1);
    }
    EXPECT_TRUE(seen[patched].tier_moved) << seen[patched].tier_note;
    EXPECT_TRUE(seen[patched].tier_exact);
    for (const std::string& e : seen[patched].migration_errors) {
        ADD_FAILURE() << e;
    }
}

// A program the interpreter could not play in real time waits for its LLVM
// code, and the report says why.
TEST_F(TierTest, TooHeavyForTheInterpreterWaitsForLlvm) {
    EngineOptions eo = tiered_options(1, 1);
    eo.tier_max_load = 1e-9; // nothing fits
    Engine engine(eo);
    const std::uint64_t g = engine.load_source(
        "heavy.dsp", "import(\"stdfaust.lib\");\nprocess = fi.lowpass(2, 1000);\n");
    ASSERT_TRUE(engine.wait_prepared(g));
    std::vector<double> in(64, 0.0), out(64, 0.0);
    const void* ip[1] = {in.data()};
    void* op[1] = {out.data()};
    engine.process(64, ip, op);
    std::vector<SwapReport> reports = engine.take_reports();
    ASSERT_FALSE(reports.empty());
    EXPECT_FALSE(reports.back().tiered);
    EXPECT_NE(reports.back().tier_note.find("real time"), std::string::npos)
        << reports.back().tier_note;
    EXPECT_TRUE(reports.back().committed);
}

} // namespace
} // namespace tutti::test
