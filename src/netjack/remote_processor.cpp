// SPDX-License-Identifier: MIT
/** \file Remote processing over NetJack (see remote_processor.h). */
#include "netjack/remote_processor.h"

#include <algorithm>

#include "netjack/master_driver.h"

namespace tutti::netjack {

/// The master's callback: its outputs are the caller's block, its inputs
/// (the remote DSP's answers) go to the caller's output.
class RemoteProcessor::Bridge final : public AudioCallback {
public:
    Bridge(int sends, int returns, int period) : sends_(sends), returns_(returns), period_(period) {
    }
    void process(int frames, const float* const* inputs, float* const* outputs) noexcept override {
        for (int c = 0; c < sends_; ++c) {
            std::copy(in_[c], in_[c] + frames, outputs[c]);
        }
        for (int c = 0; c < returns_; ++c) {
            std::copy(inputs[c], inputs[c] + frames, out_[c]);
        }
    }
    void set(const float* const* in, float* const* out) {
        in_ = in;
        out_ = out;
    }
    int period() const {
        return period_;
    }

private:
    int sends_, returns_, period_;
    const float* const* in_ = nullptr;
    float* const* out_ = nullptr;
};

RemoteProcessor::RemoteProcessor() = default;

RemoteProcessor::~RemoteProcessor() {
    close();
}

bool RemoteProcessor::open(const Options& o, std::string* error) {
    close();
    NetOptions net;
    net.address = o.listen;
    net.caller_clock = true;
    net.accept_slave = o.slave_name;
    net.controls = o.controls;
    net.control_sink = o.control_sink;
    if (o.reply_wait_ms >= 0) {
        net.reply_wait_ns = static_cast<std::int64_t>(o.reply_wait_ms * 1e6);
    }
    master_ = std::make_unique<MasterDriver>(net);
    DriverOptions d;
    d.inputs = o.returns;
    d.outputs = o.sends;
    d.block_size = o.period;
    d.sample_rate = o.sample_rate;
    bridge_ = std::make_unique<Bridge>(o.sends, o.returns, o.period);
    if (!master_->open(d, error) || !master_->start(bridge_.get(), error)) {
        master_.reset();
        bridge_.reset();
        return false;
    }
    return true;
}

void RemoteProcessor::close() {
    if (master_) {
        master_->stop();
    }
    master_.reset();
    bridge_.reset();
}

bool RemoteProcessor::connected() const {
    return master_ && master_->connected();
}

int RemoteProcessor::latency() const {
    return master_ && master_->connections() > 0
               ? std::max(1, static_cast<int>(master_->session().latency))
               : 0;
}

void RemoteProcessor::process(const float* const* in, float* const* out) noexcept {
    bridge_->set(in, out);
    master_->cycle();
}

bool RemoteProcessor::send_control(std::uint32_t frame, std::uint32_t index, float value) noexcept {
    return master_ && master_->send_control(frame, index, value);
}

const LinkCounters& RemoteProcessor::counters() const {
    return master_->counters();
}

std::string remote_slave_name(const std::string& instance_id) {
    return "tutti-serve-" + instance_id.substr(0, 16);
}

} // namespace tutti::netjack
