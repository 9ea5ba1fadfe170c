// SPDX-License-Identifier: MIT
// The engine on a real JACK server (jackd, dummy backend, 64-frame periods at
// 48 kHz, started by the test): 100 versions of reverb/zitaRev.dsp swapped in
// while it plays. No xrun, no allocation/lock/blocking call on the audio thread
// (tests/support/rt_interposer.cpp is linked in).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "support/rt_interposer.h"
#include "tools/jack_server.h"
#include "tutti/driver.h"
#include "tutti/engine.h"
#include "tutti/engine_callback.h"

namespace tutti::test {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

using EngineOnJack = JackServerTest;

TEST_F(EngineOnJack, HundredSwapsOfZitaRevWhilePlaying) {
    const std::string zita = read_file("/usr/share/faust/examples/reverb/zitaRev.dsp");
    ASSERT_NE(zita.find("process = dm.zita_rev1;"), std::string::npos);
    std::unique_ptr<Driver> driver = make_driver("jack");
    ASSERT_TRUE(driver);
    DriverOptions dopt;
    dopt.server_name = server_.name();
    dopt.client_name = "tutti-engine-test";
    dopt.inputs = 2;
    dopt.outputs = 2;
    std::string error;
    ASSERT_TRUE(driver->open(dopt, &error)) << error;
    ASSERT_EQ(driver->sample_rate(), 48000);
    ASSERT_EQ(driver->block_size(), 64);
    EngineOptions eo;
    eo.sample_rate = driver->sample_rate();
    eo.max_block = driver->block_size();
    eo.inputs = 2;
    eo.outputs = 2;
    Engine engine(eo);
    std::uint64_t g = engine.load_source("zitaRev.dsp", zita);
    ASSERT_TRUE(engine.wait_prepared(g));
    EngineCallback cb(engine);
    tutti_rt_reset();
    ASSERT_TRUE(driver->start(&cb, &error)) << error;

    int crossfades = 0, carried_all = 0;
    double max_commit_us = 0;
    for (int i = 1; i <= 100; ++i) {
        // mostly edits downstream of the reverb (its state carries over); every
        // tenth version adds a filter in front of it (a new state: crossfade)
        std::string variant = zita;
        char edit[160];
        if (i % 10 == 0) {
            std::snprintf(edit, sizeof edit, "process = par(i, 2, fi.lowpass(1, %d)) : dm.zita_rev1;", 2000 + 10 * i);
        } else {
            std::snprintf(edit, sizeof edit, "process = dm.zita_rev1 : *(%g), *(%g);", 0.5 + 0.004 * i, 0.5 + 0.004 * i);
        }
        variant.replace(variant.find("process = dm.zita_rev1;"), std::string("process = dm.zita_rev1;").size(), edit);
        std::uint64_t gi = engine.load_source("zitaRev.dsp", variant);
        ASSERT_TRUE(engine.wait_prepared(gi)) << "version " << i;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (engine.playing_generation() < gi && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        ASSERT_EQ(engine.playing_generation(), gi) << "version " << i << " was not swapped in";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // the last crossfade ends
    for (const SwapReport& r : engine.take_reports()) {
        if (!r.committed || r.generation == 1) {
            continue;
        }
        crossfades += r.crossfade ? 1 : 0;
        carried_all += (r.reset == 0 && r.dropped == 0) ? 1 : 0;
        max_commit_us = std::max(max_commit_us, r.commit_us);
    }
    std::uint64_t callbacks = driver->callbacks();
    driver->stop();
    long violations = tutti_rt_violations();
    std::printf("100 swaps: %llu callbacks, %llu xruns, %d crossfades, %d fully carried, max commit %.1f us, "
                "%ld real-time violations\n",
                static_cast<unsigned long long>(callbacks), static_cast<unsigned long long>(driver->xruns()),
                crossfades, carried_all, max_commit_us, violations);
    EXPECT_EQ(driver->xruns(), 0u);
    EXPECT_EQ(violations, 0) << tutti_rt_first_violation();
    EXPECT_GT(callbacks, 100u);
    // versions 10, 20... add a filter (and 11, 21... remove it): those crossfade
    EXPECT_GE(crossfades, 10);
    EXPECT_LE(crossfades, 20);
    EXPECT_GE(carried_all, 80);
}

} // namespace
} // namespace tutti::test
