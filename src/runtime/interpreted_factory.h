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
/// `sounds`: the sounds of its soundfiles (none when it has none).
std::shared_ptr<const Factory> make_interpreted_factory(FactoryInfo info,
                                                        std::unique_ptr<ir::Module> module,
                                                        SoundSlots sounds = {});

} // namespace tutti::runtime
