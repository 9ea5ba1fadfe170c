// SPDX-License-Identifier: MIT
#include "frontend/ast/ast.h"

namespace tutti::ast {

namespace {
constexpr std::string_view kind_names[] = {
#define AST_NODE(kind, name, layout) name,
#include "frontend/ast/ast_nodes.def"
#undef AST_NODE
};
static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == std::size_t(NodeKind::Count));

struct PrimInfo {
    std::string_view spelling;
    int inputs;
};
constexpr PrimInfo prim_infos[] = {
#define PRIM(name, spelling, inputs) {spelling, inputs},
#include "frontend/ast/prim_ops.def"
#undef PRIM
};
static_assert(sizeof(prim_infos) / sizeof(prim_infos[0]) == std::size_t(PrimOp::Count));
} // namespace

std::string_view kind_name(NodeKind k) {
    return kind_names[std::size_t(k)];
}

std::string_view prim_spelling(PrimOp op) {
    return prim_infos[std::size_t(op)].spelling;
}

int prim_inputs(PrimOp op) {
    return prim_infos[std::size_t(op)].inputs;
}

std::string_view iter_name(IterKind k) {
    switch (k) {
    case IterKind::Par:
        return "par";
    case IterKind::Seq:
        return "seq";
    case IterKind::Sum:
        return "sum";
    case IterKind::Prod:
        return "prod";
    }
    return "?";
}

std::string_view type_name(ValueType t) {
    switch (t) {
    case ValueType::Int:
        return "int";
    case ValueType::Float:
        return "float";
    case ValueType::Any:
        return "any";
    }
    return "?";
}

} // namespace tutti::ast
