// SPDX-License-Identifier: MIT
/** \file
 * AddressTable: both spellings of every control address (address_table.h).
 */
#include "http/address_table.h"

#include "tutti/runtime.h"

namespace tutti::http {

namespace {

std::string_view trim_slash(std::string_view a) {
    while (a.size() > 1 && a.back() == '/') {
        a.remove_suffix(1);
    }
    return a;
}

bool at_or_under(std::string_view path, std::string_view group) {
    if (group == "/") {
        return true;
    }
    return path.size() >= group.size() && path.compare(0, group.size(), group) == 0 &&
           (path.size() == group.size() || path[group.size()] == '/');
}

/// Collects the httpd spelling of every control while the factory walks its UI.
class HttpdPaths : public UiVisitor {
public:
    HttpdPaths(std::vector<Control>* controls, std::vector<std::size_t>* order)
        : controls_(controls), order_(order) {
    }
    void open_group(std::string_view, std::string_view label,
                    const std::vector<std::pair<std::string, std::string>>&) override {
        prefix_.push_back(prefix_.empty()
                              ? "/" + AddressTable::httpd_label(label)
                              : prefix_.back() + "/" + AddressTable::httpd_label(label));
    }
    void close_group() override {
        if (!prefix_.empty()) {
            prefix_.pop_back();
        }
    }
    void widget(const Parameter& p, std::size_t index) override {
        if (index < controls_->size()) {
            order_->push_back(index);
            (*controls_)[index].httpd_path = (prefix_.empty() ? std::string() : prefix_.back()) +
                                             "/" + AddressTable::httpd_label(p.label);
        }
    }

private:
    std::vector<Control>* controls_;
    std::vector<std::size_t>* order_;
    std::vector<std::string> prefix_;
};

} // namespace

std::string AddressTable::httpd_label(std::string_view label) {
    std::string out(label.substr(0, 1023));
    for (char& c : out) {
        switch (c) {
        case ' ':
        case '\t':
        case ';':
        case '/':
        case '?':
        case ':':
        case '@':
        case '&':
        case '=':
        case '+':
        case '$':
        case ',':
        case '<':
        case '>':
        case '#':
        case '%':
        case '"':
        case '{':
        case '}':
        case '|':
        case '\\':
        case '^':
        case '[':
        case ']':
        case '`':
            c = '_';
            break;
        default:
            break;
        }
    }
    return out;
}

AddressTable::AddressTable(std::uint64_t generation, std::string json,
                           std::vector<Control> controls, const std::vector<std::size_t>& ui_order)
    : generation_(generation), json_(std::move(json)), controls_(std::move(controls)) {
    // the order given when it names every control once, else the controls' own
    std::vector<bool> seen(controls_.size(), false);
    for (std::size_t i : ui_order) {
        if (i < controls_.size() && !seen[i]) {
            seen[i] = true;
            ui_order_.push_back(i);
        }
    }
    for (std::size_t i = 0; i < controls_.size(); ++i) {
        if (!seen[i]) {
            ui_order_.push_back(i);
        }
    }
    // the JSON spelling first: where both spellings of two controls collide, an
    // address means what faust -json calls it
    for (std::size_t i = 0; i < controls_.size(); ++i) {
        by_path_.emplace(controls_[i].path, i);
    }
    for (std::size_t i = 0; i < controls_.size(); ++i) {
        if (!controls_[i].httpd_path.empty()) {
            by_path_.emplace(controls_[i].httpd_path, i);
        }
    }
}

AddressTable AddressTable::from_factory(std::uint64_t generation, const Factory& factory) {
    std::vector<Control> controls;
    for (const Parameter& p : factory.parameters()) {
        Control c;
        c.path = p.path;
        c.output = p.kind == Parameter::Kind::HBargraph || p.kind == Parameter::Kind::VBargraph;
        const bool toggle =
            p.kind == Parameter::Kind::Button || p.kind == Parameter::Kind::Checkbox;
        c.min = toggle ? 0 : p.min;
        c.max = toggle ? 1 : p.max;
        c.init = p.init;
        controls.push_back(std::move(c));
    }
    std::vector<std::size_t> order;
    HttpdPaths walk(&controls, &order);
    factory.build_user_interface(walk);
    for (Control& c : controls) {
        if (c.httpd_path.empty()) {
            c.httpd_path = c.path;
        }
    }
    return AddressTable(generation, factory.json(), std::move(controls), order);
}

std::optional<std::size_t> AddressTable::find(std::string_view address) const {
    auto it = by_path_.find(std::string(trim_slash(address)));
    if (it != by_path_.end()) {
        return it->second;
    }
    if (fallback_) {
        std::vector<std::size_t> named = fallback_(address);
        if (named.size() == 1 && named[0] < controls_.size()) {
            return named[0];
        }
    }
    return std::nullopt;
}

std::vector<std::size_t> AddressTable::under(std::string_view address, Spelling* spelling) const {
    std::string_view a = trim_slash(address);
    std::vector<std::size_t> out;
    for (Spelling s : {Spelling::Json, Spelling::Httpd}) {
        for (std::size_t i : ui_order_) {
            const std::string& p =
                s == Spelling::Json ? controls_[i].path : controls_[i].httpd_path;
            if (at_or_under(p, a)) {
                out.push_back(i);
            }
        }
        if (!out.empty()) {
            if (spelling != nullptr) {
                *spelling = s;
            }
            return out;
        }
    }
    if (fallback_) {
        for (std::size_t i : fallback_(a)) {
            if (i < controls_.size()) {
                out.push_back(i);
            }
        }
        if (spelling != nullptr) {
            *spelling = Spelling::Json;
        }
    }
    return out;
}

} // namespace tutti::http
