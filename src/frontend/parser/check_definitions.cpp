// SPDX-License-Identifier: MIT
#include "frontend/parser/check_definitions.h"

#include <unordered_map>
#include <vector>

namespace tutti::frontend {

using ast::Node;
using ast::NodeKind;

namespace {
constexpr std::uint8_t all_precisions =
    ast::PrecSingle | ast::PrecDouble | ast::PrecQuad | ast::PrecFixed;

std::uint8_t precisions(const Node* d) {
    return d->kind == NodeKind::Definition && d->op != 0 ? d->op : all_precisions;
}

bool has_params(const Node* d) {
    return d->kind == NodeKind::Definition && d->flags != 0;
}

std::uint32_t param_count(const Node* d) {
    return has_params(d) ? d->count - 1 : 0;
}
} // namespace

void check_definition_list(diag::DiagnosticList& diags, std::span<Node* const> statements) {
    std::unordered_map<Symbol, std::vector<const Node*>> by_name;
    for (const Node* d : statements) {
        if (d == nullptr || (d->kind != NodeKind::Definition && d->kind != NodeKind::RecDef)) {
            continue;
        }
        auto& earlier = by_name[d->name];
        for (const Node* e : earlier) {
            if ((precisions(d) & precisions(e)) == 0) {
                continue;
            }
            if (!has_params(d) || !has_params(e)) {
                diags.add(diag::diags::multiple_definitions(d->range, d->name));
                diags.add(diag::diags::previous_definition(e->range, e->name));
            } else if (param_count(d) != param_count(e)) {
                diags.add(diag::diags::inconsistent_rule_arity(d->range, d->name, param_count(d),
                                                               param_count(e)));
            } else {
                continue;
            }
            break;
        }
        earlier.push_back(d);
    }
}

} // namespace tutti::frontend
