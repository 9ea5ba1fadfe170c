// SPDX-License-Identifier: MIT
/** \file
 * The JACK driver against a real jackd (dummy backend, 48000 Hz, 64 frames),
 * one private server per test (tests/tools/jack_server.h).
 */
#include <gtest/gtest.h>
#include <jack/jack.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <random>
#include <thread>

#include "drivers/jack_driver.h"
#include "test_callbacks.h"
#include "tools/jack_server.h"
#include "tutti/driver.h"

namespace tutti {
namespace {

using test::ProbeCallback;
using test::wait_until;

/// A second client on the test's server, to inspect and connect ports.
class Patchbay {
public:
    explicit Patchbay(const std::string& server) {
        jack_status_t status{};
        client_ = jack_client_open("patchbay",
                                   static_cast<jack_options_t>(JackNoStartServer | JackServerName),
                                   &status, server.c_str());
    }
    ~Patchbay() {
        if (client_) {
            jack_client_close(client_);
        }
    }
    bool ok() const {
        return client_ != nullptr;
    }
    bool has_port(const std::string& port) const {
        return jack_port_by_name(client_, port.c_str()) != nullptr;
    }
    int connect(const std::string& from, const std::string& to) {
        return jack_connect(client_, from.c_str(), to.c_str());
    }
    bool connected(const std::string& a, const std::string& b) const {
        jack_port_t* port = jack_port_by_name(client_, a.c_str());
        return port && jack_port_connected_to(port, b.c_str());
    }

private:
    jack_client_t* client_ = nullptr;
};

class JackDriverTest : public test::JackServerTest {
protected:
    DriverOptions options() const {
        DriverOptions o;
        o.server_name = server_.name();
        o.client_name = "tutti";
        o.inputs = 2;
        o.outputs = 2;
        return o;
    }
    drivers::JackDriver driver_;
};

TEST_F(JackDriverTest, OpensWithTheServersRateBlockSizeAndPorts) {
    std::string error;
    ASSERT_TRUE(driver_.open(options(), &error)) << error;
    EXPECT_EQ(driver_.sample_rate(), 48000);
    EXPECT_EQ(driver_.block_size(), 64);
    EXPECT_TRUE(driver_.alive());
    EXPECT_EQ(driver_.client_name(), "tutti");
    Patchbay bay(server_.name());
    ASSERT_TRUE(bay.ok());
    for (const char* port : {"tutti:in_1", "tutti:in_2", "tutti:out_1", "tutti:out_2"}) {
        EXPECT_TRUE(bay.has_port(port)) << port;
    }
    EXPECT_FALSE(bay.has_port("tutti:in_3"));
    driver_.stop();
    EXPECT_FALSE(driver_.alive());
    EXPECT_FALSE(bay.has_port("tutti:in_1"));
}

TEST_F(JackDriverTest, CallsTheCallbackWithBlockSizeFramesUntilStopped) {
    std::string error;
    ASSERT_TRUE(driver_.open(options(), &error)) << error;
    ProbeCallback probe;
    ASSERT_TRUE(driver_.start(&probe, &error)) << error;
    // 750 cycles per second: 100 take about 0.13 s.
    ASSERT_TRUE(wait_until([&] { return driver_.callbacks() >= 100; })) << driver_.callbacks();
    EXPECT_EQ(probe.min_frames.load(), 64);
    EXPECT_EQ(probe.max_frames.load(), 64);

    driver_.stop();
    const long after_stop = probe.calls.load();
    // No signal exists for "nothing happens": watch for about 40 cycles' time.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(probe.calls.load(), after_stop);
}

TEST_F(JackDriverTest, SineOnAnOutputReachesAConnectedInput) {
    std::string error;
    ASSERT_TRUE(driver_.open(options(), &error)) << error;
    ProbeCallback probe;
    probe.input_count = 2;
    probe.output_count = 2;
    probe.write_sine = true;
    ASSERT_TRUE(driver_.start(&probe, &error)) << error;
    ASSERT_TRUE(wait_until([&] { return driver_.callbacks() >= 10; }));
    EXPECT_EQ(probe.input_peak.load(), 0.0f) << "inputs are silent before any connection";

    Patchbay bay(server_.name());
    ASSERT_TRUE(bay.ok());
    ASSERT_EQ(bay.connect("tutti:out_1", "tutti:in_1"), 0);
    EXPECT_TRUE(bay.connected("tutti:out_1", "tutti:in_1"));
    // The sine has amplitude 0.5; the loop delays it by at most a cycle.
    ASSERT_TRUE(wait_until([&] { return probe.input_peak.load() > 0.4f; }))
        << "peak " << probe.input_peak.load();
    EXPECT_LE(probe.input_peak.load(), 0.5f);
    driver_.stop();
}

TEST_F(JackDriverTest, ConnectPhysicalWiresTheSystemPorts) {
    DriverOptions o = options();
    o.connect_physical = true;
    std::string error;
    ASSERT_TRUE(driver_.open(o, &error)) << error;
    ProbeCallback probe;
    ASSERT_TRUE(driver_.start(&probe, &error)) << error;
    Patchbay bay(server_.name());
    ASSERT_TRUE(bay.ok());
    EXPECT_TRUE(bay.connected("system:capture_1", "tutti:in_1"));
    EXPECT_TRUE(bay.connected("system:capture_2", "tutti:in_2"));
    EXPECT_TRUE(bay.connected("tutti:out_1", "system:playback_1"));
    EXPECT_TRUE(bay.connected("tutti:out_2", "system:playback_2"));
    driver_.stop();
}

TEST_F(JackDriverTest, CountsXruns) {
    std::string error;
    ASSERT_TRUE(driver_.open(options(), &error)) << error;
    ProbeCallback probe;
    ASSERT_TRUE(driver_.start(&probe, &error)) << error;
    ASSERT_TRUE(wait_until([&] { return driver_.callbacks() >= 10; }));
    const auto before = driver_.xruns();
    probe.stall_us.store(30000); // one callback takes 30 ms: ~22 periods late
    EXPECT_TRUE(wait_until([&] { return driver_.xruns() > before; }))
        << "xruns " << driver_.xruns();
    driver_.stop();
}

TEST_F(JackDriverTest, RestartsAfterStop) {
    std::string error;
    ProbeCallback probe;
    for (int round = 0; round < 3; ++round) {
        ASSERT_TRUE(driver_.open(options(), &error)) << error;
        ASSERT_TRUE(driver_.start(&probe, &error)) << error;
        ASSERT_TRUE(wait_until([&] { return driver_.callbacks() >= 10; }));
        driver_.stop();
    }
}

TEST_F(JackDriverTest, ServerShutdownMarksTheDriverDead) {
    std::string error;
    ASSERT_TRUE(driver_.open(options(), &error)) << error;
    ProbeCallback probe;
    ASSERT_TRUE(driver_.start(&probe, &error)) << error;
    ASSERT_TRUE(wait_until([&] { return driver_.callbacks() >= 10; }));

    EXPECT_TRUE(server_.stop()) << server_.log();
    ASSERT_TRUE(wait_until([&] { return !driver_.alive(); }));
    const auto calls = probe.calls.load();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(probe.calls.load(), calls);
    EXPECT_FALSE(driver_.start(&probe, &error));

    const auto t0 = std::chrono::steady_clock::now();
    driver_.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

// The fixture itself: after a SIGKILL the server's files and registry slots
// are released, so leaked slots cannot exhaust JACK's 8-server registry.
TEST(JackServerFixture, CleansUpAfterAnUncleanDeath) {
    test::JackServer server;
    std::string error;
    ASSERT_TRUE(server.start(&error)) << error;
    const pid_t pid = server.pid();
    bool slot = false;
    const auto segments = test::jack_registry_entries(pid, &slot);
    EXPECT_TRUE(slot);
    ASSERT_FALSE(segments.empty());
    for (const auto& id : segments) {
        EXPECT_EQ(access(("/dev/shm" + id).c_str(), F_OK), 0) << id;
    }
    const std::string log = server.log_path();

    ASSERT_EQ(kill(pid, SIGKILL), 0);
    EXPECT_FALSE(server.stop()); // unclean
    EXPECT_TRUE(test::jack_registry_entries(pid, &slot).empty());
    EXPECT_FALSE(slot);
    for (const auto& id : segments) {
        EXPECT_NE(access(("/dev/shm" + id).c_str(), F_OK), 0) << id;
    }
    const std::string socket =
        "/dev/shm/jack_" + server.name() + "_" + std::to_string(getuid()) + "_0";
    EXPECT_NE(access(socket.c_str(), F_OK), 0);
    std::remove(log.c_str()); // kept for diagnosis after an unclean death
}

TEST(JackDriverNoServer, OpenFailsCleanlyAndQuickly) {
    std::random_device rd;
    DriverOptions o;
    o.server_name =
        "tutti-absent-" + std::to_string(getpid()) + "-" + std::to_string(rd() % 100000);
    auto driver = make_driver("jack");
    std::string error;
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(driver->open(o, &error));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
    EXPECT_NE(error.find(o.server_name), std::string::npos) << error;
    ProbeCallback probe;
    EXPECT_FALSE(driver->start(&probe, &error));
    driver->stop();
}

} // namespace
} // namespace tutti
