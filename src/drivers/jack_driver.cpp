// SPDX-License-Identifier: MIT
/** \file The JACK driver (see jack_driver.h for its threads and invariants). */
#include "drivers/jack_driver.h"

#include <jack/jack.h>
#include <jack/midiport.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "support/rt_section.h"

namespace tutti::drivers {

namespace {

void set_error(std::string* error, std::string message) {
    if (error) {
        *error = std::move(message);
    }
}

/// The failure bits of a jack_status_t in words (libjack sets several at once).
std::string describe_status(jack_status_t status) {
    static constexpr struct {
        int bit;
        const char* text;
    } kBits[] = {
        {JackServerFailed, "cannot connect to the server"},
        {JackServerError, "communication error with the server"},
        {JackNameNotUnique, "client name not unique"},
        {JackInvalidOption, "invalid option"},
        {JackNoSuchClient, "no such client"},
        {JackInitFailure, "cannot initialise the client"},
        {JackShmFailure, "cannot access shared memory"},
        {JackVersionError, "client/server protocol version mismatch"},
        {JackBackendError, "backend error"},
        {JackClientZombie, "client zombified"},
        {JackLoadFailure, "cannot load an internal client"},
    };
    std::string text;
    for (const auto& b : kBits) {
        if (status & b.bit) {
            text += text.empty() ? "" : ", ";
            text += b.text;
        }
    }
    if (text.empty()) {
        text = "failure";
    }
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", static_cast<unsigned>(status));
    return text + " (status " + hex + ")";
}

std::string server_label(const std::string& server_name) {
    return server_name.empty() ? std::string("the default JACK server")
                               : "JACK server '" + server_name + "'";
}

} // namespace

/// The C callbacks libjack calls, forwarding to the driver passed as `arg`.
struct JackThunks {
    static int process(jack_nframes_t frames, void* self) {
        return static_cast<JackDriver*>(self)->process(frames);
    }
    static int xrun(void* self) {
        static_cast<JackDriver*>(self)->xruns_.fetch_add(1, std::memory_order_relaxed);
        return 0;
    }
    static void shutdown(jack_status_t, const char*, void* self) {
        static_cast<JackDriver*>(self)->dead_.store(true, std::memory_order_release);
    }
};

JackDriver::~JackDriver() {
    close_client();
}

bool JackDriver::open(const DriverOptions& options, std::string* error) {
    close_client();
    if (options.inputs < 0 || options.outputs < 0) {
        set_error(error, "jack: negative channel count");
        return false;
    }
    options_ = options;
    dead_.store(false);
    xruns_.store(0);
    callbacks_.store(0);

    int flags = JackNoStartServer;
    if (!options.server_name.empty()) {
        flags |= JackServerName;
    }
    jack_status_t status{};
    client_ = jack_client_open(options.client_name.c_str(), static_cast<jack_options_t>(flags),
                               &status, options.server_name.c_str());
    if (!client_) {
        set_error(error, "jack: cannot open client '" + options.client_name + "' on " +
                             server_label(options.server_name) + ": " + describe_status(status));
        return false;
    }
    open_.store(true, std::memory_order_release);

    auto register_ports = [&](int count, const char* prefix, unsigned long flag,
                              std::vector<jack_port_t*>& ports) {
        ports.reserve(static_cast<std::size_t>(count));
        for (int i = 1; i <= count; ++i) {
            std::string port = prefix + std::to_string(i);
            jack_port_t* p =
                jack_port_register(client_, port.c_str(), JACK_DEFAULT_AUDIO_TYPE, flag, 0);
            if (!p) {
                set_error(error, "jack: cannot register port '" + port + "'");
                return false;
            }
            ports.push_back(p);
        }
        return true;
    };
    if (!register_ports(options.inputs, "in_", JackPortIsInput, in_ports_) ||
        !register_ports(options.outputs, "out_", JackPortIsOutput, out_ports_)) {
        close_client();
        return false;
    }
    if (options.midi != nullptr) {
        midi_port_ =
            jack_port_register(client_, "midi_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
        if (midi_port_ == nullptr) {
            set_error(error, "jack: cannot register port 'midi_in'");
            close_client();
            return false;
        }
        midi_events_.assign(std::max<std::size_t>(options.max_midi_events, 1), MidiEvent{});
        midi_dropped_.store(0);
    }
    in_base_.assign(in_ports_.size(), nullptr);
    in_slice_.assign(in_ports_.size(), nullptr);
    out_base_.assign(out_ports_.size(), nullptr);
    out_slice_.assign(out_ports_.size(), nullptr);

    if (jack_set_process_callback(client_, &JackThunks::process, this) != 0 ||
        jack_set_xrun_callback(client_, &JackThunks::xrun, this) != 0) {
        set_error(error, "jack: cannot install the callbacks");
        close_client();
        return false;
    }
    jack_on_info_shutdown(client_, &JackThunks::shutdown, this);

    sample_rate_ = static_cast<int>(jack_get_sample_rate(client_));
    block_size_ = static_cast<int>(jack_get_buffer_size(client_));
    return true;
}

bool JackDriver::start(AudioCallback* callback, std::string* error) {
    if (!client_) {
        set_error(error, "jack: start() before a successful open()");
        return false;
    }
    if (dead_.load()) {
        set_error(error, "jack: the server has shut down");
        return false;
    }
    if (!may_start(true, active_, callback, error)) {
        return false;
    }
    xruns_.store(0);
    callbacks_.store(0);
    callback_.store(callback, std::memory_order_release);
    if (jack_activate(client_) != 0) {
        callback_.store(nullptr);
        set_error(error, "jack: cannot activate the client");
        return false;
    }
    active_ = true;
    if (options_.connect_physical && !connect_physical(error)) {
        detach_callback();
        jack_deactivate(client_);
        active_ = false;
        return false;
    }
    return true;
}

bool JackDriver::connect_physical(std::string* error) {
    // Physical capture ports are JACK outputs (they produce samples), playback ports inputs.
    auto connect_all = [&](unsigned long physical_flag, const std::vector<jack_port_t*>& ours,
                           bool ours_are_inputs) {
        const char** physical = jack_get_ports(client_, nullptr, JACK_DEFAULT_AUDIO_TYPE,
                                               JackPortIsPhysical | physical_flag);
        bool ok = true;
        for (std::size_t i = 0; ok && physical && physical[i] && i < ours.size(); ++i) {
            const char* mine = jack_port_name(ours[i]);
            const char* from = ours_are_inputs ? physical[i] : mine;
            const char* to = ours_are_inputs ? mine : physical[i];
            int rc = jack_connect(client_, from, to);
            if (rc != 0 && rc != EEXIST) {
                set_error(error, std::string("jack: cannot connect ") + from + " to " + to);
                ok = false;
            }
        }
        if (physical) {
            jack_free(physical);
        }
        return ok;
    };
    return connect_all(JackPortIsOutput, in_ports_, true) &&
           connect_all(JackPortIsInput, out_ports_, false);
}

void JackDriver::stop() {
    close_client();
}

void JackDriver::close_client() {
    if (!client_) {
        return;
    }
    detach_callback();
    // jack_deactivate returns once the server has taken the client out of its
    // graph and libjack has cancelled the client's thread. A dead server
    // cannot answer: skip straight to closing (libjack then only frees memory).
    if (active_ && !dead_.load()) {
        jack_deactivate(client_);
    }
    active_ = false;
    jack_client_close(client_);
    client_ = nullptr;
    open_.store(false, std::memory_order_release);
    callback_.store(nullptr);
    in_ports_.clear();
    out_ports_.clear();
    midi_port_ = nullptr;
}

void JackDriver::detach_callback() {
    // Pairs with process(): it sets in_callback_ before loading callback_, we
    // clear callback_ before loading in_callback_ (all seq_cst). Either it sees
    // nullptr, or we see it inside and wait — at most one callback's duration.
    // The bound only matters if the audio thread vanished inside the callback.
    callback_.store(nullptr);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (in_callback_.load() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
    }
}

std::string JackDriver::client_name() const {
    return client_ ? std::string(jack_get_client_name(client_)) : std::string();
}

int JackDriver::process(jack_nframes_t frames) {
    // the whole callback is the audio thread's: the real-time checker of the
    // test builds catches any allocation, lock, wait or I/O in it
    rt::AudioSection section;
    const std::size_t n_in = in_ports_.size();
    const std::size_t n_out = out_ports_.size();
    for (std::size_t i = 0; i < n_in; ++i) {
        in_base_[i] = static_cast<const float*>(jack_port_get_buffer(in_ports_[i], frames));
    }
    for (std::size_t o = 0; o < n_out; ++o) {
        out_base_[o] = static_cast<float*>(jack_port_get_buffer(out_ports_[o], frames));
    }
    in_callback_.store(true);
    AudioCallback* callback = callback_.load();
    if (!callback) {
        in_callback_.store(false);
        for (std::size_t o = 0; o < n_out; ++o) {
            std::memset(out_base_[o], 0, sizeof(float) * frames);
        }
        return 0;
    }
    const int total = static_cast<int>(frames);
    if (midi_port_ != nullptr && options_.midi != nullptr) {
        // the cycle's events, with their frame in the cycle, before its audio
        void* buffer = jack_port_get_buffer(midi_port_, frames);
        const std::uint32_t n = jack_midi_get_event_count(buffer);
        std::size_t count = 0;
        for (std::uint32_t i = 0; i < n; ++i) {
            jack_midi_event_t e;
            if (jack_midi_event_get(&e, buffer, i) != 0) {
                continue;
            }
            if (count == midi_events_.size()) {
                midi_dropped_.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            MidiEvent& m = midi_events_[count++];
            m.frame = std::min<std::uint32_t>(e.time, frames > 0 ? frames - 1 : 0);
            m.size = static_cast<std::uint32_t>(e.size);
            m.data = e.buffer;
        }
        options_.midi->midi(total, midi_events_.data(), count);
    }
    if (total <= block_size_) {
        callback->process(total, in_base_.data(), out_base_.data());
        callbacks_.fetch_add(1, std::memory_order_relaxed);
    } else {
        // The server's buffer grew after open(): hand the cycle over in slices.
        for (int done = 0; done < total; done += block_size_) {
            const int n = std::min(block_size_, total - done);
            for (std::size_t i = 0; i < n_in; ++i) {
                in_slice_[i] = in_base_[i] + done;
            }
            for (std::size_t o = 0; o < n_out; ++o) {
                out_slice_[o] = out_base_[o] + done;
            }
            callback->process(n, in_slice_.data(), out_slice_.data());
            callbacks_.fetch_add(1, std::memory_order_relaxed);
        }
    }
    in_callback_.store(false);
    return 0;
}

} // namespace tutti::drivers
