// SPDX-License-Identifier: MIT
/** \file
 * Compile time, source to ready instance (parse, evaluate, propagate, lower,
 * JIT or interpreter setup, create + init), next to the reference compiler's
 * `faust -lang cpp` time on the same program measured in the same run (the
 * anchor; it stops at C++ text, which a host would still have to compile).
 * Best of N runs each; then, per program, the best time of each pass of the
 * pipeline (CompileResult::timings, LLVM backend).
 * Usage: bench_compile [N] [program.dsp...]
 */
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tutti/compiler.h"

namespace {

double now_ms() {
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

double best(int runs, const auto& f) {
    double b = 1e300;
    for (int i = 0; i < runs; ++i) {
        double t0 = now_ms();
        f();
        b = std::min(b, now_ms() - t0);
    }
    return b;
}

} // namespace

int main(int argc, char** argv) {
    int runs = argc > 1 ? std::atoi(argv[1]) : 3;
    std::vector<std::string> programs;
    for (int i = 2; i < argc; ++i) {
        programs.emplace_back(argv[i]);
    }
    if (programs.empty()) {
        for (const char* p : {"generator/osc.dsp", "reverb/zitaRev.dsp", "reverb/fdnRev.dsp"}) {
            programs.push_back(std::string("/usr/share/faust/examples/") + p);
        }
    }
    std::printf("%-28s %12s %12s %14s %10s %10s\n", "program", "tutti llvm", "tutti interp",
                "faust -lang cpp", "llvm/faust", "interp/faust");
    std::vector<std::pair<std::string, std::vector<tutti::PassTiming>>> per_pass;
    for (const auto& p : programs) {
        bool ok = true;
        std::vector<tutti::PassTiming> passes; // the best time of each pass (LLVM)
        auto compile = [&](tutti::Backend b) {
            tutti::CompileOptions o;
            o.backend = b;
            auto r = tutti::compile_file(p, o);
            if (b == tutti::Backend::Llvm) {
                if (passes.empty()) {
                    passes = r.timings;
                }
                for (std::size_t i = 0; i < passes.size() && i < r.timings.size(); ++i) {
                    passes[i].milliseconds =
                        std::min(passes[i].milliseconds, r.timings[i].milliseconds);
                }
            }
            if (!r.ok()) {
                ok = false;
                return;
            }
            auto dsp = r.factory->create_instance();
            dsp->init(44100);
        };
        double llvm = best(runs, [&] { compile(tutti::Backend::Llvm); });
        double interp = best(runs, [&] { compile(tutti::Backend::Interpreter); });
        std::string cmd = "faust -lang cpp -o /dev/null " + p + " > /dev/null 2>&1";
        double faust = best(runs, [&] {
            if (std::system(cmd.c_str()) != 0) {
                ok = false;
            }
        });
        std::string name = p.substr(p.find_last_of('/') + 1);
        std::printf("%-28s %9.1f ms %9.1f ms %11.1f ms %10.2f %10.2f%s\n", name.c_str(), llvm,
                    interp, faust, llvm / faust, interp / faust, ok ? "" : "  (failed)");
        per_pass.emplace_back(name, std::move(passes));
    }
    std::printf("\nbest time of each pass (ms, LLVM backend)\n");
    for (const auto& [name, passes] : per_pass) {
        std::printf("%s\n", name.c_str());
        for (const tutti::PassTiming& t : passes) {
            std::printf("  %-12s %10.3f\n", t.pass.c_str(), t.milliseconds);
        }
    }
    return 0;
}
