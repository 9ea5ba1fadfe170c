// SPDX-License-Identifier: MIT
/** \file
 * The condition under which each signal is computed, for `enable` and
 * `control` (Faust 2.54.9 with its default `-es 1`): in `enable(x, c)` and
 * `control(x, c)`, x and everything only x needs are computed while c != 0, and
 * keep their last value while c == 0 (the state of recursions and delay lines
 * they use does not advance); `enable` itself is x * c computed under the same
 * condition, its output held in between. A signal needed in several places is
 * computed under the disjunction of their conditions (unconditionally as soon
 * as one place needs it always), and a recursion under the disjunction of the
 * conditions of its projections.
 *
 * A guard is a disjunction of conjunctions of condition signals; guards are
 * interned, so they compare by pointer. A program without enable or control
 * has no guards at all: every signal is computed always.
 */
#pragma once

#include <set>
#include <span>
#include <unordered_map>
#include <vector>

#include "signals/signal.h"

namespace tutti::lower {

/// OR of ANDs of conditions (each a signal, true when != 0). Always: one empty conjunction.
using Guard = std::vector<std::vector<const sig::Signal*>>;

class Conditions {
public:
    /// Analyses the graph reachable from `outputs` (tables' generators excluded).
    Conditions(std::span<const sig::Signal* const> outputs, sig::SignalContext& sc);

    /// The guard of signal s, nullptr when s is computed always.
    const Guard* guard(const sig::Signal* s) const;
    /// The guard of the memory of recursion group `group` (its bodies'), nullptr: always.
    const Guard* group_guard(int group) const;
    bool any() const {
        return any_;
    }

private:
    const Guard* intern(Guard g);
    const Guard* join(const Guard* a, const Guard* b);
    const Guard* with(const Guard* a, const sig::Signal* c);

    bool any_ = false;
    const Guard* always_ = nullptr;
    std::set<Guard> guards_;
    std::unordered_map<const sig::Signal*, const Guard*> demand_; ///< where a signal is used
    std::unordered_map<const sig::Signal*, const Guard*> guard_;  ///< where it is computed
    std::unordered_map<int, const Guard*> groups_;
};

} // namespace tutti::lower
