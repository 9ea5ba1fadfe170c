// SPDX-License-Identifier: MIT
// The pipeline as one list (compiler/pipeline.cpp): every pass is timed in
// order in the compile result, every pass can be dumped, a failing pass is the
// last timed, and the dumps do not change what is compiled.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tutti/compiler.h"

namespace {

const char* program = R"(import("stdfaust.lib");
process = _ * hslider("gain", 0.5, 0, 1, 0.01) : fi.lowpass(1, 1000) : @(3);
)";

std::vector<std::string> names() {
    std::vector<std::string> out;
    for (const auto& p : tutti::pipeline_passes()) {
        out.push_back(p.name);
    }
    return out;
}

TEST(Pipeline, ThePassesInOrder) {
    EXPECT_EQ(names(), (std::vector<std::string>{"parse", "evaluate", "propagate", "type",
                                                 "normalize", "associate", "intervals", "lower",
                                                 "foreign", "verify", "interface", "backend"}));
}

TEST(Pipeline, EveryPassIsTimedInOrder) {
    for (tutti::Backend b : {tutti::Backend::Interpreter, tutti::Backend::Llvm}) {
        tutti::CompileOptions o;
        o.backend = b;
        tutti::CompileResult r = tutti::compile_source("t.dsp", program, o);
        ASSERT_TRUE(r.ok());
        std::vector<std::string> timed;
        for (const auto& t : r.timings) {
            timed.push_back(t.pass);
            EXPECT_GE(t.milliseconds, 0.0);
        }
        EXPECT_EQ(timed, names());
    }
}

TEST(Pipeline, AFailingPassIsTheLastTimed) {
    tutti::CompileResult r = tutti::compile_source("t.dsp", "process = _ @ (+(1) ~ _);\n");
    ASSERT_FALSE(r.ok());
    ASSERT_FALSE(r.timings.empty());
    EXPECT_EQ(r.timings.back().pass, "lower"); // an unbounded delay
    r = tutti::compile_source("t.dsp", "process = 1 +;\n");
    ASSERT_EQ(r.timings.size(), 1u);
    EXPECT_EQ(r.timings[0].pass, "parse");
}

TEST(Pipeline, APassPastTheTimeLimitIsTheLastTimed) {
    tutti::CompileOptions o;
    o.backend = tutti::Backend::Interpreter;
    o.max_seconds = 0.02;
    tutti::CompileResult r = tutti::compile_source("t.dsp", "process = sum(i, 3000, sin(i*_));", o);
    ASSERT_FALSE(r.ok());
    ASSERT_FALSE(r.diagnostics.empty());
    EXPECT_EQ(r.diagnostics[0].id, "compile_time_limit");
    ASSERT_FALSE(r.timings.empty());
    EXPECT_NE(r.timings.back().pass, "backend"); // stopped before the end of the list
    EXPECT_GE(r.timings.back().milliseconds, 0.0);
}

TEST(Pipeline, EveryPassHasADump) {
    tutti::CompileOptions o;
    o.backend = tutti::Backend::Llvm;
    o.dump_after = {"all"};
    std::map<std::string, std::string> dumps;
    o.dump = [&](std::string_view pass, std::string_view text) { dumps[std::string(pass)] = text; };
    tutti::CompileResult r = tutti::compile_source("t.dsp", program, o);
    ASSERT_TRUE(r.ok());
    for (const std::string& n : names()) {
        EXPECT_FALSE(dumps[n].empty()) << n;
    }
    EXPECT_NE(dumps["parse"].find("hslider"), std::string::npos);
    // the lowpass's coefficients are computed at init from the sample rate, clamped to [1, 192000]
    EXPECT_NE(dumps["type"].find("math(min, 192000, S2) ; real init"), std::string::npos);
    EXPECT_NE(dumps["intervals"].find("; real init [1, 192000]"), std::string::npos);
    EXPECT_NE(dumps["interface"].find("\"gain\""), std::string::npos); // the JSON
    EXPECT_NE(dumps["backend"].find("define"), std::string::npos);     // LLVM IR
    EXPECT_EQ(dumps["interface"], r.factory->json() + "\n");
}

TEST(Pipeline, OnlyTheNamedPassesAreDumped) {
    tutti::CompileOptions o;
    o.dump_after = {"normalize", "lower"};
    std::vector<std::string> seen;
    o.dump = [&](std::string_view pass, std::string_view) { seen.emplace_back(pass); };
    ASSERT_TRUE(tutti::compile_source("t.dsp", program, o).ok());
    EXPECT_EQ(seen, (std::vector<std::string>{"normalize", "lower"}));
}

} // namespace
