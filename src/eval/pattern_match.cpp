// SPDX-License-Identifier: MIT
// Pattern-matching functions: compiling the patterns of the rules (once per
// rule list and environment), matching arguments, evaluating the chosen rule.
// See pattern.h for the semantics.
#include "eval/evaluator.h"

namespace tutti::eval {

using ast::Node;
using ast::NodeKind;
using boxes::Box;
using boxes::BoxKind;

namespace {
/// Does the pattern contain a variable (an identifier in a composition position)?
bool has_variable(const Node* p) {
    std::vector<const Node*> work{p};
    while (!work.empty()) {
        const Node* n = work.back();
        work.pop_back();
        switch (n->kind) {
        case NodeKind::Ident:
        case NodeKind::Neg:
            return true;
        case NodeKind::Seq:
        case NodeKind::Par:
        case NodeKind::Split:
        case NodeKind::Merge:
        case NodeKind::Rec:
        case NodeKind::Infix:
            work.push_back(n->kids[0]);
            work.push_back(n->kids[1]);
            break;
        case NodeKind::Delay1:
            work.push_back(n->kids[0]);
            break;
        default:
            break;
        }
    }
    return false;
}

bool is_composition(BoxKind k) {
    return k == BoxKind::Seq || k == BoxKind::Par || k == BoxKind::Split || k == BoxKind::Merge ||
           k == BoxKind::Rec;
}

BoxKind composition_of(NodeKind k) {
    switch (k) {
    case NodeKind::Seq:
        return BoxKind::Seq;
    case NodeKind::Par:
        return BoxKind::Par;
    case NodeKind::Split:
        return BoxKind::Split;
    case NodeKind::Merge:
        return BoxKind::Merge;
    default:
        return BoxKind::Rec;
    }
}

std::string describe(Value v) {
    switch (v.kind()) {
    case ValueKind::Box: {
        std::string s = boxes::print(v.box());
        return s.size() > 40 ? s.substr(0, 37) + "..." : s;
    }
    case ValueKind::Composite:
        return "a block diagram";
    case ValueKind::Closure:
    case ValueKind::Matcher:
        return "a function";
    case ValueKind::Environment:
        return "an environment";
    case ValueKind::Component:
        return "a component";
    case ValueKind::None:
        break;
    }
    return "?";
}
} // namespace

const Pattern* Evaluator::pattern_of_value(Value v) {
    check_stack(frames_.empty() ? diag::SourceRange{} : frames_.back()->range);
    Value s = simplify_numeric(v);
    Pattern* p = arena_.make<Pattern>();
    if (const Box* b = s.box(); b != nullptr && is_composition(b->kind)) {
        p->kind = PatternKind::Op;
        p->op = b->kind;
        p->a = pattern_of_value(Value::of(b->kid(0)));
        p->b = pattern_of_value(Value::of(b->kid(1)));
        return p;
    }
    if (const Composite* c = s.composite()) {
        p->kind = PatternKind::Op;
        p->op = c->kind;
        p->a = pattern_of_value(c->a);
        p->b = pattern_of_value(c->b);
        return p;
    }
    p->kind = PatternKind::Const;
    p->constant = s;
    return p;
}

const Pattern* Evaluator::compile_pattern(const Node* n, const Env* env) {
    auto op = [&](BoxKind k, const Pattern* a, const Pattern* b) {
        Pattern* p = arena_.make<Pattern>();
        p->kind = PatternKind::Op;
        p->op = k;
        p->a = a;
        p->b = b;
        return p;
    };
    auto constant = [&](const Box* b) {
        Pattern* p = arena_.make<Pattern>();
        p->kind = PatternKind::Const;
        p->constant = Value::of(b);
        return p;
    };
    auto var = [&](Symbol name) {
        Pattern* p = arena_.make<Pattern>();
        p->kind = PatternKind::Var;
        p->var = name;
        return p;
    };
    if (!has_variable(n)) {
        return pattern_of_value(eval(n, env));
    }
    switch (n->kind) {
    case NodeKind::Ident:
        return var(n->name);
    case NodeKind::Neg: // -x is (0,x):-
        return op(BoxKind::Seq,
                  op(BoxKind::Par, constant(boxes_.make_int(0)), var(n->kids[0]->name)),
                  constant(boxes_.make_prim(ast::PrimOp::Sub)));
    case NodeKind::Infix:
        return op(
            BoxKind::Seq,
            op(BoxKind::Par, compile_pattern(n->kids[0], env), compile_pattern(n->kids[1], env)),
            constant(boxes_.make_prim(n->prim())));
    case NodeKind::Delay1:
        return op(BoxKind::Seq, compile_pattern(n->kids[0], env),
                  constant(boxes_.make_prim(ast::PrimOp::Mem)));
    default:
        return op(composition_of(n->kind), compile_pattern(n->kids[0], env),
                  compile_pattern(n->kids[1], env));
    }
}

void Evaluator::compile_rules(MatcherRules& rules) {
    std::size_t n = rules.rules.size() * rules.arity;
    auto* compiled = arena_.make_array<const Pattern*>(n);
    for (std::size_t r = 0; r < rules.rules.size(); ++r) {
        const Node* rule = rules.rules[r];
        for (std::uint32_t k = 0; k < rules.arity; ++k) {
            compiled[r * rules.arity + k] = compile_pattern(rule->kids[k], rules.env);
        }
    }
    rules.compiled = compiled;
}

bool Evaluator::match(const Pattern* p, Value v, std::vector<std::pair<Symbol, Value>>& bindings) {
    check_stack(frames_.empty() ? diag::SourceRange{} : frames_.back()->range);
    switch (p->kind) {
    case PatternKind::Var:
        for (const auto& [name, bound] : bindings) {
            if (name == p->var) {
                return bound == v; // a variable met twice must bind equal values
            }
        }
        bindings.emplace_back(p->var, v);
        return true;
    case PatternKind::Const: {
        // Arguments are simplified to numbers only to meet numeric constants.
        const Box* c = p->constant.box();
        bool numeric_constant =
            c != nullptr && (c->kind == BoxKind::Int || c->kind == BoxKind::Real);
        return (numeric_constant ? simplify_numeric(v) : v) == p->constant;
    }
    case PatternKind::Op:
        if (const Box* b = v.box(); b != nullptr && b->kind == p->op) {
            return match(p->a, Value::of(b->kid(0)), bindings) &&
                   match(p->b, Value::of(b->kid(1)), bindings);
        }
        if (const Composite* c = v.composite(); c != nullptr && c->kind == p->op) {
            return match(p->a, c->a, bindings) && match(p->b, c->b, bindings);
        }
        return false;
    }
    return false;
}

Value Evaluator::apply_rules(MatcherRules& rules, std::span<const Value> args,
                             diag::SourceRange where) {
    if (rules.compiled == nullptr) {
        compile_rules(rules);
    }
    std::vector<std::pair<Symbol, Value>> bindings;
    for (std::size_t r = 0; r < rules.rules.size(); ++r) {
        bindings.clear();
        bool ok = true;
        for (std::uint32_t k = 0; k < rules.arity && ok; ++k) {
            ok = match(rules.compiled[r * rules.arity + k], args[k], bindings);
        }
        if (ok) {
            const Node* rule = rules.rules[r];
            const Env* env = bind_all(rules.env, bindings);
            return eval(rule->kids[rule->count - 1], env);
        }
    }
    std::string list;
    for (std::size_t k = 0; k < args.size(); ++k) {
        list += (k ? ", " : "") + describe(args[k]);
    }
    std::string name =
        rules.name.empty() ? std::string("case") : "'" + std::string(rules.name.str()) + "'";
    fail(diag::diags::pattern_match_failed(where, name, list));
}

} // namespace tutti::eval
