// SPDX-License-Identifier: MIT
/** \file The NetJack master driver (see master_driver.h). */
#include "netjack/master_driver.h"

#include <jack/jack.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "netjack/bytes.h"
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

bool same_endpoint(const sockaddr_in& a, const sockaddr_in& b) {
    return a.sin_addr.s_addr == b.sin_addr.s_addr && a.sin_port == b.sin_port;
}

} // namespace

MasterDriver::~MasterDriver() {
    stop();
}

SessionParams MasterDriver::session() const {
    std::lock_guard<std::mutex> lock(session_mutex_);
    return last_session_;
}

void MasterDriver::note_refusal(const std::string& name, const sockaddr_in& from,
                                const std::string& why) {
    const std::string text =
        "the slave '" + name + "' at " + endpoint_text(from) + " cannot be served: " + why;
    std::fprintf(stderr, "netjack-master: %s\n", text.c_str());
    refusals_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(session_mutex_);
    last_refusal_ = text;
}

std::string MasterDriver::last_refusal() const {
    std::lock_guard<std::mutex> lock(session_mutex_);
    return last_refusal_;
}

std::string MasterDriver::peer() const {
    std::lock_guard<std::mutex> lock(session_mutex_);
    return last_peer_;
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
    if (!open_preamble("netjack-master", options, net_, &listen_address_, error)) {
        return false;
    }
    int rate = options.sample_rate, period = options.block_size;
    if (net_.jack_clock) {
        // --clock jack: a client of the local jackd whose cycles pace the
        // master; the rate and the period are the server's.
        jack_status_t status{};
        const int flags = JackNoStartServer | (options.server_name.empty() ? 0 : JackServerName);
        jack_ = jack_client_open((options.client_name + "-netjack").c_str(),
                                 static_cast<jack_options_t>(flags), &status,
                                 options.server_name.c_str());
        if (!jack_) {
            return fail(
                "netjack-master: --clock jack: no JACK server" +
                (options.server_name.empty() ? std::string() : " '" + options.server_name + "'") +
                " to pace the master (status 0x" + std::to_string(status) + ")");
        }
        rate = static_cast<int>(jack_get_sample_rate(jack_));
        period = static_cast<int>(jack_get_buffer_size(jack_));
        jack_set_process_callback(
            jack_, [](jack_nframes_t n, void* self) { return jack_process(n, self); }, this);
    }
    if (period < 1 || period > kMaxPeriod) {
        return fail("netjack-master: the period must be 1..8192 frames");
    }
    if (rate < 1 || rate > kMaxSampleRate) {
        return fail("netjack-master: bad sample rate");
    }
    std::string why;
    if (!listen_.open(&why) || !listen_.bind(listen_address_, &why)) {
        return fail("netjack-master: " + why);
    }
    options_ = options;
    sample_rate_ = rate;
    block_size_ = period;
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
    open_ = true;
    return true;
}

bool MasterDriver::start(AudioCallback* callback, std::string* error) {
    if (!may_start(open_, thread_.joinable(), callback, error)) {
        return false;
    }
    callbacks_.store(0);
    xruns_.store(0);
    tick_ = 0;
    callback_ = callback;
    running_.store(true, std::memory_order_release);
    listener_ = std::thread([this] { listen(); });
    if (net_.caller_clock) {
        return true; // cycles run when the caller calls cycle()
    }
    if (jack_) {
        if (jack_activate(jack_) != 0) {
            stop();
            if (error) {
                *error = "netjack-master: --clock jack: cannot activate the JACK client";
            }
            return false;
        }
        return true;
    }
    thread_ = std::thread([this, callback] {
        try_realtime();
        run(callback);
    });
    return true;
}

void MasterDriver::stop() {
    running_.store(false, std::memory_order_release);
    if (jack_) {
        jack_deactivate(jack_); // returns when no cycle runs
        jack_client_close(jack_);
        jack_ = nullptr;
        open_ = false;
    }
    if (thread_.joinable()) {
        thread_.join();
    }
    if (listener_.joinable()) {
        listener_.join();
    }
    delete current_;
    current_ = nullptr;
    delete pending_.exchange(nullptr);
    delete retired_.exchange(nullptr);
    connected_.store(false);
}

void MasterDriver::listen() noexcept {
    std::vector<std::uint8_t> buffer(kDatagramCapacity);
    sockaddr_in last_slave{};
    auto last_session = Clock::time_point{};
    while (running_.load(std::memory_order_acquire)) {
        delete retired_.exchange(nullptr, std::memory_order_acq_rel);
        sockaddr_in from{};
        const long n = listen_.receive(buffer.data(), buffer.size(), 50, &from);
        SessionParams p;
        const char* bad = nullptr;
        if (n <= 0 || !is_params(buffer.data(), n)) {
            continue;
        }
        // A slave repeats SLAVE_AVAILABLE until it has our setup: the copies
        // that were on their way are not a new slave (nor a refusal to say again).
        const bool recent = same_endpoint(from, last_slave) &&
                            Clock::now() - last_session < std::chrono::seconds(2);
        // NetJack has no refusal message (and jack2's slaves take any session
        // packet as their setup): a slave we cannot serve is told nothing; we
        // say why here, on stderr and at /tutti/netjack/refusal, every 2 s
        // while it asks.
        auto refuse = [&](const std::string& why) {
            if (!recent) {
                note_refusal(p.name, from, why);
                last_slave = from;
                last_session = Clock::now();
            }
        };
        if (!decode_params(buffer.data(), static_cast<std::size_t>(n), &p, &bad)) {
            if (get_be32(buffer.data() + 12) ==
                static_cast<std::uint32_t>(SyncType::SlaveAvailable)) {
                refuse(std::string("its request is not one we can read: ") + bad);
            }
            continue;
        }
        if (p.type != SyncType::SlaveAvailable) {
            continue;
        }
        if (p.version != kProtocolVersion) {
            refuse("it speaks NetJack protocol " + std::to_string(p.version) +
                   ", this master 8 (jack2 1.9.21's)");
            continue;
        }
        if (p.encoder == Encoder::Celt) {
            refuse("CELT is not implemented here (float, int16 or Opus)");
            continue;
        }
        if (!net_.accept_slave.empty() && p.name != net_.accept_slave) {
            refuse("this master waits for the slave '" + net_.accept_slave + "'");
            continue;
        }
        if (recent) {
            continue;
        }
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
        bool refused = false;
        std::unique_ptr<Session> session = handshake(p, from, &refused);
        if (refused) {
            // Said once; the slave, which keeps asking, is not answered for
            // 2 s (then said again).
            last_slave = from;
            last_session = Clock::now();
        }
        if (!session) {
            continue;
        }
        last_slave = from;
        last_session = Clock::now();
        {
            std::lock_guard<std::mutex> lock(session_mutex_);
            last_session_ = session->params;
            last_peer_ = "'" + session->params.name + "' " +
                         (session->params.slave_host.empty() ? std::string("?")
                                                             : session->params.slave_host) +
                         " " + endpoint_text(from);
        }
        // A session the audio thread has not taken yet is replaced.
        delete pending_.exchange(session.release(), std::memory_order_acq_rel);
    }
    delete retired_.exchange(nullptr, std::memory_order_acq_rel);
}

std::unique_ptr<MasterDriver::Session>
MasterDriver::handshake(SessionParams params, const sockaddr_in& slave, bool* refused) {
    auto s = std::make_unique<Session>();
    s->params = std::move(params);
    std::string why;
    if (!s->link.configure(Role::Master, s->params, &why)) {
        note_refusal(s->params.name, slave, why);
        *refused = true;
        return nullptr;
    }
    if (!s->socket.open(&why) || !s->socket.connect(slave, &why)) {
        return nullptr;
    }
    std::uint8_t out[kParamsSize];
    encode_params(s->params, out);
    std::vector<std::uint8_t> in(kDatagramCapacity);
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    bool started = false;
    while (!started && Clock::now() < deadline && running_.load(std::memory_order_acquire)) {
        s->socket.send(out, kParamsSize);
        const auto resend = Clock::now() + std::chrono::milliseconds(200);
        while (!started && Clock::now() < resend) {
            const long n = s->socket.receive(in.data(), in.size(), 20);
            SessionParams reply;
            started = n > 0 && is_params(in.data(), n) &&
                      decode_params(in.data(), static_cast<std::size_t>(n), &reply, nullptr) &&
                      reply.type == SyncType::StartMaster;
        }
    }
    if (!started) {
        return nullptr;
    }
    s->link.use_counters(&counters_);
    s->link.set_controls(net_.controls);
    s->socket.set_buffers(s->link.socket_buffer_bytes());
    s->tx.assign(static_cast<std::size_t>(s->link.tx_channels()), silence_.data());
    for (int i = 0; i < std::min(s->link.tx_channels(), options_.outputs); ++i) {
        s->tx[static_cast<std::size_t>(i)] = outputs_[static_cast<std::size_t>(i)];
    }
    s->effective_latency = std::max(1, static_cast<int>(s->params.latency));
    return s;
}

void MasterDriver::retire(Session* session) {
    // The listener frees it (it empties the slot every 50 ms at most).
    retired_.store(session, std::memory_order_release);
}

void MasterDriver::pump(std::int64_t deadline, std::optional<std::uint32_t> until_complete) {
    std::uint8_t* in = rx_buffer_.data();
    for (;;) {
        if (until_complete && current_ && current_->link.complete(*until_complete)) {
            return;
        }
        const std::int64_t left = deadline - now_ns();
        if (left <= 0) {
            return;
        }
        pollfd fd{current_ ? current_->socket.fd() : -1, POLLIN, 0};
        timespec wait{static_cast<time_t>(left / kNanosPerSecond),
                      static_cast<long>(left % kNanosPerSecond)};
        if (ppoll(&fd, 1, &wait, nullptr) <= 0 || !current_ || !(fd.revents & POLLIN)) {
            continue;
        }
        const long got = current_->socket.receive(in, rx_buffer_.size(), 0);
        if (got > 0 && !is_params(in, got) &&
            current_->link.on_datagram(in, static_cast<std::size_t>(got), nullptr)) {
            last_packet_ = Clock::now();
        }
    }
}

std::int64_t MasterDriver::period_ns() const {
    const std::int64_t rate = sample_rate_;
    const std::int64_t block = block_size_;
    return block / rate * kNanosPerSecond + block % rate * kNanosPerSecond / rate;
}

void MasterDriver::tick(AudioCallback* callback) noexcept {
    const std::uint32_t tick = ++tick_;
    // A new session, when the slot for handing the old one back is free.
    if (pending_.load(std::memory_order_acquire) &&
        (!current_ || !retired_.load(std::memory_order_acquire))) {
        if (Session* next = pending_.exchange(nullptr, std::memory_order_acq_rel)) {
            if (current_) {
                retire(current_);
            }
            current_ = next;
            first_cycle_ = tick;
            if (current_->params.sync_mode == 0) {
                // An asynchronous jackd slave's cycle 1 answers our first.
                current_->link.set_rx_cycle_offset(first_cycle_ - 1);
            }
            last_packet_ = Clock::now();
            connections_.fetch_add(1, std::memory_order_relaxed);
            connected_.store(true, std::memory_order_relaxed);
        }
    }
    const float* const* in = silent_inputs_.data();
    if (current_) {
        const std::uint32_t reply = tick - static_cast<std::uint32_t>(current_->effective_latency);
        if (cycle_diff(reply, first_cycle_) >= 0) {
            if (!current_->link.complete(reply)) {
                // Late by a little (a slave that answers when our next
                // cycle comes, as an asynchronous jackd does): wait half a period.
                pump(now_ns() + (net_.reply_wait_ns >= 0 ? net_.reply_wait_ns : period_ns() / 2),
                     reply);
            }
            const float* const* rx = current_->link.take(reply);
            if (net_.control_sink) {
                const ControlChange* changes = nullptr;
                if (const int k = current_->link.taken_controls(&changes); k > 0) {
                    rt::AudioSection section;
                    net_.control_sink->controls(changes, k);
                }
            }
            const int shared = std::min(current_->link.rx_channels(), options_.inputs);
            for (int i = 0; i < shared; ++i) {
                inputs_[static_cast<std::size_t>(i)] = rx[i];
            }
            for (int i = shared; i < options_.inputs; ++i) {
                inputs_[static_cast<std::size_t>(i)] = silence_.data();
            }
            in = inputs_.data();
        }
    }
    {
        rt::AudioSection section;
        callback->process(block_size_, in, outputs_.data());
    }
    callbacks_.fetch_add(1, std::memory_order_relaxed);
    if (current_) {
        current_->link.send_cycle(current_->socket, tick, current_->tx.data());
    }
}

void MasterDriver::check_peer() noexcept {
    const auto peer_timeout = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(net_.peer_timeout_s));
    if (current_ && Clock::now() - last_packet_ > peer_timeout &&
        !retired_.load(std::memory_order_acquire)) {
        retire(current_); // the slave is gone: the listener listens on
        current_ = nullptr;
        connected_.store(false, std::memory_order_relaxed);
    }
}

void MasterDriver::run(AudioCallback* callback) noexcept {
    const std::int64_t rate = sample_rate_;
    const std::int64_t block = block_size_;
    auto offset_ns = [rate](std::int64_t frames) {
        return frames / rate * kNanosPerSecond + frames % rate * kNanosPerSecond / rate;
    };
    const std::int64_t period = period_ns();
    std::int64_t t0 = now_ns();
    std::int64_t n = 0;
    while (running_.load(std::memory_order_acquire)) {
        tick(callback);
        // Wait for the next block's deadline, taking datagrams as they come.
        ++n;
        const std::int64_t deadline = t0 + offset_ns(n * block);
        pump(deadline, std::nullopt);
        check_peer();
        const std::int64_t now = now_ns();
        if (now - deadline > period) {
            xruns_.fetch_add(1, std::memory_order_relaxed);
            t0 = now;
            n = 0;
        }
    }
}

int MasterDriver::jack_process(std::uint32_t frames, void* self) noexcept {
    auto* m = static_cast<MasterDriver*>(self);
    if (static_cast<int>(frames) != m->block_size_ ||
        !m->running_.load(std::memory_order_acquire)) {
        return 0; // a changed buffer size: not ours to follow (counted)
    }
    // The datagrams that came since the last cycle, then the cycle.
    m->drain();
    m->tick(m->callback_);
    m->check_peer();
    return 0;
}

bool MasterDriver::cycle() noexcept {
    if (!net_.caller_clock || !running_.load(std::memory_order_acquire)) {
        return false;
    }
    drain();
    tick(callback_);
    check_peer();
    return true;
}

void MasterDriver::drain() noexcept {
    std::uint8_t* in = rx_buffer_.data();
    while (current_) {
        const long got = current_->socket.receive(in, rx_buffer_.size(), 0);
        if (got <= 0) {
            return;
        }
        if (!is_params(in, got) &&
            current_->link.on_datagram(in, static_cast<std::size_t>(got), nullptr)) {
            last_packet_ = Clock::now();
        }
    }
}

} // namespace tutti::netjack
