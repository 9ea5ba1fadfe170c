// SPDX-License-Identifier: MIT
// Values -> boxes in normal form (Faust's a2sb). A function used as a block
// becomes a symbolic box: its first parameter is bound to a fresh slot, the rest
// is converted the same way, so \(x,y).(E) becomes \(#1).(\(#2).(E[#1,#2])) with
// 2 + inputs(E) inputs. Conversions are cached per value, so a function used
// twice as a block gives one box.
#include "eval/closure_params.h"
#include "eval/evaluator.h"

namespace tutti::eval {

using boxes::Box;

const Box* Evaluator::to_box(Value v, diag::SourceRange where) {
    switch (v.kind()) {
    case ValueKind::Box:
        return v.box();
    case ValueKind::Composite: {
        auto it = to_box_memo_.find(v.key());
        if (it != to_box_memo_.end()) {
            return it->second;
        }
        const Composite* c = v.composite();
        check_stack(c->range);
        const Box* a = to_box(c->a, c->range);
        const Box* b = to_box(c->b, c->range);
        const Box* r = compose_boxes(c->kind, a, b, c->range);
        to_box_memo_.emplace(v.key(), r);
        return r;
    }
    case ValueKind::Closure:
        return closure_to_box(v.closure(), where);
    case ValueKind::Matcher:
        return matcher_to_box(v.matcher(), where);
    case ValueKind::Component: {
        auto it = to_box_memo_.find(v.key());
        if (it != to_box_memo_.end()) {
            return it->second;
        }
        Symbol process = session_.interner().intern("process");
        Entry* e = v.env()->find_here(process);
        if (e == nullptr) {
            fail(diag::diags::undefined_symbol(where, process));
        }
        const ast::Node* at = e->defs.empty() ? nullptr : e->defs[0];
        Value pv = at != nullptr ? force(e, at) : e->value;
        const Box* r = to_box(pv, where);
        to_box_memo_.emplace(v.key(), r);
        return r;
    }
    case ValueKind::Environment:
        fail(diag::diags::environment_as_box(where));
    case ValueKind::None:
        break;
    }
    fail(diag::diags::internal_error(where, "no value to turn into a block diagram"));
}

const Box* Evaluator::closure_to_box(const Closure* c, diag::SourceRange where) {
    auto it = to_box_memo_.find(c);
    if (it != to_box_memo_.end()) {
        return it->second;
    }
    const Box* slot = boxes_.make_slot(boxes_.fresh_slot());
    const Env* env = bind(c->env, param_name(c->node, c->index), Value::of(slot));
    Value rest = c->index + 1 < param_count(c->node)
                     ? Value::of(make_closure(c->node, c->index + 1, env))
                     : closure_body(c, env);
    const Box* body = to_box(rest, where);
    const Box* r = boxes_.make_symbolic(slot, body);
    boxes_.set_origin(r, c->node->range);
    to_box_memo_.emplace(c, r);
    return r;
}

const Box* Evaluator::matcher_to_box(const Matcher* m, diag::SourceRange where) {
    auto it = to_box_memo_.find(m);
    if (it != to_box_memo_.end()) {
        return it->second;
    }
    const Box* slot = boxes_.make_slot(boxes_.fresh_slot());
    Value arg = Value::of(slot);
    Value rest = apply(Value::of(m), {&arg, 1}, where);
    const Box* body = to_box(rest, where);
    const Box* r = boxes_.make_symbolic(slot, body);
    to_box_memo_.emplace(m, r);
    return r;
}

} // namespace tutti::eval
