// SPDX-License-Identifier: MIT
// What a person live-coding expects to keep hearing (issue 5): one test per
// behaviour, each comparing the samples rendered after the swap with what the
// behaviour implies. All through the engine (offline), double precision.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "engine_harness.h"

namespace tutti::test {
namespace {

using EditBehaviour = RtChecked; // every test also asserts no real-time violation

int count(const SwapReport& r, FieldChange::Action a, const std::string& kind = "") {
    int n = 0;
    for (const FieldChange& c : r.fields) {
        n += (c.action == a && (kind.empty() || to_string(c.kind) == kind)) ? 1 : 0;
    }
    return n;
}

std::string describe(const SwapReport& r) {
    std::string s;
    for (const FieldChange& c : r.fields) {
        s += std::string(to_string(c.action)) + " " + c.name + " " + to_string(c.kind) + " " +
             to_string(c.identity) + "\n";
    }
    return s;
}

// 1. An edit upstream of a state keeps that state: os.osc(440) into a half-second
// delay edited to os.osc(550). After the swap the delay plays out the 440 Hz it
// holds, exactly as the old program would have; the oscillator goes on from its
// phase at 550 Hz.
TEST_F(EditBehaviour, UpstreamEditKeepsTheDelayLineAndThePhase) {
    const std::string lib = "import(\"stdfaust.lib\");";
    auto v440 = compile(lib + "process = os.osc(440) <: de.delay(48000, 24000), _;");
    auto v550 = compile(lib + "process = os.osc(550) <: de.delay(48000, 24000), _;");
    ASSERT_TRUE(v440 && v550);
    const long at = 30016, frames = 60000; // a block boundary, after the line filled
    Rendered old_only = render(v440, frames);
    Rendered swapped = render(v440, frames, {{at, v550}});
    ASSERT_EQ(swapped.reports.size(), 1u);
    const SwapReport& r = swapped.reports[0];
    EXPECT_EQ(r.reset, 0) << describe(r);
    EXPECT_EQ(r.dropped, 0) << describe(r);
    EXPECT_FALSE(r.crossfade);
    // the delayed output: the old program's, sample for sample, for the 24000 frames the line holds
    for (long n = 0; n < at + 24000; ++n) {
        ASSERT_EQ(swapped.out[0][std::size_t(n)], old_only.out[0][std::size_t(n)]) << "frame " << n;
    }
    // then 550 Hz comes out of the line (it differs from the old program's)
    EXPECT_NE(swapped.out[0][std::size_t(at + 24100)], old_only.out[0][std::size_t(at + 24100)]);
    // the direct output: no phase jump. The phase just before the swap continues
    // with the new increment: sin(2 pi (phi + 550/SR)) (the table of os.osc has 65536 points).
    const std::vector<double>& direct = swapped.out[1];
    EXPECT_LE(max_step(direct, at - 64, at + 64), 2 * std::numbers::pi * 550 / 44100 * 1.01);
    // the new program from scratch starts at phase 0: the swapped output does not
    Rendered fresh = render(v550, 10);
    EXPECT_NE(direct[std::size_t(at)], fresh.out[1][0]);
}

// 2. An edit downstream keeps everything upstream: a gain after a resonant filter.
TEST_F(EditBehaviour, DownstreamEditKeepsEverythingUpstream) {
    const std::string lib = "import(\"stdfaust.lib\");";
    auto a = compile(lib + "process = no.noise : fi.resonlp(800, 5, 1) : *(0.3);");
    auto b = compile(lib + "process = no.noise : fi.resonlp(800, 5, 1) : *(0.9);");
    ASSERT_TRUE(a && b);
    const long at = 4096, frames = 8192;
    Rendered old_only = render(a, frames);
    Rendered swapped = render(a, frames, {{at, b}});
    ASSERT_EQ(swapped.reports.size(), 1u);
    EXPECT_EQ(swapped.reports[0].reset, 0) << describe(swapped.reports[0]);
    EXPECT_FALSE(swapped.reports[0].crossfade);
    for (long n = at; n < frames; ++n) {
        // the same noise through the same filter state, three times louder
        ASSERT_NEAR(swapped.out[0][std::size_t(n)], old_only.out[0][std::size_t(n)] * 3, 1e-12)
            << n;
    }
}

// 3. Inserting a stage between two others keeps the state of the stages that
// stay: osc : reverb becomes osc : filter : reverb. The oscillator and the
// reverb keep theirs; the new filter starts from zero (and only that crossfades).
TEST_F(EditBehaviour, InsertingAStageKeepsTheStagesThatStay) {
    const std::string lib = "import(\"stdfaust.lib\");";
    const std::string osc = "os.osc(330) * (ba.time < 3000)";
    const std::string rev = "(_ <: re.zita_rev1_stereo(0, 200, 6000, 3, 4, 44100) :> _)";
    auto a = compile(lib + "process = " + osc + " : " + rev + ";");
    auto b = compile(lib + "process = " + osc + " : fi.lowpass(1, 3000) : " + rev + ";");
    ASSERT_TRUE(a && b);
    const long at = 6016, frames = 12000;
    Rendered swapped = render(a, frames, {{at, b}}, {}, 64, true, 20);
    ASSERT_EQ(swapped.reports.size(), 1u);
    const SwapReport& r = swapped.reports[0];
    // only the filter is new; nothing old is lost
    EXPECT_EQ(r.dropped, 0) << describe(r);
    // fi.lowpass(1, f) has two: its recursion and the one-sample memory of its input
    EXPECT_EQ(count(r, FieldChange::Action::Reset, "recursion") +
                  count(r, FieldChange::Action::Reset, "delay"),
              2)
        << describe(r);
    EXPECT_GE(count(r, FieldChange::Action::Moved), 2)
        << describe(r); // the oscillator's phase, the time counter
    EXPECT_TRUE(r.crossfade);
    // The source stopped at frame 3000 (the time counter carried over), so after the
    // swap the new filter only sees silence and the reverb plays out its tail: once
    // the crossfade is over the output is the old program's, exactly.
    Rendered old_only = render(a, frames);
    double tail = 0;
    for (long n = at + 882 + 64; n < frames; ++n) {
        ASSERT_NEAR(swapped.out[0][std::size_t(n)], old_only.out[0][std::size_t(n)], 1e-12) << n;
        tail = std::max(tail, std::fabs(old_only.out[0][std::size_t(n)]));
    }
    EXPECT_GT(tail, 1e-3); // the tail is there to be kept
}

// 4. Renaming a definition, reformatting, moving a definition in the file keeps all state.
TEST_F(EditBehaviour, RenamingReformattingAndMovingKeepEverything) {
    auto a = compile(R"(import("stdfaust.lib");
voice = os.sawtooth(220) : fi.resonlp(1200, 4, 0.5);
echo = +~(@(3000) : *(0.5));
process = voice : echo;
)");
    auto b = compile(R"(import("stdfaust.lib");
process = tone:repeat;   repeat = + ~ ( @(3000) :*(0.5) ) ;
tone = os.sawtooth(220)
     : fi.resonlp(1200, 4, 0.5);
)");
    ASSERT_TRUE(a && b);
    const long at = 5056, frames = 9000;
    Rendered old_only = render(a, frames);
    Rendered swapped = render(a, frames, {{at, b}});
    ASSERT_EQ(swapped.reports.size(), 1u);
    EXPECT_EQ(swapped.reports[0].reset, 0) << describe(swapped.reports[0]);
    EXPECT_EQ(swapped.reports[0].dropped, 0);
    EXPECT_EQ(swapped.reports[0].resized, 0);
    for (long n = 0; n < frames; ++n) {
        ASSERT_EQ(swapped.out[0][std::size_t(n)], old_only.out[0][std::size_t(n)]) << n;
    }
}

// 5. A table whose content changed is rebuilt; a control keeps its value while
// its path and range hold (resizes and clamping: engine_test.cpp).
TEST_F(EditBehaviour, ChangedTableIsRebuiltAndControlKeepsItsValue) {
    auto a = compile("import(\"stdfaust.lib\"); g = hslider(\"gain\", 0.5, 0, 1, 0.01);"
                     "process = rdtable(8, (+(1) ~ _), int(os.phasor(8, 100))) * g;");
    auto b = compile("import(\"stdfaust.lib\"); g = hslider(\"gain\", 0.5, 0, 1, 0.01);"
                     "process = rdtable(8, (+(2) ~ _), int(os.phasor(8, 100))) * g;");
    ASSERT_TRUE(a && b);
    Rendered swapped = render(a, 2048, {{1024, b}}, {{0, "gain", 0.25}}, 64, false);
    ASSERT_EQ(swapped.reports.size(), 1u);
    const SwapReport& r = swapped.reports[0];
    EXPECT_EQ(count(r, FieldChange::Action::Rebuilt, "table"), 1) << describe(r);
    EXPECT_EQ(count(r, FieldChange::Action::Carried, "control"), 1) << describe(r);
    // after the swap the new table's values (2, 4, 6...) at the carried gain 0.25
    for (long n = 1024; n < 2048; ++n) {
        double v = swapped.out[0][std::size_t(n)] / 0.25;
        ASSERT_EQ(std::fmod(v, 2.0), 0.0) << n;
    }
}

// 6. What cannot be matched starts from zero, and only then does the engine
// crossfade (the behaviours above that keep everything do not).
TEST_F(EditBehaviour, OnlyUnmatchedStateCrossfades) {
    auto a = compile("import(\"stdfaust.lib\"); process = os.osc(440);");
    auto same = compile("import(\"stdfaust.lib\"); process = os.osc(440) * 0.5;");
    auto other = compile("import(\"stdfaust.lib\"); process = no.pink_noise;");
    ASSERT_TRUE(a && same && other);
    Rendered kept = render(a, 4096, {{2048, same}});
    ASSERT_EQ(kept.reports.size(), 1u);
    EXPECT_FALSE(kept.reports[0].crossfade);
    Rendered lost = render(a, 4096, {{2048, other}});
    ASSERT_EQ(lost.reports.size(), 1u);
    EXPECT_TRUE(lost.reports[0].crossfade);
    EXPECT_GT(lost.reports[0].reset, 0);
    // the pink noise's filters start from zero: equal to its own render from frame 0
    Rendered own = render(other, 4096);
    for (long n = 2048 + 900; n < 4096; ++n) {
        ASSERT_EQ(lost.out[0][std::size_t(n)], own.out[0][std::size_t(n - 2048)]) << n;
    }
}

} // namespace
} // namespace tutti::test

namespace tutti::test {
namespace {

// The report names every state field with what happened to it and where it is
// made in the program (the user's line, then the library's).
TEST_F(EditBehaviour, ReportSaysWhereEachFieldComesFrom) {
    const std::string v1 = "import(\"stdfaust.lib\");\n"
                           "voice = os.sawtooth(220) : fi.resonlp(1200, 4, 0.5);\n"
                           "echo = +~(@(3000) : *(0.5));\n"
                           "process = voice : echo;\n";
    std::string v2 = v1;
    v2.replace(v2.find("3000"), 4, "4000");
    auto a = compile(v1), b = compile(v2);
    ASSERT_TRUE(a && b);
    Rendered run = render(a, 256, {{128, b}});
    ASSERT_EQ(run.reports.size(), 1u);
    bool echo_line = false;
    for (const FieldChange& c : run.reports[0].fields) {
        if (c.kind == StateKind::Delay || c.kind == StateKind::Recursion) {
            EXPECT_EQ(c.location.rfind("test.dsp:", 0), 0u)
                << c.name << " at '" << c.location << "'";
        }
        // the echo's line: its own delay line, or (as Faust merges x@1@3000) the
        // recursion's memory grown to a 4096-sample ring either way
        if ((c.kind == StateKind::Delay || c.kind == StateKind::Recursion) &&
            c.location.rfind("test.dsp:3:", 0) == 0) {
            echo_line = true;
            EXPECT_EQ(c.action, FieldChange::Action::Carried);
        }
        if (c.kind == StateKind::Recursion && c.location.rfind("test.dsp:2:", 0) == 0) {
            EXPECT_NE(c.location.find("lib:"), std::string::npos)
                << c.location; // and the library's line
        }
    }
    EXPECT_TRUE(echo_line);
}

// Issue 9: inserting or removing a stage (stateful or not) just before a delay
// keeps the delay's content, whatever storage each version gives that past: a
// delay line of its own, or the ring of the recursion that makes the delayed
// signal (as the reference lays it out when a filter's output is delayed). The
// frames after the swap replay the old line exactly; the harness also checks
// every carried field against the old state (EngineOptions::check_migrations).
struct LineSwap {
    std::string before, after;
    long held; // frames the old line still holds for the output after the swap
};

/// Renders `before` with `after` swapped in at a block boundary; the first `held`
/// frames after the swap must equal the old program's own output exactly.
SwapReport expect_the_line_replays(const LineSwap& c, double crossfade_ms) {
    const std::string lib = "import(\"stdfaust.lib\");";
    auto a = compile(lib + "process = " + c.before + ";");
    auto b = compile(lib + "process = " + c.after + ";");
    if (!a || !b) {
        ADD_FAILURE() << "did not compile";
        return {};
    }
    const long at = 6400, frames = at + c.held + 640;
    Rendered old_only = render(a, frames);
    Rendered swapped = render(a, frames, {{at, b}}, {}, 64, true, crossfade_ms);
    if (swapped.reports.size() != 1u) {
        ADD_FAILURE() << "no swap";
        return {};
    }
    double level = 0;
    for (long n = 0; n < at + c.held; ++n) {
        double want = old_only.out[0][std::size_t(n)];
        EXPECT_EQ(swapped.out[0][std::size_t(n)], want)
            << "frame " << n << " (swap at " << at << ")\n"
            << describe(swapped.reports[0]);
        if (swapped.out[0][std::size_t(n)] != want) {
            break;
        }
        level = n >= at ? std::max(level, std::fabs(want)) : level;
    }
    EXPECT_GT(level, 0.1); // the line held sound: the test compares something
    // and then the new program's own output follows (the stage changed it)
    double differ = 0;
    for (long n = at + c.held + 64; n < frames; ++n) {
        differ = std::max(
            differ, std::fabs(swapped.out[0][std::size_t(n)] - old_only.out[0][std::size_t(n)]));
    }
    EXPECT_GT(differ, 1e-6);
    return swapped.reports[0];
}

/// The field of the new version that holds the line (the longest delay or
/// recursion memory the report lists) must say where its content came from.
void expect_line_taken_over(const SwapReport& r, const std::string& new_kind,
                            const std::string& old_kind) {
    bool found = false;
    for (const FieldChange& c : r.fields) {
        if (to_string(c.kind) == new_kind && to_string(c.from_kind) == old_kind &&
            (c.action == FieldChange::Action::Moved || c.action == FieldChange::Action::Carried ||
             c.action == FieldChange::Action::Resized)) {
            found = true;
        }
    }
    EXPECT_TRUE(found) << "no " << new_kind << " taken over from a " << old_kind << "\n"
                       << describe(r);
}

// A plain delay line, a stateless stage inserted before it: the line stays a line.
TEST(PastOfADelay, PlainLineWithAStageInsertedBeforeIt) {
    SwapReport r = expect_the_line_replays(
        {"no.noise : de.delay(4800, 2400)", "no.noise : min(0.5) : de.delay(4800, 2400)", 2400},
        20);
    EXPECT_EQ(r.reset, 0) << describe(r);
    EXPECT_EQ(r.dropped, 0) << describe(r);
    EXPECT_FALSE(r.crossfade);
    expect_line_taken_over(r, "delay", "delay");
}

// A filter inserted before the delay: its recursion's ring now holds the
// delayed signal's past; the old line's content goes there (and the filter's
// one-sample input memory takes the last sample of the same past): nothing is
// reset, nothing crossfades.
TEST(PastOfADelay, LineMovesIntoTheRingOfAFilterInsertedBeforeIt) {
    for (const char* src : {"os.osc(440)", "no.noise"}) {
        SCOPED_TRACE(src);
        std::string s = src;
        SwapReport r =
            expect_the_line_replays({s + " : de.delay(4800, 2400)",
                                     s + " : fi.lowpass(1, 5000) : de.delay(4800, 2400)", 2400},
                                    20);
        EXPECT_EQ(r.reset, 0) << describe(r);
        EXPECT_EQ(r.dropped, 0) << describe(r);
        EXPECT_FALSE(r.crossfade);
        expect_line_taken_over(r, "recursion", "delay");
    }
}

// The filter removed again: the recursion's ring becomes a delay line of its
// own, holding the filter's past output; the filter's input memory is dropped.
TEST(PastOfADelay, RingOfARemovedFilterBecomesTheLine) {
    for (const char* src : {"os.osc(440)", "no.noise"}) {
        SCOPED_TRACE(src);
        std::string s = src;
        SwapReport r = expect_the_line_replays({s + " : fi.lowpass(1, 5000) : de.delay(4800, 2400)",
                                                s + " : de.delay(4800, 2400)", 2400},
                                               0);
        EXPECT_EQ(r.reset, 0) << describe(r);
        expect_line_taken_over(r, "delay", "recursion");
    }
}

// Nested fixed delays are merged into one line ((x@m)@n = x@(m+n)).
TEST(PastOfADelay, MergedNestedDelaysKeepTheirLine) {
    SwapReport r =
        expect_the_line_replays({"no.noise : @(1000) : @(1400)",
                                 "no.noise : fi.lowpass(1, 5000) : @(1000) : @(1400)", 2400},
                                20);
    EXPECT_EQ(r.reset, 0) << describe(r);
    expect_line_taken_over(r, "recursion", "delay");
}

// The ring grows (a longer maximum delay) as it moves into the filter's ring:
// the most recent samples are kept, the replay is exact.
TEST(PastOfADelay, ResizedRing) {
    SwapReport r =
        expect_the_line_replays({"os.osc(440) : de.delay(4800, 2400)",
                                 "os.osc(440) : fi.lowpass(1, 5000) : de.delay(9600, 2400)", 2400},
                                20);
    EXPECT_EQ(r.reset, 0) << describe(r);
    expect_line_taken_over(r, "recursion", "delay");
    // and back, the ring shrinking into a line
    r = expect_the_line_replays({"os.osc(440) : fi.lowpass(1, 5000) : de.delay(9600, 2400)",
                                 "os.osc(440) : de.delay(4800, 2400)", 2400},
                                0);
    expect_line_taken_over(r, "delay", "recursion");
}

} // namespace
} // namespace tutti::test
