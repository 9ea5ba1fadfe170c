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

/// How the LLVM backend may compute floating point (the interpreter is always exact).
enum class MathMode {
    /// Sample-exact with the reference compiler's C++ built without fast-math:
    /// every operation in the program's order, no reassociation, no FMA
    /// contraction, libm calls as written. The default.
    Exact,
    /// What libfaust's LLVM JIT and `g++ -Ofast` do: fast-math flags on every
    /// float operation (reassociation, contraction into FMA, no NaN/inf/signed
    /// zero guarantees, reciprocals), libm calls open to LLVM's rewrites. Close
    /// to the reference (relative differences of the order of float rounding,
    /// which feedback may grow), not bit-exact.
    Fast,
};
const char* to_string(MathMode mode); ///< "exact", "fast"
/// "exact" or "fast" -> the mode; nullopt for anything else.
std::optional<MathMode> parse_math_mode(std::string_view text);
/// Library files parsed once and shared by the compilations of a process (a
/// running engine, `tutti play --watch`): keyed by canonical path and checked
/// against a hash of the file's content at every compilation, so a changed
/// file is parsed again. Thread-safe; compilations holding it may run at once.
/// Made by make_library_cache(); given to compilations by
/// CompileOptions::library_cache.
class LibraryCache;
std::shared_ptr<LibraryCache> make_library_cache();
struct LibraryCacheStats {
    std::uint64_t hits = 0;   ///< library files taken from the cache
    std::uint64_t misses = 0; ///< library files parsed (first use, or changed)
    std::uint64_t files = 0;  ///< files held now
};
LibraryCacheStats library_cache_stats(const LibraryCache& cache);

struct CompileOptions {
    bool double_precision = false;
    Backend backend = Backend::Llvm;
    std::vector<std::string> include_dirs; ///< -I DIR, searched after the program's folder
    int opt_level = 2;                     ///< LLVM optimisation level 0..3
    MathMode math = MathMode::Exact;       ///< LLVM backend: exact or fast floating point
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
    /// Tiered compilation (the engine's EngineOptions::tiered): with the LLVM
    /// backend, compile_file/compile_source return as soon as the loop IR is
    /// ready, with an interpreted factory and CompileResult::next_tier, which
    /// compiles the same loop IR to LLVM code. The two factories have the same
    /// state layout, so the engine moves from one to the other carrying every
    /// field (docs/hot-swap.md).
    bool tiered = false;
    /// Parsed libraries shared with other compilations (nullptr: this
    /// compilation parses every file it reads).
    std::shared_ptr<LibraryCache> library_cache{};
    /// The previous version's program text and libraries digest
    /// (CompileResult::program_text, libraries_digest): when `classify_edit`
    /// is set, CompileResult::edit says how this version differs from it.
    bool classify_edit = false;
    std::string previous_text{};
    std::uint64_t previous_libraries = 0;
    /// Tiered: next_tier's result also carries its relocatable machine code
    /// (CompileResult::machine_code), for the compiled-code cache to store.
    bool keep_machine_code = false;
};

/// One pass of the compilation pipeline (docs/pipeline.md), in order.
struct PipelinePass {
    std::string name;    ///< "parse", "evaluate", ... "backend"
    std::string summary; ///< what it does, in a line
};
std::vector<PipelinePass> pipeline_passes();

/// The time one pass took.
struct PassTiming {
    std::string pass;
    double milliseconds = 0;     ///< wall-clock time
    double cpu_milliseconds = 0; ///< CPU time of the thread that ran it (other work on the
                                 ///< machine aside)
};

/// How a program's text changed from one version to the next.
enum class EditKind {
    Same,          ///< the same tokens (comments and spacing aside)
    ConstantsOnly, ///< the same tokens but for the values of numbers (of the same kind)
    Structural,    ///< anything else
};
/// "same", "constants", "structural" (inline: the engine, which does not link
/// the compiler, reports it)
inline const char* to_string(EditKind kind) {
    switch (kind) {
    case EditKind::Same:
        return "same";
    case EditKind::ConstantsOnly:
        return "constants";
    case EditKind::Structural:
        break;
    }
    return "structural";
}

/// Compiled code whose real constants are read from slots (issue 14): a later
/// version that differs only in the values of real constants runs on it with
/// its own constants, without compiling (CompileResult::patch_constants).
/// Opaque here (jit/slot_factory.h).
class ConstantSlotCode;

struct CompileResult {
    std::shared_ptr<const Factory> factory; ///< null when there were errors
    std::vector<Diagnostic> diagnostics;
    /// The passes that ran, in order, with their time (also when one failed:
    /// the failing pass is the last).
    std::vector<PassTiming> timings;
    /// CompileOptions::tiered: `factory` is the interpreted one; next_tier()
    /// runs the LLVM backend on the same loop IR (once, on any thread) and
    /// returns the LLVM factory. Empty otherwise.
    std::function<CompileResult()> next_tier{};
    /// CompileOptions::tiered, a program with neither foreign functions nor
    /// soundfiles: compiles (on any thread, any number of times) the same loop
    /// IR to LLVM code whose real constants are read from slots (null when it
    /// fails). Empty otherwise.
    std::function<std::shared_ptr<const ConstantSlotCode>()> slot_code{};
    /// With slot_code: this version as a factory running `code` (the slot code
    /// of an earlier version) with this version's constants written into its
    /// slots, no compilation; null when this version's loop IR differs from
    /// the code's in more than the values of real constants. Its samples are
    /// those of this version compiled afresh (same bits).
    std::function<std::shared_ptr<const Factory>(
        const std::shared_ptr<const ConstantSlotCode>& code)>
        patch_constants{};
    /// Instructions the interpreted factory runs per frame (its cost; 0 when
    /// `factory` is not interpreted).
    std::size_t interpreter_size = 0;
    /// A hash of the content of every file the compilation read but the
    /// program's own (its libraries): equal digests, same libraries.
    std::uint64_t libraries_digest = 0;
    /// The program's own text as compiled.
    std::string program_text{};
    /// With CompileOptions::classify_edit: how the program changed from the
    /// previous version (its libraries too: any change there is Structural).
    std::optional<EditKind> edit{};
    /// CompileOptions::keep_machine_code, the result of next_tier: the LLVM
    /// code as relocatable machine code (absent for what machine code does not
    /// carry: foreign functions, sound files), and the 64-bit checksum of each
    /// of the info's source_files as compiled (MachineCodeResult's).
    std::optional<MachineCode> machine_code{};
    std::vector<std::uint64_t> source_checksums{};
    bool ok() const {
        return factory != nullptr;
    }
};

/// Compares the tokens of two versions of a program's text (lexed as Faust).
EditKind classify_edit(std::string_view before, std::string_view after);

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
