// SPDX-License-Identifier: MIT
/** \file `tutti render`: an offline render of a program to a WAV or text file. */
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tutti {
class Factory;
}

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
    std::string on;        ///< --on HOST[:PORT]: render on a compile server (render_on.cpp)
    std::string token;     ///< --token: the server's
    std::string tls_ca;    ///< --tls-ca FILE: trust this certificate (https://HOST)
};

/// The samples of a render: one vector per output channel, in the render's
/// precision (`f` single, `d` double).
struct RenderedAudio {
    int inputs = 0, outputs = 0;
    long frames = 0;
    bool double_precision = false;
    std::vector<std::vector<float>> f;
    std::vector<std::vector<double>> d;
};

/// An input file as libsndfile reads it: `frames` frames of `channels`
/// interleaved samples (at most the render's length).
struct RenderInputFile {
    int channels = 0;
    long frames = 0;
    std::vector<double> samples;
};

/// impulse, silence, noise and mix are made by the render; anything else is a file.
bool is_generated_input(const std::string& input);
/// The render's length in frames (--frames, --seconds or 20000).
long render_frames(const RenderArgs& args);
/// Reads `path` as --input does; 2 with the message on `err`.
int read_render_input(const std::string& path, long frames, RenderInputFile& file,
                      std::ostream& err);
/// The render of a compiled program with args' options but --swap-at (what a
/// compile server runs for `tutti render --on`, with the same code as a local
/// render): 0, or the exit code with the messages on `err`. `file`: the input
/// when it is not generated. max_seconds > 0: stop with an error past it.
int render_compiled(const RenderArgs& args, std::shared_ptr<const Factory> program,
                    const RenderInputFile* file, RenderedAudio& audio, std::ostream& err,
                    double max_seconds = 0);
/// Writes `audio` to args.output (WAV or text) as a local render does.
int write_rendered(const RenderArgs& args, const RenderedAudio& audio, std::ostream& err);
/// `tutti render --on HOST`: the same render on a compile server (render_on.cpp).
int run_render_on(const RenderArgs& args);

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
