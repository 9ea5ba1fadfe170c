// SPDX-License-Identifier: MIT
/** \file
 * NetJack's Opus mode without sockets: the packet slices (jack2's, and ours
 * where jack2's overflow the MTU), the period rule checked against libopus
 * itself (each mode in a child process: libopus aborts or crashes on the
 * modes the rule refuses), and the codec: a sine through encode/decode by
 * SNR, NaN and infinities sanitised, refused periods refused without a crash.
 */
#include <gtest/gtest.h>
#include <opus/opus_custom.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "netjack/opus_codec.h"
#include "netjack/opus_layout.h"
#include "netjack/protocol.h"

namespace tutti::netjack {
namespace {

/// 0: libopus creates and runs the mode; 1: it refuses it, crashes or
/// aborts. All in a child process: libopus 1.3 can crash in
/// opus_custom_mode_create itself (on a failure path).
int libopus_verdict(int rate, int period) {
    const pid_t child = fork();
    if (child == 0) {
        std::fclose(stderr); // libopus's "Fatal (internal) error" line
        int err = 0;
        OpusCustomMode* mode = opus_custom_mode_create(rate, period, &err);
        if (!mode || err != OPUS_OK) {
            _exit(2);
        }
        OpusCustomEncoder* e = opus_custom_encoder_create(mode, 1, &err);
        OpusCustomDecoder* d = opus_custom_decoder_create(mode, 1, &err);
        std::vector<float> in(static_cast<std::size_t>(period)), out(in.size());
        unsigned char packet[1275];
        for (int k = 0; k < 2; ++k) {
            for (int i = 0; i < period; ++i) {
                in[static_cast<std::size_t>(i)] = 0.5f * std::sin(0.05f * static_cast<float>(i));
            }
            const int n = opus_custom_encode_float(e, in.data(), period, packet, 200);
            if (opus_custom_decode_float(d, packet, n, out.data(), period) != period) {
                _exit(3);
            }
        }
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

TEST(NetJackOpus, PeriodRuleAgreesWithLibopus) {
    int runs = 0, refused_total = 0, conservative = 0;
    // CI: the two common rates (a few seconds); NETJACK_OPUS_ALL_RATES=1
    // (bench/netjack_tables.sh): six rates, about a minute.
    std::vector<int> rates = {44100, 48000};
    if (std::getenv("NETJACK_OPUS_ALL_RATES")) {
        rates = {16000, 24000, 32000, 44100, 48000, 96000};
    }
    for (int rate : rates) {
        std::string refused;
        for (int period = 32; period <= 1100; ++period) {
            if (opus_short_block(rate, period) == 0) {
                continue; // refused by size alone (no libopus call needed)
            }
            const int verdict = libopus_verdict(rate, period);
            const char* problem = opus_period_problem(rate, period);
            runs += verdict == 0;
            ASSERT_FALSE(verdict != 0 && problem == nullptr)
                << rate << " Hz, " << period << " frames: libopus fails, the rule lets it through";
            if (problem && verdict == 0) {
                ++conservative;
                EXPECT_LT(rate, 32000) << period << " frames: refused although libopus runs it";
            }
            if (problem && verdict != 0 && opus_effective_bands(rate, period) > kOpusMaxBands) {
                refused += " " + std::to_string(period);
                ++refused_total;
            }
        }
        std::printf("netjack opus: %d Hz, periods of more than 21 bands (libopus aborts):%s\n",
                    rate, refused.c_str());
    }
    std::printf("netjack opus: %d modes libopus runs, all let through; %d refused for their bands; "
                "%d refused conservatively (rates under 32 kHz)\n",
                runs, refused_total, conservative);
    // The list at 48 kHz.
    for (int period : {128, 144, 256, 512, 1024}) {
        EXPECT_NE(opus_period_problem(48000, period), nullptr) << period;
    }
    for (int period : {64, 120, 240, 480, 960}) {
        EXPECT_EQ(opus_period_problem(48000, period), nullptr) << period;
    }
}
TEST(NetJackOpus, CodecRefusesWhatLibopusCannotTakeWithAClearError) {
    for (int period : {128, 256, 512, 1024, 2048, 32, 37}) {
        OpusCodec codec;
        std::string error;
        EXPECT_FALSE(codec.prepare(48000, period, 128, 2, 2, &error)) << period;
        EXPECT_NE(error.find("Opus at " + std::to_string(period) + " frames"), std::string::npos)
            << error;
    }
    OpusCodec codec;
    std::string error;
    EXPECT_FALSE(codec.prepare(48000, 240, 0, 1, 1, &error));
    EXPECT_NE(error.find("kbit/s"), std::string::npos) << error;
}

double sine_snr(int rate, int period, int kbps, bool poison) {
    OpusCodec codec;
    std::string error;
    EXPECT_TRUE(codec.prepare(rate, period, kbps, 1, 1, &error)) << error;
    std::vector<float> in(static_cast<std::size_t>(period)), out(in.size());
    std::vector<std::uint8_t> stream(static_cast<std::size_t>(codec.stream_bytes()));
    std::vector<float> sent, got;
    for (int k = 0; k < 200; ++k) {
        for (int i = 0; i < period; ++i) {
            const double t = static_cast<double>(k * period + i);
            in[static_cast<std::size_t>(i)] =
                static_cast<float>(0.5 * std::sin(2 * M_PI * 441.0 * t / rate));
        }
        sent.insert(sent.end(), in.begin(), in.end());
        if (poison && k == 100) {
            in[3] = std::numeric_limits<float>::quiet_NaN();
            in[5] = std::numeric_limits<float>::infinity();
            in[7] = -std::numeric_limits<float>::infinity();
        }
        codec.encode(0, in.data(), stream.data());
        EXPECT_LE(opus_stream_length(stream.data(), codec.stream_bytes()), codec.frame_bytes());
        EXPECT_TRUE(codec.decode(0, stream.data(), out.data()));
        got.insert(got.end(), out.begin(), out.end());
    }
    for (float v : got) {
        EXPECT_TRUE(std::isfinite(v));
    }
    // The codec delays by its MDCT overlap: the best lag up to a period.
    double best = -1e9;
    for (int lag = 0; lag <= period; ++lag) {
        double s = 0, e = 0;
        for (std::size_t t = static_cast<std::size_t>(period) * 20; t + lag < got.size(); ++t) {
            if (poison && t / static_cast<std::size_t>(period) >= 99 &&
                t / static_cast<std::size_t>(period) <= 102) {
                continue;
            }
            const double d = got[t + static_cast<std::size_t>(lag)] - sent[t];
            s += static_cast<double>(sent[t]) * static_cast<double>(sent[t]);
            e += d * d;
        }
        best = std::max(best, 10 * std::log10(s / std::max(e, 1e-30)));
    }
    return best;
}

TEST(NetJackOpus, SineThroughTheCodecAndNaNSanitised) {
    for (int period : {64, 120, 240, 480, 960}) {
        const double snr = sine_snr(48000, period, 128, false);
        std::printf("netjack opus: 441 Hz sine, 48 kHz, %d frames, 128 kbit/s: SNR %.1f dB\n",
                    period, snr);
        EXPECT_GE(snr, 20.0) << period;
    }
    const double poisoned = sine_snr(48000, 240, 128, true);
    std::printf("netjack opus: NaN and +-inf in one cycle: no abort, SNR elsewhere %.1f dB\n",
                poisoned);
    EXPECT_GE(poisoned, 20.0);
}

TEST(NetJackOpus, PacketSlicesRoundTripAndFitTheMtu) {
    std::mt19937 random(7);
    for (int ports : {1, 2, 13, 32, 64, 173, 256}) {
        for (int kbps : {32, 128, 500}) {
            for (int period : {64, 240, 960}) {
                const int stream = opus_frame_bytes(kbps, period, 48000) + 2;
                const OpusLayout l = plan_opus(stream, kDefaultMtu, ports);
                EXPECT_LE(ports * l.last_bytes, packet_payload_limit(kDefaultMtu));
                EXPECT_GE(l.sub_bytes, 2);
                const OpusLayout jack = jack_opus_layout(stream, kDefaultMtu, ports);
                if (jack.jack_layout && ports * jack.last_bytes <= packet_payload_limit(1500) &&
                    jack.sub_bytes >= 2) {
                    EXPECT_EQ(l.packets, jack.packets) << "jack2's layout where it works";
                }
                std::vector<std::vector<std::uint8_t>> tx(static_cast<std::size_t>(ports)),
                    rx(tx.size());
                std::vector<const std::uint8_t*> tx_view;
                std::vector<std::uint8_t*> rx_view;
                for (std::size_t p = 0; p < tx.size(); ++p) {
                    tx[p].resize(static_cast<std::size_t>(stream));
                    for (auto& b : tx[p]) {
                        b = static_cast<std::uint8_t>(random());
                    }
                    rx[p].assign(static_cast<std::size_t>(stream), 0);
                    tx_view.push_back(tx[p].data());
                    rx_view.push_back(rx[p].data());
                }
                std::vector<std::uint8_t> payload(65536);
                for (int p = l.packets - 1; p >= 0; --p) { // any order
                    const std::size_t n = encode_opus_packet(l, p, tx_view.data(), payload.data());
                    const char* why = nullptr;
                    ASSERT_TRUE(decode_opus_packet(
                        payload.data(), n, static_cast<std::uint32_t>(l.packets),
                        static_cast<std::uint32_t>(p), stream, ports, rx_view.data(), &why))
                        << why;
                }
                EXPECT_EQ(tx, rx) << ports << " ports, " << kbps << " kbit/s, " << period;
            }
        }
    }
    // jack2's own layout for 2 ports, 128 kbit/s, 240 frames: one packet of
    // 2 x 83 bytes (81 + the length).
    const OpusLayout two = plan_opus(opus_frame_bytes(128, 240, 48000) + 2, 1500, 2);
    EXPECT_EQ(two.packets, 1);
    EXPECT_EQ(two.last_bytes, 83);
    // Bad payloads are refused.
    std::vector<std::uint8_t> payload(100), port(83);
    std::uint8_t* view[1] = {port.data()};
    const char* why = nullptr;
    EXPECT_FALSE(decode_opus_packet(payload.data(), 82, 1, 0, 83, 1, view, &why));
    EXPECT_FALSE(decode_opus_packet(payload.data(), 83, 1, 1, 83, 1, view, &why));
    EXPECT_FALSE(decode_opus_packet(payload.data(), 83, 0, 0, 83, 1, view, &why));
    EXPECT_FALSE(decode_opus_packet(payload.data(), 2, 84, 0, 83, 1, view, &why));
}

} // namespace
} // namespace tutti::netjack
