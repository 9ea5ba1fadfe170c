// SPDX-License-Identifier: MIT
/** \file
 * Diagnostics inside the compiler: a catalogue id, a severity, a source range and
 * the formatted text. A `DiagnosticList` belongs to one session; `resolve()` turns
 * its entries into public `tutti::Diagnostic` values (file, line, column, source
 * line) for printing or JSON.
 *
 * Factories are generated from diagnostics.def: `diags::unexpected_token(range, a, b)`.
 * Passing the wrong number of arguments is a compile-time error.
 */
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "diag/source_manager.h"
#include "support/interner.h"
#include "tutti/diagnostics.h"

namespace tutti::diag {

enum class DiagId : std::uint16_t {
#define DIAG(sev, id, nargs, text) id,
#include "diag/diagnostics.def"
#undef DIAG
    Count
};

std::string_view diag_name(DiagId id);
std::string_view diag_format(DiagId id);
Severity diag_severity(DiagId id);

struct Diag {
    DiagId id{};
    Severity severity = Severity::Error;
    SourceRange range;
    std::string message;
};

/// Substitutes {0}, {1}... in `fmt` with `args`.
std::string format_message(std::string_view fmt, const std::vector<std::string>& args);

namespace detail {
inline std::string to_arg(std::string_view s) {
    return std::string(s);
}
inline std::string to_arg(const char* s) {
    return std::string(s);
}
inline std::string to_arg(const std::string& s) {
    return s;
}
inline std::string to_arg(Symbol s) {
    return std::string(s.str());
}
template <class T, class = std::enable_if_t<std::is_arithmetic_v<T>>> std::string to_arg(T v) {
    return std::to_string(v);
}
Diag make(DiagId id, SourceRange range, const std::vector<std::string>& args);
} // namespace detail

namespace diags {
#define DIAG(sev, id, nargs, text)                                                                 \
    template <class... A> Diag id(SourceRange range, const A&... args) {                           \
        static_assert(sizeof...(A) == nargs, "wrong number of arguments for diagnostic " #id);     \
        return detail::make(DiagId::id, range, {detail::to_arg(args)...});                         \
    }
#include "diag/diagnostics.def"
#undef DIAG
} // namespace diags

class DiagnosticList {
public:
    /// At most this many entries are kept (a pathological input must not turn
    /// into gigabytes of messages); errors past it are still counted.
    static constexpr std::size_t max_entries = 1000;

    void add(Diag d) {
        if (d.severity == Severity::Error || d.severity == Severity::Internal) {
            ++errors_;
        }
        if (list_.size() < max_entries) {
            list_.push_back(std::move(d));
        } else if (list_.size() == max_entries) {
            list_.push_back(detail::make(DiagId::too_many_diagnostics, d.range, {}));
        }
    }
    bool has_errors() const {
        return errors_ != 0;
    }
    std::size_t error_count() const {
        return errors_;
    }
    std::size_t size() const {
        return list_.size();
    }
    const std::vector<Diag>& entries() const {
        return list_;
    }

    /// Public form with file names, lines, columns and source lines.
    std::vector<Diagnostic> resolve(const SourceManager& sm) const;

private:
    std::vector<Diag> list_;
    std::size_t errors_ = 0;
};

Diagnostic resolve(const Diag& d, const SourceManager& sm);

} // namespace tutti::diag
