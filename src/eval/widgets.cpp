// SPDX-License-Identifier: MIT
// UI elements, groups, soundfiles, route and foreign functions: their labels get
// %i substitution, their numeric parameters must be compile-time constants.
// A slider or numerical entry needs min <= max and init in [min, max] (errors in
// Faust 2.54.9).
#include <cstdio>

#include "eval/evaluator.h"

namespace tutti::eval {

using ast::Node;
using ast::NodeKind;
using boxes::Box;
using boxes::BoxKind;

Num Evaluator::eval_number(const Node* n, const Env* env, const std::string& what) {
    const Box* b = to_box(eval(n, env), n->range);
    if (b->inputs != 0 || b->outputs != 1) {
        fail(diag::diags::not_a_constant_arity(n->range, what, b->inputs, b->outputs));
    }
    MaybeNum x;
    try {
        x = numeric_.constant(b);
    } catch (const NumericFault& f) {
        numeric_fault(f, n->range);
    }
    if (!x) {
        fail(diag::diags::not_a_constant(n->range, what));
    }
    return *x;
}

std::int32_t Evaluator::eval_int(const Node* n, const Env* env, const std::string& what) {
    return eval_number(n, env, what).to_int();
}

double Evaluator::eval_double(const Node* n, const Env* env, const std::string& what) {
    return eval_number(n, env, what).real();
}

namespace {
const char* widget_name(NodeKind k) {
    switch (k) {
    case NodeKind::VSlider:
        return "vertical slider";
    case NodeKind::HSlider:
        return "horizontal slider";
    case NodeKind::NEntry:
        return "num entry";
    case NodeKind::VBargraph:
        return "vertical bargraph";
    case NodeKind::HBargraph:
        return "horizontal bargraph";
    case NodeKind::Soundfile:
        return "soundfile";
    default:
        return "widget";
    }
}

BoxKind widget_kind(NodeKind k) {
    switch (k) {
    case NodeKind::VSlider:
        return BoxKind::VSlider;
    case NodeKind::HSlider:
        return BoxKind::HSlider;
    case NodeKind::NEntry:
        return BoxKind::NEntry;
    case NodeKind::VBargraph:
        return BoxKind::VBargraph;
    case NodeKind::HBargraph:
        return BoxKind::HBargraph;
    case NodeKind::VGroup:
        return BoxKind::VGroup;
    case NodeKind::HGroup:
        return BoxKind::HGroup;
    default:
        return BoxKind::TGroup;
    }
}

std::string num_text(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}
} // namespace

Value Evaluator::eval_widget(const Node* n, const Env* env) {
    Symbol label = eval_label(n->name, env, n);
    std::string lbl(n->name.str());
    auto param = [&](std::uint32_t k, const char* what) {
        return eval_double(n->kids[k], env,
                           std::string("the ") + what + " of " + widget_name(n->kind) + " '" + lbl +
                               "'");
    };
    const Box* b = nullptr;
    switch (n->kind) {
    case NodeKind::Button:
        b = boxes_.make_button(label);
        break;
    case NodeKind::Checkbox:
        b = boxes_.make_checkbox(label);
        break;
    case NodeKind::VSlider:
    case NodeKind::HSlider:
    case NodeKind::NEntry: {
        double init = param(0, "init value");
        double lo = param(1, "min value");
        double hi = param(2, "max value");
        double step = param(3, "step");
        if (lo > hi) {
            fail(diag::diags::widget_min_max(n->range, widget_name(n->kind), label, num_text(lo),
                                             num_text(hi)));
        }
        if (init < lo || init > hi) {
            fail(diag::diags::widget_range(n->range, widget_name(n->kind), label, num_text(init),
                                           num_text(lo), num_text(hi)));
        }
        b = boxes_.make_slider(widget_kind(n->kind), label, init, lo, hi, step);
        break;
    }
    case NodeKind::VBargraph:
    case NodeKind::HBargraph: {
        double lo = param(0, "min value");
        double hi = param(1, "max value");
        b = boxes_.make_bargraph(widget_kind(n->kind), label, lo, hi);
        break;
    }
    case NodeKind::VGroup:
    case NodeKind::HGroup:
    case NodeKind::TGroup: {
        const Box* body = to_box(eval(n->kids[0], env), n->kids[0]->range);
        b = boxes_.make_group(widget_kind(n->kind), label, body);
        break;
    }
    default: { // soundfile
        std::int32_t channels =
            eval_int(n->kids[0], env, "the number of channels of soundfile '" + lbl + "'");
        b = boxes_.make_soundfile(label, channels);
        break;
    }
    }
    boxes_.set_origin(b, n->range);
    return Value::of(b);
}

Value Evaluator::eval_route(const Node* n, const Env* env) {
    std::int32_t ins = eval_int(n->kids[0], env, "the number of inputs of a route");
    std::int32_t outs = eval_int(n->kids[1], env, "the number of outputs of a route");
    if (ins < 0 || outs < 0) {
        fail(diag::diags::invalid_route(n->range,
                                        "the numbers of inputs and outputs cannot be negative"));
    }
    std::vector<double> pairs;
    if (n->count > 2) {
        const Node* conn = n->kids[2];
        const Box* b = to_box(eval(conn, env), conn->range);
        if (b->inputs != 0) {
            fail(diag::diags::invalid_route(
                conn->range, "the connections must be constant numbers, not a block diagram with "
                             "inputs"));
        }
        std::vector<MaybeNum> values;
        try {
            values = numeric_.outputs(b, {});
        } catch (const NumericFault& f) {
            numeric_fault(f, conn->range);
        }
        for (const MaybeNum& v : values) {
            if (!v) {
                fail(diag::diags::invalid_route(conn->range,
                                                "the connections must be constant numbers"));
            }
            pairs.push_back(v->real());
        }
        if (pairs.size() % 2 != 0) {
            fail(diag::diags::invalid_route(conn->range,
                                            "the connections must be pairs (input, output): " +
                                                std::to_string(pairs.size()) + " numbers given"));
        }
    }
    const Box* r = boxes_.make_route(ins, outs, pairs);
    boxes_.set_origin(r, n->range);
    return Value::of(r);
}

Value Evaluator::eval_ffunction(const Node* n) {
    boxes::FFunSignature sig;
    sig.result = static_cast<ast::ValueType>(n->op);
    std::uint32_t names = n->flags;
    for (std::uint32_t k = 0; k < 3; ++k) {
        sig.names[k] = n->kids[std::min(k, names - 1)]->name;
    }
    std::vector<ast::ValueType> args;
    for (std::uint32_t k = names; k < n->count; ++k) {
        args.push_back(static_cast<ast::ValueType>(n->kids[k]->op));
    }
    sig.args = args;
    sig.include = n->text;
    sig.library = n->name;
    const Box* b = boxes_.make_ffun(sig);
    boxes_.set_origin(b, n->range);
    return Value::of(b);
}

} // namespace tutti::eval
