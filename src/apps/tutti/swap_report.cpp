// SPDX-License-Identifier: MIT
#include "apps/tutti/swap_report.h"

#include <cstdio>

namespace tutti::app {

std::string swap_line(const SwapReport& r) {
    char buf[512];
    if (!r.compiled) {
        std::snprintf(buf, sizeof buf,
                      "swap %llu %s: not compiled (%zu diagnostics), the old version plays on",
                      static_cast<unsigned long long>(r.generation), r.program.c_str(),
                      r.diagnostics.size());
        return buf;
    }
    std::snprintf(
        buf, sizeof buf,
        "swap %llu %s at frame %llu: compile %.1f ms, prepare %.2f ms, commit %.1f us, carried %d, "
        "resized %d, rebuilt %d, reset %d, dropped %d, %s",
        static_cast<unsigned long long>(r.generation), r.program.c_str(),
        static_cast<unsigned long long>(r.commit_frame), r.compile_ms, r.prepare_ms, r.commit_us,
        r.carried, r.resized, r.rebuilt, r.reset, r.dropped,
        r.crossfade ? "crossfade" : "no crossfade");
    return buf;
}

std::string swap_fields(const SwapReport& r) {
    std::string out;
    for (const FieldChange& c : r.fields) {
        out += "  ";
        std::string a = to_string(c.action);
        a.resize(8, ' ');
        out += a + " " + c.name + " (" + to_string(c.kind);
        if (!c.identity.empty()) {
            out += " " + to_string(c.identity);
        }
        out += ")";
        if (!c.from.empty() &&
            (c.from != c.name || c.from_kind != c.kind || c.action == FieldChange::Action::Moved)) {
            out += " from " + c.from;
            if (c.from_kind != c.kind) {
                out += " (" + std::string(to_string(c.from_kind)) + ")";
            }
        }
        if (!c.location.empty()) {
            out += " at " + c.location;
        }
        out += "\n";
    }
    return out;
}

} // namespace tutti::app
