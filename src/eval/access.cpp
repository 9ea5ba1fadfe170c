// SPDX-License-Identifier: MIT
// Environments as values: `E.name` looks `name` up in the environment E denotes
// (an environment{}, a library, a component, or the definition environment of a
// function, as in Faust); `E[defs]` re-closes E over a copy of its innermost
// layer where `defs` (evaluated in the current environment) replace or extend
// the definitions.
#include <algorithm>

#include "eval/evaluator.h"

namespace tutti::eval {

using ast::Node;

namespace {
/// The definitions a value gives access to (`v.name`, `v[defs]`), or null.
const Env* environment_of(const Value& v) {
    switch (v.kind()) {
    case ValueKind::Environment:
    case ValueKind::Component:
        return v.env();
    case ValueKind::Closure:
        return v.closure()->env;
    default:
        return nullptr;
    }
}
} // namespace

Value Evaluator::eval_access(const Node* n, const Env* env) {
    const Env* target = environment_of(eval(n->kids[0], env));
    if (target == nullptr) {
        fail(diag::diags::no_environment(n->range, n->name));
    }
    Entry* e = target != nullptr ? target->lookup(n->name) : nullptr;
    if (e == nullptr) {
        fail(diag::diags::undefined_symbol(n->range, n->name));
    }
    return force(e, n);
}

Value Evaluator::eval_modify(const Node* n, const Env* env) {
    Value v = eval(n->kids[0], env);
    const Env* target = environment_of(v);
    if (target == nullptr) {
        fail(diag::diags::not_a_closure(n->range));
    }
    // The new definitions, closed in the current environment.
    auto it = node_groups_.find(n);
    if (it == node_groups_.end()) {
        std::vector<DefGroup> groups;
        group_statements(n->children().subspan(1), nullptr, groups, nullptr);
        it = node_groups_.emplace(n, std::move(groups)).first;
    }
    // Copy the innermost layer: its definitions now see the copy.
    std::vector<Entry*> entries;
    std::unordered_map<const Entry*, Entry*> copies;
    Env* copy = make_env(target->parent, {});
    for (Entry* old : target->entries) {
        Entry* e = arena_.make<Entry>(*old);
        if (e->scope == target) {
            e->scope = copy;
        }
        if (e->kind != EntryKind::Bound) {
            e->state = EntryState::Pending;
            e->value = Value();
        }
        copies.emplace(old, e);
        entries.push_back(e);
    }
    for (Entry* e : entries) {
        if (e->body != nullptr) {
            auto c = copies.find(e->body);
            if (c != copies.end()) {
                e->body = c->second;
            }
        }
    }
    for (const DefGroup& g : it->second) {
        Entry* e = arena_.make<Entry>();
        e->name = g.name;
        e->kind = EntryKind::Definitions;
        e->defs = g.defs;
        e->scope = env;
        auto same = std::find_if(entries.begin(), entries.end(),
                                 [&](const Entry* x) { return x->name == g.name; });
        if (same != entries.end()) {
            *same = e;
        } else {
            entries.push_back(e);
        }
    }
    Env* layer = make_env(target->parent, std::move(entries));
    // Re-point the copied entries at the final layer.
    for (Entry* e : layer->entries) {
        if (e->scope == copy) {
            e->scope = layer;
        }
    }
    switch (v.kind()) {
    case ValueKind::Environment:
        return Value::environment(layer);
    case ValueKind::Component: {
        Entry* p = layer->lookup(session_.interner().intern("process"));
        if (p == nullptr) {
            fail(diag::diags::undefined_symbol(n->range, "process"));
        }
        return force(p, n);
    }
    default: {
        const Closure* c = v.closure();
        return Value::of(make_closure(c->node, c->index, layer));
    }
    }
}

} // namespace tutti::eval
