// SPDX-License-Identifier: MIT
#include "compiler/stage_dump.h"

#include "tutti/compiler.h"

namespace tutti::compiler {

StageDumps dump_stages(const std::string& name, const std::string& source, bool double_precision) {
    StageDumps d;
    CompileOptions o;
    o.double_precision = double_precision;
    o.backend = Backend::Interpreter;
    o.dump_after = {"evaluate", "propagate", "type", "normalize", "intervals", "lower"};
    o.dump = [&](std::string_view pass, std::string_view text) {
        std::string* to = pass == "evaluate"    ? &d.boxes
                          : pass == "propagate" ? &d.signals
                          : pass == "type"      ? &d.types
                          : pass == "normalize" ? &d.normal
                          : pass == "intervals" ? &d.intervals
                                                : &d.ir;
        *to = std::string(text);
    };
    d.diagnostics = compile_source(name, source, o).diagnostics;
    return d;
}

} // namespace tutti::compiler
