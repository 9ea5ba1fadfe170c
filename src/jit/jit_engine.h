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

namespace llvm {
class LLVMContext;
class Module;
namespace orc {
class LLJIT;
}
} // namespace llvm

namespace tutti::jit {

struct JitOptions {
    int opt_level = 2; ///< 0..3: the new pass manager's default pipeline
    /// The loop vectorizer (it does not change results: no fast-math). Off for
    /// programs with thousands of channels, where its run-time alias checks
    /// between every pair of channel buffers cost seconds for nothing.
    bool vectorize_loops = true;
    /// Fast-math (CompileOptions' MathMode::Fast): the code generator marks
    /// float operations `fast` and lets LLVM rewrite libm calls; the target
    /// machine contracts into FMA. Off: the exact rules above.
    bool fast_math = false;
};

class CompiledModule {
public:
    explicit CompiledModule(std::unique_ptr<llvm::orc::LLJIT> jit);
    ~CompiledModule();
    CompiledModule(const CompiledModule&) = delete;
    CompiledModule& operator=(const CompiledModule&) = delete;

    /// Address of a function or global of the module; nullptr and `error` set when absent.
    void* lookup(std::string_view name, std::string* error = nullptr) const;

    template <class F> F function(std::string_view name, std::string* error = nullptr) const {
        return reinterpret_cast<F>(lookup(name, error));
    }

private:
    std::unique_ptr<llvm::orc::LLJIT> jit_;
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

} // namespace tutti::jit
