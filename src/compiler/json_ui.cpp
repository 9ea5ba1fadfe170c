// SPDX-License-Identifier: MIT
#include "compiler/json_ui.h"

#include <cstdio>
#include <map>
#include <memory>

namespace tutti::compiler {

std::string strip_label_metadata(std::string_view label,
                                 std::vector<std::pair<std::string, std::string>>* meta) {
    std::string out;
    std::size_t i = 0;
    while (i < label.size()) {
        if (label[i] == '[') {
            std::size_t close = label.find(']', i);
            if (close == std::string_view::npos) {
                out += label.substr(i);
                break;
            }
            std::string_view item = label.substr(i + 1, close - i - 1);
            if (meta != nullptr) {
                std::size_t colon = item.find(':');
                std::string key(colon == std::string_view::npos ? item : item.substr(0, colon));
                std::string value(colon == std::string_view::npos ? "" : item.substr(colon + 1));
                auto trim = [](std::string s) {
                    auto b = s.find_first_not_of(' ');
                    auto e = s.find_last_not_of(' ');
                    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
                };
                meta->emplace_back(trim(key), trim(value));
            }
            i = close + 1;
            continue;
        }
        out += label[i++];
    }
    auto b = out.find_first_not_of(" \t\n");
    auto e = out.find_last_not_of(" \t\n");
    return b == std::string::npos ? std::string() : out.substr(b, e - b + 1);
}

std::vector<std::string> split_control_path(std::string_view p) {
    std::vector<std::string> parts;
    int depth = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] == '[') {
            ++depth;
        } else if (p[i] == ']' && depth > 0) {
            --depth;
        } else if (p[i] == '/' && depth == 0) {
            parts.emplace_back(p.substr(start, i - start));
            start = i + 1;
        }
    }
    parts.emplace_back(p.substr(start));
    return parts;
}

namespace {

std::string quote(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += char(c);
        }
    }
    return out + "\"";
}

std::string num(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    // Faust prints numbers with up to 6 significant digits where exact; keep exact values
    double back = 0;
    char shortbuf[40];
    for (int prec = 6; prec <= 17; ++prec) {
        std::snprintf(shortbuf, sizeof shortbuf, "%.*g", prec, v);
        std::sscanf(shortbuf, "%lf", &back);
        if (back == v) {
            return shortbuf;
        }
    }
    return buf;
}

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

void emit(std::string& out, const UiNode& n, int indent, const std::vector<lower::Control>& controls) {
    std::string pad(std::size_t(indent), '\t');
    out += pad + "{\n";
    out += pad + "\t\"type\": " + quote(n.kind) + ",\n";
    out += pad + "\t\"label\": " + quote(n.label);
    if (n.control < 0) {
        if (!n.meta.empty()) {
            out += ",\n" + pad + "\t\"meta\": [";
            for (std::size_t i = 0; i < n.meta.size(); ++i) {
                out += (i ? ", " : " ") + std::string("{ ") + quote(n.meta[i].first) + ": " +
                       quote(n.meta[i].second) + " }";
            }
            out += " ]";
        }
        out += ",\n" + pad + "\t\"items\": [\n";
        for (std::size_t i = 0; i < n.items.size(); ++i) {
            emit(out, *n.items[i], indent + 2, controls);
            out += i + 1 < n.items.size() ? ",\n" : "\n";
        }
        out += pad + "\t]\n" + pad + "}";
        return;
    }
    const lower::Control& c = controls[std::size_t(n.control)];
    out += ",\n" + pad + "\t\"shortname\": " + quote(n.label);
    out += ",\n" + pad + "\t\"address\": " + quote(n.address);
    if (!n.meta.empty()) {
        out += ",\n" + pad + "\t\"meta\": [";
        for (std::size_t i = 0; i < n.meta.size(); ++i) {
            out += (i ? ", " : " ") + std::string("{ ") + quote(n.meta[i].first) + ": " +
                   quote(n.meta[i].second) + " }";
        }
        out += " ]";
    }
    bool slider = c.kind == sig::SigKind::VSlider || c.kind == sig::SigKind::HSlider ||
                  c.kind == sig::SigKind::NEntry;
    bool bargraph = c.kind == sig::SigKind::VBargraph || c.kind == sig::SigKind::HBargraph;
    if (slider) {
        out += ",\n" + pad + "\t\"init\": " + num(c.init);
    }
    if (slider || bargraph) {
        out += ",\n" + pad + "\t\"min\": " + num(c.min);
        out += ",\n" + pad + "\t\"max\": " + num(c.max);
    }
    if (slider) {
        out += ",\n" + pad + "\t\"step\": " + num(c.step);
    }
    out += "\n" + pad + "}";
}

} // namespace

std::unique_ptr<UiNode> build_ui_tree(const JsonInfo& info) {
    // Rebuild the group tree from the control paths, in first-appearance order.
    auto root = std::make_unique<UiNode>();
    root->kind = "vgroup";
    root->label = info.name;
    std::vector<std::vector<std::string>> paths;
    bool single_group = !info.controls.empty();
    std::string first;
    for (const auto& c : info.controls) {
        paths.push_back(split_control_path(c.path));
        const auto& p = paths.back();
        if (p.size() < 2) {
            single_group = false;
        } else if (first.empty()) {
            first = p[0];
        } else if (p[0] != first) {
            single_group = false;
        }
    }
    for (std::size_t i = 0; i < info.controls.size(); ++i) {
        const auto& p = paths[i];
        UiNode* cur = root.get();
        std::string address = single_group ? "" : "/" + info.name;
        for (std::size_t k = 0; k + 1 < p.size(); ++k) {
            std::string kind = p[k].size() >= 2 && p[k][1] == ':' ? std::string(1, p[k][0]) + "group" : "vgroup";
            std::string label_md = p[k].size() >= 2 && p[k][1] == ':' ? p[k].substr(2) : p[k];
            std::vector<std::pair<std::string, std::string>> meta;
            std::string label = strip_label_metadata(label_md, &meta);
            address += "/" + label;
            if (single_group && k == 0) {
                root->kind = kind;
                root->label = label;
                root->meta = meta;
                continue;
            }
            UiNode* next = nullptr;
            for (auto& it : cur->items) {
                if (it->control < 0 && it->kind == kind && it->label == label) {
                    next = it.get();
                }
            }
            if (next == nullptr) {
                auto g = std::make_unique<UiNode>();
                g->kind = kind;
                g->label = label;
                g->meta = meta;
                next = g.get();
                cur->items.push_back(std::move(g));
            }
            cur = next;
        }
        auto w = std::make_unique<UiNode>();
        w->control = int(i);
        w->kind = widget_type(info.controls[i].kind);
        w->label = strip_label_metadata(p.back(), &w->meta);
        w->address = address + "/" + w->label;
        cur->items.push_back(std::move(w));
    }
    return root;
}

std::string json_ui(const JsonInfo& info) {
    std::unique_ptr<UiNode> root = build_ui_tree(info);
    std::string out = "{\n";
    out += "\t\"name\": " + quote(info.name) + ",\n";
    out += "\t\"filename\": " + quote(info.filename) + ",\n";
    out += "\t\"version\": \"2.54.9\",\n";
    out += "\t\"inputs\": " + std::to_string(info.inputs) + ",\n";
    out += "\t\"outputs\": " + std::to_string(info.outputs) + ",\n";
    out += "\t\"meta\": [ ";
    for (std::size_t i = 0; i < info.metadata.size(); ++i) {
        out += (i ? ",\n\t\t" : "\n\t\t") + std::string("{ ") + quote(info.metadata[i].first) + ": " +
               quote(info.metadata[i].second) + " }";
    }
    out += info.metadata.empty() ? "],\n" : "\n\t],\n";
    out += "\t\"ui\": [\n";
    emit(out, *root, 2, info.controls);
    out += "\n\t]\n}\n";
    return out;
}

} // namespace tutti::compiler
