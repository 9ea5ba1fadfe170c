// SPDX-License-Identifier: MIT
/** \file
 * libFuzzer target for the evaluator: any byte string is a Faust program,
 * parsed with its library closure (the installed libraries), evaluated to its
 * block diagram in normal form, printed (the printed diagram is the compiler's
 * content key) and propagated to signals; lowering is not reached. A crash,
 * hang, leak or budget overrun anywhere up to the signals shows up.
 */
#include <cstddef>
#include <cstdint>
#include <string>

#include "boxes/box.h"
#include "eval/evaluate.h"
#include "frontend/frontend_session.h"
#include "fuzz_limits.h"
#include "fuzz_target.h"
#include "signals/propagate.h"
#include "signals/signal.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tutti;
    if (size > fuzz::max_input_bytes) {
        return -1;
    }
    frontend::FrontendSession session(fuzz::frontend_options());
    std::string text(reinterpret_cast<const char*>(data), size);
    const frontend::ParsedFile* pf =
        session.parse_program_text("fuzz.dsp", std::move(text), fuzz::program_dir);
    if (pf != nullptr && !session.diagnostics().has_errors()) {
        boxes::BoxContext bc(session.interner());
        eval::Program prog = eval::evaluate_program(session, *pf, bc, fuzz::eval_options(false));
        if (prog.process != nullptr && !session.diagnostics().has_errors()) {
            std::string printed = boxes::print(prog.process);
            (void)printed;
            sig::SignalContext sc(session.interner());
            sc.set_program_file(pf->id);
            sig::PropagateResult pr =
                sig::propagate_process(prog.process, sc, fuzz::propagate_depth, &bc);
            (void)pr;
        }
    }
    for (const auto& d : session.resolved_diagnostics()) {
        std::string s = to_text(d) + to_json(d);
        (void)s;
    }
    return 0;
}
