// SPDX-License-Identifier: MIT
#include "diag/diagnostic.h"

namespace tutti::diag {

namespace {
struct Entry {
    std::string_view name;
    Severity severity;
    std::string_view format;
};

constexpr Entry catalogue[] = {
#define DIAG(sev, id, nargs, text) {#id, Severity::sev, text},
#include "diag/diagnostics.def"
#undef DIAG
};
static_assert(sizeof(catalogue) / sizeof(catalogue[0]) == std::size_t(DiagId::Count));
} // namespace

std::string_view diag_name(DiagId id) {
    return catalogue[std::size_t(id)].name;
}
std::string_view diag_format(DiagId id) {
    return catalogue[std::size_t(id)].format;
}
Severity diag_severity(DiagId id) {
    return catalogue[std::size_t(id)].severity;
}

std::string format_message(std::string_view fmt, const std::vector<std::string>& args) {
    std::string out;
    out.reserve(fmt.size() + 32);
    for (std::size_t i = 0; i < fmt.size(); ++i) {
        if (fmt[i] == '{' && i + 2 < fmt.size() && fmt[i + 2] == '}' && fmt[i + 1] >= '0' &&
            fmt[i + 1] <= '9') {
            std::size_t k = std::size_t(fmt[i + 1] - '0');
            if (k < args.size()) {
                out += args[k];
            }
            i += 2;
        } else {
            out += fmt[i];
        }
    }
    return out;
}

Diag detail::make(DiagId id, SourceRange range, const std::vector<std::string>& args) {
    Diag d;
    d.id = id;
    d.severity = diag_severity(id);
    d.range = range;
    d.message = format_message(diag_format(id), args);
    return d;
}

Diagnostic resolve(const Diag& d, const SourceManager& sm) {
    Diagnostic out;
    out.id = std::string(diag_name(d.id));
    out.severity = d.severity;
    out.message = d.message;
    if (d.range.begin.file != 0) {
        out.file = sm.path(d.range.begin.file);
        LineCol b = sm.line_col(d.range.begin);
        out.line = b.line;
        out.column = b.column;
        SourceLoc last = d.range.end;
        if (last.file == d.range.begin.file && last.offset > d.range.begin.offset) {
            last.offset -= 1; // inclusive end
            LineCol e = sm.line_col(last);
            out.end_line = e.line;
            out.end_column = e.column;
        } else {
            out.end_line = b.line;
            out.end_column = b.column;
        }
        out.source_line = std::string(sm.line_text(d.range.begin.file, b.line));
    }
    return out;
}

std::vector<Diagnostic> DiagnosticList::resolve(const SourceManager& sm) const {
    std::vector<Diagnostic> out;
    out.reserve(list_.size());
    for (const Diag& d : list_) {
        out.push_back(diag::resolve(d, sm));
    }
    return out;
}

} // namespace tutti::diag
