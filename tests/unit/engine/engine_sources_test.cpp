// SPDX-License-Identifier: MIT
// An engine many sources drive at once (issue 10, section 3): parameter changes
// from several threads, changes stamped with the frame where they land (the
// block is split there), the playing version's UI and the live value of every
// control read from any thread, old versions freed without anyone calling
// collect(), denormals flushed inside process(). Every test runs with the
// real-time checker (RtChecked) and under ThreadSanitizer (make tsan).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>
#include <tuple>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "drivers/null_driver.h"
#include "engine_harness.h"
#include "tutti/engine_callback.h"

namespace tutti::test {
namespace {

using namespace std::chrono_literals;
using EngineSources = RtChecked;

/// Plays blocks of `block` frames on its own thread (the audio thread) into a
/// recording of every output frame, paced by a short sleep after each block.
class AudioThread {
public:
    AudioThread(Engine& engine, int outputs, long frames, int block, std::chrono::microseconds pace)
        : out_(std::size_t(outputs), std::vector<double>(std::size_t(frames), 0.0)) {
        thread_ = std::thread([this, &engine, frames, block, pace] {
            std::vector<void*> op(out_.size());
            for (long pos = 0; pos < frames && !stop_.load(); pos += block) {
                for (std::size_t c = 0; c < out_.size(); ++c) {
                    op[c] = out_[c].data() + pos;
                }
                engine.process(int(std::min<long>(block, frames - pos)), nullptr, op.data());
                std::this_thread::sleep_for(pace);
            }
        });
    }
    ~AudioThread() {
        stop();
    }
    /// Ends the playing before `frames` (the rest of the recording stays silent).
    void stop() {
        stop_ = true;
        join();
    }
    void join() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    const std::vector<std::vector<double>>& out() const {
        return out_;
    }

private:
    std::vector<std::vector<double>> out_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

EngineOptions double_options(int inputs, int outputs, int block = 64) {
    EngineOptions eo;
    eo.sample_rate = 44100;
    eo.max_block = block;
    eo.inputs = inputs;
    eo.outputs = outputs;
    eo.double_precision = true;
    return eo;
}

// A change stamped with a frame lands at that frame exactly: the output (the
// slider's value) is the old value up to the frame before and the new one from
// it, wherever the frame falls in a block; one stamped in the past lands at the
// start of the next block; changes at the same frame keep their order.
TEST_F(EngineSources, StampedChangeLandsAtItsFrame) {
    auto f = compile("process = hslider(\"g\", 0, 0, 1000, 1);");
    ASSERT_TRUE(f);
    EngineOptions eo = double_options(0, 1);
    Engine engine(eo);
    ASSERT_NE(engine.submit(f, "g"), 0u);
    // frame -> value, out of order and some in one block
    const std::vector<std::pair<std::int64_t, double>> stamps = {{1000, 4}, {100, 1},  {101, 2},
                                                                 {127, 3},  {4096, 5}, {4097, 6},
                                                                 {4160, 7}, {5000, 8}, {5000, 9}};
    for (const auto& [frame, value] : stamps) {
        ASSERT_TRUE(engine.set_parameter_at(frame, "g", value));
    }
    const long frames = 6000;
    std::vector<double> out(frames);
    for (long pos = 0; pos < frames; pos += 64) {
        void* op[1] = {out.data() + pos};
        if (pos == 2048) {
            // frame 1500 was played: this one lands at 2048, the block's first frame
            ASSERT_TRUE(engine.set_parameter_at(1500, "g", 10));
        }
        engine.process(int(std::min<long>(64, frames - pos)), nullptr, op);
    }
    auto expected = [](long n) {
        if (n < 100) {
            return 0.0;
        }
        if (n < 101) {
            return 1.0;
        }
        if (n < 127) {
            return 2.0;
        }
        if (n < 1000) {
            return 3.0;
        }
        if (n < 2048) {
            return 4.0;
        }
        if (n < 4096) {
            return 10.0;
        }
        if (n < 4097) {
            return 5.0;
        }
        if (n < 4160) {
            return 6.0;
        }
        if (n < 5000) {
            return 7.0;
        }
        return 9.0; // 8 then 9 at the same frame: the last one sent wins
    };
    for (long n = 0; n < frames; ++n) {
        ASSERT_EQ(out[std::size_t(n)], expected(n)) << "frame " << n;
    }
    EXPECT_EQ(engine.dropped_messages(), 0u);
    // the live value is the last one applied
    EXPECT_EQ(engine.control_value("g").value_or(-1), 9.0);
}

// A stateful program split at a stamped frame computes what it computes
// unsplit: an integrator of the slider, against the same program with the
// change made by hand between two compute() calls at that frame.
/// The ChangeObserver hears each applied change on the audio thread with the
/// frame it landed on and the origin it was pushed with (a NetJack link
/// forwards local moves and does not echo its own).
TEST_F(EngineSources, ChangeObserverHearsEachChangeAtItsFrame) {
    struct Heard final : ChangeObserver {
        std::vector<std::tuple<std::uint64_t, std::size_t, double, std::uint32_t>> seen;
        void applied(std::uint64_t frame, std::size_t index, double value,
                     std::uint32_t origin) noexcept override {
            if (seen.size() < seen.capacity()) { // no allocation on the audio thread
                seen.emplace_back(frame, index, value, origin);
            }
        }
    } heard;
    heard.seen.reserve(16);
    auto f = compile("process = hslider(\"g\", 0, 0, 1000, 1);");
    ASSERT_TRUE(f);
    EngineOptions eo = double_options(0, 1);
    eo.change_observer = &heard;
    Engine engine(eo);
    const std::uint64_t generation = engine.submit(f, "g");
    ASSERT_NE(generation, 0u);
    ASSERT_TRUE(engine.set_parameter_at(100, "g", 1));
    ParameterChange linked{generation, 0, 2, 130};
    linked.origin = 0x4E4A;
    ASSERT_TRUE(engine.push(linked));
    std::vector<double> out(256);
    for (long pos = 0; pos < 256; pos += 64) {
        void* op[1] = {out.data() + pos};
        engine.process(64, nullptr, op);
    }
    ASSERT_EQ(heard.seen.size(), 2u);
    EXPECT_EQ(heard.seen[0], std::make_tuple(std::uint64_t{100}, std::size_t{0}, 1.0, 0u));
    EXPECT_EQ(heard.seen[1], std::make_tuple(std::uint64_t{130}, std::size_t{0}, 2.0, 0x4E4Au));
    EXPECT_EQ(out[99], 0.0);
    EXPECT_EQ(out[100], 1.0);
    EXPECT_EQ(out[130], 2.0);
}

TEST_F(EngineSources, SplittingABlockKeepsTheStateContinuous) {
    const std::string src = "process = hslider(\"g\", 0.5, 0, 1, 0.001) : + ~ *(0.999);";
    auto f = compile(src);
    ASSERT_TRUE(f);
    Engine engine(double_options(0, 1));
    ASSERT_NE(engine.submit(f, "integrator"), 0u);
    ASSERT_TRUE(engine.set_parameter_at(77, "g", 0.25));
    ASSERT_TRUE(engine.set_parameter_at(200, "g", 0.75));
    std::vector<double> out(512);
    for (int pos = 0; pos < 512; pos += 128) {
        void* op[1] = {out.data() + pos};
        engine.process(128, nullptr, op);
    }
    auto inst = f->create_instance();
    inst->init(44100);
    std::vector<double> ref(512);
    auto run = [&](int from, int to) {
        void* op[1] = {ref.data() + from};
        inst->compute(to - from, nullptr, op);
    };
    run(0, 77);
    inst->set_parameter(std::size_t(0), 0.25);
    run(77, 200);
    inst->set_parameter(std::size_t(0), 0.75);
    run(200, 512);
    for (std::size_t n = 0; n < 512; ++n) {
        ASSERT_EQ(out[n], ref[n]) << "frame " << n;
    }
    EXPECT_NE(out[100], out[76] + 0.5); // the change at 77 was heard (not vacuous)
}

// Four control threads each move their own slider through 1..N while a fifth
// plays: every change arrives (the last value is N on every channel), in each
// producer's order (each channel only ever rises).
TEST_F(EngineSources, ChangesFromManyThreadsWhilePlaying) {
    auto f = compile("process = hslider(\"a\", 0, 0, 1e6, 1), hslider(\"b\", 0, 0, 1e6, 1),"
                     "hslider(\"c\", 0, 0, 1e6, 1), hslider(\"d\", 0, 0, 1e6, 1);");
    ASSERT_TRUE(f);
    EngineOptions eo = double_options(0, 4);
    eo.queue_capacity = 256; // small: the producers meet a full queue and retry
    Engine engine(eo);
    ASSERT_NE(engine.submit(f, "four"), 0u);
    const int n = 3000;
    const long frames = 64L * 40000;
    AudioThread audio(engine, 4, frames, 64, 20us);
    std::atomic<long> full{0};
    std::vector<std::thread> producers;
    producers.reserve(4);
    for (int p = 0; p < 4; ++p) {
        producers.emplace_back([&, p] {
            const std::string name(1, char('a' + p));
            for (int k = 1; k <= n; ++k) {
                while (!engine.set_parameter(name, k)) {
                    full.fetch_add(1);
                    std::this_thread::sleep_for(50us);
                }
            }
        });
    }
    for (auto& t : producers) {
        t.join();
    }
    // all sent: wait until the audio thread applied them
    auto deadline = std::chrono::steady_clock::now() + 20s;
    auto all_applied = [&] {
        for (const char* name : {"a", "b", "c", "d"}) {
            if (engine.control_value(name).value_or(0) != n) {
                return false;
            }
        }
        return true;
    };
    while (!all_applied() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    audio.stop();
    const std::uint64_t played = engine.frames_processed();
    ASSERT_TRUE(all_applied());
    EXPECT_EQ(engine.dropped_messages(), std::uint64_t(full.load()))
        << "a full queue is the only loss";
    for (std::size_t c = 0; c < 4; ++c) {
        const auto& x = audio.out()[c];
        for (std::size_t i = 1; i < std::min<std::size_t>(x.size(), played); ++i) {
            ASSERT_GE(x[i], x[i - 1])
                << "channel " << c << " frame " << i << ": a change overtook a later one";
        }
        EXPECT_EQ(x[std::min<std::size_t>(x.size(), played) - 1], n) << "channel " << c;
    }
}

// Several threads stamp changes ahead of the engine's clock while it plays;
// each lands at its frame exactly. A change is "in time" when the block that
// holds its frame had not started when it was sent (the clock read after the
// push, plus a block, is still before it): those must land exactly.
TEST_F(EngineSources, StampedChangesFromManyThreadsLandExactly) {
    auto f = compile("process = hslider(\"a\", -1, -1, 1e6, 1), hslider(\"b\", -1, -1, 1e6, 1),"
                     "hslider(\"c\", -1, -1, 1e6, 1);");
    ASSERT_TRUE(f);
    EngineOptions eo = double_options(0, 3);
    eo.queue_capacity = 4096;
    Engine engine(eo);
    ASSERT_NE(engine.submit(f, "three"), 0u);
    const long frames = 64L * 6000;
    AudioThread audio(engine, 3, frames, 64, 200us);
    struct Sent {
        std::int64_t frame;
        double value;
        bool in_time;
    };
    std::vector<std::vector<Sent>> sent(3);
    std::vector<std::thread> producers;
    producers.reserve(3);
    for (int p = 0; p < 3; ++p) {
        producers.emplace_back([&, p] {
            const std::string name(1, char('a' + p));
            std::int64_t frame = std::int64_t(engine.frame_clock().frame) + 20000;
            for (int k = 0; k < 300; ++k) {
                frame += 37 + 11 * p + (k % 5); // distinct, rising, rarely on a block boundary
                ASSERT_TRUE(engine.set_parameter_at(frame, name, k));
                const bool in_time = std::int64_t(engine.frame_clock().frame) + 64 <= frame;
                sent[std::size_t(p)].push_back(Sent{frame, double(k), in_time});
                std::this_thread::sleep_for(100us);
            }
        });
    }
    for (auto& t : producers) {
        t.join();
    }
    audio.join();
    long exact = 0, late = 0;
    for (std::size_t p = 0; p < 3; ++p) {
        const auto& x = audio.out()[p];
        const auto& s = sent[p];
        for (std::size_t k = 0; k < s.size(); ++k) {
            const std::size_t at = std::size_t(s[k].frame);
            if (!s[k].in_time) {
                ++late;
                continue;
            }
            ASSERT_LT(at, x.size());
            // the value before is the previous change's (or the init value), from the frame on this
            // one's
            const double before = k == 0 ? -1.0 : s[k - 1].value;
            if (k == 0 || s[k - 1].in_time) {
                ASSERT_EQ(x[at - 1], before) << "producer " << p << " change " << k << " at " << at;
            }
            ASSERT_EQ(x[at], s[k].value) << "producer " << p << " change " << k << " at " << at;
            ++exact;
        }
    }
    EXPECT_GT(exact, 600) << late << " changes were sent too late to land at their frame";
    EXPECT_EQ(engine.dropped_messages(), 0u);
}

// Meters and control values read at UI rates by several threads while the null
// driver plays the engine (its callback is an audio section too). The bargraph
// shows the frame counter, so each read is checked against the frames that
// framed it; the latest value is never lost (the final read is the last block's).
TEST_F(EngineSources, MetersReadWhilePlaying) {
    auto f = compile("process = attach(hslider(\"g\", 0, 0, 1, 0.001), (+(1) ~ _) : "
                     "hbargraph(\"count\", 0, 1e7));",
                     false);
    ASSERT_TRUE(f);
    std::size_t count_index = 0;
    for (std::size_t i = 0; i < f->parameters().size(); ++i) {
        if (f->parameters()[i].named("count")) {
            count_index = i;
        }
    }
    EngineOptions eo;
    eo.sample_rate = 48000;
    eo.max_block = 64;
    eo.inputs = 0;
    eo.outputs = 1;
    Engine engine(eo);
    ASSERT_NE(engine.submit(f, "counter"), 0u);
    drivers::NullDriver driver;
    DriverOptions dopt;
    dopt.inputs = 0;
    dopt.outputs = 1;
    dopt.sample_rate = 48000;
    dopt.block_size = 64;
    std::string error;
    ASSERT_TRUE(driver.open(dopt, &error)) << error;
    EngineCallback callback(engine);
    ASSERT_TRUE(driver.start(&callback, &error)) << error;
    std::atomic<bool> stop{false};
    std::atomic<long> reads{0}, bad{0};
    std::vector<std::thread> readers;
    readers.reserve(3);
    for (int r = 0; r < 3; ++r) {
        readers.emplace_back([&] {
            double previous = 0;
            while (!stop.load()) {
                VersionUi ui = engine.playing_ui();
                if (ui) {
                    const std::uint64_t f0 = ui.values->frame();
                    const double count = ui.values->value(count_index);
                    // the bargraph holds the counter at a block's last frame (the frames
                    // played so far): at least the frame published before it was read,
                    // a whole number of blocks, never going back
                    if (f0 > 0 &&
                        (count < double(f0) || std::fmod(count, 64) != 0 || count < previous)) {
                        bad.fetch_add(1);
                    }
                    previous = count;
                    std::vector<MeterValue> m = engine.meters();
                    if (f0 > 0 && (m.size() != 1 || m[0].value < count)) {
                        bad.fetch_add(1);
                    }
                    reads.fetch_add(1);
                }
                std::this_thread::sleep_for(20ms); // 50 Hz, a UI's rate
            }
        });
    }
    std::thread mover([&] {
        for (int k = 1; k <= 20; ++k) {
            engine.set_parameter("g", k / 100.0);
            std::this_thread::sleep_for(10ms);
        }
    });
    mover.join();
    std::this_thread::sleep_for(300ms);
    stop = true;
    for (auto& t : readers) {
        t.join();
    }
    driver.stop();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_GE(reads.load(), 20);
    EXPECT_GT(driver.callbacks(), 100u);
    // after the last block: its values, exactly
    VersionUi ui = engine.playing_ui();
    ASSERT_TRUE(ui);
    EXPECT_EQ(ui.values->frame(), engine.frames_processed());
    EXPECT_EQ(ui.values->value(count_index), double(engine.frames_processed()));
    EXPECT_FLOAT_EQ(float(engine.control_value("g").value_or(-1)), 0.2f);
}

// The playing version's UI from any thread, and a notification (on the engine's
// service thread) when a swap changes it: not when the new version has the same
// controls, yes when they differ.
TEST_F(EngineSources, UiNotificationWhenASwapChangesIt) {
    auto a = compile("process = hslider(\"gain\", 0.5, 0, 1, 0.01);", false);
    auto a2 = compile("process = hslider(\"gain\", 0.5, 0, 1, 0.01) * 2;", false);
    auto b = compile(
        "process = hslider(\"gain\", 0.5, 0, 1, 0.01) * hslider(\"pan\", 0, -1, 1, 0.01);", false);
    ASSERT_TRUE(a && a2 && b);
    EngineOptions eo;
    eo.inputs = 0;
    eo.outputs = 1;
    eo.max_block = 64;
    eo.service_interval_ms = 2;
    Engine engine(eo);
    EXPECT_FALSE(engine.playing_ui());
    std::atomic<int> calls{0};
    std::atomic<std::uint64_t> last_generation{0};
    std::atomic<std::size_t> last_controls{0};
    int id = engine.add_ui_listener([&](const VersionUi& ui) {
        last_generation = ui.generation;
        last_controls = ui.factory->parameters().size();
        calls.fetch_add(1);
    });
    AudioThread audio(engine, 1, 64L * 100000, 64, 100us);
    // readers on other threads, throughout
    std::atomic<bool> stop{false};
    std::atomic<long> seen{0};
    std::thread reader([&] {
        while (!stop.load()) {
            VersionUi ui = engine.playing_ui();
            if (ui && ui.factory->json().find("\"gain\"") != std::string::npos) {
                seen.fetch_add(1);
            }
            std::this_thread::sleep_for(1ms);
        }
    });
    auto wait_for = [&](auto done) {
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
        }
        return done();
    };
    const std::uint64_t g1 = engine.submit(a, "a");
    ASSERT_TRUE(wait_for([&] { return calls.load() == 1; }));
    EXPECT_EQ(last_generation.load(), g1);
    EXPECT_EQ(last_controls.load(), 1u);
    const std::uint64_t g2 = engine.submit(a2, "a2");
    ASSERT_TRUE(wait_for([&] { return engine.playing_generation() == g2; }));
    std::this_thread::sleep_for(50ms); // 25 service periods
    EXPECT_EQ(calls.load(), 1) << "same controls: no notification";
    EXPECT_EQ(engine.playing_ui().generation, g2);
    const std::uint64_t g3 = engine.submit(b, "b");
    ASSERT_TRUE(wait_for([&] { return calls.load() == 2; }));
    EXPECT_EQ(last_generation.load(), g3);
    EXPECT_EQ(last_controls.load(), 2u);
    EXPECT_EQ(engine.ui_changes(), 2u);
    VersionUi ui = engine.playing_ui();
    EXPECT_EQ(ui.generation, g3);
    EXPECT_NE(ui.factory->json().find("\"pan\""), std::string::npos);
    EXPECT_EQ(engine.submitted_ui().generation, g3);
    engine.remove_ui_listener(id);
    engine.submit(a, "a again");
    ASSERT_TRUE(wait_for([&] { return engine.ui_changes() == 3; }));
    EXPECT_EQ(calls.load(), 2) << "removed listeners are not called";
    stop = true;
    reader.join();
    EXPECT_GT(seen.load(), 0);
}

// Nobody calls collect() or take_reports(): the service thread frees the old
// versions on its own (their factories die with them).
TEST_F(EngineSources, OldVersionsAreFreedWithoutCollect) {
    EngineOptions eo;
    eo.inputs = 0;
    eo.outputs = 1;
    eo.max_block = 64;
    Engine engine(eo);
    AudioThread audio(engine, 1, 64L * 1000000, 64, 50us);
    std::vector<std::weak_ptr<const Factory>> versions;
    for (int i = 0; i < 30; ++i) {
        auto f = compile("process = " + std::to_string(i) + " * hslider(\"g\", 0.5, 0, 1, 0.01);",
                         false);
        ASSERT_TRUE(f);
        ASSERT_NE(engine.submit(f, "v"), 0u);
        versions.push_back(f);
    }
    auto deadline = std::chrono::steady_clock::now() + 10s;
    auto freed = [&] {
        for (std::size_t i = 0; i + 1 < versions.size(); ++i) {
            if (!versions[i].expired()) {
                return false;
            }
        }
        return true;
    };
    while (!freed() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    for (std::size_t i = 0; i + 1 < versions.size(); ++i) {
        EXPECT_TRUE(versions[i].expired()) << "version " << i + 1 << " is still alive";
    }
    EXPECT_FALSE(versions.back().expired()) << "the playing one is alive";
    EXPECT_EQ(engine.playing_generation(), 30u);
}

// Denormals are flushed inside process() (FTZ for results, DAZ for inputs) and
// the caller's floating-point mode is given back afterwards.
TEST_F(EngineSources, DenormalsAreFlushedInsideTheCallback) {
    auto small = compile("process = _ * 1e-10;");
    auto large = compile("process = _ * 1e10;");
    ASSERT_TRUE(small && large);
    auto through = [](std::shared_ptr<const Factory> f, double x, bool flush) {
        EngineOptions eo = double_options(1, 1, 1);
        eo.flush_denormals = flush;
        Engine engine(eo);
        engine.submit(f, "f");
        double in = x, out = -1;
        const void* ip[1] = {&in};
        void* op[1] = {&out};
        engine.process(1, ip, op);
        return out;
    };
    const double tiny = std::numeric_limits<double>::denorm_min() * 1e6; // a denormal
    ASSERT_LT(tiny, std::numeric_limits<double>::min());
#if defined(__x86_64__)
    const unsigned csr = _mm_getcsr();
#endif
    // without the flush the results are denormal or made from one: the test can fail
    EXPECT_GT(through(small, 1e-300, false), 0.0);
    EXPECT_GT(through(large, tiny, false), 0.0);
    EXPECT_EQ(through(small, 1e-300, true), 0.0); // FTZ: a denormal result is 0
    EXPECT_EQ(through(large, tiny, true), 0.0);   // DAZ: a denormal input is 0
#if defined(__x86_64__)
    // the control bits (modes and masks); bits 0-5 are sticky exception flags the computation sets
    EXPECT_EQ(_mm_getcsr() & ~0x3Fu, csr & ~0x3Fu) << "the caller's MXCSR is restored";
#endif
}

// The output tap (EngineOptions::output_tap_frames): a reader on another thread
// sees the frames played, in order, without gaps while it keeps up, each frame
// exactly as the program computed it (a counter, one output; the other output
// is the counter negated); the audio thread stays inside its rules (RtChecked).
// A reader that falls behind skips to frames the ring still holds, never reads
// a torn or overwritten frame.
TEST_F(EngineSources, OutputTapReadWhilePlaying) {
    auto f = compile("process = (+(1) ~ _) <: _, *(-1);", false);
    ASSERT_TRUE(f);
    EngineOptions eo;
    eo.sample_rate = 48000;
    eo.max_block = 64;
    eo.inputs = 0;
    eo.outputs = 2;
    // ~85 ms at 48 kHz: a reader sleeping 5 ms keeps up even when a loaded
    // machine wakes it tens of ms late; a 300 ms pause falls behind
    eo.output_tap_frames = 4096;
    Engine engine(eo);
    ASSERT_NE(engine.submit(f, "counter"), 0u);
    drivers::NullDriver driver;
    DriverOptions dopt;
    dopt.inputs = 0;
    dopt.outputs = 2;
    dopt.sample_rate = 48000;
    dopt.block_size = 64;
    std::string error;
    ASSERT_TRUE(driver.open(dopt, &error)) << error;
    EngineCallback callback(engine);
    ASSERT_TRUE(driver.start(&callback, &error)) << error;
    std::vector<float> buf(2 * 8192);
    std::uint64_t cursor = 0, seen = 0, gaps = 0, bad = 0;
    double last = -1;
    auto until = std::chrono::steady_clock::now() + 1000ms;
    int round = 0;
    while (std::chrono::steady_clock::now() < until) {
        std::uint64_t before = cursor;
        std::size_t n = engine.read_output(&cursor, buf.data(), 8192);
        if (cursor - n != before) {
            ++gaps;
            last = -1; // frames were skipped: continuity starts again
        }
        for (std::size_t i = 0; i < n; ++i) {
            const double v = buf[2 * i], w = buf[2 * i + 1];
            // before the first version plays the output is silence
            if (v != 0 && ((last > 0 && v != last + 1) || w != -v)) {
                ++bad;
            }
            last = v;
        }
        seen += n;
        // most rounds at 200 Hz; a few much slower, so the ring wraps under the reader
        std::this_thread::sleep_for(++round % 10 == 0 ? 300ms : 5ms);
    }
    driver.stop();
    EXPECT_EQ(bad, 0u);
    EXPECT_GT(seen, 4096u);
    EXPECT_LT(gaps, std::uint64_t(round)); // most rounds kept up
    EXPECT_GT(gaps, 0u);                   // the slow rounds fell behind the ring
    EXPECT_LE(cursor, engine.frames_processed());
    // no tap: nothing to read
    EngineOptions none = eo;
    none.output_tap_frames = 0;
    Engine quiet(none);
    std::uint64_t c = 0;
    EXPECT_EQ(quiet.read_output(&c, buf.data(), 16), 0u);
}

} // namespace
} // namespace tutti::test
