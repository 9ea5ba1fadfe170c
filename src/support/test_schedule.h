// SPDX-License-Identifier: MIT
/** \file
 * The control schedule of the strict conformance protocol
 * (scripts/conformance.sh, docs/conformance.md): which value every control of
 * a program takes, and at which frame. It is computed by the reference runner
 * (tools/reference/reference_arch.cpp) from the reference's own control list
 * (Faust's addresses, as `faust -json` gives them) and handed to `tutti render`
 * as --set-at FRAME:ADDRESS=VALUE, so both sides apply the same values at the
 * same block boundaries. Header-only and dependency-free.
 *
 * For a run of `frames` frames in blocks of `block`:
 * - a slider or numentry is set at frame 0 to a value other than its init and
 *   at the middle block boundary to a value other than that one; the values
 *   are chosen by a hash of the address (FNV-1a, then a 64-bit mixer per
 *   change) among min + k * step, k = 0 .. floor((max - min) / step) (so an
 *   integer when min, max and step are integers), never above max;
 * - a button is pressed at frame 0, released at the block boundary a third of
 *   the way through and pressed again at two thirds;
 * - a checkbox is set to 1 - init at frame 0 and back to init at the middle.
 * Change frames are multiples of the block size, so "the first block boundary
 * at or after the frame" is the frame itself on both sides.
 */
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace tutti::test_schedule {

enum class Kind { Button, Checkbox, Slider };

struct Control {
    std::string address;
    Kind kind = Kind::Slider;
    double init = 0, min = 0, max = 1, step = 0;
};

struct Change {
    long frame = 0;
    std::string address;
    double value = 0;
};

/// FNV-1a, 64 bits, over the bytes of the address.
inline std::uint64_t hash_address(const std::string& address) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : address) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

/// splitmix64's finaliser: a well-spread 64-bit value for change number k.
inline std::uint64_t mix(std::uint64_t h, std::uint64_t k) {
    std::uint64_t z = h + 0x9e3779b97f4a7c15ull * (k + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/// The value of change k of a slider: on the grid min + i * step (or, with no
/// usable step, min + u * (max - min)), different from `avoid1` and `avoid2`
/// whenever the range holds a third value, else different from `avoid1` (the
/// previous value: a two-point slider goes 0 -> 1 -> 0).
inline double slider_value(const Control& c, std::uint64_t k, double avoid1, double avoid2) {
    const std::uint64_t r = mix(hash_address(c.address), k);
    const double span = c.max - c.min;
    if (!(span > 0)) {
        return c.min;
    }
    const double nsteps = c.step > 0 ? std::floor(span / c.step + 1e-9) : 0;
    if (nsteps >= 1 && nsteps < 4.0e15) {
        const auto n = static_cast<std::uint64_t>(nsteps) + 1; // grid points
        std::uint64_t i = r % n;
        double v = c.min;
        for (std::uint64_t tries = 0; tries < 3; ++tries) {
            v = c.min + static_cast<double>(i) * c.step;
            if (v > c.max) {
                v = c.max;
            }
            if (v != avoid1 && v != avoid2) {
                return v;
            }
            i = (i + 1) % n;
        }
        // A two-point grid holding both values to avoid: differ from avoid1.
        for (std::uint64_t j = 0; j < n && j < 3; ++j) {
            v = c.min + static_cast<double>(j) * c.step;
            if (v != avoid1 && v <= c.max) {
                return v;
            }
        }
        return v;
    }
    // No grid: a fraction of the range in (0, 1), 53 bits.
    const double u = (static_cast<double>(r >> 11) + 0.5) / 9007199254740992.0;
    double v = c.min + u * span;
    if (v == avoid1 || v == avoid2) {
        v = c.min + 0.5 * u * span;
    }
    return v > c.max ? c.max : v;
}

/// Rounds a change frame down to a block boundary.
inline long boundary(long frame, int block) {
    return block > 0 ? frame / block * block : frame;
}

/// The changes of every control, in frame order (controls in their given order
/// within a frame). A control listed twice (two widgets with one address) gets
/// its changes once.
inline std::vector<Change> schedule(const std::vector<Control>& controls, long frames, int block) {
    const long third = boundary(frames / 3, block), half = boundary(frames / 2, block),
               two_thirds = boundary(2 * frames / 3, block);
    std::vector<Change> at0, later;
    std::vector<std::string> seen;
    for (const Control& c : controls) {
        bool dup = false;
        for (const auto& s : seen) {
            dup = dup || s == c.address;
        }
        if (dup) {
            continue;
        }
        seen.push_back(c.address);
        switch (c.kind) {
        case Kind::Button:
            at0.push_back({0, c.address, 1.0});
            later.push_back({third, c.address, 0.0});
            later.push_back({two_thirds, c.address, 1.0});
            break;
        case Kind::Checkbox:
            at0.push_back({0, c.address, c.init != 0 ? 0.0 : 1.0});
            later.push_back({half, c.address, c.init != 0 ? 1.0 : 0.0});
            break;
        case Kind::Slider: {
            double v0 = slider_value(c, 0, c.init, c.init);
            double v1 = slider_value(c, 1, v0, c.init); // moves again, from v0
            at0.push_back({0, c.address, v0});
            later.push_back({half, c.address, v1});
            break;
        }
        }
    }
    std::vector<Change> all = at0;
    std::vector<long> frames_in_order;
    for (long f : {third, half, two_thirds}) {
        if (frames_in_order.empty() || frames_in_order.back() != f) {
            frames_in_order.push_back(f);
        }
    }
    for (long f : frames_in_order) {
        for (const Change& ch : later) {
            if (ch.frame == f) {
                all.push_back(ch);
            }
        }
    }
    return all;
}

} // namespace tutti::test_schedule
