// SPDX-License-Identifier: MIT
// Iterations par/seq/sum/prod(i, N, E): N is a constant (a real count is
// truncated), E is evaluated with i bound to the Int box 0..N-1.
//   par(i,N,E)  = E(0),(E(1),(...,E(N-1)))        N <= 0: the empty diagram
//   seq(i,N,E)  = E(0):(E(1):(...:E(N-1)))        N <= 0: a bus of inputs(E(0)) wires,
//                                                 which needs inputs(E) == outputs(E)
//   sum(i,N,E)  = (((E(0),E(1)):+),E(2)):+ ...    N <= 0: the empty diagram
//   prod(i,N,E) = the same with *
// par/seq evaluate E from the last index down, sum/prod from 0 up, as Faust does
// (this orders the slots of functions used as blocks).
#include "eval/evaluator.h"

namespace tutti::eval {

using ast::IterKind;
using ast::Node;
using boxes::Box;
using boxes::BoxKind;

Value Evaluator::eval_iteration(const Node* n, const Env* env) {
    IterKind kind = static_cast<IterKind>(n->op);
    Symbol var = n->kids[0]->name;
    const Node* body = n->kids[2];
    std::int32_t count = eval_int(
        n->kids[1], env, "the number of iterations of '" + std::string(ast::iter_name(kind)) + "'");
    auto at = [&](std::int32_t i) {
        return eval(body, bind(env, var, Value::of(boxes_.make_int(i))));
    };
    if (count <= 0) {
        if (kind != IterKind::Seq) {
            return Value::of(empty_box());
        }
        const Box* b = to_box(at(0), body->range);
        if (b->inputs != b->outputs) {
            fail(diag::diags::seq_iteration_arity(n->range, b->inputs, b->outputs));
        }
        return Value::of(bus(b->inputs));
    }
    switch (kind) {
    case IterKind::Par:
    case IterKind::Seq: {
        BoxKind k = kind == IterKind::Par ? BoxKind::Par : BoxKind::Seq;
        Value acc = at(count - 1);
        for (std::int32_t i = count - 2; i >= 0; --i) {
            acc = compose(k, at(i), acc, n->range);
        }
        return acc;
    }
    case IterKind::Sum:
    case IterKind::Prod: {
        Value op = Value::of(
            boxes_.make_prim(kind == IterKind::Sum ? ast::PrimOp::Add : ast::PrimOp::Mul));
        Value acc = at(0);
        for (std::int32_t i = 1; i < count; ++i) {
            acc = compose(BoxKind::Seq, compose(BoxKind::Par, acc, at(i), n->range), op, n->range);
        }
        return acc;
    }
    }
    return Value();
}

} // namespace tutti::eval
