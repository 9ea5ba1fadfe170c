// SPDX-License-Identifier: MIT
/** \file Helpers for the evaluator tests: evaluate a program given as text. */
#pragma once

#include <string>
#include <vector>

#include "boxes/box.h"
#include "eval/evaluate.h"
#include "frontend/frontend_session.h"

namespace tutti::test {

struct Evaluated {
    std::string box; ///< boxes::print of process, or "" on error
    std::uint32_t inputs = 0, outputs = 0;
    std::vector<Diagnostic> diags;
    std::vector<std::pair<std::string, std::string>> metadata;
    /// "L:C: id: message" of the first diagnostic, or "".
    std::string first_error() const {
        if (diags.empty()) {
            return "";
        }
        return std::to_string(diags[0].line) + ":" + std::to_string(diags[0].column) + ": " +
               diags[0].id + ": " + diags[0].message;
    }
};

inline Evaluated evaluate_text(const std::string& source, const eval::EvalOptions& options = {}) {
    frontend::FrontendOptions fo;
    fo.use_environment = false;
    frontend::FrontendSession s(fo);
    const frontend::ParsedFile* pf = s.parse_program_text("test.dsp", source);
    Evaluated out;
    if (pf != nullptr) {
        boxes::BoxContext boxes(s.interner());
        eval::Program p = eval::evaluate_program(s, *pf, boxes, options);
        if (p.process != nullptr) {
            out.box = boxes::print(p.process);
            out.inputs = p.process->inputs;
            out.outputs = p.process->outputs;
        }
        out.metadata = p.metadata;
    }
    out.diags = s.resolved_diagnostics();
    return out;
}

/// The printed box of `process`, or "ERROR L:C: id: message".
inline std::string box_of(const std::string& source) {
    Evaluated e = evaluate_text(source);
    if (!e.diags.empty()) {
        return "ERROR " + e.first_error();
    }
    return e.box;
}

} // namespace tutti::test
