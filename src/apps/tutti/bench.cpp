// SPDX-License-Identifier: MIT
#include "apps/tutti/bench.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>

#include "apps/tutti/bench_harness.h"
#include "tutti/compiler.h"

namespace tutti::app {

namespace {

/// The controls of `instance` in UI order (bargraphs left out).
class ControlWalk : public UiVisitor {
public:
    ControlWalk(Instance& instance, std::vector<bench::Control>& out)
        : instance_(instance), out_(out) {
    }
    void open_group(std::string_view, std::string_view,
                    const std::vector<std::pair<std::string, std::string>>&) override {
    }
    void close_group() override {
    }
    void widget(const Parameter& p, std::size_t index) override {
        using K = Parameter::Kind;
        if (p.kind == K::VBargraph || p.kind == K::HBargraph) {
            return;
        }
        bench::Control c;
        c.button = p.kind == K::Button || p.kind == K::Checkbox;
        c.min = p.min;
        c.max = p.max;
        Instance* inst = &instance_;
        c.set = [inst, index](double v) { inst->set_parameter(index, v); };
        out_.push_back(std::move(c));
    }

private:
    Instance& instance_;
    std::vector<bench::Control>& out_;
};

} // namespace

int run_bench(const BenchArgs& a) {
    CompileOptions opts;
    if (a.backend != "llvm" && a.backend != "interp") {
        std::cerr << "tutti bench: --backend is llvm or interp\n";
        return 2;
    }
    std::optional<MathMode> math = parse_math_mode(a.math);
    if (!math) {
        std::cerr << "tutti bench: --math is exact or fast\n";
        return 2;
    }
    opts.backend = a.backend == "interp" ? Backend::Interpreter : Backend::Llvm;
    opts.math = *math;
    opts.opt_level = a.opt_level;
    opts.include_dirs = a.include_dirs;
    // a warm process, as a running engine (`tutti play`): the libraries parsed by
    // the first compilation serve the next ones (--no-library-cache: each parses them)
    if (!a.no_library_cache) {
        opts.library_cache = make_library_cache();
    }
    // compile time: source to ready instance (created and initialised), best of the runs
    std::unique_ptr<Instance> instance;
    std::vector<PassTiming> best_passes; // the best CPU time of each pass
    // one compilation to a ready instance into `into` (each pass's best time kept)
    auto compile_into = [&](std::unique_ptr<Instance>& into) {
        into.reset();
        CompileResult r = compile_file(a.program, opts);
        if (best_passes.empty()) {
            best_passes = r.timings;
        }
        for (std::size_t i = 0; i < best_passes.size() && i < r.timings.size(); ++i) {
            best_passes[i].cpu_milliseconds =
                std::min(best_passes[i].cpu_milliseconds, r.timings[i].cpu_milliseconds);
        }
        if (!r.ok()) {
            for (const auto& d : r.diagnostics) {
                std::cerr << to_text(d);
            }
            return false;
        }
        into = r.factory->create_instance();
        into->init(48000);
        return true;
    };
    bench::CompileTime compile =
        bench::time_compile(a.compile_runs, [&] { return compile_into(instance); });
    if (!instance) {
        return 1;
    }
    if (a.timings) {
        double total = 0;
        std::cerr << "pass         best cpu ms\n";
        for (const PassTiming& t : best_passes) {
            char line[64];
            std::snprintf(line, sizeof line, "%-12s %11.3f\n", t.pass.c_str(), t.cpu_milliseconds);
            std::cerr << line;
            total += t.cpu_milliseconds;
        }
        char line[64];
        std::snprintf(line, sizeof line, "%-12s %11.3f\n", "sum", total);
        std::cerr << line;
    }
    if (instance->factory().double_precision()) {
        std::cerr << "tutti bench: single precision programs only\n";
        return 2;
    }
    bench::Dsp d;
    d.inputs = instance->num_inputs();
    d.outputs = instance->num_outputs();
    ControlWalk walk(*instance, d.controls);
    instance->factory().build_user_interface(walk);
    Instance* inst = instance.get();
    d.compute = [inst](int n, float** in, float** out) {
        inst->compute(n, reinterpret_cast<const void* const*>(in),
                      reinterpret_cast<void* const*>(out));
    };
    bench::Setup s;
    s.seconds = a.seconds;
    s.passes = a.passes;
    const std::string math_name = a.backend == "interp" ? "exact" : a.math;
    bool written = true;
    auto report = [&](const bench::Result& r) {
        written = a.check_out.empty() || bench::write_check(a.check_out, r);
        if (!written) {
            std::cerr << "tutti bench: cannot write '" << a.check_out << "'\n";
            return;
        }
        bench::print_json(a.program, a.backend, math_name, compile, r.ns_per_frame);
    };
    if (a.serve) {
        // one more compilation to a ready instance, another factory each time
        auto compile_once = [&]() -> double {
            std::unique_ptr<Instance> other;
            return bench::time_compile(1, [&] { return compile_into(other); }).cpu_ms;
        };
        bench::serve(d, s, a.seconds, report, compile_once); // ns_per_frame of the JSON line: 0
    } else {
        report(bench::run(d, s));
    }
    return written ? 0 : 2;
}

} // namespace tutti::app
