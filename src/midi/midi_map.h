// SPDX-License-Identifier: MIT
/** \file
 * A program's MIDI bindings, from Faust's control metadata (MidiUI.h), and the
 * parameter changes and notes each MIDI message makes:
 *
 *  - `[midi:ctrl N]`, `[midi:ctrl N C]`: controller N (on channel C, 1..16; any
 *    channel without C) sets the control to its value 0..127 mapped onto
 *    [min, max] (linearly, or by `[scale:log]`/`[scale:exp]`);
 *  - `[midi:keyon N]`, `[midi:keyoff N]`: the velocity of a note-on (off) of key
 *    N, mapped the same way; `[midi:key N]`: note-on velocity, 0 on note-off;
 *    `[midi:keypress N]`: key N's pressure;
 *  - `[midi:pgm]` (`pgm C`): the program number, when within [min, max];
 *  - `[midi:chanpress]` (`chanpress C`): the channel pressure, mapped;
 *  - `[midi:pitchwheel]`/`[midi:pitchbend]` (`... C`): 0..8191..16383 onto
 *    min..0..max when min <= 0 <= max (else min..(min+max)/2..max); the
 *    pitch-bend range RPN (0) sets the range to +-semitones;
 *  - `[midi:start]`, `[midi:stop]`: 1 on MIDI start (or continue), 0 on stop;
 *    `[midi:clock]`: each clock toggles it between 1 and 0;
 *  - buttons and checkboxes range over 0..1; bargraphs take no MIDI input;
 *  - a polyphonic program (Factory info().voices > 0) also gets every note as a
 *    NoteEvent, and controllers 120 and 123 make an all-notes-off.
 *
 * Built off the audio thread; apply() runs on it (no allocation).
 */
#pragma once

#include <cstdint>
#include <vector>

#include "midi/midi_decoder.h"
#include "tutti/engine.h"
#include "tutti/runtime.h"

namespace tutti::midi {

class MidiMap {
public:
    /// The bindings of `factory`'s parameters, whose changes are addressed to
    /// version `generation`.
    MidiMap(const Factory& factory, std::uint64_t generation);

    std::uint64_t generation() const {
        return generation_;
    }
    int voices() const {
        return voices_;
    }
    std::size_t bindings() const {
        return bindings_.size();
    }

    /// Audio thread. Calls `emit(const ParameterChange&)` for each change or
    /// note `m` makes, stamped with `frame`.
    template <class Emit> void apply(const MidiMessage& m, std::int64_t frame, Emit&& emit) {
        ParameterChange c;
        c.generation = generation_;
        c.frame = frame;
        auto set = [&](const Binding& b, double value) {
            c.is_note = false;
            c.index = b.index;
            c.value = value;
            emit(static_cast<const ParameterChange&>(c));
        };
        auto note = [&](NoteEvent::Type type, std::uint8_t key, std::uint8_t velocity) {
            if (voices_ == 0) {
                return;
            }
            c.is_note = true;
            c.note = NoteEvent{type, m.channel, key, velocity};
            emit(static_cast<const ParameterChange&>(c));
        };
        using T = MidiMessage::Type;
        switch (m.type) {
        case T::NoteOn:
            for (const Binding& b : bindings_) {
                if ((b.kind == Kind::KeyOn || b.kind == Kind::Key) && b.number == m.data1 &&
                    on_channel(b, m.channel)) {
                    set(b, convert(b, m.data2));
                }
            }
            note(NoteEvent::Type::On, m.data1, m.data2);
            break;
        case T::NoteOff:
            for (const Binding& b : bindings_) {
                if (b.number == m.data1 && on_channel(b, m.channel)) {
                    if (b.kind == Kind::KeyOff) {
                        set(b, convert(b, m.data2));
                    } else if (b.kind == Kind::Key) {
                        set(b, convert(b, 0));
                    }
                }
            }
            note(NoteEvent::Type::Off, m.data1, m.data2);
            break;
        case T::KeyPressure:
            for (const Binding& b : bindings_) {
                if (b.kind == Kind::KeyPress && b.number == m.data1 && on_channel(b, m.channel)) {
                    set(b, convert(b, m.data2));
                }
            }
            break;
        case T::Control:
            for (const Binding& b : bindings_) {
                if (b.kind == Kind::Ctrl && b.number == m.data1 && on_channel(b, m.channel)) {
                    set(b, convert(b, m.data2));
                }
            }
            if (m.data1 == 120 || m.data1 == 123) {
                note(NoteEvent::Type::AllOff, 0, 0);
            }
            break;
        case T::Program:
            for (const Binding& b : bindings_) {
                if (b.kind == Kind::Pgm && on_channel(b, m.channel) && m.data1 >= b.min &&
                    m.data1 <= b.max) {
                    set(b, m.data1);
                }
            }
            break;
        case T::ChannelPressure:
            for (const Binding& b : bindings_) {
                if (b.kind == Kind::ChanPress && on_channel(b, m.channel)) {
                    set(b, convert(b, m.data1));
                }
            }
            break;
        case T::PitchBend:
            for (const Binding& b : bindings_) {
                if (b.kind == Kind::PitchWheel && on_channel(b, m.channel)) {
                    set(b, wheel(b, m.value));
                }
            }
            break;
        case T::Parameter:
            if (m.value14 == 0) { // pitch-bend range: semitones in the MSB, cents in the LSB
                const double semi = (m.value / 128) + ((m.value % 128) / 100.0);
                for (Binding& b : bindings_) {
                    if (b.kind == Kind::PitchWheel && on_channel(b, m.channel)) {
                        b.low = -semi;
                        b.mid = 0;
                        b.high = semi;
                    }
                }
            }
            break;
        case T::Start:
        case T::Stop:
        case T::Clock:
            for (Binding& b : bindings_) {
                if (m.type == T::Start && b.kind == Kind::Start) {
                    set(b, 1);
                } else if (m.type == T::Stop && b.kind == Kind::Stop) {
                    set(b, 0);
                } else if (m.type == T::Clock && b.kind == Kind::Clock) {
                    b.state = !b.state; // each clock toggles it (uiMidiClock)
                    set(b, b.state ? 1 : 0);
                }
            }
            break;
        default:
            break;
        }
    }

    enum class Kind : std::uint8_t {
        Ctrl,
        KeyOn,
        KeyOff,
        Key,
        KeyPress,
        Pgm,
        ChanPress,
        PitchWheel,
        Start,
        Stop,
        Clock
    };
    enum class Scale : std::uint8_t { Lin, Log, Exp };
    struct Binding {
        Kind kind = Kind::Ctrl;
        Scale scale = Scale::Lin;
        std::uint8_t number = 0;  ///< controller or key
        std::uint8_t channel = 0; ///< 1..16, 0: any
        std::uint32_t index = 0;  ///< into the parameters
        double min = 0, max = 0;
        double low = 0, mid = 0, high = 0; ///< pitch wheel: the values at 0, 8191, 16383
        bool state = false;                ///< clock: the value it toggles
    };
    const std::vector<Binding>& all() const {
        return bindings_;
    }

    /// 0..127 onto the binding's range (Faust's uiConverter).
    static double convert(const Binding& b, double v);
    /// 0..16383 onto low..mid..high (Faust's LinearValueConverter2).
    static double wheel(const Binding& b, double v);

private:
    static bool on_channel(const Binding& b, std::uint8_t channel) {
        return b.channel == 0 || channel == b.channel - 1;
    }

    std::uint64_t generation_;
    int voices_ = 0;
    std::vector<Binding> bindings_;
};

} // namespace tutti::midi
