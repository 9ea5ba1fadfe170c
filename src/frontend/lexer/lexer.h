// SPDX-License-Identifier: MIT
/** \file
 * The lexer of the Faust 2.54.9 language (the rules of faustlexer.l, written by hand):
 * identifiers `_*[a-zA-Z][_a-zA-Z0-9]*` optionally joined by `::`, the integer and
 * float forms (lower-case `e` only), strings without escapes that may span lines,
 * `<name.h>` file names, comments, and `<mdoc>` documentation blocks whose
 * `<equation>`/`<diagram>`/`<metadata>` parts are lexed as code again.
 *
 * Lexical errors are reported to the diagnostic list and the offending text is
 * skipped, so the token vector always ends with exactly one `Eof`.
 */
#pragma once

#include <string_view>
#include <vector>

#include "diag/diagnostic.h"
#include "frontend/lexer/token.h"

namespace tutti::frontend {

std::vector<Token> lex(std::string_view text, diag::FileId file, diag::DiagnosticList& diags);

/// The keyword kind for `word`, or Tok::Ident.
Tok keyword_kind(std::string_view word);

} // namespace tutti::frontend
