// SPDX-License-Identifier: MIT
/** \file
 * The parameters of the three kinds of function nodes a `Closure` can hold:
 * `\(x,y).(E)` (Lambda: params..., body), `f(x,y) = E;` with identifier parameters
 * (Definition: params..., body), and `letrec` (its equation names are the
 * parameters of its recursive body, `\(y,x).(ey,ex) ~ (_,_)`, in reverse order).
 */
#pragma once

#include <cstdint>

#include "frontend/ast/ast.h"

namespace tutti::eval {

inline std::uint32_t param_count(const ast::Node* fn) {
    if (fn->kind == ast::NodeKind::Letrec) {
        return fn->flags;
    }
    return fn->count - 1;
}

/// The k-th parameter. A letrec's equations are taken in reverse source order,
/// as Faust's parser lists them (it decides the order of the recursive outputs).
inline Symbol param_name(const ast::Node* fn, std::uint32_t k) {
    if (fn->kind == ast::NodeKind::Letrec) {
        return fn->kids[fn->flags - k]->name;
    }
    return fn->kids[k]->name;
}

/// A definition with parameters that are all identifiers is a plain function
/// (Faust's `standardArgList`); other parameter lists are patterns.
inline bool has_identifier_params(const ast::Node* def) {
    for (std::uint32_t k = 0; k + 1 < def->count; ++k) {
        if (def->kids[k]->kind != ast::NodeKind::Ident) {
            return false;
        }
    }
    return def->count > 1;
}

} // namespace tutti::eval
