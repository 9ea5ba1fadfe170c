// SPDX-License-Identifier: MIT
/** \file
 * Lexical environments: a chain of layers, each binding names to entries.
 *
 * A layer holds either the definitions of one definition list (a file and what
 * it imports, a `with` block, an `environment{}`, the equations of a `letrec`)
 * or the values of parameters (one application, one iteration, the variables of
 * a matched rule). Lookup walks the chain from the innermost layer outwards.
 *
 * Definition entries are evaluated at most once (their value is cached), which is
 * what makes library definitions cheap; an entry met again while it is being
 * evaluated is a recursive definition ("x = x + 1"), reported as such.
 *
 * Layers and entries live in the evaluator's arena; large layers get a hash index.
 */
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>

#include "eval/value.h"
#include "frontend/frontend_session.h"

namespace tutti::eval {

enum class EntryKind : std::uint8_t {
    Definitions,      ///< `defs`: the rules (or the single definition) of a name
    Bound,            ///< `value`: a parameter, pattern variable or iteration variable
    LetrecBody,       ///< `defs[0]`: the Letrec node; value: (equations) ~ (_,...)
    LetrecProjection, ///< `index`-th output of the letrec body entry `body`
};

enum class EntryState : std::uint8_t { Pending, Evaluating, Done };

struct Entry {
    Symbol name;
    EntryKind kind = EntryKind::Definitions;
    EntryState state = EntryState::Pending;
    std::uint32_t index = 0;
    std::span<const ast::Node* const> defs;
    const Env* scope = nullptr; ///< the environment the definitions are closed in
    Entry* body = nullptr;      ///< LetrecProjection: the LetrecBody entry of the layer
    const frontend::ParsedFile* file = nullptr; ///< file of the definitions (metadata)
    Value value;
};

using EntryIndex = std::unordered_map<Symbol, Entry*>;

struct Env {
    const Env* parent = nullptr;
    std::span<Entry* const> entries;
    const EntryIndex* index = nullptr; ///< for layers with many entries

    /// The entry of `name` in this layer only, or null.
    Entry* find_here(Symbol name) const {
        if (index != nullptr) {
            auto it = index->find(name);
            return it == index->end() ? nullptr : it->second;
        }
        for (Entry* e : entries) {
            if (e->name == name) {
                return e;
            }
        }
        return nullptr;
    }

    /// The entry of `name` in this layer or an enclosing one, or null.
    Entry* lookup(Symbol name) const {
        for (const Env* e = this; e != nullptr; e = e->parent) {
            if (Entry* found = e->find_here(name)) {
                return found;
            }
        }
        return nullptr;
    }
};

} // namespace tutti::eval
