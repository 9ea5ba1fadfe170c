// SPDX-License-Identifier: MIT
#include "eval/ast_equal.h"

#include <bit>
#include <cstdint>
#include <utility>
#include <vector>

namespace tutti::eval {

namespace {
bool same_fields(const ast::Node* a, const ast::Node* b) {
    if (a->kind != b->kind || a->op != b->op || a->flags != b->flags || a->count != b->count ||
        a->name != b->name || a->text != b->text) {
        return false;
    }
    if (a->kind == ast::NodeKind::Int) {
        return a->ival == b->ival;
    }
    if (a->kind == ast::NodeKind::Real) {
        // Bit identity: 0.0 and -0.0 differ, a NaN equals itself.
        return std::bit_cast<std::uint64_t>(a->rval) == std::bit_cast<std::uint64_t>(b->rval);
    }
    return true;
}
} // namespace

bool ast_equal(const ast::Node* a, const ast::Node* b) {
    std::vector<std::pair<const ast::Node*, const ast::Node*>> work{{a, b}};
    while (!work.empty()) {
        auto [x, y] = work.back();
        work.pop_back();
        if (x == y) {
            continue;
        }
        if (x == nullptr || y == nullptr || !same_fields(x, y)) {
            return false;
        }
        for (std::uint32_t k = 0; k < x->count; ++k) {
            work.emplace_back(x->kids[k], y->kids[k]);
        }
    }
    return true;
}

} // namespace tutti::eval
