// SPDX-License-Identifier: MIT
#include <cstring>
#include <functional>

#include "signals/signal.h"
#include "support/hash_cons.h"

namespace tutti::sig {

using hash_cons::bits;
using hash_cons::mix;

namespace {
constexpr std::string_view kind_names[] = {
#define SIG(kind, name, layout) name,
#include "signals/signal_kinds.def"
#undef SIG
};
static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == std::size_t(SigKind::Count));

} // namespace

std::string_view kind_name(SigKind k) {
    return kind_names[std::size_t(k)];
}

std::size_t SignalContext::Hash::operator()(const Signal* s) const {
    std::size_t h = std::size_t(s->kind) * 131 + s->op;
    h = mix(h, std::size_t(std::uint32_t(s->ival)));
    h = mix(h, std::size_t(bits(s->rval)));
    h = mix(h, std::hash<const void*>()(s->label.key()));
    h = mix(h, std::hash<const void*>()(s->text.key()));
    h = mix(h, std::hash<const void*>()(s->ffun));
    for (const Signal* k : s->kids) {
        h = mix(h, k->id);
    }
    for (double d : s->nums) {
        h = mix(h, std::size_t(bits(d)));
    }
    return h;
}

bool SignalContext::Eq::operator()(const Signal* a, const Signal* b) const {
    if (a->kind != b->kind || a->op != b->op || a->ival != b->ival ||
        bits(a->rval) != bits(b->rval) || a->label != b->label || a->text != b->text ||
        a->ffun != b->ffun) {
        return false;
    }
    return hash_cons::same(a->kids, b->kids) && hash_cons::same_bits(a->nums, b->nums);
}

const Signal* SignalContext::intern(Signal&& proto) {
    auto it = table_.find(&proto);
    if (it != table_.end()) {
        return *it;
    }
    Signal* s = arena_.make<Signal>(proto);
    s->kids = hash_cons::copy(arena_, proto.kids);
    s->nums = hash_cons::copy(arena_, proto.nums);
    s->id = static_cast<std::uint32_t>(all_.size());
    all_.push_back(s);
    table_.insert(s);
    return s;
}

namespace {
Signal proto(SigKind k) {
    Signal s;
    s.kind = k;
    return s;
}
} // namespace

const Signal* SignalContext::make_int(std::int32_t v) {
    Signal s = proto(SigKind::Int);
    s.ival = v;
    return intern(std::move(s));
}

const Signal* SignalContext::make_real(double v) {
    Signal s = proto(SigKind::Real);
    s.rval = v;
    return intern(std::move(s));
}

const Signal* SignalContext::make_input(std::int32_t channel) {
    Signal s = proto(SigKind::Input);
    s.ival = channel;
    return intern(std::move(s));
}

const Signal* SignalContext::make_delay(const Signal* x, const Signal* d) {
    Signal s = proto(SigKind::Delay);
    const Signal* k[2] = {x, d};
    s.kids = {k, 2};
    return intern(std::move(s));
}

const Signal* SignalContext::make_bin(ast::PrimOp op, const Signal* a, const Signal* b) {
    Signal s = proto(SigKind::Bin);
    s.op = static_cast<std::uint8_t>(op);
    const Signal* k[2] = {a, b};
    s.kids = {k, 2};
    return intern(std::move(s));
}

const Signal* SignalContext::make_math(ast::PrimOp op, std::span<const Signal* const> args) {
    Signal s = proto(SigKind::Math);
    s.op = static_cast<std::uint8_t>(op);
    s.kids = args;
    return intern(std::move(s));
}

const Signal* SignalContext::make(SigKind k, std::span<const Signal* const> kids) {
    Signal s = proto(k);
    s.kids = kids;
    return intern(std::move(s));
}

const Signal* SignalContext::make_ffun(const boxes::FFunSignature* sig,
                                       std::span<const Signal* const> args) {
    Signal s = proto(SigKind::FFun);
    s.ffun = sig;
    s.kids = args;
    return intern(std::move(s));
}

const Signal* SignalContext::make_fconst(SigKind k, ast::ValueType t, Symbol name, Symbol include) {
    Signal s = proto(k);
    s.op = static_cast<std::uint8_t>(t);
    s.label = name;
    s.text = include;
    return intern(std::move(s));
}

const Signal* SignalContext::make_widget(SigKind k, Symbol path, std::span<const double> nums,
                                         const Signal* input) {
    Signal s = proto(k);
    s.label = path;
    s.nums = nums;
    const Signal* kid[1] = {input};
    if (input != nullptr) {
        s.kids = {kid, 1};
    }
    return intern(std::move(s));
}

const Signal* SignalContext::make_soundfile(Symbol path, std::int32_t channels) {
    Signal s = proto(SigKind::Soundfile);
    s.label = path;
    s.ival = channels;
    return intern(std::move(s));
}

const Signal* SignalContext::make_recvar(std::int32_t group) {
    Signal s = proto(SigKind::RecVar);
    s.ival = group;
    return intern(std::move(s));
}

const Signal* SignalContext::make_recgroup(std::int32_t group,
                                           std::span<const Signal* const> bodies) {
    Signal s = proto(SigKind::RecGroup);
    s.ival = group;
    s.kids = bodies;
    return intern(std::move(s));
}

const Signal* SignalContext::make_proj(std::int32_t index, const Signal* group_or_var) {
    Signal s = proto(SigKind::Proj);
    s.ival = index;
    const Signal* k[1] = {group_or_var};
    s.kids = {k, 1};
    return intern(std::move(s));
}

const Signal* SignalContext::make_like(const Signal* s, std::span<const Signal* const> kids) {
    Signal copy = *s;
    copy.kids = kids;
    copy.id = 0;
    const Signal* r = intern(std::move(copy));
    if (r != s) {
        set_origin(r, origin(s));
        set_origin(r, program_origin(s));
    }
    return r;
}

void SignalContext::inherit_program_origins(std::span<const Signal* const> roots) {
    std::vector<std::uint8_t> seen(all_.size(), 0);
    std::vector<std::pair<const Signal*, diag::SourceRange>> stack;
    for (std::size_t i = roots.size(); i-- > 0;) {
        stack.emplace_back(roots[i], diag::SourceRange{});
    }
    while (!stack.empty()) {
        auto [s, above] = stack.back();
        stack.pop_back();
        if (s->id < seen.size() && seen[s->id] != 0) {
            continue;
        }
        if (s->id < seen.size()) {
            seen[s->id] = 1;
        }
        diag::SourceRange own = program_origin(s);
        if (own.begin.file == 0 && above.begin.file != 0) {
            set_first(program_origins_, s, above);
            own = above;
        }
        for (std::size_t i = s->kids.size(); i-- > 0;) {
            stack.emplace_back(s->kid(i), own);
        }
    }
}

} // namespace tutti::sig
