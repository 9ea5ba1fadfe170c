// SPDX-License-Identifier: MIT
/** \file
 * The compilation pipeline, written once (Halide's Lower.cpp): one ordered list
 * of passes, each with a name, a function that runs it on the state the
 * passes hand one another, and a printer of its output. `run_pipeline` runs
 * the list, timing each pass, printing the ones CompileOptions::dump_after
 * names, and checking the compilation's Budget between passes; the first pass
 * that reports an error ends it. compile_file/compile_source (compiler.cpp),
 * `tutti check --timings/--dump-after/--dump-all` and the stage goldens all go
 * through it. The list and what each pass reads and writes: docs/pipeline.md.
 *
 * The list lives here rather than in src/passes because it spans every stage
 * (front end to LLVM), and a stage may only depend on the ones before it.
 */
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "boxes/box.h"
#include "codegen/llvm_codegen.h"
#include "eval/evaluate.h"
#include "frontend/frontend_session.h"
#include "lower/lower.h"
#include "passes/infer_intervals.h"
#include "passes/infer_types.h"
#include "runtime/local_instance.h"
#include "signals/signal.h"
#include "support/budget.h"
#include "tutti/compiler.h"

namespace tutti::compiler {

/// What the passes hand one another; owned by one compilation. Each field is
/// written by the pass named next to it.
struct PipelineState {
    PipelineState(frontend::FrontendSession& fs, std::string program_path,
                  std::optional<std::string> source, const CompileOptions& options);

    frontend::FrontendSession& fs;
    const CompileOptions& options;
    std::string program_path;          ///< the file, or the name of the source text
    std::optional<std::string> source; ///< the program's text when it is not read from program_path
    Budget budget;

    const frontend::ParsedFile* parsed = nullptr; ///< parse
    diag::SourceRange program_start{}; ///< parse: where errors without a place of their own go
    std::unique_ptr<boxes::BoxContext> boxes;    ///< evaluate
    eval::Program program;                       ///< evaluate
    std::unique_ptr<sig::SignalContext> signals; ///< propagate
    std::vector<const sig::Signal*>
        outputs;             ///< propagate, normalize, associate: the current signals
    passes::TypeTable types; ///< type (of the propagated signals), intervals (of the final ones)
    passes::IntervalTable intervals; ///< intervals
    lower::LowerResult lowered;      ///< lower
    runtime::SoundSlots sounds;      ///< interface: the soundfiles' sounds, loaded (compiler.cpp)
    std::unique_ptr<FactoryInfo> factory; ///< interface (compiler.cpp)
    codegen::NativeCode native; ///< backend (LLVM; the interpreter runs lowered.module as it is)
    /// Relocatable machine code (compile_machine_code): keep the object the JIT
    /// links (native.module->object()), or, with `object_target` (another CPU),
    /// make only the object, into `object`, and no JIT.
    bool keep_object = false;
    std::optional<MachineTarget> object_target;
    std::string object; ///< backend, with object_target
    /// A tiered compilation (compiler.cpp) moves lowered.module here once the
    /// interpreted factory shares it; the backend then reads it from here.
    std::shared_ptr<const ir::Module> shared_module;

    /// The loop IR of "lower" (wherever it is held now).
    const ir::Module& module() const {
        return lowered.module ? *lowered.module : *shared_module;
    }

    /// The place of the process definition, or the start of the program.
    diag::SourceRange process_origin() const;
};

struct Pass {
    const char* name;
    const char* summary;
    /// false: the pass reported its error into the session's diagnostics.
    bool (*run)(PipelineState&);
    /// The printed output of the pass (after it ran).
    std::string (*dump)(const PipelineState&);
};

/// The passes, in the order they run.
std::span<const Pass> passes();

/// Runs every pass in order (each timed into `timings`, dumped when asked);
/// false when one failed or a limit was passed (the diagnostics are in the session).
/// `from`/`through`: only the passes from the one so named through the one so
/// named (empty: the first, the last), for a tiered compilation, which stops
/// after "interface" and runs "backend" later.
bool run_pipeline(PipelineState& st, std::vector<PassTiming>& timings, std::string_view from = {},
                  std::string_view through = {});

/// The "interface" pass (compiler.cpp): the Factory's description of the
/// program (name, metadata, parameters, JSON UI, state layout, content key)
/// into st.factory, and the sounds of its soundfiles into st.sounds; and its
/// dump (the JSON).
bool describe_interface(PipelineState& st);
std::string dump_interface(const PipelineState& st);

} // namespace tutti::compiler
