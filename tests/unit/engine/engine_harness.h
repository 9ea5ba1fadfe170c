// SPDX-License-Identifier: MIT
/** \file
 * Offline driving of the engine for tests: this thread plays the audio thread,
 * versions and parameter changes are handed over at given frames (the first
 * block boundary at or after them), as `tutti render --swap-at/--set-at` does.
 */
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "support/rt_interposer.h"
#include "tutti/compiler.h"
#include "tutti/engine.h"

namespace tutti::test {

/// Every engine test derives from this: it fails when anything inside an audio
/// section (the engine's process(), a driver's callback) allocated, locked,
/// waited, yielded, mapped memory or did file I/O during the test
/// (tests/support/rt_interposer.cpp; off in the sanitizer builds).
class RtChecked : public ::testing::Test {
protected:
    void SetUp() override {
        tutti_rt_reset();
    }
    void TearDown() override {
        EXPECT_EQ(tutti_rt_violations(), 0)
            << "first real-time violation on the audio thread: " << tutti_rt_first_violation();
    }
};

inline std::shared_ptr<const Factory> compile(const std::string& source, bool dbl = true) {
    CompileOptions o;
    o.double_precision = dbl;
    CompileResult r = compile_source("test.dsp", source, o);
    if (!r.ok()) {
        std::string all;
        for (const auto& d : r.diagnostics) {
            all += to_text(d);
        }
        ADD_FAILURE() << "compile failed:\n" << all << "\nsource:\n" << source;
    }
    return r.factory;
}

inline std::shared_ptr<const Factory> compile_path(const std::string& path, bool dbl = true) {
    CompileOptions o;
    o.double_precision = dbl;
    CompileResult r = compile_file(path, o);
    EXPECT_TRUE(r.ok()) << path;
    return r.factory;
}

struct Swap {
    long frame;
    std::shared_ptr<const Factory> program;
};
struct SetAt {
    long frame;
    std::string path;
    double value;
};

struct Rendered {
    std::vector<std::vector<double>> out; ///< [channel][frame]
    std::vector<SwapReport> reports;      ///< committed swaps (generation > 1)
};

/// Renders `frames` frames in double precision with an impulse (or silence) on every input.
inline Rendered render(std::shared_ptr<const Factory> first, long frames,
                       const std::vector<Swap>& swaps = {}, const std::vector<SetAt>& sets = {},
                       int block = 64, bool impulse = true, double crossfade_ms = 20,
                       int channels_out = -1) {
    EngineOptions eo;
    eo.sample_rate = 44100;
    eo.max_block = block;
    eo.inputs = first->num_inputs();
    eo.outputs = channels_out >= 0 ? channels_out : first->num_outputs();
    eo.double_precision = true;
    eo.crossfade_ms = crossfade_ms;
    eo.check_migrations = true;
    Engine engine(eo);
    EXPECT_NE(engine.submit(first, "first"), 0u);
    Rendered run;
    std::vector<std::vector<double>> in(std::size_t(eo.inputs),
                                        std::vector<double>(std::size_t(frames), 0.0));
    if (impulse) {
        for (auto& c : in) {
            c[0] = 1;
        }
    }
    run.out.assign(std::size_t(eo.outputs), std::vector<double>(std::size_t(frames), 0.0));
    std::vector<const void*> ip(in.size());
    std::vector<void*> op(run.out.size());
    std::size_t si = 0, pi = 0;
    for (long pos = 0; pos < frames; pos += block) {
        int n = int(std::min<long>(block, frames - pos));
        while (si < swaps.size() && swaps[si].frame <= pos) {
            EXPECT_NE(engine.submit(swaps[si].program, "swap"), 0u);
            ++si;
        }
        while (pi < sets.size() && sets[pi].frame <= pos) {
            EXPECT_TRUE(engine.set_parameter(sets[pi].path, sets[pi].value)) << sets[pi].path;
            ++pi;
        }
        for (std::size_t c = 0; c < in.size(); ++c) {
            ip[c] = in[c].data() + pos;
        }
        for (std::size_t c = 0; c < run.out.size(); ++c) {
            op[c] = run.out[c].data() + pos;
        }
        engine.process(n, ip.data(), op.data());
        for (SwapReport& r : engine.take_reports()) {
            if (r.committed && r.generation > 1) {
                // every carried field holds, as the new version reads it, what the old one held
                EXPECT_TRUE(r.migration_checked) << "swap at frame " << r.commit_frame;
                for (const std::string& e : r.migration_errors) {
                    ADD_FAILURE() << "swap at frame " << r.commit_frame << ": " << e;
                }
                run.reports.push_back(r);
            }
        }
    }
    return run;
}

/// The largest |x[n] - x[n-1]| for n in [from, to).
inline double max_step(const std::vector<double>& x, long from, long to) {
    double m = 0;
    for (long n = std::max(from, 1L); n < to && n < long(x.size()); ++n) {
        m = std::max(m, std::fabs(x[std::size_t(n)] - x[std::size_t(n - 1)]));
    }
    return m;
}

} // namespace tutti::test
