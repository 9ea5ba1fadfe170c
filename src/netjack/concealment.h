// SPDX-License-Identifier: MIT
/** \file
 * Packet-loss concealment for the cycles a NetJack link did not receive in
 * time, per channel, on the audio thread (no allocation after prepare()).
 *
 * Each channel keeps the last samples it played (concealed ones included).
 * A lost cycle is filled by
 * pitch-synchronous repetition: the lag T (16..1024 frames) of highest
 * normalised autocorrelation over the last 512 frames is taken as the
 * waveform's period, and the last T frames are repeated, continuing the
 * waveform's phase. Without a clear period (correlation below 0.6: noise,
 * transients) the repetition is of the last cycle's worth and fades out. A
 * run of losses keeps the repetition at full level for 20 ms, then fades to
 * silence over the next 20 ms. When real audio comes back, the first 96
 * frames crossfade from the continuation into it. The pitch search costs
 * about 0.25 M multiply-adds per channel at the start of a loss; beyond the
 * first 8 channels a loss is filled by fading the repetition of the last
 * cycle out (a bound on the audio thread's work; to be revisited).
 *
 * The latency never changes: a concealed cycle takes the lost cycle's place.
 */
#pragma once

#include <cstdint>
#include <vector>

namespace tutti::netjack {

class Concealer {
public:
    /// Control thread.
    void prepare(int channels, int period, int sample_rate);
    /// Audio thread. A received cycle: crossfaded in after a concealment, and
    /// remembered. `channels[c]` is modified in place.
    void received(float* const* in);
    /// Audio thread. Fills a lost cycle into `channels`.
    void conceal(float* const* out);
    /// Frames concealed in a row now (0 after a received cycle).
    int run_length() const {
        return run_frames_;
    }

private:
    struct Channel {
        std::vector<float> history; ///< ring of kHistory frames
        int lag = 0;                ///< repetition period; 0: not chosen yet
        int phase = 0;              ///< position within the repeated segment
        bool periodic = false;
    };
    void remember(Channel& ch, const float* samples);
    void choose_lag(Channel& ch, bool search);
    float next(Channel& ch);
    float at(const Channel& ch, int back) const; ///< back = 1: the newest frame

    std::vector<Channel> channels_;
    std::vector<float> scratch_;
    int period_ = 0, write_ = 0, fill_ = 0;
    int anchor_ = 0; ///< history position where the current loss began
    int run_frames_ = 0, full_frames_ = 0, fade_frames_ = 0;
};

} // namespace tutti::netjack
