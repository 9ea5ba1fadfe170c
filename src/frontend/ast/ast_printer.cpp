// SPDX-License-Identifier: MIT
#include "frontend/ast/ast_printer.h"

#include <cstdio>
#include <vector>

namespace tutti::ast {

namespace {

void quoted(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    out += '"';
}

void real(std::string& out, double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    out += buf;
}

/// The head of a node: "(kind fields" (without the children and the closing paren).
void head(std::string& out, const Node* n, const diag::SourceManager* sm, PrintOptions opts) {
    out += '(';
    switch (n->kind) {
    case NodeKind::Infix:
    case NodeKind::Prim:
        out += n->kind == NodeKind::Infix ? "infix " : "prim ";
        out += prim_spelling(n->prim());
        break;
    case NodeKind::Iter:
        out += "iter ";
        out += iter_name(static_cast<IterKind>(n->op));
        break;
    default:
        out += kind_name(n->kind);
        break;
    }
    if (opts.locations && sm != nullptr && n->range.begin.file != 0) {
        diag::LineCol lc = sm->line_col(n->range.begin);
        out += " @" + std::to_string(lc.line) + ':' + std::to_string(lc.column);
    }
    switch (n->kind) {
    case NodeKind::Int:
        out += ' ' + std::to_string(n->ival);
        break;
    case NodeKind::Real:
        out += ' ';
        real(out, n->rval);
        break;
    case NodeKind::Ident:
    case NodeKind::Access:
    case NodeKind::Definition:
    case NodeKind::RecDef:
    case NodeKind::DocMetadata:
        out += ' ';
        out += n->name.str();
        break;
    case NodeKind::Type:
        out += ' ';
        out += type_name(static_cast<ValueType>(n->op));
        break;
    case NodeKind::FConstant:
    case NodeKind::FVariable:
        out += ' ';
        out += type_name(static_cast<ValueType>(n->op));
        out += ' ';
        out += n->name.str();
        out += ' ';
        quoted(out, n->text.str());
        break;
    case NodeKind::FFunction:
        out += ' ';
        out += type_name(static_cast<ValueType>(n->op));
        out += ' ';
        quoted(out, n->text.str());
        out += ' ';
        quoted(out, n->name.str());
        break;
    case NodeKind::Declare:
        out += ' ';
        out += n->name.str();
        out += ' ';
        quoted(out, n->text.str());
        break;
    case NodeKind::DocText:
    case NodeKind::DocListing:
        out += ' ';
        quoted(out, n->text.str());
        break;
    case NodeKind::File:
    case NodeKind::Import:
    case NodeKind::Component:
    case NodeKind::Library:
    case NodeKind::Button:
    case NodeKind::Checkbox:
    case NodeKind::VSlider:
    case NodeKind::HSlider:
    case NodeKind::NEntry:
    case NodeKind::VGroup:
    case NodeKind::HGroup:
    case NodeKind::TGroup:
    case NodeKind::VBargraph:
    case NodeKind::HBargraph:
    case NodeKind::Soundfile:
        out += ' ';
        quoted(out, n->name.str());
        break;
    default:
        break;
    }
    if (n->kind == NodeKind::Definition && n->op != 0) {
        out += " [";
        const char* names[] = {"single", "double", "quad", "fixed"};
        bool first = true;
        for (int b = 0; b < 4; ++b) {
            if (n->op & (1 << b)) {
                out += first ? "" : " ";
                out += names[b];
                first = false;
            }
        }
        out += ']';
    }
    if (n->kind == NodeKind::Definition && n->flags != 0) {
        out += " (params)";
    }
    if (n->kind == NodeKind::Letrec) {
        out += " " + std::to_string(n->flags);
    }
}

/// Children to print, with right-nested chains of the same kind spliced in.
void gather_children(const Node* n, std::vector<const Node*>& kids) {
    kids.clear();
    bool chain = n->kind == NodeKind::Par || n->kind == NodeKind::Seq;
    const Node* cur = n;
    for (;;) {
        for (std::uint32_t i = 0; i < cur->count; ++i) {
            const Node* k = cur->kids[i];
            if (chain && i + 1 == cur->count && k != nullptr && k->kind == n->kind) {
                cur = k;
                goto next;
            }
            kids.push_back(k);
        }
        return;
    next:;
    }
}

} // namespace

std::string print(const Node* root, const diag::SourceManager* sm, PrintOptions opts) {
    std::string out;
    struct Frame {
        const Node* node;
        std::vector<const Node*> kids;
        std::size_t next = 0;
    };
    std::vector<Frame> stack;
    std::vector<const Node*> tmp;
    auto open = [&](const Node* n) {
        if (n == nullptr) {
            out += "()";
            return;
        }
        head(out, n, sm, opts);
        gather_children(n, tmp);
        stack.push_back({n, tmp, 0});
    };
    open(root);
    while (!stack.empty()) {
        Frame& f = stack.back();
        if (f.next == f.kids.size()) {
            out += ')';
            stack.pop_back();
            continue;
        }
        const Node* k = f.kids[f.next++];
        bool top_level_stmt =
            f.node->kind == NodeKind::File || f.node->kind == NodeKind::Environment;
        if (top_level_stmt) {
            out += "\n";
            out.append(2 * stack.size(), ' ');
        } else {
            out += ' ';
        }
        open(k);
    }
    out += '\n';
    return out;
}

} // namespace tutti::ast
