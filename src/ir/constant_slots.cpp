// SPDX-License-Identifier: MIT
#include "ir/constant_slots.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace tutti::ir {

namespace {

bool is_real(Type t) {
    return t == Type::F32 || t == Type::F64;
}

/// Numbers the real constants of one module, in walk order.
class Numberer {
public:
    explicit Numberer(ConstantSlots& out) : out_(out) {
    }
    void function(const Function& f) {
        block(f.body);
    }

private:
    void block(std::span<const Stmt* const> body) {
        for (const Stmt* s : body) {
            stmt(s);
        }
    }
    void stmt(const Stmt* s) {
        for (const Expr* e : {s->element, s->value, s->to, s->cond}) {
            if (e != nullptr) {
                expr(e);
            }
        }
        block(s->body);
        block(s->else_body);
    }
    void expr(const Expr* e) {
        if (e->kind == ExprKind::Const && is_real(e->type)) {
            if (out_.slot.emplace(e, std::uint32_t(out_.types.size())).second) {
                out_.types.push_back(e->type);
                out_.values.push_back(e->rval);
            }
            return;
        }
        for (const Expr* x : e->a) {
            expr(x);
        }
    }
    ConstantSlots& out_;
};

/// Walks two modules side by side; records b's value for each of a's slots.
class Matcher {
public:
    Matcher(const ConstantSlots& slots, std::vector<double>& values, std::vector<bool>& set)
        : slots_(slots), values_(values), set_(set) {
    }
    bool function(const Function& a, const Function& b) {
        if (a.locals.size() != b.locals.size()) {
            return false;
        }
        for (std::size_t i = 0; i < a.locals.size(); ++i) {
            if (a.locals[i].type != b.locals[i].type) {
                return false;
            }
        }
        return block(a.body, b.body);
    }

private:
    bool block(std::span<const Stmt* const> a, std::span<const Stmt* const> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!stmt(a[i], b[i])) {
                return false;
            }
        }
        return true;
    }
    bool opt_expr(const Expr* a, const Expr* b) {
        if (a == nullptr || b == nullptr) {
            return a == b;
        }
        return expr(a, b);
    }
    bool stmt(const Stmt* a, const Stmt* b) {
        return a->kind == b->kind && a->index == b->index && a->loop_id == b->loop_id &&
               opt_expr(a->element, b->element) && opt_expr(a->value, b->value) &&
               opt_expr(a->to, b->to) && opt_expr(a->cond, b->cond) && block(a->body, b->body) &&
               block(a->else_body, b->else_body);
    }
    bool expr(const Expr* a, const Expr* b) {
        if (a->kind != b->kind || a->op != b->op || a->type != b->type || a->index != b->index ||
            a->ival != b->ival || a->a.size() != b->a.size()) {
            return false;
        }
        if ((a->callee == nullptr) != (b->callee == nullptr) ||
            (a->callee != nullptr && std::string_view(a->callee) != std::string_view(b->callee))) {
            return false;
        }
        if (a->kind == ExprKind::Const) {
            if (!is_real(a->type)) {
                return true; // ival compared above
            }
            const std::uint32_t k = slots_.slot.at(a);
            if (set_[k]) { // a shared node: every use must hold the same value
                return std::memcmp(&values_[k], &b->rval, sizeof(double)) == 0;
            }
            values_[k] = b->rval;
            set_[k] = true;
            return true;
        }
        if (a->kind != ExprKind::Const && a->rval != b->rval) {
            return false; // not used by other kinds; compared to be safe
        }
        for (std::size_t i = 0; i < a->a.size(); ++i) {
            if (!expr(a->a[i], b->a[i])) {
                return false;
            }
        }
        return true;
    }
    const ConstantSlots& slots_;
    std::vector<double>& values_;
    std::vector<bool>& set_;
};

bool same_fields(const Module& a, const Module& b) {
    if (a.real != b.real || a.num_inputs != b.num_inputs || a.num_outputs != b.num_outputs ||
        a.state_bytes != b.state_bytes || a.fields.size() != b.fields.size() ||
        !a.foreign.empty() || !b.foreign.empty()) {
        return false;
    }
    for (std::size_t i = 0; i < a.fields.size(); ++i) {
        const Field& x = a.fields[i];
        const Field& y = b.fields[i];
        if (x.name != y.name || x.type != y.type || x.count != y.count || x.kind != y.kind ||
            x.identity != y.identity || x.offset != y.offset || x.ring != y.ring ||
            x.scale != y.scale) {
            return false;
        }
    }
    return true;
}

} // namespace

ConstantSlots constant_slots(const Module& m) {
    ConstantSlots out;
    Numberer n(out);
    n.function(m.init_constants);
    n.function(m.reset_controls);
    n.function(m.clear_state);
    n.function(m.compute);
    return out;
}

std::optional<std::vector<double>> constants_as_slots(const Module& a, const ConstantSlots& slots,
                                                      const Module& b) {
    if (!same_fields(a, b)) {
        return std::nullopt;
    }
    std::vector<double> values(slots.types.size(), 0.0);
    std::vector<bool> set(slots.types.size(), false);
    Matcher m(slots, values, set);
    if (!m.function(a.init_constants, b.init_constants) ||
        !m.function(a.reset_controls, b.reset_controls) ||
        !m.function(a.clear_state, b.clear_state) || !m.function(a.compute, b.compute)) {
        return std::nullopt;
    }
    for (bool s : set) {
        if (!s) {
            return std::nullopt;
        }
    }
    return values;
}

std::vector<std::byte> slot_block(const ConstantSlots& slots, const std::vector<double>& values) {
    std::vector<std::byte> block(std::max<std::size_t>(slots.types.size(), 1) * 8, std::byte{0});
    for (std::size_t k = 0; k < slots.types.size() && k < values.size(); ++k) {
        if (slots.types[k] == Type::F32) {
            const float f = static_cast<float>(values[k]);
            std::memcpy(block.data() + 8 * k, &f, sizeof f);
        } else {
            std::memcpy(block.data() + 8 * k, &values[k], sizeof(double));
        }
    }
    return block;
}

} // namespace tutti::ir
