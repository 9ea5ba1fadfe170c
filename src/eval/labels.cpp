// SPDX-License-Identifier: MIT
// `%` substitution in labels, as Faust 2.54.9's evalLabel does it (checked
// against the installed faust):
//   %i, %{i}    the value of the identifier i (int, truncated) in the lexical environment
//   %2i, %2{i}  printed with printf width min(2, 4): "%2i" of 0 is " 0"
//   a `%` not followed by a format and an identifier stays as is ("100%", "%%", "%-i")
//   an unclosed or non-identifier brace ("%{i", "%{ i }") ends the label at the '%'.
#include <cstdio>

#include "eval/evaluator.h"

namespace tutti::eval {

namespace {
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}
} // namespace

Symbol Evaluator::eval_label(Symbol label, const Env* env, const ast::Node* at) {
    std::string_view src = label.str();
    if (src.find('%') == std::string_view::npos) {
        return label;
    }
    std::string out, ident, format;
    auto write_value = [&] {
        Entry* e = env != nullptr ? env->lookup(session_.interner().intern(ident)) : nullptr;
        if (e == nullptr) {
            fail(diag::diags::undefined_symbol(at->range, ident));
        }
        Value v = force(e, at);
        const boxes::Box* b = to_box(v, at->range);
        std::string what = "the label variable '" + ident + "'";
        if (b->inputs != 0 || b->outputs != 1) {
            fail(diag::diags::not_a_constant_arity(at->range, what, b->inputs, b->outputs));
        }
        MaybeNum n = numeric(b);
        if (!n) {
            fail(diag::diags::not_a_constant(at->range, what));
        }
        int width = std::atoi(format.c_str());
        width = width < 0 ? 0 : width > 4 ? 4 : width;
        char buf[32];
        if (width == 0) {
            std::snprintf(buf, sizeof buf, "%d", n->to_int());
        } else {
            std::snprintf(buf, sizeof buf, "%*d", width, n->to_int());
        }
        out += buf;
    };
    enum { Text, Format, Ident, Braced } state = Text;
    std::size_t k = 0;
    while (k <= src.size()) {
        char c = k < src.size() ? src[k] : '\0';
        switch (state) {
        case Text:
            if (c == '\0') {
                return session_.interner().intern(out);
            }
            if (c == '%') {
                ident.clear();
                format.clear();
                state = Format;
            } else {
                out += c;
            }
            ++k;
            break;
        case Format:
            if (c == '\0') {
                out += '%' + format;
                return session_.interner().intern(out);
            }
            if (is_digit(c)) {
                format += c;
                ++k;
            } else if (c == '{') {
                state = Braced;
                ++k;
            } else if (is_ident_char(c)) {
                ident += c;
                state = Ident;
                ++k;
            } else {
                out += '%' + format; // not a substitution: read c again as text
                state = Text;
            }
            break;
        case Ident:
            if (c != '\0' && is_ident_char(c)) {
                ident += c;
                ++k;
            } else {
                write_value();
                state = Text; // read c again as text
            }
            break;
        case Braced:
            if (c != '\0' && is_ident_char(c)) {
                ident += c;
                ++k;
            } else if (c == '}') {
                write_value();
                state = Text;
                ++k;
            } else {
                out += '%' + format; // Faust abandons the rest of the label here
                return session_.interner().intern(out);
            }
            break;
        }
    }
    return session_.interner().intern(out);
}

} // namespace tutti::eval
