// SPDX-License-Identifier: MIT
/** \file
 * The Opus codec of a NetJack session (encoder 3, see netjack/opus_layout.h):
 * one libopus custom-mode encoder per sent port and one decoder per received
 * port, as jack2's Opus mode uses them (mono, the period as the frame,
 * M = kbps * period * 1024 / (rate * 8) bytes per frame, complexity 10).
 *
 * prepare() runs on a control thread (libopus allocates there) and refuses,
 * with a clear error, the periods libopus cannot take or would crash on;
 * encode() and decode() run on the audio thread: libopus allocates nothing
 * there (its scratch is on the stack). NaN and infinities are replaced by
 * zeros and samples clamped to +-2 before encoding (libopus aborts on NaN).
 */
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tutti::netjack {

class OpusCodec {
public:
    OpusCodec();
    ~OpusCodec();
    OpusCodec(const OpusCodec&) = delete;
    OpusCodec& operator=(const OpusCodec&) = delete;

    /// Control thread. False with *error when libopus cannot run this mode.
    bool prepare(int rate, int period, int kbps, int encoders, int decoders, std::string* error);
    int frame_bytes() const {
        return frame_bytes_;
    }
    /// T: the port's bytes on the wire per cycle (length + frame).
    int stream_bytes() const {
        return frame_bytes_ + 2;
    }
    /// Audio thread. Encodes `samples` (period frames) into a stream of
    /// stream_bytes(): the big-endian length, then the frame (zero-padded).
    void encode(int port, const float* samples, std::uint8_t* stream) noexcept;
    /// Audio thread. Decodes a stream into period frames; a null stream (a
    /// lost cycle) runs libopus's concealment, which keeps the decoder's
    /// state in step. False when libopus rejected the frame (*out is zeros).
    bool decode(int port, const std::uint8_t* stream, float* out) noexcept;

private:
    struct State;
    std::unique_ptr<State> state_;
    int period_ = 0, frame_bytes_ = 0;
    std::vector<float> scratch_;
};

} // namespace tutti::netjack
