// SPDX-License-Identifier: MIT
/** \file Text and JSON forms of public diagnostics (tutti/diagnostics.h). */
#include <cstdio>

#include "support/json_text.h"
#include "tutti/diagnostics.h"

namespace tutti {

const char* severity_name(Severity s) {
    switch (s) {
    case Severity::Error:
        return "error";
    case Severity::Warning:
        return "warning";
    case Severity::Note:
        return "note";
    case Severity::Internal:
        return "internal error";
    }
    return "error";
}

std::string to_text(const Diagnostic& d, bool with_source) {
    std::string out;
    if (!d.file.empty()) {
        out += d.file;
        out += ':';
        if (d.line != 0) {
            out += std::to_string(d.line) + ':' + std::to_string(d.column) + ':';
        }
        out += ' ';
    }
    out += severity_name(d.severity);
    out += ": ";
    out += d.message;
    out += '\n';
    if (with_source && d.line != 0) {
        out += d.source_line;
        out += '\n';
        // Keep tabs so that the caret lines up under the source text.
        std::string pad;
        for (std::uint32_t i = 0; i + 1 < d.column && i < d.source_line.size(); ++i) {
            pad += d.source_line[i] == '\t' ? '\t' : ' ';
        }
        out += pad;
        out += '^';
        if (d.end_line == d.line && d.end_column > d.column) {
            out += std::string(d.end_column - d.column, '~');
        }
        out += '\n';
    }
    return out;
}

std::string to_json(const Diagnostic& d) {
    std::string out = "{\"id\":";
    append_json_string(out, d.id);
    out += ",\"severity\":";
    append_json_string(out, severity_name(d.severity));
    out += ",\"message\":";
    append_json_string(out, d.message);
    out += ",\"file\":";
    append_json_string(out, d.file);
    out += ",\"line\":" + std::to_string(d.line);
    out += ",\"column\":" + std::to_string(d.column);
    out += ",\"end_line\":" + std::to_string(d.end_line);
    out += ",\"end_column\":" + std::to_string(d.end_column);
    out += ",\"source_line\":";
    append_json_string(out, d.source_line);
    out += '}';
    return out;
}

std::string to_json(const std::vector<Diagnostic>& list) {
    std::string out = "[";
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (i) {
            out += ',';
        }
        out += to_json(list[i]);
    }
    out += ']';
    return out;
}

bool has_errors(const std::vector<Diagnostic>& list) {
    for (const auto& d : list) {
        if (d.severity == Severity::Error || d.severity == Severity::Internal) {
            return true;
        }
    }
    return false;
}

} // namespace tutti
