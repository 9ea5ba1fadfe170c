// SPDX-License-Identifier: MIT
// Content hashes: 64-bit FNV-1a, and a 128-bit hash of two FNV-1a lanes (the
// second with a different start and an added odd constant) for content keys,
// where a collision would reuse the wrong compiled code. Not cryptographic:
// keys name content this process or its cache produced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace tutti::support {

inline constexpr std::uint64_t fnv_offset = 0xcbf29ce484222325ull;
inline constexpr std::uint64_t fnv_prime = 0x100000001b3ull;

inline std::uint64_t fnv1a(const void* data, std::size_t n, std::uint64_t h = fnv_offset) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
        h = (h ^ p[i]) * fnv_prime;
    }
    return h;
}

inline std::uint64_t fnv1a(std::string_view s, std::uint64_t h = fnv_offset) {
    return fnv1a(s.data(), s.size(), h);
}

/// 16 hex digits.
inline std::string hex64(std::uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

/// Two FNV-1a lanes fed the same bytes.
struct Hash128 {
    std::uint64_t a = fnv_offset, b = 0x84222325cbf29ce4ull;

    void byte(unsigned char c) {
        a = (a ^ c) * fnv_prime;
        b = (b ^ c) * fnv_prime + 0x9e3779b97f4a7c15ull;
    }
    /// The bytes as they are (no length: for one string hashed alone).
    void bytes(std::string_view s) {
        for (unsigned char c : s) {
            byte(c);
        }
    }
    /// Eight bytes, least significant first.
    void word(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            byte(static_cast<unsigned char>(v >> (8 * i)));
        }
    }
    void real(double x) {
        std::uint64_t v;
        std::memcpy(&v, &x, 8);
        word(v);
    }
    /// Length, then bytes: a sequence of texts hashes unambiguously.
    void text(std::string_view s) {
        word(s.size());
        bytes(s);
    }
    void pair(std::pair<std::uint64_t, std::uint64_t> p) {
        word(p.first);
        word(p.second);
    }
    std::pair<std::uint64_t, std::uint64_t> value() const {
        return {a, b};
    }
    /// 32 hex digits.
    std::string hex() const {
        return hex64(a) + hex64(b);
    }
};

} // namespace tutti::support
