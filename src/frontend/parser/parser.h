// SPDX-License-Identifier: MIT
/** \file
 * The parser of the Faust 2.54.9 language: hand-written recursive descent for
 * statements and a Pratt loop for expressions, with the precedences and
 * associativities of the reference grammar (faustparser.y):
 *
 *   lowest   E with {..}, E letrec {..}   postfix, left
 *            <:  :>  +>                   right
 *            :                            right
 *            ,                            right
 *            ~                            left
 *            < <= == != >= >              left
 *            + - |                        left
 *            * / % & xor << >>            left
 *            ^                            left   (2^3^2 = 64)
 *            @                            left
 *            E'                           postfix
 *   highest  E(args)  E.name  E[defs]     postfix
 *
 * Unary minus exists only on literals (-1, -2.5) and identifiers (-x = 0-x, a
 * primitive that binds tighter than everything: -x^2 is (-x)^2). A lone operator
 * is the primitive box itself (`+`, `-(1)`, `*(0.5)`).
 *
 * Function arguments and slider parameters are "arguments": expressions without a
 * top-level `,` or `with`/`letrec`.
 *
 * Errors: the first syntax error of a top-level statement is reported and the
 * parser skips to the `;` that ends that statement, then goes on. Nesting depth is
 * limited (a diagnostic, not a stack overflow).
 */
#pragma once

#include <string_view>
#include <vector>

#include "diag/diagnostic.h"
#include "frontend/ast/ast.h"
#include "frontend/lexer/token.h"
#include "support/arena.h"
#include "support/interner.h"

namespace tutti::frontend {

struct ParseOptions {
    /// Maximum nesting of parenthesised/argument/body expressions.
    std::uint32_t max_depth = 256;
    /// Syntax errors reported per file before the parser gives up on it.
    std::uint32_t max_errors = 25;
};

struct ParseContext {
    Arena& arena;
    Interner& interner;
    diag::DiagnosticList& diags;
    ParseOptions options;
};

/// Parses one file already split into tokens. Always returns a File node (with
/// the statements that parsed); errors go to `ctx.diags`.
ast::Node* parse_tokens(ParseContext& ctx, diag::FileId file, std::string_view text,
                        const std::vector<Token>& tokens, Symbol path);

/// Lexes and parses.
ast::Node* parse_source(ParseContext& ctx, diag::FileId file, std::string_view text, Symbol path);

} // namespace tutti::frontend
