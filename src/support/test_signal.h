// SPDX-License-Identifier: MIT
/** \file
 * The deterministic test inputs shared by `tutti render` and the reference
 * runner (tools/reference), so that both feed a program exactly the same
 * samples: `impulse` (1 at frame 0 on every input), `silence`, `noise`, a
 * 32-bit linear congruential generator per input channel with values in
 * [-1, 1), and `mix` (the strict conformance protocol's input: an impulse at
 * frame 0 plus noise plus a sine on every input). Header-only and
 * dependency-free: the reference architecture file includes it too.
 */
#pragma once

#include <cmath>
#include <cstdint>

namespace tutti::test_signal {

/// The state of the noise generator of input channel `channel` before frame 0.
inline std::uint32_t noise_seed(int channel) {
    return 0x2545F491u ^ (0x9E3779B9u * static_cast<std::uint32_t>(channel + 1));
}

/// Advances the generator and returns the next sample in [-1, 1).
inline double next_noise(std::uint32_t& state) {
    state = state * 1664525u + 1013904223u; // Numerical Recipes LCG, wraps mod 2^32
    return static_cast<double>(static_cast<std::int32_t>(state)) / 2147483648.0;
}

/// The period in frames of the sine in the `mix` input of channel `channel`:
/// 100 frames (441 Hz at 44.1 kHz) on the first input, 13 more on each next one.
inline long mix_period(int channel) {
    return 100 + 13 * long(channel);
}

/// Fills `out[0..frames)` with the `mix` input of channel `channel`:
///   x[n] = (n == 0 ? 1 : 0) + noise[n] / 4 + sin(2 pi (n mod P) / P) / 4
/// with noise[] the `noise` input of that channel and P = mix_period(channel).
/// The same bits on both sides: the phase is one exactly rounded product of
/// (n mod P) and a quotient, std::sin is the C library's (one implementation
/// on a machine whatever the compiler), and the scaling by 1/4 is exact, so no
/// fused multiply-add or evaluation order can change a sum. Computed in double,
/// then converted to the sample type T.
template <class T> void fill_mix(int channel, long frames, T* out) {
    std::uint32_t st = noise_seed(channel);
    const long period = mix_period(channel);
    const double step = 6.283185307179586 / double(period);
    for (long n = 0; n < frames; ++n) {
        double noise = next_noise(st) * 0.25;
        double phase = double(n % period) * step;
        double sine = std::sin(phase) * 0.25;
        double x = noise + sine;
        if (n == 0) {
            x += 1.0;
        }
        out[n] = static_cast<T>(x);
    }
}

} // namespace tutti::test_signal
