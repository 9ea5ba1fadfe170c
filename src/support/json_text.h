// SPDX-License-Identifier: MIT
/** \file
 * Writing JSON text: one string escaper for every JSON the library writes
 * (diagnostics, the UI description, the C API's reports, the control protocols).
 */
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace tutti {

/// How control characters other than '"' and '\\' are written.
enum class JsonEscapes {
    Short,   ///< \n, \r, \t as such, other control characters as \u00XX
    Unicode, ///< every control character as \u00XX (what `faust -json` writes)
};

/// Appends `s` as a JSON string literal (quotes included). Bytes >= 0x20 are
/// copied as they are (UTF-8 stays UTF-8).
inline void append_json_string(std::string& out, std::string_view s,
                               JsonEscapes escapes = JsonEscapes::Short) {
    out += '"';
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c >= 0x20) {
            out += char(c);
        } else if (escapes == JsonEscapes::Short && c == '\n') {
            out += "\\n";
        } else if (escapes == JsonEscapes::Short && c == '\r') {
            out += "\\r";
        } else if (escapes == JsonEscapes::Short && c == '\t') {
            out += "\\t";
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(c));
            out += buf;
        }
    }
    out += '"';
}

/// `s` as a JSON string literal.
inline std::string json_string(std::string_view s, JsonEscapes escapes = JsonEscapes::Short) {
    std::string out;
    append_json_string(out, s, escapes);
    return out;
}

} // namespace tutti
