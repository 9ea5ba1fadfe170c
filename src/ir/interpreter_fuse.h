// SPDX-License-Identifier: MIT
/** \file
 * Superinstructions of the interpreter's register program. A Load of a field at
 * a fixed offset into a temporary (or into a local read nowhere else), followed
 * by the Add, Sub, Mul, Div (or, for i32, And) that uses it, becomes one
 * instruction that reads the field itself (FieldAdd: d = field op b; AddField:
 * d = a op field); a second such Load before it makes both operands fields
 * (FieldMulField: d = field op field). The operands stay in their order, so the
 * result is the same to the bit, with one dispatch instead of two or three.
 * `fConst3 * fRec0[1]`, `fTemp16 * fTemp0` after `fTemp0 = fRec4[1]` and the ring
 * index `IOTA0 & mask` are the frequent cases (10-35% of the instructions of a
 * compute function).
 */
#pragma once

#include "ir/interpreter_program.h"

namespace tutti::ir {

/// Rewrites `p` in place (jump targets follow).
void fuse(Interpreter::Program& p);

} // namespace tutti::ir
