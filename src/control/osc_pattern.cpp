// SPDX-License-Identifier: MIT
#include "control/osc_pattern.h"

#include <string>
#include <vector>

namespace tutti::control {

namespace {

/// The pattern is matched token by token over the set of positions in the
/// name that the tokens so far can end at (no recursion, no exponential
/// backtracking): O(tokens x name length x alternative length).
struct Token {
    enum class Kind { Char, One, Star, Set, Alt } kind = Kind::Char;
    char c = 0;
    bool negate = false;
    std::string set;                    ///< Set: the expanded characters
    std::vector<std::string_view> alts; ///< Alt
};

constexpr std::size_t max_pattern = 1024;
constexpr std::size_t max_name = 4096;

bool tokenize(std::string_view p, std::vector<Token>& out) {
    for (std::size_t i = 0; i < p.size(); ++i) {
        Token t;
        char c = p[i];
        if (c == '?') {
            t.kind = Token::Kind::One;
        } else if (c == '*') {
            if (!out.empty() && out.back().kind == Token::Kind::Star) {
                continue; // '**' is '*'
            }
            t.kind = Token::Kind::Star;
        } else if (c == '[') {
            std::size_t close = p.find(']', i + 1);
            if (close == std::string_view::npos) {
                return false; // unbalanced: matches nothing
            }
            std::string_view body = p.substr(i + 1, close - i - 1);
            t.kind = Token::Kind::Set;
            if (!body.empty() && body[0] == '!') {
                t.negate = true;
                body.remove_prefix(1);
            }
            for (std::size_t k = 0; k < body.size(); ++k) {
                if (k + 2 < body.size() && body[k + 1] == '-') {
                    unsigned char lo = static_cast<unsigned char>(body[k]);
                    unsigned char hi = static_cast<unsigned char>(body[k + 2]);
                    if (lo > hi) {
                        std::swap(lo, hi);
                    }
                    for (unsigned x = lo; x <= hi; ++x) {
                        t.set += static_cast<char>(x);
                    }
                    k += 2;
                } else {
                    t.set += body[k];
                }
            }
            i = close;
        } else if (c == '{') {
            std::size_t close = p.find('}', i + 1);
            if (close == std::string_view::npos) {
                return false;
            }
            std::string_view body = p.substr(i + 1, close - i - 1);
            t.kind = Token::Kind::Alt;
            std::size_t start = 0;
            for (std::size_t k = 0; k <= body.size(); ++k) {
                if (k == body.size() || body[k] == ',') {
                    t.alts.push_back(body.substr(start, k - start));
                    start = k + 1;
                }
            }
            i = close;
        } else if (c == ']' || c == '}') {
            return false;
        } else {
            t.c = c;
        }
        out.push_back(std::move(t));
    }
    return true;
}

} // namespace

bool is_pattern(std::string_view segment) {
    return segment.find_first_of("*?[]{}") != std::string_view::npos;
}

bool match_segment(std::string_view pattern, std::string_view name) {
    if (pattern.size() > max_pattern || name.size() > max_name) {
        return false;
    }
    if (!is_pattern(pattern)) {
        return pattern == name;
    }
    std::vector<Token> tokens;
    if (!tokenize(pattern, tokens)) {
        return false;
    }
    const std::size_t n = name.size();
    std::vector<char> at(n + 1, 0), next(n + 1, 0);
    at[0] = 1;
    for (const Token& t : tokens) {
        std::fill(next.begin(), next.end(), 0);
        bool any = false;
        for (std::size_t j = 0; j <= n; ++j) {
            if (!at[j]) {
                continue;
            }
            switch (t.kind) {
            case Token::Kind::Char:
                if (j < n && name[j] == t.c) {
                    next[j + 1] = 1;
                }
                break;
            case Token::Kind::One:
                if (j < n) {
                    next[j + 1] = 1;
                }
                break;
            case Token::Kind::Star:
                for (std::size_t k = j; k <= n; ++k) {
                    next[k] = 1;
                }
                j = n; // every later position is already reachable
                break;
            case Token::Kind::Set:
                if (j < n && (t.set.find(name[j]) != std::string::npos) != t.negate) {
                    next[j + 1] = 1;
                }
                break;
            case Token::Kind::Alt:
                for (std::string_view a : t.alts) {
                    if (name.substr(j, a.size()) == a) {
                        next[j + a.size()] = 1;
                    }
                }
                break;
            }
        }
        for (char v : next) {
            any = any || v;
        }
        if (!any) {
            return false;
        }
        at.swap(next);
    }
    return at[n] != 0;
}

} // namespace tutti::control
