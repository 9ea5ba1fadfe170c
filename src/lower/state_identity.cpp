// SPDX-License-Identifier: MIT
#include "lower/state_identity.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "support/content_hash.h"

namespace tutti::lower {

using sig::SigKind;
using sig::Signal;

namespace {

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
    // FNV-1a style over 64-bit words, then a final avalanche
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= support::fnv_prime;
    return h;
}

using support::hex64;

/// Recursion projections by (group, index), whichever form refers to them.
const Signal* canonical(sig::SignalContext& sc, const Signal* s) {
    if (s->kind == SigKind::Proj && s->kid(0)->kind == SigKind::RecGroup) {
        return sc.make_proj(s->ival, sc.make_recvar(s->kid(0)->ival));
    }
    return s;
}

/// + and *: their operands' order is the normal form's (when the reference made
/// their trees), which an edit elsewhere can change; identities do not see it.
bool commutative(const Signal* s) {
    return s->kind == SigKind::Bin &&
           (s->prim() == ast::PrimOp::Add || s->prim() == ast::PrimOp::Mul);
}

/// Combines the hashes of a node's operands: in order, or as a multiset for
/// a commutative operator.
std::uint64_t combine(std::uint64_t h, std::vector<std::uint64_t> kids, bool unordered) {
    if (unordered) {
        std::sort(kids.begin(), kids.end());
    }
    for (std::uint64_t k : kids) {
        h = mix(h, k);
    }
    return h;
}

} // namespace

StateIdentities::StateIdentities(std::span<const Signal* const> outputs, sig::SignalContext& sc)
    : sc_(sc) {
    // Depth-first from each output; the first path that reaches a signal is its position.
    struct Item {
        const Signal* s;
        std::uint64_t pos;
        double scale;
    };
    std::vector<Item> stack;
    for (std::size_t o = outputs.size(); o-- > 0;) {
        stack.push_back({outputs[o], mix(support::fnv_offset, 1000 + o), 1.0});
    }
    auto number = [](const Signal* x) {
        return x->kind == SigKind::Int ? double(x->ival) : x->kind == SigKind::Real ? x->rval : 0.0;
    };
    while (!stack.empty()) {
        Item it = stack.back();
        stack.pop_back();
        const Signal* s = canonical(sc_, it.s);
        if (position_.count(s)) {
            continue;
        }
        position_[s] = it.pos;
        scale_[s] = it.scale;
        if (s->kind == SigKind::Bin && s->prim() == ast::PrimOp::Mul) {
            // k * x: x is read here, k times (a factor moved across a delay by the
            // normal form); the number itself gets a position of its own
            bool passed = false;
            for (std::size_t c = 0; c < 2 && !passed; ++c) {
                const Signal* k = s->kid(c);
                const Signal* x = s->kid(1 - c);
                bool is_number = k->kind == SigKind::Int || k->kind == SigKind::Real;
                bool x_number = x->kind == SigKind::Int || x->kind == SigKind::Real;
                if (is_number && !x_number && number(k) != 0 && std::isfinite(number(k))) {
                    stack.push_back({k, mix(mix(it.pos, 0x6b), c), 1.0});
                    stack.push_back({x, it.pos, it.scale * number(k)});
                    passed = true;
                }
            }
            if (passed) {
                continue;
            }
        }
        if (it.s->kind == SigKind::Proj && it.s->kid(0)->kind == SigKind::RecGroup) {
            groups_[it.s->kid(0)->ival] = it.s->kid(0);
        }
        std::vector<Item> kids;
        if (s->kind == SigKind::Proj) {
            // a recursion continues into its own body
            auto g = groups_.find(s->kid(0)->ival);
            if (g != groups_.end() && std::size_t(s->ival) < g->second->kids.size()) {
                kids.push_back(
                    {g->second->kid(std::size_t(s->ival)), mix(it.pos, 0x7265630000ull), 1.0});
            }
        } else {
            // the operands of + and * are numbered by their shapes (in the
            // order of the program when two have the same shape)
            std::vector<std::size_t> slot(s->kids.size());
            for (std::size_t i = 0; i < slot.size(); ++i) {
                slot[i] = i;
            }
            if (commutative(s) && s->kids.size() == 2) {
                std::uint64_t h0 = shape(canonical(sc_, s->kid(0)));
                std::uint64_t h1 = shape(canonical(sc_, s->kid(1)));
                if (h1 < h0) {
                    slot = {1, 0};
                }
            }
            for (std::size_t i = 0; i < s->kids.size(); ++i) {
                std::uint64_t p = mix(mix(it.pos, std::uint64_t(s->kind) << 8 | s->op), slot[i]);
                // a delay reads its signal at the scale it is read at itself
                kids.push_back(
                    {s->kid(i), p, s->kind == SigKind::Delay && i == 0 ? it.scale : 1.0});
            }
        }
        for (std::size_t i = kids.size(); i-- > 0;) {
            stack.push_back(kids[i]);
        }
    }
}

double StateIdentities::scale(const Signal* x) const {
    auto it = scale_.find(canonical(sc_, x));
    return it == scale_.end() ? 1.0 : it->second;
}

std::uint64_t StateIdentities::position(const Signal* s) const {
    auto it = position_.find(canonical(sc_, s));
    return it == position_.end() ? 0 : it->second;
}

namespace {
/// Does s use the feedback of recursion group `group` (through any path)?
bool uses_group(const Signal* s, int group, std::unordered_map<const Signal*, bool>& memo,
                int depth = 0) {
    if (auto it = memo.find(s); it != memo.end()) {
        return it->second;
    }
    bool r = false;
    if (s->kind == SigKind::RecVar) {
        r = s->ival == group;
    } else if (depth < 2000 && s->kind != SigKind::RecGroup) {
        for (const Signal* k : s->kids) {
            if (uses_group(k, group, memo, depth + 1)) {
                r = true;
                break;
            }
        }
    }
    memo[s] = r;
    return r;
}
} // namespace

std::uint64_t StateIdentities::shape(const Signal* s) const {
    // The structure of what the state holds, a few levels deep: node kinds and
    // operators; constants abstracted, recursions cut at their projection, the
    // operands of + and * unordered. Lets the engine recognise a line that
    // moved (a stage inserted downstream of it), when the shape is unambiguous.
    if (auto it = shape_.find(s); it != shape_.end()) {
        return it->second;
    }
    std::size_t budget = 256;
    auto walk = [&](auto& self, const Signal* x, int depth) -> std::uint64_t {
        if (x->kind == SigKind::Int || x->kind == SigKind::Real) {
            return mix(0x636f6e7374ull, std::uint64_t(depth)); // "const"
        }
        std::uint64_t h =
            mix(mix(0x6c696e65ull, std::uint64_t(x->kind) << 8 | x->op), std::uint64_t(depth));
        if (x->kind == SigKind::Proj || x->kind == SigKind::Input) {
            return mix(h, std::uint64_t(x->ival));
        }
        if (depth >= 6 || budget == 0) {
            return h;
        }
        std::vector<std::uint64_t> kids;
        for (const Signal* k : x->kids) {
            if (budget > 0) {
                --budget;
                kids.push_back(self(self, k, depth + 1));
            }
        }
        return combine(h, std::move(kids), commutative(x));
    };
    std::uint64_t h = walk(walk, s, 0);
    shape_[s] = h;
    return h;
}

std::uint64_t StateIdentities::body_shape(const Signal* body, int group) const {
    std::unordered_map<const Signal*, bool> memo;
    std::size_t budget = 4096;
    constexpr int max_depth = 256; // deeper structure is hashed as one node
    auto walk = [&](auto& self, const Signal* s, int depth) -> std::uint64_t {
        if (!uses_group(s, group, memo)) {
            return mix(0x657874ull, std::uint64_t(depth)); // "ext": from outside, or a constant
        }
        std::uint64_t h = mix(mix(0x84222325cbf29ce4ull, std::uint64_t(s->kind) << 8 | s->op),
                              std::uint64_t(depth));
        if (s->kind == SigKind::Proj) {
            return mix(h, std::uint64_t(s->ival));
        }
        if (depth >= max_depth || budget == 0) {
            return h;
        }
        std::vector<std::uint64_t> kids;
        for (const Signal* k : s->kids) {
            if (budget > 0) {
                --budget;
                kids.push_back(self(self, k, depth + 1));
            }
        }
        return combine(h, std::move(kids), commutative(s));
    };
    return walk(walk, body, 0);
}

std::string StateIdentities::line(const Signal* x) const {
    const Signal* c = canonical(sc_, x);
    if (c->kind == SigKind::Proj) {
        auto g = groups_.find(c->kid(0)->ival);
        std::uint64_t sh = 0;
        if (g != groups_.end() && std::size_t(c->ival) < g->second->kids.size()) {
            sh = mix(body_shape(g->second->kid(std::size_t(c->ival)), c->kid(0)->ival),
                     std::uint64_t(c->ival));
        }
        return "rec:" + hex64(position(c)) + ":" + hex64(sh);
    }
    return "delay:" + hex64(position(c)) + ":" + hex64(shape(c));
}

std::string StateIdentities::table(const Signal* s) const {
    return "table:" + hex64(position(s)) + ":" + hex64(shape(s));
}

std::string StateIdentities::other(const char* kind, const Signal* s) const {
    return std::string(kind) + ":" + hex64(position(s)) + ":" + hex64(shape(s));
}

} // namespace tutti::lower
