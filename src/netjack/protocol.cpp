// SPDX-License-Identifier: MIT
/** \file Session parameters and packet headers (see protocol.h for the layout). */
#include "netjack/protocol.h"

#include <algorithm>
#include <cstring>

#include "netjack/bytes.h"

namespace tutti::netjack {

namespace {

// Field offsets of the session parameters (packed, in wire order).
constexpr std::size_t kParamsType = 0; // char[8] "params"
constexpr std::size_t kParamsVersion = 8;
constexpr std::size_t kParamsId = 12;
constexpr std::size_t kParamsName = 16;
constexpr std::size_t kParamsMasterHost = kParamsName + kNameSize;
constexpr std::size_t kParamsSlaveHost = kParamsMasterHost + kHostSize;
constexpr std::size_t kParamsInts = kParamsSlaveHost + kHostSize; // 13 x 4 bytes
static_assert(kParamsInts + 13 * 4 == kParamsSize);

constexpr char kParamsMagic[] = "params"; // with its NUL: 7 bytes of the 8
constexpr char kHeaderMagic[] = "header";

void put_text(std::uint8_t* out, std::size_t field, const std::string& text) {
    std::memset(out, 0, field); // the terminating NUL: the text fills at most field - 1 bytes
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
    std::memcpy(out, text.data(), std::min(text.size(), field - 1));
}

/// The text of a fixed field up to its first NUL (or the whole field).
std::string get_text(const std::uint8_t* in, std::size_t field) {
    const void* nul = std::memchr(in, 0, field);
    std::size_t n =
        nul ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - in) : field;
    return std::string(reinterpret_cast<const char*>(in), n);
}

bool fail(const char** error, const char* why) {
    if (error) {
        *error = why;
    }
    return false;
}

bool channels_ok(std::int32_t n) {
    return n >= -1 && n <= kMaxChannels;
}

} // namespace

void encode_params(const SessionParams& p, std::uint8_t* out) {
    std::memset(out, 0, kParamsSize);
    std::memcpy(out + kParamsType, kParamsMagic, sizeof kParamsMagic);
    put_be32(out + kParamsVersion, p.version);
    put_be32(out + kParamsId, static_cast<std::uint32_t>(p.type));
    put_text(out + kParamsName, kNameSize, p.name);
    put_text(out + kParamsMasterHost, kHostSize, p.master_host);
    put_text(out + kParamsSlaveHost, kHostSize, p.slave_host);
    const std::uint32_t ints[13] = {
        p.mtu,
        p.id,
        p.transport_sync,
        static_cast<std::uint32_t>(p.send_audio),
        static_cast<std::uint32_t>(p.return_audio),
        static_cast<std::uint32_t>(p.send_midi),
        static_cast<std::uint32_t>(p.return_midi),
        p.sample_rate,
        p.period,
        static_cast<std::uint32_t>(p.encoder),
        p.kbps,
        p.sync_mode,
        p.latency,
    };
    for (std::size_t i = 0; i < 13; ++i) {
        put_be32(out + kParamsInts + 4 * i, ints[i]);
    }
}

bool decode_params(const std::uint8_t* data, std::size_t size, SessionParams* out,
                   const char** error) {
    if (size != kParamsSize) {
        return fail(error, "session parameters must be 644 bytes");
    }
    if (std::memcmp(data + kParamsType, kParamsMagic, sizeof kParamsMagic) != 0) {
        return fail(error, "not session parameters (no \"params\" tag)");
    }
    SessionParams p;
    p.version = get_be32(data + kParamsVersion);
    const std::int32_t id = static_cast<std::int32_t>(get_be32(data + kParamsId));
    if (id < 0 || id > static_cast<std::int32_t>(SyncType::KillMaster)) {
        return fail(error, "unknown sync packet id");
    }
    p.type = static_cast<SyncType>(id);
    p.name = get_text(data + kParamsName, kNameSize);
    p.master_host = get_text(data + kParamsMasterHost, kHostSize);
    p.slave_host = get_text(data + kParamsSlaveHost, kHostSize);
    std::uint32_t v[13];
    for (std::size_t i = 0; i < 13; ++i) {
        v[i] = get_be32(data + kParamsInts + 4 * i);
    }
    p.mtu = v[0];
    p.id = v[1];
    p.transport_sync = v[2];
    p.send_audio = static_cast<std::int32_t>(v[3]);
    p.return_audio = static_cast<std::int32_t>(v[4]);
    p.send_midi = static_cast<std::int32_t>(v[5]);
    p.return_midi = static_cast<std::int32_t>(v[6]);
    p.sample_rate = v[7];
    p.period = v[8];
    p.kbps = v[10];
    p.sync_mode = v[11];
    p.latency = v[12];
    if (p.version != kProtocolVersion) {
        // The rest may mean something else: decode nothing more, let the caller say so.
        *out = std::move(p);
        return true;
    }
    if (p.mtu < static_cast<std::uint32_t>(kMinMtu) ||
        p.mtu > static_cast<std::uint32_t>(kMaxMtu)) {
        return fail(error, "MTU out of range (576..9000)");
    }
    if (!channels_ok(p.send_audio) || !channels_ok(p.return_audio) || !channels_ok(p.send_midi) ||
        !channels_ok(p.return_midi)) {
        return fail(error, "channel count out of range (-1..256)");
    }
    if (p.sample_rate > static_cast<std::uint32_t>(kMaxSampleRate)) {
        return fail(error, "sample rate out of range");
    }
    if (p.period > static_cast<std::uint32_t>(kMaxPeriod)) {
        return fail(error, "period out of range (at most 8192 frames)");
    }
    if (v[9] > static_cast<std::uint32_t>(Encoder::Opus)) {
        return fail(error, "unknown sample encoder");
    }
    p.encoder = static_cast<Encoder>(v[9]);
    if (p.latency > static_cast<std::uint32_t>(kMaxLatency)) {
        return fail(error, "latency out of range (0..30 cycles)");
    }
    *out = std::move(p);
    return true;
}

void encode_header(const PacketHeader& h, std::uint8_t* out) {
    std::memset(out, 0, kHeaderSize);
    std::memcpy(out, kHeaderMagic, sizeof kHeaderMagic);
    const std::uint32_t ints[10] = {
        static_cast<std::uint32_t>(h.type),
        static_cast<std::uint32_t>(h.stream),
        h.id,
        h.num_packets,
        h.packet_size,
        h.active_ports,
        h.cycle,
        h.sub_cycle,
        static_cast<std::uint32_t>(h.frames),
        h.is_last,
    };
    for (std::size_t i = 0; i < 10; ++i) {
        put_be32(out + 8 + 4 * i, ints[i]);
    }
}

bool decode_header(const std::uint8_t* data, std::size_t size, PacketHeader* out,
                   const char** error) {
    if (size < kHeaderSize) {
        return fail(error, "datagram shorter than a packet header");
    }
    if (std::memcmp(data, kHeaderMagic, sizeof kHeaderMagic) != 0) {
        return fail(error, "not a data packet (no \"header\" tag)");
    }
    std::uint32_t v[10];
    for (std::size_t i = 0; i < 10; ++i) {
        v[i] = get_be32(data + 8 + 4 * i);
    }
    PacketHeader h;
    if (v[0] != 's' && v[0] != 'a' && v[0] != 'm') {
        return fail(error, "unknown data type");
    }
    h.type = static_cast<DataType>(v[0]);
    if (v[1] != 's' && v[1] != 'r') {
        return fail(error, "unknown data stream");
    }
    h.stream = static_cast<Stream>(v[1]);
    h.id = v[2];
    h.num_packets = v[3];
    h.packet_size = v[4];
    h.active_ports = v[5];
    h.cycle = v[6];
    h.sub_cycle = v[7];
    h.frames = static_cast<std::int32_t>(v[8]);
    h.is_last = v[9];
    if (h.packet_size != size) {
        return fail(error, "packet size differs from the datagram's");
    }
    if (h.active_ports > static_cast<std::uint32_t>(kMaxChannels)) {
        return fail(error, "more than 256 active ports");
    }
    // A cycle of 256 channels at 8192 frames, one frame per packet, is the most.
    if (h.num_packets > static_cast<std::uint32_t>(kMaxPeriod * kMaxChannels)) {
        return fail(error, "too many packets in a cycle");
    }
    if (h.type != DataType::Sync && h.sub_cycle >= h.num_packets) {
        return fail(error, "sub-cycle beyond the cycle's packets");
    }
    if (h.frames < -1 || h.frames > kMaxPeriod) {
        return fail(error, "frame count out of range");
    }
    *out = h;
    return true;
}

std::size_t encode_active_ports(const int* ports, int count, std::uint8_t* out) {
    for (int i = 0; i < count; ++i) {
        put_be32(out + 4 * i, static_cast<std::uint32_t>(ports[i]));
    }
    return static_cast<std::size_t>(count) * 4;
}

bool decode_active_ports(const std::uint8_t* payload, std::size_t size, std::uint32_t count,
                         int num_ports, bool* wanted, const char** error) {
    for (int i = 0; i < num_ports; ++i) {
        wanted[i] = false;
    }
    if (count > static_cast<std::uint32_t>(kMaxChannels) || size < std::size_t{count} * 4) {
        return fail(error, "active port list longer than the packet");
    }
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::uint32_t port = get_be32(payload + 4 * i);
        if (port >= static_cast<std::uint32_t>(num_ports)) {
            return fail(error, "active port beyond the channel count");
        }
        wanted[port] = true;
    }
    return true;
}

} // namespace tutti::netjack
