// SPDX-License-Identifier: MIT
/** \file
 * Loop IR -> LLVM IR -> native code (through jit/). The generated functions
 * compute exactly what ir::Interpreter computes, bit for bit (ir/loop_ir.h and
 * ir/interpreter.h state the semantics):
 *
 *   void tutti_init_constants(i8* state, i32 sample_rate)
 *   void tutti_reset_controls(i8* state)
 *   void tutti_clear_state(i8* state)
 *   void tutti_compute(i8* state, i32 count, ptr* inputs, ptr* outputs)
 *
 * How each construct becomes LLVM IR:
 * - fields: byte offsets from `state` (GEP on i8, then on the element type);
 *   `state` is `noalias`: the state block must not overlap the I/O buffers;
 *   in a frame loop of one block, the elements accessed at constant indexes
 *   only live in registers from the first frame to the last (loaded before,
 *   stored after); a load of an element stored or loaded earlier in the same
 *   block is that value;
 * - a small frame loop calling a library function and selecting on a local set
 *   before it is emitted twice, once per value of that local (unswitching);
 * - locals and loop variables: allocas in the entry block, stored to zero first,
 *   promoted to registers by the optimiser (mem2reg/SROA);
 * - For / FrameLoop: a header testing `var < bound` (bounds evaluated once), the
 *   body, a latch adding 1; FrameLoop loads the channel pointers before the loop;
 * - integer arithmetic without `nsw`/`nuw`; Div/Rem divide by 1 when the divisor
 *   is 0 or the pair is INT_MIN/-1 and then select 0; shift counts are `& 31`;
 * - FtoI: `fptosi` selected only when -2^31 <= x < 2^31 (ordered, so NaN fails),
 *   INT_MIN otherwise (fptosi is poison out of range);
 * - Min/Max: compare and select (`b < a ? b : a`, `a < b ? b : a`);
 * - real Rem: `frem` (C fmod); comparisons ordered, `!=` unordered;
 * - no fast-math flags anywhere; the JIT forbids FMA contraction;
 * - Call: fabs, sqrt, floor, ceil, rint, round and copysign (exactly rounded,
 *   so any correct implementation gives the same bits) become LLVM intrinsics;
 *   every other function is declared by name, marked `nobuiltin` (LLVM must not
 *   constant-fold it with the host's libm nor rewrite it, e.g. pow(2, x) ->
 *   exp2(x)) and resolved by the JIT against the process libm, the functions
 *   the interpreter calls.
 */
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ir/constant_slots.h"
#include "ir/loop_ir.h"
#include "jit/jit_engine.h"

namespace tutti::codegen {

struct NativeCode {
    std::unique_ptr<jit::CompiledModule> module; ///< null on failure
    std::string error;
    void (*init_constants)(void* state, std::int32_t sample_rate) = nullptr;
    void (*reset_controls)(void* state) = nullptr;
    void (*clear_state)(void* state) = nullptr;
    void (*compute)(void* state, std::int32_t count, const void* const* inputs,
                    void* const* outputs) = nullptr;
};

/// Verifies `m` (laid out), generates LLVM IR and JIT-compiles it. On failure
/// `module` is null and `error` says why (verifier messages joined by newlines).
/// With `slots` (ir/constant_slots.h): every real constant is a load from a
/// block of memory each function takes as an extra, last argument
/// (init_constants(state, sample_rate, slots), ..., compute(state, count,
/// inputs, outputs, slots)); NativeCode's pointers then have those types
/// (jit/slot_factory.h calls them). The results are the same bits.
NativeCode compile_native(const ir::Module& m, const jit::JitOptions& options = {},
                          const ir::ConstantSlots* slots = nullptr);

/// Generates LLVM IR for `m` and compiles it for `target` into a relocatable
/// object file (jit::emit_object), with the options compile_native would use.
jit::ObjectResult emit_native_object(const ir::Module& m, const jit::JitOptions& options,
                                     const MachineTarget& target);

/// The unoptimised LLVM IR text of `m` (for dumps and debugging); the verifier
/// messages instead when `m` is invalid.
std::string emit_llvm_text(const ir::Module& m, bool fast_math = false);

} // namespace tutti::codegen
