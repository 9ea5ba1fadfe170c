// SPDX-License-Identifier: MIT
/** \file
 * One recursion group per recursion: two groups whose bodies are the same up
 * to the names of their groups (alpha-equivalent) are one group.
 *
 * Faust builds its recursions with de Bruijn indices (`rec(...)` over
 * `ref(1)`), hash-consed like every tree, so a recursion written twice with the
 * same inputs (`si.smoo` of one slider used in two places, a delay length shared
 * by two interpolated delays) is one tree there: one state, one value, and every
 * expression over it shared. Here each `~` gets a fresh group id; this table
 * finds the group made earlier that the new one is equal to, so that
 * propagation can use it instead. Sharing decides more than the cost: the
 * reference's code keeps a shared product in a variable of its own, which
 * decides how its C++ associates the products around it (and so the rounding).
 */
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "signals/signal.h"

namespace tutti::sig {

class SameRecursions {
public:
    /// The group made earlier that `group` (a RecGroup just made) is equal to,
    /// or `group` itself (then remembered).
    const Signal* canonical(const Signal* group);

private:
    std::size_t shape(const Signal* root);
    bool equal(const Signal* a, const Signal* b) const;

    std::unordered_map<const Signal*, std::size_t> shapes_; ///< hash that ignores group ids
    std::unordered_map<std::size_t, std::vector<const Signal*>> groups_;
};

} // namespace tutti::sig
