// SPDX-License-Identifier: MIT
/** \file
 * Evaluation: a parsed Faust program (and the libraries it reaches) -> the block
 * diagram of its `process`, in normal form (no closure or environment left:
 * functions used as blocks have become Symbolic/Slot boxes).
 *
 * Semantics: Faust 2.54.9 (see /work/shared/faust-semantics.md 1.2-1.8).
 * Errors are reported to `session.diagnostics()` with the source range of the
 * user's code that caused them (for an error inside an installed library, the
 * innermost call in the user's files, with a note pointing into the library).
 * Nothing is thrown: on error `process` is null. Evaluation runs on the calling
 * thread (or one of its own, see stack_bytes); nesting is bounded by
 * `max_depth` and by the stack left on that thread, work by `max_steps` and by
 * the compilation's budget, each with its own diagnostic.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "boxes/box.h"
#include "frontend/frontend_session.h"
#include "support/budget.h"

namespace tutti::eval {

struct EvalOptions {
    bool double_precision = false;      ///< selects singleprecision/doubleprecision definitions
    std::uint32_t max_depth = 4000;     ///< evaluation nesting limit -> diagnostic
    std::uint64_t max_steps = 50000000; ///< evaluation step budget -> diagnostic
    Budget* budget = nullptr;           ///< the compilation's memory and time limits (optional)
    /// 0: evaluate on the calling thread; otherwise on a thread of its own with a
    /// stack of this many bytes. Either way the stack left bounds the nesting.
    std::size_t stack_bytes = 0;
    /// The top-level definition of the program file to evaluate (Faust's
    /// `process`; `effect` for the effect stage of a polyphonic program).
    std::string entry = "process";
};

struct Program {
    /// Normal form: no closures/environments left. Null after an error.
    const boxes::Box* process = nullptr;
    /// File-level `declare key "value"` of the main program in order, then those of
    /// the libraries the evaluation used (keys prefixed with the file name,
    /// `maths.lib/name`, as Faust does), then the metadata of the functions used
    /// (`filters.lib/lowpass:author`). Values without quotes.
    std::vector<std::pair<std::string, std::string>> metadata;
    /// The files the evaluation used, in the order Faust parses them (the
    /// program, its imports, then libraries as first used).
    std::vector<diag::FileId> files_in_use_order;
};

Program evaluate_program(frontend::FrontendSession& session, const frontend::ParsedFile& main,
                         boxes::BoxContext& boxes, const EvalOptions& options = {});

} // namespace tutti::eval
