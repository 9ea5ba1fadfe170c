// SPDX-License-Identifier: MIT
/** \file
 * Interval analysis: bounds of each signal's values, used to size delay lines
 * (`x @ d` needs d bounded and non-negative) as Faust 2.54.9 does: literals are
 * points, sliders [min,max], buttons [0,1], arithmetic by interval arithmetic,
 * `min`/`max`/`int`/`%`/`select2` as expected, tables by their contents;
 * inputs, recursions and anything else unknown are unbounded.
 */
#pragma once

#include <cmath>
#include <limits>
#include <span>
#include <unordered_map>

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

class IntervalTable {
public:
    Interval of(const sig::Signal* s) const {
        auto it = table_.find(s);
        return it == table_.end() ? Interval{} : it->second;
    }
    void set(const sig::Signal* s, Interval i) {
        table_[s] = i;
    }

private:
    std::unordered_map<const sig::Signal*, Interval> table_;
};

IntervalTable infer_intervals(std::span<const sig::Signal* const> roots);

} // namespace tutti::passes
