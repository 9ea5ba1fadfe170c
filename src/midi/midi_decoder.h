// SPDX-License-Identifier: MIT
/** \file
 * MIDI 1.0 byte streams to messages, as Faust's midi_handler (midi.h) reads
 * them: channel voice messages (with running status), real-time bytes anywhere
 * (clock, start, continue, stop), system exclusive and other system messages
 * skipped, a note-on with velocity 0 made a note-off, and the RPN/NRPN
 * controller sequences (101/100/99/98 then 6/38) gathered into one parameter
 * message (Faust's MidiNRPN: one state for all channels).
 *
 * Bounded: constant memory, one pass over the bytes, no allocation: safe on the
 * audio thread and on any input (tests/fuzz/midi_fuzzer.cpp).
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace tutti::midi {

struct MidiMessage {
    enum class Type : std::uint8_t {
        NoteOff,         ///< data1 key, data2 velocity
        NoteOn,          ///< data1 key, data2 velocity (> 0)
        KeyPressure,     ///< data1 key, data2 pressure
        Control,         ///< data1 controller, data2 value
        Program,         ///< data1 program
        ChannelPressure, ///< data1 pressure
        PitchBend,       ///< value 0..16383 (8192 centred)
        Parameter,       ///< an (N)RPN: value14 the parameter number, value the data (14 bits)
        Clock,
        Start, ///< start and continue (Faust treats them alike)
        Stop,
    };
    Type type = Type::NoteOff;
    std::uint8_t channel = 0; ///< 0..15
    std::uint8_t data1 = 0, data2 = 0;
    std::uint16_t value = 0;   ///< PitchBend, Parameter
    std::uint16_t value14 = 0; ///< Parameter: its number
};

class MidiDecoder {
public:
    /// Decodes `n` bytes, calling `emit(const MidiMessage&)` for each complete
    /// message. State (running status, a message cut between calls, RPN) is kept
    /// across calls; reset() forgets it.
    template <class Emit> void feed(const std::uint8_t* data, std::size_t n, Emit&& emit) {
        for (std::size_t i = 0; i < n; ++i) {
            MidiMessage m;
            if (byte(data[i], m)) {
                emit(static_cast<const MidiMessage&>(m));
            }
        }
    }
    void reset();

    /// Bytes seen that belong to no message (data without a status).
    std::uint64_t stray_bytes() const {
        return stray_;
    }

private:
    /// One byte; true when it completed a message, in *m.
    bool byte(std::uint8_t b, MidiMessage& m);
    bool complete(MidiMessage& m);

    std::uint8_t status_ = 0; ///< running status (0: none)
    std::uint8_t data_[2] = {0, 0};
    std::uint8_t have_ = 0;
    bool sysex_ = false;
    std::uint8_t system_skip_ = 0; ///< data bytes of a system common message left to skip
    // Faust's MidiNRPN
    int nrpn_lsb_ = -1, nrpn_msb_ = -1, data_lsb_ = -1, data_msb_ = -1;
    std::uint64_t stray_ = 0;
};

} // namespace tutti::midi
