// SPDX-License-Identifier: MIT
/** \file The NetJack slave driver (see slave_driver.h). */
#include "netjack/slave_driver.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "netjack/bytes.h"
#include "netjack/opus_layout.h"
#include "netjack/realtime.h"
#include "support/rt_section.h"

namespace tutti::netjack {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kDatagramCapacity = 65536;

std::string host_name() {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    return name;
}

bool is_params(const std::uint8_t* data, long size) {
    return size == static_cast<long>(kParamsSize) && std::memcmp(data, "params", 7) == 0;
}

/// What a slave asked of its master, as a timeout message lists it.
std::string asked_for(const SessionParams& r) {
    std::string format = r.encoder == Encoder::Opus ? "Opus " + std::to_string(r.kbps) + " kbit/s"
                         : r.encoder == Encoder::Int16 ? std::string("int16")
                                                       : std::string("float");
    return "'" + r.name + "', " + format + ", " + std::to_string(r.send_audio) +
           " channels master -> slave and " + std::to_string(r.return_audio) + " back, " +
           std::to_string(r.send_midi) + "/" + std::to_string(r.return_midi) +
           " MIDI ports, latency " + std::to_string(r.latency) + " cycles, MTU " +
           std::to_string(r.mtu) + ", protocol " + std::to_string(r.version);
}

} // namespace

SlaveDriver::~SlaveDriver() {
    stop();
}

std::uint64_t SlaveDriver::xruns() const {
    const LinkCounters& c = link_.counters();
    return c.cycles_incomplete.load(std::memory_order_relaxed) +
           c.cycles_missing.load(std::memory_order_relaxed);
}

bool SlaveDriver::open(const DriverOptions& options, std::string* error) {
    stop();
    open_ = false;
    auto fail = [&](const std::string& why) {
        if (error) {
            *error = why;
        }
        return false;
    };
    if (!open_preamble("netjack-slave", options, net_, &master_, error)) {
        return false;
    }
    if (net_.latency < 0 || net_.latency > kMaxLatency) {
        return fail("netjack-slave: latency must be 0..30 cycles");
    }
    if (net_.encoder == Encoder::Celt) {
        return fail("netjack-slave: the CELT format is not implemented (float, int16, opus)");
    }
    options_ = options;
    request_ = SessionParams{};
    request_.type = SyncType::SlaveAvailable;
    request_.name = net_.name.empty() ? std::string("tutti") : net_.name;
    request_.slave_host = host_name();
    request_.mtu = static_cast<std::uint32_t>(net_.mtu);
    request_.send_audio = options.inputs;
    request_.return_audio = options.outputs;
    request_.encoder = net_.encoder;
    request_.kbps = static_cast<std::uint32_t>(
        net_.encoder == Encoder::Opus && net_.kbps <= 0 ? kOpusDefaultKbps : net_.kbps);
    request_.sync_mode = 1;
    request_.send_midi = net_.controls > 0 ? 1 : 0;
    request_.return_midi = net_.controls > 0 ? 1 : 0;
    request_.latency = static_cast<std::uint32_t>(net_.latency);
    rx_buffer_.assign(kDatagramCapacity, 0);

    SessionParams agreed;
    std::string why;
    if (!handshake(net_.connect_timeout_s, false, &agreed, &why)) {
        return fail("netjack-slave: " + why);
    }
    sample_rate_ = static_cast<int>(agreed.sample_rate);
    block_size_ = static_cast<int>(agreed.period);
    const std::size_t frames = static_cast<std::size_t>(block_size_);
    input_storage_.assign(frames * static_cast<std::size_t>(options.inputs), 0.0f);
    output_storage_.assign(frames * static_cast<std::size_t>(options.outputs), 0.0f);
    silence_.assign(frames, 0.0f);
    inputs_.assign(static_cast<std::size_t>(options.inputs), silence_.data());
    outputs_.resize(static_cast<std::size_t>(options.outputs));
    for (std::size_t o = 0; o < outputs_.size(); ++o) {
        outputs_[o] = output_storage_.data() + o * frames;
    }
    tx_.assign(static_cast<std::size_t>(std::max(link_.tx_channels(), 0)), silence_.data());
    for (int i = 0; i < std::min(link_.tx_channels(), options.outputs); ++i) {
        tx_[static_cast<std::size_t>(i)] = outputs_[static_cast<std::size_t>(i)];
    }
    open_ = true;
    return true;
}

bool SlaveDriver::handshake(double timeout_s, bool until_stopped, SessionParams* agreed,
                            std::string* error) {
    std::string why;
    if (!socket_.open(&why)) {
        *error = why;
        return false;
    }
    std::uint8_t out[kParamsSize];
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(timeout_s));
    std::uint8_t* in = rx_buffer_.data();
    // A unicast master that is not there answers "port unreachable": told
    // apart from one that is there and stays silent (it refused the session:
    // NetJack has no refusal message, and jack2's slaves take any session
    // packet as their setup, so none can be added; the master's log says why).
    const bool unicast = !is_multicast(master_);
    if (unicast) {
        socket_.watch_unreachable(true);
    }
    int asked = 0, unreachable = 0;
    for (;;) {
        if (net_.cancel != nullptr && net_.cancel->load(std::memory_order_relaxed)) {
            *error = "interrupted while looking for a NetJack master at " + endpoint_text(master_) +
                     " (" + std::to_string(asked) + " requests sent)";
            socket_.watch_unreachable(false);
            return false;
        }
        if (until_stopped ? !running_.load(std::memory_order_acquire) : Clock::now() >= deadline) {
            char seconds[32];
            std::snprintf(seconds, sizeof seconds, "%g", timeout_s);
            *error = "no NetJack master answered at " + endpoint_text(master_) + " within " +
                     seconds + " s. ";
            if (unicast && unreachable > 0 && unreachable * 2 >= asked) {
                *error += "Nothing listens there (" + std::to_string(unreachable) + " of " +
                          std::to_string(asked) +
                          " requests came back 'port unreachable'): is the master running, "
                          "and on that port?";
            } else {
                *error += std::string(unicast ? "Something may be there but did not answer"
                                              : "No master on the multicast group answered") +
                          ": a master that cannot serve a slave stays silent (NetJack has no "
                          "refusal message; its log says why: a tutti master prints 'cannot be "
                          "served: <reason>' and shows it at /tutti/netjack/refusal). Likely "
                          "reasons: Opus at a period libopus cannot take (48 kHz: 120, 240, 480, "
                          "960 work), more than 256 channels, another protocol version, CELT; "
                          "or a firewall drops UDP. This slave asked for " +
                          asked_for(request_) + ".";
            }
            socket_.watch_unreachable(false);
            return false;
        }
        encode_params(request_, out);
        socket_.send_to(out, kParamsSize, master_);
        ++asked;
        const auto resend = Clock::now() + std::chrono::milliseconds(250);
        bool refused_here = false;
        while (Clock::now() < resend) {
            sockaddr_in from{};
            const long n = socket_.receive(in, rx_buffer_.size(), 50, &from);
            if (unicast && socket_.take_unreachable()) {
                refused_here = true;
            }
            if (n <= 0) {
                if ((until_stopped && !running_.load(std::memory_order_acquire)) ||
                    (net_.cancel != nullptr && net_.cancel->load(std::memory_order_relaxed))) {
                    break;
                }
                continue;
            }
            SessionParams reply;
            const char* bad = nullptr;
            if (!is_params(in, n) ||
                !decode_params(in, static_cast<std::size_t>(n), &reply, &bad) ||
                reply.type != SyncType::SlaveSetup) {
                continue;
            }
            if (reply.version != kProtocolVersion) {
                *error = "the master at " + endpoint_text(from) + " speaks NetJack protocol " +
                         std::to_string(reply.version) + ", not 8";
                return false;
            }
            if (reply.period < 1 || reply.sample_rate < 1 || reply.send_audio < 0 ||
                reply.return_audio < 0 || reply.send_midi < 0 || reply.return_midi < 0) {
                continue; // incomplete setup: not something we can run
            }
            std::string config_error;
            if (!link_.configure(Role::Slave, reply, &config_error)) {
                *error = "the master's session cannot run here: " + config_error;
                return false;
            }
            link_.set_controls(net_.controls);
            socket_.watch_unreachable(false);
            if (!socket_.connect(from, &why)) {
                *error = why;
                return false;
            }
            SessionParams start = reply;
            start.type = SyncType::StartMaster;
            encode_params(start, out);
            socket_.send(out, kParamsSize);
            socket_.set_buffers(link_.socket_buffer_bytes());
            *agreed = reply;
            {
                std::lock_guard<std::mutex> lock(info_mutex_);
                info_ = reply;
                peer_ = (reply.master_host.empty() ? std::string("?") : reply.master_host) + " " +
                        endpoint_text(from);
            }
            connections_.fetch_add(1, std::memory_order_relaxed);
            connected_.store(true, std::memory_order_relaxed);
            return true;
        }
        unreachable += refused_here ? 1 : 0;
    }
}

bool SlaveDriver::start(AudioCallback* callback, std::string* error) {
    if (!may_start(open_, thread_.joinable(), callback, error)) {
        return false;
    }
    callbacks_.store(0);
    running_.store(true, std::memory_order_release);
    thread_ = std::thread([this, callback] {
        try_realtime();
        run(callback);
    });
    return true;
}

void SlaveDriver::stop() {
    running_.store(false, std::memory_order_release);
    if (thread_.joinable()) {
        thread_.join();
    }
    connected_.store(false, std::memory_order_relaxed);
}

SessionParams SlaveDriver::session_info() const {
    std::lock_guard<std::mutex> lock(info_mutex_);
    return info_;
}

std::string SlaveDriver::failure() const {
    std::lock_guard<std::mutex> lock(info_mutex_);
    return failure_;
}

std::string SlaveDriver::peer() const {
    std::lock_guard<std::mutex> lock(info_mutex_);
    return peer_;
}

bool SlaveDriver::cycle_of(std::uint64_t index, std::uint32_t* cycle,
                           std::uint64_t* concealed_before) const {
    const CycleEntry& e = cycle_log_[index % kCycleLog];
    if (e.tag.load(std::memory_order_acquire) != index + 1) {
        return false;
    }
    const std::uint64_t c = e.cycle.load(std::memory_order_relaxed);
    const std::uint64_t k = e.concealed.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (e.tag.load(std::memory_order_relaxed) != index + 1) {
        return false; // overwritten meanwhile
    }
    *cycle = std::uint32_t(c);
    *concealed_before = k;
    return true;
}

void SlaveDriver::process(AudioCallback* callback, std::uint32_t cycle) noexcept {
    {
        // which cycle this callback runs (the entry written before it runs)
        const std::uint64_t index = callbacks_.load(std::memory_order_relaxed);
        CycleEntry& e = cycle_log_[index % kCycleLog];
        e.tag.store(0, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        e.cycle.store(cycle, std::memory_order_relaxed);
        e.concealed.store(concealed_, std::memory_order_relaxed);
        e.tag.store(index + 1, std::memory_order_release);
    }
    const LinkCounters& counts = link_.counters();
    const std::uint64_t before = counts.cycles_concealed.load(std::memory_order_relaxed);
    const float* const* rx = link_.take(cycle);
    if (counts.cycles_concealed.load(std::memory_order_relaxed) != before) {
        ++concealed_;
    }
    if (net_.control_sink) {
        const ControlChange* changes = nullptr;
        if (const int n = link_.taken_controls(&changes); n > 0) {
            rt::AudioSection section;
            net_.control_sink->controls(changes, n);
        }
    }
    const int shared = std::min(link_.rx_channels(), options_.inputs);
    for (int i = 0; i < shared; ++i) {
        inputs_[static_cast<std::size_t>(i)] = rx[i];
    }
    {
        rt::AudioSection section;
        callback->process(block_size_, inputs_.data(), outputs_.data());
    }
    callbacks_.fetch_add(1, std::memory_order_relaxed);
    link_.send_cycle(socket_, cycle, tx_.data());
}

void SlaveDriver::run(AudioCallback* callback) noexcept {
    std::uint8_t* in = rx_buffer_.data();
    bool have_next = false;
    std::uint32_t next = 0;        // the next cycle to run
    std::uint32_t newest_done = 0; // the newest complete cycle seen
    bool any_done = false;
    bool first_session = net_.first_cycle >= 0; // its first cycle is known
    concealed_ = 0;
    auto last_packet = Clock::now();
    const auto peer_timeout = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(net_.peer_timeout_s));
    while (running_.load(std::memory_order_acquire)) {
        const long n = socket_.receive(in, rx_buffer_.size(), 50);
        if (n > 0) {
            if (is_params(in, n)) {
                // Our START_MASTER was lost and the master repeats its setup:
                // answer with its own bytes, the packet id changed (nothing to
                // decode or allocate on this thread).
                if (get_be32(in + 12) == static_cast<std::uint32_t>(SyncType::SlaveSetup)) {
                    put_be32(in + 12, static_cast<std::uint32_t>(SyncType::StartMaster));
                    socket_.send(in, kParamsSize);
                }
                continue;
            }
            std::uint32_t cycle = 0;
            if (link_.on_datagram(in, static_cast<std::size_t>(n), &cycle)) {
                last_packet = Clock::now();
                const std::int32_t ahead = cycle_diff(cycle, next);
                if (!have_next || ahead > kMaxLatency + 2 || ahead < -(kMaxLatency + 2)) {
                    next = cycle; // first cycle, or the master restarted its count
                    if (first_session && !have_next) {
                        // from the master's first cycle: those lost before are concealed
                        const auto first = static_cast<std::uint32_t>(net_.first_cycle);
                        const std::int32_t late = cycle_diff(cycle, first);
                        if (late > 0 && late <= kMaxLatency + 2) {
                            next = first;
                        }
                    }
                    first_session = false;
                    have_next = true;
                    any_done = false;
                }
                if (link_.complete(cycle) && (!any_done || cycle_diff(cycle, newest_done) > 0)) {
                    newest_done = cycle;
                    any_done = true;
                }
            }
        }
        // Cycles run in order: a complete one at once; one that is not (a
        // packet lost or late) once a later cycle is complete, concealed.
        while (have_next &&
               (link_.complete(next) || (any_done && cycle_diff(newest_done, next) > 0))) {
            process(callback, next);
            ++next;
        }
        if (Clock::now() - last_packet > peer_timeout) {
            // The master is gone: look for it again, as long as we run.
            connected_.store(false, std::memory_order_relaxed);
            SessionParams agreed;
            std::string why;
            if (!handshake(0, true, &agreed, &why)) {
                break;
            }
            if (static_cast<int>(agreed.period) != block_size_ ||
                static_cast<int>(agreed.sample_rate) != sample_rate_) {
                // the engine cannot change its rate or block size under it
                std::lock_guard<std::mutex> lock(info_mutex_);
                failure_ = "the master came back at " + std::to_string(agreed.sample_rate) +
                           " Hz, " + std::to_string(agreed.period) +
                           " frames per cycle; this slave's engine runs at " +
                           std::to_string(sample_rate_) + " Hz, " + std::to_string(block_size_) +
                           ": restart it to follow";
                connected_.store(false, std::memory_order_relaxed);
                break;
            }
            have_next = false;
            last_packet = Clock::now();
        }
    }
}

} // namespace tutti::netjack
