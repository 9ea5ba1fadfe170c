// SPDX-License-Identifier: MIT
/** \file The NetJack master driver (see master_driver.h). */
#include "netjack/master_driver.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "netjack/realtime.h"
#include "support/rt_section.h"

namespace tutti::netjack {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::size_t kDatagramCapacity = 65536;

std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

std::string host_name() {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return name;
}

bool is_params(const std::uint8_t* data, long size) {
    return size == static_cast<long>(kParamsSize) && std::memcmp(data, "params", 7) == 0;
}

} // namespace

MasterDriver::~MasterDriver() {
    stop();
}

bool MasterDriver::open(const DriverOptions& options, std::string* error) {
    stop();
    open_ = false;
    auto fail = [&](const std::string& why) {
        if (error) {
            *error = why;
        }
        return false;
    };
    if (options.inputs < 0 || options.outputs < 0 || options.inputs > kMaxChannels ||
        options.outputs > kMaxChannels) {
        return fail("netjack-master: channel counts must be 0..256");
    }
    if (options.block_size < 1 || options.block_size > kMaxPeriod) {
        return fail("netjack-master: the period must be 1..8192 frames");
    }
    if (options.sample_rate < 1 || options.sample_rate > kMaxSampleRate) {
        return fail("netjack-master: bad sample rate");
    }
    const std::string address =
        net_.address.empty() ? std::string(kDefaultMulticast) : net_.address;
    if (!parse_endpoint(address, kDefaultPort, &listen_address_)) {
        return fail("netjack-master: bad listen address '" + address + "' (A.B.C.D[:PORT])");
    }
    std::string why;
    if (!listen_.open(&why) || !listen_.bind(listen_address_, &why)) {
        return fail("netjack-master: " + why);
    }
    options_ = options;
    sample_rate_ = options.sample_rate;
    block_size_ = options.block_size;
    const std::size_t frames = static_cast<std::size_t>(block_size_);
    output_storage_.assign(frames * static_cast<std::size_t>(options.outputs), 0.0f);
    silence_.assign(frames, 0.0f);
    inputs_.assign(static_cast<std::size_t>(options.inputs), silence_.data());
    silent_inputs_.assign(static_cast<std::size_t>(options.inputs), silence_.data());
    outputs_.resize(static_cast<std::size_t>(options.outputs));
    for (std::size_t o = 0; o < outputs_.size(); ++o) {
        outputs_[o] = output_storage_.data() + o * frames;
    }
    rx_buffer_.assign(kDatagramCapacity, 0);
    state_.store(State::Listening);
    open_ = true;
    return true;
}

bool MasterDriver::start(AudioCallback* callback, std::string* error) {
    const char* problem = !open_ ? "netjack-master: start() before a successful open()"
                          : thread_.joinable()  ? "netjack-master: already started"
                          : callback == nullptr ? "netjack-master: no callback"
                                                : nullptr;
    if (problem) {
        if (error) {
            *error = problem;
        }
        return false;
    }
    callbacks_.store(0);
    xruns_.store(0);
    running_.store(true, std::memory_order_release);
    thread_ = std::thread([this, callback] {
        try_realtime();
        run(callback);
    });
    return true;
}

void MasterDriver::stop() {
    running_.store(false, std::memory_order_release);
    if (thread_.joinable()) {
        thread_.join();
    }
    drop_session();
}

void MasterDriver::drop_session() {
    session_.close();
    state_.store(State::Listening, std::memory_order_relaxed);
}

void MasterDriver::on_listen_datagram(const std::uint8_t* data, long size,
                                      const sockaddr_in& from) {
    SessionParams p;
    if (!is_params(data, size) ||
        !decode_params(data, static_cast<std::size_t>(size), &p, nullptr) ||
        p.type != SyncType::SlaveAvailable || p.version != kProtocolVersion) {
        return;
    }
    if (p.encoder != Encoder::Float && p.encoder != Encoder::Int16) {
        return; // Opus and CELT: not implemented; the slave keeps asking
    }
    // A slave asking again while we run it has restarted: take it back now.
    p.type = SyncType::SlaveSetup;
    p.id = next_id_++;
    p.master_host = host_name();
    p.sample_rate = static_cast<std::uint32_t>(sample_rate_);
    p.period = static_cast<std::uint32_t>(block_size_);
    if (p.send_audio < 0) {
        p.send_audio = options_.outputs;
    }
    if (p.return_audio < 0) {
        p.return_audio = options_.inputs;
    }
    p.send_midi = std::max(p.send_midi, 0);
    p.return_midi = std::max(p.return_midi, 0);
    std::string why;
    session_.close();
    if (!session_.open(&why) || !session_.connect(from, &why)) {
        return;
    }
    setup_ = p;
    state_.store(State::SettingUp, std::memory_order_relaxed);
    setup_started_ = Clock::now();
    last_setup_sent_ = Clock::time_point{};
}

void MasterDriver::on_session_datagram(const std::uint8_t* data, long size, std::uint32_t tick) {
    if (state_.load(std::memory_order_relaxed) == State::SettingUp) {
        SessionParams p;
        if (!is_params(data, size) ||
            !decode_params(data, static_cast<std::size_t>(size), &p, nullptr) ||
            p.type != SyncType::StartMaster) {
            return;
        }
        std::string why;
        if (!link_.configure(Role::Master, setup_, &why)) {
            drop_session();
            return;
        }
        session_.set_buffers(link_.socket_buffer_bytes());
        tx_.assign(static_cast<std::size_t>(link_.tx_channels()), silence_.data());
        for (int i = 0; i < std::min(link_.tx_channels(), options_.outputs); ++i) {
            tx_[static_cast<std::size_t>(i)] = outputs_[static_cast<std::size_t>(i)];
        }
        effective_latency_ = std::max(1, static_cast<int>(setup_.latency));
        first_cycle_ = tick + 1;
        if (setup_.sync_mode == 0) {
            link_.set_rx_cycle_offset(first_cycle_ - 1);
        }
        last_packet_ = Clock::now();
        connections_.fetch_add(1, std::memory_order_relaxed);
        state_.store(State::Running, std::memory_order_relaxed);
        return;
    }
    if (link_.on_datagram(data, static_cast<std::size_t>(size), nullptr)) {
        last_packet_ = Clock::now();
    }
}

void MasterDriver::pump(std::int64_t deadline, std::uint32_t tick,
                        std::optional<std::uint32_t> until_complete) {
    std::uint8_t* in = rx_buffer_.data();
    for (;;) {
        if (until_complete && link_.complete(*until_complete)) {
            return;
        }
        const std::int64_t left = deadline - now_ns();
        if (left <= 0) {
            return;
        }
        pollfd fds[2] = {{listen_.fd(), POLLIN, 0}, {session_.fd(), POLLIN, 0}};
        timespec wait{static_cast<time_t>(left / kNanosPerSecond),
                      static_cast<long>(left % kNanosPerSecond)};
        if (ppoll(fds, 2, &wait, nullptr) <= 0) {
            continue;
        }
        if (fds[0].revents & POLLIN) {
            sockaddr_in from{};
            const long got = listen_.receive(in, rx_buffer_.size(), 0, &from);
            if (got > 0) {
                on_listen_datagram(in, got, from);
            }
        }
        if (fds[1].revents & POLLIN) {
            const long got = session_.receive(in, rx_buffer_.size(), 0);
            if (got > 0) {
                on_session_datagram(in, got, tick);
            }
        }
    }
}

void MasterDriver::run(AudioCallback* callback) noexcept {
    const std::int64_t rate = sample_rate_;
    const std::int64_t block = block_size_;
    auto offset_ns = [rate](std::int64_t frames) {
        return frames / rate * kNanosPerSecond + frames % rate * kNanosPerSecond / rate;
    };
    const std::int64_t period = offset_ns(block);
    const auto peer_timeout = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(net_.peer_timeout_s));
    std::int64_t t0 = now_ns();
    std::int64_t n = 0;
    std::uint32_t tick = 0;
    while (running_.load(std::memory_order_acquire)) {
        ++tick;
        const State state = state_.load(std::memory_order_relaxed);
        const bool live = state == State::Running;
        if (live) {
            const std::uint32_t reply = tick - static_cast<std::uint32_t>(effective_latency_);
            if (cycle_diff(reply, first_cycle_) >= 0 && !link_.complete(reply)) {
                // Late by a little (a slave that answers when our next cycle
                // comes, as an asynchronous jackd does): wait half a period.
                pump(now_ns() + period / 2, tick, reply);
            }
            if (cycle_diff(reply, first_cycle_) >= 0) {
                const float* const* rx = link_.take(reply);
                const int shared = std::min(link_.rx_channels(), options_.inputs);
                for (int i = 0; i < shared; ++i) {
                    inputs_[static_cast<std::size_t>(i)] = rx[i];
                }
            }
        }
        {
            rt::AudioSection section;
            callback->process(block_size_, live ? inputs_.data() : silent_inputs_.data(),
                              outputs_.data());
        }
        callbacks_.fetch_add(1, std::memory_order_relaxed);
        if (live) {
            link_.send_cycle(session_, tick, tx_.data());
        } else if (state == State::SettingUp) {
            const auto now = Clock::now();
            if (now - setup_started_ > std::chrono::seconds(2)) {
                drop_session();
            } else if (now - last_setup_sent_ > std::chrono::milliseconds(200)) {
                std::uint8_t out[kParamsSize];
                encode_params(setup_, out);
                session_.send(out, kParamsSize);
                last_setup_sent_ = now;
            }
        }

        // Wait for the next block's deadline, taking datagrams as they come.
        ++n;
        const std::int64_t deadline = t0 + offset_ns(n * block);
        pump(deadline, tick, std::nullopt);
        if (state_.load(std::memory_order_relaxed) == State::Running &&
            Clock::now() - last_packet_ > peer_timeout) {
            drop_session(); // the slave is gone: listen again
        }
        const std::int64_t now = now_ns();
        if (now - deadline > period) {
            xruns_.fetch_add(1, std::memory_order_relaxed);
            t0 = now;
            n = 0;
        }
    }
}

} // namespace tutti::netjack
