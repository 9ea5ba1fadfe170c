// SPDX-License-Identifier: MIT
/** \file
 * The run-time harness of `tutti bench` and of the speed runner
 * (bench/speed/run.sh), header-only and free of tutti's types so that every
 * contender runs through the same code: tutti (LLVM, interpreter), libfaust's
 * LLVM JIT and faust's C++ output built with g++ (the programs of bench/speed).
 *
 * What every contender gets: FTZ/DAZ set, 256-frame blocks at 48 kHz, the same
 * noise on every input (a fixed LCG), and the same control pattern at the
 * start of each block: control j of the UI walk (bargraphs left out) is, for a
 * button or checkbox, 1 during blocks [16m, 16m+8) shifted by j, else 0; for a
 * slider or number entry, every 32 blocks, one of 9 positions spread over the
 * middle half of its range. The first `check_blocks` blocks from a fresh
 * instance are recorded (the output the runner compares across contenders),
 * then the instance goes on for the timed passes: CPU time of this thread
 * (clock_gettime(CLOCK_THREAD_CPUTIME_ID): time other processes take from a
 * shared machine is not counted), per frame: the best of `passes` (run), or
 * each pass the speed runner asks for on stdin (serve), which interleaves the
 * contenders and takes the median.
 */
#pragma once

#include <xmmintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

namespace tutti::bench {

struct Control {
    bool button = false; ///< button or checkbox; else a slider or number entry
    double min = 0, max = 1;
    std::function<void(double)> set;
};

/// A program to run: its channels, its controls in UI order and its compute.
struct Dsp {
    int inputs = 0, outputs = 0;
    std::vector<Control> controls;
    std::function<void(int frames, float** inputs, float** outputs)> compute;
};

struct Setup {
    int block = 256;
    int check_blocks = 200; ///< recorded blocks, compared across contenders
    double seconds = 2;     ///< audio time of one timed pass
    int passes = 3;         ///< timed passes; the best counts
};

struct Result {
    double ns_per_frame = 0;
    std::vector<std::vector<float>> check; ///< per output channel, check_blocks blocks
};

inline double thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

/// CPU time of the whole process (every thread), in ms: compile times are
/// measured in it, so that a machine shared with other work does not count.
inline double process_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) * 1e-6;
}

inline double wall_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) * 1e-6;
}

/// Flush-to-zero and denormals-are-zero for this thread (as an audio host sets).
inline void set_ftz_daz() {
    _mm_setcsr(_mm_getcsr() | 0x8040);
}

/// Block `k`'s control values.
inline void apply_controls(std::vector<Control>& controls, long k) {
    for (std::size_t j = 0; j < controls.size(); ++j) {
        Control& c = controls[j];
        if (c.button) {
            c.set(((k + long(j)) % 16) < 8 ? 1.0 : 0.0);
        } else if (k % 32 == 0) {
            long p = ((k / 32) * 5 + long(j) * 3) % 9;
            c.set(c.min + (0.25 + 0.5 * double(p) / 8.0) * (c.max - c.min));
        }
    }
}

/// One contender's run: the noise, the output buffers and the block counter,
/// kept between the recorded blocks and the timed passes (and, serving, between
/// the passes the runner asks for).
class Runner {
public:
    Runner(Dsp& d, const Setup& s) : d_(d), s_(s) {
        set_ftz_daz();
        noise_.resize(std::size_t(std::max(d.inputs, 0)));
        std::uint32_t seed = 12345;
        for (auto& ch : noise_) {
            ch.resize(noise_frames + std::size_t(s.block));
            for (float& x : ch) {
                seed = seed * 1664525u + 1013904223u;
                x = float(std::int32_t(seed)) * (0.5f / 2147483648.0f);
            }
        }
        out_.assign(std::size_t(std::max(d.outputs, 0)), std::vector<float>(std::size_t(s.block)));
        in_ptr_.resize(noise_.size());
        out_ptr_.resize(out_.size());
        for (std::size_t c = 0; c < out_.size(); ++c) {
            out_ptr_[c] = out_[c].data();
        }
    }
    /// The first check_blocks blocks from the fresh instance, recorded (they
    /// also warm it up); returns their CPU time per block, in ns.
    double record(Result& r) {
        r.check.assign(out_.size(), {});
        double t0 = thread_cpu_ns();
        for (int b = 0; b < s_.check_blocks; ++b) {
            block();
            for (std::size_t c = 0; c < out_.size(); ++c) {
                r.check[c].insert(r.check[c].end(), out_[c].begin(), out_[c].end());
            }
        }
        return (thread_cpu_ns() - t0) / double(std::max(1, s_.check_blocks));
    }
    /// One timed pass of `blocks` blocks: CPU time of this thread per frame.
    double pass(long blocks) {
        double t0 = thread_cpu_ns();
        for (long b = 0; b < blocks; ++b) {
            block();
        }
        return (thread_cpu_ns() - t0) / double(blocks * s_.block);
    }

private:
    static constexpr int noise_frames = 48000;
    void block() {
        std::size_t at = std::size_t((k_ * s_.block) % noise_frames);
        for (std::size_t c = 0; c < noise_.size(); ++c) {
            in_ptr_[c] = noise_[c].data() + at;
        }
        apply_controls(d_.controls, k_);
        d_.compute(s_.block, in_ptr_.data(), out_ptr_.data());
        ++k_;
    }
    Dsp& d_;
    Setup s_;
    std::vector<std::vector<float>> noise_, out_;
    std::vector<float*> in_ptr_, out_ptr_;
    long k_ = 0;
};

inline Result run(Dsp& d, const Setup& s) {
    Runner runner(d, s);
    Result r;
    runner.record(r);
    long blocks = std::max(1L, long(s.seconds * 48000.0 / s.block));
    r.ns_per_frame = 1e300;
    for (int p = 0; p < s.passes; ++p) {
        r.ns_per_frame = std::min(r.ns_per_frame, runner.pass(blocks));
    }
    return r;
}

/// The runner's side of an interleaved measurement (bench/speed/run.sh): the
/// check blocks are recorded and handed to `ready` (which writes them and
/// prints the contender's JSON line), then every line "pass" on stdin runs one
/// timed pass of about `cpu_seconds` of CPU time (a whole number of 32-block
/// control cycles, at least one, from the recorded blocks' speed) and prints
/// its ns per frame on a line of its own; end of input ends it. The runner
/// asks each contender in turn, so that every contender's passes are spread
/// over the same stretch of time and share its noise.
/// Also answers "compile" with the CPU ms of one more compilation to a ready
/// instance (`compile_once`, discarded after), so that the runner can interleave
/// the contenders' compile times as it does their run times (-1: not given).
template <class F>
void serve(Dsp& d, const Setup& s, double cpu_seconds, const F& ready,
           const std::function<double()>& compile_once = {}) {
    Runner runner(d, s);
    Result r;
    double ns_per_block = std::max(1.0, runner.record(r));
    constexpr long cycle = 32; // blocks: the slider pattern repeats every 32
    long blocks =
        std::max(1L, long(cpu_seconds * 1e9 / ns_per_block / double(cycle) + 0.5)) * cycle;
    ready(r);
    std::fflush(stdout);
    char line[64];
    while (std::fgets(line, sizeof line, stdin) != nullptr) {
        if (std::string(line).rfind("compile", 0) == 0) {
            std::printf("%.3f\n", compile_once ? compile_once() : -1.0);
            std::fflush(stdout);
            continue;
        }
        if (std::string(line).rfind("pass", 0) != 0) {
            continue;
        }
        std::printf("%.3f\n", runner.pass(blocks));
        std::fflush(stdout);
    }
}

/// The recorded output as raw binary: channels, frames (int32), then each
/// channel's floats.
inline bool write_check(const std::string& path, const Result& r) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
        return false;
    }
    std::int32_t head[2] = {std::int32_t(r.check.size()),
                            r.check.empty() ? 0 : std::int32_t(r.check[0].size())};
    bool ok = std::fwrite(head, sizeof head, 1, f) == 1;
    for (const auto& ch : r.check) {
        ok = ok && std::fwrite(ch.data(), sizeof(float), ch.size(), f) == ch.size();
    }
    return std::fclose(f) == 0 && ok;
}

inline bool read_check(const std::string& path, std::vector<std::vector<float>>& check) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        return false;
    }
    std::int32_t head[2] = {0, 0};
    bool ok = std::fread(head, sizeof head, 1, f) == 1 && head[0] >= 0 && head[1] >= 0 &&
              head[0] < 100000 && head[1] < 100000000;
    if (ok) {
        check.assign(std::size_t(head[0]), std::vector<float>(std::size_t(head[1])));
        for (auto& ch : check) {
            ok = ok && std::fread(ch.data(), sizeof(float), ch.size(), f) == ch.size();
        }
    }
    std::fclose(f);
    return ok;
}

/// Compile time: CPU time (process_cpu_ms) and wall time, the best of each.
struct CompileTime {
    double cpu_ms = 1e300, wall_ms = 1e300;
};

/// `{"program": ..., ...}` on one line, the shape every contender prints;
/// compile_ms is CPU time, compile_wall_ms what the compiling thread waited.
inline void print_json(const std::string& program, const std::string& backend,
                       const std::string& math, CompileTime compile, double ns_per_frame) {
    std::string name = program.substr(program.find_last_of('/') + 1);
    std::printf("{\"program\": \"%s\", \"backend\": \"%s\", \"math\": \"%s\", \"compile_ms\": "
                "%.2f, \"compile_wall_ms\": %.2f, \"ns_per_frame\": %.3f}\n",
                name.c_str(), backend.c_str(), math.c_str(), compile.cpu_ms, compile.wall_ms,
                ns_per_frame);
}

/// Runs `compile` `runs` times (at least once), keeping the best CPU and wall times.
template <class F> CompileTime time_compile(int runs, const F& compile) {
    CompileTime t;
    for (int i = 0; i < std::max(1, runs); ++i) {
        double c0 = process_cpu_ms();
        double w0 = wall_ms();
        if (!compile()) {
            t.cpu_ms = t.wall_ms = -1;
            return t;
        }
        t.cpu_ms = std::min(t.cpu_ms, process_cpu_ms() - c0);
        t.wall_ms = std::min(t.wall_ms, wall_ms() - w0);
    }
    return t;
}

} // namespace tutti::bench
