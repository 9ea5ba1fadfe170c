// SPDX-License-Identifier: MIT
/** \file `tutti render`: an offline render of a program to a WAV or text file. */
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tutti::app {

struct RenderArgs {
    std::string program;
    std::string output;
    long frames = -1;
    double seconds = -1;
    int sample_rate = 44100;
    int block = 64;
    std::string input = "silence";
    bool double_precision = false;
    long press_buttons = -1;
    std::vector<std::string> sets; ///< PATH=VALUE
    int opt_level = 2;             ///< --opt-level: LLVM optimisation 0..3
    std::string math = "exact";    ///< --math: exact or fast (CompileOptions::math)
    std::string backend = "llvm";
    std::vector<std::string> include_dirs;
    std::vector<std::string> swaps;  ///< FRAME:OTHER.dsp
    std::vector<std::string> set_at; ///< FRAME:PATH=VALUE
    double crossfade_ms = 20;
    bool quiet = false;    ///< no swap report on stderr
    bool no_cache = false; ///< --no-cache: compile without the compiled-code cache
};

/// Returns the process exit code (0 ok, 1 compile error, 2 usage error).
int run_render(const RenderArgs& args);

/// The limits of `tutti check` (negative: CompileOptions' defaults).
struct CheckLimits {
    double max_memory_mb = -1; ///< 0: no limit
    double max_seconds = -1;   ///< 0: no limit
};

/// What `tutti check` shows of the pipeline besides the diagnostics.
struct CheckOutputs {
    bool timings = false;                ///< the time of each pass (stdout)
    std::vector<std::string> dump_after; ///< the output of these passes (stdout)
    std::string dump_dir;                ///< every pass's output, one file per pass
    std::string backend = "interp";      ///< interp, or llvm (the backend pass makes native code)
    std::string math = "exact";          ///< exact or fast (CompileOptions::math)
};

/// `tutti check`: full compilation, diagnostics only (and the pipeline's
/// timings and dumps when asked).
int run_check(const std::string& program, const std::vector<std::string>& include_dirs,
              bool double_precision, bool json, const CheckLimits& limits = {},
              const CheckOutputs& outputs = {});

/// `tutti json`: the JSON UI description on stdout.
int run_json(const std::string& program, const std::vector<std::string>& include_dirs,
             bool double_precision);

} // namespace tutti::app
