// SPDX-License-Identifier: MIT
/** \file
 * A deterministic S-expression printer for golden tests (`tutti parse --dump`).
 * One statement per line. Right-nested chains of `,` and `:` are printed flat:
 * `(par a b c)` is `a,(b,c)`. Numbers are printed so that they read back exactly
 * (%.17g for reals). The printer uses an explicit stack, so any depth prints.
 */
#pragma once

#include <string>

#include "frontend/ast/ast.h"

namespace tutti::ast {

struct PrintOptions {
    bool locations = false; ///< prefix every node with @line:col (needs a SourceManager)
};

std::string print(const Node* root, const diag::SourceManager* sm = nullptr,
                  PrintOptions opts = {});

} // namespace tutti::ast
