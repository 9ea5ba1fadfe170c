// SPDX-License-Identifier: MIT
/** \file
 * SSA-like text of a signal graph: every interior node once, numbered in the
 * order a post-order walk from the outputs first completes it; leaves inline.
 *   S0 = bin(+, input(0), 1)
 *   out0 = S0
 * Iterative (graphs can be deep); numbering is independent of addresses.
 */
#include <cstdio>
#include <unordered_map>

#include "signals/signal.h"

namespace tutti::sig {

namespace {

bool is_leaf(const Signal* s) {
    return s->kids.empty();
}

std::string num(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string leaf_text(const Signal* s) {
    switch (s->kind) {
    case SigKind::Int:
        return std::to_string(s->ival);
    case SigKind::Real:
        return num(s->rval);
    case SigKind::Input:
        return "input(" + std::to_string(s->ival) + ")";
    case SigKind::RecVar:
        return "W" + std::to_string(s->ival);
    case SigKind::FConst:
    case SigKind::FVar:
        return std::string(kind_name(s->kind)) + "(" + std::string(s->label.str()) + ")";
    default: {
        std::string out =
            std::string(kind_name(s->kind)) + "(\"" + std::string(s->label.str()) + "\"";
        for (double d : s->nums) {
            out += "," + num(d);
        }
        return out + ")";
    }
    }
}

} // namespace

std::string print(std::span<const Signal* const> outputs,
                  const std::function<std::string(const Signal*)>& note) {
    std::unordered_map<const Signal*, std::string> names;
    std::string body;
    std::size_t counter = 0;
    auto ref = [&](const Signal* s) -> std::string {
        if (is_leaf(s)) {
            return leaf_text(s);
        }
        return names.at(s);
    };
    struct Frame {
        const Signal* s;
        std::size_t next;
    };
    std::vector<Frame> stack;
    for (const Signal* root : outputs) {
        if (is_leaf(root) || names.count(root)) {
            continue;
        }
        stack.push_back({root, 0});
        while (!stack.empty()) {
            Frame& f = stack.back();
            if (f.next < f.s->kids.size()) {
                const Signal* k = f.s->kids[f.next++];
                if (!is_leaf(k) && !names.count(k)) {
                    names[k] = ""; // mark as in progress (recursion groups refer by RecVar)
                    stack.push_back({k, 0});
                }
                continue;
            }
            const Signal* s = f.s;
            stack.pop_back();
            std::string line =
                "S" + std::to_string(counter) + " = " + std::string(kind_name(s->kind));
            line += "(";
            bool first = true;
            auto arg = [&](const std::string& a) {
                line += (first ? "" : ", ") + a;
                first = false;
            };
            if (s->kind == SigKind::Bin || s->kind == SigKind::Math) {
                arg(std::string(ast::prim_spelling(s->prim())));
            } else if (s->kind == SigKind::Proj || s->kind == SigKind::RecGroup) {
                arg(std::to_string(s->ival));
            } else if (s->kind == SigKind::FFun) {
                arg(std::string(s->ffun->names[0].str()));
            } else if (!s->label.empty()) {
                arg("\"" + std::string(s->label.str()) + "\"");
            }
            for (double d : s->nums) {
                arg(num(d));
            }
            for (const Signal* k : s->kids) {
                arg(ref(k));
            }
            line += ")";
            if (note) {
                line += " ; " + note(s);
            }
            line += "\n";
            names[s] = "S" + std::to_string(counter++);
            body += line;
        }
    }
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        body += "out" + std::to_string(i) + " = " + ref(outputs[i]) + "\n";
    }
    return body;
}

} // namespace tutti::sig
