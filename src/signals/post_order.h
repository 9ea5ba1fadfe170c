// SPDX-License-Identifier: MIT
/** \file The signals reachable from some roots, children before parents (iterative). */
#pragma once

#include <span>
#include <unordered_set>
#include <utility>
#include <vector>

#include "signals/signal.h"

namespace tutti::sig {

inline std::vector<const Signal*> post_order(std::span<const Signal* const> roots) {
    std::vector<const Signal*> order;
    std::unordered_set<const Signal*> seen;
    std::vector<std::pair<const Signal*, std::size_t>> stack;
    for (const Signal* r : roots) {
        if (!seen.insert(r).second) {
            continue;
        }
        stack.push_back({r, 0});
        while (!stack.empty()) {
            auto& [s, i] = stack.back();
            if (i < s->kids.size()) {
                const Signal* k = s->kids[i++];
                if (seen.insert(k).second) {
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
