// SPDX-License-Identifier: MIT
/** \file
 * Translation of one verified loop-IR function into the interpreter's register
 * program (ir/interpreter_program.h): one instruction per IR operation, with
 * - constants in registers loaded before the run (a constant operand costs nothing);
 * - a constant array index folded into the field's byte offset;
 * - a value computed straight into the local a SetLocal names (no copy);
 * - `field = field` (delay lines shifted by one) as one Copy instruction;
 * - loops tested once before the first iteration, then once per iteration at
 *   the end of the body (LoopNext: increment, compare and jump back).
 */
#pragma once

#include "ir/interpreter_program.h"
#include "ir/loop_ir.h"

namespace tutti::ir {

/// `f` must belong to the verified, laid-out `m`; `p` is filled from empty.
void translate(const Module& m, const Function& f, Interpreter::Program& p);

} // namespace tutti::ir
