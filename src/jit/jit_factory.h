// SPDX-License-Identifier: MIT
/** \file
 * The JIT-compiled implementation of the runtime's Factory: machine code made
 * by codegen/ through the ORC JIT (jit_engine.h), run in this process. The
 * factory owns the compiled module (its LLJIT: destroying the last instance and
 * the factory frees the code) and the loop IR it was made from.
 */
#pragma once

#include <cstdint>
#include <memory>

#include "ir/loop_ir.h"
#include "jit/jit_engine.h"
#include "runtime/local_instance.h"
#include "tutti/runtime.h"

namespace tutti::jit {

/// The four entry points of a compiled program (codegen/llvm_codegen.h).
struct EntryPoints {
    void (*init_constants)(void* state, std::int32_t sample_rate) = nullptr;
    void (*reset_controls)(void* state) = nullptr;
    void (*clear_state)(void* state) = nullptr;
    void (*compute)(void* state, std::int32_t count, const void* const* inputs,
                    void* const* outputs) = nullptr;
};

std::shared_ptr<const Factory>
make_jit_factory(FactoryInfo info, std::unique_ptr<CompiledModule> code, EntryPoints entry,
                 std::shared_ptr<const ir::Module> module, runtime::SoundSlots sounds = {});

/// The same for code loaded from a relocatable object (tutti::load_machine_code):
/// implementation() "llvm-object", no loop IR, no sounds.
std::shared_ptr<const Factory>
make_object_factory(FactoryInfo info, std::unique_ptr<CompiledModule> code, EntryPoints entry);

} // namespace tutti::jit
