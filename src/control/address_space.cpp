// SPDX-License-Identifier: MIT
#include "control/address_space.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "control/osc_pattern.h"

namespace tutti::control {

namespace {

std::string replace_chars(std::string_view label, const char* chars) {
    std::string s(label);
    for (char& c : s) {
        if (c == '\t' || (c != '\0' && std::strchr(chars, c) != nullptr)) {
            c = '_';
        }
    }
    return s;
}

std::string join(const std::vector<std::string_view>& segs, std::size_t from = 0) {
    std::string s;
    for (std::size_t k = from; k < segs.size(); ++k) {
        s += '/';
        s += segs[k];
    }
    return s;
}

std::string_view last_segment(std::string_view path) {
    std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

void add_unique(std::vector<AddressSpace::NodeId>& out, AddressSpace::NodeId id) {
    if (std::find(out.begin(), out.end(), id) == out.end()) {
        out.push_back(id);
    }
}

const char* widget_type(Parameter::Kind k) {
    switch (k) {
    case Parameter::Kind::Button:
        return "button";
    case Parameter::Kind::Checkbox:
        return "checkbox";
    case Parameter::Kind::VSlider:
        return "vslider";
    case Parameter::Kind::HSlider:
        return "hslider";
    case Parameter::Kind::NEntry:
        return "nentry";
    case Parameter::Kind::VBargraph:
        return "vbargraph";
    case Parameter::Kind::HBargraph:
        return "hbargraph";
    }
    return "widget";
}

} // namespace

std::string osc_segment(std::string_view label) {
    return replace_chars(label, " #*,/?[]{}()");
}

std::string httpd_segment(std::string_view label) {
    return replace_chars(label, " ;/?:@&=+$,<>#%\"{}|\\^[]`");
}

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> segs;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= path.size(); ++i) {
        if (i == path.size() || path[i] == '/') {
            if (i > start) {
                segs.push_back(path.substr(start, i - start));
            }
            start = i + 1;
        }
    }
    return segs;
}

AddressSpace::AddressSpace(const FactoryInfo& info) : parameters_(info.parameters) {
    widget_of_.assign(parameters_.size(), 0);
    std::vector<NodeId> stack;
    auto add_node = [&](Node n) {
        NodeId id = static_cast<NodeId>(nodes_.size());
        if (!stack.empty()) {
            n.parent = stack.back();
            nodes_[n.parent].children.push_back(id);
            const Node& p = nodes_[n.parent];
            if (n.kind != Node::Kind::Widget) {
                n.address = p.address + "/" + n.name;
            }
        } else {
            n.parent = id;
            n.address = "/" + n.name;
        }
        nodes_.push_back(std::move(n));
        return id;
    };
    auto ensure_root = [&](std::string_view label) {
        if (nodes_.empty()) {
            Node r;
            r.kind = Node::Kind::Root;
            r.type = "vgroup";
            r.name = osc_segment(label);
            r.httpd_name = httpd_segment(label);
            add_node(std::move(r));
            stack.push_back(0);
            return true;
        }
        return false;
    };
    for (const UiItem& item : info.ui) {
        switch (item.kind) {
        case UiItem::Kind::OpenGroup: {
            if (nodes_.empty()) {
                ensure_root(item.label);
                nodes_[0].type = item.type;
                break;
            }
            Node g;
            g.kind = Node::Kind::Group;
            g.type = item.type;
            g.name = osc_segment(item.label);
            g.httpd_name = httpd_segment(item.label);
            if (stack.empty()) {
                stack.push_back(0); // a second top-level group: under the root
            }
            stack.push_back(add_node(std::move(g)));
            break;
        }
        case UiItem::Kind::CloseGroup:
            if (stack.size() > 1) {
                stack.pop_back();
            }
            break;
        case UiItem::Kind::Widget: {
            if (item.parameter >= parameters_.size()) {
                break;
            }
            ensure_root(info.name);
            if (stack.empty()) {
                stack.push_back(0);
            }
            const Parameter& p = parameters_[item.parameter];
            Node w;
            w.kind = Node::Kind::Widget;
            w.type = widget_type(p.kind);
            w.name = std::string(last_segment(p.path));
            w.httpd_name = httpd_segment(p.label);
            w.address = p.path;
            w.parameter = item.parameter;
            widget_of_[item.parameter] = add_node(std::move(w));
            break;
        }
        }
    }
    ensure_root(info.name);
    for (NodeId id = 0; id < nodes_.size(); ++id) {
        by_address_[nodes_[id].address].push_back(id);
        // The httpd address: the httpd names from the root down.
        std::string h;
        for (NodeId at = id;; at = nodes_[at].parent) {
            h.insert(0, "/" + nodes_[at].httpd_name);
            if (nodes_[at].parent == at) {
                break;
            }
        }
        by_httpd_[h].push_back(id);
    }
}

std::vector<AddressSpace::NodeId> AddressSpace::exact(std::string_view path, bool httpd) const {
    const auto& map = httpd ? by_httpd_ : by_address_;
    std::vector<std::string_view> segs = split_path(path);
    auto it = map.find(join(segs));
    if (it != map.end()) {
        return it->second;
    }
    // Without the root segment.
    it = map.find("/" + (httpd ? root().httpd_name : root().name) + join(segs));
    if (it != map.end()) {
        return it->second;
    }
    return {};
}

std::vector<AddressSpace::NodeId> AddressSpace::at_address(const std::string& address) const {
    auto it = by_address_.find(address);
    return it == by_address_.end() ? std::vector<NodeId>{} : it->second;
}

std::vector<AddressSpace::NodeId> AddressSpace::resolve(std::string_view path) const {
    if (nodes_.empty()) {
        return {};
    }
    std::vector<std::string_view> segs = split_path(path);
    if (segs.empty()) {
        return {0};
    }
    std::vector<NodeId> out = exact(path, false);
    if (!out.empty()) {
        return out;
    }
    out = exact(path, true);
    if (!out.empty()) {
        return out;
    }
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
        if (parameters_[i].named(path)) {
            add_unique(out, widget_of_[i]);
        }
    }
    if (!out.empty()) {
        std::sort(out.begin(), out.end());
        return out;
    }
    if (is_pattern(path)) {
        out = match(path);
        if (out.empty()) {
            out = match("/" + root().name + join(segs));
        }
    }
    return out;
}

std::vector<std::size_t> AddressSpace::resolve_parameters(std::string_view path) const {
    std::vector<NodeId> widgets_found;
    for (NodeId id : resolve(path)) {
        for (NodeId w : widgets(id)) {
            add_unique(widgets_found, w);
        }
    }
    std::sort(widgets_found.begin(), widgets_found.end());
    std::vector<std::size_t> out;
    out.reserve(widgets_found.size());
    for (NodeId w : widgets_found) {
        out.push_back(nodes_[w].parameter);
    }
    return out;
}

std::vector<AddressSpace::NodeId> AddressSpace::widgets(NodeId id) const {
    std::vector<NodeId> out;
    if (id >= nodes_.size()) {
        return out;
    }
    // Node ids are given depth first, so a subtree is a contiguous run of ids.
    NodeId end = id + 1;
    while (end < nodes_.size()) {
        NodeId a = nodes_[end].parent;
        while (a != id && nodes_[a].parent != a) {
            a = nodes_[a].parent;
        }
        if (a != id) {
            break;
        }
        ++end;
    }
    for (NodeId k = id; k < end; ++k) {
        if (nodes_[k].kind == Node::Kind::Widget) {
            out.push_back(k);
        }
    }
    return out;
}

void AddressSpace::match_from(NodeId at, const std::vector<std::string_view>& segs, std::size_t k,
                              std::vector<NodeId>& out) const {
    if (!match_segment(segs[k], nodes_[at].name)) {
        return;
    }
    if (k + 1 == segs.size()) {
        add_unique(out, at);
        return;
    }
    for (NodeId c : nodes_[at].children) {
        match_from(c, segs, k + 1, out);
    }
}

std::vector<AddressSpace::NodeId> AddressSpace::match(std::string_view pattern) const {
    std::vector<NodeId> out;
    std::vector<std::string_view> segs = split_path(pattern);
    if (nodes_.empty() || segs.empty() || segs.size() > 64) {
        return out;
    }
    match_from(0, segs, 0, out);
    std::sort(out.begin(), out.end());
    return out;
}

double AddressSpace::clip(std::size_t index, double value) const {
    const Parameter& p = parameters_[index];
    double lo = p.min, hi = p.max;
    if (p.kind == Parameter::Kind::Button || p.kind == Parameter::Kind::Checkbox) {
        lo = 0;
        hi = 1;
    }
    if (std::isnan(value)) {
        return lo;
    }
    return std::min(std::max(value, std::min(lo, hi)), std::max(lo, hi));
}

} // namespace tutti::control
