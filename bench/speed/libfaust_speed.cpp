// SPDX-License-Identifier: MIT
/** \file
 * Benchmark only (never part of the product): libfaust's LLVM JIT (Debian's
 * libfaust2, Faust 2.54.9) through createDSPFactoryFromString, as an anchor for
 * bench/speed/run.sh. Compile time: source text to an initialised instance,
 * best of the runs (each factory deleted, so libfaust's factory cache never
 * answers); run time through the same harness as tutti (bench_harness.h).
 * Usage: bench_speed_libfaust PROGRAM.dsp COMPILE_RUNS SECONDS PASSES CHECK_OUT (PASSES
 * "serve": SECONDS of CPU per pass, each asked on stdin: bench_harness.h serve)
 */
#include <faust/dsp/llvm-dsp.h>
#include <faust/gui/UI.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "faust_adapter.h"

int main(int argc, char** argv) {
    if (argc != 6) {
        std::cerr << "usage: bench_speed_libfaust PROGRAM.dsp COMPILE_RUNS SECONDS PASSES "
                     "CHECK_OUT\n";
        return 2;
    }
    std::string path = argv[1];
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string dir = path.substr(0, path.find_last_of('/') + 1);
    if (dir.empty()) {
        dir = ".";
    }
    const char* args[] = {"-I", dir.c_str()};
    // one compilation to a ready instance with the `n` arguments of `list` (what is in the
    // two pointers first deleted)
    auto compile_into = [&](llvm_dsp_factory*& f, dsp*& i, int n, const char** list) {
        delete i;
        i = nullptr;
        if (f != nullptr) {
            deleteDSPFactory(f);
        }
        std::string error;
        f = createDSPFactoryFromString("bench", text.str(), n, list, "", error, -1);
        if (f == nullptr) {
            std::cerr << "libfaust: " << error << "\n";
            return false;
        }
        i = f->createDSPInstance();
        i->init(48000);
        return true;
    };
    llvm_dsp_factory* factory = nullptr;
    dsp* instance = nullptr;
    tutti::bench::CompileTime compile = tutti::bench::time_compile(
        std::atoi(argv[2]), [&] { return compile_into(factory, instance, 2, args); });
    if (instance == nullptr) {
        return 1;
    }
    // BENCH_LIBFAUST_IR=FILE: libfaust's LLVM IR of the factory, for comparing code
    if (const char* ir = std::getenv("BENCH_LIBFAUST_IR"); ir != nullptr && *ir != 0) {
        std::ofstream(ir) << writeDSPFactoryToIR(factory);
    }
    tutti::bench::Dsp d = tutti::bench::adapt(instance);
    tutti::bench::Setup s;
    s.seconds = std::atof(argv[3]);
    s.passes = std::atoi(argv[4]);
    bool written = true;
    auto report = [&](const tutti::bench::Result& r) {
        written = tutti::bench::write_check(argv[5], r);
        if (!written) {
            std::cerr << "cannot write " << argv[5] << "\n";
            return;
        }
        tutti::bench::print_json(path, "libfaust-llvm", "fast", compile, r.ns_per_frame);
    };
    if (std::string(argv[4]) == "serve") { // SECONDS: CPU seconds per pass
        // one more compilation to a ready instance; another class name each time,
        // so that libfaust's table of factories (keyed by the source and the
        // arguments) does not answer with the running one
        int round = 0;
        auto compile_once = [&]() -> double {
            const std::string cn = "benchc" + std::to_string(++round);
            const char* more[] = {"-I", dir.c_str(), "-cn", cn.c_str()};
            llvm_dsp_factory* f = nullptr;
            dsp* i = nullptr;
            const double ms =
                tutti::bench::time_compile(1, [&] { return compile_into(f, i, 4, more); }).cpu_ms;
            delete i;
            if (f != nullptr) {
                deleteDSPFactory(f);
            }
            return ms;
        };
        tutti::bench::serve(d, s, s.seconds, report, compile_once);
    } else {
        report(tutti::bench::run(d, s));
    }
    delete instance;
    deleteDSPFactory(factory);
    return written ? 0 : 2;
}
