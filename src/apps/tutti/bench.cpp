// SPDX-License-Identifier: MIT
#include "apps/tutti/bench.h"

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
    // compile time: source to ready instance (created and initialised), best of the runs
    std::unique_ptr<Instance> instance;
    bench::CompileTime compile = bench::time_compile(a.compile_runs, [&] {
        instance.reset();
        CompileResult r = compile_file(a.program, opts);
        if (!r.ok()) {
            for (const auto& d : r.diagnostics) {
                std::cerr << to_text(d);
            }
            return false;
        }
        instance = r.factory->create_instance();
        instance->init(48000);
        return true;
    });
    if (!instance) {
        return 1;
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
    bench::Result r = bench::run(d, s);
    if (!a.check_out.empty() && !bench::write_check(a.check_out, r)) {
        std::cerr << "tutti bench: cannot write '" << a.check_out << "'\n";
        return 2;
    }
    bench::print_json(a.program, a.backend, a.backend == "interp" ? "exact" : a.math, compile,
                      r.ns_per_frame);
    return 0;
}

} // namespace tutti::app
