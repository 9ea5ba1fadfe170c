// SPDX-License-Identifier: MIT
/** \file
 * A private JACK server for a test: `jackd -n <unique name> -d dummy -r RATE -p PERIOD`.
 *
 * start() forks/execs jackd (stdout and stderr to a log file under
 * $TMPDIR), then polls jack_client_open(JackNoStartServer) until the server
 * answers (about 0.1 s; gives up after 5 s or when jackd exits). stop() sends
 * SIGTERM to that PID and reaps it (SIGKILL after 5 s). jackd gets
 * PR_SET_PDEATHSIG=SIGTERM, so it also shuts down cleanly when the test
 * process dies. Only after an unclean death does stop() remove the server's
 * /dev/shm files (its socket, semaphores and the segments the JACK registry
 * lists under its PID) and free its slots in /dev/shm/jack-shm-registry —
 * the registry holds at most 8 servers, so leaked slots would soon block
 * every later jackd. Other servers' files are never touched.
 *
 * Names are unique per process and call, so tests may run in parallel (up to
 * JACK's limit of 8 servers per machine).
 */
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace tutti::test {

class JackServer {
public:
    JackServer() = default;
    ~JackServer() {
        stop();
    }
    JackServer(const JackServer&) = delete;
    JackServer& operator=(const JackServer&) = delete;

    /// Starts jackd and returns once it accepts clients; false with *error
    /// (including the log's tail) otherwise.
    bool start(std::string* error, int sample_rate = 48000, int period = 64);
    /// Terminates the server and waits for it. True when it exited cleanly.
    /// Safe to call twice or without start().
    bool stop();
    bool running() const {
        return pid_ > 0;
    }
    /// The server name to pass as DriverOptions::server_name / `jack_lsp -s`.
    const std::string& name() const {
        return name_;
    }
    pid_t pid() const {
        return pid_;
    }
    const std::string& log_path() const {
        return log_path_;
    }
    /// The log without the dummy backend's continuous "XRun" lines.
    std::string log() const;

    /// When not empty: the backend and its options, after "-d", instead of
    /// the dummy backend (e.g. {"net", "-a", "127.0.0.1", "-p", "24010"}).
    std::vector<std::string> driver_args;
    /// Server options before "-d" (e.g. {"-S"}: synchronous mode).
    std::vector<std::string> server_args;

private:
    std::string name_;
    std::string log_path_;
    pid_t pid_ = -1;
};

/// The shared-memory segments ("/jack-U-N") that /dev/shm/jack-shm-registry
/// lists as allocated by `pid`, and whether a server slot holds that pid.
std::vector<std::string> jack_registry_entries(pid_t pid, bool* server_slot_found);

/// A fixture with one running server per test: server_.name().
class JackServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string error;
        ASSERT_TRUE(server_.start(&error)) << error;
    }
    void TearDown() override {
        EXPECT_TRUE(!server_.running() || server_.stop()) << server_.log();
    }
    JackServer server_;
};

} // namespace tutti::test
