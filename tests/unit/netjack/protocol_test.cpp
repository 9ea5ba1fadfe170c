// SPDX-License-Identifier: MIT
/** \file
 * The NetJack wire format (src/netjack): session parameters and headers
 * round-trip and reject bad datagrams; the float and int16 layouts agree with
 * jack2's where jack2's works and carry every frame where it does not (the
 * channel counts where libjacknet overflows or drops frames are the ones
 * measured on jack2 1.9.21, listed in issue 12); MIDI buffers round-trip.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "netjack/audio_layout.h"
#include "netjack/bytes.h"
#include "netjack/concealment.h"
#include "netjack/midi.h"
#include "netjack/protocol.h"

namespace tutti::netjack {
namespace {

SessionParams sample_params() {
    SessionParams p;
    p.type = SyncType::SlaveSetup;
    p.name = "tslave";
    p.master_host = "host-a";
    p.slave_host = "host-b";
    p.mtu = 1500;
    p.id = 7;
    p.send_audio = 2;
    p.return_audio = 3;
    p.send_midi = 1;
    p.return_midi = 0;
    p.sample_rate = 48000;
    p.period = 256;
    p.encoder = Encoder::Int16;
    p.kbps = 0;
    p.sync_mode = 1;
    p.latency = 5;
    return p;
}

TEST(NetJackProtocol, SessionParamsRoundTripInJack2sLayout) {
    std::uint8_t wire[kParamsSize];
    encode_params(sample_params(), wire);
    // "params" tag, version 8 and the packet id (1 = SLAVE_SETUP) big-endian.
    EXPECT_EQ(std::memcmp(wire, "params\0", 7), 0);
    EXPECT_EQ(get_be32(wire + 8), 8u);
    EXPECT_EQ(get_be32(wire + 12), 1u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(wire + 16)), "tslave");
    // The 13 integers follow the three names (16 + 64 + 256 + 256 = 592).
    EXPECT_EQ(get_be32(wire + 592), 1500u);          // MTU
    EXPECT_EQ(get_be32(wire + 592 + 4 * 7), 48000u); // sample rate
    EXPECT_EQ(get_be32(wire + 592 + 4 * 12), 5u);    // latency

    SessionParams back;
    const char* error = nullptr;
    ASSERT_TRUE(decode_params(wire, kParamsSize, &back, &error)) << error;
    EXPECT_EQ(back.type, SyncType::SlaveSetup);
    EXPECT_EQ(back.name, "tslave");
    EXPECT_EQ(back.master_host, "host-a");
    EXPECT_EQ(back.slave_host, "host-b");
    EXPECT_EQ(back.id, 7u);
    EXPECT_EQ(back.send_audio, 2);
    EXPECT_EQ(back.return_audio, 3);
    EXPECT_EQ(back.send_midi, 1);
    EXPECT_EQ(back.period, 256u);
    EXPECT_EQ(back.encoder, Encoder::Int16);
    EXPECT_EQ(back.latency, 5u);
}

TEST(NetJackProtocol, SessionParamsRejectBadDatagrams) {
    std::uint8_t wire[kParamsSize];
    const char* error = nullptr;
    SessionParams out;
    encode_params(sample_params(), wire);
    EXPECT_FALSE(decode_params(wire, kParamsSize - 1, &out, &error));
    EXPECT_STREQ(error, "session parameters must be 644 bytes");

    auto with = [&](std::size_t at, std::uint32_t v) {
        encode_params(sample_params(), wire);
        put_be32(wire + at, v);
        return decode_params(wire, kParamsSize, &out, &error);
    };
    EXPECT_FALSE(with(12, 9));
    EXPECT_STREQ(error, "unknown sync packet id");
    EXPECT_FALSE(with(592, 100));
    EXPECT_STREQ(error, "MTU out of range (576..9000)");
    EXPECT_FALSE(with(592 + 12, 257));
    EXPECT_STREQ(error, "channel count out of range (-1..256)");
    EXPECT_TRUE(with(592 + 12, 0xffffffffu)) << "-1: the master's choice";
    EXPECT_FALSE(with(592 + 32, 8193));
    EXPECT_STREQ(error, "period out of range (at most 8192 frames)");
    EXPECT_FALSE(with(592 + 36, 4));
    EXPECT_STREQ(error, "unknown sample encoder");
    EXPECT_FALSE(with(592 + 48, 31));
    EXPECT_STREQ(error, "latency out of range (0..30 cycles)");
    // Another protocol version decodes, so that the caller can name it.
    ASSERT_TRUE(with(8, 7));
    EXPECT_EQ(out.version, 7u);

    encode_params(sample_params(), wire);
    wire[0] = 'P';
    EXPECT_FALSE(decode_params(wire, kParamsSize, &out, &error));
    // Names without a NUL are cut at their field.
    encode_params(sample_params(), wire);
    std::memset(wire + 16, 'x', kNameSize);
    ASSERT_TRUE(decode_params(wire, kParamsSize, &out, &error));
    EXPECT_EQ(out.name, std::string(kNameSize, 'x'));
}

TEST(NetJackProtocol, HeaderRoundTripsAndChecksItsDatagram) {
    PacketHeader h;
    h.type = DataType::Audio;
    h.stream = Stream::Return;
    h.id = 3;
    h.num_packets = 4;
    h.packet_size = 48 + 8;
    h.active_ports = 2;
    h.cycle = 0xfffffffeu;
    h.sub_cycle = 3;
    h.frames = 256;
    h.is_last = 1;
    std::uint8_t wire[kHeaderSize + 8] = {};
    encode_header(h, wire);
    EXPECT_EQ(std::memcmp(wire, "header\0", 7), 0);
    EXPECT_EQ(get_be32(wire + 8), static_cast<std::uint32_t>('a'));
    PacketHeader back;
    const char* error = nullptr;
    ASSERT_TRUE(decode_header(wire, sizeof wire, &back, &error)) << error;
    EXPECT_EQ(back.type, DataType::Audio);
    EXPECT_EQ(back.stream, Stream::Return);
    EXPECT_EQ(back.cycle, 0xfffffffeu);
    EXPECT_EQ(back.sub_cycle, 3u);
    EXPECT_EQ(back.frames, 256);

    EXPECT_FALSE(decode_header(wire, sizeof wire - 1, &back, &error));
    EXPECT_STREQ(error, "packet size differs from the datagram's");
    EXPECT_FALSE(decode_header(wire, 20, &back, &error));
    h.sub_cycle = 4;
    encode_header(h, wire);
    EXPECT_FALSE(decode_header(wire, sizeof wire, &back, &error));
    EXPECT_STREQ(error, "sub-cycle beyond the cycle's packets");
    h.sub_cycle = 0;
    h.active_ports = 300;
    encode_header(h, wire);
    EXPECT_FALSE(decode_header(wire, sizeof wire, &back, &error));
    h.active_ports = 2;
    encode_header(h, wire);
    put_be32(wire + 8, 'x');
    EXPECT_FALSE(decode_header(wire, sizeof wire, &back, &error));
    EXPECT_STREQ(error, "unknown data type");
}

TEST(NetJackProtocol, CycleNumbersCompareAcrossTheWrap) {
    EXPECT_EQ(cycle_diff(2, 0xfffffffeu), 4);
    EXPECT_EQ(cycle_diff(0xfffffffeu, 2), -4);
    EXPECT_EQ(cycle_diff(10, 10), 0);
}

TEST(NetJackProtocol, ActivePortsAreBoundedByTheChannelCount) {
    const int ports[3] = {0, 2, 5};
    std::uint8_t wire[12];
    ASSERT_EQ(encode_active_ports(ports, 3, wire), 12u);
    bool wanted[6];
    const char* error = nullptr;
    ASSERT_TRUE(decode_active_ports(wire, 12, 3, 6, wanted, &error));
    EXPECT_TRUE(wanted[0] && wanted[2] && wanted[5]);
    EXPECT_FALSE(wanted[1] || wanted[3] || wanted[4]);
    EXPECT_FALSE(decode_active_ports(wire, 12, 3, 5, wanted, &error));
    EXPECT_STREQ(error, "active port beyond the channel count");
    EXPECT_FALSE(decode_active_ports(wire, 8, 3, 6, wanted, &error));
}

/// The float layout jack2 computes overflows its MTU-sized packet exactly for
/// the channel counts where libjacknet crashed (issue 12, MTU 1500): 41-43,
/// 73-86, 122-173 and 182 and more.
TEST(NetJackFloatLayout, Jack2sLayoutOverflowsWhereLibjacknetCrashed) {
    std::vector<int> overflow;
    for (int ports = 1; ports <= 256; ++ports) {
        const int sub = jack_float_sub_period(1024, 1500, ports);
        if (48 + ports * (4 + 4 * sub) > 1500) {
            overflow.push_back(ports);
        }
    }
    std::vector<int> expected;
    for (auto [a, b] : {std::pair{41, 43}, {73, 86}, {122, 173}, {182, 256}}) {
        for (int p = a; p <= b; ++p) {
            expected.push_back(p);
        }
    }
    EXPECT_EQ(overflow, expected);
    EXPECT_EQ(jack_float_sub_period(256, 1500, 1), 256);
    EXPECT_EQ(jack_float_sub_period(1024, 1500, 1), 256);
    EXPECT_EQ(jack_float_sub_period(1024, 1500, 2), 128);
    EXPECT_EQ(jack_float_sub_period(1024, 1500, 40), 8);
}

TEST(NetJackFloatLayout, PlansAreJack2sWhereTheyFitAndLosslessEverywhere) {
    for (int period : {32, 64, 100, 128, 256, 480, 1024, 2048}) {
        for (int ports = 0; ports <= 256; ++ports) {
            const FloatLayout l = plan_float(period, 1500, ports);
            const int jack_sub = jack_float_sub_period(period, 1500, ports);
            const bool jack_fits =
                ports == 0 || (period % jack_sub == 0 && 48 + ports * (4 + 4 * jack_sub) <= 1500);
            EXPECT_EQ(l.jack_layout, jack_fits) << period << " " << ports;
            if (ports == 0) {
                EXPECT_EQ(l.packets, 1);
                continue;
            }
            ASSERT_GE(l.sub_frames, 1);
            EXPECT_EQ(period % l.sub_frames, 0) << period << " " << ports;
            EXPECT_LE(48 + l.ports_per_packet * (4 + 4 * l.sub_frames), 1500);
            EXPECT_GE(l.ports_per_packet * l.groups, ports);
            EXPECT_EQ(l.packets, l.blocks * l.groups);
        }
    }
}

/// Every frame of every port survives encode + decode, for both layouts.
TEST(NetJackFloatLayout, EveryFrameArrivesForAnyPortCount) {
    for (int period : {32, 96, 256, 2048}) {
        for (int ports : {1, 2, 11, 40, 41, 43, 64, 100, 173, 200, 256}) {
            std::vector<float> in(static_cast<std::size_t>(ports * period)), out(in.size(), -9.0f);
            std::vector<const float*> src(static_cast<std::size_t>(ports));
            std::vector<float*> dst(static_cast<std::size_t>(ports));
            std::vector<int> active(static_cast<std::size_t>(ports));
            for (int c = 0; c < ports; ++c) {
                active[static_cast<std::size_t>(c)] = c;
                src[static_cast<std::size_t>(c)] = in.data() + c * period;
                dst[static_cast<std::size_t>(c)] = out.data() + c * period;
                for (int f = 0; f < period; ++f) {
                    in[std::size_t(c) * std::size_t(period) + std::size_t(f)] =
                        static_cast<float>(c * 10000 + f);
                }
            }
            const FloatLayout l = plan_float(period, 1500, ports);
            std::vector<std::uint8_t> packet(1500);
            for (int p = 0; p < l.packets; ++p) {
                std::uint32_t sub = 0, count = 0;
                const std::size_t n = encode_float_packet(l, p, active.data(), src.data(),
                                                          packet.data(), &sub, &count);
                ASSERT_LE(n + 48, 1500u);
                const char* error = nullptr;
                ASSERT_TRUE(decode_float_packet(packet.data(), n, count, sub, period, ports,
                                                dst.data(), nullptr, &error))
                    << error;
            }
            EXPECT_EQ(in, out) << period << " frames, " << ports << " ports";
        }
    }
}

TEST(NetJackFloatLayout, DecoderRejectsPayloadsThatDoNotFit) {
    std::vector<float> buf(2 * 64);
    float* dst[2] = {buf.data(), buf.data() + 64};
    std::uint8_t payload[4 + 4 * 16] = {};
    const char* error = nullptr;
    put_be32(payload, 2); // port 2 of 2
    EXPECT_FALSE(decode_float_packet(payload, sizeof payload, 1, 0, 64, 2, dst, nullptr, &error));
    EXPECT_STREQ(error, "audio port index beyond the channel count");
    put_be32(payload, 1);
    EXPECT_TRUE(decode_float_packet(payload, sizeof payload, 1, 3, 64, 2, dst, nullptr, &error));
    EXPECT_FALSE(decode_float_packet(payload, sizeof payload, 1, 4, 64, 2, dst, nullptr, &error));
    EXPECT_STREQ(error, "audio frames beyond the period");
    EXPECT_FALSE(
        decode_float_packet(payload, sizeof payload - 2, 1, 0, 64, 2, dst, nullptr, &error));
    EXPECT_FALSE(decode_float_packet(payload, sizeof payload, 3, 0, 64, 2, dst, nullptr, &error));
    EXPECT_STREQ(error, "audio payload does not split into its ports");
}

/// jack2's int16 layout loses the tail of every cycle for 11-16 ports at 128
/// frames and overflows the MTU for 32 ports at 128 and 256 frames (issue 12);
/// our plan is jack2's where jack2's works, and lossless and within the MTU
/// for every count.
TEST(NetJackInt16Layout, Jack2sLayoutIsLossyOrOverflowsWhereMeasured) {
    for (int ports = 11; ports <= 16; ++ports) {
        EXPECT_FALSE(jack_int16_layout(128, 1500, ports).lossless) << ports;
    }
    EXPECT_TRUE(jack_int16_layout(128, 1500, 10).lossless);
    for (int period : {128, 256}) {
        const Int16Layout l = jack_int16_layout(period, 1500, 32);
        EXPECT_GT(48 + 32 * l.last_bytes, 1500) << period;
    }
    for (int period : {32, 64, 128, 256, 1000, 2048}) {
        for (int ports = 1; ports <= 256; ++ports) {
            const Int16Layout l = plan_int16(period, 1500, ports);
            const Int16Layout j = jack_int16_layout(period, 1500, ports);
            const bool jack_ok = j.lossless && 48 + ports * j.last_bytes <= 1500;
            EXPECT_EQ(l.jack_layout, jack_ok) << period << " " << ports;
            EXPECT_TRUE(l.lossless);
            EXPECT_LE(48 + ports * l.last_bytes, 1500) << period << " " << ports;
            EXPECT_EQ(l.offset(l.packets - 1) + l.last_bytes, 2 * period);
        }
    }
}

TEST(NetJackInt16Layout, EveryFrameArrivesQuantised) {
    for (int period : {32, 128, 256, 1000}) {
        for (int ports : {1, 2, 13, 32, 100, 256}) {
            std::vector<float> in(static_cast<std::size_t>(ports * period));
            for (std::size_t i = 0; i < in.size(); ++i) {
                in[i] = std::sin(0.01f * static_cast<float>(i)) * 0.9f;
            }
            std::vector<std::uint8_t> tx(in.size() * 2), rx(in.size() * 2, 0xaa);
            std::vector<const std::uint8_t*> src(static_cast<std::size_t>(ports));
            std::vector<std::uint8_t*> dst(static_cast<std::size_t>(ports));
            for (int c = 0; c < ports; ++c) {
                float_to_int16_le(in.data() + c * period, period, tx.data() + 2 * c * period);
                src[static_cast<std::size_t>(c)] = tx.data() + 2 * c * period;
                dst[static_cast<std::size_t>(c)] = rx.data() + 2 * c * period;
            }
            const Int16Layout l = plan_int16(period, 1500, ports);
            std::vector<std::uint8_t> packet(1500);
            for (int p = 0; p < l.packets; ++p) {
                const std::size_t n = encode_int16_packet(l, p, src.data(), packet.data());
                const char* error = nullptr;
                ASSERT_TRUE(decode_int16_packet(
                    packet.data(), n, static_cast<std::uint32_t>(l.packets),
                    static_cast<std::uint32_t>(p), period, ports, dst.data(), &error))
                    << error;
            }
            ASSERT_EQ(tx, rx) << period << " " << ports;
            std::vector<float> out(in.size());
            for (int c = 0; c < ports; ++c) {
                int16_le_to_float(rx.data() + 2 * c * period, period, out.data() + c * period);
            }
            for (std::size_t i = 0; i < in.size(); ++i) {
                ASSERT_NEAR(out[i], in[i], 0.5f / 32767.0f + 1e-7f);
            }
        }
    }
}

TEST(NetJackInt16Layout, SamplesAreClampedAndNanIsSilence) {
    const float in[5] = {1.0f, -1.0f, 2.0f, NAN, 0.5f};
    std::uint8_t bytes[10];
    float out[5];
    float_to_int16_le(in, 5, bytes);
    int16_le_to_float(bytes, 5, out);
    EXPECT_EQ(out[0], 1.0f);
    EXPECT_EQ(out[1], -1.0f);
    EXPECT_EQ(out[2], 1.0f);
    EXPECT_EQ(out[3], 0.0f);
    EXPECT_NEAR(out[4], 0.5f, 1.0f / 32767.0f);
    EXPECT_EQ(bytes[0], 0xff); // 32767 little-endian
    EXPECT_EQ(bytes[1], 0x7f);
}

TEST(NetJackMidi, ShortEventsRoundTripLongOnesAreDropped) {
    MidiEvent events[3];
    events[0].frame = 0;
    events[0].size = 3;
    events[0].data[0] = 0xb0;
    events[0].data[1] = 7;
    events[0].data[2] = 100;
    events[1].frame = 17;
    events[1].size = 2;
    events[1].data[0] = 0xc1;
    events[1].data[1] = 5;
    events[2].frame = 18;
    events[2].size = 6; // not sent: jack2 garbles events longer than 4 bytes
    std::uint8_t wire[2 * 256];
    const std::size_t a = encode_midi_port(events, 3, 64, wire, sizeof wire);
    ASSERT_EQ(a, midi_port_bytes(2));
    EXPECT_EQ(get_be32(wire), kMidiMagic);
    const std::size_t b = encode_midi_port(events, 1, 64, wire + a, sizeof wire - a);
    ASSERT_EQ(b, midi_port_bytes(1));
    MidiEvent out[8];
    int ports[8];
    MidiDecodeResult r;
    const char* error = nullptr;
    ASSERT_TRUE(decode_midi(wire, a + b, 2, 64, out, ports, 8, &r, &error)) << error;
    ASSERT_EQ(r.events, 3);
    EXPECT_EQ(r.dropped, 0);
    EXPECT_EQ(out[1].frame, 17u);
    EXPECT_EQ(out[1].data[0], 0xc1);
    EXPECT_EQ(ports[0], 0);
    EXPECT_EQ(ports[2], 1);
    EXPECT_EQ(out[2].data[2], 100);
    // A count that claims more events than the data holds is refused.
    put_be32(wire + 16, 1000);
    EXPECT_FALSE(decode_midi(wire, a + b, 2, 64, out, ports, 8, &r, &error));
    EXPECT_STREQ(error, "MIDI event count beyond the data");
    EXPECT_EQ(encode_midi_port(events, 2, 64, wire, 10), 0u);
}

} // namespace
} // namespace tutti::netjack

namespace tutti::netjack {
namespace {

/// SNR in dB of `got` against `want` over [from, to).
double snr_db(const std::vector<float>& want, const std::vector<float>& got, std::size_t from,
              std::size_t to) {
    double s = 0, e = 0;
    for (std::size_t i = from; i < to; ++i) {
        const double w = want[i], d = static_cast<double>(got[i]) - w;
        s += w * w;
        e += d * d;
    }
    return 10.0 * std::log10(s / std::max(e, 1e-30));
}

/// Plays `signal` through a concealer in cycles of `period`, losing the
/// cycles in `lost`; returns what came out.
std::vector<float> through_concealer(const std::vector<float>& signal, int period,
                                     const std::vector<int>& lost) {
    Concealer concealer;
    concealer.prepare(1, period, 48000);
    std::vector<float> out(signal.size());
    std::vector<float> cycle(static_cast<std::size_t>(period));
    float* channels[1] = {cycle.data()};
    const int cycles = static_cast<int>(signal.size()) / period;
    for (int k = 0; k < cycles; ++k) {
        if (std::find(lost.begin(), lost.end(), k) != lost.end()) {
            concealer.conceal(channels);
        } else {
            std::copy(signal.begin() + k * period, signal.begin() + (k + 1) * period,
                      cycle.begin());
            concealer.received(channels);
        }
        std::copy(cycle.begin(), cycle.end(), out.begin() + k * period);
    }
    return out;
}

TEST(NetJackConcealment, ATonalSignalIsContinuedAbove18dB) {
    const int period = 256;
    std::vector<float> sine(48000), chord(48000);
    for (std::size_t i = 0; i < sine.size(); ++i) {
        const double t = static_cast<double>(i) / 48000.0;
        sine[i] = static_cast<float>(0.5 * std::sin(2 * M_PI * 441.0 * t));
        chord[i] = static_cast<float>(0.3 * std::sin(2 * M_PI * 220.0 * t) +
                                      0.2 * std::sin(2 * M_PI * 330.0 * t) +
                                      0.1 * std::sin(2 * M_PI * 440.0 * t + 1.0));
    }
    for (const auto* name : {"sine 441 Hz", "chord 220+330+440 Hz"}) {
        const std::vector<float>& x = name[0] == 's' ? sine : chord;
        const std::vector<float> out = through_concealer(x, period, {40, 90, 91});
        const double one = snr_db(x, out, 40 * period, 41 * period);
        const double two = snr_db(x, out, 90 * period, 92 * period);
        const std::vector<float> zeros(x.size(), 0.0f);
        const double zero = snr_db(x, zeros, 40 * period, 41 * period);
        // The crossfade back into real audio is part of the error.
        const double back = snr_db(x, out, 41 * period, 42 * period);
        EXPECT_GE(one, 18.0) << name;
        EXPECT_GE(two, 18.0) << name;
        EXPECT_GE(back, 18.0) << name;
        EXPECT_NEAR(zero, 0.0, 1e-9);
        std::printf("concealment, %s, 256-frame cycles: one lost %.1f dB, two lost %.1f dB, "
                    "the cycle after %.1f dB (zeros: %.1f dB)\n",
                    name, one, two, back, zero);
    }
}

TEST(NetJackConcealment, NoiseFadesAndALongLossEndsInSilence) {
    const int period = 128;
    std::vector<float> noise(24000);
    std::uint32_t seed = 1;
    for (float& v : noise) {
        seed = seed * 1664525u + 1013904223u;
        v = static_cast<float>(static_cast<int>(seed >> 9) - (1 << 22)) /
            static_cast<float>(1 << 23);
    }
    std::vector<int> lost;
    for (int k = 50; k < 70; ++k) {
        lost.push_back(k);
    }
    const std::vector<float> out = through_concealer(noise, period, lost);
    // No pitch in noise: the first lost cycle fades out, the next are silent.
    EXPECT_EQ(out[static_cast<std::size_t>(51 * period + 5)], 0.0f);
    float peak = 0;
    for (int i = 0; i < period; ++i) {
        peak =
            std::max(peak, std::fabs(out[std::size_t(50) * std::size_t(period) + std::size_t(i)]));
    }
    EXPECT_GT(peak, 0.0f);
    EXPECT_LE(peak, 0.5f);
    // A tone lost for 40 ms: full for 20 ms, faded to silence by 40 ms.
    std::vector<float> sine(24000);
    for (std::size_t i = 0; i < sine.size(); ++i) {
        sine[i] =
            static_cast<float>(0.5 * std::sin(2 * M_PI * 500.0 * static_cast<double>(i) / 48000.0));
    }
    std::vector<int> long_loss;
    for (int k = 50; k < 70; ++k) {
        long_loss.push_back(k); // 20 cycles of 128 = 53 ms
    }
    const std::vector<float> tone = through_concealer(sine, period, long_loss);
    EXPECT_EQ(tone[static_cast<std::size_t>(68 * period)], 0.0f);
    EXPECT_GT(std::fabs(tone[static_cast<std::size_t>(50 * period + 3)]), 0.0f);
}

} // namespace
} // namespace tutti::netjack
