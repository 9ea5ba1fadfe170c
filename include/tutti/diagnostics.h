// SPDX-License-Identifier: MIT
/** \file
 * Diagnostics as data: what the compiler reports, with a stable catalogue id
 * and a resolved location (file, 1-based line and column). Servers return them
 * as JSON; the command line prints them as `file:line:col: error: text` with the
 * source line and a caret.
 */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tutti {

enum class Severity : std::uint8_t { Error, Warning, Note, Internal };

struct Diagnostic {
    std::string id; ///< stable catalogue id, e.g. "unexpected_token"
    Severity severity = Severity::Error;
    std::string message; ///< the formatted text, without location
    std::string file;    ///< path as given by the user, empty when there is no location
    std::uint32_t line = 0, column = 0;         ///< 1-based; 0 when unknown
    std::uint32_t end_line = 0, end_column = 0; ///< last character covered (inclusive)
    std::string source_line;                    ///< the text of `line`, for the caret
};

const char* severity_name(Severity s);

/// `file:line:col: error: text` followed (if `with_source`) by the source line and a caret.
std::string to_text(const Diagnostic& d, bool with_source = true);

/// One JSON object; `to_json(list)` gives a JSON array.
std::string to_json(const Diagnostic& d);
std::string to_json(const std::vector<Diagnostic>& list);

bool has_errors(const std::vector<Diagnostic>& list);

} // namespace tutti
