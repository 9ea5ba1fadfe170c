// SPDX-License-Identifier: MIT
/** \file
 * Control changes carried in a NetJack link, as events of its first MIDI
 * port (JACK MIDI events of at most 4 bytes: what jack2 carries intact).
 *
 * One change is two events at the frame where it lands:
 *   [0xF4, index >> 7, index & 0x7F, kind]   (0xF4: undefined in MIDI 1.0,
 *   ignored by MIDI devices; kind 0: a change, 1: a refresh of the state)
 *   [the value as a little-endian IEEE float, 4 bytes]
 * Other events of the port (MIDI channel messages) pass through untouched.
 *
 * The sender keeps the state it owns (the last value of every control it
 * sent or was seeded with) and adds, every cycle, a few refresh entries
 * round-robin, so a whole sweep
 * takes at most kRefreshSweepMs: a change lost with its cycle is repaired by
 * a later sweep (five sweeps in 100 ms: at 10 % loss a repair is lost five
 * times in a row once in 100,000 lost changes). The receiver keeps the state it
 * has seen and hands over a refresh only when it differs (a repair), at
 * frame 0 of its cycle. Pure code, no allocation after prepare(): it runs on
 * the audio thread.
 */
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "netjack/midi.h"

namespace tutti::netjack {

inline constexpr std::uint8_t kControlStatus = 0xF4;
inline constexpr int kMaxControls = 16384;    ///< 14-bit index
inline constexpr int kRefreshSweepMs = 20;    ///< a full state sweep at most this long
inline constexpr int kMaxControlEvents = 512; ///< events per cycle and port

struct ControlChange {
    std::uint32_t frame = 0; ///< within the cycle
    std::uint32_t index = 0;
    float value = 0;
    bool refresh = false; ///< a state refresh (the receiver: a repair)
};

/// Writes the two events of a change. False for an index out of range.
bool encode_control(const ControlChange& change, MidiEvent* out);

/// Splits a port's events (in frame order) into control changes and other
/// events; at most `capacity` of each. A 0xF4 event without its value event
/// (the next one, same frame, 4 bytes) is dropped (*bad counts it).
void decode_controls(const MidiEvent* events, int count, ControlChange* changes, int capacity,
                     int* changes_out, MidiEvent* other, int other_capacity, int* other_out,
                     int* bad);

/// The sender's side: the state, the changes of the next cycle, the sweep.
class ControlSender {
public:
    /// Control thread. `controls` values (0..16384); the sweep sends
    /// ceil(controls / cycles per sweep) refresh entries per cycle.
    void prepare(int controls, int period, int sample_rate);
    int controls() const {
        return static_cast<int>(values_.size());
    }
    /// Audio thread: a change at `frame` of the next cycle sent. False when
    /// the cycle's queue is full or the index is out of range.
    bool push(std::uint32_t frame, std::uint32_t index, float value) noexcept;
    /// Audio thread: sets the state of a control without a change event (the
    /// sweep carries it). False for an index out of range.
    bool seed(std::uint32_t index, float value) noexcept;
    /// Audio thread: the events of the cycle (changes in frame order, then
    /// the refresh entries at the last frame), and the queue emptied. The
    /// sweep carries only the controls pushed or seeded since prepare():
    /// the state this side owns, never a default it knows nothing about.
    int take_events(int period, MidiEvent* out, int capacity) noexcept;
    int refresh_per_cycle() const {
        return per_cycle_;
    }

private:
    std::vector<float> values_;
    std::vector<std::uint8_t> known_; ///< pushed or seeded: swept
    std::vector<ControlChange> pending_;
    int pending_count_ = 0;
    int per_cycle_ = 0, next_ = 0;
};

/// The receiver's side: the state seen; refreshes become repairs only when
/// they differ from it.
class ControlReceiver {
public:
    void prepare(int controls);
    /// Audio thread: filters a cycle's decoded changes in place; returns how
    /// many are handed over (changes, and refreshes that repair).
    int filter(ControlChange* changes, int count) noexcept;
    /// Any thread.
    std::uint64_t repairs() const {
        return repairs_.load(std::memory_order_relaxed);
    }

private:
    std::vector<float> values_;
    std::vector<bool> known_;
    std::atomic<std::uint64_t> repairs_{0};
};

} // namespace tutti::netjack
