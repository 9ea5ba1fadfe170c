// SPDX-License-Identifier: MIT
#include "frontend/parser/parser.h"

#include <initializer_list>

#include "frontend/lexer/lexer.h"
#include "frontend/parser/check_definitions.h"

namespace tutti::frontend {

using ast::Node;
using ast::NodeKind;
using ast::PrimOp;
using diag::SourceRange;

namespace {

/// Thrown after a syntax error has been reported; caught at statement level.
struct SyntaxError {};
/// Thrown when the per-file error budget is exhausted.
struct TooManyErrors {};

// Binding powers (see parser.h).
constexpr int bp_with = 10;
constexpr int bp_split = 20;
constexpr int bp_seq = 30;
constexpr int bp_par = 40;
constexpr int bp_rec = 50;
constexpr int bp_compare = 60; // first "infix expression" level
constexpr int bp_add = 70;
constexpr int bp_mul = 80;
constexpr int bp_pow = 90;
constexpr int bp_delay = 100;
constexpr int bp_delay1 = 110;
constexpr int bp_postfix = 120;

enum class Assoc { Left, Right, Postfix };

struct OpInfo {
    int bp = 0; // 0: not an operator
    Assoc assoc = Assoc::Left;
};

OpInfo op_info(Tok k) {
    switch (k) {
    case Tok::KwWith:
    case Tok::KwLetrec:
        return {bp_with, Assoc::Postfix};
    case Tok::Split:
    case Tok::Merge:
        return {bp_split, Assoc::Right};
    case Tok::Seq:
        return {bp_seq, Assoc::Right};
    case Tok::Par:
        return {bp_par, Assoc::Right};
    case Tok::Rec:
        return {bp_rec, Assoc::Left};
    case Tok::Lt:
    case Tok::Le:
    case Tok::Gt:
    case Tok::Ge:
    case Tok::Eq:
    case Tok::Ne:
        return {bp_compare, Assoc::Left};
    case Tok::Add:
    case Tok::Sub:
    case Tok::Or:
        return {bp_add, Assoc::Left};
    case Tok::Mul:
    case Tok::Div:
    case Tok::Mod:
    case Tok::And:
    case Tok::KwXor:
    case Tok::Lsh:
    case Tok::Rsh:
        return {bp_mul, Assoc::Left};
    case Tok::Pow:
        return {bp_pow, Assoc::Left};
    case Tok::Delay:
        return {bp_delay, Assoc::Left};
    case Tok::Delay1:
        return {bp_delay1, Assoc::Postfix};
    case Tok::LParen:
    case Tok::Dot:
    case Tok::LBracket:
        return {bp_postfix, Assoc::Postfix};
    default:
        return {};
    }
}

bool is_keyword(Tok k) {
    return static_cast<int>(k) >= static_cast<int>(Tok::KwXor);
}

/// The primitive a token names when used as a box (`+`, `sin`, `rdtable`...).
bool prim_of(Tok k, PrimOp& op) {
    switch (k) {
#define P(tok, prim)                                                                               \
    case Tok::tok:                                                                                 \
        op = PrimOp::prim;                                                                         \
        return true;
        P(Add, Add)
        P(Sub, Sub)
        P(Mul, Mul)
        P(Div, Div)
        P(Mod, Mod)
        // NOLINTNEXTLINE(bugprone-branch-clone): one case per token; ** and pow are both pow
        P(Pow, Pow)
        P(KwPow, Pow)
        P(Delay, Delay)
        P(And, And)
        P(Or, Or)
        P(KwXor, Xor)
        P(Lsh, Lsh)
        P(Rsh, Rsh)
        P(Lt, Lt)
        P(Le, Le)
        P(Gt, Gt)
        P(Ge, Ge)
        P(Eq, Eq)
        P(Ne, Ne)
        P(KwMem, Mem)
        P(KwPrefix, Prefix)
        P(KwInt, IntCast)
        P(KwFloat, FloatCast)
        P(KwRdtable, Rdtable)
        P(KwRwtable, Rwtable)
        P(KwSelect2, Select2)
        P(KwSelect3, Select3)
        P(KwAttach, Attach)
        P(KwEnable, Enable)
        P(KwControl, Control)
        P(KwAcos, Acos)
        P(KwAsin, Asin)
        P(KwAtan, Atan)
        P(KwAtan2, Atan2)
        P(KwCos, Cos)
        P(KwSin, Sin)
        P(KwTan, Tan)
        P(KwExp, Exp)
        P(KwLog, Log)
        P(KwLog10, Log10)
        P(KwSqrt, Sqrt)
        P(KwAbs, Abs)
        P(KwMin, Min)
        P(KwMax, Max)
        P(KwFmod, Fmod)
        P(KwRemainder, Remainder)
        P(KwFloor, Floor)
        P(KwCeil, Ceil)
        P(KwRint, Rint)
        P(KwAssertbounds, Assertbounds)
        P(KwLowest, Lowest)
        P(KwHighest, Highest)
#undef P
    default:
        return false;
    }
}

class Parser {
public:
    Parser(ParseContext& ctx, diag::FileId file, std::string_view text,
           const std::vector<Token>& toks)
        : ctx_(ctx), file_(file), src_(text), t_(toks) {
    }

    Node* parse_file(Symbol path) {
        std::vector<Node*> stmts;
        try {
            parse_statements(stmts, Tok::Eof, /*top_level=*/true);
        } catch (const TooManyErrors&) {
            ctx_.diags.add(diag::diags::too_many_errors(range_of(tok()), errors_));
        }
        Node* f = make(NodeKind::File, {loc(0), loc(std::uint32_t(src_.size()))}, stmts);
        f->name = path;
        return f;
    }

private:
    // ------------------------------------------------------------------ tokens
    const Token& tok() const {
        return t_[i_];
    }
    Tok kind() const {
        return t_[i_].kind;
    }
    Tok kind_at(std::size_t k) const {
        std::size_t j = i_ + k;
        return j < t_.size() ? t_[j].kind : Tok::Eof;
    }
    const Token& advance() {
        const Token& t = t_[i_];
        if (t.kind != Tok::Eof) {
            ++i_;
        }
        return t;
    }
    bool accept(Tok k) {
        if (kind() == k) {
            advance();
            return true;
        }
        return false;
    }
    const Token& expect(Tok k) {
        if (kind() != k) {
            fail_expected(std::string(tok_description(k)));
        }
        return advance();
    }
    const Token& prev() const {
        return t_[i_ == 0 ? 0 : i_ - 1];
    }

    diag::SourceLoc loc(std::uint32_t offset) const {
        return {file_, offset};
    }
    SourceRange range_of(const Token& t) const {
        return {loc(t.offset), loc(t.end())};
    }
    SourceRange from(const Token& first) const {
        return {loc(first.offset), loc(prev().end())};
    }
    std::string_view spelling(const Token& t) const {
        return src_.substr(t.offset, t.length);
    }

    /// "identifier 'foo'", "number '3.5'", "'+'", "end of file".
    std::string describe(const Token& t) const {
        switch (t.kind) {
        case Tok::Ident:
        case Tok::Int:
        case Tok::Float:
        case Tok::FString: {
            std::string s(tok_description(t.kind));
            return s + " '" + std::string(spelling(t)) + "'";
        }
        case Tok::String: {
            std::string_view sp = spelling(t);
            if (sp.size() > 40) {
                return "string " + std::string(sp.substr(0, 37)) + "...\"";
            }
            return "string " + std::string(sp);
        }
        default:
            return std::string(tok_description(t.kind));
        }
    }

    [[noreturn]] void fail_expected(const std::string& what) {
        if (kind() != Tok::Error) { // the lexer has already reported this one
            report(diag::diags::unexpected_token(range_of(tok()), describe(tok()), what));
        } else {
            ++errors_;
        }
        throw SyntaxError{};
    }

    void report(diag::Diag d) {
        ctx_.diags.add(std::move(d));
        ++errors_;
    }

    // ------------------------------------------------------------------ nodes
    Node* make(NodeKind k, SourceRange r, std::initializer_list<Node*> kids) {
        Node* n = ctx_.arena.make<Node>();
        n->kind = k;
        n->range = r;
        set_kids(n, kids.begin(), kids.size());
        return n;
    }
    Node* make(NodeKind k, SourceRange r, const std::vector<Node*>& kids) {
        Node* n = ctx_.arena.make<Node>();
        n->kind = k;
        n->range = r;
        set_kids(n, kids.data(), kids.size());
        return n;
    }
    void set_kids(Node* n, Node* const* kids, std::size_t count) {
        n->count = static_cast<std::uint32_t>(count);
        n->kids = ctx_.arena.make_array<Node*>(count);
        for (std::size_t i = 0; i < count; ++i) {
            n->kids[i] = kids[i];
        }
    }
    Symbol intern(std::string_view s) {
        return ctx_.interner.intern(s);
    }
    /// The text of a string token without its quotes; newlines become spaces
    /// when `fold_newlines` (labels and file names, as Faust's unquote()), and
    /// tabs too when `fold_tabs` (labels: `faust -json` writes "a\tb" as "a b").
    Symbol string_value(const Token& t, bool fold_newlines, bool fold_tabs = false) {
        std::string_view s = spelling(t);
        if (t.kind == Tok::String && s.size() >= 2) {
            s = s.substr(1, s.size() - 2);
        }
        const char* folded = fold_tabs ? "\n\r\t" : "\n\r";
        if (fold_newlines && s.find_first_of(folded) != std::string_view::npos) {
            std::string copy(s);
            for (char& c : copy) {
                if (c == '\n' || c == '\r' || (fold_tabs && c == '\t')) {
                    c = ' ';
                }
            }
            return intern(copy);
        }
        return intern(s);
    }

    struct DepthGuard {
        Parser& p;
        explicit DepthGuard(Parser& parser) : p(parser) {
            if (++p.depth_ > p.ctx_.options.max_depth) {
                --p.depth_;
                p.report(
                    diag::diags::nesting_too_deep(p.range_of(p.tok()), p.ctx_.options.max_depth));
                throw SyntaxError{};
            }
        }
        ~DepthGuard() {
            --p.depth_;
        }
        DepthGuard(const DepthGuard&) = delete;
        DepthGuard& operator=(const DepthGuard&) = delete;
    };

    // ------------------------------------------------------------------ statements
    /// Statements up to `end` (Eof for a file, '}' for an environment). At top level
    /// a syntax error skips to the end of the statement; inside braces it propagates
    /// to the enclosing top-level statement.
    void parse_statements(std::vector<Node*>& out, Tok end, bool top_level) {
        std::size_t first = out.size();
        while (kind() != end) {
            if (kind() == Tok::Eof) {
                fail_expected(std::string(tok_description(end)));
            }
            std::size_t start = i_;
            if (!top_level) {
                parse_statement(out, /*allow_all=*/true);
                continue;
            }
            try {
                parse_statement(out, /*allow_all=*/true);
            } catch (const SyntaxError&) {
                if (errors_ >= ctx_.options.max_errors) {
                    throw TooManyErrors{};
                }
                recover(start);
            }
        }
        check_definition_list(ctx_.diags,
                              std::span<Node* const>(out.data() + first, out.size() - first));
    }

    /// Skips to just after the first ';' at or after the error that is not nested
    /// deeper than the error point (brackets counted from the statement start), or
    /// past the documentation block the error is in. Like Faust's `error ENDDEF`
    /// rule, an unclosed '(' does not swallow the rest of the file.
    void recover(std::size_t start) {
        std::size_t err = i_;
        auto opens = [](Tok k) {
            return k == Tok::LParen || k == Tok::LBrace || k == Tok::LBracket;
        };
        auto closes = [](Tok k) {
            return k == Tok::RParen || k == Tok::RBrace || k == Tok::RBracket;
        };
        auto matches = [](Tok open, Tok close) {
            return (open == Tok::LParen && close == Tok::RParen) ||
                   (open == Tok::LBrace && close == Tok::RBrace) ||
                   (open == Tok::LBracket && close == Tok::RBracket);
        };
        int depth = 0;
        bool in_doc = false;
        for (std::size_t j = start; j < err && j < t_.size(); ++j) {
            Tok k = t_[j].kind;
            depth += opens(k) ? 1 : closes(k) ? -1 : 0;
            in_doc = k == Tok::DocBegin ? true : k == Tok::DocEnd ? false : in_doc;
        }
        int err_depth = depth;
        std::size_t j = err;
        if (in_doc) {
            while (j < t_.size() && t_[j].kind != Tok::Eof && t_[j].kind != Tok::DocEnd) {
                ++j;
            }
            j += (j < t_.size() && t_[j].kind == Tok::DocEnd) ? 1 : 0;
        } else {
            // First choice: the ';' at the statement's own level, reached by closing
            // every bracket still open at the error with its matching closer. If a
            // closer does not match (an unclosed '(' ... a later ']'), or there is no
            // such ';', take the first ';' not nested deeper than the error point.
            std::vector<Tok> open_stack;
            for (std::size_t q = start; q < err && q < t_.size(); ++q) {
                Tok k = t_[q].kind;
                if (opens(k)) {
                    open_stack.push_back(k);
                } else if (closes(k) && !open_stack.empty() && matches(open_stack.back(), k)) {
                    open_stack.pop_back();
                }
            }
            std::size_t at_level = 0, fallback = 0;
            bool balanced = true;
            int d = depth;
            for (std::size_t q = err; q < t_.size() && t_[q].kind != Tok::Eof; ++q) {
                Tok k = t_[q].kind;
                d += opens(k) ? 1 : closes(k) ? -1 : 0;
                if (balanced && opens(k)) {
                    open_stack.push_back(k);
                } else if (balanced && closes(k)) {
                    if (open_stack.empty() || !matches(open_stack.back(), k)) {
                        balanced = false;
                    } else {
                        open_stack.pop_back();
                    }
                }
                if (k == Tok::Semi && d <= err_depth && fallback == 0) {
                    fallback = q + 1;
                }
                if (k == Tok::Semi && balanced && open_stack.empty()) {
                    at_level = q + 1;
                    break;
                }
                if (!balanced && fallback != 0) {
                    break;
                }
            }
            j = at_level ? at_level : fallback ? fallback : t_.size() - 1;
        }
        i_ = j < t_.size() ? j : t_.size() - 1;
        depth_ = 0;
    }

    std::uint8_t parse_variants() {
        std::uint8_t mask = 0;
        for (;;) {
            switch (kind()) {
            case Tok::KwSingle:
                mask |= ast::PrecSingle;
                break;
            case Tok::KwDouble:
                mask |= ast::PrecDouble;
                break;
            case Tok::KwQuad:
                mask |= ast::PrecQuad;
                break;
            case Tok::KwFixed:
                mask |= ast::PrecFixed;
                break;
            default:
                return mask;
            }
            advance();
        }
    }

    void parse_statement(std::vector<Node*>& out, bool allow_all) {
        const Token& first = tok();
        std::uint8_t variants = parse_variants();
        switch (kind()) {
        case Tok::Ident:
            out.push_back(parse_definition(variants));
            return;
        case Tok::KwImport:
            if (allow_all) {
                advance();
                expect(Tok::LParen);
                const Token& s = expect(Tok::String);
                expect(Tok::RParen);
                expect_semi("import");
                Node* n = make(NodeKind::Import, from(first), {});
                n->name = string_value(s, true);
                out.push_back(n);
                return;
            }
            break;
        case Tok::KwDeclare:
            if (allow_all) {
                out.push_back(parse_declare());
                return;
            }
            break;
        case Tok::DocBegin:
            if (allow_all) {
                out.push_back(parse_doc());
                return;
            }
            break;
        default:
            if (!tok_spelling(kind()).empty() && is_keyword(kind()) &&
                (kind_at(1) == Tok::Def || kind_at(1) == Tok::LParen)) {
                report(diag::diags::keyword_as_name(range_of(tok()), spelling(tok())));
                throw SyntaxError{};
            }
            break;
        }
        fail_expected(allow_all ? "a definition, 'import' or 'declare'" : "a definition");
    }

    void expect_semi(std::string_view what) {
        if (kind() == Tok::Semi) {
            advance();
            return;
        }
        // Point just after the previous token: that is where the ';' is missing.
        const Token& p = prev();
        if (kind() == Tok::Error) {
            ++errors_; // already reported by the lexer
        } else if (kind() != Tok::Eof && kind() != Tok::RBrace && i_ > 0) {
            // An operator or token that cannot continue the expression.
            report(diag::diags::unexpected_token(range_of(tok()), describe(tok()),
                                                 "';' to end '" + std::string(what) + "'"));
        } else {
            report(diag::diags::missing_semicolon({loc(p.end()), loc(p.end())}, what));
        }
        throw SyntaxError{};
    }

    Node* parse_declare() {
        const Token& first = advance(); // declare
        const Token& key = expect(Tok::Ident);
        Node* fname = nullptr;
        Symbol key_sym = intern(spelling(key));
        if (kind() == Tok::Ident) {
            // declare fname key "value";  -- metadata of a definition
            const Token& k2 = advance();
            fname = make(NodeKind::Ident, range_of(key), {});
            fname->name = key_sym;
            key_sym = intern(spelling(k2));
        }
        if (kind() != Tok::String) {
            fail_expected("a string");
        }
        const Token& value = advance();
        expect_semi("declare");
        Node* n = fname ? make(NodeKind::Declare, from(first), {fname})
                        : make(NodeKind::Declare, from(first), {});
        n->name = key_sym;
        n->text = string_value(value, false);
        return n;
    }

    Node* parse_definition(std::uint8_t variants) {
        const Token& name = advance();
        std::vector<Node*> kids;
        bool has_params = false;
        if (kind() == Tok::LParen) {
            advance();
            has_params = true;
            parse_arglist(kids, Tok::RParen);
        }
        if (kind() != Tok::Def) {
            fail_expected(has_params ? "'='" : "'=' or '('");
        }
        advance();
        kids.push_back(parse_expr(0, false));
        expect_semi(spelling(name));
        Node* n = make(NodeKind::Definition, from(name), kids);
        n->name = intern(spelling(name));
        n->op = variants;
        n->flags = has_params ? 1 : 0;
        return n;
    }

    /// Definitions up to '}' (with, E[defs], letrec ... where).
    void parse_deflist(std::vector<Node*>& out) {
        std::size_t first = out.size();
        while (kind() != Tok::RBrace && kind() != Tok::RBracket) {
            if (kind() == Tok::Eof) {
                fail_expected("'}'");
            }
            parse_statement(out, /*allow_all=*/false);
        }
        check_definition_list(ctx_.diags,
                              std::span<Node* const>(out.data() + first, out.size() - first));
    }

    Node* parse_doc() {
        const Token& first = advance(); // <mdoc>
        std::vector<Node*> parts;
        for (;;) {
            const Token& t = tok();
            switch (t.kind) {
            case Tok::DocEnd: {
                advance();
                return make(NodeKind::Doc, from(first), parts);
            }
            case Tok::DocText: {
                advance();
                Node* n = make(NodeKind::DocText, range_of(t), {});
                n->text = intern(spelling(t));
                parts.push_back(n);
                break;
            }
            case Tok::DocEqnBegin:
            case Tok::DocDgmBegin: {
                advance();
                bool eqn = t.kind == Tok::DocEqnBegin;
                Node* e = parse_expr(0, false);
                expect(eqn ? Tok::DocEqnEnd : Tok::DocDgmEnd);
                parts.push_back(
                    make(eqn ? NodeKind::DocEquation : NodeKind::DocDiagram, from(t), {e}));
                break;
            }
            case Tok::DocMetaBegin: {
                advance();
                const Token& name = expect(Tok::Ident);
                expect(Tok::DocMetaEnd);
                Node* n = make(NodeKind::DocMetadata, from(t), {});
                n->name = intern(spelling(name));
                parts.push_back(n);
                break;
            }
            case Tok::DocNotice:
                advance();
                parts.push_back(make(NodeKind::DocNotice, range_of(t), {}));
                break;
            case Tok::DocListing: {
                advance();
                Node* n = make(NodeKind::DocListing, range_of(t), {});
                std::string_view s = spelling(t); // "<listing ... />"
                s.remove_prefix(8);
                s.remove_suffix(2);
                n->text = intern(s);
                parts.push_back(n);
                break;
            }
            default:
                fail_expected("'</mdoc>'");
            }
        }
    }

    // ------------------------------------------------------------------ expressions
    void parse_arglist(std::vector<Node*>& out, Tok close) {
        for (;;) {
            out.push_back(parse_expr(0, true));
            if (accept(Tok::Par)) {
                continue;
            }
            if (kind() == close) {
                advance();
                return;
            }
            fail_expected("',' or " + std::string(tok_description(close)));
        }
    }

    static NodeKind composition_kind(Tok k) {
        switch (k) {
        case Tok::Split:
            return NodeKind::Split;
        case Tok::Merge:
            return NodeKind::Merge;
        case Tok::Seq:
            return NodeKind::Seq;
        case Tok::Par:
            return NodeKind::Par;
        default:
            return NodeKind::Rec;
        }
    }

    /// Pratt loop. `arg`: stop at a top-level ',' and refuse with/letrec.
    Node* parse_expr(int min_bp, bool arg) {
        DepthGuard guard(*this);
        Node* lhs = parse_prefix();
        bool composed = false; // lhs is an "expression" (after with/letrec): no infix may follow
        for (;;) {
            Tok k = kind();
            OpInfo info = op_info(k);
            if (info.bp == 0 || info.bp < min_bp) {
                break;
            }
            if (arg && (k == Tok::Par || k == Tok::KwWith || k == Tok::KwLetrec)) {
                break;
            }
            if (composed && info.bp >= bp_compare) {
                break;
            }
            if (info.assoc == Assoc::Postfix) {
                lhs = parse_postfix(lhs);
                composed = composed || k == Tok::KwWith || k == Tok::KwLetrec;
                continue;
            }
            if (info.assoc == Assoc::Left) {
                advance();
                Node* rhs = parse_expr(info.bp + 1, arg);
                lhs = make_binary(k, lhs, rhs);
                continue;
            }
            // Right-associative chain at one level (<: :> at 20, : at 30, , at 40):
            // collect operands iteratively, then nest them to the right, so that a
            // long `a, b, c, ...` list does not recurse once per element.
            std::vector<Node*> operands{lhs};
            std::vector<Tok> ops;
            while (op_info(kind()).bp == info.bp && op_info(kind()).assoc == Assoc::Right &&
                   !(arg && kind() == Tok::Par)) {
                ops.push_back(advance().kind);
                operands.push_back(parse_expr(info.bp + 1, arg));
            }
            Node* acc = operands.back();
            for (std::size_t j = ops.size(); j-- > 0;) {
                acc = make(composition_kind(ops[j]),
                           SourceRange::join(operands[j]->range, acc->range), {operands[j], acc});
            }
            lhs = acc;
        }
        return lhs;
    }

    Node* make_binary(Tok k, Node* lhs, Node* rhs) {
        SourceRange r = SourceRange::join(lhs->range, rhs->range);
        if (k == Tok::Rec) {
            return make(NodeKind::Rec, r, {lhs, rhs});
        }
        PrimOp op{};
        prim_of(k, op);
        Node* n = make(NodeKind::Infix, r, {lhs, rhs});
        n->op = static_cast<std::uint8_t>(op);
        return n;
    }

    Node* parse_postfix(Node* lhs) {
        const Token& t = advance();
        switch (t.kind) {
        case Tok::Delay1:
            return make(NodeKind::Delay1, {lhs->range.begin, loc(t.end())}, {lhs});
        case Tok::Dot: {
            const Token& name = expect(Tok::Ident);
            Node* n = make(NodeKind::Access, {lhs->range.begin, loc(name.end())}, {lhs});
            n->name = intern(spelling(name));
            return n;
        }
        case Tok::LParen: {
            std::vector<Node*> kids{lhs};
            parse_arglist(kids, Tok::RParen);
            return make(NodeKind::Apply, {lhs->range.begin, loc(prev().end())}, kids);
        }
        case Tok::LBracket: {
            std::vector<Node*> kids{lhs};
            parse_deflist(kids);
            expect(Tok::RBracket);
            return make(NodeKind::Modify, {lhs->range.begin, loc(prev().end())}, kids);
        }
        case Tok::KwWith: {
            expect(Tok::LBrace);
            std::vector<Node*> kids{lhs};
            parse_deflist(kids);
            expect(Tok::RBrace);
            return make(NodeKind::With, {lhs->range.begin, loc(prev().end())}, kids);
        }
        case Tok::KwLetrec:
            return parse_letrec(lhs);
        default:
            fail_expected("an operator");
        }
    }

    Node* parse_letrec(Node* lhs) {
        expect(Tok::LBrace);
        std::vector<Node*> kids{lhs};
        std::size_t first = kids.size();
        while (kind() == Tok::Delay1) {
            const Token& q = advance();
            const Token& name = expect(Tok::Ident);
            expect(Tok::Def);
            Node* body = parse_expr(0, false);
            expect_semi(spelling(name));
            Node* n = make(NodeKind::RecDef, from(q), {body});
            n->name = intern(spelling(name));
            kids.push_back(n);
        }
        std::uint16_t nrec = static_cast<std::uint16_t>(kids.size() - first);
        check_definition_list(ctx_.diags, std::span<Node* const>(kids.data() + first, nrec));
        if (accept(Tok::KwWhere)) {
            parse_deflist(kids);
        } else if (kind() != Tok::RBrace) {
            fail_expected("a letrec equation ('x = ...;), 'where' or '}'");
        }
        expect(Tok::RBrace);
        Node* n = make(NodeKind::Letrec, {lhs->range.begin, loc(prev().end())}, kids);
        n->flags = nrec;
        return n;
    }

    Node* leaf(NodeKind k, const Token& t) {
        return make(k, range_of(t), {});
    }

    Node* parse_prefix() {
        const Token& t = tok();
        PrimOp op{};
        switch (t.kind) {
        case Tok::Int: {
            advance();
            Node* n = leaf(NodeKind::Int, t);
            n->ival = t.ival;
            return n;
        }
        case Tok::Float: {
            advance();
            Node* n = leaf(NodeKind::Real, t);
            n->rval = t.rval;
            return n;
        }
        case Tok::Add:
        case Tok::Sub: {
            Tok next = kind_at(1);
            bool neg = t.kind == Tok::Sub;
            if (next == Tok::Int || next == Tok::Float) {
                advance();
                const Token& num = advance();
                if (next == Tok::Int) {
                    Node* n = make(NodeKind::Int, from(t), {});
                    std::uint32_t u = static_cast<std::uint32_t>(num.ival);
                    n->ival = static_cast<std::int32_t>(neg ? 0u - u : u);
                    return n;
                }
                Node* n = make(NodeKind::Real, from(t), {});
                n->rval = neg ? -num.rval : num.rval;
                return n;
            }
            if (neg && next == Tok::Ident) {
                advance();
                const Token& id = advance();
                Node* x = leaf(NodeKind::Ident, id);
                x->name = intern(spelling(id));
                return make(NodeKind::Neg, from(t), {x});
            }
            advance();
            Node* n = leaf(NodeKind::Prim, t);
            n->op = static_cast<std::uint8_t>(neg ? PrimOp::Sub : PrimOp::Add);
            return n;
        }
        case Tok::Wire:
            advance();
            return leaf(NodeKind::Wire, t);
        case Tok::Cut:
            advance();
            return leaf(NodeKind::Cut, t);
        case Tok::Ident: {
            advance();
            Node* n = leaf(NodeKind::Ident, t);
            n->name = intern(spelling(t));
            return n;
        }
        case Tok::LParen: {
            advance();
            Node* e = parse_expr(0, false);
            expect(Tok::RParen);
            return e;
        }
        case Tok::Lambda:
            return parse_lambda();
        case Tok::KwCase:
            return parse_case();
        case Tok::KwFfunction:
            return parse_ffunction();
        case Tok::KwFconstant:
        case Tok::KwFvariable:
            return parse_fconst();
        case Tok::KwComponent:
        case Tok::KwLibrary: {
            advance();
            expect(Tok::LParen);
            const Token& s = expect(Tok::String);
            expect(Tok::RParen);
            Node* n = make(t.kind == Tok::KwComponent ? NodeKind::Component : NodeKind::Library,
                           from(t), {});
            n->name = string_value(s, true);
            return n;
        }
        case Tok::KwEnvironment: {
            advance();
            expect(Tok::LBrace);
            std::vector<Node*> stmts;
            parse_statements(stmts, Tok::RBrace, /*top_level=*/false);
            expect(Tok::RBrace);
            return make(NodeKind::Environment, from(t), stmts);
        }
        case Tok::KwWaveform:
            return parse_waveform();
        case Tok::KwRoute: {
            advance();
            expect(Tok::LParen);
            std::vector<Node*> kids;
            kids.push_back(parse_expr(0, true));
            expect(Tok::Par);
            kids.push_back(parse_expr(0, true));
            if (accept(Tok::Par)) {
                kids.push_back(parse_expr(0, false));
            }
            expect(Tok::RParen);
            return make(NodeKind::Route, from(t), kids);
        }
        case Tok::KwInputs:
        case Tok::KwOutputs: {
            advance();
            expect(Tok::LParen);
            Node* e = parse_expr(0, false);
            expect(Tok::RParen);
            return make(t.kind == Tok::KwInputs ? NodeKind::Inputs : NodeKind::Outputs, from(t),
                        {e});
        }
        case Tok::KwButton:
        case Tok::KwCheckbox:
            return parse_widget(t.kind == Tok::KwButton ? NodeKind::Button : NodeKind::Checkbox, 0,
                                false);
        case Tok::KwVslider:
            return parse_widget(NodeKind::VSlider, 4, false);
        case Tok::KwHslider:
            return parse_widget(NodeKind::HSlider, 4, false);
        case Tok::KwNentry:
            return parse_widget(NodeKind::NEntry, 4, false);
        case Tok::KwVbargraph:
            return parse_widget(NodeKind::VBargraph, 2, false);
        case Tok::KwHbargraph:
            return parse_widget(NodeKind::HBargraph, 2, false);
        case Tok::KwSoundfile:
            return parse_widget(NodeKind::Soundfile, 1, false);
        case Tok::KwVgroup:
            return parse_widget(NodeKind::VGroup, 1, true);
        case Tok::KwHgroup:
            return parse_widget(NodeKind::HGroup, 1, true);
        case Tok::KwTgroup:
            return parse_widget(NodeKind::TGroup, 1, true);
        case Tok::KwPar:
        case Tok::KwSeq:
        case Tok::KwSum:
        case Tok::KwProd:
            return parse_iteration();
        default:
            if (prim_of(t.kind, op)) {
                advance();
                Node* n = leaf(NodeKind::Prim, t);
                n->op = static_cast<std::uint8_t>(op);
                return n;
            }
            fail_expected("an expression");
        }
    }

    Node* parse_lambda() {
        const Token& first = advance(); // backslash
        expect(Tok::LParen);
        std::vector<Node*> kids;
        for (;;) {
            const Token& p = expect(Tok::Ident);
            Node* id = leaf(NodeKind::Ident, p);
            id->name = intern(spelling(p));
            kids.push_back(id);
            if (accept(Tok::Par)) {
                continue;
            }
            if (kind() == Tok::RParen) {
                advance();
                break;
            }
            fail_expected("',' or ')'");
        }
        expect(Tok::Dot);
        expect(Tok::LParen);
        kids.push_back(parse_expr(0, false));
        expect(Tok::RParen);
        return make(NodeKind::Lambda, from(first), kids);
    }

    Node* parse_case() {
        const Token& first = advance(); // case
        expect(Tok::LBrace);
        std::vector<Node*> rules;
        std::uint32_t arity = 0;
        do {
            const Token& r = tok();
            if (r.kind != Tok::LParen) {
                fail_expected(rules.empty() ? "'(' to start a rule" : "'(' to start a rule or '}'");
            }
            advance();
            std::vector<Node*> kids;
            parse_arglist(kids, Tok::RParen);
            std::uint32_t n_patterns = static_cast<std::uint32_t>(kids.size());
            expect(Tok::Arrow);
            kids.push_back(parse_expr(0, false));
            expect_semi("case rule");
            Node* rule = make(NodeKind::Rule, from(r), kids);
            if (rules.empty()) {
                arity = n_patterns;
            } else if (n_patterns != arity) {
                report(diag::diags::inconsistent_case_arity(rule->range, n_patterns, arity));
            }
            rules.push_back(rule);
        } while (kind() != Tok::RBrace);
        advance();
        return make(NodeKind::Case, from(first), rules);
    }

    bool parse_value_type(std::uint8_t& out) {
        switch (kind()) {
        case Tok::KwInt:
            out = static_cast<std::uint8_t>(ast::ValueType::Int);
            break;
        case Tok::KwFloat:
            out = static_cast<std::uint8_t>(ast::ValueType::Float);
            break;
        case Tok::KwAny:
            out = static_cast<std::uint8_t>(ast::ValueType::Any);
            break;
        default:
            return false;
        }
        advance();
        return true;
    }

    Node* parse_ffunction() {
        const Token& first = advance(); // ffunction
        expect(Tok::LParen);
        std::uint8_t result = 0;
        if (!parse_value_type(result)) {
            fail_expected("a type ('int', 'float' or 'any')");
        }
        std::vector<Node*> kids;
        for (;;) {
            const Token& name = expect(Tok::Ident);
            Node* id = leaf(NodeKind::Ident, name);
            id->name = intern(spelling(name));
            kids.push_back(id);
            if (kind() != Tok::Or) {
                break;
            }
            if (kids.size() == 3) {
                report(diag::diags::too_many_ffunction_names(range_of(tok())));
                throw SyntaxError{};
            }
            advance();
        }
        std::uint16_t names = static_cast<std::uint16_t>(kids.size());
        expect(Tok::LParen);
        if (kind() != Tok::RParen) {
            for (;;) {
                const Token& tt = tok();
                std::uint8_t ty = 0;
                if (!parse_value_type(ty)) {
                    fail_expected("a type ('int', 'float' or 'any')");
                }
                Node* tn = leaf(NodeKind::Type, tt);
                tn->op = ty;
                kids.push_back(tn);
                if (!accept(Tok::Par)) {
                    break;
                }
            }
        }
        expect(Tok::RParen);
        expect(Tok::Par);
        if (kind() != Tok::String && kind() != Tok::FString) {
            fail_expected("an include file (\"file.h\" or <file.h>)");
        }
        const Token& inc = advance();
        expect(Tok::Par);
        const Token& lib = expect(Tok::String);
        expect(Tok::RParen);
        Node* n = make(NodeKind::FFunction, from(first), kids);
        n->op = result;
        n->flags = names;
        n->text = intern(spelling(inc));
        n->name = string_value(lib, false);
        return n;
    }

    Node* parse_fconst() {
        const Token& first = advance(); // fconstant / fvariable
        expect(Tok::LParen);
        std::uint8_t ty = 0;
        if (!parse_value_type(ty)) {
            fail_expected("a type ('int', 'float' or 'any')");
        }
        const Token& name = expect(Tok::Ident);
        expect(Tok::Par);
        if (kind() != Tok::String && kind() != Tok::FString) {
            fail_expected("an include file (\"file.h\" or <file.h>)");
        }
        const Token& inc = advance();
        expect(Tok::RParen);
        Node* n = make(first.kind == Tok::KwFconstant ? NodeKind::FConstant : NodeKind::FVariable,
                       from(first), {});
        n->op = ty;
        n->name = intern(spelling(name));
        n->text = intern(spelling(inc));
        return n;
    }

    /// label-first forms: button("l"), hslider("l", a, b, c, d), hgroup("l", expr)...
    Node* parse_widget(NodeKind k, int nargs, bool body_is_expression) {
        const Token& first = advance();
        expect(Tok::LParen);
        const Token& label = expect(Tok::String);
        std::vector<Node*> kids;
        for (int a = 0; a < nargs; ++a) {
            expect(Tok::Par);
            kids.push_back(parse_expr(0, !body_is_expression));
        }
        expect(Tok::RParen);
        Node* n = make(k, from(first), kids);
        n->name = string_value(label, true, true);
        return n;
    }

    Node* parse_iteration() {
        const Token& first = advance();
        ast::IterKind ik = first.kind == Tok::KwPar   ? ast::IterKind::Par
                           : first.kind == Tok::KwSeq ? ast::IterKind::Seq
                           : first.kind == Tok::KwSum ? ast::IterKind::Sum
                                                      : ast::IterKind::Prod;
        expect(Tok::LParen);
        const Token& var = expect(Tok::Ident);
        Node* v = leaf(NodeKind::Ident, var);
        v->name = intern(spelling(var));
        expect(Tok::Par);
        Node* count = parse_expr(0, true);
        expect(Tok::Par);
        Node* body = parse_expr(0, false);
        expect(Tok::RParen);
        Node* n = make(NodeKind::Iter, from(first), {v, count, body});
        n->op = static_cast<std::uint8_t>(ik);
        return n;
    }

    Node* parse_waveform() {
        const Token& first = advance(); // waveform
        expect(Tok::LBrace);
        std::vector<Node*> values;
        for (;;) {
            const Token& t = tok();
            bool neg = false;
            if (t.kind == Tok::Add || t.kind == Tok::Sub) {
                neg = t.kind == Tok::Sub;
                advance();
            }
            const Token& num = tok();
            if (num.kind == Tok::Int) {
                advance();
                Node* n = make(NodeKind::Int, from(t), {});
                std::uint32_t u = static_cast<std::uint32_t>(num.ival);
                n->ival = static_cast<std::int32_t>(neg ? 0u - u : u);
                values.push_back(n);
            } else if (num.kind == Tok::Float) {
                advance();
                Node* n = make(NodeKind::Real, from(t), {});
                n->rval = neg ? -num.rval : num.rval;
                values.push_back(n);
            } else {
                fail_expected("a number (waveform values are numeric literals)");
            }
            if (accept(Tok::Par)) {
                continue;
            }
            if (kind() == Tok::RBrace) {
                advance();
                break;
            }
            fail_expected("',' or '}'");
        }
        return make(NodeKind::Waveform, from(first), values);
    }

    ParseContext& ctx_;
    diag::FileId file_;
    std::string_view src_;
    const std::vector<Token>& t_;
    std::size_t i_ = 0;
    std::uint32_t depth_ = 0;
    std::uint32_t errors_ = 0;
};

} // namespace

ast::Node* parse_tokens(ParseContext& ctx, diag::FileId file, std::string_view text,
                        const std::vector<Token>& tokens, Symbol path) {
    Parser p(ctx, file, text, tokens);
    return p.parse_file(path);
}

ast::Node* parse_source(ParseContext& ctx, diag::FileId file, std::string_view text, Symbol path) {
    std::vector<Token> toks = lex(text, file, ctx.diags);
    return parse_tokens(ctx, file, text, toks, path);
}

} // namespace tutti::frontend
