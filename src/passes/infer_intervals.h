// SPDX-License-Identifier: MIT
/** \file
 * Interval analysis: bounds of each signal's values, used to size delay lines
 * (`x @ d` needs d bounded and non-negative) as Faust 2.54.9 does: literals are
 * points, sliders [min,max], buttons [0,1], arithmetic by interval arithmetic,
 * `min`/`max`/`int`/`%`/`select2` as expected, tables by their contents;
 * inputs, recursions and anything else unknown are unbounded.
 */
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "signals/signal.h"

namespace tutti::passes {

struct Interval {
    double lo = -std::numeric_limits<double>::infinity();
    double hi = std::numeric_limits<double>::infinity();
    bool bounded() const {
        return std::isfinite(lo) && std::isfinite(hi);
    }
    bool point() const {
        return lo == hi;
    }
};

/// The intervals of the signals of one SignalContext, by their dense ids (a
/// vector, not a hash map: issue 14); a signal never set has Interval{}.
class IntervalTable {
public:
    Interval of(const sig::Signal* s) const {
        return s->id < table_.size() ? table_[s->id] : Interval{};
    }
    void set(const sig::Signal* s, Interval i) {
        if (s->id >= table_.size()) {
            table_.resize(std::max<std::size_t>(std::size_t(s->id) + 1, 2 * table_.size()));
        }
        table_[s->id] = i;
    }

private:
    std::vector<Interval> table_;
};

IntervalTable infer_intervals(std::span<const sig::Signal* const> roots);

} // namespace tutti::passes
