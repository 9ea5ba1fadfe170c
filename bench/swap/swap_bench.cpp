// SPDX-License-Identifier: MIT
/** \file
 * Swap cost on the audio thread as a function of the state size, and the
 * edit-to-sound path measured through the engine.
 *
 * For each state size S (one delay line of S bytes, plus a small filter), the
 * same program is compiled twice and the second version is swapped in while the
 * first plays (offline, through Engine::process): the commit time is what the
 * audio thread spends migrating the state and switching. A second series swaps
 * in a version whose line is twice as long (a resize: the samples are moved one
 * by one, by age). Anchor, measured in the same run on the same bytes: memcpy
 * of S bytes between two warm buffers (the ratio says how close the commit is
 * to copying the state once).
 *
 * Usage: bench_swap [repetitions]   (default 15; medians are printed)
 */
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tutti/compiler.h"
#include "tutti/engine.h"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::shared_ptr<const tutti::Factory> compile(const std::string& src) {
    tutti::CompileResult r = tutti::compile_source("bench.dsp", src, {});
    if (!r.ok()) {
        std::fprintf(stderr, "compile failed: %s\n", src.c_str());
        std::exit(1);
    }
    return r.factory;
}

std::string program(long samples) {
    return "import(\"stdfaust.lib\"); process = _ : de.delay(" + std::to_string(samples) + ", " +
           std::to_string(samples - 1) + ") : fi.lowpass(2, 1000);";
}

/// Median commit time (us) of swapping `next` in while `first` plays.
double commit_us(const std::shared_ptr<const tutti::Factory>& first,
                 const std::shared_ptr<const tutti::Factory>& next, int reps) {
    std::vector<double> t;
    for (int r = 0; r < reps; ++r) {
        tutti::EngineOptions eo;
        eo.inputs = 1;
        eo.outputs = 1;
        eo.max_block = 64;
        tutti::Engine engine(eo);
        engine.submit(first, "first");
        std::vector<float> in(64, 0.5f), out(64);
        const void* ip[1] = {in.data()};
        void* op[1] = {out.data()};
        for (int b = 0; b < 8; ++b) {
            engine.process(64, ip, op);
        }
        engine.submit(next, "next");
        engine.process(64, ip, op);
        for (const tutti::SwapReport& rep : engine.take_reports()) {
            if (rep.committed && rep.generation == 2) {
                t.push_back(rep.commit_us);
            }
        }
    }
    return median(t);
}

double memcpy_us(std::size_t bytes, int reps) {
    // warm, like the engine's states at a swap: the old one was just computed,
    // the new one was cleared by its initialisation
    std::vector<char> src(bytes, 1), dst(bytes, 2);
    std::vector<double> t;
    for (int r = 0; r < reps; ++r) {
        std::memset(dst.data(), r, bytes);
        auto t0 = Clock::now();
        std::memcpy(dst.data(), src.data(), bytes);
        t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        volatile char keep = dst[bytes / 2];
        (void)keep;
    }
    return median(t);
}

} // namespace

int main(int argc, char** argv) {
    int reps = argc > 1 ? std::max(3, std::atoi(argv[1])) : 15;
    std::printf("swap commit time on the audio thread vs state size (median of %d, same-run "
                "anchor: memcpy of the state's bytes)\n",
                reps);
    std::printf("%12s %12s %14s %12s %10s %16s %10s\n", "line (smp)", "state (B)", "commit (us)",
                "memcpy (us)", "ratio", "resize (us)", "ns/sample");
    for (long samples : {256L, 4096L, 65536L, 262144L, 1048576L, 4194304L}) {
        auto a = compile(program(samples));
        auto b = compile(program(samples));     // same program, compiled again
        auto c = compile(program(samples * 2)); // the line doubled: moved sample by sample
        double same = commit_us(a, b, reps);
        double resize = commit_us(a, c, reps);
        double copy = memcpy_us(a->state_bytes(), reps);
        std::printf("%12ld %12u %14.2f %12.2f %10.2f %16.2f %10.2f\n", samples, a->state_bytes(),
                    same, copy, same / copy, resize, resize * 1000.0 / double(samples));
        std::fflush(stdout);
    }
    return 0;
}
