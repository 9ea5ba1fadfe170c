// SPDX-License-Identifier: MIT
/** \file The null driver (see null_driver.h for the pacing rule). */
#include "drivers/null_driver.h"

#include <cerrno>
#include <ctime>
#include <string>

#include "support/rt_section.h"

namespace tutti::drivers {

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

void sleep_until_ns(std::int64_t deadline) {
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(deadline / kNanosPerSecond);
    ts.tv_nsec = static_cast<long>(deadline % kNanosPerSecond);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

} // namespace

NullDriver::~NullDriver() {
    stop();
}

bool NullDriver::open(const DriverOptions& options, std::string* error) {
    stop();
    if (options.sample_rate <= 0 || options.block_size <= 0 || options.inputs < 0 ||
        options.outputs < 0) {
        if (error) {
            *error = "null: sample rate and block size must be positive, channel counts >= 0";
        }
        return false;
    }
    sample_rate_ = options.sample_rate;
    block_size_ = options.block_size;
    const auto frames = static_cast<std::size_t>(block_size_);
    input_storage_.assign(frames * static_cast<std::size_t>(options.inputs), 0.0f);
    output_storage_.assign(frames * static_cast<std::size_t>(options.outputs), 0.0f);
    inputs_.resize(static_cast<std::size_t>(options.inputs));
    outputs_.resize(static_cast<std::size_t>(options.outputs));
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
        inputs_[i] = input_storage_.data() + i * frames;
    }
    for (std::size_t o = 0; o < outputs_.size(); ++o) {
        outputs_[o] = output_storage_.data() + o * frames;
    }
    open_ = true;
    return true;
}

bool NullDriver::start(AudioCallback* callback, std::string* error) {
    if (!may_start(open_, thread_.joinable(), callback, error)) {
        return false;
    }
    xruns_.store(0);
    callbacks_.store(0);
    running_.store(true, std::memory_order_release);
    thread_ = std::thread([this, callback] { run(callback); });
    return true;
}

void NullDriver::stop() {
    running_.store(false, std::memory_order_release);
    if (thread_.joinable()) {
        thread_.join();
    }
}

void NullDriver::run(AudioCallback* callback) noexcept {
    const std::int64_t rate = sample_rate_;
    const std::int64_t block = block_size_;
    // Deadline of block n in ns after t0, exact in integers: frames * 1e9 / rate
    // split into whole seconds and a remainder, so it cannot overflow in practice.
    auto offset_ns = [rate](std::int64_t frames) {
        return frames / rate * kNanosPerSecond + frames % rate * kNanosPerSecond / rate;
    };
    const std::int64_t period = offset_ns(block);
    std::int64_t t0 = now_ns();
    std::int64_t n = 0;
    while (running_.load(std::memory_order_acquire)) {
        {
            // the block is the audio thread's (the sleep between blocks is not):
            // the real-time checker of the test builds watches it
            rt::AudioSection section;
            // Inputs stay silent: the callback only gets const pointers to them.
            callback->process(block_size_, inputs_.data(), outputs_.data());
            callbacks_.fetch_add(1, std::memory_order_relaxed);
        }
        ++n;
        const std::int64_t deadline = t0 + offset_ns(n * block);
        sleep_until_ns(deadline);
        const std::int64_t now = now_ns();
        if (now - deadline > period) {
            xruns_.fetch_add(1, std::memory_order_relaxed);
            t0 = now;
            n = 0;
        }
    }
}

} // namespace tutti::drivers
