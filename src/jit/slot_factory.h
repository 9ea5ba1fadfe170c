// SPDX-License-Identifier: MIT
/** \file
 * Code whose real constants live in slots (ir/constant_slots.h), and the
 * factories that run it with a block of constants each: a version of a program
 * that differs from the code's loop IR only in the values of real constants is
 * made by writing its values into a new block, with no compilation
 * (CompileResult::patch_constants, issue 14).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "ir/constant_slots.h"
#include "ir/loop_ir.h"
#include "jit/jit_engine.h"
#include "tutti/runtime.h"

namespace tutti {

/// Compiled code with constant slots and the loop IR it was made from
/// (declared in tutti/compiler.h; the engine holds it without looking inside).
class ConstantSlotCode {
public:
    using InitConstants = void (*)(void* state, std::int32_t sample_rate, const void* slots);
    using StateFunction = void (*)(void* state, const void* slots);
    using Compute = void (*)(void* state, std::int32_t count, const void* const* inputs,
                             void* const* outputs, const void* slots);

    std::unique_ptr<jit::CompiledModule> module;
    InitConstants init_constants = nullptr;
    StateFunction reset_controls = nullptr;
    StateFunction clear_state = nullptr;
    Compute compute = nullptr;
    std::shared_ptr<const ir::Module> ir; ///< the loop IR the code was made from
    ir::ConstantSlots slots;
};

namespace jit {

/// A factory running `code` with `constants` (ir::slot_block) in its slots;
/// implementation() "llvm-jit-slots".
std::shared_ptr<const Factory> make_slot_factory(FactoryInfo info,
                                                 std::shared_ptr<const ConstantSlotCode> code,
                                                 std::vector<std::byte> constants);

} // namespace jit
} // namespace tutti
