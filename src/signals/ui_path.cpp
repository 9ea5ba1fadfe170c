// SPDX-License-Identifier: MIT
#include "signals/ui_path.h"

namespace tutti::sig {

namespace {

void append_escaped(std::string& out, std::string_view label) {
    for (char c : label) {
        if (c == '\\' || c == '/') {
            out += '\\';
        }
        out += c;
    }
}

std::string group_part(char kind, std::string_view label) {
    std::string s(1, kind);
    s += ':';
    append_escaped(s, label);
    return s;
}

/// The encoded components of `path` (still escaped), split at unescaped '/'.
std::vector<std::string_view> raw_parts(std::string_view path) {
    std::vector<std::string_view> parts;
    if (path.empty()) {
        return parts;
    }
    std::size_t start = 0;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] == '\\') {
            ++i;
        } else if (path[i] == '/') {
            parts.push_back(path.substr(start, i - start));
            start = i + 1;
        }
    }
    parts.push_back(path.substr(start));
    return parts;
}

char group_kind_of(char c) {
    switch (c) {
    case 'h':
    case 'H':
        return 'h';
    case 't':
    case 'T':
        return 't';
    default:
        return 'v';
    }
}

} // namespace

std::string resolve_label_path(std::string_view current, std::string_view label, char group_kind) {
    std::vector<std::string> groups;
    for (std::string_view p : raw_parts(current)) {
        groups.emplace_back(p);
    }
    std::string last;
    if (group_kind != 0) {
        groups.push_back(group_part(group_kind, label));
    } else {
        std::string_view rest = label;
        while (true) {
            if (!rest.empty() && rest[0] == '/') {
                groups.clear();
                rest.remove_prefix(1);
            } else if (rest.substr(0, 2) == "./") {
                rest.remove_prefix(2);
            } else if (rest.substr(0, 3) == "../") {
                if (!groups.empty()) {
                    groups.pop_back();
                }
                rest.remove_prefix(3);
            } else if (rest.size() >= 2 && rest[1] == ':') {
                std::size_t slash = rest.find('/', 2);
                std::string_view name = rest.substr(
                    2, slash == std::string_view::npos ? std::string_view::npos : slash - 2);
                groups.push_back(group_part(group_kind_of(rest[0]), name));
                rest =
                    slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
            } else {
                break;
            }
        }
        append_escaped(last, rest);
    }
    std::string out;
    for (const std::string& g : groups) {
        out += (out.empty() ? "" : "/") + g;
    }
    if (group_kind == 0) {
        out += (groups.empty() ? "" : "/") + last;
    }
    return out;
}

std::vector<UiPathPart> split_ui_path(std::string_view path) {
    std::vector<std::string_view> raw = raw_parts(path);
    if (raw.empty()) {
        raw.emplace_back(); // a widget with an empty label at the root
    }
    std::vector<UiPathPart> parts;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        std::string_view r = raw[i];
        UiPathPart p;
        if (i + 1 < raw.size() && r.size() >= 2 && r[1] == ':') {
            p.kind = r[0];
            r.remove_prefix(2);
        }
        for (std::size_t k = 0; k < r.size(); ++k) {
            if (r[k] == '\\' && k + 1 < r.size()) {
                ++k;
            }
            p.label += r[k];
        }
        parts.push_back(std::move(p));
    }
    return parts;
}

} // namespace tutti::sig
