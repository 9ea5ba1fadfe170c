// SPDX-License-Identifier: MIT
/** \file `tutti bench`: compile time and run time of one program, as one JSON object. */
#pragma once

#include <string>
#include <vector>

namespace tutti::app {

struct BenchArgs {
    std::string program;
    std::string backend = "llvm"; ///< llvm or interp
    std::string math = "exact";   ///< exact or fast
    std::vector<std::string> include_dirs;
    int opt_level = 2;             ///< LLVM optimisation level 0..3
    int compile_runs = 3;          ///< compilations; the best counts
    double seconds = 2;            ///< audio time of one timed pass
    int passes = 3;                ///< timed passes; the best counts
    bool no_library_cache = false; ///< each compilation parses the libraries again
    bool timings = false;          ///< print the best CPU time of each pass on stderr
    bool serve = false;            ///< passes asked on stdin (bench_harness.h serve); seconds: CPU
    std::string check_out;         ///< where to write the recorded output (bench_harness.h), if set
};

/// Prints {"program", "backend", "math", "compile_ms", "ns_per_frame"} on stdout.
/// Returns 0, 1 on a compile error, 2 on a usage error.
int run_bench(const BenchArgs& args);

} // namespace tutti::app
