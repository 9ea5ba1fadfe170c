// SPDX-License-Identifier: MIT
/** \file
 * The bounded JSON reader of json_scan.h: a recursive-descent validator whose
 * depth is capped, so hostile nesting ends in an error, not a stack overflow.
 */
#include "http/json_scan.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tutti::http {

namespace {

class Scanner {
public:
    Scanner(std::string_view t, int max_depth) : t_(t), max_depth_(max_depth) {
    }
    void ws() {
        while (i_ < t_.size() &&
               (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) {
            ++i_;
        }
    }
    bool eof() const {
        return i_ >= t_.size();
    }
    std::size_t pos() const {
        return i_;
    }
    bool string() {
        if (eof() || t_[i_] != '"') {
            return false;
        }
        ++i_;
        while (i_ < t_.size()) {
            const unsigned char c = static_cast<unsigned char>(t_[i_]);
            if (c == '"') {
                ++i_;
                return true;
            }
            if (c < 0x20) {
                return false;
            }
            if (c == '\\') {
                ++i_;
                if (eof()) {
                    return false;
                }
                const char e = t_[i_];
                if (e == 'u') {
                    for (int k = 1; k <= 4; ++k) {
                        if (i_ + std::size_t(k) >= t_.size() ||
                            !std::isxdigit(static_cast<unsigned char>(t_[i_ + std::size_t(k)]))) {
                            return false;
                        }
                    }
                    i_ += 4;
                } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                           e != 'r' && e != 't') {
                    return false;
                }
            }
            ++i_;
        }
        return false;
    }
    bool number() {
        const std::size_t start = i_;
        if (!eof() && t_[i_] == '-') {
            ++i_;
        }
        if (eof()) {
            return false;
        }
        if (t_[i_] == '0') {
            ++i_;
        } else if (t_[i_] >= '1' && t_[i_] <= '9') {
            while (!eof() && std::isdigit(static_cast<unsigned char>(t_[i_]))) {
                ++i_;
            }
        } else {
            return false;
        }
        if (!eof() && t_[i_] == '.') {
            ++i_;
            if (eof() || !std::isdigit(static_cast<unsigned char>(t_[i_]))) {
                return false;
            }
            while (!eof() && std::isdigit(static_cast<unsigned char>(t_[i_]))) {
                ++i_;
            }
        }
        if (!eof() && (t_[i_] == 'e' || t_[i_] == 'E')) {
            ++i_;
            if (!eof() && (t_[i_] == '+' || t_[i_] == '-')) {
                ++i_;
            }
            if (eof() || !std::isdigit(static_cast<unsigned char>(t_[i_]))) {
                return false;
            }
            while (!eof() && std::isdigit(static_cast<unsigned char>(t_[i_]))) {
                ++i_;
            }
        }
        return i_ > start;
    }
    bool literal(std::string_view word) {
        if (t_.substr(i_, word.size()) == word) {
            i_ += word.size();
            return true;
        }
        return false;
    }
    /// One value; `members` (top level only) receives an object's members.
    bool value(int depth, std::vector<JsonMember>* members) {
        if (depth > max_depth_) {
            return false;
        }
        ws();
        if (eof()) {
            return false;
        }
        switch (t_[i_]) {
        case '{':
            return object(depth, members);
        case '[':
            return array(depth);
        case '"':
            return string();
        case 't':
            return literal("true");
        case 'f':
            return literal("false");
        case 'n':
            return literal("null");
        default:
            return number();
        }
    }
    bool object(int depth, std::vector<JsonMember>* members) {
        ++i_; // {
        ws();
        if (!eof() && t_[i_] == '}') {
            ++i_;
            return true;
        }
        for (;;) {
            ws();
            const std::size_t k0 = i_;
            if (!string()) {
                return false;
            }
            const std::string_view key = t_.substr(k0, i_ - k0);
            ws();
            if (eof() || t_[i_] != ':') {
                return false;
            }
            ++i_;
            ws();
            const std::size_t v0 = i_;
            if (!value(depth + 1, nullptr)) {
                return false;
            }
            if (members != nullptr) {
                std::optional<std::string> k = json_string_value(key);
                if (!k) {
                    return false;
                }
                members->push_back(JsonMember{std::move(*k), t_.substr(v0, i_ - v0)});
            }
            ws();
            if (eof()) {
                return false;
            }
            if (t_[i_] == ',') {
                ++i_;
                continue;
            }
            if (t_[i_] == '}') {
                ++i_;
                return true;
            }
            return false;
        }
    }
    bool array(int depth) {
        ++i_; // [
        ws();
        if (!eof() && t_[i_] == ']') {
            ++i_;
            return true;
        }
        for (;;) {
            if (!value(depth + 1, nullptr)) {
                return false;
            }
            ws();
            if (eof()) {
                return false;
            }
            if (t_[i_] == ',') {
                ++i_;
                continue;
            }
            if (t_[i_] == ']') {
                ++i_;
                return true;
            }
            return false;
        }
    }

private:
    std::string_view t_;
    std::size_t i_ = 0;
    int max_depth_;
};

void put_utf8(std::string& out, unsigned long cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

unsigned long hex4(std::string_view s) {
    unsigned long v = 0;
    for (char c : s) {
        v = v * 16 + static_cast<unsigned long>(
                         std::isdigit(static_cast<unsigned char>(c))
                             ? c - '0'
                             : (std::tolower(static_cast<unsigned char>(c)) - 'a' + 10));
    }
    return v;
}

} // namespace

std::optional<std::vector<JsonMember>> json_object_members(std::string_view text, int max_depth) {
    Scanner s(text, max_depth);
    s.ws();
    if (s.eof() || text[s.pos()] != '{') {
        return std::nullopt;
    }
    std::vector<JsonMember> members;
    if (!s.value(0, &members)) {
        return std::nullopt;
    }
    s.ws();
    if (!s.eof()) {
        return std::nullopt;
    }
    return members;
}

std::optional<std::string> json_string_value(std::string_view raw) {
    if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') {
        return std::nullopt;
    }
    std::string out;
    for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
        char c = raw[i];
        if (c != '\\') {
            if (c == '"' || static_cast<unsigned char>(c) < 0x20) {
                return std::nullopt;
            }
            out += c;
            continue;
        }
        ++i; // the escaped character; the closing quote is at raw.size() - 1
        if (i >= raw.size() - 1) {
            return std::nullopt;
        }
        switch (raw[i]) {
        case '"':
            out += '"';
            break;
        case '\\':
            out += '\\';
            break;
        case '/':
            out += '/';
            break;
        case 'b':
            out += '\b';
            break;
        case 'f':
            out += '\f';
            break;
        case 'n':
            out += '\n';
            break;
        case 'r':
            out += '\r';
            break;
        case 't':
            out += '\t';
            break;
        case 'u': {
            if (i + 4 >= raw.size() - 1) {
                return std::nullopt;
            }
            for (std::size_t k = 1; k <= 4; ++k) {
                if (!std::isxdigit(static_cast<unsigned char>(raw[i + k]))) {
                    return std::nullopt;
                }
            }
            unsigned long cp = hex4(raw.substr(i + 1, 4));
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < raw.size() - 1 && raw[i + 1] == '\\' &&
                raw[i + 2] == 'u') {
                bool hex = true;
                for (std::size_t k = 3; k <= 6; ++k) {
                    hex = hex && std::isxdigit(static_cast<unsigned char>(raw[i + k]));
                }
                unsigned long lo = hex ? hex4(raw.substr(i + 3, 4)) : 0;
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000) {
                cp = 0xFFFD; // a lone surrogate
            }
            put_utf8(out, cp);
            break;
        }
        default:
            return std::nullopt;
        }
    }
    return out;
}

std::optional<double> json_number_value(std::string_view raw) {
    if (raw.empty() || raw.size() > 64) {
        return std::nullopt;
    }
    double v = 0;
    auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
    if (ec != std::errc() || end != raw.data() + raw.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

std::string json_quote(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                out += buf;
            } else {
                out += c;
            }
        }
    }
    out += '"';
    return out;
}

std::string json_number(double v) {
    if (!std::isfinite(v)) {
        return "null";
    }
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::string("null");
}

} // namespace tutti::http
