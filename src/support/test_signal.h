// SPDX-License-Identifier: MIT
/** \file
 * The deterministic test inputs shared by `tutti render` and the reference
 * runner (tools/reference), so that both feed a program exactly the same
 * samples: `impulse` (1 at frame 0 on every input), `silence`, and `noise`,
 * a 32-bit linear congruential generator per input channel with values in
 * [-1, 1). Header-only and dependency-free: the reference architecture file
 * includes it too.
 */
#pragma once

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

} // namespace tutti::test_signal
