// SPDX-License-Identifier: MIT
/** \file Audio callbacks and waiting helpers shared by the driver tests. */
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <thread>

#include "tutti/driver.h"

namespace tutti::test {

/// Polls `done` every millisecond until it holds or `timeout` passes.
inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

/// Records what the driver hands over; optionally writes a sine to every output
/// and stalls once for `stall_us` when asked (to provoke an xrun).
class ProbeCallback final : public AudioCallback {
public:
    void process(int frames, const float* const* inputs, float* const* outputs) noexcept override {
        calls.fetch_add(1, std::memory_order_relaxed);
        min_frames.store(std::min(min_frames.load(std::memory_order_relaxed), frames),
                         std::memory_order_relaxed);
        max_frames.store(std::max(max_frames.load(std::memory_order_relaxed), frames),
                         std::memory_order_relaxed);
        float peak = 0.0f;
        for (int c = 0; c < input_count; ++c) {
            for (int i = 0; i < frames; ++i) {
                peak = std::max(peak, std::fabs(inputs[c][i]));
            }
        }
        if (peak > input_peak.load(std::memory_order_relaxed)) {
            input_peak.store(peak, std::memory_order_relaxed);
        }
        for (int c = 0; c < output_count; ++c) {
            for (int i = 0; i < frames; ++i) {
                outputs[c][i] =
                    write_sine ? 0.5f * std::sin(phase_ + 0.1f * static_cast<float>(i)) : 0.0f;
            }
        }
        phase_ = std::fmod(phase_ + 0.1f * static_cast<float>(frames), 6.2831853f);
        if (int us = stall_us.exchange(0, std::memory_order_relaxed); us > 0) {
            const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
            while (std::chrono::steady_clock::now() < until) {
            }
        }
    }

    int input_count = 0, output_count = 0;
    bool write_sine = false;
    std::atomic<long> calls{0};
    std::atomic<int> min_frames{1 << 30}, max_frames{0};
    std::atomic<float> input_peak{0.0f};
    std::atomic<int> stall_us{0};

private:
    float phase_ = 0.0f;
};

} // namespace tutti::test
