// SPDX-License-Identifier: MIT
/** \file
 * The reference executor of the loop IR: the semantics of ir/loop_ir.h, written
 * as plainly as C++ allows, against which the LLVM code is tested bit for bit.
 *
 * The constructor verifies the module (ir/ir_verifier.h) and translates each
 * function into a flat register program (ir/interpreter_translate.h: about one
 * instruction per IR operation, constants in registers, jumps for
 * For/FrameLoop/If), so running it never recurses, never allocates (after the
 * first call) and never calls anything but the libm functions of
 * ir/math_functions.h, through their real addresses.
 *
 * Semantic choices the header leaves open, shared with codegen/llvm_codegen:
 * - locals start at zero (of their type) at each call of a function;
 * - a For evaluates `from` and `to` once, before its first iteration;
 * - Min/Max are C++ std::min/std::max: `min(a, b) = b < a ? b : a`,
 *   `max(a, b) = a < b ? b : a` (so a NaN second operand gives the first);
 * - Rem on a real type is C fmod (exact, the same as LLVM `frem`);
 * - comparisons are C's: ordered for <, <=, >, >=, ==, and `!=` true on NaN;
 * - FtoI gives INT_MIN for NaN and for any input outside [-2^31, 2^31).
 *
 * An invalid module is not executed: `ok()` is false, `errors()` says why, the
 * functions do nothing except compute, which writes silence to the outputs.
 *
 * Thread safety: the functions are const and may run concurrently on different
 * states. One call at a time uses the preallocated register file; a concurrent
 * second call allocates its own (never the case for one DSP instance).
 */
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/loop_ir.h"

namespace tutti::ir {

class Interpreter {
public:
    /// `m` must outlive the interpreter and be laid out (layout(m)).
    explicit Interpreter(const Module& m);
    ~Interpreter();
    Interpreter(const Interpreter&) = delete;
    Interpreter& operator=(const Interpreter&) = delete;

    bool ok() const {
        return errors_.empty();
    }
    const std::vector<std::string>& errors() const {
        return errors_;
    }

    /// Instructions of the translated compute function (each loop body counted once).
    std::size_t compute_size() const;

    void init_constants(void* state, int sample_rate) const;
    void reset_controls(void* state) const;
    void clear_state(void* state) const;
    /// Buffers hold `count` samples of m.real each.
    void compute(void* state, int count, const void* const* inputs, void* const* outputs) const;

    struct Program; ///< one translated function (ir/interpreter_program.h)
    union Value {
        std::int32_t i;
        float f;
        double d;
    };

private:
    void run(const Program& p, void* state, std::int32_t arg, const void* const* inputs,
             void* const* outputs) const;

    const Module& m_;
    std::vector<std::string> errors_;
    std::unique_ptr<Program> programs_[4];
    std::uint32_t registers_ = 0;
    mutable std::vector<Value> scratch_;
    mutable std::atomic<bool> busy_{false};
};

} // namespace tutti::ir
