// SPDX-License-Identifier: MIT
/** \file
 * The NetJack slave driver ("netjack-slave", see netjack_driver.h).
 *
 * open() runs the handshake on the control thread: SLAVE_AVAILABLE to the
 * master's address every 250 ms until a SLAVE_SETUP answers (at most
 * connect_timeout_s), then the socket is connected to the master and
 * START_MASTER sent; the master's period and rate are then known.
 *
 * start() starts the network thread, which is the audio thread: it receives
 * datagrams (poll, 50 ms at most, so stop() is quick), files them by cycle
 * (netjack/link.h), and runs the cycles in order: a cycle runs when it is
 * complete, or concealed once a later cycle is complete (a jitter buffer of
 * one cycle); its reply is sent at once with the same cycle number. Only the
 * callback is an audio section; the socket calls around it are the driver's
 * waiting, like the null driver's sleep. After peer_timeout_s without a
 * packet the master is gone: the thread looks for it again (same handshake)
 * and goes on when it answers with the same rate and period.
 */
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "netjack/link.h"
#include "netjack/netjack_driver.h"

namespace tutti::netjack {

class SlaveDriver final : public Driver {
public:
    explicit SlaveDriver(NetOptions options) : net_(std::move(options)) {
    }
    ~SlaveDriver() override;
    SlaveDriver(const SlaveDriver&) = delete;
    SlaveDriver& operator=(const SlaveDriver&) = delete;

    bool open(const DriverOptions& options, std::string* error) override;
    bool start(AudioCallback* callback, std::string* error) override;
    void stop() override;
    int sample_rate() const override {
        return sample_rate_;
    }
    int block_size() const override {
        return block_size_;
    }
    std::uint64_t xruns() const override;
    std::uint64_t callbacks() const override {
        return callbacks_.load(std::memory_order_relaxed);
    }
    const char* name() const override {
        return "netjack-slave";
    }
    /// Any thread: the session's counters.
    const LinkCounters& counters() const {
        return link_.counters();
    }
    /// Control thread, after open(): the agreed parameters.
    const SessionParams& session() const {
        return link_.params();
    }
    /// Audio thread (from the callback): a control change at `frame` of the
    /// cycle being computed, sent with its outputs.
    bool send_control(std::uint32_t frame, std::uint32_t index, float value) noexcept {
        return link_.push_control(frame, index, value);
    }
    /// Audio thread (from the callback): the state of a control, carried by
    /// the round-robin sweep only (no change event).
    bool seed_control(std::uint32_t index, float value) noexcept {
        return link_.seed_control(index, value);
    }
    /// Any thread: state sweep entries that repaired a lost change.
    std::uint64_t control_repairs() const {
        return link_.control_receiver().repairs();
    }
    /// Any thread: the parameters of the last session agreed (a copy).
    SessionParams session_info() const;
    /// Any thread: the master of the last session ("host ADDR:PORT").
    std::string peer() const;
    /// Any thread: a master is connected now (false while looking for it).
    bool connected() const {
        return connected_.load(std::memory_order_relaxed);
    }
    /// Any thread: why the network thread stopped for good (empty while it runs).
    std::string failure() const;
    /// What callback `index` (0: the first since start()) ran: the master's
    /// cycle number, and how many of the cycles run before it were concealed
    /// (incomplete or missing: computed without all their input). False when
    /// that callback has not run yet or is too long ago (the last 4096 are
    /// kept). Any thread; the callback's entry is written before it runs.
    bool cycle_of(std::uint64_t index, std::uint32_t* cycle, std::uint64_t* concealed_before) const;
    /// Any thread: handshakes completed (1 after open, +1 per reconnection).
    std::uint64_t connections() const {
        return connections_.load(std::memory_order_relaxed);
    }

private:
    /// Looks for the master until it answers, `deadline_ms` passes (< 0: no
    /// limit) or the thread is told to stop. Fills *agreed.
    bool handshake(double timeout_s, bool until_stopped, SessionParams* agreed, std::string* error);
    void run(AudioCallback* callback) noexcept;
    void process(AudioCallback* callback, std::uint32_t cycle) noexcept;

    NetOptions net_;
    DriverOptions options_;
    sockaddr_in master_{};
    UdpSocket socket_;
    Link link_;
    SessionParams request_;
    int sample_rate_ = 0, block_size_ = 0;
    std::vector<float> input_storage_, output_storage_, silence_;
    std::vector<const float*> inputs_;
    std::vector<float*> outputs_;
    std::vector<const float*> tx_;
    std::vector<std::uint8_t> rx_buffer_;
    std::thread thread_;
    std::atomic<bool> running_{false};
    std::atomic<std::uint64_t> callbacks_{0};
    std::atomic<std::uint64_t> connections_{0};
    std::atomic<bool> connected_{false};
    /// callback index -> cycle (cycle_of): a tag (index + 1) written last
    struct CycleEntry {
        std::atomic<std::uint64_t> tag{0}, cycle{0}, concealed{0};
    };
    static constexpr std::size_t kCycleLog = 4096;
    std::unique_ptr<CycleEntry[]> cycle_log_ = std::make_unique<CycleEntry[]>(kCycleLog);
    std::uint64_t concealed_ = 0;   ///< network thread: cycles concealed since start()
    mutable std::mutex info_mutex_; ///< info_, peer_ (written by the handshakes)
    SessionParams info_;
    std::string peer_;
    std::string failure_;
    bool open_ = false;
};

} // namespace tutti::netjack
