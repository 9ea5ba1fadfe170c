// SPDX-License-Identifier: MIT
/** \file
 * NetJack's wire format, version 8 (as jack2 1.9.21 speaks it): the session
 * parameters of the handshake and the 48-byte header of every data packet.
 * Written from the protocol's description, not from jack2's code.
 *
 * Two datagram kinds travel on the UDP port:
 *  - session parameters (exactly 644 bytes): "params", the protocol version,
 *    a sync packet id (SLAVE_AVAILABLE, SLAVE_SETUP, START_MASTER, START_SLAVE,
 *    KILL_MASTER), the slave's name, the two host names, MTU, the slave's id,
 *    channel counts each way (-1: "what the master has"), sample rate, period,
 *    sample encoder, kbit/s, sync mode and the latency in cycles;
 *  - data packets: a 48-byte header ("header", data type 's'ync, 'a'udio or
 *    'm'idi, stream 's'end master->slave or 'r'eturn slave->master, the slave's
 *    id, packets in this cycle, packet size, active ports, cycle, sub-cycle,
 *    frames, last-packet flag) followed by the payload.
 * Integers of the parameters and headers are big-endian; audio samples are
 * little-endian (float) or little-endian 16-bit (int16), as jack2 sends them
 * from x86 and ARM hosts.
 *
 * The decoders take bytes from the network: every length and count is checked
 * against the datagram before it is used, and a bad datagram gives a reason
 * (a static string), never a crash. They allocate nothing.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tutti::netjack {

inline constexpr std::uint32_t kProtocolVersion = 8;
inline constexpr std::size_t kParamsSize = 644; ///< sizeof(session_params_t), packed
inline constexpr std::size_t kHeaderSize = 48;  ///< sizeof(packet_header_t), packed
inline constexpr std::size_t kNameSize = 64;    ///< slave name field (JACK_CLIENT_NAME_SIZE)
inline constexpr std::size_t kHostSize = 256;   ///< host name fields (JACK_SERVER_NAME_SIZE)
/// What jack2 keeps free in a datagram for the IP and UDP headers (IPv6 sized).
inline constexpr int kUdpAllowance = 64;
inline constexpr int kDefaultMtu = 1500;
inline constexpr int kMinMtu = 576;
inline constexpr int kMaxMtu = 9000;
inline constexpr int kMaxChannels = 256; ///< per direction, audio and MIDI each
inline constexpr int kMaxPeriod = 8192;  ///< jack2's BUFFER_SIZE_MAX
inline constexpr int kMaxLatency = 30;   ///< cycles (jack2's NETWORK_MAX_LATENCY)
inline constexpr int kMaxSampleRate = 768000;
inline constexpr int kDefaultPort = 19000;
inline constexpr const char* kDefaultMulticast = "225.3.19.154";

enum class Encoder : std::uint32_t { Float = 0, Int16 = 1, Celt = 2, Opus = 3 };

/// The packet id of session parameters.
enum class SyncType : std::int32_t {
    SlaveAvailable = 0, ///< slave -> master (multicast or unicast): "I am here"
    SlaveSetup = 1,     ///< master -> slave: the session's parameters
    StartMaster = 2,    ///< slave -> master: ready, start sending cycles
    StartSlave = 3,     ///< defined by the protocol, unused by jack2 1.9.21
    KillMaster = 4,     ///< a master tells its manager that it stops
};

struct SessionParams {
    SyncType type = SyncType::SlaveAvailable;
    std::uint32_t version = kProtocolVersion;
    std::string name;        ///< the slave's name (at most 63 bytes on the wire)
    std::string master_host; ///< at most 255 bytes on the wire
    std::string slave_host;
    std::uint32_t mtu = kDefaultMtu;
    std::uint32_t id = 0; ///< the slave's id, given by the master
    std::uint32_t transport_sync = 0;
    std::int32_t send_audio = 0;   ///< master -> slave channels (-1: the master's choice)
    std::int32_t return_audio = 0; ///< slave -> master channels
    std::int32_t send_midi = 0;
    std::int32_t return_midi = 0;
    std::uint32_t sample_rate = 0; ///< 0 until the master sets it
    std::uint32_t period = 0;      ///< frames per cycle; 0 until the master sets it
    Encoder encoder = Encoder::Float;
    std::uint32_t kbps = 0;
    std::uint32_t sync_mode = 1;
    std::uint32_t latency = 2; ///< cycles
};

/// Writes exactly kParamsSize bytes.
void encode_params(const SessionParams& params, std::uint8_t* out);
/// Decodes session parameters from a datagram. False with *error (a static
/// string) when the size, the magic, the packet id or any count or range is
/// wrong; a different protocol version decodes (so the caller can say which).
bool decode_params(const std::uint8_t* data, std::size_t size, SessionParams* out,
                   const char** error);

enum class DataType : std::uint32_t { Sync = 's', Audio = 'a', Midi = 'm' };
enum class Stream : std::uint32_t { Send = 's', Return = 'r' };

struct PacketHeader {
    DataType type = DataType::Sync;
    Stream stream = Stream::Send;
    std::uint32_t id = 0;
    std::uint32_t num_packets = 0; ///< data packets of this kind in the cycle
    std::uint32_t packet_size = 0; ///< header + payload bytes
    std::uint32_t active_ports = 0;
    std::uint32_t cycle = 0;
    std::uint32_t sub_cycle = 0;
    std::int32_t frames = -1; ///< -1: the whole period
    std::uint32_t is_last = 0;
};

/// Writes exactly kHeaderSize bytes.
void encode_header(const PacketHeader& header, std::uint8_t* out);
/// Decodes the header of a data packet. Checks the magic, the kinds, that the
/// packet size equals the datagram's, and the bounds of every count.
bool decode_header(const std::uint8_t* data, std::size_t size, PacketHeader* out,
                   const char** error);

/// Bytes of payload jack2 allows in one packet: MTU - 64 - 48.
constexpr int packet_payload_limit(int mtu) {
    return mtu - kUdpAllowance - static_cast<int>(kHeaderSize);
}

/// The payload of a sync packet: `count` port indices (big-endian int32), the
/// ports the sender wants to receive. Writes them from a list; returns bytes.
std::size_t encode_active_ports(const int* ports, int count, std::uint8_t* out);
/// Reads `count` indices from `payload`; each must be < `num_ports`. Marks
/// wanted[i] = true for each (the array holds num_ports flags, cleared first).
bool decode_active_ports(const std::uint8_t* payload, std::size_t size, std::uint32_t count,
                         int num_ports, bool* wanted, const char** error);

/// Signed distance a - b of two cycle numbers that wrap at 2^32.
constexpr std::int32_t cycle_diff(std::uint32_t a, std::uint32_t b) {
    return static_cast<std::int32_t>(a - b);
}

} // namespace tutti::netjack
