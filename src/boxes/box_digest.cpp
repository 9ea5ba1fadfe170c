// SPDX-License-Identifier: MIT
#include "boxes/box_digest.h"

#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tutti::boxes {

namespace {

struct Hash2 {
    std::uint64_t a = 0xcbf29ce484222325ull, b = 0x84222325cbf29ce4ull;
    void word(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            unsigned char c = static_cast<unsigned char>(v >> (8 * i));
            a = (a ^ c) * 0x100000001b3ull;
            b = (b ^ c) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
        }
    }
    void real(double x) {
        std::uint64_t v;
        std::memcpy(&v, &x, 8);
        word(v);
    }
    void text(std::string_view s) {
        word(s.size());
        for (unsigned char c : s) {
            a = (a ^ c) * 0x100000001b3ull;
            b = (b ^ c) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
        }
    }
    void pair(std::pair<std::uint64_t, std::uint64_t> p) {
        word(p.first);
        word(p.second);
    }
};

} // namespace

std::string digest(const Box* root) {
    std::unordered_map<const Box*, std::pair<std::uint64_t, std::uint64_t>> done;
    std::vector<std::pair<const Box*, bool>> stack{{root, false}};
    while (!stack.empty()) {
        auto [b, expanded] = stack.back();
        stack.pop_back();
        if (b == nullptr || done.count(b)) {
            continue;
        }
        if (!expanded) {
            stack.push_back({b, true});
            for (const Box* k : b->kids) {
                if (k != nullptr && !done.count(k)) {
                    stack.push_back({k, false});
                }
            }
            continue;
        }
        Hash2 h;
        h.word(std::uint64_t(b->kind) << 8 | b->op);
        h.word(std::uint64_t(b->inputs) << 32 | b->outputs);
        h.word(std::uint64_t(std::uint32_t(b->ival)));
        h.real(b->rval);
        h.text(b->label.str());
        h.text(b->text.str());
        h.word(b->nums.size());
        for (double x : b->nums) {
            h.real(x);
        }
        if (b->ffun != nullptr) {
            h.word(std::uint64_t(b->ffun->result));
            for (const Symbol& n : b->ffun->names) {
                h.text(n.str());
            }
            for (ast::ValueType t : b->ffun->args) {
                h.word(std::uint64_t(t));
            }
            h.text(b->ffun->include.str());
            h.text(b->ffun->library.str());
        }
        h.word(b->kids.size());
        for (const Box* k : b->kids) {
            h.pair(k != nullptr ? done[k] : std::pair<std::uint64_t, std::uint64_t>{0, 0});
        }
        done[b] = {h.a, h.b};
    }
    auto d = done[root];
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(d.first),
                  static_cast<unsigned long long>(d.second));
    return buf;
}

} // namespace tutti::boxes
