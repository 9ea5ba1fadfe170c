// SPDX-License-Identifier: MIT
/** \file
 * The interpreted implementation of the runtime's Factory: the loop IR run by
 * ir::Interpreter, in this process. Needs no LLVM (the compiler's
 * Backend::Interpreter; also what a host without a JIT can run).
 */
#pragma once

#include <memory>

#include "ir/loop_ir.h"
#include "runtime/local_instance.h"
#include "tutti/runtime.h"

namespace tutti::runtime {

/// A factory running `module` (verified and laid out) with the interpreter;
/// `sounds`: the sounds of its soundfiles (none when it has none). The module is
/// shared: a tiered compilation (CompileOptions::tiered) runs it here while the
/// LLVM backend compiles it on another thread.
std::shared_ptr<const Factory> make_interpreted_factory(FactoryInfo info,
                                                        std::shared_ptr<const ir::Module> module,
                                                        SoundSlots sounds = {});

/// How many instructions the interpreter runs per call of `compute` for a factory
/// made by make_interpreted_factory (loops counted once): a measure of its cost per
/// frame; 0 for another implementation.
std::size_t interpreted_compute_size(const Factory& factory);

} // namespace tutti::runtime
