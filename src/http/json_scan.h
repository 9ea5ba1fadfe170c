// SPDX-License-Identifier: MIT
/** \file
 * A small, bounded JSON reader for what clients send and for picking members
 * out of the program's own JSON: validates a whole text (RFC 8259 grammar,
 * nesting at most `max_depth` deep) and returns the members of its top-level
 * object as raw spans of the text. Strings can be decoded (escapes, \u with
 * surrogate pairs, to UTF-8). It never allocates more than the member list and
 * never recurses deeper than max_depth; any malformed input gives nullopt.
 */
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tutti::http {

struct JsonMember {
    std::string key;        ///< decoded
    std::string_view value; ///< the raw value text (a string keeps its quotes)
};

/// The members of the top-level object of `text`, or nullopt when `text` is not
/// one valid JSON object.
std::optional<std::vector<JsonMember>> json_object_members(std::string_view text,
                                                           int max_depth = 32);
/// A raw JSON string value (with its quotes) decoded, or nullopt.
std::optional<std::string> json_string_value(std::string_view raw);
/// A raw JSON number value, or nullopt (not a number, or not finite).
std::optional<double> json_number_value(std::string_view raw);
/// `s` as a JSON string literal (quotes, escapes; bytes >= 0x80 kept as they are).
std::string json_quote(std::string_view s);
/// A number as JSON: shortest round-trip form for doubles, `null` if not finite.
std::string json_number(double v);

} // namespace tutti::http
