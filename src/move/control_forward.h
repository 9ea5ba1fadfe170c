// SPDX-License-Identifier: MIT
/** \file
 * The controls of a moved program (docs/move.md, "Controls while moved"):
 * while the program plays on a server, every control source of `tutti play`
 * (OSC, HTTP, WebSocket, --set, the hub) still sets the local engine's
 * parameters. The mover keeps applying them to the local engine (its
 * process() of zero frames while the program is away: the values are kept
 * here, so what comes back agrees), and this observer of the engine
 * (EngineOptions::change_observer) hands each applied change to the control
 * thread, which sends it to the server instance (RemoteInstance::
 * set_parameter: through the NetJack link's controls when linked, the HTTP
 * controls route otherwise).
 *
 * Threads: applied() is the engine's audio thread (a store into a ring made
 * beforehand: no allocation, lock or wait; a full ring counts the change as
 * dropped); arm() and drain() one control thread.
 */
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "tutti/engine.h"

namespace tutti::move {

/// ParameterChange::origin of the changes the forwarder pushes back into the
/// local engine (not forwarded again).
inline constexpr std::uint32_t kMoveOrigin = 0x4D56; // "MV"

/// Where the changes can go on the audio thread itself, stamped with their
/// frame (Mover: into the link's sample-accurate controls).
class TimedControls {
public:
    virtual ~TimedControls() = default;
    /// Audio thread, inside the engine's process()/skip(): a change applied at
    /// engine frame `frame`; false when it cannot be taken (then it goes to
    /// the control thread as before).
    virtual bool timed_change(std::uint64_t frame, std::uint32_t index, double value) noexcept = 0;
};

class ControlForward final : public ChangeObserver {
public:
    struct Change {
        std::uint32_t index = 0;
        double value = 0;
        bool is_note = false; ///< a note (a polyphonic program's) instead of a value
        NoteEvent note{};
    };

    explicit ControlForward(std::size_t capacity = 4096);

    /// Audio thread (the engine, inside process()).
    void applied(std::uint64_t frame, std::size_t index, double value,
                 std::uint32_t origin) noexcept override;
    /// Audio thread: a note played (kept as changes are, in order, every one).
    void noted(std::uint64_t frame, const NoteEvent& note, std::uint32_t origin) noexcept override;

    /// Control thread: from now on (true), the changes applied are kept for
    /// drain(); false: no longer (what is queued stays until drained).
    void arm(bool on) {
        armed_.store(on, std::memory_order_release);
    }
    bool armed() const {
        return armed_.load(std::memory_order_acquire);
    }
    /// Control thread: the changes applied since the last drain, the last
    /// value of each control only, in the order of their last change; the
    /// notes, every one, in their order among them.
    std::vector<Change> drain();
    /// Any thread: changes lost to a full ring.
    std::uint64_t dropped() const {
        return dropped_.load(std::memory_order_relaxed);
    }
    /// Control thread: the armed changes go first to `to` (null: none), on
    /// the audio thread with their frame; what it does not take goes to the
    /// ring for drain().
    void route(TimedControls* to) {
        route_.store(to, std::memory_order_release);
    }
    /// Any thread: changes `route` took.
    std::uint64_t routed() const {
        return routed_.load(std::memory_order_relaxed);
    }

private:
    std::atomic<bool> armed_{false};
    std::atomic<TimedControls*> route_{nullptr};
    std::atomic<std::uint64_t> routed_{0};
    std::size_t cap_; ///< a power of two
    std::unique_ptr<Change[]> ring_;
    std::atomic<std::uint64_t> head_{0}; ///< written by the audio thread
    std::atomic<std::uint64_t> tail_{0}; ///< by the control thread
    std::atomic<std::uint64_t> dropped_{0};
};

} // namespace tutti::move
