// SPDX-License-Identifier: MIT
/** \file
 * The compiler's public API: a Faust program (file or source text) becomes a
 * `Factory` (or a list of diagnostics); a factory makes `Instance`s that run the
 * program (tutti/runtime.h: the runtime library, which hosts may link without
 * the compiler). Nothing here throws: errors come back as diagnostics.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tutti/diagnostics.h"
#include "tutti/machine_code.h"
#include "tutti/runtime.h"

namespace tutti {

enum class Backend { Llvm, Interpreter };

struct CompileOptions {
    bool double_precision = false;
    Backend backend = Backend::Llvm;
    std::vector<std::string> include_dirs; ///< -I DIR, searched after the program's folder
    int opt_level = 2;                     ///< LLVM optimisation level 0..3
    /// `ffunction` of a function of a C/C++ header (not of the C math library):
    /// the header is compiled with the host's C++ compiler and loaded into the
    /// process. A server compiling other people's programs sets this to false.
    bool allow_foreign_code = true;
    /// Hard limits of one compilation; passing one ends the compilation with a
    /// diagnostic (compile_memory_limit, compile_time_limit) at the place of the
    /// program that was being expanded. 0: no limit. Memory is the growth of the
    /// process's resident set during the compilation (compilations running at
    /// once in one process share it); time is wall-clock time.
    std::uint64_t max_memory_bytes = std::uint64_t(2) << 30;
    double max_seconds = 60;
    /// Passes (pipeline_passes()) whose output to hand to `dump` after they
    /// run; "all" names every pass. Printing costs time: leave empty to compile.
    std::vector<std::string> dump_after{};
    /// Receives the printed output of each pass named in `dump_after`.
    std::function<void(std::string_view pass, std::string_view text)> dump{};
    /// The top-level definition of the program file to compile: Faust's
    /// `process`, or another, such as the `effect` of a polyphonic program
    /// (faust -effect auto). An undefined name is an undefined_symbol error.
    std::string entry = "process";
};

/// One pass of the compilation pipeline (docs/pipeline.md), in order.
struct PipelinePass {
    std::string name;    ///< "parse", "evaluate", ... "backend"
    std::string summary; ///< what it does, in a line
};
std::vector<PipelinePass> pipeline_passes();

/// The wall-clock time one pass took.
struct PassTiming {
    std::string pass;
    double milliseconds = 0;
};

struct CompileResult {
    std::shared_ptr<const Factory> factory; ///< null when there were errors
    std::vector<Diagnostic> diagnostics;
    /// The passes that ran, in order, with their time (also when one failed:
    /// the failing pass is the last).
    std::vector<PassTiming> timings;
    bool ok() const {
        return factory != nullptr;
    }
};

CompileResult compile_file(const std::string& path, const CompileOptions& options = {});
CompileResult compile_source(const std::string& name, const std::string& source,
                             const CompileOptions& options = {});

/// A program to compile: a file, or source text and the name it goes by.
struct ProgramSource {
    bool is_file = true;
    std::string path_or_name;
    std::string text; ///< the source when !is_file
};
/// compile_file or compile_source, as `program` says (what the engine's
/// EngineOptions::compiler is set to for it to compile in this process).
CompileResult compile_program(const ProgramSource& program, const CompileOptions& options = {});

/// A program as Faust's MIDI architectures make it (faust2jack -midi -nvoices N
/// -effect auto): polyphonic with `voices` voices when `voices` > 0, else with
/// as many as it declares (`declare nvoices "N"`), each playing `process`, mixed
/// into the `effect` definition of the same file when it has one; the program
/// itself (options.entry) when neither asks for voices. The factory's
/// info().voices says which (runtime/poly_factory.h describes the voices).
CompileResult compile_instrument(const ProgramSource& program, const CompileOptions& options = {},
                                 int voices = 0);
/// The same, compiling the voice and the effect with `compile` (e.g. through
/// the compiled-code cache) instead of compile_program.
CompileResult compile_instrument(
    const ProgramSource& program, const CompileOptions& options, int voices,
    const std::function<CompileResult(const ProgramSource&, const CompileOptions&)>& compile);

/// A compilation to relocatable machine code (tutti/machine_code.h), which a
/// process without the compiler loads with load_machine_code.
struct MachineCodeResult {
    /// The code; absent when the compilation failed (diagnostics) or when the
    /// program needs what machine code does not carry (`refused` says what).
    std::optional<MachineCode> code;
    /// For this machine's CPU: a ready factory from the same compilation (the
    /// code as the JIT linked it); null for another CPU or on failure.
    std::shared_ptr<const Factory> factory;
    std::string refused; ///< foreign functions (ffunction of a header), sound files
    /// For each of the info's source_files, the 64-bit checksum of the text the
    /// compilation read (runtime/factory_info_codec.h's checksum64): what a cache
    /// compares the files with afterwards (a file edited during the compilation).
    std::vector<std::uint64_t> source_checksums;
    std::vector<Diagnostic> diagnostics;
    std::vector<PassTiming> timings;
    bool ok() const {
        return code.has_value();
    }
};

/// Compiles `program` with the LLVM backend (whatever options.backend says) for
/// `target` (this machine's CPU when absent), which goes into the content key.
MachineCodeResult compile_machine_code(const ProgramSource& program,
                                       const CompileOptions& options = {},
                                       const std::optional<MachineTarget>& target = std::nullopt);

} // namespace tutti
