// SPDX-License-Identifier: MIT
/** \file The signals reachable from some roots, children before parents (iterative). */
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "signals/signal.h"

namespace tutti::sig {

/// Whether a signal was met, by its dense id (Signal::id; the signals of one
/// SignalContext): a byte per id, not a hash set (issue 14: the passes'
/// hash sets of signals were a tenth of a warm compile).
class SeenSignals {
public:
    /// True when `s` was not met before (and marks it).
    bool insert(const Signal* s) {
        if (s->id >= seen_.size()) {
            seen_.resize(std::max<std::size_t>(std::size_t(s->id) + 1, 2 * seen_.size()), 0);
        }
        if (seen_[s->id] != 0) {
            return false;
        }
        seen_[s->id] = 1;
        return true;
    }

private:
    std::vector<std::uint8_t> seen_;
};

inline std::vector<const Signal*> post_order(std::span<const Signal* const> roots) {
    std::vector<const Signal*> order;
    SeenSignals seen;
    std::vector<std::pair<const Signal*, std::size_t>> stack;
    for (const Signal* r : roots) {
        if (!seen.insert(r)) {
            continue;
        }
        stack.push_back({r, 0});
        while (!stack.empty()) {
            auto& [s, i] = stack.back();
            if (i < s->kids.size()) {
                const Signal* k = s->kids[i++];
                if (seen.insert(k)) {
                    stack.push_back({k, 0});
                }
                continue;
            }
            order.push_back(s);
            stack.pop_back();
        }
    }
    return order;
}

} // namespace tutti::sig
