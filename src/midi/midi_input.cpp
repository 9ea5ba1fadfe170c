// SPDX-License-Identifier: MIT
#include "midi/midi_input.h"

#include <chrono>

#include "support/rt_section.h"

namespace tutti::midi {

MidiInput::MidiInput(Engine& engine) : engine_(engine) {
    refresh();
    watcher_ = std::thread([this] { watch(); });
}

MidiInput::~MidiInput() {
    stop_.store(true);
    if (watcher_.joinable()) {
        watcher_.join();
    }
    map_.store(nullptr);
}

void MidiInput::watch() {
    while (!stop_.load()) {
        refresh();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

void MidiInput::refresh() {
    std::lock_guard<std::mutex> lock(refresh_mutex_);
    if (engine_.playing_generation() == seen_) {
        return;
    }
    VersionUi ui = engine_.playing_ui();
    if (!ui || ui.generation == seen_) {
        return;
    }
    seen_ = ui.generation;
    auto next = std::make_unique<MidiMap>(*ui.factory, ui.generation);
    map_.store(next.get()); // seq_cst: pairs with midi()'s in_midi_ then map_
    // the audio thread may still be inside the old map: wait until it is not
    while (in_midi_.load()) {
        std::this_thread::yield();
    }
    owned_ = std::move(next);
}

void MidiInput::midi(int, const MidiEvent* events, std::size_t count) noexcept {
    rt::AudioSection section;
    if (count == 0) {
        return;
    }
    in_midi_.store(true);
    MidiMap* map = map_.load();
    // the block about to be computed starts at this engine frame
    const std::int64_t base = std::int64_t(engine_.frames_processed());
    std::uint64_t decoded = 0, pushed = 0, refused = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const MidiEvent& e = events[i];
        decoder_.feed(e.data, e.size, [&](const MidiMessage& m) {
            ++decoded;
            if (map == nullptr) {
                return;
            }
            map->apply(m, base + std::int64_t(e.frame), [&](const ParameterChange& c) {
                if (engine_.push(c)) {
                    ++pushed;
                } else {
                    ++refused;
                }
            });
        });
    }
    in_midi_.store(false);
    messages_.fetch_add(decoded, std::memory_order_relaxed);
    pushed_.fetch_add(pushed, std::memory_order_relaxed);
    refused_.fetch_add(refused, std::memory_order_relaxed);
}

} // namespace tutti::midi
