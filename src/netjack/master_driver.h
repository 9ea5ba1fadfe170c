// SPDX-License-Identifier: MIT
/** \file
 * The NetJack master driver ("netjack-master", see netjack_driver.h), paced by
 * its own clock (--clock timer).
 *
 * open() binds the listening socket (address:port, or the multicast group's
 * port) and fixes the rate and period from the options. start() starts one
 * thread that is both the clock and the network: block k is due at
 * t0 + k * period / rate (absolute deadlines, like the null driver); between
 * blocks it waits on the sockets with poll() until the next deadline.
 *  - Listening: a SLAVE_AVAILABLE (protocol 8) makes a session: a new socket
 *    connected to the slave's address sends SLAVE_SETUP (every 200 ms, for
 *    2 s at most) until START_MASTER comes back; the slave's channel counts
 *    are kept (-1 becomes the program's).
 *  - Running: each block runs the callback with the slave's reply to cycle
 *    k - max(1, latency) as inputs (silence before the first reply; a reply
 *    not complete yet is waited for up to half a period, then taken as it
 *    is), then sends its outputs as cycle k. An asynchronous jackd slave
 *    numbers its replies by its own count: they are mapped to ours. A slave silent for
 * peer_timeout_s is gone: the master listens again (a slave that restarts is taken back at once).
 * Without a slave the callback still runs every block, with silent inputs.
 */
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "netjack/link.h"
#include "netjack/netjack_driver.h"

namespace tutti::netjack {

class MasterDriver final : public Driver {
public:
    explicit MasterDriver(NetOptions options) : net_(std::move(options)) {
    }
    ~MasterDriver() override;
    MasterDriver(const MasterDriver&) = delete;
    MasterDriver& operator=(const MasterDriver&) = delete;

    bool open(const DriverOptions& options, std::string* error) override;
    bool start(AudioCallback* callback, std::string* error) override;
    void stop() override;
    int sample_rate() const override {
        return sample_rate_;
    }
    int block_size() const override {
        return block_size_;
    }
    std::uint64_t xruns() const override {
        return xruns_.load(std::memory_order_relaxed);
    }
    std::uint64_t callbacks() const override {
        return callbacks_.load(std::memory_order_relaxed);
    }
    const char* name() const override {
        return "netjack-master";
    }
    const LinkCounters& counters() const {
        return link_.counters();
    }
    /// Any thread: sessions started (a slave joined).
    std::uint64_t connections() const {
        return connections_.load(std::memory_order_relaxed);
    }
    /// Any thread: a slave is connected now.
    bool connected() const {
        return state_.load(std::memory_order_relaxed) == State::Running;
    }
    /// Control thread, after a connection: the session's parameters (races
    /// with a reconnection; for tests and reports).
    SessionParams session() const {
        return link_.params();
    }
    /// The local address the listening socket is bound to.
    sockaddr_in listen_address() const {
        return listen_.local();
    }

private:
    enum class State { Listening, SettingUp, Running };
    void run(AudioCallback* callback) noexcept;
    void on_listen_datagram(const std::uint8_t* data, long size, const sockaddr_in& from);
    void on_session_datagram(const std::uint8_t* data, long size, std::uint32_t tick);
    void drop_session();
    /// Takes datagrams from both sockets until `deadline` (CLOCK_MONOTONIC
    /// ns) or, when given, until that cycle is complete.
    void pump(std::int64_t deadline, std::uint32_t tick,
              std::optional<std::uint32_t> until_complete);

    NetOptions net_;
    DriverOptions options_;
    sockaddr_in listen_address_{};
    UdpSocket listen_, session_;
    Link link_;
    SessionParams setup_;
    std::atomic<State> state_{State::Listening};
    std::uint32_t next_id_ = 1;
    std::uint32_t first_cycle_ = 0;
    int effective_latency_ = 1;
    std::chrono::steady_clock::time_point setup_started_{}, last_setup_sent_{}, last_packet_{};
    int sample_rate_ = 0, block_size_ = 0;
    std::vector<float> output_storage_, silence_;
    std::vector<const float*> inputs_, silent_inputs_;
    std::vector<float*> outputs_;
    std::vector<const float*> tx_;
    std::vector<std::uint8_t> rx_buffer_;
    std::thread thread_;
    std::atomic<bool> running_{false};
    std::atomic<std::uint64_t> callbacks_{0}, xruns_{0}, connections_{0};
    bool open_ = false;
};

} // namespace tutti::netjack
