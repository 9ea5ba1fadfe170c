// SPDX-License-Identifier: MIT
#include "boxes/box_digest.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "support/content_hash.h"

namespace tutti::boxes {

using support::Hash128;

std::string digest(const Box* root) {
    // by the boxes' dense ids (Box::id, one BoxContext): vectors, not a hash map (issue 14)
    std::vector<std::pair<std::uint64_t, std::uint64_t>> value;
    std::vector<std::uint8_t> known;
    auto is_done = [&](const Box* b) { return b->id < known.size() && known[b->id] != 0; };
    std::vector<std::pair<const Box*, bool>> stack{{root, false}};
    while (!stack.empty()) {
        auto [b, expanded] = stack.back();
        stack.pop_back();
        if (b == nullptr || is_done(b)) {
            continue;
        }
        if (!expanded) {
            stack.emplace_back(b, true);
            for (const Box* k : b->kids) {
                if (k != nullptr && !is_done(k)) {
                    stack.emplace_back(k, false);
                }
            }
            continue;
        }
        Hash128 h;
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
            h.pair(k != nullptr ? value[k->id] : std::pair<std::uint64_t, std::uint64_t>{0, 0});
        }
        if (b->id >= known.size()) {
            const std::size_t n = std::max<std::size_t>(std::size_t(b->id) + 1, 2 * known.size());
            known.resize(n, 0);
            value.resize(n);
        }
        known[b->id] = 1;
        value[b->id] = h.value();
    }
    auto d = root != nullptr ? value[root->id] : std::pair<std::uint64_t, std::uint64_t>{0, 0};
    return support::hex64(d.first) + support::hex64(d.second);
}

} // namespace tutti::boxes
