// SPDX-License-Identifier: MIT
#include "compiler/stage_dump.h"

#include "boxes/box.h"
#include "eval/evaluate.h"
#include "frontend/frontend_session.h"
#include "ir/ir_printer.h"
#include "lower/lower.h"
#include "signals/propagate.h"

namespace tutti::compiler {

StageDumps dump_stages(const std::string& name, const std::string& source, bool double_precision) {
    StageDumps d;
    frontend::FrontendSession fs;
    const frontend::ParsedFile* pf = fs.parse_program_text(name, source);
    if (pf == nullptr || fs.diagnostics().has_errors()) {
        d.diagnostics = fs.resolved_diagnostics();
        return d;
    }
    boxes::BoxContext bc(fs.interner());
    eval::EvalOptions eo;
    eo.double_precision = double_precision;
    eval::Program prog = eval::evaluate_program(fs, *pf, bc, eo);
    if (prog.process == nullptr) {
        d.diagnostics = fs.resolved_diagnostics();
        return d;
    }
    d.boxes = boxes::print(prog.process) + "\n";
    sig::SignalContext sc(fs.interner());
    sig::PropagateResult pr = sig::propagate_process(prog.process, sc);
    if (!pr.error.empty()) {
        d.signals = "error: " + pr.error + "\n";
        return d;
    }
    d.signals = sig::print(pr.outputs);
    lower::LowerResult lr = lower::lower(pr.outputs, prog.process->inputs, sc, double_precision);
    d.ir = lr.module ? ir::print(*lr.module) : "error: " + lr.error + "\n";
    d.diagnostics = fs.resolved_diagnostics();
    return d;
}

} // namespace tutti::compiler
