// SPDX-License-Identifier: MIT
/** \file
 * The abstract syntax tree of a Faust file, as written (before evaluation).
 *
 * One node type for every kind (listed in ast_nodes.def with the fields each
 * uses): nodes live in the session's arena, identifiers and strings are interned
 * `Symbol`s, and every node has the source range it was parsed from. Children are
 * an arena array. Infix operators stay infix here (`Infix` with a `PrimOp`), the
 * evaluator gives them their block-diagram meaning `(A,B):op`.
 *
 * Long `a, b, c, ...` chains nest to the right, so a tree can be deep: code that
 * walks it must use an explicit stack or flatten chains (see ast_printer.cpp).
 */
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "diag/source_manager.h"
#include "support/interner.h"

namespace tutti::ast {

enum class NodeKind : std::uint8_t {
#define AST_NODE(kind, name, layout) kind,
#include "frontend/ast/ast_nodes.def"
#undef AST_NODE
    Count
};

enum class PrimOp : std::uint8_t {
#define PRIM(name, spelling, inputs) name,
#include "frontend/ast/prim_ops.def"
#undef PRIM
    Count
};

enum class IterKind : std::uint8_t { Par, Seq, Sum, Prod };

/// Types in foreign-function signatures and fconstant/fvariable.
enum class ValueType : std::uint8_t { Int, Float, Any };

/// Precision variants of a definition: `singleprecision x = ...;` (bit mask, 0 = all).
enum PrecisionBits : std::uint8_t {
    PrecSingle = 1,
    PrecDouble = 2,
    PrecQuad = 4,
    PrecFixed = 8,
};

std::string_view kind_name(NodeKind k);
std::string_view prim_spelling(PrimOp op);
int prim_inputs(PrimOp op);
std::string_view iter_name(IterKind k);
std::string_view type_name(ValueType t);

struct Node {
    NodeKind kind{};
    std::uint8_t op = 0;     ///< PrimOp, IterKind, ValueType or precision mask (see the .def)
    std::uint16_t flags = 0; ///< kind-specific small count or flag
    std::uint32_t count = 0; ///< number of children
    diag::SourceRange range;
    Symbol name; ///< identifier, label, path, key... (kind-specific)
    Symbol text; ///< second string (declare value, include file, doc text)
    union {
        std::int32_t ival;
        double rval = 0;
    };
    Node** kids = nullptr;

    std::span<Node* const> children() const {
        return {kids, count};
    }
    Node* child(std::uint32_t i) const {
        return kids[i];
    }
    PrimOp prim() const {
        return static_cast<PrimOp>(op);
    }
};

} // namespace tutti::ast
