// SPDX-License-Identifier: MIT
// Definition lists -> environment layers: grouping the rules of each name,
// precision variants, `import` expansion (each file once per expansion, a name
// defined twice differently is an error), `with`, `letrec`, parameter bindings.
#include <algorithm>

#include "eval/ast_equal.h"
#include "eval/closure_params.h"
#include "eval/evaluator.h"

namespace tutti::eval {

using ast::Node;
using ast::NodeKind;

const frontend::ParsedFile* Evaluator::resolve(const Node* reference) {
    const std::size_t known = session_.files().size();
    const frontend::ParsedFile* f = session_.resolved(reference); // may parse it now
    if (session_.files().size() > known) {
        // a library read at its first use (FrontendOptions::lazy_libraries)
        for (std::size_t i = known; i < session_.files().size(); ++i) {
            files_by_id_[session_.files()[i]->id] = session_.files()[i].get();
        }
        if (session_.diagnostics().has_errors()) {
            throw EvalError{}; // it does not parse: its diagnostics are the session's
        }
    }
    if (f == nullptr) {
        std::string searched = session_.not_found_in(reference);
        if (!searched.empty() && !is_library_file(reference->range.begin.file)) {
            EvalError err;
            err.diags.push_back(diag::diags::missing_file(reference->range, reference->name));
            err.diags.push_back(diag::diags::searched_in(reference->range, searched));
            throw err;
        }
        fail(diag::diags::missing_file(reference->range, reference->name));
    }
    return f;
}

void Evaluator::group_statements(std::span<Node* const> statements,
                                 const frontend::ParsedFile* file, std::vector<DefGroup>& out,
                                 std::vector<const frontend::ParsedFile*>* imports) {
    std::unordered_map<Symbol, std::size_t> position;
    std::vector<std::vector<const Node*>> lists;
    std::vector<Symbol> names;
    for (const Node* st : statements) {
        if (st->kind == NodeKind::Definition) {
            if (st->op != 0 && (st->op & precision_bit_) == 0) {
                continue; // a precision variant for another precision
            }
            auto [it, fresh] = position.try_emplace(st->name, lists.size());
            if (fresh) {
                lists.emplace_back();
                names.push_back(st->name);
            }
            lists[it->second].push_back(st);
        } else if (st->kind == NodeKind::Import && imports != nullptr) {
            imports->push_back(resolve(st));
        }
    }
    for (std::size_t i = 0; i < lists.size(); ++i) {
        auto* defs = arena_.make_array<const Node*>(lists[i].size());
        std::copy(lists[i].begin(), lists[i].end(), defs);
        out.push_back({names[i], {defs, lists[i].size()}, file});
    }
}

namespace {
bool same_group(const DefGroup& a, const DefGroup& b) {
    if (a.defs.size() != b.defs.size()) {
        return false;
    }
    for (std::size_t k = 0; k < a.defs.size(); ++k) {
        if (!ast_equal(a.defs[k], b.defs[k])) {
            return false;
        }
    }
    return true;
}
} // namespace

void Evaluator::add_group(const DefGroup& g, std::vector<DefGroup>& out,
                          std::unordered_map<Symbol, std::size_t>& seen) {
    auto [it, fresh] = seen.try_emplace(g.name, out.size());
    if (fresh) {
        out.push_back(g);
        return;
    }
    const DefGroup& existing = out[it->second];
    if (same_group(existing, g)) {
        return;
    }
    EvalError err;
    err.diags.push_back(diag::diags::redefinition(existing.defs[0]->range, g.name));
    err.diags.push_back(diag::diags::other_definition(g.defs[0]->range, g.name));
    throw err;
}

void Evaluator::expand_imports(const frontend::ParsedFile* file, std::vector<DefGroup>& out,
                               std::unordered_map<Symbol, std::size_t>& seen,
                               std::unordered_set<const frontend::ParsedFile*>& visited) {
    if (file_groups_.find(file) == file_groups_.end()) {
        std::vector<DefGroup> groups;
        std::vector<const frontend::ParsedFile*> imports;
        group_statements(file->root->children(), file, groups, &imports);
        file_groups_.emplace(file, std::move(groups));
        file_imports_.emplace(file, std::move(imports));
    }
    for (const DefGroup& g : file_groups_[file]) {
        add_group(g, out, seen);
    }
    // Copy: the recursion may add entries to the maps.
    std::vector<const frontend::ParsedFile*> imports = file_imports_[file];
    for (const frontend::ParsedFile* imp : imports) {
        if (visited.insert(imp).second) {
            record_metadata(imp, {});
            expand_imports(imp, out, seen, visited);
        }
    }
}

Env* Evaluator::make_env(const Env* parent, std::vector<Entry*> entries) {
    Env* env = arena_.make<Env>();
    env->parent = parent;
    auto* arr = arena_.make_array<Entry*>(entries.size());
    std::copy(entries.begin(), entries.end(), arr);
    env->entries = {arr, entries.size()};
    if (entries.size() > 8) {
        auto index = std::make_unique<EntryIndex>();
        index->reserve(entries.size());
        for (Entry* e : entries) {
            index->emplace(e->name, e);
        }
        env->index = index.get();
        indexes_.push_back(std::move(index));
    }
    return env;
}

namespace {
/// One pending entry per group; the caller makes the layer and closes the
/// definitions in it (they see each other).
std::vector<Entry*> entries_of(Arena& arena, const std::vector<DefGroup>& groups) {
    std::vector<Entry*> entries;
    entries.reserve(groups.size());
    for (const DefGroup& g : groups) {
        Entry* e = arena.make<Entry>();
        e->name = g.name;
        e->kind = EntryKind::Definitions;
        e->defs = g.defs;
        e->file = g.file;
        entries.push_back(e);
    }
    return entries;
}
} // namespace

const Env* Evaluator::file_env(const frontend::ParsedFile* file) {
    auto it = file_envs_.find(file);
    if (it != file_envs_.end()) {
        return it->second;
    }
    std::vector<DefGroup> groups;
    std::unordered_map<Symbol, std::size_t> seen;
    std::unordered_set<const frontend::ParsedFile*> visited{file};
    if (file != &main_) {
        record_metadata(file, {});
    }
    expand_imports(file, groups, seen, visited);
    std::vector<Entry*> entries = entries_of(arena_, groups);
    Env* env = make_env(nullptr, entries);
    for (Entry* e : entries) {
        e->scope = env;
    }
    file_envs_.emplace(file, env);
    return env;
}

const Env* Evaluator::statements_env(const Node* owner, std::span<Node* const> statements,
                                     const Env* parent) {
    auto it = node_groups_.find(owner);
    if (it == node_groups_.end()) {
        std::vector<DefGroup> own;
        std::vector<const frontend::ParsedFile*> imports;
        group_statements(statements, nullptr, own, &imports);
        std::vector<DefGroup> groups;
        std::unordered_map<Symbol, std::size_t> seen;
        for (const DefGroup& g : own) {
            add_group(g, groups, seen);
        }
        std::unordered_set<const frontend::ParsedFile*> visited;
        for (const frontend::ParsedFile* imp : imports) {
            if (visited.insert(imp).second) {
                record_metadata(imp, {});
                expand_imports(imp, groups, seen, visited);
            }
        }
        it = node_groups_.emplace(owner, std::move(groups)).first;
    }
    std::vector<Entry*> entries = entries_of(arena_, it->second);
    Env* env = make_env(parent, entries);
    for (Entry* e : entries) {
        e->scope = env;
    }
    return env;
}

const Env* Evaluator::with_env(const Node* n, const Env* env) {
    return statements_env(n, n->children().subspan(1), env);
}

const Env* Evaluator::letrec_env(const Node* n, const Env* env) {
    // E letrec {'x = ex; 'y = ey; where defs} is, as Faust lists the equations
    // in reverse order:
    //   E with { B = \(y,x).((ey,ex) with {defs}) ~ (_,_); y = B:(_,!); x = B:(!,_); }
    std::uint32_t nrec = n->flags;
    std::vector<Entry*> entries;
    Entry* body = arena_.make<Entry>();
    body->kind = EntryKind::LetrecBody;
    auto* self = arena_.make_array<const Node*>(1);
    self[0] = n;
    body->defs = {self, 1};
    entries.push_back(body);
    for (std::uint32_t k = 0; k < nrec; ++k) {
        Entry* p = arena_.make<Entry>();
        p->name = n->kids[1 + k]->name;
        p->kind = EntryKind::LetrecProjection;
        p->index = nrec - 1 - k;
        p->body = body;
        entries.push_back(p);
    }
    Env* layer = make_env(env, entries);
    for (Entry* e : entries) {
        e->scope = layer;
    }
    return layer;
}

Value Evaluator::letrec_body(Entry* e) {
    const Node* n = e->defs[0];
    const Closure* c = make_closure(n, 0, e->scope);
    const boxes::Box* a = to_box(Value::of(c), n->range);
    return compose(boxes::BoxKind::Rec, Value::of(a), Value::of(bus(n->flags)), n->range);
}

const Env* Evaluator::bind(const Env* parent, Symbol name, Value v) {
    Entry* e = arena_.make<Entry>();
    e->name = name;
    e->kind = EntryKind::Bound;
    e->state = EntryState::Done;
    e->value = v;
    Env* env = arena_.make<Env>();
    env->parent = parent;
    auto* arr = arena_.make_array<Entry*>(1);
    arr[0] = e;
    env->entries = {arr, 1};
    return env;
}

const Env* Evaluator::bind_all(const Env* parent,
                               std::span<const std::pair<Symbol, Value>> bindings) {
    std::vector<Entry*> entries;
    entries.reserve(bindings.size());
    for (const auto& [name, v] : bindings) {
        Entry* e = arena_.make<Entry>();
        e->name = name;
        e->kind = EntryKind::Bound;
        e->state = EntryState::Done;
        e->value = v;
        entries.push_back(e);
    }
    return make_env(parent, std::move(entries));
}

} // namespace tutti::eval
