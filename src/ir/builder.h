// SPDX-License-Identifier: MIT
/** \file
 * Helpers that make loop-IR nodes in a module's arena, with their result types
 * worked out (comparisons give I32, casts give their target type...). They do
 * not check operand types: ir/verifier does.
 */
#pragma once

#include <cstring>
#include <initializer_list>
#include <vector>

#include "ir/loop_ir.h"

namespace tutti::ir {

class Builder {
public:
    explicit Builder(Module& m) : m_(m) {
    }

    const Expr* i32(std::int32_t v) {
        Expr* e = node(ExprKind::Const, Type::I32);
        e->ival = v;
        return e;
    }
    const Expr* real(double v) {
        Expr* e = node(ExprKind::Const, m_.real);
        e->rval = v;
        return e;
    }
    const Expr* constant(Type t, double v) {
        Expr* e = node(ExprKind::Const, t);
        if (t == Type::I32) {
            e->ival = static_cast<std::int32_t>(v);
        } else {
            e->rval = v;
        }
        return e;
    }
    const Expr* local(std::uint32_t id, Type t) {
        Expr* e = node(ExprKind::Local, t);
        e->index = id;
        return e;
    }
    const Expr* field(std::uint32_t id, const Expr* element = nullptr) {
        Expr* e = node(ExprKind::Field, m_.fields[id].type);
        e->index = id;
        if (element != nullptr) {
            e->a = kids({element});
        }
        return e;
    }
    /// What the sound of `sound_field` holds for `part`: 0 length, 1 rate, 2 offset.
    const Expr* sound_info(std::uint32_t sound_field, std::int32_t what, const Expr* part) {
        Expr* e = node(ExprKind::SoundInfo, Type::I32);
        e->index = sound_field;
        e->ival = what;
        e->a = kids({part});
        return e;
    }
    /// Channel `channel` of the sound of `sound_field` at `frame` (offset included).
    const Expr* sound_sample(std::uint32_t sound_field, std::int32_t channel, const Expr* frame) {
        Expr* e = node(ExprKind::SoundSample, m_.real);
        e->index = sound_field;
        e->ival = channel;
        e->a = kids({frame});
        return e;
    }
    const Expr* input(std::uint32_t channel) {
        Expr* e = node(ExprKind::Input, m_.real);
        e->index = channel;
        return e;
    }
    const Expr* sample_rate() {
        return node(ExprKind::SampleRate, Type::I32);
    }
    const Expr* count() {
        return node(ExprKind::Count, Type::I32);
    }
    const Expr* frame() {
        return node(ExprKind::FrameIndex, Type::I32);
    }
    const Expr* loop_var(std::uint32_t loop_id) {
        Expr* e = node(ExprKind::LoopVar, Type::I32);
        e->index = loop_id;
        return e;
    }
    const Expr* unary(Op op, const Expr* x) {
        Type t = x->type;
        switch (op) {
        case Op::FtoI:
            t = Type::I32;
            break;
        case Op::ItoF:
            t = m_.real;
            break;
        case Op::FExt:
            t = Type::F64;
            break;
        case Op::FTrunc:
            t = Type::F32;
            break;
        default:
            break;
        }
        Expr* e = node(ExprKind::Unary, t);
        e->op = op;
        e->a = kids({x});
        return e;
    }
    /// ItoF to a given real type.
    const Expr* to_real(const Expr* x, Type real) {
        Expr* e = node(ExprKind::Unary, real);
        e->op = Op::ItoF;
        e->a = kids({x});
        return e;
    }
    const Expr* binary(Op op, const Expr* x, const Expr* y) {
        bool cmp = op == Op::Lt || op == Op::Le || op == Op::Gt || op == Op::Ge || op == Op::Eq ||
                   op == Op::Ne;
        Expr* e = node(ExprKind::Binary, cmp ? Type::I32 : x->type);
        e->op = op;
        e->a = kids({x, y});
        return e;
    }
    const Expr* call(const char* callee, Type result, std::initializer_list<const Expr*> args) {
        Expr* e = node(ExprKind::Call, result);
        e->callee = intern_cstr(callee);
        e->a = kids(args);
        return e;
    }
    const Expr* select(const Expr* cond, const Expr* if_true, const Expr* if_false) {
        Expr* e = node(ExprKind::Select, if_true->type);
        e->a = kids({cond, if_true, if_false});
        return e;
    }

    const Stmt* set_local(std::uint32_t id, const Expr* v) {
        Stmt* s = stmt(StmtKind::SetLocal);
        s->index = id;
        s->value = v;
        return s;
    }
    const Stmt* set_field(std::uint32_t id, const Expr* element, const Expr* v) {
        Stmt* s = stmt(StmtKind::SetField);
        s->index = id;
        s->element = element;
        s->value = v;
        return s;
    }
    const Stmt* set_output(std::uint32_t channel, const Expr* v) {
        Stmt* s = stmt(StmtKind::SetOutput);
        s->index = channel;
        s->value = v;
        return s;
    }
    const Stmt* for_loop(std::uint32_t loop_id, const Expr* from, const Expr* to,
                         const std::vector<const Stmt*>& body) {
        Stmt* s = stmt(StmtKind::For);
        s->loop_id = loop_id;
        s->value = from;
        s->to = to;
        s->body = stmts(body);
        return s;
    }
    const Stmt* frame_loop(const std::vector<const Stmt*>& body) {
        Stmt* s = stmt(StmtKind::FrameLoop);
        s->body = stmts(body);
        return s;
    }
    const Stmt* if_else(const Expr* cond, const std::vector<const Stmt*>& then_body,
                        const std::vector<const Stmt*>& else_body = {}) {
        Stmt* s = stmt(StmtKind::If);
        s->cond = cond;
        s->body = stmts(then_body);
        s->else_body = stmts(else_body);
        return s;
    }

    /// A new local of `f`; returns its number.
    static std::uint32_t add_local(Function& f, std::string name, Type t) {
        f.locals.push_back({std::move(name), t});
        return static_cast<std::uint32_t>(f.locals.size() - 1);
    }
    /// A new state field; returns its number.
    std::uint32_t add_field(std::string name, Type t, std::uint32_t count, FieldKind kind,
                            std::string identity = {}) {
        Field f;
        f.name = std::move(name);
        f.type = t;
        f.count = count;
        f.kind = kind;
        f.identity = std::move(identity);
        m_.fields.push_back(std::move(f));
        return static_cast<std::uint32_t>(m_.fields.size() - 1);
    }

private:
    Expr* node(ExprKind k, Type t) {
        Expr* e = m_.arena.make<Expr>();
        e->kind = k;
        e->type = t;
        return e;
    }
    Stmt* stmt(StmtKind k) {
        Stmt* s = m_.arena.make<Stmt>();
        s->kind = k;
        return s;
    }
    std::span<const Expr* const> kids(std::initializer_list<const Expr*> list) {
        auto* arr = m_.arena.make_array<const Expr*>(list.size());
        std::size_t i = 0;
        for (const Expr* e : list) {
            arr[i++] = e;
        }
        return {arr, list.size()};
    }
    std::span<const Stmt* const> stmts(const std::vector<const Stmt*>& list) {
        auto* arr = m_.arena.make_array<const Stmt*>(list.size());
        for (std::size_t i = 0; i < list.size(); ++i) {
            arr[i] = list[i];
        }
        return {arr, list.size()};
    }
    const char* intern_cstr(const char* s) {
        std::string_view v(s);
        char* p = static_cast<char*>(m_.arena.allocate(v.size() + 1, 1));
        std::memcpy(p, v.data(), v.size());
        p[v.size()] = '\0';
        return p;
    }

    Module& m_;
};

} // namespace tutti::ir
