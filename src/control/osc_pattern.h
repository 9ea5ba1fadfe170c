// SPDX-License-Identifier: MIT
/** \file
 * OSC 1.0 address pattern matching of one segment (the part between two '/'):
 * `?` one character, `*` any run of characters, `[abc]`, `[a-z]`, `[!a-z]`
 * one character of (or not of) a set, `{foo,bar}` one of the strings; every
 * other character matches itself (Faust's OSCRegexp turns the pattern into a
 * regular expression, so a '.' in it matches anything; here it is literal).
 * Bounded: no recursion, and the backtracking of `*` is quadratic at worst in
 * the segment length, which the callers bound (an OSC packet is at most 64 KB).
 */
#pragma once

#include <string_view>

namespace tutti::control {

/// Whether `segment` has a pattern character (`*?[]{}`).
bool is_pattern(std::string_view segment);

/// Whether the pattern `pattern` (one segment, no '/') matches the whole of `name`.
bool match_segment(std::string_view pattern, std::string_view name);

} // namespace tutti::control
