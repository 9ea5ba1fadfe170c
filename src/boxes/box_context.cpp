// SPDX-License-Identifier: MIT
#include <algorithm>
#include <cstring>
#include <functional>

#include "boxes/box.h"
#include "support/hash_cons.h"

namespace tutti::boxes {

using hash_cons::bits;
using hash_cons::mix;

namespace {
constexpr std::string_view kind_names[] = {
#define BOX(kind, name, layout) name,
#include "boxes/box_kinds.def"
#undef BOX
};
static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == std::size_t(BoxKind::Count));

bool same_sig(const FFunSignature* a, const FFunSignature* b) {
    if (a == b) {
        return true;
    }
    if (a == nullptr || b == nullptr) {
        return false;
    }
    return a->result == b->result && a->include == b->include && a->library == b->library &&
           std::equal(std::begin(a->names), std::end(a->names), std::begin(b->names)) &&
           hash_cons::same(a->args, b->args);
}
} // namespace

std::string_view kind_name(BoxKind k) {
    return kind_names[std::size_t(k)];
}

std::size_t BoxContext::Hash::operator()(const Box* b) const {
    std::size_t h = std::size_t(b->kind) * 131 + b->op;
    h = mix(h, std::size_t(std::uint32_t(b->ival)));
    h = mix(h, std::size_t(bits(b->rval)));
    h = mix(h, std::hash<const void*>()(b->label.key()));
    h = mix(h, std::hash<const void*>()(b->text.key()));
    for (const Box* k : b->kids) {
        h = mix(h, k->id);
    }
    for (double d : b->nums) {
        h = mix(h, std::size_t(bits(d)));
    }
    if (b->ffun != nullptr) {
        h = mix(h, std::hash<const void*>()(b->ffun->names[0].key()));
    }
    return h;
}

bool BoxContext::Eq::operator()(const Box* a, const Box* b) const {
    if (a->kind != b->kind || a->op != b->op || a->ival != b->ival ||
        bits(a->rval) != bits(b->rval) || a->label != b->label || a->text != b->text ||
        !same_sig(a->ffun, b->ffun)) {
        return false;
    }
    return hash_cons::same(a->kids, b->kids) && hash_cons::same_bits(a->nums, b->nums);
}

const Box* BoxContext::intern(Box&& proto) {
    auto it = table_.find(&proto);
    if (it != table_.end()) {
        return *it;
    }
    // Copy the variable-size parts into the arena before publishing the box.
    Box* b = arena_.make<Box>(proto);
    b->kids = hash_cons::copy(arena_, proto.kids);
    b->nums = hash_cons::copy(arena_, proto.nums);
    if (proto.ffun != nullptr) {
        auto* sig = arena_.make<FFunSignature>(*proto.ffun);
        sig->args = hash_cons::copy(arena_, proto.ffun->args);
        b->ffun = sig;
    }
    b->id = static_cast<std::uint32_t>(boxes_.size());
    boxes_.push_back(b);
    origins_.push_back({});
    table_.insert(b);
    return b;
}

namespace {
Box leaf(BoxKind k, std::uint32_t ins, std::uint32_t outs) {
    Box b;
    b.kind = k;
    b.inputs = ins;
    b.outputs = outs;
    return b;
}
} // namespace

const Box* BoxContext::make_int(std::int32_t v) {
    Box b = leaf(BoxKind::Int, 0, 1);
    b.ival = v;
    return intern(std::move(b));
}

const Box* BoxContext::make_real(double v) {
    Box b = leaf(BoxKind::Real, 0, 1);
    b.rval = v;
    return intern(std::move(b));
}

const Box* BoxContext::make_wire() {
    return intern(leaf(BoxKind::Wire, 1, 1));
}

const Box* BoxContext::make_cut() {
    return intern(leaf(BoxKind::Cut, 1, 0));
}

const Box* BoxContext::make_prim(ast::PrimOp op) {
    Box b = leaf(BoxKind::Prim, std::uint32_t(ast::prim_inputs(op)), 1);
    b.op = static_cast<std::uint8_t>(op);
    return intern(std::move(b));
}

const Box* BoxContext::make_ffun(const FFunSignature& sig) {
    Box b = leaf(BoxKind::FFun, std::uint32_t(sig.args.size()), 1);
    b.ffun = &sig;
    return intern(std::move(b));
}

const Box* BoxContext::make_fconst(ast::ValueType t, Symbol name, Symbol include) {
    Box b = leaf(BoxKind::FConst, 0, 1);
    b.op = static_cast<std::uint8_t>(t);
    b.label = name;
    b.text = include;
    return intern(std::move(b));
}

const Box* BoxContext::make_fvar(ast::ValueType t, Symbol name, Symbol include) {
    Box b = leaf(BoxKind::FVar, 0, 1);
    b.op = static_cast<std::uint8_t>(t);
    b.label = name;
    b.text = include;
    return intern(std::move(b));
}

const Box* BoxContext::make_binary(BoxKind k, const Box* x, const Box* y) {
    Box b;
    b.kind = k;
    const Box* kids[2] = {x, y};
    b.kids = {kids, 2};
    switch (k) {
    case BoxKind::Seq:
    case BoxKind::Split:
    case BoxKind::Merge:
        b.inputs = x->inputs;
        b.outputs = y->outputs;
        break;
    case BoxKind::Par:
        b.inputs = x->inputs + y->inputs;
        b.outputs = x->outputs + y->outputs;
        break;
    case BoxKind::Rec:
        b.inputs = x->inputs >= y->outputs ? x->inputs - y->outputs : 0;
        b.outputs = x->outputs;
        break;
    default:
        break;
    }
    return intern(std::move(b));
}

const Box* BoxContext::make_button(Symbol label) {
    Box b = leaf(BoxKind::Button, 0, 1);
    b.label = label;
    return intern(std::move(b));
}

const Box* BoxContext::make_checkbox(Symbol label) {
    Box b = leaf(BoxKind::Checkbox, 0, 1);
    b.label = label;
    return intern(std::move(b));
}

const Box* BoxContext::make_slider(BoxKind k, Symbol label, double init, double min, double max,
                                   double step) {
    Box b = leaf(k, 0, 1);
    b.label = label;
    const double n[4] = {init, min, max, step};
    b.nums = {n, 4};
    return intern(std::move(b));
}

const Box* BoxContext::make_bargraph(BoxKind k, Symbol label, double min, double max) {
    Box b = leaf(k, 1, 1);
    b.label = label;
    const double n[2] = {min, max};
    b.nums = {n, 2};
    return intern(std::move(b));
}

const Box* BoxContext::make_group(BoxKind k, Symbol label, const Box* body) {
    Box b = leaf(k, body->inputs, body->outputs);
    b.label = label;
    const Box* kids[1] = {body};
    b.kids = {kids, 1};
    return intern(std::move(b));
}

const Box* BoxContext::make_soundfile(Symbol label, std::int32_t channels) {
    Box b = leaf(BoxKind::Soundfile, 2, 2u + std::uint32_t(channels));
    b.label = label;
    b.ival = channels;
    return intern(std::move(b));
}

const Box* BoxContext::make_waveform(std::span<const Box* const> values) {
    Box b = leaf(BoxKind::Waveform, 0, 2);
    b.kids = values;
    return intern(std::move(b));
}

const Box* BoxContext::make_route(std::int32_t ins, std::int32_t outs,
                                  std::span<const double> pairs) {
    Box b = leaf(BoxKind::Route, std::uint32_t(ins), std::uint32_t(outs));
    b.ival = ins;
    b.rval = outs;
    b.nums = pairs;
    return intern(std::move(b));
}

const Box* BoxContext::make_slot(std::int32_t n) {
    Box b = leaf(BoxKind::Slot, 0, 1);
    b.ival = n;
    return intern(std::move(b));
}

const Box* BoxContext::make_symbolic(const Box* slot, const Box* body) {
    Box b = leaf(BoxKind::Symbolic, 1 + body->inputs, body->outputs);
    const Box* kids[2] = {slot, body};
    b.kids = {kids, 2};
    return intern(std::move(b));
}

void BoxContext::set_origin(const Box* b, diag::SourceRange r) {
    if (b != nullptr && b->id < origins_.size() && origins_[b->id].begin.file == 0) {
        origins_[b->id] = r;
    }
}

diag::SourceRange BoxContext::origin(const Box* b) const {
    return b != nullptr && b->id < origins_.size() ? origins_[b->id] : diag::SourceRange{};
}

} // namespace tutti::boxes
