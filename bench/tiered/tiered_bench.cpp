// SPDX-License-Identifier: MIT
/** \file
 * bench_tiered: how soon a program is heard in a running engine (issue 14,
 * section 4), tiered (the interpreter at once, its LLVM code later) against
 * single-tier (the LLVM code only), in one run, on the null driver (48 kHz,
 * 64-frame blocks, paced in real time, as `tutti play --driver null`).
 *
 *   bench_tiered [ROUNDS] [--front-end] [PROGRAM.dsp...]
 *
 * For each program: ROUNDS loads into an engine that is already playing
 * (another program, the library cache warm); time from load_file() to the
 * start of the first block of the new version (SwapReport::committed_at), and
 * for the tiered engine the time until its LLVM code took over. Prints the
 * median and the worst of each, and the library cache's effect on a whole
 * compile (cold session against warm cache), one line per program.
 */
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "tutti/compiler.h"
#include "tutti/driver.h"
#include "tutti/engine.h"
#include "tutti/engine_callback.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

double median(std::vector<double> v) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double worst(const std::vector<double>& v) {
    return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

struct Run {
    std::vector<double> first; ///< request -> first block of the new version
    std::vector<double> llvm;  ///< request -> its LLVM code playing (tiered)
    std::vector<double> compile;
};

/// A playing engine on the null driver; `rounds` loads of `program`, each after
/// a load of `other` (so that every load is a new program, not the same one).
Run measure(const std::string& program, const std::string& other, bool tiered, int rounds) {
    tutti::CompileOptions co;
    co.library_cache = tutti::make_library_cache();
    std::unique_ptr<tutti::Driver> driver = tutti::make_driver("null");
    tutti::DriverOptions dopt;
    dopt.inputs = 2;
    dopt.outputs = 2;
    dopt.sample_rate = 48000;
    dopt.block_size = 64;
    std::string error;
    if (!driver->open(dopt, &error)) {
        std::fprintf(stderr, "null driver: %s\n", error.c_str());
        std::exit(1);
    }
    tutti::EngineOptions eo;
    eo.sample_rate = 48000;
    eo.max_block = 64;
    eo.inputs = 2;
    eo.outputs = 2;
    eo.compiler = tutti::compile_program;
    eo.compile = co;
    eo.tiered = tiered;
    tutti::Engine engine(eo);
    tutti::EngineCallback callback(engine);
    if (!driver->start(&callback, &error)) {
        std::fprintf(stderr, "null driver: %s\n", error.c_str());
        std::exit(1);
    }
    auto wait_for = [&](std::uint64_t g, bool llvm, Clock::time_point t0, double* first_ms,
                        double* llvm_ms, double* compile_ms) {
        const auto give_up = Clock::now() + std::chrono::seconds(60);
        bool heard = false, moved = !llvm;
        while ((!heard || !moved) && Clock::now() < give_up) {
            std::this_thread::sleep_for(std::chrono::microseconds(500));
            for (const tutti::SwapReport& r : engine.take_reports()) {
                if (r.generation != g) {
                    continue;
                }
                if (!r.compiled && !r.diagnostics.empty()) {
                    std::fprintf(stderr, "%s: not compiled\n", r.program.c_str());
                    std::exit(1);
                }
                if (r.committed && !heard) {
                    heard = true;
                    *first_ms = ms(r.committed_at - t0);
                    *compile_ms = r.compile_ms + r.prepare_ms;
                }
                if (r.tier_moved) {
                    moved = true;
                    *llvm_ms = ms(r.tier_at - t0);
                }
                if (!r.tier_note.empty() && r.committed) {
                    moved = true; // it never moved (the note says why)
                }
            }
        }
    };
    Run run;
    double a = 0, b = 0, c = 0;
    // warm up: the libraries into the cache, the first LLVM code into the process
    std::uint64_t g0 = engine.load_file(other);
    wait_for(g0, tiered, Clock::now(), &a, &b, &c);
    for (int i = 0; i < rounds; ++i) {
        auto t0 = Clock::now();
        std::uint64_t g = engine.load_file(program);
        double first = 0, llvm = 0, compile = 0;
        wait_for(g, tiered, t0, &first, &llvm, &compile);
        run.first.push_back(first);
        run.compile.push_back(compile);
        if (tiered) {
            run.llvm.push_back(llvm);
        }
        std::uint64_t h = engine.load_file(other);
        wait_for(h, tiered, Clock::now(), &a, &b, &c);
    }
    driver->stop();
    return run;
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 4 && std::string(argv[1]) == "--warm-loop") {
        // for profilers: ROUNDS compilations of one program to its loop IR, the cache warm
        tutti::CompileOptions o;
        o.backend = tutti::Backend::Interpreter;
        o.library_cache = tutti::make_library_cache();
        std::thread worker([&] { // as the engine's worker thread does
            for (int i = 0, n = std::atoi(argv[2]); i <= n; ++i) {
                (void)tutti::compile_file(argv[3], o);
            }
        });
        worker.join();
        return 0;
    }
    int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;
    const std::string ex = "/usr/share/faust/examples/";
    std::vector<std::string> programs;
    bool engine_runs = true; // --front-end: only the compile figures (library cache, interpreter)
    for (int i = 2; i < argc; ++i) {
        if (std::string(argv[i]) == "--front-end") {
            engine_runs = false;
            continue;
        }
        programs.emplace_back(argv[i]);
    }
    if (programs.empty()) {
        programs = {ex + "generator/osc.dsp", ex + "physicalModeling/old/karplus32.dsp",
                    ex + "reverb/zitaRev.dsp"};
    }
    const std::string other = ex + "generator/noise.dsp";
    std::printf(
        "first sound in a running engine (null driver, 48 kHz, 64-frame blocks), %d "
        "loads each: request -> first block of the new version, median / worst (ms); (compile): "
        "compile + prepare, median\n",
        rounds);
    std::printf("%-36s %20s %10s %16s %20s %10s %8s\n", "program", "tiered: interpreter",
                "(compile)", "tiered: LLVM", "single-tier LLVM", "(compile)", "ratio");
    for (const std::string& p : programs) {
        if (!engine_runs) {
            break;
        }
        Run t = measure(p, other, true, rounds);
        Run s = measure(p, other, false, rounds);
        std::string name = p.rfind(ex, 0) == 0 ? p.substr(ex.size()) : p;
        std::printf("%-36s %9.2f / %8.2f %10.2f %7.1f / %6.1f %9.1f / %8.1f %10.1f %7.3fx\n",
                    name.c_str(), median(t.first), worst(t.first), median(t.compile),
                    median(t.llvm), worst(t.llvm), median(s.first), worst(s.first),
                    median(s.compile), median(t.first) / median(s.first));
    }
    // the library cache: a whole compile (interpreter backend: the front end alone) in a
    // fresh session against one with a warm cache, same run
    std::printf("\nlibrary cache: compile to loop IR (interpreter), fresh session / warm cache, "
                "median of %d (ms)\n",
                rounds);
    for (const std::string& p : programs) {
        tutti::CompileOptions plain;
        plain.backend = tutti::Backend::Interpreter;
        tutti::CompileOptions cached = plain;
        cached.library_cache = tutti::make_library_cache();
        (void)tutti::compile_file(p, cached);
        std::vector<double> tp, tc, parse_p, parse_c;
        std::vector<std::pair<std::string, std::vector<double>>> passes; // warm cache, per pass
        for (int i = 0; i < rounds; ++i) {
            auto t0 = Clock::now();
            tutti::CompileResult a1 = tutti::compile_file(p, plain);
            tp.push_back(ms(Clock::now() - t0));
            t0 = Clock::now();
            tutti::CompileResult b1 = tutti::compile_file(p, cached);
            tc.push_back(ms(Clock::now() - t0));
            parse_p.push_back(a1.timings.empty() ? 0 : a1.timings[0].milliseconds);
            parse_c.push_back(b1.timings.empty() ? 0 : b1.timings[0].milliseconds);
            for (std::size_t k = 0; k < b1.timings.size(); ++k) {
                if (passes.size() <= k) {
                    passes.emplace_back(b1.timings[k].pass, std::vector<double>{});
                }
                passes[k].second.push_back(b1.timings[k].milliseconds);
            }
        }
        std::string name = p.rfind(ex, 0) == 0 ? p.substr(ex.size()) : p;
        std::printf("%-40s %7.2f / %6.2f  (parse %6.2f / %5.2f)  %.2fx\n", name.c_str(), median(tp),
                    median(tc), median(parse_p), median(parse_c), median(tc) / median(tp));
        std::string line = "    warm, per pass:";
        for (const auto& [pass, t] : passes) {
            char buf[64];
            std::snprintf(buf, sizeof buf, " %s %.2f", pass.c_str(), median(t));
            line += buf;
        }
        std::printf("%s\n", line.c_str());
    }
    // the interpreter's cost per instruction (EngineOptions::interpreter_ns_per_instruction
    // estimates whether the interpreter keeps up with a program)
    std::printf("\ninterpreter: instructions per frame, ns per frame (48000 frames, 64-frame "
                "blocks, silent input), ns per instruction, init (ms)\n");
    for (const std::string& p : programs) {
        tutti::CompileOptions o;
        o.backend = tutti::Backend::Interpreter;
        tutti::CompileResult r = tutti::compile_file(p, o);
        if (!r.ok()) {
            continue;
        }
        auto inst = r.factory->create_instance();
        auto i0 = Clock::now();
        inst->init(48000);
        const double init_ms = ms(Clock::now() - i0);
        const int nin = r.factory->num_inputs(), nout = r.factory->num_outputs();
        std::vector<std::vector<float>> ib(std::size_t(nin), std::vector<float>(64, 0.f)),
            ob(std::size_t(nout), std::vector<float>(64, 0.f));
        std::vector<const void*> ip;
        std::vector<void*> op;
        for (auto& b : ib) {
            ip.push_back(b.data());
        }
        for (auto& b : ob) {
            op.push_back(b.data());
        }
        auto t0 = Clock::now();
        for (int i = 0; i < 750; ++i) {
            inst->compute(64, ip.data(), op.data());
        }
        const double ns = ms(Clock::now() - t0) * 1e6 / 48000;
        std::string name = p.rfind(ex, 0) == 0 ? p.substr(ex.size()) : p;
        std::printf("%-40s %8zu %10.1f %8.2f %10.2f\n", name.c_str(), r.interpreter_size, ns,
                    ns / double(std::max<std::size_t>(r.interpreter_size, 1)), init_ms);
    }
    return 0;
}
