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

#include <span>
#include <unordered_map>

#include "signals/signal.h"

namespace tutti::passes {

enum class Nature : std::uint8_t { Int, Real };
enum class Variability : std::uint8_t { Konst, Init, Block, Sample };

struct SigType {
    Nature nature = Nature::Int;
    Variability var = Variability::Konst;
};

class TypeTable {
public:
    SigType of(const sig::Signal* s) const {
        auto it = types_.find(s);
        return it == types_.end() ? SigType{} : it->second;
    }
    void set(const sig::Signal* s, SigType t) {
        types_[s] = t;
    }

private:
    std::unordered_map<const sig::Signal*, SigType> types_;
};

/// Types of every signal reachable from `roots` (recursion bodies and table
/// contents included).
TypeTable infer_types(std::span<const sig::Signal* const> roots);

} // namespace tutti::passes
