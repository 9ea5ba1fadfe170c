// SPDX-License-Identifier: MIT
/** \file
 * Lowering: signals -> loop IR (ir/loop_ir.h), in the phases of the reference
 * compiler's generated class. Each signal is computed in the phase of its
 * variability: constants and sample-rate expressions once in init_constants
 * (into Constant fields), control expressions once per block before the frame
 * loop, the rest every frame. Delay lines are sized from the interval of their
 * delay (Faust's rules: `int(hi + 0.5)`; below 16 a shifted array of max+1
 * samples, else a power-of-two ring buffer indexed with IOTA); recursions are
 * delay lines of their projections; `rdtable`/`rwtable` contents are computed
 * at init by a loop running the table's own signal (with its own state) and
 * read with clamped indexes; waveforms are tables read by a counter.
 */
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/loop_ir.h"
#include "passes/infer_intervals.h"
#include "passes/infer_types.h"
#include "signals/signal.h"
#include "support/budget.h"

namespace tutti::lower {

/// One UI element, for the JSON description and parameter access.
struct Control {
    sig::SigKind kind{}; ///< Button, Checkbox, VSlider, HSlider, NEntry, VBargraph, HBargraph
    std::string path;    ///< group path and label, as in signal.h (`h:Osc/freq [unit:Hz]`)
    std::uint32_t field = 0;
    double init = 0, min = 0, max = 0, step = 0;
    const sig::Signal* signal = nullptr; ///< the widget's signal (its place in the program)
};

/// What went wrong in lowering (the compiler maps each to its diagnostic).
enum class LowerErrorKind {
    Internal,       ///< a bug of the compiler, not of the program
    UnboundedDelay, ///< detail: -
    NegativeDelay,
    DelayTooLarge, ///< detail: the maximum delay
    NotConstant,   ///< detail: what must be constant
    TableSize,     ///< detail: the size
    TableNotAtInit,
    TableUsesInputs,
    UnknownForeign, ///< detail: "constant 'X'" or "variable 'X'"
    TooDeep,
    Unsupported,   ///< detail: the primitive
    StateTooLarge, ///< the message says how large
    ForeignArity,  ///< the message says which function
    SoundPart,     ///< detail: the interval of the part
};

/// A soundfile of the program: its UI path (with its [url:...]) and its state
/// field (FieldKind::Sound), which the host points to the loaded sound.
struct Sound {
    std::string path;
    std::uint32_t field = 0;
    std::int32_t channels = 0; ///< the channels the program reads
    const sig::Signal* signal = nullptr;
};

struct LowerResult {
    std::unique_ptr<ir::Module> module; ///< null on error
    std::vector<Control> controls;
    std::vector<Sound> sounds; ///< in the order of the program's UI
    std::string error;
    LowerErrorKind error_kind = LowerErrorKind::Internal;
    std::string error_detail;
    const sig::Signal* error_signal = nullptr;
    std::vector<const sig::Signal*>
        foreign_signals; ///< the ffunction of each module->foreign entry
};

/// `outputs`: the signals in normal form, associated as printed (the passes
/// before this one in compiler/pipeline.cpp); `types` and `intervals`: theirs
/// (infer_types.h, infer_intervals.h), kept and extended by the lowering.
LowerResult lower(std::span<const sig::Signal* const> outputs, std::uint32_t num_inputs,
                  sig::SignalContext& signals, passes::TypeTable types,
                  passes::IntervalTable intervals, bool double_precision, Budget* budget = nullptr);

} // namespace tutti::lower
