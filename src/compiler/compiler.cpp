// SPDX-License-Identifier: MIT
/** \file
 * The public compiler API (include/tutti/compiler.h): compile_file/compile_source
 * run the pipeline (compiler/pipeline.cpp: the list of passes, their dumps and
 * timings) and make a Factory of its results; the "interface" pass, which
 * describes the program for the Factory (parameters, JSON, state layout), is
 * here, next to Factory::Impl. Every pass reports into the session's
 * diagnostics; the first that fails ends the compilation. Each compilation has
 * its own session: compilations on different threads share nothing.
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
#include "compiler/json_ui.h"
#include "compiler/pipeline.h"
#include "frontend/frontend_session.h"
#include "ir/interpreter.h"
#include "lower/lower.h"
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

} // namespace

namespace compiler {

bool describe_interface(PipelineState& st) {
    frontend::FrontendSession& fs = st.fs;
    const CompileOptions& options = st.options;
    const eval::Program& prog = st.program;
    const sig::SignalContext& sc = *st.signals;
    lower::LowerResult& lr = st.lowered;
    const diag::SourceRange program_start = st.program_start;
    const std::string program_name = std::filesystem::path(st.program_path).stem().string();
    const std::string program_file = std::filesystem::path(st.program_path).filename().string();
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
        return false;
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
    for (const ir::Field& f : lr.module->fields) {
        static const char* kinds[] = {"control", "constant", "table", "delay", "recursion", "iota", "other"};
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
    st.factory = std::move(impl);
    return true;
}

std::string dump_interface(const PipelineState& st) {
    return st.factory->json + "\n";
}

} // namespace compiler

namespace {

/// Runs the pipeline (compiler/pipeline.cpp) and makes the factory of its
/// results: the interface the "interface" pass described, with the code of
/// the "backend" pass.
CompileResult compile_session(frontend::FrontendSession& fs, const std::string& program_path,
                              std::optional<std::string> source, const CompileOptions& options) {
    CompileResult result;
    compiler::PipelineState st(fs, program_path, std::move(source), options);
    if (compiler::run_pipeline(st, result.timings)) {
        std::shared_ptr<Factory::Impl> impl = std::move(st.factory);
        impl->module = std::move(st.lowered.module);
        impl->interp = std::move(st.interp);
        impl->native = std::move(st.native);
        result.factory = std::make_shared<Factory>(impl);
    }
    result.diagnostics = fs.resolved_diagnostics();
    return result;
}

} // namespace

CompileResult compile_file(const std::string& path, const CompileOptions& options) {
    frontend::FrontendOptions fo;
    fo.include_dirs = options.include_dirs;
    frontend::FrontendSession fs(fo);
    return compile_session(fs, path, std::nullopt, options);
}

CompileResult compile_source(const std::string& name, const std::string& source,
                             const CompileOptions& options) {
    frontend::FrontendOptions fo;
    fo.include_dirs = options.include_dirs;
    frontend::FrontendSession fs(fo);
    return compile_session(fs, name, source, options);
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
