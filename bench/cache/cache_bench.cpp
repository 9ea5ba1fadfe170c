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

struct Ready {
    double lookup = 0; ///< compile or cache lookup: the factory
    double ready = 0;  ///< and an initialised instance
};

/// Milliseconds from the request to a factory and to an initialised instance.
template <class Compile> Ready ready_instance(Compile&& compile) {
    const auto t0 = Clock::now();
    tutti::CompileResult r = compile();
    if (!r.ok()) {
        std::fprintf(stderr, "bench_cache: compilation failed\n");
        std::exit(1);
    }
    const auto t1 = Clock::now();
    auto dsp = r.factory->create_instance();
    dsp->init(48000);
    const auto t2 = Clock::now();
    return {std::chrono::duration<double, std::milli>(t1 - t0).count(),
            std::chrono::duration<double, std::milli>(t2 - t0).count()};
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
    std::printf("compiled-code cache: source -> ready instance (compile or lookup, then "
                "create_instance + init(48000)), median of %d, ms;\n"
                "lookup: the factory alone; disk hit: a cache with empty memory (a new process)\n",
                repeats);
    std::printf("%-20s %9s %9s | %8s %8s | %8s %8s | %7s %7s | %6s\n", "program", "fresh", "miss",
                "disk", "lookup", "memory", "lookup", "fresh/", "fresh/", "object");
    std::printf("%-20s %9s %9s | %8s %8s | %8s %8s | %7s %7s | %6s\n", "", "", "+store", "hit", "",
                "hit", "", "disk", "memory", "KB");
    std::vector<double> disk_all, mem_all, disk_lookup_all, mem_lookup_all;
    for (const std::string& path : programs) {
        if (!fs::exists(path)) {
            std::printf("%-20s (missing)\n", fs::path(path).filename().c_str());
            continue;
        }
        const tutti::ProgramSource src{true, path, {}};
        const tutti::CompileOptions options;
        std::vector<double> fresh, disk, disk_lookup, mem, mem_lookup;
        for (int i = 0; i < repeats; ++i) {
            fresh.push_back(
                ready_instance([&] { return tutti::compile_program(src, options); }).ready);
        }
        double store = 0;
        {
            tutti::cache::CodeCache filling(settings);
            store = ready_instance([&] { return filling.compile(src, options); }).ready;
        }
        for (int i = 0; i < repeats; ++i) {
            tutti::cache::CodeCache empty_memory(settings);
            const Ready r = ready_instance([&] { return empty_memory.compile(src, options); });
            disk.push_back(r.ready);
            disk_lookup.push_back(r.lookup);
        }
        tutti::cache::CodeCache warm(settings);
        warm.compile(src, options);
        for (int i = 0; i < repeats * 4; ++i) {
            const Ready r = ready_instance([&] { return warm.compile(src, options); });
            mem.push_back(r.ready);
            mem_lookup.push_back(r.lookup);
        }
        std::uint64_t object_bytes = 0;
        for (const auto& e : fs::directory_iterator(dir / "objects", ec)) {
            object_bytes = std::max<std::uint64_t>(object_bytes, e.file_size(ec));
        }
        warm.clear();
        const double f = median(fresh), d = median(disk), m = median(mem);
        disk_all.push_back(d);
        mem_all.push_back(m);
        disk_lookup_all.push_back(median(disk_lookup));
        mem_lookup_all.push_back(median(mem_lookup));
        std::printf("%-20s %9.2f %9.2f | %8.3f %8.3f | %8.3f %8.3f | %6.0fx %6.0fx | %6.1f\n",
                    fs::path(path).filename().c_str(), f, store, d, median(disk_lookup), m,
                    median(mem_lookup), f / d, f / m, double(object_bytes) / 1024.0);
    }
    auto largest = [](const std::vector<double>& v) {
        return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
    };
    std::printf("largest: disk hit %.3f ms (lookup %.3f), memory hit %.3f ms (lookup %.3f)\n",
                largest(disk_all), largest(disk_lookup_all), largest(mem_all),
                largest(mem_lookup_all));
    fs::remove_all(dir, ec);
    return 0;
}
