// SPDX-License-Identifier: MIT
/** \file
 * Superinstructions of the interpreter's register program: a Load of a field at
 * a fixed offset into a temporary (or a local read nowhere else), followed by
 * the Add, Sub, Mul, Div (or, for i32, And) that uses it, becomes one instruction that reads the
 * field itself (FieldAdd: d = field op b; AddField: d = a op field). The operands stay in their
 * order, so the result is the same to the bit; one dispatch instead of two. `fRec0[1] * c`,
 * `fConst3 + x` and the ring index `IOTA0 & mask` are the frequent cases (10-25% of the
 * instructions of a compute function).
 */
#pragma once

#include "ir/interpreter_program.h"

namespace tutti::ir {

/// Rewrites `p` in place (jump targets follow).
void fuse(Interpreter::Program& p);

} // namespace tutti::ir
