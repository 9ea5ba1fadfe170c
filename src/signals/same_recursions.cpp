// SPDX-License-Identifier: MIT
#include "signals/same_recursions.h"

#include <unordered_set>
#include <utility>

#include "support/hash_cons.h"

namespace tutti::sig {

using hash_cons::bits;
using hash_cons::mix;

namespace {

bool names_a_group(const Signal* s) {
    return s->kind == SigKind::RecVar || s->kind == SigKind::RecGroup;
}

/// The fields of a node other than its children, group ids left out.
bool same_fields(const Signal* a, const Signal* b) {
    return a->kind == b->kind && a->op == b->op && (names_a_group(a) || a->ival == b->ival) &&
           bits(a->rval) == bits(b->rval) && a->label == b->label && a->text == b->text &&
           a->ffun == b->ffun && a->kids.size() == b->kids.size() &&
           hash_cons::same_bits(a->nums, b->nums);
}

} // namespace

std::size_t SameRecursions::shape(const Signal* root) {
    // post-order, without recursion (bodies can be deep)
    std::vector<std::pair<const Signal*, bool>> stack{{root, false}};
    while (!stack.empty()) {
        auto [s, kids_done] = stack.back();
        stack.pop_back();
        if (shapes_.count(s) != 0) {
            continue;
        }
        if (!kids_done) {
            stack.emplace_back(s, true);
            for (const Signal* k : s->kids) {
                if (shapes_.count(k) == 0) {
                    stack.emplace_back(k, false);
                }
            }
            continue;
        }
        std::size_t h = std::size_t(s->kind) * 131 + s->op;
        h = mix(h, names_a_group(s) ? 0 : std::size_t(std::uint32_t(s->ival)));
        h = mix(h, std::size_t(bits(s->rval)));
        h = mix(h, std::hash<const void*>()(s->label.key()));
        h = mix(h, std::hash<const void*>()(s->text.key()));
        h = mix(h, std::hash<const void*>()(s->ffun));
        for (const Signal* k : s->kids) {
            h = mix(h, shapes_.at(k));
        }
        for (double d : s->nums) {
            h = mix(h, std::size_t(bits(d)));
        }
        shapes_.emplace(s, h);
    }
    return shapes_.at(root);
}

bool SameRecursions::equal(const Signal* a, const Signal* b) const {
    std::unordered_map<std::int32_t, std::int32_t> to_b, to_a; // group ids, one to one
    std::unordered_set<std::uint64_t> done;
    std::vector<std::pair<const Signal*, const Signal*>> stack{{a, b}};
    while (!stack.empty()) {
        auto [x, y] = stack.back();
        stack.pop_back();
        if (x == y) {
            continue; // the same node: it names no group of the two (see below)
        }
        if (!done.insert(std::uint64_t(x->id) << 32 | y->id).second) {
            continue;
        }
        if (!same_fields(x, y)) {
            return false;
        }
        if (names_a_group(x)) {
            // a RecVar is met only below its own group, which is compared first
            auto [ix, fresh_x] = to_b.try_emplace(x->ival, y->ival);
            auto [iy, fresh_y] = to_a.try_emplace(y->ival, x->ival);
            if (ix->second != y->ival || iy->second != x->ival) {
                return false;
            }
            if (x->kind == SigKind::RecVar && (fresh_x || fresh_y)) {
                return false; // a group from outside the two, named differently
            }
        }
        for (std::size_t i = 0; i < x->kids.size(); ++i) {
            stack.emplace_back(x->kid(i), y->kid(i));
        }
    }
    return true;
}

const Signal* SameRecursions::canonical(const Signal* group) {
    std::vector<const Signal*>& same_shape = groups_[shape(group)];
    for (const Signal* g : same_shape) {
        if (g == group || equal(g, group)) {
            return g;
        }
    }
    same_shape.push_back(group);
    return group;
}

} // namespace tutti::sig
