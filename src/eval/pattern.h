// SPDX-License-Identifier: MIT
/** \file
 * Compiled patterns of pattern-matching rules (`case`, multi-rule definitions).
 *
 * As in Faust (`preparePattern`, `patternSimplification`): identifiers in a
 * pattern are variables that bind what they meet; compositions (`,` `:` `<:`
 * `:>` `~`, and infix operators, which are `(A,B):op`) match the same
 * composition in the argument, part by part; any other sub-pattern is evaluated
 * in the rule's environment, simplified to a number when it denotes one, and
 * matches an argument equal to it (after the argument's own numeric
 * simplification). A variable met twice in one rule must bind equal values.
 * Rules are tried in order; the first that matches wins.
 */
#pragma once

#include <cstdint>

#include "eval/value.h"

namespace tutti::eval {

enum class PatternKind : std::uint8_t { Var, Const, Op };

struct Pattern {
    PatternKind kind = PatternKind::Const;
    boxes::BoxKind op{}; ///< Op: Seq, Par, Split, Merge or Rec
    Symbol var;          ///< Var
    const Pattern* a = nullptr;
    const Pattern* b = nullptr;
    Value constant; ///< Const
};

} // namespace tutti::eval
