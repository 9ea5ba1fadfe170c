// SPDX-License-Identifier: MIT
/** \file
 * `tutti render`: compiles a program, feeds it the same test inputs as the
 * reference runner (tools/reference: impulse, silence, noise, mix from
 * support/test_signal.h, or a WAV file), holds buttons down for the blocks that
 * start before --press-buttons, applies --set and --set-at (every unknown
 * address of --set-at is reported before rendering; a change lands exactly at
 * its frame, the engine splits the block there; --swap-at takes effect at the
 * first block boundary at or after its frame), and writes a float WAV
 * (libsndfile) or text (`#` header, then frame<TAB>out0<TAB>out1... with %.17g in
 * double precision, %.9g in single).
 */
#include "apps/tutti/render.h"

#include <sndfile.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "apps/tutti/swap_report.h"
#include "cache/code_cache.h"
#include "control/control_hub.h"
#include "support/test_signal.h"
#include "tutti/compiler.h"
#include "tutti/engine.h"

namespace tutti::app {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct Event {
    long frame = 0;
    std::shared_ptr<const Factory> program; ///< a swap
    std::string program_path;
    double compile_ms = 0;
    std::string path; ///< a parameter change
    double value = 0;
};

/// Parses "FRAME:REST"; false when FRAME is not a non-negative integer.
bool split_frame(const std::string& arg, long& frame, std::string& rest) {
    std::size_t colon = arg.find(':');
    if (colon == std::string::npos || colon == 0) {
        return false;
    }
    char* end = nullptr;
    frame = std::strtol(arg.c_str(), &end, 10);
    if (end != arg.c_str() + colon || frame < 0) {
        return false;
    }
    rest = arg.substr(colon + 1);
    return true;
}

bool split_assignment(const std::string& kv, std::string& path, double& value) {
    std::size_t eq = kv.rfind('=');
    if (eq == std::string::npos || eq == 0) {
        return false;
    }
    char* end = nullptr;
    value = std::strtod(kv.c_str() + eq + 1, &end);
    if (end == kv.c_str() + eq + 1 || *end != '\0') {
        return false;
    }
    path = kv.substr(0, eq);
    return true;
}

void list_controls(const Factory& f, std::ostream& err) {
    err << "controls of " << f.name() << ":\n";
    for (const auto& p : f.parameters()) {
        err << "  " << p.path << "\n";
    }
}

/// The buttons of the version last handed to the engine.
std::vector<std::string> buttons_of(const Factory& f) {
    std::vector<std::string> b;
    for (const auto& p : f.parameters()) {
        if (p.kind == Parameter::Kind::Button) {
            b.push_back(p.path);
        }
    }
    return b;
}

template <class T>
int render_as(const RenderArgs& a, std::shared_ptr<const Factory> main_factory,
              std::vector<Event> events, long frames, const RenderInputFile* file,
              std::vector<std::vector<T>>& out, std::ostream& err, double max_seconds) {
    // The offline driver: this thread is the engine's audio thread; versions and
    // parameter changes go through the same queues as in live use. A version takes
    // effect at the first block boundary at or after its frame; a parameter change
    // is stamped with its frame and lands exactly there (the engine splits the block).
    const auto started = std::chrono::steady_clock::now();
    EngineOptions eo;
    eo.sample_rate = a.sample_rate;
    eo.max_block = a.block;
    eo.inputs = main_factory->num_inputs();
    eo.outputs = main_factory->num_outputs();
    eo.double_precision = a.double_precision;
    eo.crossfade_ms = a.crossfade_ms;
    Engine engine(eo);
    std::string error;
    if (engine.submit(main_factory, a.program, &error) == 0) {
        err << "tutti render: " << error << "\n";
        return 2;
    }
    for (const std::string& kv : a.sets) {
        std::string name;
        double value = 0;
        if (!split_assignment(kv, name, value)) {
            err << "tutti render: --set takes PATH=VALUE\n";
            return 2;
        }
        if (control::set_by_path(engine, name, value) == 0) {
            err << "tutti render: no control '" << name << "'\n";
            list_controls(*main_factory, err);
            return 2;
        }
    }
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& x, const Event& y) { return x.frame < y.frame; });
    // Without swaps every --set-at addresses the main program: report every
    // unknown address at once, before rendering anything.
    if (std::none_of(events.begin(), events.end(),
                     [](const Event& e) { return bool(e.program); })) {
        std::vector<std::string> unknown;
        for (const Event& e : events) {
            const auto& ps = main_factory->parameters();
            bool known = std::any_of(ps.begin(), ps.end(),
                                     [&](const Parameter& p) { return p.named(e.path); });
            if (!known && std::find(unknown.begin(), unknown.end(), e.path) == unknown.end()) {
                unknown.push_back(e.path);
            }
        }
        for (const std::string& u : unknown) {
            err << "tutti render: no control '" << u << "'\n";
        }
        if (!unknown.empty()) {
            list_controls(*main_factory, err);
            return 2;
        }
    }
    std::shared_ptr<const Factory> latest = main_factory;
    const int nin = eo.inputs, nout = eo.outputs;
    std::vector<std::vector<T>> in(std::size_t(nin), std::vector<T>(std::size_t(frames) + 1, T(0)));
    if (a.input == "impulse") {
        for (auto& ch : in) {
            ch[0] = T(1);
        }
    } else if (a.input == "noise") {
        for (int c = 0; c < nin; ++c) {
            std::uint32_t st = test_signal::noise_seed(c);
            for (long n = 0; n < frames; ++n) {
                in[std::size_t(c)][std::size_t(n)] = T(test_signal::next_noise(st));
            }
        }
    } else if (a.input == "mix") {
        for (int c = 0; c < nin; ++c) {
            test_signal::fill_mix<T>(c, frames, in[std::size_t(c)].data());
        }
    } else if (a.input != "silence" && file != nullptr) {
        const long got = std::min(file->frames, frames);
        for (int c = 0; c < nin; ++c) {
            int src = file->channels > 0 ? c % file->channels : 0;
            for (long n = 0; n < got; ++n) {
                in[std::size_t(c)][std::size_t(n)] = T(
                    file->samples[std::size_t(n) * std::size_t(file->channels) + std::size_t(src)]);
            }
        }
    }
    out.assign(std::size_t(nout), std::vector<T>(std::size_t(frames), T(0)));
    std::vector<const void*> inp(static_cast<std::size_t>(nin));
    std::vector<void*> outp(static_cast<std::size_t>(nout));
    std::size_t next_event = 0;
    bool pressed = false;
    for (long pos = 0; pos < frames; pos += a.block) {
        if (max_seconds > 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >
                max_seconds) {
            err << "tutti render: the render took longer than " << max_seconds
                << " s (the server's limit)\n";
            return 2;
        }
        int n = int(std::min<long>(a.block, frames - pos));
        bool swapped = false;
        while (next_event < events.size() && events[next_event].frame <= pos) {
            const Event& e = events[next_event++];
            if (e.program) {
                if (engine.submit(e.program, e.program_path, &error, e.compile_ms) == 0) {
                    err << "tutti render: " << e.program_path << ": " << error << "\n";
                    return 2;
                }
                latest = e.program;
                swapped = true;
            } else if (!engine.set_parameter_at(e.frame, e.path, e.value)) {
                err << "tutti render: frame " << e.frame << ": no control '" << e.path << "'\n";
                list_controls(*latest, err);
                return 2;
            }
        }
        // the changes inside this block, stamped with their frame, up to the next
        // swap (a swap waits for the next block boundary, and so do the changes
        // after it, which address the new version)
        while (next_event < events.size() && events[next_event].frame < pos + n &&
               !events[next_event].program) {
            const Event& e = events[next_event++];
            if (!engine.set_parameter_at(e.frame, e.path, e.value)) {
                err << "tutti render: frame " << e.frame << ": no control '" << e.path << "'\n";
                list_controls(*latest, err);
                return 2;
            }
        }
        if (a.press_buttons >= 0) {
            bool want = pos < a.press_buttons;
            if (pos == 0 || want != pressed || swapped) {
                for (const std::string& b : buttons_of(*latest)) {
                    engine.set_parameter(b, want ? 1.0 : 0.0);
                }
                pressed = want;
            }
        }
        for (int c = 0; c < nin; ++c) {
            inp[std::size_t(c)] = in[std::size_t(c)].data() + pos;
        }
        for (int c = 0; c < nout; ++c) {
            outp[std::size_t(c)] = out[std::size_t(c)].data() + pos;
        }
        engine.process(n, inp.data(), outp.data());
        for (SwapReport& r : engine.take_reports()) {
            if (r.committed && r.generation > 1 && !a.quiet) {
                err << swap_line(r) << "\n" << swap_fields(r);
            }
        }
    }
    if (engine.dropped_messages() > 0) {
        err << "tutti render: " << engine.dropped_messages() << " parameter messages were lost\n";
    }
    return 0;
}

template <class T>
int write_as(const RenderArgs& a, const RenderedAudio& audio,
             const std::vector<std::vector<T>>& out, std::ostream& err) {
    const int nin = audio.inputs, nout = audio.outputs;
    const long frames = audio.frames;
    if (ends_with(a.output, ".wav")) {
        SF_INFO info{};
        info.samplerate = a.sample_rate;
        info.channels = std::max(nout, 1);
        info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
        SNDFILE* f = sf_open(a.output.c_str(), SFM_WRITE, &info);
        if (f == nullptr) {
            err << "tutti render: cannot write '" << a.output << "': " << sf_strerror(nullptr)
                << "\n";
            return 2;
        }
        std::vector<float> inter(std::size_t(frames) * std::size_t(info.channels), 0.0f);
        for (long n = 0; n < frames; ++n) {
            for (int c = 0; c < nout; ++c) {
                inter[std::size_t(n) * std::size_t(info.channels) + std::size_t(c)] =
                    float(out[std::size_t(c)][std::size_t(n)]);
            }
        }
        sf_writef_float(f, inter.data(), frames);
        sf_close(f);
        return 0;
    }
    FILE* o = a.output == "-" ? stdout : std::fopen(a.output.c_str(), "w");
    if (o == nullptr) {
        err << "tutti render: cannot write '" << a.output << "'\n";
        return 2;
    }
    const bool dbl = sizeof(T) == sizeof(double);
    std::fprintf(o, "# tutti render: %s (%s, %s)\n", a.program.c_str(), dbl ? "double" : "single",
                 a.backend.c_str());
    std::fprintf(o, "# sample_rate: %d\n# block: %d\n# input: %s\n", a.sample_rate, a.block,
                 a.input.c_str());
    std::fprintf(o, "# inputs: %d\n# outputs: %d\n# frames: %ld\n", nin, nout, frames);
    for (long n = 0; n < frames; ++n) {
        std::fprintf(o, "%ld", n);
        for (int c = 0; c < nout; ++c) {
            double v = double(out[std::size_t(c)][std::size_t(n)]);
            if (dbl) {
                std::fprintf(o, "\t%.17g", v);
            } else {
                std::fprintf(o, "\t%.9g", v);
            }
        }
        std::fputc('\n', o);
    }
    if (o != stdout) {
        std::fclose(o);
    }
    return 0;
}

/// The --set-at changes as events; 2 with the message on `err` for a bad one.
int set_at_events(const RenderArgs& a, std::vector<Event>& events, std::ostream& err) {
    for (const std::string& sa : a.set_at) {
        Event e;
        std::string rest;
        if (!split_frame(sa, e.frame, rest) || !split_assignment(rest, e.path, e.value)) {
            err << "tutti render: --set-at takes FRAME:PATH=VALUE, not '" << sa << "'\n";
            return 2;
        }
        events.push_back(std::move(e));
    }
    return 0;
}

int render_events(const RenderArgs& a, std::shared_ptr<const Factory> program,
                  std::vector<Event> events, const RenderInputFile* file, RenderedAudio& audio,
                  std::ostream& err, double max_seconds) {
    const long frames = render_frames(a);
    audio = RenderedAudio{};
    audio.inputs = program->num_inputs();
    audio.outputs = program->num_outputs();
    audio.frames = frames;
    audio.double_precision = a.double_precision;
    return a.double_precision ? render_as<double>(a, std::move(program), std::move(events), frames,
                                                  file, audio.d, err, max_seconds)
                              : render_as<float>(a, std::move(program), std::move(events), frames,
                                                 file, audio.f, err, max_seconds);
}

void print_diagnostics(const std::vector<Diagnostic>& diags, bool json) {
    if (json) {
        std::cout << to_json(diags) << "\n";
        return;
    }
    for (const auto& d : diags) {
        std::cerr << to_text(d);
    }
}

} // namespace

int run_render(const RenderArgs& a) {
    if (a.block <= 0 || a.sample_rate <= 0) {
        std::cerr << "tutti render: --block and --sample-rate must be positive\n";
        return 2;
    }
    if (a.backend != "llvm" && a.backend != "interp") {
        std::cerr << "tutti render: --backend is llvm or interp\n";
        return 2;
    }
    if (!a.on.empty()) {
        return run_render_on(a); // on a compile server (render_on.cpp)
    }
    CompileOptions opts;
    opts.double_precision = a.double_precision;
    opts.backend = a.backend == "interp" ? Backend::Interpreter : Backend::Llvm;
    opts.include_dirs = a.include_dirs;
    opts.opt_level = a.opt_level;
    opts.math = parse_math_mode(a.math).value_or(MathMode::Exact);
    auto compile = [&](const std::string& path) {
        return a.no_cache ? compile_file(path, opts)
                          : cache::compile_program_cached(ProgramSource{true, path, {}}, opts);
    };
    CompileResult r = compile(a.program);
    print_diagnostics(r.diagnostics, false);
    if (!r.ok()) {
        return 1;
    }
    const long frames = render_frames(a);
    std::vector<Event> events;
    for (const std::string& sw : a.swaps) {
        Event e;
        if (!split_frame(sw, e.frame, e.program_path) || e.program_path.empty()) {
            std::cerr << "tutti render: --swap-at takes FRAME:PROGRAM.dsp, not '" << sw << "'\n";
            return 2;
        }
        auto t0 = std::chrono::steady_clock::now();
        CompileResult other = compile(e.program_path);
        e.compile_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        print_diagnostics(other.diagnostics, false);
        if (!other.ok()) {
            return 1;
        }
        e.program = other.factory;
        events.push_back(std::move(e));
    }
    if (set_at_events(a, events, std::cerr) != 0) {
        return 2;
    }
    RenderInputFile file;
    if (!is_generated_input(a.input) && read_render_input(a.input, frames, file, std::cerr) != 0) {
        return 2;
    }
    RenderedAudio audio;
    if (int rc = render_events(a, r.factory, std::move(events), &file, audio, std::cerr, 0);
        rc != 0) {
        return rc;
    }
    return write_rendered(a, audio, std::cerr);
}

bool is_generated_input(const std::string& input) {
    return input == "impulse" || input == "silence" || input == "noise" || input == "mix";
}

long render_frames(const RenderArgs& a) {
    return a.frames >= 0    ? a.frames
           : a.seconds >= 0 ? long(std::floor(a.seconds * a.sample_rate + 0.5))
                            : 20000;
}

int read_render_input(const std::string& path, long frames, RenderInputFile& file,
                      std::ostream& err) {
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    if (f == nullptr) {
        err << "tutti render: cannot read input '" << path << "': " << sf_strerror(nullptr) << "\n";
        return 2;
    }
    file.channels = info.channels;
    file.samples.assign(std::size_t(info.channels) * std::size_t(frames), 0.0);
    sf_count_t got = sf_readf_double(f, file.samples.data(), frames);
    sf_close(f);
    file.frames = long(std::max<sf_count_t>(got, 0));
    file.samples.resize(std::size_t(file.frames) * std::size_t(info.channels));
    return 0;
}

int render_compiled(const RenderArgs& a, std::shared_ptr<const Factory> program,
                    const RenderInputFile* file, RenderedAudio& audio, std::ostream& err,
                    double max_seconds) {
    std::vector<Event> events;
    if (set_at_events(a, events, err) != 0) {
        return 2;
    }
    return render_events(a, std::move(program), std::move(events), file, audio, err, max_seconds);
}

int write_rendered(const RenderArgs& a, const RenderedAudio& audio, std::ostream& err) {
    return audio.double_precision ? write_as<double>(a, audio, audio.d, err)
                                  : write_as<float>(a, audio, audio.f, err);
}

int run_check(const std::string& program, const std::vector<std::string>& include_dirs,
              bool double_precision, bool json, const CheckLimits& limits,
              const CheckOutputs& outputs) {
    CompileOptions opts;
    if (limits.max_memory_mb >= 0) {
        opts.max_memory_bytes = std::uint64_t(limits.max_memory_mb * double(1 << 20));
    }
    if (limits.max_seconds >= 0) {
        opts.max_seconds = limits.max_seconds;
    }
    opts.double_precision = double_precision;
    if (outputs.backend == "llvm") {
        opts.backend = Backend::Llvm;
    } else if (outputs.backend == "interp") {
        opts.backend = Backend::Interpreter; // the checks are the same; no machine code needed
    } else {
        std::cerr << "tutti check: unknown backend '" << outputs.backend << "' (llvm or interp)\n";
        return 2;
    }
    opts.include_dirs = include_dirs;
    opts.math = parse_math_mode(outputs.math).value_or(MathMode::Exact);
    const std::vector<PipelinePass> passes = pipeline_passes();
    auto index_of = [&](std::string_view name) -> std::size_t {
        for (std::size_t i = 0; i < passes.size(); ++i) {
            if (passes[i].name == name) {
                return i;
            }
        }
        return passes.size();
    };
    for (const std::string& p : outputs.dump_after) {
        if (p != "all" && index_of(p) == passes.size()) {
            std::cerr << "tutti check: unknown pass '" << p << "'; the passes are:";
            for (const PipelinePass& q : passes) {
                std::cerr << " " << q.name;
            }
            std::cerr << " (or all)\n";
            return 2;
        }
    }
    if (!outputs.dump_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(outputs.dump_dir, ec);
        if (ec) {
            std::cerr << "tutti check: cannot make " << outputs.dump_dir << ": " << ec.message()
                      << "\n";
            return 2;
        }
        opts.dump_after = {"all"};
    } else {
        opts.dump_after = outputs.dump_after;
    }
    const bool headers = outputs.dump_after.size() > 1 ||
                         (outputs.dump_after.size() == 1 && outputs.dump_after[0] == "all");
    bool write_failed = false;
    opts.dump = [&](std::string_view pass, std::string_view text) {
        if (!outputs.dump_dir.empty()) {
            char prefix[8];
            std::snprintf(prefix, sizeof prefix, "%02zu-", index_of(pass) + 1);
            std::filesystem::path file =
                std::filesystem::path(outputs.dump_dir) / (prefix + std::string(pass) + ".txt");
            std::ofstream out(file, std::ios::binary);
            out << text;
            write_failed = write_failed || !out;
        }
        bool shown = std::any_of(outputs.dump_after.begin(), outputs.dump_after.end(),
                                 [&](const std::string& p) { return p == pass || p == "all"; });
        if (shown) {
            if (headers) {
                std::cout << "// ---- after " << pass << "\n";
            }
            std::cout << text;
        }
    };
    CompileResult r = compile_file(program, opts);
    print_diagnostics(r.diagnostics, json);
    if (outputs.timings) {
        double total = 0;
        double total_cpu = 0;
        char line[96];
        std::cout << "pass          milliseconds    cpu ms\n";
        for (const PassTiming& t : r.timings) {
            std::snprintf(line, sizeof line, "%-12s %13.3f %9.3f\n", t.pass.c_str(), t.milliseconds,
                          t.cpu_milliseconds);
            std::cout << line;
            total += t.milliseconds;
            total_cpu += t.cpu_milliseconds;
        }
        std::snprintf(line, sizeof line, "%-12s %13.3f %9.3f\n", "total", total, total_cpu);
        std::cout << line;
    }
    if (write_failed) {
        std::cerr << "tutti check: could not write the dumps into " << outputs.dump_dir << "\n";
        return 1;
    }
    return r.ok() ? 0 : 1;
}

int run_json(const std::string& program, const std::vector<std::string>& include_dirs,
             bool double_precision) {
    CompileOptions opts;
    opts.double_precision = double_precision;
    opts.backend = Backend::Interpreter;
    opts.include_dirs = include_dirs;
    CompileResult r = compile_file(program, opts);
    print_diagnostics(r.diagnostics, false);
    if (!r.ok()) {
        return 1;
    }
    std::cout << r.factory->json();
    return 0;
}

} // namespace tutti::app
