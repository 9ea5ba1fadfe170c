// SPDX-License-Identifier: MIT
/** \file Control changes as MIDI events of the link (see controls.h). */
#include "netjack/controls.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "netjack/bytes.h"

namespace tutti::netjack {

bool encode_control(const ControlChange& c, MidiEvent* out) {
    if (c.index >= static_cast<std::uint32_t>(kMaxControls)) {
        return false;
    }
    out[0].frame = c.frame;
    out[0].size = 4;
    out[0].data[0] = kControlStatus;
    out[0].data[1] = static_cast<std::uint8_t>(c.index >> 7);
    out[0].data[2] = static_cast<std::uint8_t>(c.index & 0x7F);
    out[0].data[3] = c.refresh ? 1 : 0;
    out[1].frame = c.frame;
    out[1].size = 4;
    put_le32(out[1].data, std::bit_cast<std::uint32_t>(c.value));
    return true;
}

void decode_controls(const MidiEvent* events, int count, ControlChange* changes, int capacity,
                     int* changes_out, MidiEvent* other, int other_capacity, int* other_out,
                     int* bad) {
    int n = 0, m = 0, wrong = 0;
    for (int i = 0; i < count; ++i) {
        const MidiEvent& e = events[i];
        if (e.size >= 1 && e.data[0] == kControlStatus) {
            const bool paired = e.size == 4 && i + 1 < count && events[i + 1].size == 4 &&
                                events[i + 1].frame == e.frame && e.data[1] < 0x80 &&
                                e.data[2] < 0x80 && e.data[3] <= 1;
            if (!paired) {
                ++wrong;
                continue;
            }
            if (n < capacity) {
                ControlChange& c = changes[n++];
                c.frame = e.frame;
                c.index = (std::uint32_t{e.data[1]} << 7) | e.data[2];
                c.refresh = e.data[3] == 1;
                c.value = std::bit_cast<float>(get_le32(events[i + 1].data));
            }
            ++i; // the value event
            continue;
        }
        if (m < other_capacity) {
            other[m++] = e;
        }
    }
    *changes_out = n;
    if (other_out) {
        *other_out = m;
    }
    if (bad) {
        *bad = wrong;
    }
}

void ControlSender::prepare(int controls, int period, int sample_rate) {
    controls = std::clamp(controls, 0, kMaxControls);
    values_.assign(static_cast<std::size_t>(controls), 0.0f);
    known_.assign(static_cast<std::size_t>(controls), 0);
    pending_.assign(kMaxControlEvents / 2, ControlChange{});
    pending_count_ = 0;
    next_ = 0;
    const long cycles = std::max(1L, static_cast<long>(sample_rate) * kRefreshSweepMs /
                                         (1000L * std::max(period, 1)));
    per_cycle_ = controls == 0 ? 0 : static_cast<int>((controls + cycles - 1) / cycles);
    // Room for changes next to the sweep: at most half the events.
    per_cycle_ = std::min(per_cycle_, kMaxControlEvents / 4);
}

bool ControlSender::push(std::uint32_t frame, std::uint32_t index, float value) noexcept {
    if (index >= values_.size() || pending_count_ >= static_cast<int>(pending_.size())) {
        return false;
    }
    values_[index] = value;
    known_[index] = 1;
    ControlChange& c = pending_[static_cast<std::size_t>(pending_count_++)];
    c.frame = frame;
    c.index = index;
    c.value = value;
    c.refresh = false;
    return true;
}

bool ControlSender::seed(std::uint32_t index, float value) noexcept {
    if (index >= values_.size()) {
        return false;
    }
    values_[index] = value;
    known_[index] = 1;
    return true;
}

int ControlSender::take_events(int period, MidiEvent* out, int capacity) noexcept {
    // Changes in frame order; two of one frame keep their order (insertion
    // sort: stable, and std::stable_sort may allocate).
    for (int i = 1; i < pending_count_; ++i) {
        const ControlChange c = pending_[static_cast<std::size_t>(i)];
        int j = i;
        while (j > 0 && pending_[static_cast<std::size_t>(j) - 1].frame > c.frame) {
            pending_[static_cast<std::size_t>(j)] = pending_[static_cast<std::size_t>(j) - 1];
            --j;
        }
        pending_[static_cast<std::size_t>(j)] = c;
    }
    int n = 0;
    for (int i = 0; i < pending_count_ && n + 2 <= capacity; ++i) {
        ControlChange c = pending_[static_cast<std::size_t>(i)];
        c.frame = std::min<std::uint32_t>(c.frame, static_cast<std::uint32_t>(period - 1));
        n += encode_control(c, out + n) ? 2 : 0;
    }
    pending_count_ = 0;
    const int total = static_cast<int>(values_.size());
    for (int k = 0; k < per_cycle_ && n + 2 <= capacity && total > 0; ++k) {
        if (!known_[static_cast<std::size_t>(next_)]) {
            next_ = (next_ + 1) % total;
            continue;
        }
        ControlChange c;
        c.frame = static_cast<std::uint32_t>(period - 1);
        c.index = static_cast<std::uint32_t>(next_);
        c.value = values_[static_cast<std::size_t>(next_)];
        c.refresh = true;
        n += encode_control(c, out + n) ? 2 : 0;
        next_ = (next_ + 1) % total;
    }
    return n;
}

void ControlReceiver::prepare(int controls) {
    controls = std::clamp(controls, 0, kMaxControls);
    values_.assign(static_cast<std::size_t>(controls), 0.0f);
    known_.assign(static_cast<std::size_t>(controls), false);
    repairs_.store(0, std::memory_order_relaxed);
}

int ControlReceiver::filter(ControlChange* changes, int count) noexcept {
    int kept = 0;
    for (int i = 0; i < count; ++i) {
        ControlChange c = changes[i];
        if (c.index >= values_.size()) {
            continue;
        }
        const std::size_t at = c.index;
        if (c.refresh) {
            if (known_[at] && values_[at] == c.value) {
                continue; // nothing to repair
            }
            if (known_[at]) { // (the first is the initial state)
                repairs_.fetch_add(1, std::memory_order_relaxed);
            }
        }
        values_[at] = c.value;
        known_[at] = true;
        changes[kept++] = c;
    }
    return kept;
}

} // namespace tutti::netjack
