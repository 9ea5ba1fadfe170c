// SPDX-License-Identifier: MIT
// Application F(a1,...,an), Faust 2.54.9's applyList:
//  - a closure binds its first parameter to a1 (simplified to a number when it
//    denotes one), then what remains is applied to a2... (curried; fewer
//    arguments give a partial application);
//  - a pattern matcher collects arguments until it has one per pattern, then
//    tries its rules;
//  - any other block diagram F with `ins` inputs applied to arguments with `outs`
//    outputs in all is (a1,...,an,_,...,_) : F, the missing inputs filled with
//    wires after the arguments, except when the arguments have one output and F
//    is a binary primitive other than prefix/min/max/fmod/remainder/atan2 (or
//    pow): then the wire comes first, /(2) is _,2 : /. More outputs than inputs
//    is an error ("too many arguments").
#include "eval/closure_params.h"
#include "eval/evaluator.h"

namespace tutti::eval {

using boxes::Box;
using boxes::BoxKind;

MaybeNum Evaluator::numeric(const Box* b) {
    try {
        return numeric_.constant(b);
    } catch (const NumericFault& f) {
        numeric_fault(f, frames_.empty() ? diag::SourceRange{} : frames_.back()->range);
    }
}

Value Evaluator::simplify_numeric(Value v) {
    // Faust's isBoxNumeric: functions (closures) and environments are left alone;
    // anything else is turned into a box first (so a pattern-matching function
    // is applied to a slot, which fails as in Faust when no rule takes it).
    const Box* b = nullptr;
    switch (v.kind()) {
    case ValueKind::Box:
        b = v.box();
        break;
    case ValueKind::Composite:
    case ValueKind::Matcher:
    case ValueKind::Component:
        b = to_box(v, frames_.empty() ? diag::SourceRange{} : frames_.back()->range);
        break;
    default:
        return v;
    }
    if (b->kind == BoxKind::Int || b->kind == BoxKind::Real || b->inputs != 0 || b->outputs != 1) {
        return v;
    }
    if (MaybeNum n = numeric(b)) {
        return Value::of(numeric_.box_of(*n));
    }
    return v;
}

Value Evaluator::closure_body(const Closure* c, const Env* env) {
    const ast::Node* fn = c->node;
    if (fn->kind != ast::NodeKind::Letrec) {
        return eval(fn->kids[fn->count - 1], env);
    }
    // The recursive body of a letrec: its equations in parallel, with the
    // `where` definitions visible in them.
    std::uint32_t nrec = fn->flags;
    const Env* inner = env;
    if (fn->count > 1 + nrec) {
        auto it = node_groups_.find(fn);
        if (it == node_groups_.end()) {
            std::vector<DefGroup> groups;
            group_statements(fn->children().subspan(1 + nrec), nullptr, groups, nullptr);
            it = node_groups_.emplace(fn, std::move(groups)).first;
        }
        std::vector<Entry*> entries;
        for (const DefGroup& g : it->second) {
            Entry* e = arena_.make<Entry>();
            e->name = g.name;
            e->defs = g.defs;
            entries.push_back(e);
        }
        Env* layer = make_env(env, entries);
        for (Entry* e : entries) {
            e->scope = layer;
        }
        inner = layer;
    }
    std::vector<Value> eqs;
    eqs.reserve(nrec);
    for (std::uint32_t k = nrec; k > 0; --k) { // reverse source order, see param_name
        eqs.push_back(eval(fn->kids[k]->kids[0], inner));
    }
    return par_list(eqs, fn->range);
}

Value Evaluator::apply_closure(const Closure* c, Value arg) {
    const Env* env = bind(c->env, param_name(c->node, c->index), simplify_numeric(arg));
    if (c->index + 1 < param_count(c->node)) {
        return Value::of(make_closure(c->node, c->index + 1, env));
    }
    return closure_body(c, env);
}

Value Evaluator::apply(Value fun, std::span<const Value> args, diag::SourceRange where) {
    std::size_t i = 0;
    while (i < args.size()) {
        switch (fun.kind()) {
        case ValueKind::Closure:
            fun = apply_closure(fun.closure(), args[i]);
            ++i;
            break;
        case ValueKind::Matcher: {
            const Matcher* m = fun.matcher();
            std::uint32_t arity = m->rules->arity;
            std::vector<Value> all(m->args.begin(), m->args.end());
            while (all.size() < arity && i < args.size()) {
                all.push_back(args[i++]);
            }
            if (all.size() < arity) {
                auto* kept = arena_.make_array<Value>(all.size());
                std::copy(all.begin(), all.end(), kept);
                fun = Value::of(arena_.make<Matcher>(Matcher{m->rules, {kept, all.size()}}));
            } else {
                fun = apply_rules(*m->rules, all, where);
            }
            break;
        }
        case ValueKind::Environment:
            fail(diag::diags::environment_as_function(where));
        case ValueKind::Component:
            fun = Value::of(to_box(fun, where));
            break;
        case ValueKind::Box:
        case ValueKind::Composite:
            return apply_box(fun, args.subspan(i), where);
        case ValueKind::None:
            fail(diag::diags::internal_error(where, "applying no value"));
        }
    }
    return fun;
}

namespace {
/// Binary primitives that take a single argument as their second input.
bool wire_first(const Box* f) {
    if (f->kind != BoxKind::Prim || ast::prim_inputs(f->prim()) != 2) {
        return false;
    }
    switch (f->prim()) {
    case ast::PrimOp::Prefix:
    case ast::PrimOp::Min:
    case ast::PrimOp::Max:
    case ast::PrimOp::Fmod:
    case ast::PrimOp::Remainder:
    case ast::PrimOp::Atan2:
        return false;
    default:
        return true;
    }
}

std::string short_print(const Box* b) {
    std::string s = boxes::print(b);
    if (s.size() > 60) {
        s = s.substr(0, 57) + "...";
    }
    return s;
}
} // namespace

Value Evaluator::apply_box(Value fun, std::span<const Value> args, diag::SourceRange where) {
    const Box* f = to_box(fun, where);
    std::vector<const Box*> items;
    std::uint32_t outs = 0;
    for (Value a : args) {
        const Box* b = to_box(a, where);
        outs += b->outputs;
        items.push_back(b);
    }
    std::uint32_t ins = f->inputs;
    if (outs > ins) {
        fail(diag::diags::too_many_arguments(where, short_print(f), ins, outs));
    }
    std::uint32_t missing = ins - outs;
    if (missing > 0) {
        const Box* w = boxes_.make_wire();
        if (outs == 1 && wire_first(f)) {
            items.insert(items.begin(), missing, w);
        } else {
            items.insert(items.end(), missing, w);
        }
    }
    const Box* list = items.back();
    for (std::size_t k = items.size() - 1; k-- > 0;) {
        list = boxes_.make_binary(BoxKind::Par, items[k], list);
    }
    return Value::of(compose_boxes(BoxKind::Seq, list, f, where));
}

} // namespace tutti::eval
