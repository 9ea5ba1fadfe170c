// SPDX-License-Identifier: MIT
// Test support: runs a four-phase executor (interpreter, JIT or a plain C++
// reference) over blocks of varying sizes and compares renderings bit for bit.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ir/interpreter.h"
#include "ir/loop_ir.h"

namespace tutti::ir::test_support {

/// The four phases of a DSP over a state block of `state_bytes`, plus a way to
/// move the module's control (if it has one) between blocks.
struct Executor {
    std::size_t state_bytes = 0;
    std::function<void(void* state, int sample_rate)> init_constants;
    std::function<void(void* state)> reset_controls;
    std::function<void(void* state)> clear_state;
    std::function<void(void* state, int count, const void* const* inputs, void* const* outputs)>
        compute;
    std::function<void(void* state, double value)> set_control; ///< may be empty
};

struct Scenario {
    int sample_rate = 44100;
    std::vector<int> blocks;                 ///< block sizes, in order
    std::vector<std::vector<double>> inputs; ///< per channel, sum(blocks) samples
    std::vector<double> controls;            ///< per block: the control's value (empty: untouched)
};

struct Rendering {
    Type real = Type::F32;
    std::vector<std::vector<unsigned char>> outputs; ///< per channel, the raw samples
    std::vector<unsigned char> state;                ///< the state block after the last block

    std::size_t frames() const;
    /// Sample i of channel c, widened to double.
    double sample(std::size_t c, std::size_t i) const;
};

/// Block sizes 0, 1, 2, 3, 7, 13, 64, 100, 128, 256, 511... adding up to at least `frames`.
std::vector<int> varying_blocks(int frames);

/// Deterministic pseudo-random samples in [-1, 1]; with `specials`, also wide
/// ranges, integers and halves, tiny and huge values, denormals, +-0, +-inf, NaN.
std::vector<std::vector<double>> random_inputs(std::uint32_t channels, int frames,
                                               std::uint32_t seed, bool specials);

Rendering render(const Executor& ex, Type real, std::uint32_t num_inputs, std::uint32_t num_outputs,
                 const Scenario& sc);

/// "" when equal bit for bit (outputs; and the state blocks when both have one),
/// else a description of the first differences.
std::string compare(const Rendering& expected, const Rendering& actual);

Executor interpreter_executor(const Interpreter& in, const Module& m);

/// Writes `value` (as m.real) into the module's first Control field.
void set_control_field(const Module& m, void* state, double value);

} // namespace tutti::ir::test_support
