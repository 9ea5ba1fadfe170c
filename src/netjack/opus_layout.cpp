// SPDX-License-Identifier: MIT
/** \file NetJack's Opus packets and libopus's period rule (see opus_layout.h). */
#include "netjack/opus_layout.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>

#include "netjack/protocol.h"

namespace tutti::netjack {

namespace {

bool fail(const char** error, const char* why) {
    if (error) {
        *error = why;
    }
    return false;
}

/// Edges of the critical bands (Zwicker's Bark scale, Hz), as libopus's
/// custom modes space their bands above the linear part.
constexpr std::array<int, 26> kBark = {0,    100,  200,  300,  400,  510,   630,   770,  920,
                                       1080, 1270, 1480, 1720, 2000, 2320,  2700,  3150, 3700,
                                       4400, 5300, 6400, 7700, 9500, 12000, 15500, 20000};

} // namespace

int opus_short_block(int rate, int period) {
    if (rate < 8000 || rate > 96000 || period < 40 || period > 1024 || period % 2 != 0 ||
        static_cast<long>(period) * 1000 < rate) {
        return 0;
    }
    // Short blocks per frame (2^lm): as many as keep a block of at most 3.3 ms.
    int lm = 0;
    if (period * 75L >= rate && period % 16 == 0) {
        lm = 3;
    } else if (period * 150L >= rate && period % 8 == 0) {
        lm = 2;
    } else if (period * 300L >= rate && period % 4 == 0) {
        lm = 1;
    }
    const int block = period >> lm;
    return block * 300L > rate ? 0 : block;
}

namespace {

struct Bands {
    int coded = 0;      ///< effective bands: those that end within the block
    int last_width = 0; ///< bins of the highest band
};

Bands band_layout(int rate, int period) {
    const int block = opus_short_block(rate, period);
    if (block == 0) {
        return {};
    }
    if (rate == 400 * block) {
        // The 2.5 ms block layout of the standard modes: 21 bands up to bin
        // 100 (the block is 100 bins at 40 kHz and up), the last 22 wide.
        return {21, 22};
    }
    const int res = (rate + block) / (2 * block); // Hz per MDCT bin
    // Critical bands below the Nyquist frequency.
    int bark = 1;
    while (bark < 25 && kBark[static_cast<std::size_t>(bark) + 1] * 2 < rate) {
        ++bark;
    }
    // Below `lin` the bands are one bin wide (the critical band is narrower).
    int lin = 0;
    while (lin < bark &&
           kBark[static_cast<std::size_t>(lin) + 1] - kBark[static_cast<std::size_t>(lin)] < res) {
        ++lin;
    }
    const int linear = (kBark[static_cast<std::size_t>(lin)] + res / 2) / res;
    const int count = linear + bark - lin;
    std::array<int, 64> edge{};
    for (int i = 0; i < linear; ++i) {
        edge[static_cast<std::size_t>(i)] = i;
    }
    int carry = linear > 0 ? edge[static_cast<std::size_t>(linear) - 1] * res -
                                 kBark[static_cast<std::size_t>(lin) - 1]
                           : 0;
    for (int i = 0; i < bark - lin; ++i) {
        const int target = kBark[static_cast<std::size_t>(lin + i)];
        const int e = (target + carry / 2 + res) / (2 * res) * 2; // even bin
        edge[static_cast<std::size_t>(linear + i)] = e;
        carry = e * res - target;
    }
    for (int i = 0; i < count; ++i) {
        edge[static_cast<std::size_t>(i)] = std::max(edge[static_cast<std::size_t>(i)], i);
    }
    edge[static_cast<std::size_t>(count)] =
        std::min((kBark[static_cast<std::size_t>(bark)] + res) / (2 * res) * 2, block);
    // A band narrower than the one below it is widened downwards.
    for (int i = 1; i < count - 1; ++i) {
        const auto at = static_cast<std::size_t>(i);
        if (edge[at + 1] - edge[at] < edge[at] - edge[at - 1]) {
            edge[at] -= (2 * edge[at] - edge[at - 1] - edge[at + 1]) / 2;
        }
    }
    // Empty bands go.
    int bands = 0;
    for (int i = 0; i < count; ++i) {
        if (edge[static_cast<std::size_t>(i) + 1] > edge[static_cast<std::size_t>(bands)]) {
            edge[static_cast<std::size_t>(++bands)] = edge[static_cast<std::size_t>(i) + 1];
        }
    }
    Bands b;
    b.last_width = bands > 0 ? edge[static_cast<std::size_t>(bands)] -
                                   edge[static_cast<std::size_t>(bands) - 1]
                             : 0;
    // Coded bands: those that end within the block.
    while (bands > 0 && edge[static_cast<std::size_t>(bands)] > block) {
        --bands;
    }
    b.coded = bands;
    return b;
}

/// libopus's FFTs factor into 2, 3, 4 and 5 only.
bool fft_size_ok(int n) {
    if (n < 1) {
        return false;
    }
    for (int p : {2, 3, 5}) {
        while (n % p == 0) {
            n /= p;
        }
    }
    return n == 1;
}

int short_blocks_log2(int period, int block) {
    int lm = 0;
    while ((block << lm) < period) {
        ++lm;
    }
    return lm;
}

} // namespace

int opus_effective_bands(int rate, int period) {
    return band_layout(rate, period).coded;
}

const char* opus_period_problem(int rate, int period) {
    const int block = opus_short_block(rate, period);
    if (block == 0) {
        return "libopus's custom mode takes even periods of 40..1024 frames, at least 1 ms, "
               "with short blocks of at most 3.3 ms";
    }
    // What else makes opus_custom_mode_create fail; on those paths libopus
    // 1.3 frees uninitialised pointers (it crashed here at 16 kHz, 42 frames):
    // they must never reach it.
    const int lm = short_blocks_log2(period, block);
    for (int shift = 0; shift <= lm; ++shift) {
        if (!fft_size_ok((period / 2) >> shift)) {
            return "libopus's custom mode takes only periods whose FFT sizes factor into 2, 3 "
                   "and 5";
        }
    }
    if ((band_layout(rate, period).last_width << lm) > 208) {
        return "libopus's custom mode refuses a highest band this wide (over 208 bins)";
    }
    if (rate == 400 * block && block < 80) {
        // Measured: 12 kHz/120, 16 kHz/160, 20 kHz/400 and 24 kHz/480 crash;
        // others of these rates do not (refused here all the same).
        return "libopus crashes (SIGSEGV) decoding some modes whose 2.5 ms band layout is "
               "wider than the block (rates under 32 kHz)";
    }
    if (opus_effective_bands(rate, period) > kOpusMaxBands) {
        return "libopus 1.3 aborts decoding a custom mode of more than 21 bands";
    }
    return nullptr;
}

OpusLayout opus_layout_for(int stream, int ports, int packets) {
    OpusLayout l;
    l.ports = ports;
    l.stream = stream;
    l.packets = std::max(1, std::min(packets, stream));
    l.sub_bytes = stream / l.packets;
    l.last_bytes = l.sub_bytes + stream % l.packets;
    l.jack_layout = false;
    return l;
}

OpusLayout jack_opus_layout(int stream, int mtu, int ports) {
    const long total = static_cast<long>(ports) * stream;
    const long limit = packet_payload_limit(mtu);
    const int n = static_cast<int>(std::max(1L, (total + limit - 1) / limit));
    OpusLayout l = opus_layout_for(stream, ports, n);
    l.jack_layout = l.packets == n;
    return l;
}

OpusLayout plan_opus(int stream, int mtu, int ports) {
    const int limit = packet_payload_limit(mtu);
    auto fits = [&](const OpusLayout& l) {
        return static_cast<long>(ports) * l.last_bytes <= limit && l.sub_bytes >= 2;
    };
    OpusLayout jack = jack_opus_layout(stream, mtu, ports);
    if (jack.jack_layout && fits(jack)) {
        return jack;
    }
    for (int n = jack.packets; n <= stream / 2; ++n) {
        OpusLayout l = opus_layout_for(stream, ports, n);
        if (fits(l)) {
            return l;
        }
    }
    return opus_layout_for(stream, ports, std::max(1, stream / 2));
}

std::size_t encode_opus_packet(const OpusLayout& l, int p, const std::uint8_t* const* port_streams,
                               std::uint8_t* out) {
    const auto n = static_cast<std::size_t>(l.bytes(p));
    const auto at = static_cast<std::size_t>(l.offset(p));
    for (int port = 0; port < l.ports; ++port) {
        std::memcpy(out + static_cast<std::size_t>(port) * n, port_streams[port] + at, n);
    }
    return static_cast<std::size_t>(l.ports) * n;
}

bool decode_opus_packet(const std::uint8_t* payload, std::size_t size, std::uint32_t packets,
                        std::uint32_t sub_cycle, int stream, int num_ports,
                        std::uint8_t* const* port_streams, const char** error) {
    if (stream < 3) {
        return fail(error, "opus stream too short");
    }
    if (packets == 0 || packets > static_cast<std::uint32_t>(stream) || sub_cycle >= packets) {
        return fail(error, "opus packet count out of range");
    }
    const OpusLayout l = opus_layout_for(stream, num_ports, static_cast<int>(packets));
    const int p = static_cast<int>(sub_cycle);
    const auto n = static_cast<std::size_t>(l.bytes(p));
    if (size != static_cast<std::size_t>(num_ports) * n) {
        return fail(error, "opus payload size does not match the layout");
    }
    const auto at = static_cast<std::size_t>(l.offset(p));
    if (at + n > static_cast<std::size_t>(stream)) {
        return fail(error, "opus bytes beyond the stream");
    }
    for (int port = 0; port < num_ports; ++port) {
        std::memcpy(port_streams[port] + at, payload + static_cast<std::size_t>(port) * n, n);
    }
    return true;
}

int opus_stream_length(const std::uint8_t* port_stream, int stream) {
    const int length = (port_stream[0] << 8) | port_stream[1];
    return length <= stream - 2 ? length : 0;
}

} // namespace tutti::netjack
