// SPDX-License-Identifier: MIT
/** \file
 * The C API (include/tutti/tutti_c.h) over the C++ one: each handle holds the
 * C++ object; every entry point catches what the C++ side may throw (in
 * practice std::bad_alloc) so that nothing unwinds into C.
 */
#include "tutti/tutti_c.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "support/json_text.h"
#include "tutti/compiler.h"
#include "tutti/diagnostics.h"
#include "tutti/engine.h"
#include "tutti/version.h"

struct tutti_factory {
    std::shared_ptr<const tutti::Factory> factory;
};

struct tutti_instance {
    std::shared_ptr<const tutti::Factory> factory; // outlives the instance
    std::unique_ptr<tutti::Instance> instance;
};

struct tutti_engine {
    std::unique_ptr<tutti::Engine> engine;
};

static_assert(int(tutti::Parameter::Kind::Button) == TUTTI_BUTTON &&
                  int(tutti::Parameter::Kind::Checkbox) == TUTTI_CHECKBOX &&
                  int(tutti::Parameter::Kind::VSlider) == TUTTI_VSLIDER &&
                  int(tutti::Parameter::Kind::HSlider) == TUTTI_HSLIDER &&
                  int(tutti::Parameter::Kind::NEntry) == TUTTI_NENTRY &&
                  int(tutti::Parameter::Kind::VBargraph) == TUTTI_VBARGRAPH &&
                  int(tutti::Parameter::Kind::HBargraph) == TUTTI_HBARGRAPH,
              "tutti_parameter_kind follows tutti::Parameter::Kind");

namespace {

/// A malloc'ed copy (freed by tutti_string_free), or NULL when out of memory.
char* copy_out(const std::string& s) {
    auto* p = static_cast<char*>(std::malloc(s.size() + 1));
    if (p != nullptr) {
        std::memcpy(p, s.c_str(), s.size() + 1);
    }
    return p;
}

void set_out(char** out, const std::string& s) {
    if (out != nullptr) {
        *out = copy_out(s);
    }
}

void json_number(std::string& out, double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    out += buf;
}

tutti::CompileOptions to_cpp(const tutti_compile_options* o) {
    tutti::CompileOptions options;
    if (o == nullptr) {
        return options;
    }
    options.double_precision = o->double_precision != 0;
    options.backend = o->interpreter != 0 ? tutti::Backend::Interpreter : tutti::Backend::Llvm;
    options.opt_level = o->opt_level;
    options.allow_foreign_code = o->allow_foreign_code != 0;
    for (std::size_t i = 0; i < o->num_include_dirs && o->include_dirs != nullptr; ++i) {
        if (o->include_dirs[i] != nullptr) {
            options.include_dirs.emplace_back(o->include_dirs[i]);
        }
    }
    options.max_seconds = o->max_seconds;
    options.max_memory_bytes = o->max_memory_bytes;
    return options;
}

tutti_factory* finish_compile(tutti::CompileResult result, char** text, char** json) {
    if (text != nullptr) {
        std::string all;
        for (const tutti::Diagnostic& d : result.diagnostics) {
            all += tutti::to_text(d);
            if (!all.empty() && all.back() != '\n') {
                all += '\n';
            }
        }
        *text = copy_out(all);
    }
    set_out(json, tutti::to_json(result.diagnostics));
    if (!result.ok()) {
        return nullptr;
    }
    return new tutti_factory{std::move(result.factory)};
}

std::string report_json(const tutti::SwapReport& r) {
    std::string out = "{\"generation\": " + std::to_string(r.generation) + ", \"program\": ";
    tutti::append_json_string(out, r.program);
    out += std::string(", \"compiled\": ") + (r.compiled ? "true" : "false");
    out += ", \"diagnostics\": " + tutti::to_json(r.diagnostics);
    out += ", \"compile_ms\": ";
    json_number(out, r.compile_ms);
    out += ", \"prepare_ms\": ";
    json_number(out, r.prepare_ms);
    out += std::string(", \"committed\": ") + (r.committed ? "true" : "false");
    out += ", \"commit_frame\": " + std::to_string(r.commit_frame);
    out += std::string(", \"crossfade\": ") + (r.crossfade ? "true" : "false");
    out += ", \"carried\": " + std::to_string(r.carried) +
           ", \"resized\": " + std::to_string(r.resized) +
           ", \"rebuilt\": " + std::to_string(r.rebuilt) +
           ", \"reset\": " + std::to_string(r.reset) +
           ", \"dropped\": " + std::to_string(r.dropped) + ", \"fields\": [";
    bool first = true;
    for (const tutti::FieldChange& f : r.fields) {
        out += first ? "{\"action\": " : ", {\"action\": ";
        first = false;
        tutti::append_json_string(out, tutti::to_string(f.action));
        out += ", \"name\": ";
        tutti::append_json_string(out, f.name);
        out += ", \"kind\": ";
        tutti::append_json_string(out, tutti::to_string(f.kind));
        out += ", \"identity\": ";
        tutti::append_json_string(out, tutti::to_string(f.identity));
        out += ", \"from\": ";
        tutti::append_json_string(out, f.from);
        out += ", \"location\": ";
        tutti::append_json_string(out, f.location);
        out += "}";
    }
    out += "]}";
    return out;
}

} // namespace

extern "C" {

const char* tutti_version(void) {
    return tutti::version;
}

const char* tutti_faust_version(void) {
    return tutti::faust_language_version;
}

void tutti_string_free(char* s) {
    std::free(s);
}

void tutti_compile_options_init(tutti_compile_options* o) {
    if (o == nullptr) {
        return;
    }
    const tutti::CompileOptions d;
    *o = tutti_compile_options{};
    o->double_precision = d.double_precision ? 1 : 0;
    o->interpreter = d.backend == tutti::Backend::Interpreter ? 1 : 0;
    o->opt_level = d.opt_level;
    o->allow_foreign_code = d.allow_foreign_code ? 1 : 0;
    o->max_seconds = d.max_seconds;
    o->max_memory_bytes = d.max_memory_bytes;
}

tutti_factory* tutti_compile_file(const char* path, const tutti_compile_options* options,
                                  char** text, char** json) {
    try {
        return finish_compile(tutti::compile_file(path != nullptr ? path : "", to_cpp(options)),
                              text, json);
    } catch (const std::exception& e) {
        set_out(text, std::string("error: ") + e.what() + "\n");
        set_out(json, "[]");
        return nullptr;
    }
}

tutti_factory* tutti_compile_source(const char* name, const char* source,
                                    const tutti_compile_options* options, char** text,
                                    char** json) {
    try {
        return finish_compile(tutti::compile_source(name != nullptr ? name : "<source>",
                                                    source != nullptr ? source : "",
                                                    to_cpp(options)),
                              text, json);
    } catch (const std::exception& e) {
        set_out(text, std::string("error: ") + e.what() + "\n");
        set_out(json, "[]");
        return nullptr;
    }
}

void tutti_factory_free(tutti_factory* factory) {
    delete factory;
}

const char* tutti_factory_name(const tutti_factory* f) {
    return f->factory->name().c_str();
}

int tutti_factory_num_inputs(const tutti_factory* f) {
    return f->factory->num_inputs();
}

int tutti_factory_num_outputs(const tutti_factory* f) {
    return f->factory->num_outputs();
}

int tutti_factory_double_precision(const tutti_factory* f) {
    return f->factory->double_precision() ? 1 : 0;
}

const char* tutti_factory_json(const tutti_factory* f) {
    return f->factory->json().c_str();
}

size_t tutti_factory_num_parameters(const tutti_factory* f) {
    return f->factory->parameters().size();
}

int tutti_factory_parameter(const tutti_factory* f, size_t index, tutti_parameter* out) {
    const auto& params = f->factory->parameters();
    if (index >= params.size() || out == nullptr) {
        return -1;
    }
    const tutti::Parameter& p = params[index];
    out->kind = static_cast<tutti_parameter_kind>(static_cast<int>(p.kind));
    out->path = p.path.c_str();
    out->label = p.label.c_str();
    out->shortname = p.shortname.c_str();
    out->init = p.init;
    out->min = p.min;
    out->max = p.max;
    out->step = p.step;
    return 0;
}

tutti_instance* tutti_instance_new(const tutti_factory* f) {
    try {
        auto* i = new tutti_instance{f->factory, nullptr};
        i->instance = f->factory->create_instance();
        if (i->instance == nullptr) {
            delete i;
            return nullptr;
        }
        return i;
    } catch (const std::exception&) {
        return nullptr;
    }
}

void tutti_instance_free(tutti_instance* i) {
    delete i;
}

void tutti_instance_init(tutti_instance* i, int sample_rate) {
    i->instance->init(sample_rate);
}

void tutti_instance_clear(tutti_instance* i) {
    i->instance->clear();
}

void tutti_instance_reset_controls(tutti_instance* i) {
    i->instance->reset_controls();
}

void tutti_instance_compute(tutti_instance* i, int frames, const void* const* inputs,
                            void* const* outputs) {
    i->instance->compute(frames, inputs, outputs);
}

int tutti_instance_set_parameter(tutti_instance* i, const char* path, double value) {
    return path != nullptr && i->instance->set_parameter(std::string_view(path), value) ? 0 : -1;
}

int tutti_instance_get_parameter(const tutti_instance* i, const char* path, double* value) {
    if (path == nullptr) {
        return -1;
    }
    std::optional<double> v = i->instance->get_parameter(std::string_view(path));
    if (!v) {
        return -1;
    }
    if (value != nullptr) {
        *value = *v;
    }
    return 0;
}

void tutti_engine_options_init(tutti_engine_options* o) {
    if (o == nullptr) {
        return;
    }
    const tutti::EngineOptions d;
    *o = tutti_engine_options{};
    o->sample_rate = d.sample_rate;
    o->max_block = d.max_block;
    o->inputs = d.inputs;
    o->outputs = d.outputs;
    o->double_precision = d.double_precision ? 1 : 0;
    o->crossfade_ms = d.crossfade_ms;
    tutti_compile_options_init(&o->compile);
}

tutti_engine* tutti_engine_new(const tutti_engine_options* o, char** error) {
    tutti_engine_options defaults;
    if (o == nullptr) {
        tutti_engine_options_init(&defaults);
        o = &defaults;
    }
    if (o->sample_rate <= 0 || o->max_block <= 0 || o->inputs < 0 || o->outputs < 0) {
        set_out(
            error,
            "tutti_engine_new: sample_rate and max_block must be positive, channels not negative");
        return nullptr;
    }
    try {
        tutti::EngineOptions options;
        options.sample_rate = o->sample_rate;
        options.max_block = o->max_block;
        options.inputs = o->inputs;
        options.outputs = o->outputs;
        options.double_precision = o->double_precision != 0;
        options.crossfade_ms = o->crossfade_ms;
        options.compile = to_cpp(&o->compile);
        options.compile.double_precision = options.double_precision;
        options.compiler = tutti::compile_program;
        return new tutti_engine{std::make_unique<tutti::Engine>(options)};
    } catch (const std::exception& e) {
        set_out(error, std::string("tutti_engine_new: ") + e.what());
        return nullptr;
    }
}

void tutti_engine_free(tutti_engine* e) {
    delete e;
}

uint64_t tutti_engine_submit(tutti_engine* e, const tutti_factory* f, const char* program_name,
                             char** error) {
    try {
        std::string message;
        std::uint64_t g = e->engine->submit(
            f->factory, program_name != nullptr ? program_name : f->factory->name(), &message);
        if (g == 0) {
            set_out(error, message);
        }
        return g;
    } catch (const std::exception& ex) {
        set_out(error, ex.what());
        return 0;
    }
}

uint64_t tutti_engine_load_file(tutti_engine* e, const char* path) {
    try {
        return e->engine->load_file(path != nullptr ? path : "");
    } catch (const std::exception&) {
        return 0;
    }
}

int tutti_engine_wait_prepared(tutti_engine* e, uint64_t generation, int timeout_ms) {
    try {
        return e->engine->wait_prepared(generation, std::chrono::milliseconds(timeout_ms)) ? 1 : 0;
    } catch (const std::exception&) {
        return 0;
    }
}

char* tutti_engine_take_reports_json(tutti_engine* e) {
    try {
        std::string out = "[";
        for (const tutti::SwapReport& r : e->engine->take_reports()) {
            out += out.size() == 1 ? "" : ", ";
            out += report_json(r);
        }
        return copy_out(out + "]");
    } catch (const std::exception&) {
        return nullptr;
    }
}

void tutti_engine_process(tutti_engine* e, int frames, const void* const* inputs,
                          void* const* outputs) {
    e->engine->process(frames, inputs, outputs);
}

int tutti_engine_set_parameter(tutti_engine* e, const char* path, double value) {
    try {
        return path != nullptr && e->engine->set_parameter(path, value) ? 0 : -1;
    } catch (const std::exception&) {
        return -1;
    }
}

uint64_t tutti_engine_playing_generation(const tutti_engine* e) {
    return e->engine->playing_generation();
}

uint64_t tutti_engine_frames_processed(const tutti_engine* e) {
    return e->engine->frames_processed();
}

} // extern "C"
