// SPDX-License-Identifier: MIT
#include "compiler/json_ui.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

#include "compiler/sound_url.h"
#include "signals/ui_path.h"
#include "support/json_text.h"

namespace tutti::compiler {

std::string extract_label_metadata(std::string_view raw, Metadata* metadata) {
    // States of Faust's extractMetadata: in the label, in a [key, in a value
    // after ':', each with a '\' escaping the next character.
    enum { Label, Key, Value } state = Label;
    bool escaped = false;
    int depth = 0;
    std::string label, key, value;
    std::map<std::string, std::set<std::string>> found;
    auto trim = [](const std::string& s) {
        auto b = s.find_first_not_of(" \t\n\r");
        auto e = s.find_last_not_of(" \t\n\r");
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    for (char c : raw) {
        std::string& into = state == Label ? label : state == Key ? key : value;
        if (escaped) {
            into += c;
            escaped = false;
        } else if (c == '\\') {
            escaped = true;
        } else if (state == Label) {
            if (c == '[') {
                state = Key;
                depth = 1;
            } else {
                label += c;
            }
        } else if (c == '[') {
            ++depth;
            into += c;
        } else if (c == ':' && state == Key && depth == 1) {
            state = Value;
        } else if (c == ']') {
            if (--depth == 0) {
                found[trim(key)].insert(trim(value));
                key.clear();
                value.clear();
                state = Label;
            } else {
                into += c;
            }
        } else {
            into += c;
        }
    }
    if (metadata != nullptr) {
        metadata->clear();
        for (const auto& [k, values] : found) {
            for (const std::string& v : values) {
                metadata->emplace_back(k, v);
            }
        }
    }
    return trim(label);
}

namespace {

const char* widget_type(sig::SigKind k) {
    switch (k) {
    case sig::SigKind::Button:
        return "button";
    case sig::SigKind::Checkbox:
        return "checkbox";
    case sig::SigKind::VSlider:
        return "vslider";
    case sig::SigKind::HSlider:
        return "hslider";
    case sig::SigKind::NEntry:
        return "nentry";
    case sig::SigKind::VBargraph:
        return "vbargraph";
    default:
        return "hbargraph";
    }
}

const char* group_type(char kind) {
    return kind == 'h' ? "hgroup" : kind == 't' ? "tgroup" : "vgroup";
}

/// Where a new item labelled `raw` goes among `items`, sorted by strcmp of the
/// raw labels. Ties, as Faust 2.54.9 orders them (observed): a new group goes
/// before the items with an equal label (so equal-labelled groups of different
/// kinds come last-made first), a new widget after them (groups come first).
std::size_t insertion_point(const std::vector<std::unique_ptr<UiNode>>& items,
                            const std::string& raw, bool group) {
    std::size_t k = 0;
    while (k < items.size()) {
        int c = std::strcmp(raw.c_str(), items[k]->raw.c_str());
        if (c < 0 || (c == 0 && group)) {
            break;
        }
        ++k;
    }
    return k;
}

UiNode* find_group(UiNode& folder, const char* kind, const std::string& raw) {
    for (auto& it : folder.items) {
        if (it->control < 0 && it->kind == kind && it->raw == raw) {
            return it.get();
        }
    }
    return nullptr;
}

std::string address_of(const std::vector<std::string>& groups, const std::string& label) {
    std::string a = "/";
    for (const std::string& g : groups) {
        a += g + "/";
    }
    a += label;
    for (char& c : a) {
        if (std::strchr(" #*,?[]{}()", c) != nullptr && c != '\0') {
            c = '_';
        }
    }
    return a;
}

/// Labels, metadata and addresses, depth first (the order Faust visits them).
void finish(UiNode& n, std::vector<std::string>& groups, const std::string& program_name,
            bool is_root, std::vector<UiNode*>& widgets) {
    n.label = extract_label_metadata(n.raw, &n.meta);
    if (n.label.empty()) {
        n.label = is_root ? program_name : "0x00";
    }
    if (n.control >= 0) {
        n.address = address_of(groups, n.label);
        if (n.kind != "soundfile") {
            widgets.push_back(&n);
        }
        return;
    }
    groups.push_back(n.label);
    for (auto& item : n.items) {
        finish(*item, groups, program_name, false, widgets);
    }
    groups.pop_back();
}

// ---- short names (PathBuilder::computeShortNames): for each address, its
// last n '/'-parts (in a form reduced to letters, digits and '_'), with n the
// smallest that no other address shares.

std::string without_0x00(const std::string& s) {
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        if (s.compare(i, 5, "/0x00") == 0) {
            i += 5;
        } else {
            out += s[i++];
        }
    }
    return out;
}

std::string to_identifier(const std::string& s) {
    std::string out;
    bool gap = false;
    for (char c : s) {
        bool keep =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/';
        if (!keep) {
            gap = true;
            continue;
        }
        if (gap) {
            out += '_';
            gap = false;
        }
        out += c;
    }
    return out;
}

/// The last n '/'-separated parts of s, or all of s when it has fewer.
std::string last_parts(const std::string& s, int n) {
    std::size_t end = s.size();
    for (std::size_t i = s.size(); i-- > 0;) {
        if (s[i] == '/') {
            if (n == 1) {
                return s.substr(i + 1, end - i - 1);
            }
            --n;
        }
    }
    return s;
}

void assign_short_names(const std::vector<UiNode*>& widgets) {
    std::map<std::string, UiNode*> unique; // "/P<k>" + reduced address -> widget
    std::map<std::string, int> level;
    for (std::size_t k = 0; k < widgets.size(); ++k) {
        std::string u = "/P" + std::to_string(k) + to_identifier(without_0x00(widgets[k]->address));
        unique[u] = widgets[k];
        level[u] = 1;
    }
    for (bool collisions = true; collisions;) {
        collisions = false;
        std::map<std::string, std::vector<std::string>> by_short;
        for (const auto& [u, n] : level) {
            by_short[last_parts(u, n)].push_back(u);
        }
        for (const auto& [s, us] : by_short) {
            if (us.size() > 1) {
                collisions = true;
                for (const std::string& u : us) {
                    ++level[u];
                }
            }
        }
    }
    for (const auto& [u, n] : level) {
        std::string s = last_parts(u, n);
        std::replace(s.begin(), s.end(), '/', '_');
        unique[u]->shortname = s;
    }
}

// ---- writing

/// faust -json writes every control character as \u00XX.
std::string json_ui_quote(std::string_view s) {
    return json_string(s, JsonEscapes::Unicode);
}

/// The shortest text that reads back as v (JSON has no infinities: +-1e999
/// reads back as one; NaN is null).
std::string num(double v) {
    if (std::isnan(v)) {
        return "null";
    }
    if (std::isinf(v)) {
        return v > 0 ? "1e999" : "-1e999";
    }
    char buf[40];
    auto r = std::to_chars(buf, buf + sizeof buf, v); // the shortest text that reads back as v
    return std::string(buf, r.ptr);
}

void tab(std::string& out, int n) {
    out += '\n';
    out.append(std::size_t(n), '\t');
}

void emit_meta(std::string& out, const Metadata& meta, int t) {
    tab(out, t);
    out += "\"meta\": [";
    for (std::size_t i = 0; i < meta.size(); ++i) {
        out += i ? "," : "";
        tab(out, t + 1);
        out += "{ " + json_ui_quote(meta[i].first) + ": " + json_ui_quote(meta[i].second) + " }";
    }
    tab(out, t);
    out += "]";
}

void emit(std::string& out, const UiNode& n, int t, const std::vector<lower::Control>& controls) {
    tab(out, t);
    out += "{";
    tab(out, t + 1);
    out += "\"type\": " + json_ui_quote(n.kind) + ",";
    tab(out, t + 1);
    out += "\"label\": " + json_ui_quote(n.label) + ",";
    if (n.control < 0) {
        if (!n.meta.empty()) {
            emit_meta(out, n.meta, t + 1);
            out += ",";
        }
        tab(out, t + 1);
        out += "\"items\": [ ";
        for (std::size_t i = 0; i < n.items.size(); ++i) {
            out += i ? "," : "";
            emit(out, *n.items[i], t + 2, controls);
        }
        tab(out, t + 1);
        out += "]";
        tab(out, t);
        out += "}";
        return;
    }
    if (n.kind == "soundfile") {
        tab(out, t + 1);
        out += "\"url\": " + json_ui_quote(sound_url(n.raw)) + ",";
        tab(out, t + 1);
        out += "\"address\": " + json_ui_quote(n.address);
        tab(out, t);
        out += "}";
        return;
    }
    const lower::Control& c = controls[std::size_t(n.control)];
    std::vector<std::pair<const char*, double>> numbers;
    switch (c.kind) {
    case sig::SigKind::VSlider:
    case sig::SigKind::HSlider:
    case sig::SigKind::NEntry:
        numbers = {{"init", c.init}, {"min", c.min}, {"max", c.max}, {"step", c.step}};
        break;
    case sig::SigKind::VBargraph:
    case sig::SigKind::HBargraph:
        numbers = {{"min", c.min}, {"max", c.max}};
        break;
    default:
        break;
    }
    tab(out, t + 1);
    out += "\"shortname\": " + json_ui_quote(n.shortname) + ",";
    tab(out, t + 1);
    out += "\"address\": " + json_ui_quote(n.address);
    if (!n.meta.empty()) {
        out += ",";
        emit_meta(out, n.meta, t + 1);
    }
    for (const auto& [key, value] : numbers) {
        out += ",";
        tab(out, t + 1);
        out += "\"" + std::string(key) + "\": " + num(value);
    }
    tab(out, t);
    out += "}";
}

/// The program's metadata as Faust lists it: sorted by key, one value per key
/// (the first of JsonInfo::metadata; Faust 2.54.9 keeps one), except `author`:
/// every author after the first is a `contributor` (in its place); `filename`
/// and `name` added when not declared; line breaks and tabs written as spaces.
Metadata global_metadata(const JsonInfo& info) {
    Metadata m = info.metadata;
    auto has = [&](const char* key) {
        return std::any_of(m.begin(), m.end(), [&](const auto& kv) { return kv.first == key; });
    };
    if (!has("filename")) {
        m.emplace_back("filename", info.filename);
    }
    if (!has("name")) {
        m.emplace_back("name", info.name);
    }
    std::stable_sort(m.begin(), m.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    Metadata out;
    for (auto& kv : m) {
        for (char& c : kv.second) {
            if (c == '\n' || c == '\r' || c == '\t') {
                c = ' '; // as Faust writes a multi-line declaration
            }
        }
        if (!out.empty() && (out.back().first == kv.first ||
                             (out.back().first == "contributor" && kv.first == "author"))) {
            if (kv.first != "author") {
                continue;
            }
            kv.first = "contributor";
        }
        out.push_back(std::move(kv));
    }
    return out;
}

} // namespace

UiTree build_ui_tree(const JsonInfo& info) {
    auto top = std::make_unique<UiNode>();
    top->kind = "vgroup";
    top->raw = info.name;
    const std::size_t items = info.controls.size() + info.sounds.size();
    for (std::size_t i = 0; i < items; ++i) {
        const bool is_sound = i >= info.controls.size();
        const std::string& path =
            is_sound ? info.sounds[i - info.controls.size()].path : info.controls[i].path;
        std::vector<sig::UiPathPart> parts = sig::split_ui_path(path);
        UiNode* cur = top.get();
        for (std::size_t k = 0; k + 1 < parts.size(); ++k) {
            const char* kind = group_type(parts[k].kind);
            UiNode* next = find_group(*cur, kind, parts[k].label);
            if (next == nullptr) {
                auto g = std::make_unique<UiNode>();
                g->kind = kind;
                g->raw = parts[k].label;
                next = g.get();
                cur->items.insert(cur->items.begin() +
                                      std::ptrdiff_t(insertion_point(cur->items, g->raw, true)),
                                  std::move(g));
            }
            cur = next;
        }
        auto w = std::make_unique<UiNode>();
        w->control = int(i);
        w->kind = is_sound ? "soundfile" : widget_type(info.controls[i].kind);
        w->raw = parts.back().label;
        cur->items.insert(cur->items.begin() +
                              std::ptrdiff_t(insertion_point(cur->items, w->raw, false)),
                          std::move(w));
    }
    UiTree tree;
    if (top->items.size() == 1 && top->items[0]->control < 0) {
        tree.root = std::move(top->items[0]);
    } else {
        tree.root = std::move(top);
    }
    std::vector<std::string> groups;
    std::vector<UiNode*> widgets;
    finish(*tree.root, groups, info.name, true, widgets);
    assign_short_names(widgets);
    tree.widgets.assign(info.controls.size(), nullptr);
    for (UiNode* w : widgets) {
        if (std::size_t(w->control) >= tree.widgets.size()) {
            continue;
        }
        tree.widgets[std::size_t(w->control)] = w;
    }
    return tree;
}

std::optional<DuplicateAddress> find_duplicate_address(const UiTree& tree) {
    // Faust 2.54.9 (JSONInstVisitor::insertPath): two buttons, checkboxes,
    // sliders or numentries at one address are an error; bargraphs may share
    // an address with anything. (Faust also refuses an input control that
    // comes after a bargraph of its address in the UI's order; which of the
    // two comes first among equal labels depends on its code generator's
    // visiting order, so tutti accepts that case rather than risk refusing a
    // program Faust takes.)
    std::unordered_map<std::string_view, int> seen;
    std::optional<DuplicateAddress> found;
    auto visit = [&](auto& self, const UiNode& n) -> void {
        if (found) {
            return;
        }
        if (n.control >= 0) {
            if (n.kind == "hbargraph" || n.kind == "vbargraph") {
                return;
            }
            auto [at, fresh] = seen.emplace(n.address, n.control);
            if (!fresh) {
                found = DuplicateAddress{at->second, n.control};
            }
            return;
        }
        for (const auto& item : n.items) {
            self(self, *item);
        }
    };
    visit(visit, *tree.root);
    return found;
}

std::string json_ui(const JsonInfo& info, const UiTree& tree) {
    std::string out = "{";
    tab(out, 1);
    out += "\"name\": " + json_ui_quote(info.name) + ",";
    tab(out, 1);
    out += "\"filename\": " + json_ui_quote(info.filename) + ",";
    tab(out, 1);
    out += "\"version\": \"2.54.9\",";
    tab(out, 1);
    out += "\"inputs\": " + std::to_string(info.inputs) + ",";
    tab(out, 1);
    out += "\"outputs\": " + std::to_string(info.outputs) + ",";
    Metadata meta = global_metadata(info);
    tab(out, 1);
    out += "\"meta\": [ ";
    for (std::size_t i = 0; i < meta.size(); ++i) {
        out += i ? "," : "";
        tab(out, 2);
        out += "{ " + json_ui_quote(meta[i].first) + ": " + json_ui_quote(meta[i].second) + " }";
    }
    tab(out, 1);
    out += "],";
    tab(out, 1);
    out += "\"ui\": [ ";
    emit(out, *tree.root, 2, info.controls);
    tab(out, 1);
    out += "]";
    out += "\n}\n";
    return out;
}

} // namespace tutti::compiler
