// SPDX-License-Identifier: MIT
/** \file libopus custom-mode codecs of a NetJack session (see opus_codec.h). */
#include "netjack/opus_codec.h"

#include <opus/opus_custom.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "netjack/opus_layout.h"

namespace tutti::netjack {

struct OpusCodec::State {
    OpusCustomMode* mode = nullptr;
    std::vector<OpusCustomEncoder*> encoders;
    std::vector<OpusCustomDecoder*> decoders;
    ~State() {
        for (OpusCustomEncoder* e : encoders) {
            opus_custom_encoder_destroy(e);
        }
        for (OpusCustomDecoder* d : decoders) {
            opus_custom_decoder_destroy(d);
        }
        if (mode) {
            opus_custom_mode_destroy(mode);
        }
    }
};

OpusCodec::OpusCodec() = default;
OpusCodec::~OpusCodec() = default;

bool OpusCodec::prepare(int rate, int period, int kbps, int encoders, int decoders,
                        std::string* error) {
    state_.reset();
    auto fail = [&](const std::string& why) {
        if (error) {
            *error = why;
        }
        return false;
    };
    const std::string what =
        "Opus at " + std::to_string(period) + " frames, " + std::to_string(rate) + " Hz: ";
    if (const char* problem = opus_period_problem(rate, period)) {
        return fail(what + problem + "; choose another period (48 kHz: 120, 240, 480, 960 work)");
    }
    const int bytes = opus_frame_bytes(kbps, period, rate);
    if (kbps < 1 || bytes < 3 || bytes > kOpusMaxFrame) {
        return fail(what + std::to_string(kbps) + " kbit/s gives " + std::to_string(bytes) +
                    " bytes per frame; libopus takes 3.." + std::to_string(kOpusMaxFrame));
    }
    auto s = std::make_unique<State>();
    int err = OPUS_OK;
    s->mode = opus_custom_mode_create(rate, period, &err);
    if (!s->mode || err != OPUS_OK) {
        s->mode = nullptr;
        return fail(what + "libopus's custom mode refuses it (" + opus_strerror(err) + ")");
    }
    for (int i = 0; i < encoders; ++i) {
        OpusCustomEncoder* e = opus_custom_encoder_create(s->mode, 1, &err);
        if (!e || err != OPUS_OK) {
            return fail(what + "no encoder (" + opus_strerror(err) + ")");
        }
        s->encoders.push_back(e);
        opus_custom_encoder_ctl(e, OPUS_SET_BITRATE(kbps * 1024));
        opus_custom_encoder_ctl(e, OPUS_SET_COMPLEXITY(10));
        opus_custom_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_MUSIC));
    }
    for (int i = 0; i < decoders; ++i) {
        OpusCustomDecoder* d = opus_custom_decoder_create(s->mode, 1, &err);
        if (!d || err != OPUS_OK) {
            return fail(what + "no decoder (" + opus_strerror(err) + ")");
        }
        s->decoders.push_back(d);
    }
    state_ = std::move(s);
    period_ = period;
    frame_bytes_ = bytes;
    scratch_.assign(static_cast<std::size_t>(period), 0.0f);
    return true;
}

void OpusCodec::encode(int port, const float* samples, std::uint8_t* stream) noexcept {
    float* x = scratch_.data();
    for (int i = 0; i < period_; ++i) {
        const float v = samples[i];
        x[i] = std::isfinite(v) ? std::clamp(v, -2.0f, 2.0f) : 0.0f;
    }
    const int n = opus_custom_encode_float(state_->encoders[static_cast<std::size_t>(port)], x,
                                           period_, stream + 2, frame_bytes_);
    const int length = n < 0 ? 0 : n;
    if (length < frame_bytes_) {
        std::memset(stream + 2 + length, 0, static_cast<std::size_t>(frame_bytes_ - length));
    }
    stream[0] = static_cast<std::uint8_t>(length >> 8);
    stream[1] = static_cast<std::uint8_t>(length);
}

bool OpusCodec::decode(int port, const std::uint8_t* stream, float* out) noexcept {
    OpusCustomDecoder* d = state_->decoders[static_cast<std::size_t>(port)];
    const int length = stream ? opus_stream_length(stream, stream_bytes()) : 0;
    const int n =
        opus_custom_decode_float(d, length > 0 ? stream + 2 : nullptr, length, out, period_);
    if (n != period_) {
        std::fill(out, out + period_, 0.0f);
        return false;
    }
    return true;
}

} // namespace tutti::netjack
