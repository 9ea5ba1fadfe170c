// SPDX-License-Identifier: MIT
/** \file
 * Propagation: the signals a block diagram computes. Each box is a function
 * from the signals on its inputs to the signals on its outputs (Faust's
 * `propagate`): compositions wire them, `~` builds recursion groups, widgets
 * become UI signals with their full group path, abstractions used as boxes bind
 * their slot to their first input. Results are memoised on (box, path, slot
 * bindings, input signals), so a diagram that duplicates a sub-diagram over the
 * same inputs computes it once (recursions and abstractions always, narrow
 * compositions too; wide ones are computed again, which keeps memory linear).
 * Nesting is bounded by max_depth and by the stack left on the calling thread:
 * past either, an error "nested too deeply", never an overflow.
 */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "boxes/box.h"
#include "signals/signal.h"
#include "signals/ui_path.h"
#include "support/budget.h"

namespace tutti::sig {

struct PropagateResult {
    std::vector<const Signal*> outputs;
    std::string error; ///< empty when it worked; otherwise what is unsupported or too deep
    const boxes::Box* error_box = nullptr;
    bool too_deep = false; ///< the error is the nesting limit (max_depth or the stack)
    bool internal = false; ///< the error is a fault of the compiler, not of the program
};

/// The output signals of `process` fed with inputs input(0)..input(n-1).
/// `boxes` (optional): where the boxes come from, to give signals their origin.
PropagateResult propagate_process(const boxes::Box* process, SignalContext& signals,
                                  std::uint32_t max_depth = 20000,
                                  const boxes::BoxContext* boxes = nullptr,
                                  Budget* budget = nullptr);

} // namespace tutti::sig
