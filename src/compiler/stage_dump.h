// SPDX-License-Identifier: MIT
/** \file
 * The printed form of every stage of a compilation (boxes, signals, loop IR),
 * for golden tests and for looking at what the compiler did.
 */
#pragma once

#include <string>
#include <vector>

#include "tutti/diagnostics.h"

namespace tutti::compiler {

struct StageDumps {
    std::string boxes;   ///< the evaluated process box
    std::string signals; ///< the output signals (SSA-like)
    std::string ir;      ///< the loop IR module
    std::vector<Diagnostic> diagnostics;
};

StageDumps dump_stages(const std::string& name, const std::string& source, bool double_precision);

} // namespace tutti::compiler
