// SPDX-License-Identifier: MIT
#include "passes/infer_types.h"

#include <algorithm>
#include <map>
#include <vector>

#include "signals/post_order.h"

namespace tutti::passes {

using ast::PrimOp;
using sig::SigKind;
using sig::Signal;

namespace {

Variability max_var(std::span<const Signal* const> kids, const TypeTable& t, Variability floor) {
    Variability v = floor;
    for (const Signal* k : kids) {
        v = std::max(v, t.of(k).var);
    }
    return v;
}

bool all_int(std::span<const Signal* const> kids, const TypeTable& t) {
    for (const Signal* k : kids) {
        if (t.of(k).nature != Nature::Int) {
            return false;
        }
    }
    return true;
}

SigType rule(const Signal* s, const TypeTable& t,
             const std::map<std::pair<int, int>, Nature>& rec_natures) {
    auto nat = [](bool is_int) { return is_int ? Nature::Int : Nature::Real; };
    Variability kids_var = max_var(s->kids, t, Variability::Konst);
    switch (s->kind) {
    case SigKind::Int:
        return {Nature::Int, Variability::Konst};
    case SigKind::Real:
        return {Nature::Real, Variability::Konst};
    case SigKind::Input:
        return {Nature::Real, Variability::Sample};
    case SigKind::Delay:
        return {t.of(s->kid(0)).nature, Variability::Sample};
    case SigKind::Prefix:
        return {nat(all_int(s->kids, t)), Variability::Sample};
    case SigKind::Bin:
        switch (s->prim()) {
        case PrimOp::Div:
            return {Nature::Real, kids_var};
        case PrimOp::And:
        case PrimOp::Or:
        case PrimOp::Xor:
        case PrimOp::Lsh:
        case PrimOp::Rsh:
        case PrimOp::Lt:
        case PrimOp::Le:
        case PrimOp::Gt:
        case PrimOp::Ge:
        case PrimOp::Eq:
        case PrimOp::Ne:
            return {Nature::Int, kids_var};
        default:
            return {nat(all_int(s->kids, t)), kids_var};
        }
    case SigKind::Math:
        switch (s->prim()) {
        case PrimOp::Min:
        case PrimOp::Max:
        case PrimOp::Abs:
            return {nat(all_int(s->kids, t)), kids_var};
        case PrimOp::Pow: {
            const Signal* e = s->kid(1);
            bool int_pow = all_int(s->kids, t) && e->kind == SigKind::Int && e->ival > 0;
            return {nat(int_pow), kids_var};
        }
        default:
            return {Nature::Real, kids_var};
        }
    case SigKind::IntCast:
        return {Nature::Int, kids_var};
    case SigKind::FloatCast:
        return {Nature::Real, kids_var};
    case SigKind::Select2: {
        const Signal* ab[2] = {s->kid(1), s->kid(2)};
        return {nat(all_int(ab, t)), kids_var};
    }
    case SigKind::Rdtable:
        return {t.of(s->kid(1)).nature, std::max(Variability::Init, t.of(s->kid(2)).var)};
    case SigKind::Rwtable: {
        const Signal* ix[2] = {s->kid(1), s->kid(3)};
        return {nat(all_int(ix, t)), Variability::Sample};
    }
    case SigKind::Waveform:
        return {nat(all_int(s->kids, t)), Variability::Sample};
    case SigKind::FFun:
        return {s->ffun->result == ast::ValueType::Int ? Nature::Int : Nature::Real,
                Variability::Sample};
    case SigKind::FConst:
        return {static_cast<ast::ValueType>(s->op) == ast::ValueType::Int ? Nature::Int
                                                                          : Nature::Real,
                Variability::Init};
    case SigKind::FVar:
        return {static_cast<ast::ValueType>(s->op) == ast::ValueType::Int ? Nature::Int
                                                                          : Nature::Real,
                Variability::Block};
    case SigKind::Button:
    case SigKind::Checkbox:
    case SigKind::VSlider:
    case SigKind::HSlider:
    case SigKind::NEntry:
        return {Nature::Real, Variability::Block};
    case SigKind::VBargraph:
    case SigKind::HBargraph:
        return {t.of(s->kid(0)).nature, Variability::Sample};
    case SigKind::Soundfile:
        return {Nature::Int, Variability::Block};
    case SigKind::SoundLength:
    case SigKind::SoundRate:
        return {Nature::Int, std::max(Variability::Block, t.of(s->kid(1)).var)};
    case SigKind::SoundBuffer:
        return {Nature::Real, Variability::Sample};
    case SigKind::Attach:
        return {t.of(s->kid(0)).nature, std::max(t.of(s->kid(0)).var, t.of(s->kid(1)).var)};
    case SigKind::Enable:
    case SigKind::Control:
        return {t.of(s->kid(0)).nature, Variability::Sample};
    case SigKind::AssertBounds:
        return t.of(s->kid(2));
    case SigKind::Lowest:
    case SigKind::Highest:
        return {t.of(s->kid(0)).nature, Variability::Konst};
    case SigKind::RecVar:
    case SigKind::RecGroup:
        return {Nature::Int, Variability::Sample};
    case SigKind::Proj: {
        const Signal* g = s->kid(0);
        auto it = rec_natures.find({g->ival, s->ival});
        return {it == rec_natures.end() ? Nature::Int : it->second, Variability::Sample};
    }
    case SigKind::Count:
        break;
    }
    return {Nature::Real, Variability::Sample};
}

} // namespace

TypeTable infer_types(std::span<const Signal* const> roots) {
    std::vector<const Signal*> order = sig::post_order(roots);
    std::vector<const Signal*> groups;
    for (const Signal* s : order) {
        if (s->kind == SigKind::RecGroup) {
            groups.push_back(s);
        }
    }
    std::map<std::pair<int, int>, Nature> rec_natures; // (group, index) -> nature
    TypeTable t;
    for (int iteration = 0; iteration < 64; ++iteration) {
        for (const Signal* s : order) {
            t.set(s, rule(s, t, rec_natures));
        }
        bool changed = false;
        for (const Signal* g : groups) {
            for (std::size_t i = 0; i < g->kids.size(); ++i) {
                Nature n = t.of(g->kid(i)).nature;
                auto key = std::make_pair(g->ival, int(i));
                auto it = rec_natures.find(key);
                Nature old = it == rec_natures.end() ? Nature::Int : it->second;
                if (n == Nature::Real && old == Nature::Int) {
                    rec_natures[key] = Nature::Real;
                    changed = true;
                }
            }
        }
        if (!changed) {
            break;
        }
    }
    return t;
}

} // namespace tutti::passes
