// SPDX-License-Identifier: MIT
#include "faust_syntax.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>
#include <vector>

namespace tutti::test {

using boxes::Box;
using boxes::BoxKind;

namespace {

std::string real_text(double v) {
    if (std::isinf(v)) {
        return v < 0 ? "(0 : log)" : "(0 - (0 : log))";
    }
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    std::string s = buf;
    if (s.find_first_of(".e") == std::string::npos) {
        s += ".0";
    }
    if (s[0] == '-') {
        s = "(" + s + ")";
    }
    return s;
}

std::string type_text(ast::ValueType t) {
    return std::string(ast::type_name(t));
}

std::string prim_text(ast::PrimOp op) {
    if (op == ast::PrimOp::Pow) {
        return "pow";
    }
    return std::string(ast::prim_spelling(op));
}

struct Printer {
    std::unordered_map<const Box*, std::vector<std::int32_t>> free_;
    std::unordered_map<const Box*, int> uses_;
    std::unordered_map<const Box*, int> ids_;
    std::vector<std::string> defs_;

    const std::vector<std::int32_t>& free_slots(const Box* b) {
        auto it = free_.find(b);
        if (it != free_.end()) {
            return it->second;
        }
        std::vector<std::int32_t> out;
        if (b->kind == BoxKind::Slot) {
            out.push_back(b->ival);
        } else if (b->kind == BoxKind::Symbolic) {
            out = free_slots(b->kid(1));
            out.erase(std::remove(out.begin(), out.end(), b->kid(0)->ival), out.end());
        } else if (b->kind != BoxKind::Waveform) {
            for (const Box* k : b->kids) {
                const auto& f = free_slots(k);
                out.insert(out.end(), f.begin(), f.end());
            }
            std::sort(out.begin(), out.end());
            out.erase(std::unique(out.begin(), out.end()), out.end());
        }
        return free_.emplace(b, std::move(out)).first->second;
    }

    void count(const Box* b) {
        if (uses_[b]++ > 0) {
            return;
        }
        if (b->kind != BoxKind::Waveform) {
            for (const Box* k : b->kids) {
                count(k);
            }
        }
    }

    std::string print(const Box* b, bool top = false) {
        bool shareable = !b->kids.empty() && b->kind != BoxKind::Waveform && uses_[b] > 1 &&
                         free_slots(b).empty() && !top;
        if (shareable) {
            auto it = ids_.find(b);
            if (it != ids_.end()) {
                return "ID_" + std::to_string(it->second);
            }
            std::string body = print_node(b);
            int id = static_cast<int>(ids_.size());
            ids_.emplace(b, id);
            defs_.push_back("ID_" + std::to_string(id) + " = " + body + ";");
            return "ID_" + std::to_string(id);
        }
        return print_node(b);
    }

    std::string label(const Box* b) {
        return "\"" + std::string(b->label.str()) + "\"";
    }

    std::string print_node(const Box* b) {
        switch (b->kind) {
        case BoxKind::Int:
            return b->ival < 0 ? "(" + std::to_string(b->ival) + ")" : std::to_string(b->ival);
        case BoxKind::Real:
            return real_text(b->rval);
        case BoxKind::Wire:
            return "_";
        case BoxKind::Cut:
            return "!";
        case BoxKind::Prim:
            return prim_text(b->prim());
        case BoxKind::FFun: {
            const auto* f = b->ffun;
            std::string s =
                "ffunction(" + type_text(f->result) + " " + std::string(f->names[0].str());
            if (f->names[1] != f->names[0]) {
                s += "|" + std::string(f->names[1].str());
            }
            if (f->names[2] != f->names[1]) {
                s += "|" + std::string(f->names[2].str());
            }
            s += "(";
            for (std::size_t k = 0; k < f->args.size(); ++k) {
                s += (k ? "," : "") + type_text(f->args[k]);
            }
            return s + "), " + std::string(f->include.str()) + ", \"" +
                   std::string(f->library.str()) + "\")";
        }
        case BoxKind::FConst:
        case BoxKind::FVar:
            return std::string(b->kind == BoxKind::FConst ? "fconstant(" : "fvariable(") +
                   type_text(static_cast<ast::ValueType>(b->op)) + " " +
                   std::string(b->label.str()) + ", " + std::string(b->text.str()) + ")";
        case BoxKind::Seq:
            return "(" + print(b->kid(0)) + " : " + print(b->kid(1)) + ")";
        case BoxKind::Par:
            return "(" + print(b->kid(0)) + ", " + print(b->kid(1)) + ")";
        case BoxKind::Split:
            return "(" + print(b->kid(0)) + " <: " + print(b->kid(1)) + ")";
        case BoxKind::Merge:
            return "(" + print(b->kid(0)) + " :> " + print(b->kid(1)) + ")";
        case BoxKind::Rec:
            return "(" + print(b->kid(0)) + " ~ " + print(b->kid(1)) + ")";
        case BoxKind::Button:
            return "button(" + label(b) + ")";
        case BoxKind::Checkbox:
            return "checkbox(" + label(b) + ")";
        case BoxKind::VSlider:
        case BoxKind::HSlider:
        case BoxKind::NEntry: {
            std::string s = std::string(kind_name(b->kind)) + "(" + label(b);
            for (double d : b->nums) {
                s += ", " + real_text(d);
            }
            return s + ")";
        }
        case BoxKind::VBargraph:
        case BoxKind::HBargraph:
            return std::string(kind_name(b->kind)) + "(" + label(b) + ", " + real_text(b->nums[0]) +
                   ", " + real_text(b->nums[1]) + ")";
        case BoxKind::VGroup:
        case BoxKind::HGroup:
        case BoxKind::TGroup:
            return std::string(kind_name(b->kind)) + "(" + label(b) + ", " + print(b->kid(0)) + ")";
        case BoxKind::Soundfile:
            return "soundfile(" + label(b) + ", " + std::to_string(b->ival) + ")";
        case BoxKind::Waveform: {
            std::string s = "waveform{";
            for (std::size_t k = 0; k < b->kids.size(); ++k) {
                const Box* v = b->kids[k];
                std::string t =
                    v->kind == BoxKind::Int ? std::to_string(v->ival) : real_text(v->rval);
                if (t.front() == '(') {
                    t = t.substr(1, t.size() - 2);
                }
                s += (k ? "," : "") + t;
            }
            return s + "}";
        }
        case BoxKind::Route: {
            std::string s = "route(" + std::to_string(b->ival) + ", " +
                            std::to_string(static_cast<long>(b->rval));
            for (std::size_t k = 0; k + 1 < b->nums.size(); k += 2) {
                auto num = [](double d) {
                    return d == std::floor(d) ? std::to_string(static_cast<long>(d)) : real_text(d);
                };
                s += ", (" + num(b->nums[k]) + ", " + num(b->nums[k + 1]) + ")";
            }
            return s + ")";
        }
        case BoxKind::Slot:
            return "s" + std::to_string(b->ival);
        case BoxKind::Symbolic:
            return "\\(s" + std::to_string(b->kid(0)->ival) + ").(" + print(b->kid(1)) + ")";
        case BoxKind::Count:
            break;
        }
        return "?";
    }
};

} // namespace

std::string faust_program(const boxes::Box* process) {
    Printer p;
    p.count(process);
    std::string body = p.print(process, true);
    std::string out = "process = " + body + ";\n";
    for (const std::string& d : p.defs_) {
        out += d + "\n";
    }
    return out;
}

} // namespace tutti::test
