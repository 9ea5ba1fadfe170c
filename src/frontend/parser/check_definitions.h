// SPDX-License-Identifier: MIT
/** \file
 * Checks one definition list (a file, a `with` block, an environment, the
 * equations of a letrec): all definitions of one name form one function, so
 * two parameterless definitions of a name are an error ("multiple definitions")
 * and the rules of a pattern-matching function must all take the same number of
 * parameters. Definitions restricted to disjoint precisions
 * (`singleprecision x = ..; doubleprecision x = ..;`) do not clash.
 */
#pragma once

#include <span>

#include "diag/diagnostic.h"
#include "frontend/ast/ast.h"

namespace tutti::frontend {

void check_definition_list(diag::DiagnosticList& diags, std::span<ast::Node* const> statements);

} // namespace tutti::frontend
