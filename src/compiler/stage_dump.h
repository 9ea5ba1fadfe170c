// SPDX-License-Identifier: MIT
/** \file
 * The printed form of the stages of a compilation (boxes, signals, typed
 * signals, normal form, final signals with their intervals, loop IR), for
 * golden tests and for looking at what the compiler did. The dumps of the
 * pipeline's passes (compiler/pipeline.h), taken during an ordinary
 * compilation (interpreter backend).
 */
#pragma once

#include <string>
#include <vector>

#include "tutti/diagnostics.h"

namespace tutti::compiler {

struct StageDumps {
    std::string boxes;     ///< "evaluate": the evaluated process box
    std::string signals;   ///< "propagate": the output signals (SSA-like)
    std::string types;     ///< "type": the propagated signals with their types
    std::string normal;    ///< "normalize": the normal form
    std::string intervals; ///< "intervals": the signals lowering reads, with types and intervals
    std::string ir;        ///< "lower": the loop IR module
    std::vector<Diagnostic> diagnostics;
};

StageDumps dump_stages(const std::string& name, const std::string& source, bool double_precision);

} // namespace tutti::compiler
