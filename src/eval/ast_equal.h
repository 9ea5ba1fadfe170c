// SPDX-License-Identifier: MIT
/** \file
 * Structural equality of syntax trees, ignoring source ranges: Faust's trees are
 * hash-consed, so two files defining a name with the same text define the same
 * thing, and importing both is not a redefinition.
 */
#pragma once

#include "frontend/ast/ast.h"

namespace tutti::eval {

/// True when `a` and `b` have the same kinds, fields and children (iterative).
bool ast_equal(const ast::Node* a, const ast::Node* b);

} // namespace tutti::eval
