// SPDX-License-Identifier: MIT
/** \file
 * The JACK driver: one JACK client with ports in_1..in_N and out_1..out_M.
 *
 * Threads: open/start/stop run on the control thread; process() runs on the
 * JACK server's real-time thread and only reads the port buffers into arrays
 * preallocated by open(), then calls AudioCallback::process — no allocation,
 * lock, log or throw there. The xrun and shutdown notifications arrive on
 * libjack's notification thread and only touch atomics.
 *
 * Block size: block_size() is the server's buffer size at open(). If the
 * server's buffer size later grows, a JACK cycle is handed to the callback in
 * several slices of at most block_size() frames, so `frames <= block_size()`
 * holds for the callback's whole life.
 *
 * Server shutdown (jackd killed or crashed): the client is marked dead, the
 * callback is no longer called, and stop() only closes the client.
 *
 * Stopping: libjack (JACK2) ends its real-time thread in jack_deactivate()
 * and jack_client_close() with an asynchronous pthread_cancel. A cancel that
 * lands while the thread is inside a noexcept function (AudioCallback::process
 * is one) unwinds into std::terminate — seen when a slow callback was still
 * running at stop(). So stop() first detaches the callback and waits until
 * the audio thread has left it (a Dekker handshake on two seq_cst atomics),
 * and the functions libjack calls directly are deliberately not noexcept.
 */
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "tutti/driver.h"

// libjack's opaque handles (jack/types.h), so users of this header need no JACK headers.
typedef struct _jack_client jack_client_t;
typedef struct _jack_port jack_port_t;
typedef std::uint32_t jack_nframes_t;

namespace tutti::drivers {

class JackDriver final : public Driver {
public:
    JackDriver() = default;
    ~JackDriver() override;
    JackDriver(const JackDriver&) = delete;
    JackDriver& operator=(const JackDriver&) = delete;

    /// Control thread. Connects to the server (never starts one), registers the
    /// ports. Fails within a few milliseconds when no such server runs.
    bool open(const DriverOptions& options, std::string* error) override;
    /// Control thread. Activates the client; connects the system ports if asked.
    bool start(AudioCallback* callback, std::string* error) override;
    /// Control thread. Deactivates and closes the client (open() again to restart).
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
        return "jack";
    }

    /// Any thread: true between a successful open() and stop(), unless the
    /// server shut the client down meanwhile.
    bool alive() const {
        return open_.load(std::memory_order_acquire) && !dead_.load(std::memory_order_acquire);
    }
    /// Any thread: MIDI events dropped because a block had more than
    /// DriverOptions::max_midi_events.
    std::uint64_t midi_dropped() const {
        return midi_dropped_.load(std::memory_order_relaxed);
    }
    /// Control thread: the full name of the client as JACK knows it ("tutti",
    /// or "tutti-01" when the name was taken), empty when not open.
    std::string client_name() const;

private:
    friend struct JackThunks;           // libjack's C callbacks (jack_driver.cpp)
    int process(jack_nframes_t frames); // not noexcept: see "Stopping" above
    bool connect_physical(std::string* error);
    void detach_callback();
    void close_client();

    jack_client_t* client_ = nullptr;
    std::vector<jack_port_t*> in_ports_, out_ports_;
    // Preallocated by open(); written only by the audio thread.
    std::vector<const float*> in_base_, in_slice_;
    std::vector<float*> out_base_, out_slice_;
    jack_port_t* midi_port_ = nullptr;
    std::vector<MidiEvent> midi_events_; ///< preallocated: max_midi_events
    std::atomic<std::uint64_t> midi_dropped_{0};
    DriverOptions options_;
    int sample_rate_ = 0;
    int block_size_ = 0;
    bool active_ = false;
    std::atomic<AudioCallback*> callback_{nullptr};
    std::atomic<bool> in_callback_{false}; ///< audio thread is inside callback_
    std::atomic<bool> open_{false};
    std::atomic<bool> dead_{false};
    std::atomic<std::uint64_t> xruns_{0};
    std::atomic<std::uint64_t> callbacks_{0};
    static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
};

} // namespace tutti::drivers
