// SPDX-License-Identifier: MIT
// The five compositions and their arity rules (Faust 2.54.9 boxtype.cpp), checked
// where the composition is written:
//   A:B   outputs(A) == inputs(B)
//   A,B   always
//   A<:B  outputs(A) > 0, inputs(B) > 0, inputs(B) a multiple of outputs(A)
//   A:>B  outputs(A) > 0, inputs(B) > 0, outputs(A) a multiple of inputs(B)
//   A~B   outputs(A) >= inputs(B) and inputs(A) >= outputs(B)
// A composition with a function operand stays a Composite value until it is
// needed as a box (it may be taken apart by pattern matching first).
#include "eval/evaluator.h"

namespace tutti::eval {

using boxes::Box;
using boxes::BoxKind;

const Box* Evaluator::compose_boxes(BoxKind k, const Box* a, const Box* b, diag::SourceRange r) {
    switch (k) {
    case BoxKind::Seq:
        if (a->outputs != b->inputs) {
            fail(diag::diags::seq_arity(r, a->outputs, b->inputs));
        }
        break;
    case BoxKind::Split:
        if (a->outputs == 0 || b->inputs == 0 || b->inputs % a->outputs != 0) {
            fail(diag::diags::split_arity(r, a->outputs, b->inputs));
        }
        break;
    case BoxKind::Merge:
        if (a->outputs == 0 || b->inputs == 0 || a->outputs % b->inputs != 0) {
            fail(diag::diags::merge_arity(r, a->outputs, b->inputs));
        }
        break;
    case BoxKind::Rec:
        if (a->outputs < b->inputs || a->inputs < b->outputs) {
            fail(diag::diags::rec_arity(r, a->inputs, a->outputs, b->inputs, b->outputs));
        }
        break;
    default:
        break;
    }
    const Box* box = boxes_.make_binary(k, a, b);
    boxes_.set_origin(box, r);
    return box;
}

Value Evaluator::compose(BoxKind k, Value a, Value b, diag::SourceRange r) {
    if (a.is_box() && b.is_box()) {
        return Value::of(compose_boxes(k, a.box(), b.box(), r));
    }
    return Value::of(arena_.make<Composite>(Composite{k, a, b, r}));
}

namespace {
bool numerical_tuple(const Box* b, std::vector<MaybeNum>& out) {
    // Iterative over the right spine of a parallel list of numbers.
    for (;;) {
        if (b->kind == BoxKind::Int) {
            out.emplace_back(Num::of_int(b->ival));
            return true;
        }
        if (b->kind == BoxKind::Real) {
            out.emplace_back(Num::of_real(b->rval));
            return true;
        }
        if (b->kind != BoxKind::Par) {
            return false;
        }
        const Box* head = b->kid(0);
        if (head->kind == BoxKind::Int) {
            out.emplace_back(Num::of_int(head->ival));
        } else if (head->kind == BoxKind::Real) {
            out.emplace_back(Num::of_real(head->rval));
        } else if (!numerical_tuple(head, out)) {
            return false;
        }
        b = b->kid(1);
    }
}
} // namespace

Value Evaluator::seq_folded(Value a, Value b, diag::SourceRange r) {
    Value v = compose(BoxKind::Seq, a, b, r);
    // As Faust: (numbers) : P with P a wire or a primitive of one or two inputs
    // folds to a number when the result is one (2+3 is 5, 1:sin is 0.84...).
    if (!v.is_box()) {
        return v;
    }
    const Box* p = b.box();
    bool foldable =
        p->kind == BoxKind::Wire || (p->kind == BoxKind::Prim && ast::prim_inputs(p->prim()) <= 2);
    std::vector<MaybeNum> tuple;
    if (!foldable || !numerical_tuple(a.box(), tuple)) {
        return v;
    }
    try {
        std::vector<MaybeNum> out = numeric_.outputs(p, tuple);
        if (out.size() == 1 && out[0]) {
            const Box* n = numeric_.box_of(*out[0]);
            return Value::of(n);
        }
    } catch (const NumericFault& f) {
        numeric_fault(f, r);
    }
    return v;
}

void Evaluator::numeric_fault(const NumericFault& f, diag::SourceRange r) {
    switch (f.kind) {
    case NumericFault::Kind::DivisionByZero:
        fail(diag::diags::division_by_zero(r, f.what));
    case NumericFault::Kind::RemainderByZero:
        fail(diag::diags::remainder_by_zero(r, f.what));
    case NumericFault::Kind::OutOfDomain:
        fail(diag::diags::out_of_domain(r, f.what));
    case NumericFault::Kind::TooDeep:
        fail(diag::diags::eval_too_deep(
            r, "out of stack space or nesting limit while folding constants"));
    case NumericFault::Kind::TooManySteps:
        break;
    }
    fail(diag::diags::eval_too_many_steps(r, options_.max_steps));
}

Value Evaluator::par_list(std::span<const Value> items, diag::SourceRange r) {
    Value acc = items.back();
    for (std::size_t k = items.size() - 1; k-- > 0;) {
        acc = compose(BoxKind::Par, items[k], acc, r);
    }
    return acc;
}

const Box* Evaluator::empty_box() {
    // Faust's empty diagram (par(i,0,E)): no input, no output. `0 : !` is one.
    if (empty_ == nullptr) {
        empty_ = boxes_.make_binary(BoxKind::Seq, boxes_.make_int(0), boxes_.make_cut());
    }
    return empty_;
}

const Box* Evaluator::bus(std::uint32_t n) {
    if (n == 0) {
        return empty_box();
    }
    const Box* acc = boxes_.make_wire();
    for (std::uint32_t k = 1; k < n; ++k) {
        acc = boxes_.make_binary(BoxKind::Par, boxes_.make_wire(), acc);
    }
    return acc;
}

} // namespace tutti::eval
