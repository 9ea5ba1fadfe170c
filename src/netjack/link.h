// SPDX-License-Identifier: MIT
/** \file
 * One side of a running NetJack session: what it sends each cycle and how it
 * assembles what it receives, ordered by cycle number.
 *
 * Sending a cycle: a sync packet (its payload lists the ports we want to
 * receive: all of ours), then the audio packets (float: only the ports the
 * peer's last sync asked for; int16: all), the last one flagged. The header's
 * frame count is the period (jack2 writes -1, which its own int16 decoder
 * then ignores: with it jack2 sends and plays silence in 16-bit mode).
 *
 * Receiving: each datagram of the peer's stream and our id is filed by its
 * cycle number into a ring of slots (a slot is cleared when a new cycle takes
 * it); a cycle is complete when its sync and all its audio and MIDI packets
 * have arrived, whatever their order. take(c) hands the cycle's channels over
 * (zeros where packets are missing; zeros for a cycle that never came) and
 * frees the slot; packets of cycles already taken are counted as late and
 * dropped. Nothing here allocates after configure(): on_datagram, take and
 * send_cycle run on the driver's network (audio) thread.
 */
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "netjack/audio_layout.h"
#include "netjack/concealment.h"
#include "netjack/controls.h"
#include "netjack/opus_codec.h"
#include "netjack/opus_layout.h"
#include "netjack/protocol.h"
#include "netjack/udp_socket.h"

namespace tutti::netjack {

enum class Role { Master, Slave };

/// Any thread may read these (relaxed atomics).
struct LinkCounters {
    std::atomic<std::uint64_t> cycles_sent{0};
    std::atomic<std::uint64_t> cycles_received{0};   ///< taken complete
    std::atomic<std::uint64_t> cycles_incomplete{0}; ///< taken with packets missing
    std::atomic<std::uint64_t> cycles_missing{0};    ///< taken with nothing received
    std::atomic<std::uint64_t> cycles_concealed{0};  ///< incomplete or missing, filled in
    std::atomic<std::uint64_t> late_packets{0};      ///< for a cycle already taken
    std::atomic<std::uint64_t> bad_packets{0};       ///< failed to decode
    std::atomic<std::uint64_t> foreign_packets{0};   ///< other id or stream
    std::atomic<std::uint64_t> send_errors{0};
};

class Link {
public:
    /// Control thread. Prepares the buffers for a session whose parameters
    /// both sides agreed on (type SlaveSetup or StartMaster; channel counts
    /// resolved, not -1). False with *error for unsupported settings.
    bool configure(Role role, const SessionParams& params, std::string* error);

    const SessionParams& params() const {
        return params_;
    }
    int rx_channels() const {
        return rx_audio_;
    }
    int tx_channels() const {
        return tx_audio_;
    }
    int period() const {
        return period_;
    }
    /// Socket buffer bytes that hold latency + 4 cycles of the larger
    /// direction with the packets' headers (1 MB at least, 64 MB at most).
    int socket_buffer_bytes() const;

    /// Control or network thread, before the first datagram of a session: a
    /// number added to the peer's cycle numbers. An asynchronous jackd slave
    /// (jackd without -S) numbers its replies by its own count from 1, not
    /// with the master's cycle: its cycle 1 answers our first cycle.
    void set_rx_cycle_offset(std::uint32_t offset) {
        rx_cycle_offset_ = offset;
    }

    /// Network thread. Files one datagram; returns its cycle number in *cycle
    /// when it was ours (true), false for anything else.
    bool on_datagram(const std::uint8_t* data, std::size_t size, std::uint32_t* cycle);
    /// Network thread. True when every packet of cycle c is in.
    bool complete(std::uint32_t c) const;
    /// Network thread. True when some packet of cycle c arrived (and was not taken).
    bool seen(std::uint32_t c) const;
    /// Network thread. The received channels of cycle c (rx_channels() arrays
    /// of period() frames, valid until the next on_datagram or take); frees the
    /// slot. A cycle that is not complete is concealed (netjack/concealment.h),
    /// never waited for: the latency stays what the session agreed.
    const float* const* take(std::uint32_t c);
    /// Network thread. Sends cycle c of `tx` (tx_channels() arrays of period()
    /// frames) to the socket's connected peer.
    bool send_cycle(UdpSocket& socket, std::uint32_t c, const float* const* tx);

    /// Control thread, after configure(): carry `count` control values in the
    /// first MIDI port each way (netjack/controls.h), when the session has
    /// MIDI ports in that direction.
    void set_controls(int count);
    /// Audio thread: a control change at `frame` of the next cycle sent.
    bool push_control(std::uint32_t frame, std::uint32_t index, float value) noexcept {
        return sender_.push(frame, index, value);
    }
    /// Audio thread: the state of a control, carried by the sweep only.
    bool seed_control(std::uint32_t index, float value) noexcept {
        return sender_.seed(index, value);
    }
    /// Network thread, after take(c): the control changes of cycle c (and the
    /// repairs of the state sweep, at frame period - 1 of the sender's cycle);
    /// none for a concealed cycle. Valid until the next take().
    int taken_controls(const ControlChange** changes) const {
        *changes = rx_changes_.data();
        return rx_change_count_;
    }
    const ControlReceiver& control_receiver() const {
        return receiver_;
    }

    LinkCounters& counters() {
        return *counters_;
    }
    const LinkCounters& counters() const {
        return *counters_;
    }
    /// Control thread, before use: count into `shared` (a driver's counters,
    /// kept across its sessions) instead of the link's own.
    void use_counters(LinkCounters* shared) {
        counters_ = shared ? shared : &own_counters_;
    }

private:
    struct Slot {
        std::uint32_t cycle = 0;
        bool used = false;
        bool sync = false;
        std::uint32_t audio_packets = 0, audio_expected = 0;
        std::uint32_t midi_packets = 0, midi_expected = 0;
        float* audio = nullptr;       ///< rx_audio_ * period_
        std::uint8_t* raw = nullptr;  ///< int16: rx_audio_ * 2 * period_; opus: rx_audio_ * T
        std::uint8_t* midi = nullptr; ///< midi_capacity_ bytes
        std::size_t midi_bytes = 0;
    };
    Slot& slot_for(std::uint32_t c) {
        return slots_[c % slots_.size()];
    }
    const Slot& slot_for(std::uint32_t c) const {
        return slots_[c % slots_.size()];
    }
    void reset(Slot& slot, std::uint32_t c);
    bool send_packet(UdpSocket& socket, const PacketHeader& header, std::size_t payload);

    Role role_ = Role::Slave;
    SessionParams params_;
    int period_ = 0, mtu_ = kDefaultMtu;
    int rx_audio_ = 0, tx_audio_ = 0, rx_midi_ = 0, tx_midi_ = 0;
    Stream rx_stream_ = Stream::Send, tx_stream_ = Stream::Return;
    std::vector<Slot> slots_;
    std::vector<float> audio_storage_;
    std::vector<std::uint8_t> raw_storage_;
    std::size_t raw_per_port_ = 0; ///< int16: 2 * period; opus: T; float: 0
    std::vector<const float*> rx_view_;
    std::vector<float*> rx_mutable_;
    std::vector<float> conceal_storage_;
    std::vector<float*> conceal_view_;
    Concealer concealer_;
    std::vector<float> silence_;
    std::vector<const float*> silence_view_;
    std::uint32_t rx_cycle_offset_ = 0;
    bool have_taken_ = false;
    std::uint32_t last_taken_ = 0;
    // sending
    std::vector<std::uint8_t> tx_buffer_;
    std::vector<int> rx_ports_list_; ///< 0..rx_audio_-1: what we ask for
    std::unique_ptr<bool[]> wanted_; ///< per tx port: the peer asked for it
    std::unique_ptr<bool[]> wanted_scratch_;
    std::vector<int> tx_active_;
    std::vector<std::uint8_t> tx_raw_; ///< int16 or opus bytes of each tx port
    std::vector<const std::uint8_t*> tx_raw_view_;
    FloatLayout float_layout_;
    bool float_layout_ready_ = false;
    Int16Layout int16_layout_;
    OpusCodec opus_;
    OpusLayout opus_layout_;
    std::vector<std::uint8_t> midi_tx_; ///< the MIDI buffers of tx_midi_ ports
    std::vector<std::uint8_t> midi_storage_;
    std::size_t midi_capacity_ = 0; ///< per slot
    ControlSender sender_;
    ControlReceiver receiver_;
    std::vector<MidiEvent> tx_events_, rx_events_, rx_other_;
    std::vector<int> rx_event_ports_;
    std::vector<ControlChange> rx_changes_;
    int rx_change_count_ = 0;
    LinkCounters own_counters_;
    LinkCounters* counters_ = &own_counters_;
};

} // namespace tutti::netjack
