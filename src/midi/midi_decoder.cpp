// SPDX-License-Identifier: MIT
#include "midi/midi_decoder.h"

namespace tutti::midi {

namespace {

/// Data bytes of a channel voice message of this status.
int data_bytes(std::uint8_t status) {
    switch (status & 0xF0) {
    case 0xC0:
    case 0xD0:
        return 1;
    default:
        return 2;
    }
}

} // namespace

void MidiDecoder::reset() {
    *this = MidiDecoder{};
}

bool MidiDecoder::byte(std::uint8_t b, MidiMessage& m) {
    if (b >= 0xF8) { // real time: anywhere, even inside another message
        switch (b) {
        case 0xF8:
            m.type = MidiMessage::Type::Clock;
            return true;
        case 0xFA:
        case 0xFB:
            m.type = MidiMessage::Type::Start;
            return true;
        case 0xFC:
            m.type = MidiMessage::Type::Stop;
            return true;
        default:
            return false;
        }
    }
    if (b >= 0xF0) { // system common: ends running status
        status_ = 0;
        have_ = 0;
        sysex_ = b == 0xF0;
        system_skip_ = b == 0xF1 || b == 0xF3 ? 1 : b == 0xF2 ? 2 : 0;
        return false;
    }
    if (b >= 0x80) {
        status_ = b;
        have_ = 0;
        sysex_ = false;
        system_skip_ = 0;
        return false;
    }
    // a data byte
    if (sysex_) {
        return false;
    }
    if (system_skip_ > 0) {
        --system_skip_;
        return false;
    }
    if (status_ == 0) {
        ++stray_;
        return false;
    }
    data_[have_++] = b;
    if (have_ < data_bytes(status_)) {
        return false;
    }
    have_ = 0; // running status: the next data bytes start a message of the same status
    return complete(m);
}

bool MidiDecoder::complete(MidiMessage& m) {
    m.channel = std::uint8_t(status_ & 0x0F);
    m.data1 = data_[0];
    m.data2 = data_[1];
    switch (status_ & 0xF0) {
    case 0x80:
        m.type = MidiMessage::Type::NoteOff;
        return true;
    case 0x90:
        m.type = m.data2 == 0 ? MidiMessage::Type::NoteOff : MidiMessage::Type::NoteOn;
        return true;
    case 0xA0:
        m.type = MidiMessage::Type::KeyPressure;
        return true;
    case 0xC0:
        m.type = MidiMessage::Type::Program;
        m.data2 = 0;
        return true;
    case 0xD0:
        m.type = MidiMessage::Type::ChannelPressure;
        m.data2 = 0;
        return true;
    case 0xE0:
        m.type = MidiMessage::Type::PitchBend;
        m.value = std::uint16_t((m.data2 << 7) | m.data1);
        return true;
    default: // 0xB0
        break;
    }
    // control change, with Faust's (N)RPN filter (MidiNRPN::process)
    const int d1 = m.data1, d2 = m.data2;
    switch (d1) {
    case 98:
        nrpn_lsb_ = d2;
        return false;
    case 99:
        nrpn_msb_ = d2;
        return false;
    case 100:
        if (d2 == 127) {
            nrpn_lsb_ = data_lsb_ = -1;
        } else {
            nrpn_lsb_ = 0;
            data_lsb_ = -1;
        }
        return false;
    case 101:
        if (d2 == 127) {
            nrpn_msb_ = data_msb_ = -1;
        } else {
            nrpn_msb_ = 0;
            data_msb_ = -1;
        }
        return false;
    case 6:
    case 38:
        if (d1 == 6) {
            if (nrpn_msb_ < 0) {
                break; // a plain controller 6
            }
            data_msb_ = d2;
        } else {
            if (nrpn_lsb_ < 0) {
                break;
            }
            data_lsb_ = d2;
        }
        if (data_lsb_ >= 0 && data_msb_ >= 0) {
            m.type = MidiMessage::Type::Parameter;
            m.value14 = std::uint16_t((nrpn_msb_ << 7) | nrpn_lsb_);
            m.value = std::uint16_t((data_msb_ << 7) | data_lsb_);
            data_lsb_ = data_msb_ = -1;
            nrpn_msb_ = nrpn_lsb_ = -1;
            return true;
        }
        return false;
    default:
        break;
    }
    m.type = MidiMessage::Type::Control;
    return true;
}

} // namespace tutti::midi
