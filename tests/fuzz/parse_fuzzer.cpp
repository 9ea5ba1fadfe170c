// SPDX-License-Identifier: MIT
/** \file
 * libFuzzer target for the lexer and parser: any byte string is parsed as a
 * Faust file (imports are not followed: the fuzzer must not depend on the
 * installed libraries), and the tree is printed and its diagnostics resolved,
 * so that a crash, hang or leak anywhere in the front end shows up.
 */
#include <cstddef>
#include <cstdint>
#include <string>

#include "frontend/ast/ast_printer.h"
#include "frontend/frontend_session.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tutti::frontend::FrontendOptions opts;
    opts.follow_imports = false;
    tutti::frontend::FrontendSession session(opts);
    std::string text(reinterpret_cast<const char*>(data), size);
    const tutti::frontend::ParsedFile* pf = session.parse_program_text("fuzz.dsp", std::move(text));
    if (pf != nullptr) {
        std::string dump = tutti::ast::print(pf->root, &session.sources());
        (void)dump;
    }
    auto diags = session.resolved_diagnostics();
    for (const auto& d : diags) {
        std::string s = tutti::to_text(d) + tutti::to_json(d);
        (void)s;
    }
    return 0;
}
