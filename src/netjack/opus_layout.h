// SPDX-License-Identifier: MIT
/** \file
 * NetJack's Opus mode (encoder 3) on the wire, and which periods libopus can
 * take. Pure functions, no libopus: the parser of outside input is here
 * (fuzzed), the codec in netjack/opus_codec.h.
 *
 * Each port's cycle is one libopus *custom mode* frame of `period` samples
 * (mono, one encoder and one decoder per port), at most
 * M = kbps * period * 1024 / (rate * 8) bytes (jack2 counts a kbit as 1024
 * bits). On the wire a port's cycle is a stream of T = M + 2 bytes: the
 * encoded length (big-endian 16 bits) and then M bytes (the encoded frame,
 * padded). Every packet carries the same slice of every port's stream, port
 * after port: packet p holds bytes [p * sub, p * sub + bytes(p)) of each,
 * where sub = T / n and the last packet takes sub + T % n. jack2 picks
 * n = ceil(ports * T / (MTU - 112)); its last packet then overflows the MTU
 * for some port counts (and sub < 2 leaves no room for the length): we send
 * the smallest n that fits; the receiver rebuilds the slices from the
 * header's packet count. All ports are sent (the header's active-port count
 * is the port count), as jack2 does.
 *
 * Periods: libopus's custom mode refuses most periods (odd ones, under 40 or
 * over 1024 samples, under 1 ms, those whose FFT size has a factor other
 * than 2, 3 and 5, ...) with an error, and libopus 1.3 (with its hardening
 * checks, as Debian builds it) *aborts the process* when it decodes a mode
 * whose coded bands (effective bands) are more than 21: at 48 kHz 128, 144,
 * 150, 256, 288, 300, 512, 576, 600 and 1024 frames; at 44.1 kHz 120, 128,
 * 144, 240, 256, 288, 480, 512, 576, 960 and 1024. opus_effective_bands()
 * computes that count from the mode's band layout (its short-block size and
 * frequency resolution against the Bark scale); the test checks it against
 * libopus itself, in child processes, for every period at three rates.
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace tutti::netjack {

inline constexpr int kOpusMaxBands = 21;     ///< libopus 1.3's decoder check
inline constexpr int kOpusMaxFrame = 1275;   ///< bytes of one encoded frame
inline constexpr int kOpusDefaultKbps = 128; ///< per channel

/// The short block (MDCT) size libopus's custom mode uses for `period`
/// samples at `rate`, or 0 when the mode is refused by its size rules
/// (libopus may still refuse others: its FFT sizes).
int opus_short_block(int rate, int period);

/// The number of bands the custom mode codes (its effective bands); 0 when
/// opus_short_block() refuses the period.
int opus_effective_bands(int rate, int period);

/// Why libopus cannot run a NetJack Opus session of `period` frames at
/// `rate` (a static string), or nullptr when it can. opus_custom_mode_create
/// must never see a mode it would refuse: libopus 1.3 frees uninitialised
/// pointers on some of its failure paths (a crash at 16 kHz, 42 frames), so
/// its refusals are predicted here too (sizes, FFT factors, band widths).
/// The crashes: more than 21 effective bands (SIGABRT in the decoder), and
/// the 2.5 ms standard band layout on a block of less than 100 bins, which
/// crashes (SIGSEGV) for some periods at 12-24 kHz (12 kHz/120, 16 kHz/160,
/// 20 kHz/400, 24 kHz/480 frames): refused for every block under 80 bins (a
/// few that work are refused too; 32 kHz and up are exact: the test checks
/// every period 32..1100 at six rates against libopus in child processes).
const char* opus_period_problem(int rate, int period);

/// M: bytes of one port's encoded frame.
constexpr int opus_frame_bytes(int kbps, int period, int rate) {
    return rate > 0 ? static_cast<int>(static_cast<long long>(kbps) * period * 1024 /
                                       (static_cast<long long>(rate) * 8))
                    : 0;
}

struct OpusLayout {
    int ports = 0;
    int stream = 0; ///< T = M + 2 bytes of each port per cycle
    int packets = 1;
    int sub_bytes = 0;  ///< bytes per port in every packet but the last
    int last_bytes = 0; ///< bytes per port in the last packet
    bool jack_layout = true;
    int offset(int p) const {
        return p * sub_bytes;
    }
    int bytes(int p) const {
        return p == packets - 1 ? last_bytes : sub_bytes;
    }
};

/// The slices of a `stream`-byte stream in `packets` packets (1..stream).
OpusLayout opus_layout_for(int stream, int ports, int packets);
/// jack2's choice (may overflow the MTU).
OpusLayout jack_opus_layout(int stream, int mtu, int ports);
/// What we send: jack2's layout when it fits, else the fewest packets that do.
OpusLayout plan_opus(int stream, int mtu, int ports);

/// Payload of packet p from the ports' streams (each `stream` bytes).
std::size_t encode_opus_packet(const OpusLayout& layout, int p,
                               const std::uint8_t* const* port_streams, std::uint8_t* out);
/// Copies a payload into the ports' streams (each `stream` bytes); the layout
/// is rebuilt from the header's packet count and checked against the size.
bool decode_opus_packet(const std::uint8_t* payload, std::size_t size, std::uint32_t packets,
                        std::uint32_t sub_cycle, int stream, int num_ports,
                        std::uint8_t* const* port_streams, const char** error);

/// The encoded length at the head of a port's stream; 0 (a frame to
/// conceal) when it is more than the stream holds.
int opus_stream_length(const std::uint8_t* port_stream, int stream);

} // namespace tutti::netjack
