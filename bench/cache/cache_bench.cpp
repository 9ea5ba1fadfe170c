// SPDX-License-Identifier: MIT
// The compiled-code cache (issue 13): the time from source to a ready instance
// (compile or look up, create_instance, init) for example programs, in one run:
// a fresh compilation, a hit in the process's memory, and a hit on disk in a
// cache object with empty memory (what a new process finds: the object is read,
// checked and linked into a new JIT). Ratios are to the fresh compilation of the
// same program, measured in this run. Usage: bench_cache [REPEATS] [PROGRAM...]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cache/code_cache.h"
#include "tutti/compiler.h"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

/// Milliseconds from the request to an initialised instance.
template <class Compile> double ready_instance_ms(Compile&& compile) {
    const auto t0 = Clock::now();
    tutti::CompileResult r = compile();
    if (!r.ok()) {
        std::fprintf(stderr, "bench_cache: compilation failed\n");
        std::exit(1);
    }
    auto dsp = r.factory->create_instance();
    dsp->init(48000);
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
    int repeats = 5;
    std::vector<std::string> programs;
    for (int i = 1; i < argc; ++i) {
        if (i == 1 && std::atoi(argv[i]) > 0) {
            repeats = std::atoi(argv[i]);
        } else {
            programs.emplace_back(argv[i]);
        }
    }
    if (programs.empty()) {
        const std::string ex = "/usr/share/faust/examples/";
        programs = {ex + "generator/osc.dsp",          ex + "physicalModeling/old/karplus32.dsp",
                    ex + "reverb/freeverb.dsp",        ex + "reverb/zitaRev.dsp",
                    ex + "reverb/fdnRev.dsp",          ex + "reverb/reverbDesigner.dsp",
                    ex + "physicalModeling/brass.dsp", ex + "filtering/graphicEqLab.dsp"};
    }
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("tutti-bench-cache-" + std::to_string(getpid()));
    std::error_code ec;
    tutti::cache::CacheSettings settings;
    settings.dir = dir;
    std::printf("compiled-code cache: source -> ready instance (compile or lookup, "
                "create_instance, init), median of %d, ms\n",
                repeats);
    std::printf("%-22s %10s %10s %10s %10s %8s %8s %9s\n", "program", "fresh", "miss+store",
                "disk hit", "mem hit", "fresh/", "fresh/", "object");
    std::printf("%-22s %10s %10s %10s %10s %8s %8s %9s\n", "", "", "", "", "", "disk", "mem", "KB");
    std::vector<double> disk_all, mem_all;
    for (const std::string& path : programs) {
        if (!fs::exists(path)) {
            std::printf("%-22s (missing)\n", fs::path(path).filename().c_str());
            continue;
        }
        const tutti::ProgramSource src{true, path, {}};
        const tutti::CompileOptions options;
        std::vector<double> fresh, disk, mem;
        for (int i = 0; i < repeats; ++i) {
            fresh.push_back(
                ready_instance_ms([&] { return tutti::compile_program(src, options); }));
        }
        double store = 0;
        {
            tutti::cache::CodeCache filling(settings);
            store = ready_instance_ms([&] { return filling.compile(src, options); });
        }
        for (int i = 0; i < repeats; ++i) {
            tutti::cache::CodeCache fresh_memory(settings);
            disk.push_back(ready_instance_ms([&] { return fresh_memory.compile(src, options); }));
        }
        tutti::cache::CodeCache warm(settings);
        warm.compile(src, options);
        for (int i = 0; i < repeats * 4; ++i) {
            mem.push_back(ready_instance_ms([&] { return warm.compile(src, options); }));
        }
        std::uint64_t object_bytes = 0;
        for (const auto& e : fs::directory_iterator(dir / "objects", ec)) {
            object_bytes = std::max<std::uint64_t>(object_bytes, e.file_size(ec));
        }
        warm.clear();
        const double f = median(fresh), d = median(disk), m = median(mem);
        disk_all.push_back(d);
        mem_all.push_back(m);
        std::printf("%-22s %10.2f %10.2f %10.3f %10.3f %7.0fx %7.0fx %9.1f\n",
                    fs::path(path).filename().c_str(), f, store, d, m, f / d, f / m,
                    double(object_bytes) / 1024.0);
    }
    std::printf("largest disk hit %.3f ms, largest memory hit %.3f ms\n",
                disk_all.empty() ? 0 : *std::max_element(disk_all.begin(), disk_all.end()),
                mem_all.empty() ? 0 : *std::max_element(mem_all.begin(), mem_all.end()));
    fs::remove_all(dir, ec);
    return 0;
}
