// SPDX-License-Identifier: MIT
#include "compiler/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <new>

#include "compiler/foreign_code.h"
#include "frontend/ast/ast_printer.h"
#include "ir/ir_printer.h"
#include "ir/ir_verifier.h"
#include "passes/associate_as_printed.h"
#include "passes/normalize.h"
#include "signals/propagate.h"

namespace tutti::compiler {

PipelineState::PipelineState(frontend::FrontendSession& fs_, std::string program_path_,
                             std::optional<std::string> source_, const CompileOptions& options_)
    : fs(fs_), options(options_), program_path(std::move(program_path_)),
      source(std::move(source_)), budget(options_.max_memory_bytes, options_.max_seconds) {
}

diag::SourceRange PipelineState::process_origin() const {
    if (boxes && program.process != nullptr) {
        diag::SourceRange at = boxes->origin(program.process);
        if (at.begin.file != 0) {
            return at;
        }
    }
    return program_start;
}

namespace {

// ------------------------------------------------------------------ printing

std::string number(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

std::string type_text(passes::SigType t) {
    static const char* vars[] = {"konst", "init", "block", "sample"};
    return std::string(t.nature == passes::Nature::Int ? "int" : "real") + " " +
           vars[std::size_t(t.var)];
}

std::string print_signals(const PipelineState& st) {
    return sig::print(st.outputs);
}

// ------------------------------------------------------------------ parse

bool parse(PipelineState& st) {
    st.parsed = st.source ? st.fs.parse_program_text(st.program_path, *st.source)
                          : st.fs.parse_program(st.program_path);
    if (st.parsed == nullptr || st.fs.diagnostics().has_errors()) {
        return false;
    }
    if (st.parsed->root != nullptr) {
        st.program_start = {st.parsed->root->range.begin, st.parsed->root->range.begin};
    }
    return true;
}

std::string dump_parse(const PipelineState& st) {
    return ast::print(st.parsed->root) + "\n";
}

// ------------------------------------------------------------------ evaluate

bool evaluate(PipelineState& st) {
    st.boxes = std::make_unique<boxes::BoxContext>(st.fs.interner());
    eval::EvalOptions eo;
    eo.double_precision = st.options.double_precision;
    eo.budget = &st.budget;
    eo.entry = st.options.entry;
    st.program = eval::evaluate_program(st.fs, *st.parsed, *st.boxes, eo);
    return st.program.process != nullptr && !st.fs.diagnostics().has_errors();
}

std::string dump_evaluate(const PipelineState& st) {
    return boxes::print(st.program.process) + "\n";
}

// ------------------------------------------------------------------ propagate

bool propagate(PipelineState& st) {
    st.signals = std::make_unique<sig::SignalContext>(st.fs.interner());
    sig::SignalContext& sc = *st.signals;
    sc.set_program_file(st.parsed->id);
    sig::PropagateResult pr =
        sig::propagate_process(st.program.process, sc, 20000, st.boxes.get(), &st.budget);
    if (!pr.error.empty()) {
        diag::SourceRange at = st.boxes->origin(pr.error_box);
        if (at.begin.file == 0) {
            at = st.process_origin();
        }
        st.fs.diagnostics().add(pr.too_deep   ? diag::diags::diagram_too_deep(at, pr.error)
                                : pr.internal ? diag::diags::internal_error(at, pr.error)
                                              : diag::diags::unsupported_feature(at, pr.error));
        return false;
    }
    sc.inherit_program_origins(pr.outputs);
    st.outputs = std::move(pr.outputs);
    return true;
}

// ------------------------------------------------------------------ the signal passes

bool type(PipelineState& st) {
    st.types = passes::infer_types(st.outputs);
    return true;
}

std::string dump_types(const PipelineState& st) {
    return sig::print(st.outputs, [&](const sig::Signal* s) { return type_text(st.types.of(s)); });
}

bool normalize(PipelineState& st) {
    st.outputs = passes::normalize(st.outputs, *st.signals, st.types, &st.budget);
    return true;
}

bool associate(PipelineState& st) {
    st.outputs = passes::associate_as_printed(st.outputs, *st.signals);
    return true;
}

bool intervals(PipelineState& st) {
    st.types = passes::infer_types(st.outputs);
    st.intervals = passes::infer_intervals(st.outputs);
    return true;
}

std::string dump_intervals(const PipelineState& st) {
    return sig::print(st.outputs, [&](const sig::Signal* s) {
        passes::Interval i = st.intervals.of(s);
        return type_text(st.types.of(s)) + " [" + number(i.lo) + ", " + number(i.hi) + "]";
    });
}

// ------------------------------------------------------------------ lower

/// The diagnostic of a lowering error: the user's mistakes each with what to
/// change; the compiler's own faults as internal errors.
diag::Diag lowering_diagnostic(const lower::LowerResult& lr, diag::SourceRange at) {
    using K = lower::LowerErrorKind;
    const std::string line_limit = "16777216";
    switch (lr.error_kind) {
    case K::UnboundedDelay:
        return diag::diags::unbounded_delay(at);
    case K::NegativeDelay:
        return diag::diags::negative_delay(at);
    case K::DelayTooLarge:
        return diag::diags::delay_too_large(at, lr.error_detail, line_limit);
    case K::NotConstant:
        return diag::diags::must_be_constant(at, lr.error_detail);
    case K::TableSize:
        return diag::diags::invalid_table_size(at, lr.error_detail, line_limit);
    case K::TableNotAtInit:
        return diag::diags::table_not_at_init(at);
    case K::TableUsesInputs:
        return diag::diags::table_uses_inputs(at);
    case K::UnknownForeign:
        return diag::diags::unknown_foreign(at, lr.error_detail);
    case K::TooDeep:
        return diag::diags::signal_too_deep(at);
    case K::Unsupported:
        return diag::diags::unsupported_primitive(at, lr.error_detail);
    case K::StateTooLarge:
        return diag::diags::state_too_large(at, lr.error);
    case K::ForeignArity:
        return diag::diags::foreign_arity(at, lr.error);
    case K::SoundPart:
        return diag::diags::soundfile_part_range(at, lr.error_detail);
    case K::Internal:
        break;
    }
    return diag::diags::internal_error(at, lr.error);
}

bool lower_signals(PipelineState& st) {
    sig::SignalContext& sc = *st.signals;
    st.lowered = lower::lower(st.outputs, st.program.process->inputs, sc, std::move(st.types),
                              std::move(st.intervals), st.options.double_precision, &st.budget);
    st.types = {};
    st.intervals = {};
    const lower::LowerResult& lr = st.lowered;
    if (lr.module) {
        return true;
    }
    diag::SourceRange at =
        lr.error_signal != nullptr ? sc.program_origin(lr.error_signal) : diag::SourceRange{};
    if (at.begin.file == 0 && lr.error_signal != nullptr) {
        at = sc.origin(lr.error_signal);
    }
    if (at.begin.file == 0) {
        at = st.process_origin(); // a signal with no place of its own: the process definition
    }
    st.fs.diagnostics().add(lowering_diagnostic(lr, at));
    return false;
}

std::string dump_ir(const PipelineState& st) {
    return ir::print(*st.lowered.module);
}

// ------------------------------------------------------------------ foreign

/// Where the headers of foreign functions are looked for: the program's folder,
/// each -I folder, then the installed Faust folder and its subfolders (the
/// examples' headers live there: sam/fast_pow2.h).
std::vector<std::filesystem::path> foreign_search_path(const frontend::ParsedFile& pf,
                                                       const CompileOptions& options) {
    std::vector<std::filesystem::path> dirs{pf.path.parent_path().empty() ? "."
                                                                          : pf.path.parent_path()};
    for (const std::string& d : options.include_dirs) {
        dirs.emplace_back(d);
    }
    for (const char* root : {"/usr/share/faust", "/usr/local/share/faust"}) {
        std::error_code ec;
        if (!std::filesystem::is_directory(root, ec)) {
            continue;
        }
        dirs.emplace_back(root);
        for (const auto& e : std::filesystem::directory_iterator(root, ec)) {
            if (e.is_directory(ec)) {
                dirs.push_back(e.path());
            }
        }
    }
    return dirs;
}

bool foreign(PipelineState& st) {
    lower::LowerResult& lr = st.lowered;
    if (lr.module->foreign.empty()) {
        return true;
    }
    auto where = [&](std::size_t i) {
        return i < lr.foreign_signals.size() ? st.signals->program_origin(lr.foreign_signals[i])
                                             : diag::SourceRange{};
    };
    if (!st.options.allow_foreign_code) {
        st.fs.diagnostics().add(
            diag::diags::foreign_code_forbidden(where(0), lr.module->foreign[0].name));
        return false;
    }
    ForeignBuild fb = build_foreign_code(*lr.module, foreign_search_path(*st.parsed, st.options));
    if (!fb.ok) {
        st.fs.diagnostics().add(diag::diags::foreign_code_failed(where(fb.failed_entry), fb.error));
        return false;
    }
    return true;
}

std::string dump_foreign(const PipelineState& st) {
    std::string out;
    for (const auto& f : st.lowered.module->foreign) {
        out += f.name + "\n";
    }
    return out.empty() ? "no foreign functions\n" : out;
}

// ------------------------------------------------------------------ verify

bool verify(PipelineState& st) {
    std::vector<std::string> problems = ir::verify(*st.lowered.module);
    if (!problems.empty()) {
        st.fs.diagnostics().add(
            diag::diags::internal_error(st.program_start, "invalid IR: " + problems[0]));
        return false;
    }
    return true;
}

std::string dump_verify(const PipelineState& st) {
    const ir::Module& m = *st.lowered.module;
    return "valid loop IR: " + std::to_string(m.fields.size()) + " fields, " +
           std::to_string(m.state_bytes) + " bytes of state\n";
}

// ------------------------------------------------------------------ backend

/// Past these sizes the LLVM backend compiles without optimisation.
constexpr std::size_t max_optimised_channels = 256;
constexpr std::size_t max_optimised_controls = 512;

bool backend(PipelineState& st) {
    const ir::Module& m = st.module();
    if (st.options.backend == Backend::Interpreter) {
        return true; // the interpreted factory (compiler.cpp) runs the loop IR as it is
    }
    jit::JitOptions jo;
    jo.opt_level = st.options.opt_level;
    jo.fast_math = st.options.math == MathMode::Fast;
    // LLVM's optimiser grows faster than linearly with the number of audio
    // channels and of controls (alias analysis across every buffer pointer,
    // the scheduler on one huge block): past these sizes a program is
    // compiled without it, in seconds rather than minutes (par(i, 2000, _):
    // 0.3 s instead of 9.5 s; par(i, 20000, _): 2 s instead of > 2 min)
    const std::size_t channels = m.num_inputs + m.num_outputs;
    if (channels > max_optimised_channels || st.lowered.controls.size() > max_optimised_controls) {
        jo.opt_level = 0;
    }
    if (st.object_target) {
        jit::ObjectResult obj = codegen::emit_native_object(m, jo, *st.object_target);
        if (!obj.error.empty()) {
            st.fs.diagnostics().add(diag::diags::backend_failed(st.program_start, obj.error));
            return false;
        }
        st.object = std::move(obj.object);
        return true;
    }
    jo.keep_object = st.keep_object;
    st.native = codegen::compile_native(m, jo);
    if (!st.native.module) {
        st.fs.diagnostics().add(diag::diags::backend_failed(st.program_start, st.native.error));
        return false;
    }
    return true;
}

std::string dump_backend(const PipelineState& st) {
    if (st.options.backend == Backend::Interpreter) {
        return "interpreter: runs the loop IR of 'lower' as it is\n";
    }
    return codegen::emit_llvm_text(st.module(), st.options.math == MathMode::Fast);
}

constexpr Pass pass_list[] = {
    {"parse", "source text -> syntax trees (the program and every file it imports)", parse,
     dump_parse},
    {"evaluate", "syntax trees -> the process as a block diagram in normal form (boxes)", evaluate,
     dump_evaluate},
    {"propagate", "boxes -> output signals (hash-consed graph, recursion groups)", propagate,
     print_signals},
    {"type", "nature and variability of the propagated signals (read by normalize)", type,
     dump_types},
    {"normalize",
     "the reference's algebraic normal form (casts promoted, sums and products ordered)", normalize,
     print_signals},
    {"associate", "sums and products associated as the reference's C++ text is", associate,
     print_signals},
    {"intervals", "types and value intervals of the final signals (read by lower)", intervals,
     dump_intervals},
    {"lower", "signals -> loop IR (state fields, init/block/frame code, delay lines, tables)",
     lower_signals, dump_ir},
    {"foreign", "builds the C/C++ headers of ffunctions into the process", foreign, dump_foreign},
    {"verify", "checks the loop IR's invariants", verify, dump_verify},
    {"interface", "the factory's description: parameters, JSON UI, state layout, content key",
     describe_interface, dump_interface},
    {"backend", "loop IR -> native code (LLVM JIT) or the interpreter", backend, dump_backend},
};

bool wanted(const CompileOptions& o, std::string_view name) {
    if (!o.dump) {
        return false;
    }
    return std::any_of(o.dump_after.begin(), o.dump_after.end(),
                       [&](const std::string& d) { return d == name || d == "all"; });
}

/// CPU time of the calling thread.
double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) * 1e-6;
}

} // namespace

std::span<const Pass> passes() {
    return pass_list;
}

bool run_pipeline(PipelineState& st, std::vector<PassTiming>& timings, std::string_view from,
                  std::string_view through) {
    const Pass* current = nullptr;
    auto start = std::chrono::steady_clock::now();
    double cpu_start = thread_cpu_ms();
    auto time_current = [&] {
        auto end = std::chrono::steady_clock::now();
        timings.push_back({current->name,
                           std::chrono::duration<double, std::milli>(end - start).count(),
                           thread_cpu_ms() - cpu_start});
        current = nullptr;
    };
    bool started = from.empty();
    try {
        for (const Pass& p : pass_list) {
            started = started || from == p.name;
            if (!started) {
                continue;
            }
            current = &p;
            start = std::chrono::steady_clock::now();
            cpu_start = thread_cpu_ms();
            bool ok = p.run(st);
            time_current();
            if (!ok) {
                return false;
            }
            if (wanted(st.options, p.name)) {
                st.options.dump(p.name, p.dump(st));
            }
            st.budget.check_now(std::string_view(p.name) == "propagate" ? st.process_origin()
                                                                        : st.program_start);
            if (through == p.name) {
                break;
            }
        }
        return true;
    } catch (BudgetExceeded& e) {
        if (e.where.begin.file == 0) {
            e.where = st.program_start; // a signal or box made by the compiler: no place of its own
        }
        st.fs.diagnostics().add(st.budget.diagnostic(e));
    } catch (const std::bad_alloc&) {
        // not a bug of the compiler: the machine had no more memory to give
        // at the place last expanded (a compile server's compiler process
        // bounded by RLIMIT_AS ends here when one large allocation passes it)
        const diag::SourceRange where = st.budget.last_place();
        st.fs.diagnostics().add(
            diag::diags::out_of_memory(where.begin.file != 0 ? where : st.program_start));
    } catch (const std::exception& e) {
        st.fs.diagnostics().add(diag::diags::internal_error(st.program_start, e.what()));
    }
    if (current != nullptr) {
        time_current(); // the pass that threw is the last one timed
    }
    return false;
}

} // namespace tutti::compiler

namespace tutti {

std::vector<PipelinePass> pipeline_passes() {
    std::vector<PipelinePass> out;
    for (const compiler::Pass& p : compiler::passes()) {
        out.push_back({p.name, p.summary});
    }
    return out;
}

} // namespace tutti
