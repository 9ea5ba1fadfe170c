// SPDX-License-Identifier: MIT
/** \file Packet layouts of a cycle's audio (see audio_layout.h). */
#include "netjack/audio_layout.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "netjack/bytes.h"
#include "netjack/protocol.h"

namespace tutti::netjack {

namespace {

bool fail(const char** error, const char* why) {
    if (error) {
        *error = why;
    }
    return false;
}

/// Bytes of one port in a float packet of `sub` frames.
constexpr int float_chunk(int sub) {
    return 4 + 4 * sub;
}

} // namespace

int jack_float_sub_period(int period, int mtu, int active) {
    if (active <= 0) {
        return period;
    }
    // jack2: int(powf(2, int(log(float(avail) / (active * 4)) / log(2.)))), capped at the
    // period. The float logarithm is kept so that rounding agrees at the edges.
    const float ratio =
        static_cast<float>(packet_payload_limit(mtu)) / static_cast<float>(active * 4);
    const int exponent = static_cast<int>(static_cast<double>(std::log(ratio)) / std::log(2.0));
    const int sub = static_cast<int>(std::pow(2.0f, static_cast<float>(exponent)));
    return std::min(sub, period);
}

FloatLayout plan_float(int period, int mtu, int active) {
    FloatLayout l;
    l.active = active;
    if (active <= 0) {
        l.active = 0;
        l.ports_per_packet = 0;
        l.sub_frames = period;
        return l;
    }
    const int jack_sub = jack_float_sub_period(period, mtu, active);
    if (jack_sub >= 1 && period % jack_sub == 0 &&
        static_cast<int>(kHeaderSize) + active * float_chunk(jack_sub) <= mtu) {
        l.ports_per_packet = active;
        l.sub_frames = jack_sub;
        l.blocks = period / jack_sub;
        l.groups = 1;
        l.packets = l.blocks;
        l.jack_layout = true;
        return l;
    }
    // Extended: the divisor `sub` of the period and group size k that need the
    // fewest packets (ties: the larger sub) within jack2's payload allowance.
    const int limit = packet_payload_limit(mtu);
    l.jack_layout = false;
    l.packets = 0;
    for (int sub = period; sub >= 1; --sub) {
        if (period % sub != 0) {
            continue;
        }
        int k = std::min(active, limit / float_chunk(sub));
        if (k < 1) {
            continue;
        }
        const int groups = (active + k - 1) / k;
        k = (active + groups - 1) / groups; // balance the groups
        const int packets = (period / sub) * groups;
        if (l.packets == 0 || packets < l.packets) {
            l.ports_per_packet = k;
            l.sub_frames = sub;
            l.blocks = period / sub;
            l.groups = groups;
            l.packets = packets;
        }
    }
    return l;
}

std::size_t encode_float_packet(const FloatLayout& l, int p, const int* active_list,
                                const float* const* channels, std::uint8_t* out,
                                std::uint32_t* sub_cycle, std::uint32_t* ports_in_packet) {
    if (l.active == 0) {
        *sub_cycle = 0;
        *ports_in_packet = 0;
        return 0;
    }
    const int block = p / l.groups;
    const int group = p % l.groups;
    const int first = group * l.ports_per_packet;
    const int count = std::min(l.ports_per_packet, l.active - first);
    const int frame = block * l.sub_frames;
    std::uint8_t* w = out;
    for (int i = 0; i < count; ++i) {
        const int port = active_list[first + i];
        put_be32(w, static_cast<std::uint32_t>(port));
        put_floats_le(w + 4, channels[port] + frame, l.sub_frames);
        w += float_chunk(l.sub_frames);
    }
    *sub_cycle = static_cast<std::uint32_t>(block);
    *ports_in_packet = static_cast<std::uint32_t>(count);
    return static_cast<std::size_t>(w - out);
}

bool decode_float_packet(const std::uint8_t* payload, std::size_t size,
                         std::uint32_t ports_in_packet, std::uint32_t sub_cycle, int period,
                         int num_ports, float* const* channels, bool* received,
                         const char** error) {
    if (ports_in_packet == 0) {
        return size == 0 || fail(error, "audio payload without ports");
    }
    if (ports_in_packet > static_cast<std::uint32_t>(kMaxChannels)) {
        return fail(error, "more than 256 ports in a packet");
    }
    if (size % ports_in_packet != 0) {
        return fail(error, "audio payload does not split into its ports");
    }
    const std::size_t chunk = size / ports_in_packet;
    if (chunk < 8 || chunk % 4 != 0) {
        return fail(error, "audio chunk is not a port index and whole samples");
    }
    const std::size_t sub = chunk / 4 - 1;
    if (sub > static_cast<std::size_t>(period) ||
        std::size_t{sub_cycle} * sub + sub > static_cast<std::size_t>(period)) {
        return fail(error, "audio frames beyond the period");
    }
    const std::size_t frame = std::size_t{sub_cycle} * sub;
    // Check every index before writing any sample.
    for (std::uint32_t i = 0; i < ports_in_packet; ++i) {
        if (get_be32(payload + i * chunk) >= static_cast<std::uint32_t>(num_ports)) {
            return fail(error, "audio port index beyond the channel count");
        }
    }
    for (std::uint32_t i = 0; i < ports_in_packet; ++i) {
        const std::uint8_t* c = payload + i * chunk;
        const std::uint32_t port = get_be32(c);
        get_floats_le(channels[port] + frame, c + 4, static_cast<int>(sub));
        if (received) {
            received[port] = true;
        }
    }
    return true;
}

Int16Layout int16_layout_for(int period, int ports, int packets) {
    Int16Layout l;
    l.ports = ports;
    const int bytes = 2 * period;
    l.packets = std::max(1, std::min(packets, period));
    l.sub_bytes = bytes / l.packets;
    l.last_bytes = l.sub_bytes + bytes % l.packets;
    l.lossless = l.packets == 1 || l.sub_bytes % 2 == 0;
    l.jack_layout = false;
    return l;
}

Int16Layout jack_int16_layout(int period, int mtu, int ports) {
    const long total = static_cast<long>(ports) * 2 * period;
    const long limit = packet_payload_limit(mtu);
    const int n = static_cast<int>(std::max(1L, (total + limit - 1) / limit));
    Int16Layout l = int16_layout_for(period, ports, n);
    l.packets = n; // jack2 does not cap n at the period (then sub_bytes is 0: nothing arrives)
    l.sub_bytes = 2 * period / n;
    l.last_bytes = l.sub_bytes + 2 * period % n;
    l.lossless = n <= period && (n == 1 || l.sub_bytes % 2 == 0);
    l.jack_layout = true;
    return l;
}

Int16Layout plan_int16(int period, int mtu, int ports) {
    const Int16Layout jack = jack_int16_layout(period, mtu, ports);
    auto fits = [&](const Int16Layout& l, int limit) {
        return static_cast<long>(ports) * l.last_bytes <= limit;
    };
    if (jack.lossless && fits(jack, mtu - static_cast<int>(kHeaderSize))) {
        return jack;
    }
    const int limit = packet_payload_limit(mtu);
    for (int n = std::min(jack.packets, period); n <= period; ++n) {
        Int16Layout l = int16_layout_for(period, ports, n);
        if (l.lossless && fits(l, limit)) {
            return l;
        }
    }
    return int16_layout_for(period, ports, period); // 2 bytes per port: always fits 256 ports
}

void float_to_int16_le(const float* in, int frames, std::uint8_t* out) {
    for (int i = 0; i < frames; ++i) {
        float x = in[i];
        x = x == x ? std::clamp(x, -1.0f, 1.0f) : 0.0f;
        const auto v = static_cast<std::int16_t>(std::lrint(x * 32767.0f));
        const auto u = static_cast<std::uint16_t>(v);
        out[2 * i] = static_cast<std::uint8_t>(u);
        out[2 * i + 1] = static_cast<std::uint8_t>(u >> 8);
    }
}

void int16_le_to_float(const std::uint8_t* in, int frames, float* out) {
    constexpr float scale = 1.0f / 32767.0f;
    for (int i = 0; i < frames; ++i) {
        const auto u = static_cast<std::uint16_t>(in[2 * i] | (in[2 * i + 1] << 8));
        out[i] = static_cast<float>(static_cast<std::int16_t>(u)) * scale;
    }
}

std::size_t encode_int16_packet(const Int16Layout& l, int p, const std::uint8_t* const* port_bytes,
                                std::uint8_t* out) {
    const int n = l.bytes(p);
    const int at = l.offset(p);
    for (int port = 0; port < l.ports; ++port) {
        std::memcpy(out + static_cast<std::size_t>(port) * static_cast<std::size_t>(n),
                    port_bytes[port] + at, static_cast<std::size_t>(n));
    }
    return static_cast<std::size_t>(l.ports) * static_cast<std::size_t>(n);
}

bool decode_int16_packet(const std::uint8_t* payload, std::size_t size, std::uint32_t packets,
                         std::uint32_t sub_cycle, int period, int num_ports,
                         std::uint8_t* const* port_bytes, const char** error) {
    if (packets == 0 || packets > static_cast<std::uint32_t>(period) || sub_cycle >= packets) {
        return fail(error, "int16 packet count out of range");
    }
    const Int16Layout l = int16_layout_for(period, num_ports, static_cast<int>(packets));
    const int p = static_cast<int>(sub_cycle);
    const int n = l.bytes(p);
    if (size != static_cast<std::size_t>(num_ports) * static_cast<std::size_t>(n)) {
        return fail(error, "int16 payload size does not match the layout");
    }
    const int at = l.offset(p);
    if (at + n > 2 * period) {
        return fail(error, "int16 bytes beyond the period");
    }
    for (int port = 0; port < num_ports; ++port) {
        std::memcpy(port_bytes[port] + at,
                    payload + static_cast<std::size_t>(port) * static_cast<std::size_t>(n),
                    static_cast<std::size_t>(n));
    }
    return true;
}

} // namespace tutti::netjack
