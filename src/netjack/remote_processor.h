// SPDX-License-Identifier: MIT
/** \file
 * Remote processing over NetJack: a local program (no JACK) sends its audio
 * to a DSP that runs on another process or machine and gets the result back
 * `latency` cycles later, controls included. The transport the remote DSP
 * instances of issue 13 (RemoteInstance) use.
 *
 * The local side is a NetJack master without a clock of its own: the
 * caller's blocks pace it (NetOptions::caller_clock). The remote side is any
 * NetJack slave running the DSP, e.g.
 *     tutti play prog.dsp --driver netjack-slave --master HOST:PORT --latency L
 * (or a SlaveDriver with a callback in-process). Each process() call sends
 * the caller's block as the next cycle and returns the slave's answer to the
 * cycle sent max(1, L) calls ago: block k's result comes out of call k + L.
 * Before the first answer (and while no slave is there) the output is silent;
 * an answer that is lost or late (waited for `reply_wait_ms`) is concealed,
 * never waited for longer: the latency stays L blocks.
 *
 * Controls: send_control() (from the thread that calls process(), before the
 * call) changes control `index` of the remote DSP at `frame` of the block
 * the next process() sends; the remote side's ControlSink sets it (the state
 * is swept round-robin, so a lost change is repaired within 100 ms). Changes
 * the remote side sends back arrive through `control_sink`.
 *
 * Threads: open()/close() on a control thread; process() and send_control()
 * on one thread (the caller's audio thread): they allocate, lock and log
 * nothing, and wait at most reply_wait_ms for an answer.
 */
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "netjack/controls.h"
#include "netjack/link.h"
#include "netjack/netjack_driver.h"

namespace tutti::netjack {

class MasterDriver;

class RemoteProcessor {
public:
    struct Options {
        std::string listen = "127.0.0.1:19000"; ///< ADDR[:PORT] the remote side joins
        int sends = 2;                          ///< channels to the remote DSP (its inputs)
        int returns = 2;                        ///< channels back (its outputs)
        int period = 256;
        int sample_rate = 48000;
        int controls = 0; ///< control values carried each way
        ControlSink* control_sink = nullptr;
        double reply_wait_ms = -1; ///< < 0: half a period
        std::string slave_name;    ///< the only slave served (empty: any)
    };
    RemoteProcessor();
    ~RemoteProcessor();
    RemoteProcessor(const RemoteProcessor&) = delete;
    RemoteProcessor& operator=(const RemoteProcessor&) = delete;

    /// Control thread: listens for the remote side. False with *error.
    bool open(const Options& options, std::string* error);
    void close();
    /// Any thread: a remote DSP is connected.
    bool connected() const;
    /// Any thread: the session's latency in blocks (0 before one).
    int latency() const;
    /// The caller's thread: sends `in` (sends channels of period frames) and
    /// writes into `out` (returns channels) the answer to the block sent
    /// latency() calls ago.
    void process(const float* const* in, float* const* out) noexcept;
    /// The caller's thread: a control change at `frame` of the next block.
    bool send_control(std::uint32_t frame, std::uint32_t index, float value) noexcept;
    /// Any thread: the link's counters (lost, late, concealed).
    const LinkCounters& counters() const;

private:
    class Bridge;
    std::unique_ptr<Bridge> bridge_;
    std::unique_ptr<MasterDriver> master_;
};

/// The name under which a compute server's slave joins the link of its
/// instance `instance_id` (tutti serve), and the one slave its client's
/// RemoteProcessor serves (Options::slave_name).
std::string remote_slave_name(const std::string& instance_id);

} // namespace tutti::netjack
