// SPDX-License-Identifier: MIT
/** \file
 * The compilation pipeline behind include/tutti/compiler.h:
 *   parse (frontend) -> evaluate (eval) -> propagate (signals) -> lower (loop IR)
 *   -> verify -> interpreter or LLVM JIT (codegen)
 * Every stage reports into the session's diagnostics; the first stage that fails
 * ends the compilation. Each compilation has its own session: compilations on
 * different threads share nothing.
 */
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <new>

#include "boxes/box.h"
#include "boxes/box_digest.h"
#include "codegen/llvm_codegen.h"
#include "compiler/foreign_code.h"
#include "compiler/json_ui.h"
#include "compiler/sound_url.h"
#include "runtime/sound_files.h"
#include "signals/ui_path.h"
#include "eval/evaluate.h"
#include "frontend/frontend_session.h"
#include "ir/ir_verifier.h"
#include "lower/lower.h"
#include "signals/propagate.h"
#include "support/content_hash.h"
#include "jit/jit_engine.h"
#include "jit/jit_factory.h"
#include "runtime/interpreted_factory.h"
#include "tutti/compiler.h"
#include "tutti/version.h"

namespace tutti {

namespace {

Parameter::Kind param_kind(sig::SigKind k) {
    switch (k) {
    case sig::SigKind::Button:
        return Parameter::Kind::Button;
    case sig::SigKind::Checkbox:
        return Parameter::Kind::Checkbox;
    case sig::SigKind::VSlider:
        return Parameter::Kind::VSlider;
    case sig::SigKind::HSlider:
        return Parameter::Kind::HSlider;
    case sig::SigKind::NEntry:
        return Parameter::Kind::NEntry;
    case sig::SigKind::VBargraph:
        return Parameter::Kind::VBargraph;
    default:
        return Parameter::Kind::HBargraph;
    }
}

/// The parameters in control order, named as in the UI tree.
std::vector<Parameter> make_parameters(const std::vector<lower::Control>& controls, const compiler::UiTree& ui) {
    std::vector<Parameter> out;
    for (std::size_t i = 0; i < controls.size(); ++i) {
        const auto& c = controls[i];
        const compiler::UiNode& w = *ui.widgets[i];
        Parameter p;
        p.kind = param_kind(c.kind);
        p.init = c.init;
        p.min = c.min;
        p.max = c.max;
        p.step = c.step;
        p.path = w.address;
        p.label = w.label;
        p.shortname = w.shortname;
        p.metadata = w.meta;
        out.push_back(std::move(p));
    }
    return out;
}

/// Faust keeps one value per metadata key (every value for `author`, the
/// others as contributors), in the order its string trees were made: the order
/// the lexer first met each value's literal, across the files in the order it
/// parses them (`files`). The metadata sorted by key, each key's values in that
/// order.
std::vector<std::pair<std::string, std::string>> in_faust_value_order(
    std::vector<std::pair<std::string, std::string>> metadata, const std::vector<diag::FileId>& files,
    const diag::SourceManager& sources) {
    auto first_seen = [&](const std::string& value) {
        const std::string literal = '"' + value + '"';
        for (std::size_t k = 0; k < files.size(); ++k) {
            std::size_t at = sources.text(files[k]).find(literal);
            if (at != std::string_view::npos) {
                return std::pair<std::size_t, std::size_t>(k, at);
            }
        }
        return std::pair<std::size_t, std::size_t>(files.size(), 0);
    };
    std::map<std::string, int> values_of;
    for (const auto& kv : metadata) {
        ++values_of[kv.first];
    }
    std::vector<std::pair<std::size_t, std::size_t>> rank; // searched only where a key has several values
    for (const auto& kv : metadata) {
        rank.push_back(values_of[kv.first] > 1 ? first_seen(kv.second) : std::pair<std::size_t, std::size_t>());
    }
    std::vector<std::size_t> order(metadata.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return metadata[a].first < metadata[b].first ||
               (metadata[a].first == metadata[b].first && rank[a] < rank[b]);
    });
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i : order) {
        out.push_back(std::move(metadata[i]));
    }
    return out;
}

/// A 128-bit hash (support/content_hash.h) of the evaluated program, the options, the
/// compiler version and the host CPU.
std::string content_key_of(const std::string& program, const CompileOptions& o) {
    std::string text = program;
    text += "|double=" + std::to_string(o.double_precision) + "|backend=" +
            std::to_string(int(o.backend)) + "|opt=" + std::to_string(o.opt_level);
    text += "|tutti=" + std::string(tutti::version) + "|cpu=" + jit::host_cpu_description();
    support::Hash128 h;
    h.bytes(text);
    return h.hex();
}

/// The UI tree as the runtime keeps it: the walk of Faust's buildUserInterface, in order
/// (soundfiles, which are not parameters, left out).
void flatten_ui(const compiler::UiNode& n, std::size_t parameters, std::vector<UiItem>& out) {
    if (n.control >= 0 && std::size_t(n.control) >= parameters) {
        return; // a soundfile: not a parameter
    }
    if (n.control >= 0) {
        UiItem w;
        w.kind = UiItem::Kind::Widget;
        w.parameter = std::size_t(n.control);
        out.push_back(std::move(w));
        return;
    }
    UiItem open;
    open.kind = UiItem::Kind::OpenGroup;
    open.type = n.kind;
    open.label = n.label;
    open.metadata = n.meta;
    out.push_back(std::move(open));
    for (const auto& item : n.items) {
        flatten_ui(*item, parameters, out);
    }
    UiItem close;
    close.kind = UiItem::Kind::CloseGroup;
    out.push_back(std::move(close));
}

StateKind state_kind(ir::FieldKind k) {
    switch (k) {
    case ir::FieldKind::Control:
        return StateKind::Control;
    case ir::FieldKind::Constant:
        return StateKind::Constant;
    case ir::FieldKind::Table:
        return StateKind::Table;
    case ir::FieldKind::Delay:
        return StateKind::Delay;
    case ir::FieldKind::Recursion:
        return StateKind::Recursion;
    case ir::FieldKind::Iota:
        return StateKind::Iota;
    case ir::FieldKind::Sound:
        return StateKind::Sound;
    case ir::FieldKind::Other:
        break;
    }
    return StateKind::Other;
}

ValueType value_type(ir::Type t) {
    return t == ir::Type::I32 ? ValueType::I32 : t == ir::Type::F32 ? ValueType::F32 : ValueType::F64;
}

/// The typed form of the identity the lowering gave a field (lower/state_identity.h:
/// "<kind>:<position>:<shape>" in hex, "control:<path>", "iota"), read here once,
/// at the boundary between the compiler and the runtime.
StateIdentity typed_identity(const std::string& text) {
    using K = StateIdentity::Kind;
    StateIdentity id;
    if (text.empty()) {
        return id;
    }
    if (text == "iota") {
        id.kind = K::Iota;
        return id;
    }
    std::size_t a = text.find(':');
    const std::string kind = text.substr(0, a);
    if (kind == "control") {
        id.kind = K::Control;
        id.path = text.substr(a + 1);
        return id;
    }
    static const std::pair<const char*, K> kinds[] = {
        {"delay", K::Delay}, {"rec", K::Recursion}, {"table", K::Table}, {"rwtable", K::RwTable},
        {"held", K::Held},   {"prefix", K::Prefix}, {"wavepos", K::WavePos}};
    std::size_t b = a == std::string::npos ? a : text.find(':', a + 1);
    for (const auto& [name, k] : kinds) {
        if (kind == name && b != std::string::npos) {
            id.kind = k;
            id.position = std::stoull(text.substr(a + 1, b - a - 1), nullptr, 16);
            id.shape = std::stoull(text.substr(b + 1), nullptr, 16);
            return id;
        }
    }
    throw std::logic_error("state identity of an unknown form: " + text);
}

/// Past these sizes the LLVM backend compiles without optimisation (see compile_session).
constexpr std::size_t max_optimised_channels = 256;
constexpr std::size_t max_optimised_controls = 512;

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

/// Where the headers of foreign functions are looked for: the program's folder,
/// each -I folder, then the installed Faust folder and its subfolders (the
/// examples' headers live there: sam/fast_pow2.h).
std::vector<std::filesystem::path> foreign_search_path(const frontend::ParsedFile& pf, const CompileOptions& options) {
    std::vector<std::filesystem::path> dirs{pf.path.parent_path().empty() ? "." : pf.path.parent_path()};
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

CompileResult compile_session(frontend::FrontendSession& fs, const frontend::ParsedFile* pf,
                              const std::string& program_path, const CompileOptions& options) {
    const std::string program_name = std::filesystem::path(program_path).stem().string();
    const std::string program_file = std::filesystem::path(program_path).filename().string();
    CompileResult result;
    auto fail = [&]() {
        result.diagnostics = fs.resolved_diagnostics();
        return result;
    };
    if (pf == nullptr || fs.diagnostics().has_errors()) {
        return fail();
    }
    Budget budget(options.max_memory_bytes, options.max_seconds);
    diag::SourceRange program_start{};
    if (pf->root != nullptr) {
        program_start = {pf->root->range.begin, pf->root->range.begin};
    }
    try {
        boxes::BoxContext bc(fs.interner());
        eval::EvalOptions eo;
        eo.double_precision = options.double_precision;
        eo.budget = &budget;
        eval::Program prog = eval::evaluate_program(fs, *pf, bc, eo);
        if (prog.process == nullptr || fs.diagnostics().has_errors()) {
            return fail();
        }
        sig::SignalContext sc(fs.interner());
        sc.set_program_file(pf->id);
        sig::PropagateResult pr = sig::propagate_process(prog.process, sc, 20000, &bc, &budget);
        if (!pr.error.empty()) {
            diag::SourceRange at = bc.origin(pr.error_box);
            if (at.begin.file == 0) {
                at = bc.origin(prog.process).begin.file != 0 ? bc.origin(prog.process) : program_start;
            }
            fs.diagnostics().add(pr.too_deep   ? diag::diags::diagram_too_deep(at, pr.error)
                                 : pr.internal ? diag::diags::internal_error(at, pr.error)
                                               : diag::diags::unsupported_feature(at, pr.error));
            return fail();
        }
        sc.inherit_program_origins(pr.outputs);
        budget.check_now(bc.origin(prog.process));
        lower::LowerResult lr = lower::lower(pr.outputs, prog.process->inputs, sc, options.double_precision, &budget);
        if (!lr.module) {
            diag::SourceRange at = lr.error_signal != nullptr ? sc.program_origin(lr.error_signal) : diag::SourceRange{};
            if (at.begin.file == 0 && lr.error_signal != nullptr) {
                at = sc.origin(lr.error_signal);
            }
            if (at.begin.file == 0) {
                // a signal with no place of its own: the process definition
                at = bc.origin(prog.process).begin.file != 0 ? bc.origin(prog.process) : program_start;
            }
            fs.diagnostics().add(lowering_diagnostic(lr, at));
            return fail();
        }
        if (!lr.module->foreign.empty()) {
            auto where = [&](std::size_t i) {
                return i < lr.foreign_signals.size() ? sc.program_origin(lr.foreign_signals[i]) : diag::SourceRange{};
            };
            if (!options.allow_foreign_code) {
                fs.diagnostics().add(diag::diags::foreign_code_forbidden(where(0), lr.module->foreign[0].name));
                return fail();
            }
            compiler::ForeignBuild fb = compiler::build_foreign_code(*lr.module, foreign_search_path(*pf, options));
            if (!fb.ok) {
                fs.diagnostics().add(diag::diags::foreign_code_failed(where(fb.failed_entry), fb.error));
                return fail();
            }
        }
        runtime::SoundSlots sounds;
        if (!lr.sounds.empty()) {
            // loaded here, on the compiling thread: instances only point to them
            std::vector<std::string> dirs{pf->path.parent_path().empty() ? "." : pf->path.parent_path().string()};
            dirs.insert(dirs.end(), options.include_dirs.begin(), options.include_dirs.end());
            for (const lower::Sound& s : lr.sounds) {
                std::vector<sig::UiPathPart> parts = sig::split_ui_path(s.path);
                std::string url = compiler::sound_url(parts.empty() ? std::string() : parts.back().label);
                runtime::SoundLoad load = runtime::load_sound(url, dirs, options.double_precision, s.channels);
                diag::SourceRange at = sc.program_origin(s.signal);
                if (at.begin.file == 0) {
                    at = sc.origin(s.signal).begin.file != 0 ? sc.origin(s.signal) : program_start;
                }
                for (const runtime::SoundProblem& p : load.problems) {
                    fs.diagnostics().add(p.kind == runtime::SoundProblem::Kind::BadUrl
                                             ? diag::diags::soundfile_bad_url(at, p.file)
                                             : diag::diags::soundfile_not_loaded(at, p.file, p.reason));
                }
                sounds.emplace_back(lr.module->fields[s.field].offset, std::move(load.sound));
            }
        }
        std::vector<std::string> problems = ir::verify(*lr.module);
        if (!problems.empty()) {
            fs.diagnostics().add(diag::diags::internal_error(program_start, "invalid IR: " + problems[0]));
            return fail();
        }
        auto impl = std::make_unique<FactoryInfo>();
        impl->metadata = prog.metadata;
        std::vector<std::pair<std::string, std::string>> ordered_metadata =
            in_faust_value_order(impl->metadata, prog.files_in_use_order, fs.sources());
        impl->name = program_name;
        for (const auto& [k, v] : ordered_metadata) {
            if (k == "name") {
                impl->name = v; // the one Faust keeps
                break;
            }
        }
        impl->inputs = int(prog.process->inputs);
        impl->outputs = int(prog.process->outputs);
        impl->double_precision = options.double_precision;
        compiler::JsonInfo ji;
        ji.name = impl->name;
        ji.filename = program_file;
        ji.inputs = impl->inputs;
        ji.outputs = impl->outputs;
        ji.metadata = std::move(ordered_metadata);
        ji.controls = lr.controls;
        ji.sounds = lr.sounds;
        compiler::UiTree ui = compiler::build_ui_tree(ji);
        if (auto dup = compiler::find_duplicate_address(ui)) {
            auto place = [&](int control) {
                const sig::Signal* s = lr.controls[std::size_t(control)].signal;
                diag::SourceRange at = s != nullptr ? sc.program_origin(s) : diag::SourceRange{};
                if (at.begin.file == 0 && s != nullptr) {
                    at = sc.origin(s);
                }
                return at.begin.file != 0 ? at : program_start;
            };
            const std::string& address = ui.widgets[std::size_t(dup->second)]->address;
            fs.diagnostics().add(diag::diags::duplicate_ui_address(place(dup->second), address));
            fs.diagnostics().add(diag::diags::first_ui_address(place(dup->first), address));
            return fail();
        }
        impl->json = compiler::json_ui(ji, ui);
        impl->parameters = make_parameters(lr.controls, ui);
        if (ui.root) {
            flatten_ui(*ui.root, impl->parameters.size(), impl->ui);
        }
        for (std::size_t i = 0; i < impl->parameters.size(); ++i) {
            impl->parameters[i].offset = lr.module->fields[lr.controls[i].field].offset;
        }
        impl->state_bytes = lr.module->state_bytes;
        for (const ir::Field& f : lr.module->fields) {
            StateField sf;
            sf.name = f.name;
            sf.kind = state_kind(f.kind);
            sf.type = value_type(f.type);
            sf.identity = typed_identity(f.identity);
            sf.offset = f.offset;
            sf.elements = f.count;
            sf.bytes = ir::type_size(f.type) * f.count;
            sf.ring = f.ring;
            sf.scale = f.scale;
            auto where = [&](diag::SourceRange r) -> std::string {
                if (r.begin.file == 0) {
                    return {};
                }
                diag::LineCol lc = fs.sources().line_col(r.begin);
                return fs.sources().path(r.begin.file) + ":" + std::to_string(lc.line) + ":" +
                       std::to_string(lc.column);
            };
            sf.location = where(f.program_origin);
            std::string inner = where(f.origin);
            if (sf.location.empty()) {
                sf.location = inner;
            } else if (!inner.empty() && inner != sf.location) {
                sf.location += " (" + inner + ")";
            }
            impl->state_layout.push_back(std::move(sf));
        }
        // the digest of the expanded program, not its printed tree (which grows with
        // the number of paths through shared boxes: 2.4 GB for a user's smoother)
        impl->content_key = content_key_of(boxes::digest(prog.process), options);
        for (std::size_t id = 1; id <= fs.sources().file_count(); ++id) {
            impl->source_files.push_back(fs.sources().path(diag::FileId(id)));
        }
        budget.check_now(program_start);
        if (options.backend == Backend::Interpreter) {
            result.factory = runtime::make_interpreted_factory(std::move(*impl), std::move(lr.module), std::move(sounds));
        } else {
            jit::JitOptions jo;
            jo.opt_level = options.opt_level;
            // LLVM's optimiser grows faster than linearly with the number of audio
            // channels and of controls (alias analysis across every buffer pointer,
            // the scheduler on one huge block): past these sizes a program is
            // compiled without it, in seconds rather than minutes (par(i, 2000, _):
            // 0.3 s instead of 9.5 s; par(i, 20000, _): 2 s instead of > 2 min)
            const std::size_t channels = lr.module->num_inputs + lr.module->num_outputs;
            if (channels > max_optimised_channels || lr.controls.size() > max_optimised_controls) {
                jo.opt_level = 0;
            }
            codegen::NativeCode native = codegen::compile_native(*lr.module, jo);
            if (!native.module) {
                fs.diagnostics().add(diag::diags::backend_failed(program_start, native.error));
                return fail();
            }
            jit::EntryPoints entry{native.init_constants, native.reset_controls, native.clear_state, native.compute};
            result.factory = jit::make_jit_factory(std::move(*impl), std::move(native.module), entry, std::move(lr.module),
                                                    std::move(sounds));
        }
        budget.check_now(program_start);
    } catch (BudgetExceeded& e) {
        if (e.where.begin.file == 0) {
            e.where = program_start; // a signal or box made by the compiler: no place of its own
        }
        fs.diagnostics().add(budget.diagnostic(e));
        return fail();
    } catch (const std::bad_alloc&) {
        // not a bug of the compiler: the machine had no more memory to give
        fs.diagnostics().add(diag::diags::out_of_memory(program_start));
        return fail();
    } catch (const std::exception& e) {
        fs.diagnostics().add(diag::diags::internal_error(program_start, e.what()));
        return fail();
    }
    result.diagnostics = fs.resolved_diagnostics();
    return result;
}

} // namespace

CompileResult compile_file(const std::string& path, const CompileOptions& options) {
    frontend::FrontendOptions fo;
    fo.include_dirs = options.include_dirs;
    frontend::FrontendSession fs(fo);
    const frontend::ParsedFile* pf = fs.parse_program(path);
    return compile_session(fs, pf, path, options);
}

CompileResult compile_source(const std::string& name, const std::string& source,
                             const CompileOptions& options) {
    frontend::FrontendOptions fo;
    fo.include_dirs = options.include_dirs;
    frontend::FrontendSession fs(fo);
    const frontend::ParsedFile* pf = fs.parse_program_text(name, source);
    return compile_session(fs, pf, name, options);
}

CompileResult compile_program(const ProgramSource& program, const CompileOptions& options) {
    return program.is_file ? compile_file(program.path_or_name, options)
                           : compile_source(program.path_or_name, program.text, options);
}

} // namespace tutti
