// SPDX-License-Identifier: MIT
/** \file
 * Relocatable machine code: a compiled program as plain data that can be
 * stored (the compiled-code cache) or sent (a compile server to a thin client)
 * and loaded into this process's JIT without the compiler.
 *
 * A `MachineCode` is the program's `FactoryInfo`, the CPU it was generated for
 * and one relocatable object file (ELF) defining the four entry points of
 * codegen/llvm_codegen.h (tutti_init_constants, tutti_reset_controls,
 * tutti_clear_state, tutti_compute), which call only the C math library.
 *
 * Libraries: the codec and `machine_target_mismatch` are in tutti_runtime (no
 * LLVM); `host_machine_target` and `load_machine_code` in tutti_jit (the ORC
 * JIT, LLVM's shared library, not the compiler); `compile_machine_code`
 * (tutti/compiler.h) in tutti_compiler.
 *
 * The object is machine code: load only what this process or a server it
 * trusts produced. The container is checked (lengths, checksum, the info's
 * offsets); the code inside cannot be.
 */
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tutti/runtime.h"

namespace tutti {

/// A CPU that code is generated for, in LLVM's terms.
struct MachineTarget {
    std::string triple;   ///< "x86_64-pc-linux-gnu"
    std::string cpu;      ///< "znver3", "skylake", "generic"...
    std::string features; ///< "+avx,+avx2,...": the enabled features, sorted, comma-separated
    friend bool operator==(const MachineTarget&, const MachineTarget&) = default;
};

/// "<triple> <cpu> <features>", for messages.
std::string to_string(const MachineTarget& target);

/// Why code generated for `code` cannot run on `host` (another triple, or a CPU
/// feature `code` may use that `host` lacks); empty when it can.
std::string machine_target_mismatch(const MachineTarget& code, const MachineTarget& host);

/// This machine's CPU, as the JIT generates code for it.
MachineTarget host_machine_target();

struct MachineCode {
    FactoryInfo info;
    MachineTarget target;
    std::string object; ///< the relocatable object file's bytes
};

/// A versioned, checksummed container (the FactoryInfo codec's conventions):
/// magic "TMC\x01", version, then the info, the target and the object.
std::string encode_machine_code(const MachineCode& code);
std::optional<MachineCode> decode_machine_code(std::string_view bytes, std::string* error);

/// A factory running `code` in this process (implementation() "llvm-object"):
/// null and `error` set when the code is for another machine
/// (machine_target_mismatch against host_machine_target()), when the program
/// needs what machine code does not carry (sound files), or when the object
/// does not link.
std::shared_ptr<const Factory> load_machine_code(const MachineCode& code, std::string* error);

} // namespace tutti
