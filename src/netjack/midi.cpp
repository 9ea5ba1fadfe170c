// SPDX-License-Identifier: MIT
/** \file JACK MIDI buffers on the wire (see midi.h). */
#include "netjack/midi.h"

#include <cstring>

#include "netjack/bytes.h"

namespace tutti::netjack {

namespace {

bool fail(const char** error, const char* why) {
    if (error) {
        *error = why;
    }
    return false;
}

} // namespace

std::size_t encode_midi_port(const MidiEvent* events, int count, int period, std::uint8_t* out,
                             std::size_t capacity) {
    int kept = 0;
    for (int i = 0; i < count; ++i) {
        kept += events[i].size >= 1 && events[i].size <= 4;
    }
    const std::size_t bytes = midi_port_bytes(kept);
    if (bytes > capacity) {
        return 0;
    }
    std::memset(out, 0, bytes);
    put_be32(out, kMidiMagic);
    put_be32(out + 4, kMidiBufferSize);
    put_be32(out + 8, static_cast<std::uint32_t>(period));
    put_be32(out + 12, 0); // write_pos: no out-of-line data
    put_be32(out + 16, static_cast<std::uint32_t>(kept));
    put_be32(out + 20, 0);
    std::uint8_t* e = out + kMidiHeadSize;
    for (int i = 0; i < count; ++i) {
        if (events[i].size < 1 || events[i].size > 4) {
            continue;
        }
        put_le32(e, events[i].frame);
        put_le32(e + 4, events[i].size);
        std::memcpy(e + 8, events[i].data, 4);
        e += kMidiEventSize;
    }
    return bytes;
}

bool decode_midi(const std::uint8_t* data, std::size_t size, int num_ports, int period,
                 MidiEvent* events, int* ports, int capacity, MidiDecodeResult* result,
                 const char** error) {
    MidiDecodeResult r;
    std::size_t at = 0;
    for (int port = 0; port < num_ports; ++port) {
        if (size - at < kMidiHeadSize + kMidiEventSize) {
            return fail(error, "MIDI buffer shorter than its head");
        }
        const std::uint8_t* b = data + at;
        if (get_be32(b) != kMidiMagic) {
            return fail(error, "MIDI buffer without its magic");
        }
        const std::uint32_t write_pos = get_be32(b + 12);
        const std::uint32_t count = get_be32(b + 16);
        const std::size_t room = (size - at - kMidiHeadSize) / kMidiEventSize;
        if (count >= room) {
            return fail(error, "MIDI event count beyond the data");
        }
        const std::size_t records = kMidiHeadSize + kMidiEventSize * (std::size_t{count} + 1);
        if (write_pos > size - at - records) {
            return fail(error, "MIDI data beyond the packet");
        }
        for (std::uint32_t i = 0; i < count; ++i) {
            const std::uint8_t* e = b + kMidiHeadSize + kMidiEventSize * i;
            const std::uint32_t frame = get_le32(e);
            const std::uint32_t n = get_le32(e + 4);
            if (n < 1 || n > 4 || frame >= static_cast<std::uint32_t>(period) ||
                r.events >= capacity) {
                ++r.dropped;
                continue;
            }
            MidiEvent& ev = events[r.events];
            ev.frame = frame;
            ev.size = static_cast<std::uint8_t>(n);
            std::memcpy(ev.data, e + 8, 4);
            ports[r.events] = port;
            ++r.events;
        }
        at += records + write_pos;
    }
    if (result) {
        *result = r;
    }
    return true;
}

} // namespace tutti::netjack
