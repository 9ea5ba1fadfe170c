// SPDX-License-Identifier: MIT
#include "compiler/sound_url.h"

#include "compiler/json_ui.h"

namespace tutti::compiler {

std::string sound_url(std::string_view raw_label) {
    Metadata meta;
    std::string label = extract_label_metadata(raw_label, &meta);
    std::string url = label;
    for (const auto& [key, value] : meta) {
        if (key == "url") {
            url = value; // the reference keeps the last of its sorted values
        }
    }
    std::string out;
    bool quoted = false;
    for (char c : url) {
        if (c == '\n' || c == '\t' || c == '\r') {
            continue;
        }
        if (c == '\'') {
            quoted = !quoted;
        } else if (c == ' ' && !quoted) {
            continue;
        }
        out += c;
    }
    return !out.empty() && out[0] == '{' ? out : "{'" + out + "'}";
}

} // namespace tutti::compiler
