// SPDX-License-Identifier: MIT
/** \file
 * Which locals of a loop-IR function can be plain SSA values in LLVM instead of
 * stack slots: those set exactly once, and read only after that set, in the
 * statements that follow it in its own statement list (or inside them). Such a
 * read always sees the value of the set that dominates it, exactly as it would
 * through memory. Others (set twice, set inside an `if` and read after it, read
 * before their set or in their own value, never set: they read 0) keep a slot.
 *
 * This keeps the code generator's output small: a program with thousands of
 * temporaries no longer hands LLVM thousands of stack slots to promote (SROA
 * and mem2reg were quadratic in them on one large block).
 */
#pragma once

#include <vector>

#include "ir/loop_ir.h"

namespace tutti::codegen {

/// One flag per local of f: true when it can be an SSA value.
std::vector<bool> single_assignment_locals(const ir::Function& f);

} // namespace tutti::codegen
