// SPDX-License-Identifier: MIT
/** \file
 * Pieces shared by the hash-consing tables of the IRs (boxes::BoxContext,
 * sig::SignalContext): bitwise comparison of numbers (so 0.0 and -0.0 are two
 * nodes, and NaN equals itself), element-wise comparison of children, and
 * copying a prototype's variable-size parts into the arena when it is published.
 */
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>

#include "support/arena.h"

namespace tutti::hash_cons {

inline std::uint64_t bits(double d) {
    std::uint64_t u;
    std::memcpy(&u, &d, sizeof u);
    return u;
}

inline std::size_t mix(std::size_t h, std::size_t v) {
    return h ^ (v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2));
}

template <class T> bool same(std::span<const T> a, std::span<const T> b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

inline bool same_bits(std::span<const double> a, std::span<const double> b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(),
                      [](double x, double y) { return bits(x) == bits(y); });
}

/// A copy of `s` in the arena (empty spans stay empty).
template <class T> std::span<const T> copy(Arena& arena, std::span<const T> s) {
    if (s.empty()) {
        return {};
    }
    T* p = arena.make_array<T>(s.size());
    std::copy(s.begin(), s.end(), p);
    return {p, s.size()};
}

} // namespace tutti::hash_cons
