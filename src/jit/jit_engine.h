// SPDX-License-Identifier: MIT
/** \file
 * The LLVM ORC JIT wrapper (LLVM 19). One `CompiledModule` per compiled DSP
 * version owns its own LLJIT instance, so destroying it frees the machine code
 * (Cmajor's LLJITHolder). Code is generated for the host CPU with the floating
 * point rules the reference compiler's output obeys under g++: no fast-math, no
 * FMA contraction (FPOpFusion::Strict), no flush-to-zero. Calls to libm
 * (`sinf`, `pow`...) resolve to the process's own libm, the one the reference
 * runner links.
 *
 * Only `codegen/llvm` and `jit/` include LLVM headers; errors leave this layer
 * as strings (the compiler turns them into diagnostics), never as llvm::Error.
 */
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tutti/machine_code.h"

namespace llvm {
class LLVMContext;
class Module;
namespace orc {
class LLJIT;
class JITDylib;
} // namespace orc
} // namespace llvm

namespace tutti::jit {

struct JitOptions {
    int opt_level = 2; ///< 0..3: the new pass manager's default pipeline
    /// The loop vectorizer (it does not change results: no fast-math). Off for
    /// programs with thousands of channels, where its run-time alias checks
    /// between every pair of channel buffers cost seconds for nothing.
    bool vectorize_loops = true;
    /// Keep a copy of the relocatable object the JIT links (CompiledModule::object()),
    /// for the compiled-code cache and thin clients.
    bool keep_object = false;
    /// Fast-math (CompileOptions' MathMode::Fast): the code generator marks
    /// float operations `fast` and lets LLVM rewrite libm calls; the target
    /// machine contracts into FMA; long sums become parallel partial sums
    /// (jit/balance_sums.h). Off: the exact rules above.
    bool fast_math = false;
};

class CompiledModule {
public:
    explicit CompiledModule(std::unique_ptr<llvm::orc::LLJIT> jit,
                            std::shared_ptr<const std::string> object = {});
    /// Code in `dylib` of the process's JIT for loaded objects (load_object),
    /// removed from it when this module is destroyed.
    CompiledModule(llvm::orc::LLJIT& shared, llvm::orc::JITDylib& dylib);
    ~CompiledModule();
    CompiledModule(const CompiledModule&) = delete;
    CompiledModule& operator=(const CompiledModule&) = delete;

    /// Address of a function or global of the module; nullptr and `error` set when absent.
    void* lookup(std::string_view name, std::string* error = nullptr) const;

    template <class F> F function(std::string_view name, std::string* error = nullptr) const {
        return reinterpret_cast<F>(lookup(name, error));
    }

    /// The relocatable object file the JIT made and linked, once a lookup made
    /// it compile (JitOptions::keep_object; empty otherwise).
    const std::string& object() const;

private:
    std::unique_ptr<llvm::orc::LLJIT> jit_;
    std::shared_ptr<const std::string> object_;
    llvm::orc::LLJIT* shared_ = nullptr;
    llvm::orc::JITDylib* dylib_ = nullptr;
};

struct CompileResult {
    std::unique_ptr<CompiledModule> module; ///< null on failure
    std::string error;
};

/// Verifies, optimises and JIT-compiles `module` (which must belong to `context`).
/// Thread-safe: each call builds its own LLJIT; two compilations may run at once.
CompileResult compile_module(std::unique_ptr<llvm::LLVMContext> context,
                             std::unique_ptr<llvm::Module> module, const JitOptions& options = {});

/// The host CPU name and features LLVM generates code for (part of cache keys).
std::string host_cpu_description();
/// The same as a MachineTarget (tutti::host_machine_target()).
MachineTarget host_machine_target();

/// Verifies, optimises and compiles `module` (of `context`) for `target` into a
/// relocatable object file (position-independent, small code model), with the
/// floating point rules of compile_module; no JIT is made. `error` set on failure.
struct ObjectResult {
    std::string object;
    std::string error;
};
ObjectResult emit_object(std::unique_ptr<llvm::LLVMContext> context,
                         std::unique_ptr<llvm::Module> module, const JitOptions& options,
                         const MachineTarget& target);

/// Adds a relocatable object made for this machine (by compile_module with
/// keep_object, or emit_object) to the process's JIT for loaded objects, in a
/// JITDylib of its own (no JIT to create per object: a load takes well under a
/// millisecond); its symbols link at the first lookup. Thread-safe.
CompileResult load_object(std::string_view object);

/// The host CPU name alone, as LLVM names it ("znver3", "skylake"): the code
/// target a server announces (src/discovery).
std::string host_cpu_name();

} // namespace tutti::jit
