// SPDX-License-Identifier: MIT
/** \file
 * Fuzz target: NetJack datagrams from the network (src/netjack). Every input
 * goes through the session-parameter and header decoders, the payload
 * decoders (active ports, MIDI buffers) and the receive path of a running
 * session (Link::on_datagram, then complete/take of the cycle), for a float
 * and an int16 session with the input's id and stream, so that the fuzzer
 * reaches the audio decoders with plausible headers; and for two Opus
 * sessions (the packet slices, then libopus's decoder on what they hold);
 * MIDI payloads also go through the control-change decoder.
 */
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "netjack/controls.h"
#include "netjack/link.h"
#include "netjack/midi.h"
#include "netjack/opus_layout.h"
#include "netjack/protocol.h"

namespace {

using namespace tutti::netjack;

void configure(Link& link, Encoder encoder, Role role, int period, int channels, int rate = 48000) {
    SessionParams p;
    p.type = SyncType::SlaveSetup;
    p.id = 1;
    p.period = static_cast<std::uint32_t>(period);
    p.sample_rate = static_cast<std::uint32_t>(rate);
    p.kbps = 128;
    p.send_audio = channels;
    p.return_audio = channels + 1;
    p.send_midi = 1;
    p.return_midi = 1;
    p.encoder = encoder;
    p.latency = 2;
    std::string error;
    link.configure(role, p, &error);
    link.set_controls(8);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 65536) {
        return -1;
    }
    const char* error = nullptr;
    SessionParams params;
    decode_params(data, size, &params, &error);
    PacketHeader header;
    const bool is_header = decode_header(data, size, &header, &error);

    static Link links[6];
    static const bool ready = [] {
        configure(links[0], Encoder::Float, Role::Slave, 64, 3);
        configure(links[1], Encoder::Int16, Role::Slave, 100, 13);
        configure(links[2], Encoder::Float, Role::Master, 256, 41);
        configure(links[3], Encoder::Int16, Role::Master, 32, 2);
        configure(links[4], Encoder::Opus, Role::Slave, 240, 2);
        configure(links[5], Encoder::Opus, Role::Master, 120, 3);
        return true;
    }();
    (void)ready;
    for (Link& link : links) {
        std::uint32_t cycle = 0;
        if (link.on_datagram(data, size, &cycle)) {
            if (link.complete(cycle) || (data[size - 1] & 1)) {
                const float* const* channels = link.take(cycle);
                volatile float sink = 0;
                for (int c = 0; c < link.rx_channels(); ++c) {
                    sink = sink + channels[c][link.period() - 1];
                }
            }
        }
    }
    if (is_header && size > kHeaderSize) {
        const std::uint8_t* payload = data + kHeaderSize;
        const std::size_t bytes = size - kHeaderSize;
        bool wanted[16];
        decode_active_ports(payload, bytes, header.active_ports, 16, wanted, &error);
        MidiEvent events[64];
        int ports[64];
        MidiDecodeResult result;
        decode_midi(payload, bytes, 1 + static_cast<int>(header.id % 4), 256, events, ports, 64,
                    &result, &error);
        ControlChange changes[64];
        MidiEvent other[64];
        int n = 0, m = 0, bad = 0;
        decode_controls(events, result.events, changes, 64, &n, other, 64, &m, &bad);
        static std::vector<std::uint8_t> streams(4 * 600);
        std::uint8_t* views[4] = {streams.data(), streams.data() + 600, streams.data() + 1200,
                                  streams.data() + 1800};
        decode_opus_packet(payload, bytes, header.num_packets, header.sub_cycle,
                           3 + static_cast<int>(header.frames & 511),
                           1 + static_cast<int>(header.id % 4), views, &error);
    }
    return 0;
}
