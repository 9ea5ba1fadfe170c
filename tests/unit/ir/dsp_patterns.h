// SPDX-License-Identifier: MIT
// Test support: hand-built loop-IR modules for the DSP patterns lowering
// produces, each with a plain C++ implementation of the same DSP written the
// way Faust's C++ backend writes it (the reference the interpreter must match
// bit for bit).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/loop_ir.h"
#include "render.h"

namespace tutti::ir::test_support {

struct Pattern {
    const char* name;
    std::uint32_t num_inputs;
    bool specials;                              ///< inputs include NaN, inf, huge values...
    bool control;                               ///< the scenario moves the control between blocks
    std::unique_ptr<Module> (*make)(Type real); ///< laid out
    Executor (*reference)(Type real);
};

/// constant, recursion, delay, sine_table, control, noise, integer_edges, libm.
const std::vector<Pattern>& patterns();
const Pattern& pattern(const std::string& name);

/// The scenario every test renders: ~4000 frames in varying blocks, the
/// pattern's inputs, and for `control` patterns a new control value per block.
Scenario standard_scenario(const Pattern& p, std::uint32_t seed = 1);

/// The math functions the libm pattern calls for a real type (their outputs in order).
std::vector<std::string> libm_pattern_functions(Type real);

} // namespace tutti::ir::test_support
