// SPDX-License-Identifier: MIT
/** \file Packet-loss concealment (see concealment.h). */
#include "netjack/concealment.h"

#include <algorithm>
#include <cmath>

namespace tutti::netjack {

namespace {

constexpr int kHistory = 4096; ///< frames remembered per channel
constexpr int kWindow = 512;   ///< frames compared by the pitch search
constexpr int kMinLag = 16;
constexpr int kMaxLag = 1024;
constexpr float kPeriodic = 0.6f;
constexpr int kCrossfade = 96;
constexpr int kSearchedChannels = 8;

} // namespace

void Concealer::prepare(int channels, int period, int sample_rate) {
    channels_.assign(static_cast<std::size_t>(channels), Channel{});
    for (Channel& ch : channels_) {
        ch.history.assign(kHistory, 0.0f);
    }
    scratch_.assign(static_cast<std::size_t>(kWindow) + kMaxLag, 0.0f);
    period_ = period;
    write_ = 0;
    fill_ = 0;
    run_frames_ = 0;
    full_frames_ = sample_rate / 50; // 20 ms
    fade_frames_ = sample_rate / 50;
}

float Concealer::at(const Channel& ch, int back) const {
    return ch.history[static_cast<std::size_t>((write_ - back + kHistory) % kHistory)];
}

void Concealer::remember(Channel& ch, const float* samples) {
    int w = write_;
    for (int i = 0; i < period_; ++i) {
        ch.history[static_cast<std::size_t>(w)] = samples[i];
        w = (w + 1) % kHistory;
    }
}

void Concealer::choose_lag(Channel& ch, bool search) {
    ch.phase = 0;
    ch.periodic = false;
    const int available = std::min(fill_, kHistory);
    // Without a search (or a history): repeat the last cycle's worth.
    ch.lag = std::clamp(std::min(period_, available), 1, kHistory);
    if (!search || available < kWindow + 2 * kMinLag) {
        return;
    }
    const int max_lag = std::min(kMaxLag, available - kWindow);
    // The newest kWindow + max_lag frames, oldest first, in a plain array.
    const int span = kWindow + max_lag;
    float* x = scratch_.data();
    for (int i = 0; i < span; ++i) {
        x[i] = at(ch, span - i);
    }
    const float* now = x + max_lag; // the last kWindow frames
    double energy_now = 0;
    for (int n = 0; n < kWindow; ++n) {
        energy_now += static_cast<double>(now[n]) * static_cast<double>(now[n]);
    }
    if (energy_now < 1e-12) {
        return;
    }
    auto correlation = [&](int lag) {
        const float* then = now - lag;
        float cross = 0, energy_then = 0;
        for (int n = 0; n < kWindow; ++n) {
            cross += now[n] * then[n];
            energy_then += then[n] * then[n];
        }
        return energy_then > 0 ? static_cast<double>(cross) /
                                     std::sqrt(energy_now * static_cast<double>(energy_then))
                               : 0.0;
    };
    // Every second lag, then the neighbours of the best. The best may be a
    // few periods long: repeating it keeps a period that is not a whole
    // number of frames in tune longer.
    double best = 0;
    int best_lag = 0;
    for (int lag = kMinLag; lag <= max_lag; lag += 2) {
        const double r = correlation(lag);
        if (r > best) {
            best = r;
            best_lag = lag;
        }
    }
    for (int lag : {best_lag - 1, best_lag + 1}) {
        if (lag >= kMinLag && lag <= max_lag) {
            const double r = correlation(lag);
            if (r > best) {
                best = r;
                best_lag = lag;
            }
        }
    }
    if (best >= static_cast<double>(kPeriodic)) {
        ch.lag = best_lag;
        ch.periodic = true;
    }
}

float Concealer::next(Channel& ch) {
    // The continuation: the last `lag` frames before the loss, repeated. The
    // concealed frames go into the history too (what was played, without
    // gaps, for the next loss's search), after `anchor_`: the repeated ones,
    // before it, stay untouched for kHistory - lag frames, longer than a
    // concealment lasts before it has faded to silence.
    const float v =
        ch.history[static_cast<std::size_t>((anchor_ - ch.lag + ch.phase + kHistory) % kHistory)];
    ch.phase = (ch.phase + 1) % ch.lag;
    return v;
}

void Concealer::conceal(float* const* out) {
    const bool first = run_frames_ == 0;
    if (first) {
        anchor_ = write_;
    }
    for (std::size_t c = 0; c < channels_.size(); ++c) {
        Channel& ch = channels_[c];
        if (first) {
            choose_lag(ch, static_cast<int>(c) < kSearchedChannels);
        }
        for (int i = 0; i < period_; ++i) {
            const int t = run_frames_ + i;
            float gain = 1.0f;
            if (!ch.periodic) {
                gain = std::max(0.0f, 1.0f - static_cast<float>(t) / static_cast<float>(period_));
            } else if (t >= full_frames_) {
                gain = std::max(0.0f, 1.0f - static_cast<float>(t - full_frames_) /
                                                 static_cast<float>(fade_frames_));
            }
            const float v = next(ch); // advances the phase even when faded out
            out[c][i] = gain * v;
        }
    }
    for (std::size_t c = 0; c < channels_.size(); ++c) {
        remember(channels_[c], out[c]);
    }
    write_ = (write_ + period_) % kHistory;
    fill_ = std::min(fill_ + period_, kHistory);
    run_frames_ += period_;
}

void Concealer::received(float* const* in) {
    if (run_frames_ > 0) {
        // Crossfade from where the continuation would go into the real audio.
        const int n = std::min(kCrossfade, period_);
        for (std::size_t c = 0; c < channels_.size(); ++c) {
            Channel& ch = channels_[c];
            const int t0 = run_frames_;
            for (int i = 0; i < n; ++i) {
                const int t = t0 + i;
                float gain = 1.0f;
                if (!ch.periodic) {
                    gain =
                        std::max(0.0f, 1.0f - static_cast<float>(t) / static_cast<float>(period_));
                } else if (t >= full_frames_) {
                    gain = std::max(0.0f, 1.0f - static_cast<float>(t - full_frames_) /
                                                     static_cast<float>(fade_frames_));
                }
                const float w = static_cast<float>(i + 1) / static_cast<float>(n + 1);
                in[c][i] = w * in[c][i] + (1.0f - w) * gain * next(ch);
            }
        }
        run_frames_ = 0;
    }
    for (Channel& ch : channels_) {
        remember(ch, in[&ch - channels_.data()]);
    }
    write_ = (write_ + period_) % kHistory;
    fill_ = std::min(fill_ + period_, kHistory);
}

} // namespace tutti::netjack
