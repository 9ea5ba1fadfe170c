// SPDX-License-Identifier: MIT
/** \file
 * Checks that a loop-IR module means something, so the executors never meet
 * undefined behaviour (Halide's IR checks, as a separate pass). `verify` returns
 * one message per problem, empty when the module is valid:
 *
 * - the module: real type F32 or F64; every field has a count >= 1 and, after
 *   layout(), an aligned offset inside state_bytes with no two fields overlapping;
 * - types: every node's type is what its operands give it. Binary operands have
 *   equal types, either I32 or the module's real type; And/Or/Xor/Shl/Shr are I32
 *   only; Neg takes I32 or the real type; FtoI real -> I32, ItoF I32 -> real, FExt
 *   F32 -> F64, FTrunc F64 -> F32; Select has an I32 condition and branches of its
 *   type; If and For bounds are I32; SetField/SetLocal/SetOutput store their
 *   target's type; Input is the real type; Call matches its entry in
 *   ir/math_functions.h (an unknown callee is an error);
 * - indices: fields, locals, input and output channels in range; array fields
 *   (count > 1) are read and written with one I32 element index, scalars
 *   (count == 1) with none;
 * - scopes: LoopVar only inside the For that declares it (not in its bounds), no
 *   For reusing the id of an enclosing For; Input, SetOutput and FrameIndex only
 *   inside compute's FrameLoop; FrameLoop only in compute and never nested;
 *   SampleRate only in init_constants; Count only in compute;
 * - nesting of expressions and statements at most kMaxNesting, so the executors
 *   (which recurse on it) have a bounded stack.
 *
 * Messages name the function and the statement path, e.g.
 * `compute: stmt 2.1 (SetField fRec0): value is f64, the field is f32`.
 * At most kMaxErrors are returned (then a last one says that more were cut).
 */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/loop_ir.h"

namespace tutti::ir {

inline constexpr std::uint32_t kMaxNesting = 2048;
inline constexpr std::size_t kMaxErrors = 100;

std::vector<std::string> verify(const Module& m);

} // namespace tutti::ir
