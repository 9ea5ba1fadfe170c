// SPDX-License-Identifier: MIT
/** \file
 * Byte order helpers of the wire format: big-endian integers (headers and
 * parameters), little-endian float and int16 samples (jack2 sends samples in
 * the order of x86 and ARM hosts). memcpy-based, so unaligned access is fine.
 */
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace tutti::netjack {

inline void put_be32(std::uint8_t* out, std::uint32_t v) {
    out[0] = static_cast<std::uint8_t>(v >> 24);
    out[1] = static_cast<std::uint8_t>(v >> 16);
    out[2] = static_cast<std::uint8_t>(v >> 8);
    out[3] = static_cast<std::uint8_t>(v);
}

inline std::uint32_t get_be32(const std::uint8_t* in) {
    return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) |
           (std::uint32_t{in[2]} << 8) | std::uint32_t{in[3]};
}

inline void put_le32(std::uint8_t* out, std::uint32_t v) {
    out[0] = static_cast<std::uint8_t>(v);
    out[1] = static_cast<std::uint8_t>(v >> 8);
    out[2] = static_cast<std::uint8_t>(v >> 16);
    out[3] = static_cast<std::uint8_t>(v >> 24);
}

inline std::uint32_t get_le32(const std::uint8_t* in) {
    return std::uint32_t{in[0]} | (std::uint32_t{in[1]} << 8) | (std::uint32_t{in[2]} << 16) |
           (std::uint32_t{in[3]} << 24);
}

/// Little-endian floats: a plain copy on little-endian hosts.
inline void put_floats_le(std::uint8_t* out, const float* in, int n) {
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(out, in, sizeof(float) * static_cast<std::size_t>(n));
    } else {
        for (int i = 0; i < n; ++i) {
            put_le32(out + 4 * i, std::bit_cast<std::uint32_t>(in[i]));
        }
    }
}

inline void get_floats_le(float* out, const std::uint8_t* in, int n) {
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(out, in, sizeof(float) * static_cast<std::size_t>(n));
    } else {
        for (int i = 0; i < n; ++i) {
            out[i] = std::bit_cast<float>(get_le32(in + 4 * i));
        }
    }
}

} // namespace tutti::netjack
