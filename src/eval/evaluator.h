// SPDX-License-Identifier: MIT
/** \file
 * The evaluator: a strict lambda-calculus interpreter from the Faust syntax tree
 * to block diagrams in normal form (Faust 2.54.9's `compiler/evaluate/eval.cpp`
 * semantics, written anew). One `Evaluator` evaluates one program; it owns the
 * environments, closures and caches of that evaluation and nothing outlives it
 * except the boxes it made in the caller's `BoxContext`.
 *
 * The member functions are implemented in one file per concept:
 *   evaluator.cpp     dispatch on syntax, identifiers and definitions, depth/steps, errors
 *   definitions.cpp   definition lists -> environment layers (import, precision, with, letrec)
 *   access.cpp        E.name, E[defs], library/component/environment values
 *   compose.cpp       the five compositions with their arity rules
 *   to_box.cpp        values -> boxes (abstractions become Symbolic/Slot boxes)
 *   apply.cpp         application and partial application
 *   pattern_match.cpp case rules
 *   iterate.cpp       par/seq/sum/prod
 *   widgets.cpp       UI elements, route, waveform, soundfile, foreign functions
 *   labels.cpp        %i substitution in labels
 *
 * Errors are thrown as `EvalError` (a diagnostic and its notes) and caught by
 * `evaluate_program`; evaluation stops at the first error, as Faust does.
 */
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "boxes/box.h"
#include "diag/diagnostic.h"
#include "eval/environment.h"
#include "eval/evaluate.h"
#include "eval/numeric.h"
#include "eval/pattern.h"
#include "eval/value.h"
#include "frontend/frontend_session.h"
#include "support/arena.h"

namespace tutti::eval {

/// An evaluation error: the diagnostic, then its notes.
struct EvalError {
    std::vector<diag::Diag> diags;
};

/// The definitions of one definition list, grouped by name in order of first
/// appearance (the rules of a name stay in source order).
struct DefGroup {
    Symbol name;
    std::span<const ast::Node* const> defs;
    const frontend::ParsedFile* file = nullptr;
};

class Evaluator {
public:
    Evaluator(frontend::FrontendSession& session, const frontend::ParsedFile& main,
              boxes::BoxContext& boxes, const EvalOptions& options);
    ~Evaluator();
    Evaluator(const Evaluator&) = delete;
    Evaluator& operator=(const Evaluator&) = delete;

    /// Evaluates `process` of the main file to a box in normal form. Throws EvalError.
    const boxes::Box* evaluate_process();

    /// File-level declarations met during evaluation (see evaluate.h).
    /// The files whose metadata was recorded, in that order (as Faust parses
    /// them: the program, its imports, then libraries as they are first used).
    std::vector<diag::FileId>& files_in_use_order() {
        return metadata_file_order_;
    }
    std::vector<std::pair<std::string, std::string>>& metadata() {
        return metadata_;
    }

    /// Where the stack of the evaluating thread starts and how much of it may be used.
    void set_stack_limit(const char* base, std::size_t usable) {
        stack_base_ = base;
        stack_usable_ = usable;
        numeric_.set_stack_limit(base, usable);
    }

    std::uint64_t steps() const {
        return steps_;
    }
    std::uint32_t max_depth_reached() const {
        return max_depth_reached_;
    }

private:
    friend struct DepthGuard;

    // ---- evaluator.cpp
    Value eval(const ast::Node* n, const Env* env);
    Value eval_node(const ast::Node* n, const Env* env);
    Value eval_ident(const ast::Node* n, Symbol name, const Env* env);
    Value force(Entry* e, const ast::Node* at);
    Value eval_definitions(Entry* e);
    Value eval_infix(const ast::Node* n, const Env* env);
    Value eval_chain(const ast::Node* n, const Env* env);
    Value eval_apply(const ast::Node* n, const Env* env);
    const Closure* make_closure(const ast::Node* node, std::uint32_t index, const Env* env);
    MatcherRules* make_rules(std::span<const ast::Node* const> rules, const Env* env, Symbol name,
                             diag::SourceRange range);
    [[noreturn]] void fail(diag::Diag d);
    void enter(const ast::Node* n);
    /// Fails with eval_too_deep when the stack is nearly used up (recursions over
    /// values that do not go through eval()).
    void check_stack(diag::SourceRange r);
    void leave();
    void record_metadata(const frontend::ParsedFile* file, Symbol function);
    bool is_library_file(diag::FileId id);
    const frontend::ParsedFile* file_of(diag::FileId id) const;

    // ---- definitions.cpp
    const Env* file_env(const frontend::ParsedFile* file);
    /// A layer of the definitions of `statements` (and what they import), closed in
    /// itself, on top of `parent`; the grouping is computed once per `owner` node.
    const Env* statements_env(const ast::Node* owner, std::span<ast::Node* const> statements,
                              const Env* parent);
    const Env* with_env(const ast::Node* n, const Env* env);
    const Env* letrec_env(const ast::Node* n, const Env* env);
    Value letrec_body(Entry* e);
    const Env* bind(const Env* parent, Symbol name, Value v);
    const Env* bind_all(const Env* parent, std::span<const std::pair<Symbol, Value>> bindings);
    Env* make_env(const Env* parent, std::vector<Entry*> entries);
    void group_statements(std::span<ast::Node* const> statements, const frontend::ParsedFile* file,
                          std::vector<DefGroup>& out,
                          std::vector<const frontend::ParsedFile*>* imports);
    void expand_imports(const frontend::ParsedFile* file, std::vector<DefGroup>& out,
                        std::unordered_map<Symbol, std::size_t>& seen,
                        std::unordered_set<const frontend::ParsedFile*>& visited);
    void add_group(const DefGroup& g, std::vector<DefGroup>& out,
                   std::unordered_map<Symbol, std::size_t>& seen);
    const frontend::ParsedFile* resolve(const ast::Node* reference);

    // ---- access.cpp
    Value eval_access(const ast::Node* n, const Env* env);
    Value eval_modify(const ast::Node* n, const Env* env);

    // ---- compose.cpp
    Value compose(boxes::BoxKind k, Value a, Value b, diag::SourceRange r);
    const boxes::Box* compose_boxes(boxes::BoxKind k, const boxes::Box* a, const boxes::Box* b,
                                    diag::SourceRange r);
    Value seq_folded(Value a, Value b, diag::SourceRange r);
    Value par_list(std::span<const Value> items, diag::SourceRange r);
    [[noreturn]] void numeric_fault(const NumericFault& f, diag::SourceRange r);
    const boxes::Box* empty_box();
    const boxes::Box* bus(std::uint32_t n);

    // ---- to_box.cpp
    const boxes::Box* to_box(Value v, diag::SourceRange where);
    const boxes::Box* closure_to_box(const Closure* c, diag::SourceRange where);
    const boxes::Box* matcher_to_box(const Matcher* m, diag::SourceRange where);

    // ---- apply.cpp
    Value apply(Value fun, std::span<const Value> args, diag::SourceRange where);
    Value apply_closure(const Closure* c, Value arg);
    Value apply_box(Value fun, std::span<const Value> args, diag::SourceRange where);
    Value closure_body(const Closure* c, const Env* env);
    Value simplify_numeric(Value v);
    MaybeNum numeric(const boxes::Box* b);

    // ---- pattern_match.cpp
    Value apply_rules(MatcherRules& rules, std::span<const Value> args, diag::SourceRange where);
    void compile_rules(MatcherRules& rules);
    const Pattern* compile_pattern(const ast::Node* n, const Env* env);
    const Pattern* pattern_of_value(Value v);
    bool match(const Pattern* p, Value v, std::vector<std::pair<Symbol, Value>>& bindings);

    // ---- iterate.cpp
    Value eval_iteration(const ast::Node* n, const Env* env);

    // ---- widgets.cpp
    Value eval_widget(const ast::Node* n, const Env* env);
    Value eval_route(const ast::Node* n, const Env* env);
    Value eval_ffunction(const ast::Node* n);
    Num eval_number(const ast::Node* n, const Env* env, const std::string& what);
    std::int32_t eval_int(const ast::Node* n, const Env* env, const std::string& what);
    double eval_double(const ast::Node* n, const Env* env, const std::string& what);

    // ---- labels.cpp
    Symbol eval_label(Symbol label, const Env* env, const ast::Node* at);

    frontend::FrontendSession& session_;
    const frontend::ParsedFile& main_;
    boxes::BoxContext& boxes_;
    EvalOptions options_;
    std::uint8_t precision_bit_;
    Arena arena_;
    NumericEvaluator numeric_;

    std::uint64_t steps_ = 0;
    std::uint32_t depth_ = 0;
    std::uint32_t max_depth_reached_ = 0;
    const char* stack_base_ = nullptr;
    std::size_t stack_usable_ = 0;
    std::vector<const ast::Node*> frames_;

    struct ClosureKey {
        const ast::Node* node;
        std::uint32_t index;
        const Env* env;
        bool operator==(const ClosureKey&) const = default;
    };
    struct ClosureKeyHash {
        std::size_t operator()(const ClosureKey& k) const;
    };
    std::unordered_map<ClosureKey, const Closure*, ClosureKeyHash> closures_;
    std::unordered_map<const void*, const boxes::Box*> to_box_memo_;
    std::unordered_map<const frontend::ParsedFile*, const Env*> file_envs_;
    std::unordered_map<const frontend::ParsedFile*, std::vector<DefGroup>> file_groups_;
    std::unordered_map<const frontend::ParsedFile*, std::vector<const frontend::ParsedFile*>>
        file_imports_;
    std::unordered_map<const ast::Node*, std::vector<DefGroup>> node_groups_;
    std::vector<std::unique_ptr<EntryIndex>> indexes_;
    std::unordered_map<diag::FileId, const frontend::ParsedFile*> files_by_id_;
    std::unordered_map<diag::FileId, bool> library_files_;
    std::vector<std::string> library_dirs_;
    const boxes::Box* empty_ = nullptr;

    std::vector<std::pair<std::string, std::string>> metadata_;
    std::unordered_set<std::string> metadata_seen_;
    std::unordered_set<const frontend::ParsedFile*> metadata_files_;
    std::vector<diag::FileId> metadata_file_order_;
    /// Per file: function name -> its `declare f key "value";` statements.
    std::unordered_map<const frontend::ParsedFile*,
                       std::unordered_map<Symbol, std::vector<const ast::Node*>>>
        function_declares_;
};

} // namespace tutti::eval
