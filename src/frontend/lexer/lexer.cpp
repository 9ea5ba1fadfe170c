// SPDX-License-Identifier: MIT
#include "frontend/lexer/lexer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace tutti::frontend {

namespace {

struct TokInfo {
    std::string_view description;
    std::string_view spelling;
};

constexpr TokInfo tok_infos[] = {
#define TOK(kind, desc) {desc, {}},
#define PUNCT(kind, spelling) {"'" spelling "'", spelling},
#define KEYWORD(kind, spelling) {"'" spelling "'", spelling},
#include "frontend/lexer/token_kinds.def"
};
static_assert(sizeof(tok_infos) / sizeof(tok_infos[0]) == std::size_t(Tok::Count));

struct Keyword {
    std::string_view spelling;
    Tok kind;
};

constexpr Keyword keyword_list[] = {
#define KEYWORD(kind, spelling) {spelling, Tok::kind},
#include "frontend/lexer/token_kinds.def"
};

constexpr std::size_t keyword_count = sizeof(keyword_list) / sizeof(keyword_list[0]);

std::array<Keyword, keyword_count> sorted_keywords() {
    std::array<Keyword, keyword_count> a{};
    std::copy(std::begin(keyword_list), std::end(keyword_list), a.begin());
    std::sort(a.begin(), a.end(),
              [](const Keyword& x, const Keyword& y) { return x.spelling < y.spelling; });
    return a;
}

struct Punct {
    std::string_view spelling;
    Tok kind = Tok::Eof;
};

constexpr Punct punct_list[] = {
#define PUNCT(kind, spelling) {spelling, Tok::kind},
#include "frontend/lexer/token_kinds.def"
    {"+>", Tok::Merge}, // the other spelling of :>
};

/// For each first character, the punctuation starting with it, longest first.
using PunctTable = std::array<std::array<Punct, 4>, 128>;

PunctTable build_punct_table() {
    PunctTable t{};
    for (const Punct& p : punct_list) {
        auto& row = t[static_cast<unsigned char>(p.spelling[0])];
        std::size_t i = 0;
        while (!row[i].spelling.empty()) {
            ++i;
        }
        row[i] = p;
        std::sort(row.begin(), row.begin() + long(i) + 1, [](const Punct& x, const Punct& y) {
            return x.spelling.size() > y.spelling.size();
        });
    }
    return t;
}

inline bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
inline bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool is_ident_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '_';
}

class Lexer {
public:
    Lexer(std::string_view text, diag::FileId file, diag::DiagnosticList& diags)
        : s_(text), file_(file), diags_(diags) {
    }

    std::vector<Token> run() {
        toks_.reserve(s_.size() / 4 + 16);
        while (!stop_) {
            if (mode_ == Mode::Doc) {
                lex_doc();
            } else {
                lex_code();
            }
        }
        Token eof;
        eof.kind = Tok::Eof;
        eof.offset = static_cast<std::uint32_t>(s_.size());
        eof.length = 0;
        toks_.push_back(eof);
        return std::move(toks_);
    }

private:
    enum class Mode { Code, Doc, DocCode };

    diag::SourceRange range(std::size_t b, std::size_t e) const {
        return {{file_, static_cast<std::uint32_t>(b)}, {file_, static_cast<std::uint32_t>(e)}};
    }

    void push(Tok k, std::size_t b, std::size_t e) {
        Token t;
        t.kind = k;
        t.offset = static_cast<std::uint32_t>(b);
        t.length = static_cast<std::uint32_t>(e - b);
        toks_.push_back(t);
    }

    bool starts(std::size_t at, std::string_view w) const {
        return s_.compare(at, w.size(), w) == 0;
    }

    // ---- documentation mode: text up to the next tag ----
    void lex_doc() {
        std::size_t text_begin = p_;
        while (p_ < s_.size()) {
            if (s_[p_] == '<') {
                struct Tag {
                    std::string_view text;
                    Tok kind;
                    Mode next;
                };
                static constexpr Tag tags[] = {
                    {"</mdoc>", Tok::DocEnd, Mode::Code},
                    {"<equation>", Tok::DocEqnBegin, Mode::DocCode},
                    {"<diagram>", Tok::DocDgmBegin, Mode::DocCode},
                    {"<metadata>", Tok::DocMetaBegin, Mode::DocCode},
                    {"<notice/>", Tok::DocNotice, Mode::Doc},
                    {"<notice />", Tok::DocNotice, Mode::Doc},
                };
                for (const Tag& t : tags) {
                    if (starts(p_, t.text)) {
                        if (p_ > text_begin) {
                            push(Tok::DocText, text_begin, p_);
                        }
                        push(t.kind, p_, p_ + t.text.size());
                        p_ += t.text.size();
                        mode_ = t.next;
                        return;
                    }
                }
                if (starts(p_, "<listing")) {
                    if (p_ > text_begin) {
                        push(Tok::DocText, text_begin, p_);
                    }
                    std::size_t close = s_.find("/>", p_);
                    if (close == std::string_view::npos) {
                        diags_.add(diag::diags::unterminated_doc_tag(range(p_, p_ + 8), "listing"));
                        push(Tok::Error, p_, s_.size());
                        stop_ = true;
                        return;
                    }
                    push(Tok::DocListing, p_, close + 2);
                    p_ = close + 2;
                    return;
                }
            }
            ++p_;
        }
        diags_.add(diag::diags::unterminated_doc(range(doc_begin_, doc_begin_ + 6)));
        push(Tok::Error, s_.size(), s_.size());
        stop_ = true;
    }

    // ---- code: one token (or skip whitespace/comments) ----
    void lex_code() {
        // whitespace and comments
        for (;;) {
            if (p_ >= s_.size()) {
                if (mode_ == Mode::DocCode) {
                    diags_.add(diag::diags::unterminated_doc(range(doc_begin_, doc_begin_ + 6)));
                    push(Tok::Error, s_.size(), s_.size());
                }
                stop_ = true;
                return;
            }
            char c = s_[p_];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                ++p_;
            } else if (c == '/' && p_ + 1 < s_.size() && s_[p_ + 1] == '/') {
                std::size_t nl = s_.find_first_of("\n\r", p_);
                p_ = nl == std::string_view::npos ? s_.size() : nl;
            } else if (c == '/' && p_ + 1 < s_.size() && s_[p_ + 1] == '*') {
                std::size_t close = s_.find("*/", p_ + 2);
                if (close == std::string_view::npos) {
                    diags_.add(diag::diags::unterminated_comment(range(p_, p_ + 2)));
                    push(Tok::Error, p_, s_.size());
                    stop_ = true;
                    return;
                }
                p_ = close + 2;
            } else {
                break;
            }
        }

        std::size_t b = p_;
        char c = s_[p_];
        if (is_digit(c) || (c == '.' && p_ + 1 < s_.size() && is_digit(s_[p_ + 1]))) {
            lex_number();
            return;
        }
        if (is_alpha(c) || c == '_' || starts(p_, "::")) {
            if (lex_identifier()) {
                return;
            }
            p_ = b;
        }
        if (c == '"') {
            lex_string();
            return;
        }
        if (c == '<') {
            lex_less();
            return;
        }
        if (match_punct()) {
            return;
        }
        // Invalid character: report it (a whole UTF-8 sequence at once) and skip it.
        std::size_t e = p_ + 1;
        auto uc = static_cast<unsigned char>(c);
        if (uc >= 0xC0) {
            while (e < s_.size() && (static_cast<unsigned char>(s_[e]) & 0xC0) == 0x80) {
                ++e;
            }
        }
        std::string shown;
        if (uc >= 0x20 && uc < 0x7F) {
            shown = "'" + std::string(1, c) + "'";
        } else {
            char buf[16];
            std::snprintf(buf, sizeof buf, "0x%02X", uc);
            shown = buf;
            if (uc >= 0xC0) {
                shown = "'" + std::string(s_.substr(p_, e - p_)) + "' (" + shown + "...)";
            }
        }
        diags_.add(diag::diags::invalid_character(range(p_, e), shown));
        push(Tok::Error, p_, e); // the parser stays silent on it: one error, not two
        p_ = e;
    }

    void punct(Tok k, std::size_t n) {
        push(k, p_, p_ + n);
        p_ += n;
    }

    /// Operators and punctuation (token_kinds.def, plus `+>` for `:>`), longest
    /// match first. `<`, `/`, `.` and `_` forms that start other tokens were tried
    /// before this.
    bool match_punct() {
        static const PunctTable table = build_punct_table();
        auto c = static_cast<unsigned char>(s_[p_]);
        if (c >= 128) {
            return false;
        }
        for (const Punct& pu : table[c]) {
            if (pu.spelling.empty()) {
                break;
            }
            if (starts(p_, pu.spelling)) {
                punct(pu.kind, pu.spelling.size());
                return true;
            }
        }
        return false;
    }

    // `<` starts: <mdoc>, closing doc tags, a <file.h> name, <:, <<, <=, <.
    void lex_less() {
        if (starts(p_, "<mdoc>")) {
            push(Tok::DocBegin, p_, p_ + 6);
            doc_begin_ = p_;
            p_ += 6;
            mode_ = Mode::Doc;
            return;
        }
        if (mode_ == Mode::DocCode) {
            static constexpr std::pair<std::string_view, Tok> closers[] = {
                {"</equation>", Tok::DocEqnEnd},
                {"</diagram>", Tok::DocDgmEnd},
                {"</metadata>", Tok::DocMetaEnd},
            };
            for (const auto& [text, kind] : closers) {
                if (starts(p_, text)) {
                    push(kind, p_, p_ + text.size());
                    p_ += text.size();
                    mode_ = Mode::Doc;
                    return;
                }
            }
        }
        // FSTRING: "<" LETTER* ("." LETTER)? ">"  (flex longest match: a<b>c is a file name)
        std::size_t q = p_ + 1;
        while (q < s_.size() && is_alpha(s_[q])) {
            ++q;
        }
        if (q < s_.size() && s_[q] == '>') {
            push(Tok::FString, p_, q + 1);
            p_ = q + 1;
            return;
        }
        if (q + 2 < s_.size() && s_[q] == '.' && is_alpha(s_[q + 1]) && s_[q + 2] == '>') {
            push(Tok::FString, p_, q + 3);
            p_ = q + 3;
            return;
        }
        if (starts(p_, "<:")) {
            return punct(Tok::Split, 2);
        }
        if (starts(p_, "<<")) {
            return punct(Tok::Lsh, 2);
        }
        if (starts(p_, "<=")) {
            return punct(Tok::Le, 2);
        }
        punct(Tok::Lt, 1);
    }

    void lex_string() {
        std::size_t close = s_.find('"', p_ + 1);
        if (close == std::string_view::npos) {
            diags_.add(diag::diags::unterminated_string(range(p_, p_ + 1)));
            push(Tok::Error, p_, s_.size()); // keeps the parser from reporting it again
            stop_ = true;
            return;
        }
        push(Tok::String, p_, close + 1);
        p_ = close + 1;
    }

    /// True when an ID (`_*[a-zA-Z]...`) starts at `at`.
    bool id_starts_at(std::size_t at) const {
        while (at < s_.size() && s_[at] == '_') {
            ++at;
        }
        return at < s_.size() && is_alpha(s_[at]);
    }

    // ID: _*[a-zA-Z][_a-zA-Z0-9]*, joined by "::", optionally with a leading "::".
    bool lex_identifier() {
        std::size_t b = p_;
        bool qualified = false;
        if (starts(p_, "::")) {
            if (!id_starts_at(p_ + 2)) {
                return false;
            }
            p_ += 2;
            qualified = true;
        }
        if (!id_starts_at(p_)) {
            return false; // underscores alone are wires
        }
        for (;;) {
            while (p_ < s_.size() && is_ident_char(s_[p_])) {
                ++p_;
            }
            if (starts(p_, "::") && id_starts_at(p_ + 2)) {
                p_ += 2;
                qualified = true;
                continue;
            }
            break;
        }
        std::string_view word = s_.substr(b, p_ - b);
        Tok k = qualified ? Tok::Ident : keyword_kind(word);
        push(k, b, p_);
        return true;
    }

    void lex_number() {
        std::size_t b = p_;
        bool is_float = false;
        while (p_ < s_.size() && is_digit(s_[p_])) {
            ++p_;
        }
        if (p_ < s_.size() && s_[p_] == '.') {
            is_float = true;
            ++p_;
            while (p_ < s_.size() && is_digit(s_[p_])) {
                ++p_;
            }
        }
        std::size_t mantissa_end = p_;
        if (p_ < s_.size() && s_[p_] == 'e') {
            std::size_t q = p_ + 1;
            if (q < s_.size() && (s_[q] == '+' || s_[q] == '-')) {
                ++q;
            }
            if (q < s_.size() && is_digit(s_[q])) {
                while (q < s_.size() && is_digit(s_[q])) {
                    ++q;
                }
                p_ = q;
                is_float = true;
                mantissa_end = p_;
            }
        } else if (p_ < s_.size() && s_[p_] == 'E') {
            std::size_t q = p_ + 1;
            if (q < s_.size() && (s_[q] == '+' || s_[q] == '-')) {
                ++q;
            }
            if (q < s_.size() && is_digit(s_[q])) {
                while (q < s_.size() && is_digit(s_[q])) {
                    ++q;
                }
                // Faust rejects 1E3; say why, then read it as 1e3 so parsing goes on.
                diags_.add(diag::diags::uppercase_exponent(range(b, q)));
                std::string lower(s_.substr(b, q - b));
                for (char& ch : lower) {
                    ch = ch == 'E' ? 'e' : ch;
                }
                Token t;
                t.kind = Tok::Float;
                t.offset = static_cast<std::uint32_t>(b);
                t.length = static_cast<std::uint32_t>(q - b);
                std::from_chars(lower.data(), lower.data() + lower.size(), t.rval);
                toks_.push_back(t);
                p_ = q;
                return;
            }
        }
        if (p_ < s_.size() && s_[p_] == 'f') {
            is_float = true;
            ++p_;
        }
        Token t;
        t.offset = static_cast<std::uint32_t>(b);
        t.length = static_cast<std::uint32_t>(p_ - b);
        if (is_float) {
            t.kind = Tok::Float;
            double v = 0;
            const char* first = s_.data() + b;
            const char* last = s_.data() + mantissa_end;
            auto res = std::from_chars(first, last, v);
            if (res.ec == std::errc::result_out_of_range) {
                // atof semantics: overflow gives infinity, underflow zero
                v = std::string_view(first, size_t(last - first)).find("e-") !=
                            std::string_view::npos
                        ? 0.0
                        : HUGE_VAL;
            }
            t.rval = v;
        } else {
            t.kind = Tok::Int;
            std::uint32_t v = 0; // Faust's str2int: wraps silently past 2^31
            for (std::size_t i = b; i < p_; ++i) {
                v = v * 10u + std::uint32_t(s_[i] - '0');
            }
            t.ival = static_cast<std::int32_t>(v);
        }
        toks_.push_back(t);
    }

    std::string_view s_;
    diag::FileId file_;
    diag::DiagnosticList& diags_;
    std::vector<Token> toks_;
    std::size_t p_ = 0;
    std::size_t doc_begin_ = 0;
    Mode mode_ = Mode::Code;
    bool stop_ = false;
};

} // namespace

std::string_view tok_description(Tok t) {
    return tok_infos[std::size_t(t)].description;
}

std::string_view tok_spelling(Tok t) {
    return tok_infos[std::size_t(t)].spelling;
}

Tok keyword_kind(std::string_view word) {
    static const std::array<Keyword, keyword_count> table = sorted_keywords();
    auto it = std::lower_bound(table.begin(), table.end(), word,
                               [](const Keyword& k, std::string_view w) { return k.spelling < w; });
    if (it != table.end() && it->spelling == word) {
        return it->kind;
    }
    return Tok::Ident;
}

std::vector<Token> lex(std::string_view text, diag::FileId file, diag::DiagnosticList& diags) {
    return Lexer(text, file, diags).run();
}

} // namespace tutti::frontend
