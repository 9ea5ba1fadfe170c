// SPDX-License-Identifier: MIT
/** \file
 * The null driver: no device, a thread paced by CLOCK_MONOTONIC.
 *
 * Block n is due at t0 + n * block_size / sample_rate (absolute deadlines with
 * clock_nanosleep, so the rate does not drift with the callback's duration).
 * Inputs are silent; outputs are discarded. All buffers are allocated by
 * open(); the thread itself allocates nothing. A deadline missed by more than
 * one block counts as an xrun and restarts the clock from now (no burst of
 * catch-up blocks). The thread runs at the default priority: it is meant for
 * tests and for running the engine without a sound card.
 */
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "tutti/driver.h"

namespace tutti::drivers {

class NullDriver final : public Driver {
public:
    NullDriver() = default;
    ~NullDriver() override;
    NullDriver(const NullDriver&) = delete;
    NullDriver& operator=(const NullDriver&) = delete;

    /// Control thread. Takes sample_rate, block_size, inputs, outputs.
    bool open(const DriverOptions& options, std::string* error) override;
    /// Control thread. Starts the pacing thread.
    bool start(AudioCallback* callback, std::string* error) override;
    /// Control thread. Returns after the thread has joined (within one block).
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
        return "null";
    }

private:
    void run(AudioCallback* callback) noexcept;

    int sample_rate_ = 0;
    int block_size_ = 0;
    bool open_ = false;
    std::vector<float> input_storage_, output_storage_;
    std::vector<const float*> inputs_;
    std::vector<float*> outputs_;
    std::thread thread_;
    std::atomic<bool> running_{false};
    std::atomic<std::uint64_t> xruns_{0};
    std::atomic<std::uint64_t> callbacks_{0};
};

} // namespace tutti::drivers
