// SPDX-License-Identifier: MIT
/** \file
 * Propagation: the signals a block diagram computes. Each box is a function
 * from the signals on its inputs to the signals on its outputs (Faust's
 * `propagate`): compositions wire them, `~` builds recursion groups, widgets
 * become UI signals with their full group path, abstractions used as boxes bind
 * their slot to their first input. Results are memoised on (box, path, slot
 * bindings, input signals), so a diagram that duplicates a sub-diagram over the
 * same inputs computes it once.
 */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "boxes/box.h"
#include "signals/signal.h"
#include "signals/ui_path.h"

namespace tutti::sig {

struct PropagateResult {
    std::vector<const Signal*> outputs;
    std::string error; ///< empty when it worked; otherwise what is unsupported or too deep
    const boxes::Box* error_box = nullptr;
};

/// The output signals of `process` fed with inputs input(0)..input(n-1).
/// `boxes` (optional): where the boxes come from, to give signals their origin.
PropagateResult propagate_process(const boxes::Box* process, SignalContext& signals,
                                  std::uint32_t max_depth = 20000, const boxes::BoxContext* boxes = nullptr);


} // namespace tutti::sig
