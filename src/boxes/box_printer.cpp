// SPDX-License-Identifier: MIT
#include <cstdio>
#include <vector>

#include "boxes/box.h"

namespace tutti::boxes {

namespace {

std::string num(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string quoted(Symbol s) {
    return "\"" + std::string(s.str()) + "\"";
}

const char* infix(BoxKind k) {
    switch (k) {
    case BoxKind::Seq:
        return " : ";
    case BoxKind::Par:
        return ",";
    case BoxKind::Split:
        return " <: ";
    case BoxKind::Merge:
        return " :> ";
    case BoxKind::Rec:
        return " ~ ";
    default:
        return " ? ";
    }
}

/// Iterative printer: a work list of boxes to open and strings to emit.
struct Printer {
    std::string out;
    struct Item {
        const Box* box;
        const char* text;
    };
    std::vector<Item> work;

    void push_text(const char* t) {
        work.push_back({nullptr, t});
    }

    void run(const Box* root) {
        work.push_back({root, nullptr});
        std::vector<std::string> owned; // keeps numbers alive while queued
        while (!work.empty()) {
            Item it = work.back();
            work.pop_back();
            if (it.box == nullptr) {
                out += it.text;
                continue;
            }
            const Box* b = it.box;
            switch (b->kind) {
            case BoxKind::Int:
                out += std::to_string(b->ival);
                break;
            case BoxKind::Real:
                out += num(b->rval);
                break;
            case BoxKind::Wire:
                out += "_";
                break;
            case BoxKind::Cut:
                out += "!";
                break;
            case BoxKind::Prim:
                out += ast::prim_spelling(b->prim());
                break;
            case BoxKind::FFun:
                out += "ffunction(" + std::string(b->ffun->names[0].str()) + ")";
                break;
            case BoxKind::FConst:
            case BoxKind::FVar:
                out += std::string(kind_name(b->kind)) + "(" + std::string(b->label.str()) + ")";
                break;
            case BoxKind::Seq:
            case BoxKind::Par:
            case BoxKind::Split:
            case BoxKind::Merge:
            case BoxKind::Rec:
                out += "(";
                push_text(")");
                work.push_back({b->kid(1), nullptr});
                push_text(infix(b->kind));
                work.push_back({b->kid(0), nullptr});
                break;
            case BoxKind::Button:
            case BoxKind::Checkbox:
                out += std::string(kind_name(b->kind)) + "(" + quoted(b->label) + ")";
                break;
            case BoxKind::VSlider:
            case BoxKind::HSlider:
            case BoxKind::NEntry:
            case BoxKind::VBargraph:
            case BoxKind::HBargraph: {
                out += std::string(kind_name(b->kind)) + "(" + quoted(b->label);
                for (double d : b->nums) {
                    out += "," + num(d);
                }
                out += ")";
                break;
            }
            case BoxKind::VGroup:
            case BoxKind::HGroup:
            case BoxKind::TGroup:
                out += std::string(kind_name(b->kind)) + "(" + quoted(b->label) + ", ";
                push_text(")");
                work.push_back({b->kid(0), nullptr});
                break;
            case BoxKind::Soundfile:
                out += "soundfile(" + quoted(b->label) + "," + std::to_string(b->ival) + ")";
                break;
            case BoxKind::Waveform: {
                out += "waveform{";
                for (std::size_t i = 0; i < b->kids.size(); ++i) {
                    const Box* v = b->kids[i];
                    out += (i ? "," : "") +
                           (v->kind == BoxKind::Int ? std::to_string(v->ival) : num(v->rval));
                }
                out += "}";
                break;
            }
            case BoxKind::Route: {
                out += "route(" + std::to_string(b->ival) + "," + num(b->rval);
                for (double d : b->nums) {
                    out += "," + num(d);
                }
                out += ")";
                break;
            }
            case BoxKind::Slot:
                out += "#" + std::to_string(b->ival);
                break;
            case BoxKind::Symbolic:
                out += "\\(#" + std::to_string(b->kid(0)->ival) + ").(";
                push_text(")");
                work.push_back({b->kid(1), nullptr});
                break;
            case BoxKind::Count:
                break;
            }
        }
    }
};

} // namespace

std::string print(const Box* b) {
    Printer p;
    p.run(b);
    return p.out;
}

} // namespace tutti::boxes
