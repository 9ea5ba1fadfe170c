// SPDX-License-Identifier: MIT
/** \file The null driver: pacing by the clock, block size, silence, stop, xruns. */
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "test_callbacks.h"
#include "tutti/driver.h"

namespace tutti {
namespace {

using test::ProbeCallback;
using test::wait_until;

struct NullCallback : AudioCallback {
    void process(int, const float* const*, float* const*) noexcept override {
    }
};

TEST(MakeDriver, KnowsJackAndNull) {
    auto jack = make_driver("jack");
    auto null = make_driver("null");
    ASSERT_NE(jack, nullptr);
    ASSERT_NE(null, nullptr);
    EXPECT_STREQ(jack->name(), "jack");
    EXPECT_STREQ(null->name(), "null");
    EXPECT_EQ(make_driver("alsa"), nullptr);
    EXPECT_EQ(make_driver(""), nullptr);
}

TEST(NullDriver, CallbacksArriveAtTheBlockRate) {
    auto driver = make_driver("null");
    DriverOptions options;
    options.sample_rate = 48000;
    options.block_size = 64;
    std::string error;
    ASSERT_TRUE(driver->open(options, &error)) << error;
    EXPECT_EQ(driver->sample_rate(), 48000);
    EXPECT_EQ(driver->block_size(), 64);

    ProbeCallback probe;
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(driver->start(&probe, &error)) << error;
    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // the measurement window
    driver->stop(); // then count: a callback running while the count was read came after it
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto count = driver->callbacks();

    // 750 blocks per second. Late wake-ups on a busy machine lose blocks (the
    // clock restarts after an xrun), they never add any: tolerant below, tight above.
    const double expected = seconds * 48000.0 / 64.0;
    EXPECT_GE(static_cast<double>(count), 0.7 * expected) << "xruns " << driver->xruns();
    EXPECT_LE(static_cast<double>(count), expected + 2.0);
    EXPECT_EQ(static_cast<std::uint64_t>(probe.calls.load()), count);
}

TEST(NullDriver, CallbackSeesBlockSizeFramesAndSilentInputs) {
    auto driver = make_driver("null");
    DriverOptions options;
    options.inputs = 3;
    options.outputs = 2;
    options.block_size = 128;
    std::string error;
    ASSERT_TRUE(driver->open(options, &error)) << error;
    ProbeCallback probe;
    probe.input_count = 3;
    probe.output_count = 2;
    probe.write_sine = true; // outputs are discarded, never fed back
    ASSERT_TRUE(driver->start(&probe, &error)) << error;
    ASSERT_TRUE(wait_until([&] { return probe.calls.load() >= 20; }));
    driver->stop();
    EXPECT_EQ(probe.min_frames.load(), 128);
    EXPECT_EQ(probe.max_frames.load(), 128);
    EXPECT_EQ(probe.input_peak.load(), 0.0f);
}

TEST(NullDriver, StopReallyStops) {
    auto driver = make_driver("null");
    std::string error;
    ASSERT_TRUE(driver->open(DriverOptions{}, &error)) << error;
    ProbeCallback probe;
    ASSERT_TRUE(driver->start(&probe, &error)) << error;
    ASSERT_TRUE(wait_until([&] { return probe.calls.load() >= 10; }));
    driver->stop();
    const long after_stop = probe.calls.load();
    // No signal exists for "nothing happens": watch for 30 blocks' time.
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    EXPECT_EQ(probe.calls.load(), after_stop);
    EXPECT_EQ(driver->callbacks(), static_cast<std::uint64_t>(after_stop));

    // And it starts again, with fresh counters.
    ASSERT_TRUE(driver->start(&probe, &error)) << error;
    ASSERT_TRUE(wait_until([&] { return driver->callbacks() >= 5; }));
    driver->stop();
}

TEST(NullDriver, LateCallbackCountsAsXrun) {
    auto driver = make_driver("null");
    std::string error;
    ASSERT_TRUE(driver->open(DriverOptions{}, &error)) << error;
    ProbeCallback probe;
    ASSERT_TRUE(driver->start(&probe, &error)) << error;
    ASSERT_TRUE(wait_until([&] { return probe.calls.load() >= 5; }));
    const auto before = driver->xruns(); // a loaded machine may already have missed one
    probe.stall_us.store(10000);         // 10 ms, 7.5 blocks of 64 at 48 kHz
    ASSERT_TRUE(wait_until([&] { return driver->xruns() >= before + 1; }));
    // The clock restarts from the late block: no burst of catch-up callbacks.
    const auto calls = driver->callbacks();
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const double blocks =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * 750.0;
    EXPECT_LE(static_cast<double>(driver->callbacks() - calls), blocks + 3.0);
    driver->stop();
}

TEST(NullDriver, RejectsBadUse) {
    auto driver = make_driver("null");
    NullCallback cb;
    std::string error;
    EXPECT_FALSE(driver->start(&cb, &error));
    EXPECT_NE(error.find("open"), std::string::npos) << error;
    DriverOptions bad;
    bad.block_size = 0;
    EXPECT_FALSE(driver->open(bad, &error));
    ASSERT_TRUE(driver->open(DriverOptions{}, &error)) << error;
    EXPECT_FALSE(driver->start(nullptr, &error));
    ASSERT_TRUE(driver->start(&cb, &error)) << error;
    EXPECT_FALSE(driver->start(&cb, &error));
    driver->stop();
    driver->stop(); // twice is harmless
}

} // namespace
} // namespace tutti
