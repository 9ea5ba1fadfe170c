// SPDX-License-Identifier: MIT
// Dispatch on the syntax tree, identifiers and definitions, nesting and step
// limits, and how errors are located.
#include "eval/evaluator.h"

#include <algorithm>
#include <cstddef>
#include <filesystem>

#include "eval/closure_params.h"
#include "frontend/import/search_path.h"

namespace tutti::eval {

using ast::Node;
using ast::NodeKind;
using boxes::Box;
using boxes::BoxKind;

std::size_t Evaluator::ClosureKeyHash::operator()(const ClosureKey& k) const {
    std::size_t h = std::hash<const void*>()(k.node);
    h ^= std::hash<const void*>()(k.env) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h ^ (static_cast<std::size_t>(static_cast<std::uint32_t>(k.index * 0x85ebca6bu)));
}

Evaluator::Evaluator(frontend::FrontendSession& session, const frontend::ParsedFile& main,
                     boxes::BoxContext& boxes, const EvalOptions& options)
    : session_(session), main_(main), boxes_(boxes), options_(options),
      precision_bit_(options.double_precision ? ast::PrecDouble : ast::PrecSingle),
      numeric_(boxes, steps_, options.max_steps, 100000) {
    for (const auto& f : session.files()) {
        files_by_id_[f->id] = f.get();
    }
    std::error_code ec;
    for (const auto& d : frontend::installed_faust_library_dirs()) {
        auto c = std::filesystem::weakly_canonical(d, ec);
        std::string s = (ec ? d : c).string();
        if (!s.empty() && s.back() != '/') {
            s += '/';
        }
        library_dirs_.push_back(s);
    }
}

Evaluator::~Evaluator() = default;

const frontend::ParsedFile* Evaluator::file_of(diag::FileId id) const {
    auto it = files_by_id_.find(id);
    return it == files_by_id_.end() ? nullptr : it->second;
}

bool Evaluator::is_library_file(diag::FileId id) {
    auto it = library_files_.find(id);
    if (it != library_files_.end()) {
        return it->second;
    }
    bool lib = false;
    if (const frontend::ParsedFile* f = file_of(id); f != nullptr && f != &main_) {
        std::error_code ec;
        auto c = std::filesystem::weakly_canonical(f->path, ec);
        std::string p = (ec ? f->path : c).string();
        for (const std::string& d : library_dirs_) {
            lib = lib || p.compare(0, d.size(), d) == 0;
        }
    }
    library_files_.emplace(id, lib);
    return lib;
}

void Evaluator::fail(diag::Diag d) {
    EvalError err;
    if (d.range.begin.file != 0 && is_library_file(d.range.begin.file)) {
        // Report where the user's code asked for it; point into the library in a note.
        for (std::size_t k = frames_.size(); k-- > 0;) {
            diag::FileId f = frames_[k]->range.begin.file;
            if (f != 0 && !is_library_file(f)) {
                diag::Diag note = diag::diags::error_in_library(d.range);
                d.range = frames_[k]->range;
                err.diags.push_back(std::move(d));
                err.diags.push_back(std::move(note));
                throw err;
            }
        }
    }
    err.diags.push_back(std::move(d));
    throw err;
}

struct DepthGuard {
    Evaluator& ev;
    DepthGuard(Evaluator& e, const Node* n) : ev(e) {
        ev.enter(n);
    }
    ~DepthGuard() {
        ev.leave();
    }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
};

void Evaluator::enter(const Node* n) {
    if (++steps_ > options_.max_steps) {
        fail(diag::diags::eval_too_many_steps(n->range, options_.max_steps));
    }
    if (options_.budget != nullptr) {
        try {
            options_.budget->check(n->range);
        } catch (const BudgetExceeded& e) {
            fail(options_.budget->diagnostic(e));
        }
    }
    bool stack_low = false;
    if (stack_base_ != nullptr) {
        const char* here = static_cast<const char*>(__builtin_frame_address(0));
        stack_low = std::size_t(stack_base_ - here) > stack_usable_;
    }
    if (depth_ >= options_.max_depth) {
        fail(diag::diags::eval_too_deep(
            n->range, "the limit is " + std::to_string(options_.max_depth) + " levels"));
    }
    if (stack_low) {
        fail(diag::diags::eval_too_deep(n->range, "out of stack space at " +
                                                      std::to_string(depth_) + " levels"));
    }
    ++depth_;
    max_depth_reached_ = std::max(max_depth_reached_, depth_);
    frames_.push_back(n);
}

void Evaluator::check_stack(diag::SourceRange r) {
    if (stack_base_ != nullptr) {
        const char* here = static_cast<const char*>(__builtin_frame_address(0));
        if (std::size_t(stack_base_ - here) > stack_usable_) {
            fail(diag::diags::eval_too_deep(r, "out of stack space"));
        }
    }
}

void Evaluator::leave() {
    --depth_;
    frames_.pop_back();
}

Value Evaluator::eval(const Node* n, const Env* env) {
    DepthGuard guard(*this, n);
    return eval_node(n, env);
}

Value Evaluator::eval_node(const Node* n, const Env* env) {
    switch (n->kind) {
    case NodeKind::Int:
        return Value::of(boxes_.make_int(n->ival));
    case NodeKind::Real:
        return Value::of(boxes_.make_real(n->rval));
    case NodeKind::Wire:
        return Value::of(boxes_.make_wire());
    case NodeKind::Cut:
        return Value::of(boxes_.make_cut());
    case NodeKind::Prim:
        return Value::of(boxes_.make_prim(n->prim()));
    case NodeKind::Ident:
        return eval_ident(n, n->name, env);
    case NodeKind::Infix:
    case NodeKind::Neg:
    case NodeKind::Delay1:
        return eval_infix(n, env);
    case NodeKind::Seq:
    case NodeKind::Par:
    case NodeKind::Split:
    case NodeKind::Merge:
    case NodeKind::Rec:
        return eval_chain(n, env);
    case NodeKind::Access:
        return eval_access(n, env);
    case NodeKind::Apply:
        return eval_apply(n, env);
    case NodeKind::Modify:
        return eval_modify(n, env);
    case NodeKind::With:
        return eval(n->kids[0], with_env(n, env));
    case NodeKind::Letrec:
        return eval(n->kids[0], letrec_env(n, env));
    case NodeKind::Lambda:
        return Value::of(make_closure(n, 0, env));
    case NodeKind::Case: {
        auto* rules =
            make_rules({static_cast<const Node* const*>(n->kids), n->count}, env, {}, n->range);
        return Value::of(arena_.make<Matcher>(Matcher{rules, {}}));
    }
    case NodeKind::Iter:
        return eval_iteration(n, env);
    case NodeKind::FFunction:
        return eval_ffunction(n);
    case NodeKind::FConstant:
    case NodeKind::FVariable: {
        // with their place, for the diagnostics of later stages (an unknown name)
        const boxes::Box* b =
            n->kind == NodeKind::FConstant
                ? boxes_.make_fconst(static_cast<ast::ValueType>(n->op), n->name, n->text)
                : boxes_.make_fvar(static_cast<ast::ValueType>(n->op), n->name, n->text);
        boxes_.set_origin(b, n->range);
        return Value::of(b);
    }
    case NodeKind::Button:
    case NodeKind::Checkbox:
    case NodeKind::VSlider:
    case NodeKind::HSlider:
    case NodeKind::NEntry:
    case NodeKind::VBargraph:
    case NodeKind::HBargraph:
    case NodeKind::VGroup:
    case NodeKind::HGroup:
    case NodeKind::TGroup:
    case NodeKind::Soundfile:
        return eval_widget(n, env);
    case NodeKind::Waveform: {
        std::vector<const Box*> values;
        values.reserve(n->count);
        for (const Node* k : n->children()) {
            values.push_back(k->kind == NodeKind::Int ? boxes_.make_int(k->ival)
                                                      : boxes_.make_real(k->rval));
        }
        return Value::of(boxes_.make_waveform(values));
    }
    case NodeKind::Route:
        return eval_route(n, env);
    case NodeKind::Inputs:
    case NodeKind::Outputs: {
        const Box* b = to_box(eval(n->kids[0], env), n->kids[0]->range);
        return Value::of(
            boxes_.make_int(std::int32_t(n->kind == NodeKind::Inputs ? b->inputs : b->outputs)));
    }
    case NodeKind::Component:
        return Value::component(file_env(resolve(n)));
    case NodeKind::Library:
        return Value::environment(file_env(resolve(n)));
    case NodeKind::Environment:
        return Value::environment(statements_env(n, n->children(), env));
    default:
        fail(diag::diags::internal_error(
            n->range, "unexpected " + std::string(ast::kind_name(n->kind)) + " in an expression"));
    }
}

Value Evaluator::eval_ident(const Node* n, Symbol name, const Env* env) {
    Entry* e = env != nullptr ? env->lookup(name) : nullptr;
    if (e == nullptr) {
        fail(diag::diags::undefined_symbol(n->range, name));
    }
    return force(e, n);
}

Value Evaluator::force(Entry* e, const Node* at) {
    switch (e->state) {
    case EntryState::Done:
        return e->value;
    case EntryState::Evaluating:
        fail(diag::diags::recursive_definition(at->range, e->name));
    case EntryState::Pending:
        break;
    }
    e->state = EntryState::Evaluating;
    Value v;
    switch (e->kind) {
    case EntryKind::Definitions:
        v = eval_definitions(e);
        break;
    case EntryKind::LetrecBody:
        v = letrec_body(e);
        break;
    case EntryKind::LetrecProjection: {
        Value body = force(e->body, at);
        std::uint32_t n = e->body->defs[0]->flags;
        // body : (!,...,_,...,!) selects the index-th output
        std::vector<const Box*> sel(n);
        for (std::uint32_t k = 0; k < n; ++k) {
            sel[k] = k == e->index ? boxes_.make_wire() : boxes_.make_cut();
        }
        const Box* selector = sel.back();
        for (std::size_t k = n - 1; k-- > 0;) {
            selector = boxes_.make_binary(BoxKind::Par, sel[k], selector);
        }
        v = compose(BoxKind::Seq, body, Value::of(selector), e->body->defs[0]->range);
        break;
    }
    case EntryKind::Bound:
        v = e->value;
        break;
    }
    e->value = v;
    e->state = EntryState::Done;
    return v;
}

Value Evaluator::eval_definitions(Entry* e) {
    record_metadata(e->file, e->name);
    if (e->defs.size() == 1) {
        const Node* d = e->defs[0];
        if (d->flags == 0) {
            return eval(d->kids[d->count - 1], e->scope);
        }
        if (has_identifier_params(d)) {
            return Value::of(make_closure(d, 0, e->scope));
        }
    }
    auto* rules = make_rules(e->defs, e->scope, e->name, e->defs[0]->range);
    return Value::of(arena_.make<Matcher>(Matcher{rules, {}}));
}

Value Evaluator::eval_infix(const Node* n, const Env* env) {
    Value a, b;
    ast::PrimOp op{};
    switch (n->kind) {
    case NodeKind::Infix:
        a = eval(n->kids[0], env);
        b = eval(n->kids[1], env);
        op = n->prim();
        break;
    case NodeKind::Neg: // -x is (0,x):-
        a = Value::of(boxes_.make_int(0));
        b = eval(n->kids[0], env);
        op = ast::PrimOp::Sub;
        break;
    default: // x' is x:mem
        return seq_folded(eval(n->kids[0], env), Value::of(boxes_.make_prim(ast::PrimOp::Mem)),
                          n->range);
    }
    return seq_folded(compose(BoxKind::Par, a, b, n->range), Value::of(boxes_.make_prim(op)),
                      n->range);
}

namespace {
BoxKind box_kind(NodeKind k) {
    switch (k) {
    case NodeKind::Seq:
        return BoxKind::Seq;
    case NodeKind::Par:
        return BoxKind::Par;
    case NodeKind::Split:
        return BoxKind::Split;
    case NodeKind::Merge:
        return BoxKind::Merge;
    default:
        return BoxKind::Rec;
    }
}
} // namespace

Value Evaluator::eval_chain(const Node* n, const Env* env) {
    if (n->kind == NodeKind::Rec) {
        Value a = eval(n->kids[0], env);
        Value b = eval(n->kids[1], env);
        return compose(BoxKind::Rec, a, b, n->range);
    }
    // Right-nested chains (a, b, c, ...) can be long: walk the right spine
    // iteratively, evaluate the operands left to right, combine from the right.
    std::vector<const Node*> ops;
    std::vector<const Node*> operands;
    const Node* cur = n;
    while (cur->kind == NodeKind::Seq || cur->kind == NodeKind::Par ||
           cur->kind == NodeKind::Split || cur->kind == NodeKind::Merge) {
        ops.push_back(cur);
        operands.push_back(cur->kids[0]);
        cur = cur->kids[1];
    }
    operands.push_back(cur);
    std::vector<Value> values;
    values.reserve(operands.size());
    for (const Node* o : operands) {
        values.push_back(eval(o, env));
    }
    Value acc = values.back();
    for (std::size_t j = ops.size(); j-- > 0;) {
        const Node* op = ops[j];
        acc = op->kind == NodeKind::Seq ? seq_folded(values[j], acc, op->range)
                                        : compose(box_kind(op->kind), values[j], acc, op->range);
    }
    return acc;
}

Value Evaluator::eval_apply(const Node* n, const Env* env) {
    Value fun = eval(n->kids[0], env);
    std::vector<Value> args;
    args.reserve(n->count - 1);
    for (std::uint32_t k = 1; k < n->count; ++k) {
        args.push_back(eval(n->kids[k], env));
    }
    return apply(fun, args, n->range);
}

const Closure* Evaluator::make_closure(const Node* node, std::uint32_t index, const Env* env) {
    ClosureKey key{node, index, env};
    auto it = closures_.find(key);
    if (it != closures_.end()) {
        return it->second;
    }
    const Closure* c = arena_.make<Closure>(Closure{node, index, env});
    closures_.emplace(key, c);
    return c;
}

MatcherRules* Evaluator::make_rules(std::span<const Node* const> rules, const Env* env, Symbol name,
                                    diag::SourceRange range) {
    MatcherRules* r = arena_.make<MatcherRules>();
    r->rules = rules;
    r->env = env;
    r->name = name;
    r->range = range;
    r->arity = rules.empty() ? 0 : rules[0]->count - 1;
    return r;
}

void Evaluator::record_metadata(const frontend::ParsedFile* file, Symbol function) {
    if (file == nullptr) {
        return;
    }
    // Faust prefixes a file's metadata with the name it was asked for.
    std::string prefix =
        (file->requested.empty() ? file->path.filename().string() : file->requested) + "/";
    auto add = [&](std::string key, std::string value) {
        std::string both = key + '\0' + value;
        if (metadata_seen_.insert(both).second) {
            metadata_.emplace_back(std::move(key), std::move(value));
        }
    };
    if (function.empty()) {
        // File-level declarations of a library, once.
        if (!metadata_files_.insert(file).second) {
            return;
        }
        metadata_file_order_.push_back(file->id);
        // Faust records them as it parses: those inside an `environment { }`
        // count too, wherever it is, in source order (a cached library's list
        // was made once, when it was parsed: issue 14).
        std::vector<const Node*> walked;
        if (file->declares == nullptr) {
            walked = frontend::file_declares_of(file->root);
        }
        for (const Node* st : file->declares != nullptr ? *file->declares : walked) {
            add((file == &main_ ? std::string() : prefix) + std::string(st->name.str()),
                std::string(st->text.str()));
        }
        return;
    }
    auto it = function_declares_.find(file);
    if (it == function_declares_.end()) {
        std::unordered_map<Symbol, std::vector<const Node*>> index;
        for (const Node* st : file->root->children()) {
            if (st->kind == NodeKind::Declare && st->count == 1) {
                index[st->kids[0]->name].push_back(st);
            }
        }
        it = function_declares_.emplace(file, std::move(index)).first;
    }
    auto decl = it->second.find(function);
    if (decl == it->second.end()) {
        return;
    }
    for (const Node* st : decl->second) {
        add(prefix + std::string(function.str()) + ":" + std::string(st->name.str()),
            std::string(st->text.str()));
    }
}

const Box* Evaluator::evaluate_process() {
    record_metadata(&main_, {});
    const Env* env = file_env(&main_);
    Symbol process = session_.interner().intern(options_.entry);
    Entry* e = env->find_here(process);
    if (e == nullptr) {
        diag::SourceRange start{main_.root->range.begin, main_.root->range.begin};
        fail(diag::diags::undefined_symbol(start, process));
    }
    const Node* at = e->defs.empty() ? main_.root : e->defs[0];
    DepthGuard guard(*this, at);
    Value v = force(e, at);
    return to_box(v, at->range);
}

} // namespace tutti::eval
