// SPDX-License-Identifier: MIT
// The engine's swap behaviours, rendered offline through the real engine path
// (JIT-compiled programs, lock-free hand-over, migration on the "audio thread").
// Every test also checks that nothing inside the audio sections allocated,
// locked or blocked (tests/support/rt_interposer.cpp is linked in).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

#include "engine_harness.h"
#include "support/rt_interposer.h"
#include "support/rt_section.h"

namespace tutti::test {
namespace {

const std::string examples = "/usr/share/faust/examples/";

using EngineTest = RtChecked;

TEST(RtGuard, CatchesAnAllocationInsideAnAudioSection) {
    if (tutti_rt_checking() == 0) {
        GTEST_SKIP()
            << "sanitizer build: the real-time checker is off (it runs in the normal build)";
    }
    tutti_rt_reset();
    {
        rt::AudioSection s;
        void* volatile p = std::malloc(16); // what the audio thread must never do
        std::free(p);
    }
    EXPECT_GE(tutti_rt_violations(), 2);
    EXPECT_STREQ(tutti_rt_first_violation(), "malloc");
    tutti_rt_reset();
    void* volatile q = std::malloc(16); // outside: fine
    std::free(q);
    EXPECT_EQ(tutti_rt_violations(), 0);
}

// The calls that block or enter the kernel beyond allocation and locks: a futex
// wait (C++20 atomic wait, semaphores), sched_yield (std::this_thread::yield),
// mmap/munmap, and file I/O. Each one made inside an audio section is caught.
TEST(RtGuard, CatchesFutexWaitsYieldsMappingAndFileIo) {
    if (tutti_rt_checking() == 0) {
        GTEST_SKIP()
            << "sanitizer build: the real-time checker is off (it runs in the normal build)";
    }
    tutti_rt_reset();
    {
        rt::AudioSection s;
        int word = 0;
        timespec zero{};
        // the word is 0, not 1: the kernel returns EAGAIN at once, but the call was a wait
        syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, &zero, nullptr, 0);
        std::this_thread::yield();
        void* page =
            mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        munmap(page, 4096);
        int fd = open("/dev/null", O_WRONLY);
        close(fd);
        std::FILE* f = std::fopen("/dev/null", "w");
        std::fwrite("xy", 1, 2, f);
        std::fclose(f);
    }
    EXPECT_STREQ(tutti_rt_first_violation(), "futex_wait");
    for (const char* call : {"futex_wait", "sched_yield", "mmap", "munmap", "open", "close",
                             "fopen", "fwrite", "fclose"}) {
        EXPECT_GE(tutti_rt_violations_of(call), 1) << call;
    }
    tutti_rt_reset();
    {
        // a futex wake never blocks: allowed
        int word = 0;
        rt::AudioSection s;
        syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    }
    EXPECT_EQ(tutti_rt_violations(), 0) << tutti_rt_first_violation();
    std::this_thread::yield(); // outside: fine
    EXPECT_EQ(tutti_rt_violations(), 0);
}

TEST_F(EngineTest, NoOpSwapIsBitIdentical) {
    for (const char* name : {"generator/osc.dsp", "reverb/zitaRev.dsp", "filtering/moogVCF.dsp"}) {
        auto a = compile_path(examples + name);
        auto again =
            compile_path(examples + name); // a second compilation: other code, same identities
        ASSERT_TRUE(a && again);
        const long frames = 20000;
        Rendered plain = render(a, frames);
        Rendered swapped = render(a, frames, {{4096, again}, {10007, a}});
        ASSERT_EQ(swapped.reports.size(), 2u) << name;
        for (const SwapReport& r : swapped.reports) {
            EXPECT_FALSE(r.crossfade) << name;
            EXPECT_EQ(r.reset, 0) << name;
            EXPECT_EQ(r.dropped, 0) << name;
            EXPECT_EQ(r.resized, 0) << name;
            EXPECT_GT(r.carried, 0) << name;
        }
        EXPECT_EQ(swapped.reports[0].commit_frame, 4096u);
        EXPECT_EQ(swapped.reports[1].commit_frame, 10048u); // the next block boundary
        for (std::size_t c = 0; c < plain.out.size(); ++c) {
            for (long n = 0; n < frames; ++n) {
                ASSERT_EQ(plain.out[c][std::size_t(n)], swapped.out[c][std::size_t(n)])
                    << name << " channel " << c << " frame " << n;
            }
        }
    }
}

// An oscillator into a zita reverb, the wet/dry mix edited after the reverb: the
// oscillator's phase and the reverb's lines carry over, so the output after the
// swap is what the old program would have played with its mix control moved.
TEST_F(EngineTest, DownstreamEditKeepsTheReverbTail) {
    const std::string body = R"(
import("stdfaust.lib");
src = os.osc(440) * (ba.time < 2000);
rev = re.zita_rev1_stereo(0, 200, 6000, 3, 4, 44100);
process = src <: (rev : par(i, 2, *(wet))), (_ <: _, _ : par(i, 2, *(1 - wet))) :> _, _;
)";
    auto v1 = compile("wet = 0.3;" + body);
    auto v2 = compile("wet = 0.7;" + body);
    auto live = compile("wet = hslider(\"wet\", 0.3, 0, 1, 0.01);" + body);
    ASSERT_TRUE(v1 && v2 && live);
    const long frames = 16000, at = 8192;
    Rendered swapped = render(v1, frames, {{at, v2}});
    Rendered moved = render(live, frames, {}, {{at, "wet", 0.7}});
    ASSERT_EQ(swapped.reports.size(), 1u);
    const SwapReport& r = swapped.reports[0];
    EXPECT_FALSE(r.crossfade);
    EXPECT_EQ(r.reset, 0);
    EXPECT_EQ(r.dropped, 0);
    EXPECT_GT(r.carried, 20); // zita's lines and filters, the oscillator, the time counter
    double tail = 0;
    for (std::size_t c = 0; c < 2; ++c) {
        for (long n = 0; n < frames; ++n) {
            double ref = moved.out[c][std::size_t(n)];
            ASSERT_NEAR(swapped.out[c][std::size_t(n)], ref, 1e-9 * std::max(1.0, std::fabs(ref)))
                << "channel " << c << " frame " << n;
            if (n >= at) {
                tail = std::max(tail, std::fabs(ref));
            }
        }
    }
    EXPECT_GT(tail, 1e-3); // the reverb still rings after the swap (the test is not vacuous)
    // no discontinuity: the steps around the swap are those of the signal itself
    EXPECT_LE(max_step(swapped.out[0], at - 2, at + 2),
              max_step(moved.out[0], at - 200, at + 200) + 1e-12);
}

// A change that cannot be matched (another source altogether) crossfades; the
// jump it would make without the crossfade shows the test can fail.
TEST_F(EngineTest, UnmatchedChangeCrossfades) {
    auto a = compile("import(\"stdfaust.lib\"); process = os.osc(440) * 0.9;");
    auto b = compile("import(\"stdfaust.lib\"); process = no.noise : fi.lowpass(2, 400) : *(4);");
    ASSERT_TRUE(a && b);
    const long frames = 12000, at = 4032; // a block boundary
    Rendered alone_a = render(a, frames);
    Rendered alone_b = render(b, frames);
    double own = std::max(max_step(alone_a.out[0], 1, frames), max_step(alone_b.out[0], 1, frames));
    Rendered faded = render(a, frames, {{at, b}});
    ASSERT_EQ(faded.reports.size(), 1u);
    EXPECT_TRUE(faded.reports[0].crossfade);
    EXPECT_GT(faded.reports[0].reset + faded.reports[0].dropped, 0);
    EXPECT_LE(max_step(faded.out[0], at - 64, at + 2000), own);
    // 20 ms later the new program plays alone
    for (long n = at + 882 + 64; n < frames; ++n) {
        // b started from zero at the swap, so it equals b's own render shifted by `at`
        ASSERT_NEAR(faded.out[0][std::size_t(n)], alone_b.out[0][std::size_t(n - at)], 1e-12) << n;
    }
    Rendered cut = render(a, frames, {{at, b}}, {}, 64, true, 0.0);
    EXPECT_GT(max_step(cut.out[0], at - 1, at + 1), own) << "without a crossfade the swap jumps";
}

// A delay line whose length changed keeps its most recent samples: an impulse
// 5 samples old when @(10) becomes @(40) comes out 35 samples after the swap.
TEST_F(EngineTest, ResizedDelayLineKeepsItsSamples) {
    auto short_delay = compile("process = @(10);");
    auto long_delay = compile("process = @(40);");
    Rendered run = render(short_delay, 100, {{5, long_delay}}, {}, 1);
    ASSERT_EQ(run.reports.size(), 1u);
    EXPECT_EQ(run.reports[0].resized, 1);
    EXPECT_FALSE(run.reports[0].crossfade);
    for (long n = 0; n < 100; ++n) {
        EXPECT_EQ(run.out[0][std::size_t(n)], n == 40 ? 1.0 : 0.0) << n;
    }
    // and back: from a ring of 64 to a shifted line of 11 (samples older than 10 are lost)
    Rendered back = render(long_delay, 100, {{5, short_delay}}, {}, 1);
    for (long n = 0; n < 100; ++n) {
        EXPECT_EQ(back.out[0][std::size_t(n)], n == 10 ? 1.0 : 0.0) << n;
    }
}

// Ring to ring across a resize, after the ring index wrapped many times: a ramp
// through @(150) (ring of 256) becomes @(400) (ring of 512) at frame 1024. The
// new line holds the 256 most recent samples; older ones are zero.
TEST_F(EngineTest, ResizedRingKeepsTheMostRecentSamples) {
    auto a = compile("process = (+(1) ~ _) : @(150);");
    auto b = compile("process = (+(1) ~ _) : @(400);");
    const long at = 1024;
    Rendered run = render(a, 2048, {{at, b}}, {}, 64, false);
    ASSERT_EQ(run.reports.size(), 1u);
    EXPECT_EQ(run.reports[0].resized, 1);
    for (long n = 0; n < 2048; ++n) {
        double ramp_then = 0;
        long k = n < at ? n - 150 : n - 400; // the frame whose ramp value comes out at n
        bool held = n < at || at - k <= 256;
        if (k >= 0 && held) {
            ramp_then = double(k + 1);
        }
        ASSERT_EQ(run.out[0][std::size_t(n)], ramp_then) << "frame " << n;
    }
}

TEST_F(EngineTest, ControlsCarryByPathAndClampIntoTheNewRange) {
    auto a = compile("process = hslider(\"g\", 0.2, 0, 1, 0.01) : si.smoo;"
                     "import(\"stdfaust.lib\");");
    auto b = compile("process = hslider(\"g\", 0.2, 0, 0.5, 0.01) : si.smoo;"
                     "import(\"stdfaust.lib\");");
    ASSERT_TRUE(a && b);
    Rendered run = render(a, 30000, {{20000, b}}, {{0, "g", 0.9}}, 64, false);
    ASSERT_EQ(run.reports.size(), 1u);
    EXPECT_NEAR(run.out[0][19999], 0.9, 1e-6); // smoothed up to 0.9
    EXPECT_NEAR(run.out[0][29999], 0.5,
                1e-4);                  // clamped (0.999 pole: 0.4 * 0.999^10000 = 2e-5 left)
    EXPECT_GT(run.out[0][20001], 0.89); // the smoother's state was carried: no restart from 0
    bool clamped = false;
    for (const FieldChange& f : run.reports[0].fields) {
        clamped =
            clamped || (f.kind == StateKind::Control && f.action == FieldChange::Action::Clamped);
    }
    EXPECT_TRUE(clamped);
}

TEST_F(EngineTest, ParameterSetJustBeforeASwapReachesTheNewVersion) {
    auto a = compile("process = hslider(\"g\", 0.2, 0, 1, 0.01);");
    auto b = compile("process = hslider(\"g\", 0.2, 0, 1, 0.01) * 2;");
    ASSERT_TRUE(a && b);
    // the swap and the change are handed over before the same block: the change
    // was resolved against the new version (the last one submitted)
    Rendered run = render(a, 256, {{128, b}}, {{128, "g", 0.25}});
    EXPECT_EQ(run.out[0][100], 0.2);
    EXPECT_EQ(run.out[0][200], 0.5);
}

// A driver may hand over more frames than the engine's buffers hold: the engine
// slices them; the samples are those of 64-frame blocks.
TEST_F(EngineTest, BlocksLargerThanMaxBlockAreSliced) {
    auto a = compile_path(examples + "generator/osc.dsp");
    ASSERT_TRUE(a);
    Rendered ref = render(a, 3000);
    EngineOptions eo;
    eo.compiler = compile_program;
    eo.inputs = 0;
    eo.outputs = 1;
    eo.max_block = 64;
    eo.double_precision = true;
    Engine engine(eo);
    engine.submit(a, "osc");
    std::vector<double> out(3000);
    for (std::size_t pos = 0; pos < 3000; pos += 1000) {
        void* op[1] = {out.data() + pos};
        engine.process(1000, nullptr, op);
    }
    EXPECT_EQ(engine.frames_processed(), 3000u);
    for (std::size_t n = 0; n < 3000; ++n) {
        ASSERT_EQ(out[n], ref.out[0][n]) << n;
    }
}

TEST_F(EngineTest, CompileErrorLeavesTheOldVersionPlaying) {
    EngineOptions eo;
    eo.compiler = compile_program;
    eo.inputs = 0;
    eo.outputs = 1;
    eo.max_block = 64;
    eo.double_precision = false;
    Engine engine(eo);
    std::uint64_t g1 = engine.load_source("ok.dsp", "process = 0.25;");
    ASSERT_TRUE(engine.wait_prepared(g1));
    std::vector<float> out(64);
    void* op[1] = {out.data()};
    engine.process(64, nullptr, op);
    EXPECT_EQ(out[0], 0.25f);
    std::uint64_t g2 = engine.load_source("bad.dsp", "process = 0.5 +;");
    EXPECT_FALSE(engine.wait_prepared(g2));
    engine.process(64, nullptr, op);
    EXPECT_EQ(out[63], 0.25f);
    EXPECT_EQ(engine.playing_generation(), g1);
    bool reported = false;
    for (const SwapReport& r : engine.take_reports()) {
        if (r.generation == g2) {
            reported = true;
            EXPECT_FALSE(r.compiled);
            ASSERT_FALSE(r.diagnostics.empty());
            EXPECT_EQ(r.diagnostics[0].line, 1u);
        }
    }
    EXPECT_TRUE(reported);
    std::uint64_t g3 = engine.load_source("ok2.dsp", "process = 0.75;");
    ASSERT_TRUE(engine.wait_prepared(g3));
    engine.process(64, nullptr, op);
    EXPECT_EQ(out[0], 0.75f);
    EXPECT_EQ(engine.playing_generation(), g3);
}

// An engine without a compiler (a host that links the runtime and the engine
// only) reports load_source() as failed, and plays what is submitted to it.
TEST_F(EngineTest, WithoutACompilerLoadingFailsAndSubmittingWorks) {
    EngineOptions eo;
    eo.inputs = 0;
    eo.outputs = 1;
    eo.max_block = 64;
    Engine engine(eo);
    std::uint64_t g1 = engine.load_source("ok.dsp", "process = 0.25;");
    EXPECT_FALSE(engine.wait_prepared(g1));
    bool reported = false;
    for (const SwapReport& r : engine.take_reports()) {
        if (r.generation == g1) {
            reported = true;
            EXPECT_FALSE(r.compiled);
            ASSERT_EQ(r.diagnostics.size(), 1u);
            EXPECT_EQ(r.diagnostics[0].id, "no_compiler");
        }
    }
    EXPECT_TRUE(reported);
    CompileResult cr = compile_source("ok.dsp", "process = 0.5;");
    ASSERT_TRUE(cr.ok());
    std::uint64_t g2 = engine.submit(cr.factory, "ok.dsp");
    ASSERT_NE(g2, 0u);
    std::vector<float> out(64);
    void* op[1] = {out.data()};
    engine.process(64, nullptr, op);
    EXPECT_EQ(out[0], 0.5f);
}

TEST_F(EngineTest, MetersCrossToTheControlThread) {
    auto a = compile("process = _ : hbargraph(\"level\", 0, 2);");
    ASSERT_TRUE(a);
    EngineOptions eo;
    eo.compiler = compile_program;
    eo.inputs = 1;
    eo.outputs = 1;
    eo.max_block = 64;
    eo.double_precision = true;
    Engine engine(eo);
    engine.submit(a, "meter");
    std::vector<double> in(64, 1.5), out(64);
    const void* ip[1] = {in.data()};
    void* op[1] = {out.data()};
    engine.process(64, ip, op);
    std::vector<MeterValue> m = engine.meters();
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].value, 1.5);
    EXPECT_EQ(a->parameters()[m[0].index].label, "level");
}

// The control thread, the worker and the audio thread at once: a thread plays
// blocks while this one loads versions and moves a control (TSan's test).
TEST_F(EngineTest, ConcurrentLoadsWhilePlaying) {
    EngineOptions eo;
    eo.compiler = compile_program;
    eo.inputs = 0;
    eo.outputs = 2;
    eo.max_block = 64;
    Engine engine(eo);
    std::uint64_t g =
        engine.load_source("v0.dsp", "import(\"stdfaust.lib\"); process = os.osc(440) <: _, _;");
    ASSERT_TRUE(engine.wait_prepared(g));
    std::atomic<bool> stop{false};
    std::thread audio([&] {
        std::vector<float> l(64), r(64);
        void* op[2] = {l.data(), r.data()};
        while (!stop.load()) {
            engine.process(64, nullptr, op);
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    });
    for (int i = 1; i <= 8; ++i) {
        std::string src = "import(\"stdfaust.lib\"); process = os.osc(" +
                          std::to_string(440 + 10 * i) +
                          ") * hslider(\"g\", 0.5, 0, 1, 0.01) <: _, _;";
        std::uint64_t gi = engine.load_source("v.dsp", src);
        engine.set_parameter("g", 0.1 * i);
        ASSERT_TRUE(engine.wait_prepared(gi));
        engine.take_reports();
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (engine.playing_generation() != 9 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    stop = true;
    audio.join();
    EXPECT_EQ(engine.playing_generation(), 9u);
    engine.collect();
}

} // namespace
} // namespace tutti::test
