// SPDX-License-Identifier: MIT
#include "lower/conditions.h"

#include <algorithm>

namespace tutti::lower {

using sig::SigKind;
using sig::Signal;

namespace {
/// More alternatives than this, and the signal is computed always (a guard that
/// large is not written by people; computing more often is the safe side).
constexpr std::size_t max_alternatives = 16;

bool by_id(const Signal* a, const Signal* b) {
    return a->id < b->id;
}
} // namespace

const Guard* Conditions::intern(Guard g) {
    // absorption: a conjunction that contains another one is implied by it
    for (auto& c : g) {
        std::sort(c.begin(), c.end(), by_id);
        c.erase(std::unique(c.begin(), c.end()), c.end());
    }
    std::sort(g.begin(), g.end(), [](const auto& a, const auto& b) {
        if (a.size() != b.size()) {
            return a.size() < b.size();
        }
        return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), by_id);
    });
    Guard kept;
    for (const auto& c : g) {
        bool implied = false;
        for (const auto& k : kept) {
            if (std::includes(c.begin(), c.end(), k.begin(), k.end(), by_id)) {
                implied = true;
                break;
            }
        }
        if (!implied) {
            kept.push_back(c);
        }
    }
    if (kept.size() > max_alternatives) {
        kept = Guard{{}};
    }
    return &*guards_.insert(std::move(kept)).first;
}

const Guard* Conditions::join(const Guard* a, const Guard* b) {
    if (a == nullptr) {
        return b;
    }
    if (b == nullptr || a == b) {
        return a;
    }
    Guard g = *a;
    g.insert(g.end(), b->begin(), b->end());
    return intern(std::move(g));
}

const Guard* Conditions::with(const Guard* a, const Signal* c) {
    Guard g = *a;
    for (auto& conj : g) {
        conj.push_back(c);
    }
    return intern(std::move(g));
}

Conditions::Conditions(std::span<const Signal* const> outputs, sig::SignalContext& sc) {
    // a quick look first: without enable or control there is nothing to do
    std::unordered_map<int, const Signal*> groups;
    {
        std::vector<const Signal*> stack(outputs.begin(), outputs.end());
        std::unordered_map<const Signal*, bool> seen;
        while (!stack.empty()) {
            const Signal* s = stack.back();
            stack.pop_back();
            if (!seen.emplace(s, true).second) {
                continue;
            }
            any_ = any_ || s->kind == SigKind::Enable || s->kind == SigKind::Control;
            if (s->kind == SigKind::RecGroup) {
                groups[s->ival] = s;
            }
            for (const Signal* k : s->kids) {
                stack.push_back(k);
            }
        }
    }
    if (!any_) {
        return;
    }
    always_ = intern(Guard{{}});
    // demands flow down from the outputs until nothing changes (they only grow)
    std::vector<const Signal*> work;
    auto demand = [&](const Signal* s, const Guard* g) {
        const Guard*& d = demand_[s];
        const Guard* n = join(d, g);
        if (n != d) {
            d = n;
            work.push_back(s);
        }
    };
    for (const Signal* o : outputs) {
        demand(o, always_);
    }
    auto group_of = [&](const Signal* proj) -> const Signal* {
        const Signal* g = proj->kid(0);
        if (g->kind == SigKind::RecGroup) {
            return g;
        }
        auto it = groups.find(g->ival);
        return it == groups.end() ? nullptr : it->second;
    };
    while (!work.empty()) {
        const Signal* s = work.back();
        work.pop_back();
        const Guard* d = demand_[s];
        const Guard* g = d;
        if (s->kind == SigKind::Enable || s->kind == SigKind::Control) {
            // x only while c != 0; enable's product too, control is x itself
            const Guard* x = with(d, s->kid(1));
            g = s->kind == SigKind::Enable ? x : d;
            demand(s->kid(0), x);
            demand(s->kid(1), d);
        } else if (s->kind == SigKind::Proj) {
            if (const Signal* group = group_of(s)) {
                const Guard*& gg = groups_[group->ival];
                gg = join(gg, d);
                for (const Signal* body : group->kids) {
                    demand(body, gg);
                }
            }
        } else if (s->kind == SigKind::RecGroup || s->kind == SigKind::RecVar) {
            // reached through projections only
        } else {
            for (std::size_t i = 0; i < s->kids.size(); ++i) {
                bool table_init =
                    (s->kind == SigKind::Rdtable || s->kind == SigKind::Rwtable) && i == 1;
                if (!table_init) {
                    demand(s->kid(i), g);
                }
            }
        }
        guard_[s] = g;
    }
    (void)sc;
}

namespace {
/// The guard a table holds for `key`, nullptr when it is computed always (or unknown).
template <class Map, class Key>
const Guard* guard_in(const Map& table, const Key& key, const Guard* always) {
    auto it = table.find(key);
    return it == table.end() || it->second == always ? nullptr : it->second;
}
} // namespace

const Guard* Conditions::guard(const Signal* s) const {
    return any_ ? guard_in(guard_, s, always_) : nullptr;
}

const Guard* Conditions::group_guard(int group) const {
    return any_ ? guard_in(groups_, group, always_) : nullptr;
}

} // namespace tutti::lower
