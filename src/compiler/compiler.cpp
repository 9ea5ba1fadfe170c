// SPDX-License-Identifier: MIT
/** \file
 * The public compiler API (include/tutti/compiler.h): compile_file/compile_source
 * run the pipeline (compiler/pipeline.cpp: the list of passes, their dumps and
 * timings) and make a Factory of its results; the "interface" pass, which
 * describes the program for the Factory (parameters, JSON, state layout) and
 * loads its sounds, is here. Every pass reports into the session's
 * diagnostics; the first that fails ends the compilation. Each compilation has
 * its own session: compilations on different threads share nothing.
 */
#include "tutti/compiler.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <new>

#include "boxes/box.h"
#include "boxes/box_digest.h"
#include "codegen/llvm_codegen.h"
#include "compiler/json_ui.h"
#include "compiler/pipeline.h"
#include "compiler/sound_url.h"
#include "frontend/frontend_session.h"
#include "frontend/lexer/lexer.h"
#include "ir/constant_slots.h"
#include "jit/jit_engine.h"
#include "jit/jit_factory.h"
#include "jit/slot_factory.h"
#include "lower/lower.h"
#include "runtime/factory_info_codec.h"
#include "runtime/interpreted_factory.h"
#include "runtime/poly_factory.h"
#include "runtime/sound_files.h"
#include "signals/ui_path.h"
#include "support/content_hash.h"
#include "support/fast_hash.h"
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
std::vector<Parameter> make_parameters(const std::vector<lower::Control>& controls,
                                       const compiler::UiTree& ui) {
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
std::vector<std::pair<std::string, std::string>>
in_faust_value_order(std::vector<std::pair<std::string, std::string>> metadata,
                     const std::vector<diag::FileId>& files, const diag::SourceManager& sources) {
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
    std::vector<std::pair<std::size_t, std::size_t>>
        rank; // searched only where a key has several values
    rank.reserve(metadata.size());
    for (const auto& kv : metadata) {
        rank.push_back(values_of[kv.first] > 1 ? first_seen(kv.second)
                                               : std::pair<std::size_t, std::size_t>());
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
    out.reserve(order.size());
    for (std::size_t i : order) {
        out.push_back(std::move(metadata[i]));
    }
    return out;
}

/// A 128-bit hash (support/content_hash.h) of the evaluated program, the options, the
/// compiler version and the host CPU.
std::string content_key_of(const std::string& program, const CompileOptions& o,
                           const std::string& cpu) {
    std::string text = program;
    text += "|double=" + std::to_string(o.double_precision) +
            "|backend=" + std::to_string(int(o.backend)) + "|opt=" + std::to_string(o.opt_level);
    if (o.math != MathMode::Exact) { // exact keeps the keys of before the math modes
        text += std::string("|math=") + to_string(o.math);
    }
    text += "|tutti=" + std::string(tutti::version) + "|cpu=" + cpu;
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
    return t == ir::Type::I32   ? ValueType::I32
           : t == ir::Type::F32 ? ValueType::F32
                                : ValueType::F64;
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
        {"delay", K::Delay}, {"rec", K::Recursion}, {"table", K::Table},    {"rwtable", K::RwTable},
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

} // namespace

namespace compiler {

namespace {

/// The sounds of the program's soundfiles, loaded here, on the compiling
/// thread (instances only point to them); a file that cannot be read is a
/// warning and a silent sound.
runtime::SoundSlots load_sounds(PipelineState& st) {
    runtime::SoundSlots sounds;
    const lower::LowerResult& lr = st.lowered;
    if (lr.sounds.empty()) {
        return sounds;
    }
    const sig::SignalContext& sc = *st.signals;
    const frontend::ParsedFile& pf = *st.parsed;
    std::vector<std::string> dirs{pf.path.parent_path().empty() ? "."
                                                                : pf.path.parent_path().string()};
    dirs.insert(dirs.end(), st.options.include_dirs.begin(), st.options.include_dirs.end());
    for (const lower::Sound& s : lr.sounds) {
        std::vector<sig::UiPathPart> parts = sig::split_ui_path(s.path);
        std::string url = sound_url(parts.empty() ? std::string() : parts.back().label);
        runtime::SoundLoad load =
            runtime::load_sound(url, dirs, st.options.double_precision, s.channels);
        diag::SourceRange at = sc.program_origin(s.signal);
        if (at.begin.file == 0) {
            at = sc.origin(s.signal).begin.file != 0 ? sc.origin(s.signal) : st.program_start;
        }
        for (const runtime::SoundProblem& p : load.problems) {
            st.fs.diagnostics().add(p.kind == runtime::SoundProblem::Kind::BadUrl
                                        ? diag::diags::soundfile_bad_url(at, p.file)
                                        : diag::diags::soundfile_not_loaded(at, p.file, p.reason));
        }
        sounds.emplace_back(lr.module->fields[s.field].offset, std::move(load.sound));
    }
    return sounds;
}

} // namespace

bool describe_interface(PipelineState& st) {
    frontend::FrontendSession& fs = st.fs;
    const CompileOptions& options = st.options;
    const eval::Program& prog = st.program;
    const sig::SignalContext& sc = *st.signals;
    lower::LowerResult& lr = st.lowered;
    const diag::SourceRange program_start = st.program_start;
    const std::string program_name = std::filesystem::path(st.program_path).stem().string();
    const std::string program_file = std::filesystem::path(st.program_path).filename().string();
    st.sounds = load_sounds(st);
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
    JsonInfo ji;
    ji.name = impl->name;
    ji.filename = program_file;
    ji.inputs = impl->inputs;
    ji.outputs = impl->outputs;
    ji.metadata = std::move(ordered_metadata);
    ji.controls = lr.controls;
    ji.sounds = lr.sounds;
    UiTree ui = build_ui_tree(ji);
    if (auto dup = find_duplicate_address(ui)) {
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
        return false;
    }
    impl->json = json_ui(ji, ui);
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
    // the number of paths through shared boxes: 2.4 GB for a user's smoother),
    // and of its interface: the name, file name and declarations are not in the
    // process, and two files with one process (bela/FMSynth2 and FMSynth2_FX)
    // are two factories whose controls have different addresses
    support::Hash128 interface;
    interface.bytes(impl->json);
    impl->content_key = content_key_of(
        boxes::digest(prog.process) + "|ui=" + interface.hex(), options,
        st.object_target ? to_string(*st.object_target) : jit::host_cpu_description());
    for (diag::FileId id : fs.sources().ids()) {
        impl->source_files.push_back(fs.sources().path(id));
    }
    st.factory = std::move(impl);
    return true;
}

std::string dump_interface(const PipelineState& st) {
    return st.factory->json + "\n";
}

} // namespace compiler

namespace {

/// What a tiered compilation keeps between its two calls: the session and
/// the pipeline's state, up to "interface" first, then "backend".
struct TieredJob {
    CompileOptions options;
    std::shared_ptr<frontend::FrontendSession> fs;
    std::unique_ptr<compiler::PipelineState> st;
    std::size_t diagnostics_seen = 0;
};

/// The hash of every file the session read but the program's own.
std::uint64_t libraries_digest(const frontend::FrontendSession& fs,
                               const compiler::PipelineState& st) {
    std::uint64_t h = 0x6c62272e07bb0142ull;
    const diag::FileId program = st.parsed != nullptr ? st.parsed->id : 0;
    for (diag::FileId id : fs.sources().ids()) {
        if (id != program) {
            std::optional<std::uint64_t> known = fs.content_hash(id); // from the library cache
            h = support::mix64(h ^ (known ? *known : support::fast_hash64(fs.sources().text(id))));
        }
    }
    return h;
}

/// The LLVM factory of the interface and loop IR a tiered compilation made.
CompileResult finish_tier(TieredJob& job) {
    CompileResult result;
    if (!job.st) {
        Diagnostic d;
        d.id = "internal_error";
        d.message = "the LLVM tier of this compilation was already made";
        result.diagnostics.push_back(std::move(d));
        return result;
    }
    compiler::PipelineState& st = *job.st;
    st.keep_object = job.options.keep_machine_code;
    if (compiler::run_pipeline(st, result.timings, "backend")) {
        codegen::NativeCode& native = st.native;
        const bool sounds =
            std::any_of(st.factory->state_layout.begin(), st.factory->state_layout.end(),
                        [](const StateField& f) { return f.kind == StateKind::Sound; });
        if (job.options.keep_machine_code && st.module().foreign.empty() && !sounds &&
            native.module && !native.module->object().empty()) {
            MachineCode code;
            code.info = *st.factory;
            code.target = jit::host_machine_target();
            code.object = native.module->object();
            result.machine_code = std::move(code);
            // in the order of the info's source_files (the session's ids are not
            // 1..n when libraries come from the library cache)
            std::map<std::string, diag::FileId> by_path;
            for (diag::FileId id : job.fs->sources().ids()) {
                by_path.emplace(std::string(job.fs->sources().path(id)), id);
            }
            for (const std::string& path : result.machine_code->info.source_files) {
                auto it = by_path.find(path);
                if (it == by_path.end()) {
                    result.source_checksums.clear(); // then nothing is stored
                    break;
                }
                result.source_checksums.push_back(checksum64(job.fs->sources().text(it->second)));
            }
        }
        jit::EntryPoints entry{native.init_constants, native.reset_controls, native.clear_state,
                               native.compute};
        result.factory = jit::make_jit_factory(std::move(*st.factory), std::move(native.module),
                                               entry, st.shared_module, std::move(st.sounds));
    }
    std::vector<Diagnostic> all = job.fs->resolved_diagnostics();
    result.diagnostics.assign(
        all.begin() + std::ptrdiff_t(std::min(job.diagnostics_seen, all.size())), all.end());
    result.libraries_digest = libraries_digest(*job.fs, st);
    job.st.reset(); // frees the session's trees, boxes and signals
    job.fs.reset();
    return result;
}

/// Past these sizes the backend pass does not optimise (pipeline.cpp): no slot
/// code for them (its interim version would be slower than the interpreter's wait).
constexpr std::size_t max_slot_channels = 256;
constexpr std::size_t max_slot_controls = 512;

/// CompileResult::slot_code and patch_constants for the loop IR `module` of a
/// tiered compilation, with the interface `info` (copied: the closures outlive
/// the session).
void add_constant_slots(CompileResult& result, const compiler::PipelineState& st,
                        std::shared_ptr<const ir::Module> module, const CompileOptions& options) {
    if (!module || !module->foreign.empty() || !st.sounds.empty() ||
        module->num_inputs + module->num_outputs > max_slot_channels ||
        st.lowered.controls.size() > max_slot_controls) {
        return;
    }
    jit::JitOptions jo;
    jo.opt_level = options.opt_level;
    jo.fast_math = options.math == MathMode::Fast;
    result.slot_code = [module, jo]() -> std::shared_ptr<const ConstantSlotCode> {
        auto code = std::make_shared<ConstantSlotCode>();
        code->ir = module;
        code->slots = ir::constant_slots(*module);
        codegen::NativeCode native = codegen::compile_native(*module, jo, &code->slots);
        if (!native.module) {
            return nullptr;
        }
        std::string error;
        code->init_constants = native.module->function<ConstantSlotCode::InitConstants>(
            "tutti_init_constants", &error);
        code->reset_controls = native.module->function<ConstantSlotCode::StateFunction>(
            "tutti_reset_controls", &error);
        code->clear_state =
            native.module->function<ConstantSlotCode::StateFunction>("tutti_clear_state", &error);
        code->compute = native.module->function<ConstantSlotCode::Compute>("tutti_compute", &error);
        code->module = std::move(native.module);
        return code;
    };
    auto info = std::make_shared<const FactoryInfo>(*st.factory);
    result.patch_constants =
        [module, info](
            const std::shared_ptr<const ConstantSlotCode>& code) -> std::shared_ptr<const Factory> {
        if (!code || !code->ir || code->compute == nullptr) {
            return nullptr;
        }
        std::optional<std::vector<double>> values =
            ir::constants_as_slots(*code->ir, code->slots, *module);
        if (!values) {
            return nullptr;
        }
        return jit::make_slot_factory(*info, code, ir::slot_block(code->slots, *values));
    };
}

/// Runs the pipeline (compiler/pipeline.cpp) and makes the factory of its
/// results: the interface the "interface" pass described (and the sounds it
/// loaded), with the code of the "backend" pass (the interpreter runs the
/// loop IR of "lower" as it is). Tiered (CompileOptions::tiered, LLVM): stops
/// after "interface" with an interpreted factory sharing the loop IR, and
/// leaves "backend" to CompileResult::next_tier.
CompileResult compile_session(std::shared_ptr<frontend::FrontendSession> fs,
                              const std::string& program_path, std::optional<std::string> source,
                              const CompileOptions& options) {
    CompileResult result;
    const bool tiered = options.tiered && options.backend == Backend::Llvm;
    auto job = std::make_shared<TieredJob>();
    job->options = options;
    job->fs = fs;
    job->st = std::make_unique<compiler::PipelineState>(*fs, program_path, std::move(source),
                                                        job->options);
    compiler::PipelineState& st = *job->st;
    if (compiler::run_pipeline(st, result.timings, {}, tiered ? "interface" : "")) {
        if (options.backend == Backend::Interpreter) {
            result.factory = runtime::make_interpreted_factory(
                std::move(*st.factory), std::move(st.lowered.module), std::move(st.sounds));
            result.interpreter_size = runtime::interpreted_compute_size(*result.factory);
        } else if (tiered) {
            st.shared_module = std::shared_ptr<const ir::Module>(std::move(st.lowered.module));
            result.factory =
                runtime::make_interpreted_factory(*st.factory, st.shared_module, st.sounds);
            result.interpreter_size = runtime::interpreted_compute_size(*result.factory);
            add_constant_slots(result, st, st.shared_module, options);
        } else {
            codegen::NativeCode& native = st.native;
            jit::EntryPoints entry{native.init_constants, native.reset_controls, native.clear_state,
                                   native.compute};
            result.factory =
                jit::make_jit_factory(std::move(*st.factory), std::move(native.module), entry,
                                      std::move(st.lowered.module), std::move(st.sounds));
        }
    }
    result.diagnostics = fs->resolved_diagnostics();
    result.libraries_digest = libraries_digest(*fs, st);
    if (st.parsed != nullptr) {
        result.program_text = std::string(fs->sources().text(st.parsed->id));
        if (options.classify_edit) {
            result.edit = result.libraries_digest != options.previous_libraries
                              ? EditKind::Structural
                              : classify_edit(options.previous_text, result.program_text);
        }
    }
    if (tiered && result.factory) {
        job->diagnostics_seen = result.diagnostics.size();
        result.next_tier = [job] { return finish_tier(*job); };
    }
    return result;
}

frontend::FrontendOptions frontend_options(const CompileOptions& options) {
    frontend::FrontendOptions fo;
    fo.include_dirs = options.include_dirs;
    fo.library_cache = options.library_cache;
    fo.lazy_libraries = true;
    return fo;
}

} // namespace

const char* to_string(MathMode mode) {
    return mode == MathMode::Fast ? "fast" : "exact";
}

std::optional<MathMode> parse_math_mode(std::string_view text) {
    if (text == "exact") {
        return MathMode::Exact;
    }
    if (text == "fast") {
        return MathMode::Fast;
    }
    return std::nullopt;
}

CompileResult compile_file(const std::string& path, const CompileOptions& options) {
    auto fs = std::make_shared<frontend::FrontendSession>(frontend_options(options));
    return compile_session(std::move(fs), path, std::nullopt, options);
}

CompileResult compile_source(const std::string& name, const std::string& source,
                             const CompileOptions& options) {
    auto fs = std::make_shared<frontend::FrontendSession>(frontend_options(options));
    return compile_session(std::move(fs), name, source, options);
}

CompileResult compile_program(const ProgramSource& program, const CompileOptions& options) {
    return program.is_file ? compile_file(program.path_or_name, options)
                           : compile_source(program.path_or_name, program.text, options);
}

MachineCodeResult compile_machine_code(const ProgramSource& program, const CompileOptions& options,
                                       const std::optional<MachineTarget>& target) {
    MachineCodeResult result;
    CompileOptions o = options;
    o.backend = Backend::Llvm;
    frontend::FrontendOptions fo;
    fo.include_dirs = o.include_dirs;
    fo.lazy_libraries = true;
    frontend::FrontendSession fs(fo);
    const MachineTarget host = jit::host_machine_target();
    compiler::PipelineState st(fs, program.path_or_name,
                               program.is_file ? std::nullopt : std::optional(program.text), o);
    st.keep_object = true;
    if (target && !(*target == host)) {
        st.object_target = target;
    }
    if (compiler::run_pipeline(st, result.timings)) {
        MachineCode code;
        code.info = *st.factory;
        code.target = st.object_target ? *st.object_target : host;
        const std::vector<ir::ForeignFunction>& foreign = st.lowered.module->foreign;
        if (!foreign.empty()) {
            result.refused = "the program calls foreign functions (" + foreign[0].name +
                             "), which machine code does not carry";
        } else if (std::any_of(code.info.state_layout.begin(), code.info.state_layout.end(),
                               [](const StateField& f) { return f.kind == StateKind::Sound; })) {
            result.refused = "the program reads sound files, which machine code does not carry";
        }
        if (!st.object_target) {
            codegen::NativeCode& native = st.native;
            code.object = native.module->object();
            jit::EntryPoints entry{native.init_constants, native.reset_controls, native.clear_state,
                                   native.compute};
            result.factory =
                jit::make_jit_factory(std::move(*st.factory), std::move(native.module), entry,
                                      std::move(st.lowered.module), std::move(st.sounds));
        } else {
            code.object = std::move(st.object);
        }
        if (result.refused.empty() && code.object.empty()) {
            result.refused = "the backend made no object file";
        }
        if (result.refused.empty()) {
            result.code = std::move(code);
        }
        for (std::size_t id = 1; id <= fs.sources().file_count(); ++id) {
            result.source_checksums.push_back(checksum64(fs.sources().text(diag::FileId(id))));
        }
    }
    result.diagnostics = fs.resolved_diagnostics();
    return result;
}

CompileResult compile_instrument(const ProgramSource& program, const CompileOptions& options,
                                 int voices) {
    return compile_instrument(
        program, options, voices,
        [](const ProgramSource& p, const CompileOptions& o) { return compile_program(p, o); });
}

CompileResult compile_instrument(
    const ProgramSource& program, const CompileOptions& options, int voices,
    const std::function<CompileResult(const ProgramSource&, const CompileOptions&)>& compile) {
    // tiered (issue 14): both compilations tiered; the instrument's next tier
    // is the same voices and effect on their LLVM code (the same state layout)
    CompileOptions process_options = options;
    process_options.entry = "process";
    CompileResult voice = compile(program, process_options);
    if (!voice.ok()) {
        return voice;
    }
    const int n = voices > 0 ? voices : runtime::declared_voices(*voice.factory);
    if (n <= 0) {
        return voice;
    }
    CompileOptions effect_options = process_options;
    effect_options.entry = "effect";
    CompileResult effect = compile(program, effect_options);
    const bool no_effect =
        !effect.ok() &&
        std::any_of(effect.diagnostics.begin(), effect.diagnostics.end(), [](const Diagnostic& d) {
            return d.id == "undefined_symbol" && d.message == "undefined symbol 'effect'";
        });
    CompileResult result;
    result.diagnostics = voice.diagnostics;
    result.timings = voice.timings;
    if (!effect.ok() && !no_effect) {
        result.diagnostics.insert(result.diagnostics.end(), effect.diagnostics.begin(),
                                  effect.diagnostics.end());
        return result;
    }
    std::string error;
    result.factory =
        runtime::make_poly_factory(voice.factory, no_effect ? nullptr : effect.factory, n, &error);
    if (!result.factory) {
        Diagnostic d;
        d.id = "polyphony";
        d.message = error;
        d.file = program.path_or_name;
        result.diagnostics.push_back(std::move(d));
        return result;
    }
    result.program_text = voice.program_text;
    result.libraries_digest = voice.libraries_digest;
    result.edit = voice.edit;
    if (voice.next_tier || (!no_effect && effect.next_tier)) {
        // every voice computes every frame (runtime/poly_factory.h)
        result.interpreter_size = (voice.next_tier ? voice.interpreter_size * std::size_t(n) : 0) +
                                  (!no_effect && effect.next_tier ? effect.interpreter_size : 0);
        result.next_tier = [voice_factory = voice.factory, voice_tier = std::move(voice.next_tier),
                            effect_factory = no_effect ? nullptr : effect.factory,
                            effect_tier = no_effect ? std::function<CompileResult()>{}
                                                    : std::move(effect.next_tier),
                            n, name = program.path_or_name]() {
            CompileResult next;
            std::shared_ptr<const Factory> v = voice_factory, e = effect_factory;
            for (auto [tier, factory] : {std::pair{&voice_tier, &v}, std::pair{&effect_tier, &e}}) {
                if (!*tier) {
                    continue; // already LLVM code (a cached one)
                }
                CompileResult r = (*tier)();
                next.diagnostics.insert(next.diagnostics.end(), r.diagnostics.begin(),
                                        r.diagnostics.end());
                next.timings.insert(next.timings.end(), r.timings.begin(), r.timings.end());
                if (!r.ok()) {
                    return next;
                }
                *factory = r.factory;
            }
            std::string why;
            next.factory = runtime::make_poly_factory(v, e, n, &why);
            if (!next.factory) {
                Diagnostic d;
                d.id = "polyphony";
                d.message = why;
                d.file = name;
                next.diagnostics.push_back(std::move(d));
            }
            return next;
        };
    }
    return result;
}

EditKind classify_edit(std::string_view before, std::string_view after) {
    using frontend::Tok;
    diag::DiagnosticList d1, d2;
    const std::vector<frontend::Token> a = frontend::lex(before, 1, d1);
    const std::vector<frontend::Token> b = frontend::lex(after, 1, d2);
    if (d1.size() > 0 || d2.size() > 0 || a.size() != b.size()) {
        return EditKind::Structural;
    }
    bool constants = false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const frontend::Token& x = a[i];
        const frontend::Token& y = b[i];
        if (x.kind != y.kind) {
            return EditKind::Structural; // an integer that became a float changes types
        }
        if (x.kind == Tok::Int) {
            constants = constants || x.ival != y.ival;
        } else if (x.kind == Tok::Float) {
            constants = constants || std::memcmp(&x.rval, &y.rval, sizeof x.rval) != 0;
        } else if (before.substr(x.offset, x.length) != after.substr(y.offset, y.length)) {
            return EditKind::Structural;
        }
    }
    return constants ? EditKind::ConstantsOnly : EditKind::Same;
}

} // namespace tutti
