// SPDX-License-Identifier: MIT
/** \file
 * JACK MIDI buffers as NetJack carries them (for controls and MIDI in the link).
 *
 * Each port's buffer travels as jack2 copies it: a 24-byte head of big-endian
 * words (magic 0x900df00d, buffer size, frames, data write position, event
 * count, lost events), then event_count + 1 event records of 12 bytes in the
 * sender's byte order (little-endian here: frame, size, four inline data
 * bytes), then `write_pos` bytes of out-of-line data. jack2 copies that data
 * from the wrong place (pointer arithmetic on the buffer type), so events of
 * more than 4 bytes arrive garbled through jack2; we send only events of at
 * most 4 bytes (MIDI channel messages, our control changes), write_pos 0, and
 * on receipt drop longer ones (counted). The ports' buffers are concatenated
 * and cut into packets of MTU - 48 bytes.
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace tutti::netjack {

struct MidiEvent {
    std::uint32_t frame = 0; ///< within the cycle
    std::uint8_t size = 0;   ///< 1..4
    std::uint8_t data[4] = {};
};

inline constexpr std::uint32_t kMidiMagic = 0x900df00d;
inline constexpr std::size_t kMidiHeadSize = 24;
inline constexpr std::size_t kMidiEventSize = 12;
/// The MIDI port buffer size jack2 reports (BUFFER_SIZE_MAX floats).
inline constexpr std::uint32_t kMidiBufferSize = 8192 * 4;

/// Bytes one port's buffer takes on the wire with `events` events.
constexpr std::size_t midi_port_bytes(int events) {
    return kMidiHeadSize + kMidiEventSize * (static_cast<std::size_t>(events) + 1);
}

/// Writes one port's buffer; events must be in frame order with size 1..4
/// (others are skipped). Returns the bytes written, or 0 if `capacity` is short.
std::size_t encode_midi_port(const MidiEvent* events, int count, int period, std::uint8_t* out,
                             std::size_t capacity);

struct MidiDecodeResult {
    int events = 0;  ///< stored in the output arrays
    int dropped = 0; ///< longer than 4 bytes, late (frame >= period) or beyond capacity
};

/// Reads `num_ports` concatenated buffers. Events go to events[i] with their
/// port in ports[i], at most `capacity`. False with *error when a buffer's
/// head or counts do not fit the data.
bool decode_midi(const std::uint8_t* data, std::size_t size, int num_ports, int period,
                 MidiEvent* events, int* ports, int capacity, MidiDecodeResult* result,
                 const char** error);

} // namespace tutti::netjack
