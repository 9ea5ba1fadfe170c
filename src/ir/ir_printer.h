// SPDX-License-Identifier: MIT
/** \file
 * A deterministic text form of a loop-IR module, for golden tests and dumps:
 * the header, the fields (type, count, kind, offset, identity), then the four
 * functions as C-like code with their locals. Expressions are printed with C's
 * precedence and only the parentheses it needs, plus those around the operands
 * of bitwise and shift operators. Names come from the module
 * (fields, locals); an empty or repeated name gets its number (`l3`, `fRec0_3`).
 *
 *   f32 x          a local or scalar field        fVec0[e]   an array field element
 *   in0 / out0     channel 0 of the current frame  frame      the frame loop variable
 *   i<N>           the variable of For loop N      count, sample_rate
 *   (f32)x (f64)x  ItoF / FExt / FTrunc             (i32)x     FtoI (INT_MIN out of range)
 *   min(a, b) max(a, b)  sinf(x) ...                c ? a : b  Select
 *   0.5f           an F32 constant (shortest round-trip text), 0.5 an F64 one
 *
 * The printer never fails: a malformed module prints with `<...>` markers (the
 * verifier says what is wrong); nesting deeper than kMaxNesting prints `<too deep>`.
 */
#pragma once

#include <string>

#include "ir/loop_ir.h"

namespace tutti::ir {

std::string print(const Module& m);

/// Short names for messages ("Add", "SetField", "delay"...).
const char* op_name(Op op);
const char* expr_kind_name(ExprKind k);
const char* stmt_kind_name(StmtKind k);
const char* field_kind_name(FieldKind k);

} // namespace tutti::ir
