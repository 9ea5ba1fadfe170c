// SPDX-License-Identifier: MIT
// Runs a factory for a few blocks with deterministic inputs (an impulse, then
// noise) while every control moves, and returns every output sample's bits:
// two factories of the same program must give the same bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tutti/runtime.h"

namespace tutti_test {

inline std::vector<std::uint8_t> render_bits(const tutti::Factory& factory, int blocks = 24,
                                             int block = 64) {
    auto dsp = factory.create_instance();
    dsp->init(48000);
    const int nin = dsp->num_inputs(), nout = dsp->num_outputs();
    const bool dbl = factory.double_precision();
    const std::size_t width = dbl ? 8 : 4;
    std::vector<std::vector<std::uint8_t>> in(
        std::size_t(nin), std::vector<std::uint8_t>(width * std::size_t(block)));
    std::vector<std::vector<std::uint8_t>> out(
        std::size_t(nout), std::vector<std::uint8_t>(width * std::size_t(block)));
    std::vector<const void*> ip;
    std::vector<void*> op;
    for (auto& c : in) {
        ip.push_back(c.data());
    }
    for (auto& c : out) {
        op.push_back(c.data());
    }
    std::vector<std::uint8_t> all;
    std::uint32_t seed = 12345;
    const auto& params = dsp->parameters();
    for (int b = 0; b < blocks; ++b) {
        // every control moves: a different point of its range every four blocks
        if (b % 4 == 2) {
            for (std::size_t i = 0; i < params.size(); ++i) {
                const auto& p = params[i];
                const double t = double((b / 4 + int(i)) % 5) / 4.0;
                dsp->set_parameter(i, p.min + (p.max - p.min) * t);
            }
        }
        for (auto& c : in) {
            for (int k = 0; k < block; ++k) {
                seed = seed * 1664525u + 1013904223u;
                double v = (b == 0 && k == 0) ? 1.0 : double(int32_t(seed)) / 2147483648.0 * 0.5;
                if (dbl) {
                    std::memcpy(c.data() + 8 * std::size_t(k), &v, 8);
                } else {
                    float f = float(v);
                    std::memcpy(c.data() + 4 * std::size_t(k), &f, 4);
                }
            }
        }
        dsp->compute(block, ip.data(), op.data());
        for (auto& c : out) {
            all.insert(all.end(), c.begin(), c.end());
        }
    }
    return all;
}

} // namespace tutti_test
