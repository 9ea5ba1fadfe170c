// SPDX-License-Identifier: MIT
/** \file
 * What every compiler fuzz target shares: the largest input it accepts, the
 * front-end options (the installed Faust libraries are found, the program's
 * folder is one that holds nothing), and the evaluator's budgets, small enough
 * that one input cannot run for long under the sanitizers.
 */
#pragma once

#include <cstddef>
#include <cstdint>

#include "eval/evaluate.h"
#include "frontend/frontend_session.h"

namespace tutti::fuzz {

/// Inputs larger than this are rejected (LLVMFuzzerTestOneInput returns -1).
inline constexpr std::size_t max_input_bytes = 4096;

inline frontend::FrontendOptions frontend_options() {
    frontend::FrontendOptions o;
    o.use_environment = false;        // the same libraries wherever it runs
    o.use_installed_libraries = true; // stdfaust.lib and the rest, from /usr/share/faust
    o.max_total_bytes = 16u << 20;    // the whole standard library is ~2 MB
    o.max_files = 256;
    return o;
}

/// The folder of the program: imports relative to it find nothing.
inline constexpr const char* program_dir = "/nonexistent-tutti-fuzz";

inline eval::EvalOptions eval_options(bool double_precision) {
    eval::EvalOptions o;
    o.double_precision = double_precision;
    o.max_depth = 2000;
    o.max_steps = 2000000;
    return o;
}

/// Nesting limit of signal propagation (the compiler uses 20000). Under ASan a
/// level takes about 1.7 KB of the fuzzer's 8 MB stack: par(i, 4900, _)
/// overflowed it (regressions/propagate-deep-nesting-stack-overflow.dsp; the
/// compiler bounds propagation by the stack left since the bounded-cost work).
inline constexpr std::uint32_t propagate_depth = 2000;

} // namespace tutti::fuzz
