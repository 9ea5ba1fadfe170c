// SPDX-License-Identifier: MIT
/** \file
 * The NetJack master driver ("netjack-master", see netjack_driver.h), paced by
 * its own clock (--clock timer) or by a local jackd's cycles (--clock jack: a
 * JACK client whose process callback runs the master's cycle; the rate and
 * the period are the server's; the datagrams that came since the last cycle
 * are filed at its start).
 *
 * Two threads, started by start() and joined by stop():
 *  - the listener (a control thread) owns the listening socket (address:port,
 *    or the multicast group's port, bound by open()). A SLAVE_AVAILABLE of
 *    protocol 8 makes a session: a new socket connected to the slave's address
 *    sends SLAVE_SETUP (every 200 ms, for 2 s at most) until START_MASTER
 *    comes back; the slave's channel counts are kept (-1 becomes the
 *    program's). The session (socket, link buffers) is prepared there and
 *    handed to the audio thread through an atomic pointer; sessions the audio
 *    thread is done with come back through another and are freed there. A
 *    slave that asks again while it runs (it restarted) gets a new session at
 *    once.
 *  - the audio thread is the clock: block k is due at t0 + k * period / rate
 *    (absolute deadlines, like the null driver). Each block it takes a new
 *    session if one is ready, runs the callback with the slave's reply to
 *    cycle k - max(1, latency) as inputs (a reply not complete yet is waited
 *    for up to half a period, then concealed; silence before the first
 *    reply), sends the outputs as cycle k, and until the next deadline files
 *    the slave's datagrams. It allocates nothing, takes no lock and decodes no
 *    session parameters. A slave silent for peer_timeout_s is gone: its
 *    session is handed back, and the listener listens on. An asynchronous
 *    jackd slave numbers its replies by its own count: they are mapped to ours.
 * Without a slave the callback still runs every block, with silent inputs.
 */
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "netjack/link.h"
#include "netjack/netjack_driver.h"

struct _jack_client; // libjack's jack_client_t (--clock jack)

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
    /// Any thread: the counters of every session so far.
    const LinkCounters& counters() const {
        return counters_;
    }
    /// Any thread: sessions started (a slave joined).
    std::uint64_t connections() const {
        return connections_.load(std::memory_order_relaxed);
    }
    /// Any thread: a slave is connected now.
    bool connected() const {
        return connected_.load(std::memory_order_relaxed);
    }
    /// Audio thread (from the callback): a control change at `frame` of the
    /// block being computed, sent with it (dropped without a slave).
    bool send_control(std::uint32_t frame, std::uint32_t index, float value) noexcept {
        return current_ && current_->link.push_control(frame, index, value);
    }
    /// Audio thread (from the callback): the state of a control, carried by
    /// the round-robin sweep only (dropped without a slave).
    bool seed_control(std::uint32_t index, float value) noexcept {
        return current_ && current_->link.seed_control(index, value);
    }
    /// The caller's thread, with NetOptions::caller_clock after start(): runs
    /// one cycle (the datagrams that are in filed, the reply taken, the
    /// callback, our cycle sent). False when not started in that mode.
    bool cycle() noexcept;
    /// Any thread: the parameters of the last session (default ones before).
    SessionParams session() const;
    /// Any thread: slaves refused (counted each time one is told, every 2 s
    /// while it asks) and the last reason, "the slave 'x' at A:P cannot be
    /// served: <why>" (empty before any).
    std::uint64_t refusals() const {
        return refusals_.load(std::memory_order_relaxed);
    }
    std::string last_refusal() const;
    /// Any thread: the slave of the last session ("name host ADDR:PORT"; empty before).
    std::string peer() const;

private:
    struct Session {
        UdpSocket socket;
        Link link;
        SessionParams params;
        std::vector<const float*> tx; ///< the driver's outputs, or silence
        int effective_latency = 1;
    };
    void listen() noexcept;
    /// *refused: the session cannot run here (said on stderr).
    std::unique_ptr<Session> handshake(SessionParams params, const sockaddr_in& slave,
                                       bool* refused);
    void run(AudioCallback* callback) noexcept;
    /// Audio thread: one cycle (a new session taken, the reply, the
    /// callback, our cycle sent).
    void tick(AudioCallback* callback) noexcept;
    /// Audio thread: a slave silent for peer_timeout_s is handed back.
    void check_peer() noexcept;
    /// Audio thread (--clock jack): files the datagrams that are in.
    void drain() noexcept;
    std::int64_t period_ns() const;
    static int jack_process(std::uint32_t frames, void* self) noexcept;
    /// Audio thread: files the current session's datagrams until `deadline`
    /// (CLOCK_MONOTONIC ns) or, when given, until that cycle is complete.
    void pump(std::int64_t deadline, std::optional<std::uint32_t> until_complete);
    void retire(Session* session);
    /// Listener thread: says why a slave cannot be served (stderr, last_refusal()).
    void note_refusal(const std::string& name, const sockaddr_in& from, const std::string& why);

    NetOptions net_;
    DriverOptions options_;
    sockaddr_in listen_address_{};
    UdpSocket listen_;
    LinkCounters counters_;
    // listener -> audio thread, and back
    std::atomic<Session*> pending_{nullptr};
    std::atomic<Session*> retired_{nullptr};
    std::atomic<bool> connected_{false};
    std::atomic<std::uint32_t> current_id_{0}; ///< the running session's slave id
    mutable std::mutex session_mutex_;
    SessionParams last_session_;
    std::string last_peer_;
    std::string last_refusal_;
    std::atomic<std::uint64_t> refusals_{0};
    std::uint32_t next_id_ = 1;
    // audio thread only
    Session* current_ = nullptr;
    std::uint32_t tick_ = 0;
    AudioCallback* callback_ = nullptr;
    ::_jack_client* jack_ = nullptr; ///< --clock jack
    std::uint32_t first_cycle_ = 0;
    std::chrono::steady_clock::time_point last_packet_{};
    int sample_rate_ = 0, block_size_ = 0;
    std::vector<float> output_storage_, silence_;
    std::vector<const float*> inputs_, silent_inputs_;
    std::vector<float*> outputs_;
    std::vector<std::uint8_t> rx_buffer_;
    std::thread thread_, listener_;
    std::atomic<bool> running_{false};
    std::atomic<std::uint64_t> callbacks_{0}, xruns_{0}, connections_{0};
    bool open_ = false;
};

} // namespace tutti::netjack
