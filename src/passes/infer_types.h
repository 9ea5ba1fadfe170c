// SPDX-License-Identifier: MIT
/** \file
 * Signal types: nature (int32 or real) and variability (constant, computed at
 * init from the sample rate, once per block from the controls, or every sample),
 * with Faust 2.54.9's rules (faust-semantics.md 2.1): `/` is always real,
 * comparisons and bitwise operators are int, `+ - * %` and `min max abs select2`
 * are int only when all their operands are, `int^int` stays int for a constant
 * positive exponent, inputs and widgets are real. The nature of a recursion is
 * found by iterating from int until nothing changes.
 */
#pragma once

#include <algorithm>
#include <span>
#include <vector>

#include "signals/signal.h"

namespace tutti::passes {

enum class Nature : std::uint8_t { Int, Real };
enum class Variability : std::uint8_t { Konst, Init, Block, Sample };

struct SigType {
    Nature nature = Nature::Int;
    Variability var = Variability::Konst;
};

/// The types of the signals of one SignalContext, by their dense ids (a vector,
/// not a hash map: issue 14); a signal never set has SigType{}.
class TypeTable {
public:
    SigType of(const sig::Signal* s) const {
        return s->id < types_.size() ? types_[s->id] : SigType{};
    }
    void set(const sig::Signal* s, SigType t) {
        if (s->id >= types_.size()) {
            types_.resize(std::max<std::size_t>(std::size_t(s->id) + 1, 2 * types_.size()));
        }
        types_[s->id] = t;
    }

private:
    std::vector<SigType> types_;
};

/// Types of every signal reachable from `roots` (recursion bodies and table
/// contents included).
TypeTable infer_types(std::span<const sig::Signal* const> roots);

} // namespace tutti::passes
