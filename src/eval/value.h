// SPDX-License-Identifier: MIT
/** \file
 * Values of the evaluator: what an expression evaluates to before it becomes a
 * block diagram in normal form.
 *
 * Most values are boxes (hash-consed in the `BoxContext`). The others are the
 * functional values of the language, which only the evaluator knows:
 *  - a closure: a function with parameters still to bind (a lambda, a definition
 *    with identifier parameters, the recursive body of a `letrec`) and the
 *    environment it was defined in;
 *  - a matcher: a pattern-matching function (`case`, multi-rule definitions) with
 *    the arguments received so far;
 *  - an environment (`environment{}`, `library()`), or a component (the
 *    environment of a file whose `process` is the value);
 *  - a composite: a composition one of whose operands is not a box yet (a
 *    function used as a block, `(f, g)` with functions f and g). It keeps its
 *    structure so that pattern matching can take it apart; `to_box` turns it into a
 *    box when needed (Faust's `a2sb`: abstractions become Symbolic/Slot boxes).
 *
 * A `Value` is a tagged pointer, compared by identity (boxes are hash-consed,
 * closures are made unique per (node, parameter, environment)).
 */
#pragma once

#include <cstdint>
#include <span>

#include "boxes/box.h"
#include "diag/source_manager.h"
#include "frontend/ast/ast.h"

namespace tutti::eval {

struct Env;
struct Closure;
struct Composite;
struct Matcher;

enum class ValueKind : std::uint8_t {
    None,
    Box,
    Composite,
    Closure,
    Matcher,
    Environment,
    Component
};

class Value {
public:
    Value() = default;
    static Value of(const boxes::Box* b) {
        return Value(ValueKind::Box, b);
    }
    static Value of(const Composite* c) {
        return Value(ValueKind::Composite, c);
    }
    static Value of(const Closure* c) {
        return Value(ValueKind::Closure, c);
    }
    static Value of(const Matcher* m) {
        return Value(ValueKind::Matcher, m);
    }
    static Value environment(const Env* e) {
        return Value(ValueKind::Environment, e);
    }
    static Value component(const Env* e) {
        return Value(ValueKind::Component, e);
    }

    ValueKind kind() const {
        return kind_;
    }
    bool is_box() const {
        return kind_ == ValueKind::Box;
    }
    bool empty() const {
        return kind_ == ValueKind::None;
    }
    const boxes::Box* box() const {
        return kind_ == ValueKind::Box ? static_cast<const boxes::Box*>(ptr_) : nullptr;
    }
    const Composite* composite() const {
        return kind_ == ValueKind::Composite ? static_cast<const Composite*>(ptr_) : nullptr;
    }
    const Closure* closure() const {
        return kind_ == ValueKind::Closure ? static_cast<const Closure*>(ptr_) : nullptr;
    }
    const Matcher* matcher() const {
        return kind_ == ValueKind::Matcher ? static_cast<const Matcher*>(ptr_) : nullptr;
    }
    /// The environment of an Environment or Component value.
    const Env* env() const {
        return kind_ == ValueKind::Environment || kind_ == ValueKind::Component
                   ? static_cast<const Env*>(ptr_)
                   : nullptr;
    }
    const void* key() const {
        return ptr_;
    }

    friend bool operator==(Value a, Value b) {
        return a.kind_ == b.kind_ && a.ptr_ == b.ptr_;
    }
    friend bool operator!=(Value a, Value b) {
        return !(a == b);
    }

private:
    Value(ValueKind k, const void* p) : kind_(k), ptr_(p) {
    }
    ValueKind kind_ = ValueKind::None;
    const void* ptr_ = nullptr;
};

/// A composition (Seq, Par, Split, Merge, Rec) with an operand that is not a box.
struct Composite {
    boxes::BoxKind kind{};
    Value a, b;
    diag::SourceRange range; ///< where the composition was written (arity diagnostics)
};

/// A function value: parameters `index..` of `node` are still to bind.
/// `node` is a Lambda, a Definition with identifier parameters, or a Letrec
/// (whose parameters are the names of its recursive equations).
struct Closure {
    const ast::Node* node = nullptr;
    std::uint32_t index = 0;
    const Env* env = nullptr;
};

struct Pattern;

/// The rules of a pattern-matching function, with the environment they were
/// written in. Patterns are compiled (their constant parts evaluated) on first use.
struct MatcherRules {
    std::span<const ast::Node* const> rules; ///< Rule or Definition nodes: patterns..., body
    const Env* env = nullptr;
    Symbol name;                              ///< the definition's name; empty for a `case`
    diag::SourceRange range;                  ///< the case or the first rule
    std::uint32_t arity = 0;                  ///< number of patterns of each rule
    const Pattern* const* compiled = nullptr; ///< rules.size() * arity patterns, or null
};

/// A pattern-matching function applied to `args` (fewer than its arity).
struct Matcher {
    MatcherRules* rules = nullptr;
    std::span<const Value> args;
};

} // namespace tutti::eval
