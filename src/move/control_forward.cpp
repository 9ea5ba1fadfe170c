// SPDX-License-Identifier: MIT
// The controls of a moved program (control_forward.h, docs/move.md).
#include "move/control_forward.h"

#include <algorithm>
#include <unordered_map>

namespace tutti::move {

ControlForward::ControlForward(std::size_t capacity) {
    cap_ = 1;
    while (cap_ < std::max<std::size_t>(capacity, 2)) {
        cap_ <<= 1;
    }
    ring_ = std::make_unique<Change[]>(cap_);
}

void ControlForward::applied(std::uint64_t frame, std::size_t index, double value,
                             std::uint32_t origin) noexcept {
    if (origin == kMoveOrigin || !armed_.load(std::memory_order_acquire)) {
        return;
    }
    if (TimedControls* to = route_.load(std::memory_order_acquire);
        to != nullptr && to->timed_change(frame, std::uint32_t(index), value)) {
        routed_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const std::uint64_t h = head_.load(std::memory_order_relaxed);
    if (h - tail_.load(std::memory_order_acquire) >= cap_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    ring_[h & (cap_ - 1)] = Change{std::uint32_t(index), value};
    head_.store(h + 1, std::memory_order_release);
}

void ControlForward::noted(std::uint64_t /*frame*/, const NoteEvent& note,
                           std::uint32_t origin) noexcept {
    if (origin == kMoveOrigin || !armed_.load(std::memory_order_acquire)) {
        return;
    }
    const std::uint64_t h = head_.load(std::memory_order_relaxed);
    if (h - tail_.load(std::memory_order_acquire) >= cap_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    Change c;
    c.is_note = true;
    c.note = note;
    ring_[h & (cap_ - 1)] = c;
    head_.store(h + 1, std::memory_order_release);
}

std::vector<ControlForward::Change> ControlForward::drain() {
    std::vector<Change> out;
    const std::uint64_t h = head_.load(std::memory_order_acquire);
    std::uint64_t t = tail_.load(std::memory_order_relaxed);
    if (t == h) {
        return out;
    }
    std::unordered_map<std::uint32_t, std::size_t> at; // index -> place in out
    for (; t != h; ++t) {
        const Change c = ring_[t & (cap_ - 1)];
        if (c.is_note) {
            out.push_back(c); // every note, in order
            continue;
        }
        if (auto it = at.find(c.index); it != at.end()) {
            out.erase(out.begin() + std::ptrdiff_t(it->second));
            for (auto& [i, p] : at) {
                if (p > it->second) {
                    --p;
                }
            }
        }
        at[c.index] = out.size();
        out.push_back(c);
    }
    tail_.store(h, std::memory_order_release);
    return out;
}

} // namespace tutti::move
