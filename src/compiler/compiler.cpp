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
#include "ir/interpreter.h"
#include "ir/ir_verifier.h"
#include "lower/lower.h"
#include "signals/propagate.h"
#include "support/content_hash.h"
#include "jit/jit_engine.h"
#include "tutti/compiler.h"
#include "tutti/version.h"

namespace tutti {

struct Factory::Impl {
    std::string name;
    int inputs = 0, outputs = 0;
    bool dbl = false;
    std::vector<std::pair<std::string, std::string>> metadata;
    std::vector<Parameter> params;
    std::vector<std::uint32_t> param_offsets; ///< byte offset of each parameter's zone
    std::unique_ptr<ir::Module> module;
    std::unique_ptr<ir::Interpreter> interp;
    codegen::NativeCode native;
    std::uint32_t state_bytes = 0;
    std::string json;
    std::unique_ptr<compiler::UiNode> ui;
    std::vector<StateField> layout;
    std::string content_key;
    std::vector<std::string> sources;
    /// the sound of each Sound field (its byte offset), loaded when compiled
    std::vector<std::pair<std::uint32_t, std::shared_ptr<const runtime::LoadedSound>>> sounds;
};

struct Instance::Impl {
    std::shared_ptr<const Factory::Impl> f;
    std::shared_ptr<const Factory> factory; ///< keeps the code alive as long as the instance
    void* state = nullptr;
    ~Impl() {
        ::operator delete(state, std::align_val_t(64));
    }
};

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

void visit(const compiler::UiNode& n, const std::vector<Parameter>& params, UiVisitor& v) {
    if (n.control >= 0 && std::size_t(n.control) >= params.size()) {
        return; // a soundfile: not a parameter
    }
    if (n.control >= 0) {
        v.widget(params[std::size_t(n.control)], std::size_t(n.control));
        return;
    }
    v.open_group(n.kind, n.label, n.meta);
    for (const auto& item : n.items) {
        visit(*item, params, v);
    }
    v.close_group();
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
        std::vector<std::pair<std::uint32_t, std::shared_ptr<const runtime::LoadedSound>>> sounds;
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
        auto impl = std::make_shared<Factory::Impl>();
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
        impl->dbl = options.double_precision;
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
        impl->params = make_parameters(lr.controls, ui);
        impl->ui = std::move(ui.root);
        for (const auto& c : lr.controls) {
            impl->param_offsets.push_back(lr.module->fields[c.field].offset);
        }
        for (std::size_t i = 0; i < impl->params.size(); ++i) {
            impl->params[i].offset = impl->param_offsets[i];
        }
        impl->state_bytes = lr.module->state_bytes;
        impl->sounds = std::move(sounds);
        for (const ir::Field& f : lr.module->fields) {
            static const char* kinds[] = {"control", "constant", "table", "delay", "recursion", "iota", "other", "sound"};
            StateField sf;
            sf.name = f.name;
            sf.kind = kinds[std::size_t(f.kind)];
            sf.type = ir::type_name(f.type);
            sf.identity = f.identity;
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
            impl->layout.push_back(std::move(sf));
        }
        // the digest of the expanded program, not its printed tree (which grows with
        // the number of paths through shared boxes: 2.4 GB for a user's smoother)
        impl->content_key = content_key_of(boxes::digest(prog.process), options);
        for (std::size_t id = 1; id <= fs.sources().file_count(); ++id) {
            impl->sources.push_back(fs.sources().path(diag::FileId(id)));
        }
        budget.check_now(program_start);
        if (options.backend == Backend::Interpreter) {
            impl->module = std::move(lr.module);
            impl->interp = std::make_unique<ir::Interpreter>(*impl->module);
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
            impl->native = codegen::compile_native(*lr.module, jo);
            if (!impl->native.module) {
                fs.diagnostics().add(diag::diags::backend_failed(program_start, impl->native.error));
                return fail();
            }
            impl->module = std::move(lr.module);
        }
        budget.check_now(program_start);
        result.factory = std::make_shared<Factory>(impl);
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

// ---------------------------------------------------------------- Factory

Factory::Factory(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {
}
Factory::~Factory() = default;
const std::string& Factory::name() const {
    return impl_->name;
}
int Factory::num_inputs() const {
    return impl_->inputs;
}
int Factory::num_outputs() const {
    return impl_->outputs;
}
bool Factory::double_precision() const {
    return impl_->dbl;
}
const std::vector<std::pair<std::string, std::string>>& Factory::metadata() const {
    return impl_->metadata;
}
const std::vector<Parameter>& Factory::parameters() const {
    return impl_->params;
}
const std::string& Factory::json() const {
    return impl_->json;
}
void Factory::build_user_interface(UiVisitor& visitor) const {
    if (impl_->ui) {
        visit(*impl_->ui, impl_->params, visitor);
    }
}
const std::vector<StateField>& Factory::state_layout() const {
    return impl_->layout;
}
std::uint32_t Factory::state_bytes() const {
    return impl_->state_bytes;
}
const std::string& Factory::content_key() const {
    return impl_->content_key;
}
const std::vector<std::string>& Factory::source_files() const {
    return impl_->sources;
}

std::unique_ptr<Instance> Factory::create_instance() const {
    auto ii = std::make_unique<Instance::Impl>();
    ii->f = impl_;
    ii->factory = std::make_shared<const Factory>(impl_);
    std::size_t bytes = std::max<std::size_t>(impl_->state_bytes, 16);
    ii->state = ::operator new(bytes, std::align_val_t(64));
    std::memset(ii->state, 0, bytes);
    for (const auto& [offset, sound] : impl_->sounds) {
        const ir::SoundData* p = &sound->data;
        std::memcpy(static_cast<char*>(ii->state) + offset, &p, sizeof p);
    }
    return std::make_unique<Instance>(std::move(ii));
}

// ---------------------------------------------------------------- Instance

Instance::Instance(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
}
Instance::~Instance() = default;

void Instance::instance_constants(int sample_rate) {
    const auto& f = *impl_->f;
    if (f.interp) {
        f.interp->init_constants(impl_->state, sample_rate);
    } else {
        f.native.init_constants(impl_->state, sample_rate);
    }
}
void Instance::reset_controls() {
    const auto& f = *impl_->f;
    if (f.interp) {
        f.interp->reset_controls(impl_->state);
    } else {
        f.native.reset_controls(impl_->state);
    }
}
void Instance::clear() {
    const auto& f = *impl_->f;
    if (f.interp) {
        f.interp->clear_state(impl_->state);
    } else {
        f.native.clear_state(impl_->state);
    }
}
void Instance::init(int sample_rate) {
    instance_constants(sample_rate);
    reset_controls();
    clear();
}
void Instance::compute(int frames, const void* const* inputs, void* const* outputs) {
    const auto& f = *impl_->f;
    if (f.interp) {
        f.interp->compute(impl_->state, frames, inputs, outputs);
    } else {
        f.native.compute(impl_->state, frames, inputs, outputs);
    }
}
int Instance::num_inputs() const {
    return impl_->f->inputs;
}
int Instance::num_outputs() const {
    return impl_->f->outputs;
}
const std::vector<Parameter>& Instance::parameters() const {
    return impl_->f->params;
}
void Instance::set_parameter(std::size_t index, double value) {
    auto* p = static_cast<char*>(impl_->state) + impl_->f->param_offsets[index];
    if (impl_->f->dbl) {
        std::memcpy(p, &value, sizeof value);
    } else {
        float v = float(value);
        std::memcpy(p, &v, sizeof v);
    }
}
double Instance::get_parameter(std::size_t index) const {
    const auto* p = static_cast<const char*>(impl_->state) + impl_->f->param_offsets[index];
    if (impl_->f->dbl) {
        double v;
        std::memcpy(&v, p, sizeof v);
        return v;
    }
    float v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
bool Instance::set_parameter(std::string_view name, double value) {
    bool found = false;
    const auto& params = impl_->f->params;
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (params[i].named(name)) {
            set_parameter(i, value);
            found = true;
        }
    }
    return found;
}
std::byte* Instance::state() {
    return static_cast<std::byte*>(impl_->state);
}
const std::byte* Instance::state() const {
    return static_cast<const std::byte*>(impl_->state);
}
const Factory& Instance::factory() const {
    return *impl_->factory;
}
std::optional<double> Instance::get_parameter(std::string_view name) const {
    const auto& params = impl_->f->params;
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (params[i].named(name)) {
            return get_parameter(i);
        }
    }
    return std::nullopt;
}

} // namespace tutti
