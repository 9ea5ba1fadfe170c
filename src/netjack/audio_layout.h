// SPDX-License-Identifier: MIT
/** \file
 * How one cycle of audio is split into packets, for the float and the 16-bit
 * integer encoders, and the encoding and decoding of one packet's payload.
 *
 * Float (jack2's layout): every packet carries the same `sub` frames of each
 * port the receiver asked for, each port as [port index, big-endian int32]
 * [sub little-endian floats]; packet p holds frames [p*sub, (p+1)*sub).
 * jack2 picks sub = 2^floor(log2((MTU-112) / (4*ports))), at most the period,
 * and computes it again on receipt from the header's port count. That layout
 * overflows jack2's MTU-sized buffer for some port counts (41-43, 73-86,
 * 122-173, 182+ at MTU 1500) and drops frames when the period is not a power
 * of two. When it would, we send an extended layout: ports in groups of k
 * per packet, several packets per sub-cycle (the header's port count is the
 * group's; the sub-cycle numbers the frame block). Our receiver takes both: it
 * reads `sub` from the payload's size, never from a formula, so it needs no
 * agreement on the layout (a jack2 receiver cannot take the extended one; it
 * could not take those counts at all).
 *
 * Int16 (jack2's layout): all ports in every packet; each port's cycle is
 * 2*period bytes, cut into n packets of `sub` = 2P/n bytes (the last takes the
 * remainder); packet p starts at byte p*2*floor(sub/2) of each port. jack2
 * picks n = ceil(ports*2P / (MTU-112)); when `sub` is odd it loses the tail of
 * every cycle, and the last packet can overflow the MTU (32 ports at 128 and
 * 256 frames). We then send more packets (the smallest n that is lossless and
 * fits); the receiver rebuilds the layout from the header's packet count.
 * Samples: round(x * 32767) clamped, decoded as v / 32767 (jack2 truncates).
 *
 * All functions are pure and allocate nothing: they run on the audio thread.
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace tutti::netjack {

/// jack2's float sub-period for `active` ports (its formula, float maths included).
int jack_float_sub_period(int period, int mtu, int active);

struct FloatLayout {
    int active = 0;           ///< ports sent this cycle
    int ports_per_packet = 0; ///< k (all active ports in jack2's layout)
    int sub_frames = 0;       ///< frames per packet
    int blocks = 1;           ///< period / sub_frames
    int groups = 1;           ///< ceil(active / k)
    int packets = 1;          ///< blocks * groups
    bool jack_layout = true;  ///< identical to what jack2 sends and expects
};

/// The layout for `active` ports (0..256). period 1..8192, mtu 576..9000.
FloatLayout plan_float(int period, int mtu, int active);

/// Writes the payload of packet p (0 <= p < packets): the ports of group
/// p % groups from `active_list` (indices into `channels`), frames of block
/// p / groups. Returns the payload bytes; *sub_cycle and *ports_in_packet are
/// the header's fields.
std::size_t encode_float_packet(const FloatLayout& layout, int p, const int* active_list,
                                const float* const* channels, std::uint8_t* out,
                                std::uint32_t* sub_cycle, std::uint32_t* ports_in_packet);

/// Reads a float payload into `channels` (num_ports of `period` frames).
/// `received`, when given, marks each port found. False with *error if the
/// size does not split into ports_in_packet equal chunks, a port index is out
/// of range or the frames fall outside the period.
bool decode_float_packet(const std::uint8_t* payload, std::size_t size,
                         std::uint32_t ports_in_packet, std::uint32_t sub_cycle, int period,
                         int num_ports, float* const* channels, bool* received, const char** error);

struct Int16Layout {
    int ports = 0;
    int packets = 1;
    int sub_bytes = 0;  ///< bytes per port in every packet but the last
    int last_bytes = 0; ///< bytes per port in the last packet
    bool lossless = true;
    bool jack_layout = true;
    /// First byte of packet p within a port's 2*period bytes.
    int offset(int p) const {
        return p * 2 * (sub_bytes / 2);
    }
    int bytes(int p) const {
        return p == packets - 1 ? last_bytes : sub_bytes;
    }
};

/// The layout with `packets` packets (1..period), as a receiver rebuilds it.
Int16Layout int16_layout_for(int period, int ports, int packets);
/// What we send: jack2's layout if it is lossless and fits the MTU, else the
/// smallest packet count that is.
Int16Layout plan_int16(int period, int mtu, int ports);
/// jack2's own choice (may be lossy or overflow).
Int16Layout jack_int16_layout(int period, int mtu, int ports);

/// Converts a channel to little-endian int16 (rounded, clamped; NaN -> 0).
void float_to_int16_le(const float* in, int frames, std::uint8_t* out);
void int16_le_to_float(const std::uint8_t* in, int frames, float* out);

/// Payload of packet p from the ports' int16 bytes (each 2*period bytes).
std::size_t encode_int16_packet(const Int16Layout& layout, int p,
                                const std::uint8_t* const* port_bytes, std::uint8_t* out);
/// Copies a payload into the ports' int16 bytes; checks its size against the
/// layout rebuilt from the header's packet count.
bool decode_int16_packet(const std::uint8_t* payload, std::size_t size, std::uint32_t packets,
                         std::uint32_t sub_cycle, int period, int num_ports,
                         std::uint8_t* const* port_bytes, const char** error);

} // namespace tutti::netjack
