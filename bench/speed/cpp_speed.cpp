// SPDX-License-Identifier: MIT
/** \file
 * Benchmark only: the main of faust's C++ output (faust -lang cpp -cn mydsp),
 * built by bench/speed/run.sh with g++ and the flags under test, run through
 * the same harness as tutti (bench_harness.h). FAUST_CLASS_FILE names the
 * generated file; BENCH_LABEL the contender.
 * Usage: BINARY SECONDS PASSES CHECK_OUT COMPILE_MS NAME (PASSES "serve": SECONDS of CPU
 * per pass, each asked on stdin: bench_harness.h serve)
 */
#include <faust/dsp/dsp.h>
#include <faust/gui/UI.h>
#include <faust/gui/meta.h>

#include <cstdlib>
#include <iostream>

#include FAUST_CLASS_FILE

#include "faust_adapter.h"

int main(int argc, char** argv) {
    if (argc != 6) {
        std::cerr << "usage: cpp_speed SECONDS PASSES CHECK_OUT COMPILE_MS NAME\n";
        return 2;
    }
    mydsp instance;
    instance.init(48000);
    tutti::bench::Dsp d = tutti::bench::adapt(&instance);
    tutti::bench::Setup s;
    s.seconds = std::atof(argv[1]);
    s.passes = std::atoi(argv[2]);
    tutti::bench::CompileTime compile; // measured by run.sh (faust + g++, CPU time)
    compile.cpu_ms = compile.wall_ms = std::atof(argv[4]);
    bool written = true;
    auto report = [&](const tutti::bench::Result& r) {
        written = tutti::bench::write_check(argv[3], r);
        if (!written) {
            std::cerr << "cannot write " << argv[3] << "\n";
            return;
        }
        tutti::bench::print_json(argv[5], BENCH_LABEL, "-", compile, r.ns_per_frame);
    };
    if (std::string(argv[2]) == "serve") { // SECONDS: CPU seconds per pass
        tutti::bench::serve(d, s, s.seconds, report);
    } else {
        report(tutti::bench::run(d, s));
    }
    return written ? 0 : 2;
}
