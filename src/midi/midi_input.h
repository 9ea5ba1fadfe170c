// SPDX-License-Identifier: MIT
/** \file
 * MIDI input as a control source of the engine: the driver hands each block's
 * MIDI events to `midi()` on the audio thread, before the block; each event is
 * decoded (midi_decoder.h), mapped by the playing version's bindings
 * (midi_map.h) and pushed to the engine as parameter changes and notes stamped
 * with its frame, so it lands at that sample of the block (the engine splits
 * the block there).
 *
 * Threads: midi() is the audio thread's: no allocation, lock or wait; it reads
 * the current map through an atomic pointer. A thread of this object watches
 * the playing version (Engine::playing_generation) and builds the map of each
 * new version; an old map is freed once the audio thread is known to be out of
 * it (a handshake on two atomics, as the JACK driver's stop()).
 */
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "midi/midi_decoder.h"
#include "midi/midi_map.h"
#include "tutti/driver.h"
#include "tutti/engine.h"

namespace tutti::midi {

class MidiInput final : public MidiCallback {
public:
    /// Control thread. Starts watching `engine` (which must outlive this object).
    explicit MidiInput(Engine& engine);
    /// Control thread, after the driver stopped calling midi().
    ~MidiInput() override;
    MidiInput(const MidiInput&) = delete;
    MidiInput& operator=(const MidiInput&) = delete;

    void midi(int frames, const MidiEvent* events, std::size_t count) noexcept override;

    /// Any thread: messages decoded, changes and notes pushed, pushes the
    /// engine's queue refused.
    std::uint64_t messages() const {
        return messages_.load(std::memory_order_relaxed);
    }
    std::uint64_t pushed() const {
        return pushed_.load(std::memory_order_relaxed);
    }
    std::uint64_t refused() const {
        return refused_.load(std::memory_order_relaxed);
    }
    /// Control thread: rebuilds the map now if the playing version changed
    /// (the watcher does it every few milliseconds on its own).
    void refresh();

private:
    void watch();

    Engine& engine_;
    MidiDecoder decoder_; ///< audio thread only
    std::atomic<MidiMap*> map_{nullptr};
    std::atomic<bool> in_midi_{false};
    std::unique_ptr<MidiMap> owned_; ///< the current map (refresh's side)
    std::mutex refresh_mutex_;       ///< refresh() from the watcher and from a caller
    std::uint64_t seen_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> messages_{0}, pushed_{0}, refused_{0};
    std::thread watcher_;
};

} // namespace tutti::midi
