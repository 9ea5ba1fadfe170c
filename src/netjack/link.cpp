// SPDX-License-Identifier: MIT
/** \file A running session's packets (see link.h). */
#include "netjack/link.h"

#include <algorithm>
#include <cstring>

#include "netjack/midi.h"

namespace tutti::netjack {

namespace {

constexpr std::size_t kReceiveCapacity = 65536;

int slot_count(int latency) {
    return std::clamp(2 * latency + 4, 8, 64);
}

} // namespace

bool Link::configure(Role role, const SessionParams& p, std::string* error) {
    auto fail = [&](const char* why) {
        if (error) {
            *error = why;
        }
        return false;
    };
    if (p.period < 1 || p.period > static_cast<std::uint32_t>(kMaxPeriod)) {
        return fail("period out of range (1..8192 frames)");
    }
    if (p.send_audio < 0 || p.return_audio < 0 || p.send_midi < 0 || p.return_midi < 0) {
        return fail("channel counts are not resolved");
    }
    if (p.encoder != Encoder::Float && p.encoder != Encoder::Int16 && p.encoder != Encoder::Opus) {
        return fail("the CELT encoder is not implemented (float, int16 and Opus are)");
    }
    if (p.mtu < static_cast<std::uint32_t>(kMinMtu) ||
        p.mtu > static_cast<std::uint32_t>(kMaxMtu)) {
        return fail("MTU out of range (576..9000)");
    }
    role_ = role;
    params_ = p;
    period_ = static_cast<int>(p.period);
    mtu_ = static_cast<int>(p.mtu);
    const bool slave = role == Role::Slave;
    rx_audio_ = slave ? p.send_audio : p.return_audio;
    tx_audio_ = slave ? p.return_audio : p.send_audio;
    rx_midi_ = slave ? p.send_midi : p.return_midi;
    tx_midi_ = slave ? p.return_midi : p.send_midi;
    rx_stream_ = slave ? Stream::Send : Stream::Return;
    tx_stream_ = slave ? Stream::Return : Stream::Send;
    raw_per_port_ = 0;
    if (p.encoder == Encoder::Opus) {
        std::string why;
        if (!opus_.prepare(static_cast<int>(p.sample_rate), static_cast<int>(p.period),
                           static_cast<int>(p.kbps), tx_audio_, rx_audio_, &why)) {
            if (error) {
                *error = why;
            }
            return false;
        }
        raw_per_port_ = static_cast<std::size_t>(opus_.stream_bytes());
        opus_layout_ = plan_opus(opus_.stream_bytes(), static_cast<int>(p.mtu), tx_audio_);
    } else if (p.encoder == Encoder::Int16) {
        raw_per_port_ = 2 * static_cast<std::size_t>(p.period);
    }

    const std::size_t frames = static_cast<std::size_t>(period_);
    const std::size_t rx = static_cast<std::size_t>(rx_audio_);
    slots_.assign(static_cast<std::size_t>(slot_count(static_cast<int>(p.latency))), Slot{});
    audio_storage_.assign(slots_.size() * rx * frames, 0.0f);
    raw_storage_.assign(slots_.size() * rx * raw_per_port_, 0);
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        slots_[i].audio = audio_storage_.data() + i * rx * frames;
        slots_[i].raw = raw_per_port_ == 0 ? nullptr : raw_storage_.data() + i * rx * raw_per_port_;
    }
    rx_view_.assign(rx, nullptr);
    rx_mutable_.assign(rx, nullptr);
    conceal_storage_.assign(rx * frames, 0.0f);
    conceal_view_.assign(rx, nullptr);
    for (std::size_t i = 0; i < rx; ++i) {
        conceal_view_[i] = conceal_storage_.data() + i * frames;
    }
    concealer_.prepare(rx_audio_, period_, static_cast<int>(p.sample_rate));
    silence_.assign(frames, 0.0f);
    silence_view_.assign(rx, silence_.data());
    have_taken_ = false;
    rx_cycle_offset_ = 0;

    tx_buffer_.assign(kReceiveCapacity, 0);
    rx_ports_list_.resize(rx);
    for (int i = 0; i < rx_audio_; ++i) {
        rx_ports_list_[static_cast<std::size_t>(i)] = i;
    }
    wanted_ = std::make_unique<bool[]>(static_cast<std::size_t>(std::max(tx_audio_, 1)));
    wanted_scratch_ = std::make_unique<bool[]>(static_cast<std::size_t>(std::max(tx_audio_, 1)));
    for (int i = 0; i < tx_audio_; ++i) {
        wanted_[static_cast<std::size_t>(i)] = true; // until the peer says otherwise
    }
    tx_active_.assign(static_cast<std::size_t>(tx_audio_), 0);
    const std::size_t tx = static_cast<std::size_t>(tx_audio_);
    tx_raw_.assign(tx * raw_per_port_, 0);
    tx_raw_view_.assign(tx, nullptr);
    for (std::size_t i = 0; i < tx && raw_per_port_ > 0; ++i) {
        tx_raw_view_[i] = tx_raw_.data() + i * raw_per_port_;
    }
    float_layout_ready_ = false;
    int16_layout_ = plan_int16(period_, mtu_, tx_audio_);
    midi_tx_.assign(static_cast<std::size_t>(tx_midi_) * midi_port_bytes(kMaxControlEvents), 0);
    midi_capacity_ = static_cast<std::size_t>(rx_midi_) * midi_port_bytes(kMaxControlEvents);
    midi_storage_.assign(slots_.size() * midi_capacity_, 0);
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        slots_[i].midi = midi_capacity_ == 0 ? nullptr : midi_storage_.data() + i * midi_capacity_;
    }
    tx_events_.assign(kMaxControlEvents, MidiEvent{});
    const std::size_t rx_events =
        static_cast<std::size_t>(std::max(rx_midi_, 1)) * kMaxControlEvents;
    rx_events_.assign(rx_events, MidiEvent{});
    rx_other_.assign(rx_events, MidiEvent{});
    rx_event_ports_.assign(rx_events, 0);
    rx_changes_.assign(kMaxControlEvents, ControlChange{});
    rx_change_count_ = 0;
    sender_.prepare(0, period_, static_cast<int>(p.sample_rate));
    receiver_.prepare(0);
    return true;
}

void Link::set_controls(int count) {
    sender_.prepare(tx_midi_ > 0 ? count : 0, period_, static_cast<int>(params_.sample_rate));
    receiver_.prepare(rx_midi_ > 0 ? count : 0);
}

int Link::socket_buffer_bytes() const {
    const long channels = std::max(rx_audio_, tx_audio_);
    const long cycle = channels * period_ * 4 + (channels * period_ * 4 / 1000 + 2) * 112;
    const long bytes = (static_cast<long>(params_.latency) + 4) * cycle * 2; // kernel overhead
    return static_cast<int>(std::clamp(bytes, 1L << 20, 64L << 20));
}

void Link::reset(Slot& slot, std::uint32_t c) {
    slot.cycle = c;
    slot.used = true;
    slot.sync = false;
    slot.audio_packets = slot.audio_expected = 0;
    slot.midi_packets = slot.midi_expected = 0;
    slot.midi_bytes = 0;
    const std::size_t n = static_cast<std::size_t>(rx_audio_) * static_cast<std::size_t>(period_);
    std::fill(slot.audio, slot.audio + n, 0.0f);
    if (slot.raw) {
        std::fill(slot.raw, slot.raw + static_cast<std::size_t>(rx_audio_) * raw_per_port_,
                  std::uint8_t{0});
    }
}

bool Link::on_datagram(const std::uint8_t* data, std::size_t size, std::uint32_t* cycle) {
    PacketHeader h;
    const char* why = nullptr;
    if (!decode_header(data, size, &h, &why)) {
        counters_->bad_packets.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    if (h.stream != rx_stream_ || h.id != params_.id) {
        counters_->foreign_packets.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    h.cycle += rx_cycle_offset_;
    if (have_taken_ && cycle_diff(h.cycle, last_taken_) <= 0) {
        counters_->late_packets.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    Slot& slot = slot_for(h.cycle);
    if (!slot.used || slot.cycle != h.cycle) {
        reset(slot, h.cycle);
    }
    const std::uint8_t* payload = data + kHeaderSize;
    const std::size_t bytes = size - kHeaderSize;
    bool ok = true;
    switch (h.type) {
    case DataType::Sync:
        // A bad port list is counted and ignored (the last good one stays):
        // the cycle itself is not lost for it.
        if (tx_audio_ > 0 && decode_active_ports(payload, bytes, h.active_ports, tx_audio_,
                                                 wanted_scratch_.get(), &why)) {
            std::copy(wanted_scratch_.get(), wanted_scratch_.get() + tx_audio_, wanted_.get());
        } else if (tx_audio_ > 0) {
            counters_->bad_packets.fetch_add(1, std::memory_order_relaxed);
        }
        slot.sync = true;
        break;
    case DataType::Audio: {
        if (params_.encoder == Encoder::Float) {
            float* channels[kMaxChannels];
            for (int i = 0; i < rx_audio_; ++i) {
                channels[i] =
                    slot.audio + static_cast<std::size_t>(i) * static_cast<std::size_t>(period_);
            }
            ok = decode_float_packet(payload, bytes, h.active_ports, h.sub_cycle, period_,
                                     rx_audio_, channels, nullptr, &why);
        } else {
            std::uint8_t* ports[kMaxChannels];
            for (int i = 0; i < rx_audio_; ++i) {
                ports[i] = slot.raw + static_cast<std::size_t>(i) * raw_per_port_;
            }
            ok = params_.encoder == Encoder::Int16
                     ? decode_int16_packet(payload, bytes, h.num_packets, h.sub_cycle, period_,
                                           rx_audio_, ports, &why)
                     : decode_opus_packet(payload, bytes, h.num_packets, h.sub_cycle,
                                          static_cast<int>(raw_per_port_), rx_audio_, ports, &why);
        }
        if (ok) {
            ++slot.audio_packets;
            slot.audio_expected = h.num_packets;
        }
        break;
    }
    case DataType::Midi: {
        const std::size_t stride = static_cast<std::size_t>(mtu_) - kHeaderSize;
        const std::size_t at = std::size_t{h.sub_cycle} * stride;
        if (rx_midi_ == 0 || h.sub_cycle >= h.num_packets || at + bytes > midi_capacity_) {
            ok = false;
            break;
        }
        std::memcpy(slot.midi + at, payload, bytes);
        slot.midi_bytes = std::max(slot.midi_bytes, at + bytes);
        ++slot.midi_packets;
        slot.midi_expected = h.num_packets;
        break;
    }
    }
    if (!ok) {
        counters_->bad_packets.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    if (cycle) {
        *cycle = h.cycle;
    }
    return true;
}

bool Link::seen(std::uint32_t c) const {
    const Slot& slot = slot_for(c);
    return slot.used && slot.cycle == c;
}

bool Link::complete(std::uint32_t c) const {
    const Slot& slot = slot_for(c);
    if (!slot.used || slot.cycle != c || !slot.sync) {
        return false;
    }
    if (rx_audio_ > 0 && (slot.audio_expected == 0 || slot.audio_packets < slot.audio_expected)) {
        return false;
    }
    if (rx_midi_ > 0 && (slot.midi_expected == 0 || slot.midi_packets < slot.midi_expected)) {
        return false;
    }
    return true;
}

const float* const* Link::take(std::uint32_t c) {
    const bool full = complete(c);
    Slot& slot = slot_for(c);
    have_taken_ = true;
    last_taken_ = c;
    const bool here = slot.used && slot.cycle == c;
    if (here) {
        slot.used = false;
    }
    rx_change_count_ = 0;
    if (full && rx_midi_ > 0 && slot.midi_bytes > 0) {
        MidiDecodeResult decoded;
        const char* why = nullptr;
        if (decode_midi(slot.midi, slot.midi_bytes, rx_midi_, period_, rx_events_.data(),
                        rx_event_ports_.data(), static_cast<int>(rx_events_.size()), &decoded,
                        &why)) {
            int first_port = 0; // the events of port 0 come first
            while (first_port < decoded.events &&
                   rx_event_ports_[static_cast<std::size_t>(first_port)] == 0) {
                ++first_port;
            }
            int changes = 0, others = 0, bad = 0;
            decode_controls(rx_events_.data(), first_port, rx_changes_.data(),
                            static_cast<int>(rx_changes_.size()), &changes, rx_other_.data(),
                            static_cast<int>(rx_other_.size()), &others, &bad);
            rx_change_count_ = receiver_.filter(rx_changes_.data(), changes);
        } else {
            counters_->bad_packets.fetch_add(1, std::memory_order_relaxed);
        }
    }
    if (!full) {
        (here ? counters_->cycles_incomplete : counters_->cycles_missing)
            .fetch_add(1, std::memory_order_relaxed);
        counters_->cycles_concealed.fetch_add(1, std::memory_order_relaxed);
        if (params_.encoder == Encoder::Opus) {
            // libopus's own concealment keeps each decoder in step (its
            // output is replaced by ours).
            for (int i = 0; i < rx_audio_; ++i) {
                opus_.decode(i, nullptr, conceal_view_[static_cast<std::size_t>(i)]);
            }
        }
        concealer_.conceal(conceal_view_.data());
        return const_cast<const float* const*>(conceal_view_.data());
    }
    counters_->cycles_received.fetch_add(1, std::memory_order_relaxed);
    const std::size_t frames = static_cast<std::size_t>(period_);
    for (int i = 0; i < rx_audio_; ++i) {
        float* channel = slot.audio + static_cast<std::size_t>(i) * frames;
        const std::uint8_t* raw =
            slot.raw ? slot.raw + static_cast<std::size_t>(i) * raw_per_port_ : nullptr;
        if (raw && params_.encoder == Encoder::Int16) {
            int16_le_to_float(raw, period_, channel);
        } else if (raw && !opus_.decode(i, raw, channel)) {
            counters_->bad_packets.fetch_add(1, std::memory_order_relaxed);
        }
        rx_mutable_[static_cast<std::size_t>(i)] = channel;
        rx_view_[static_cast<std::size_t>(i)] = channel;
    }
    concealer_.received(rx_mutable_.data());
    return rx_view_.data();
}

bool Link::send_packet(UdpSocket& socket, const PacketHeader& header, std::size_t payload) {
    PacketHeader h = header;
    h.packet_size = static_cast<std::uint32_t>(kHeaderSize + payload);
    encode_header(h, tx_buffer_.data());
    if (!socket.send(tx_buffer_.data(), kHeaderSize + payload)) {
        counters_->send_errors.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    return true;
}

bool Link::send_cycle(UdpSocket& socket, std::uint32_t c, const float* const* tx) {
    std::uint8_t* payload = tx_buffer_.data() + kHeaderSize;
    PacketHeader h;
    h.stream = tx_stream_;
    h.id = params_.id;
    h.cycle = c;
    h.frames = period_;

    // sync: the ports we want to receive
    h.type = DataType::Sync;
    h.active_ports = static_cast<std::uint32_t>(rx_audio_);
    h.num_packets = 0;
    h.sub_cycle = 0;
    h.is_last = (tx_audio_ == 0 && tx_midi_ == 0) ? 1 : 0;
    bool ok =
        send_packet(socket, h, encode_active_ports(rx_ports_list_.data(), rx_audio_, payload));

    // MIDI: the control changes in the first port (others empty), in packets
    // of MTU - 48 bytes
    if (tx_midi_ > 0) {
        const int events =
            sender_.take_events(period_, tx_events_.data(), static_cast<int>(tx_events_.size()));
        std::size_t total = 0;
        for (int port = 0; port < tx_midi_; ++port) {
            total +=
                encode_midi_port(port == 0 ? tx_events_.data() : nullptr, port == 0 ? events : 0,
                                 period_, midi_tx_.data() + total, midi_tx_.size() - total);
        }
        const std::size_t stride = static_cast<std::size_t>(mtu_) - kHeaderSize;
        const std::uint32_t packets = static_cast<std::uint32_t>((total + stride - 1) / stride);
        h.type = DataType::Midi;
        h.num_packets = packets;
        h.active_ports = 0;
        for (std::uint32_t p = 0; p < packets; ++p) {
            const std::size_t n = std::min(stride, total - p * stride);
            std::memcpy(payload, midi_tx_.data() + p * stride, n);
            h.sub_cycle = p;
            h.is_last = (p + 1 == packets && tx_audio_ == 0) ? 1 : 0;
            ok = send_packet(socket, h, n) && ok;
        }
    }

    if (tx_audio_ > 0) {
        h.type = DataType::Audio;
        if (params_.encoder == Encoder::Float) {
            int active = 0;
            for (int i = 0; i < tx_audio_; ++i) {
                if (wanted_[static_cast<std::size_t>(i)]) {
                    tx_active_[static_cast<std::size_t>(active++)] = i;
                }
            }
            if (active != float_layout_.active || !float_layout_ready_) {
                float_layout_ =
                    plan_float(period_, mtu_, active); // only when the peer's wish changes
                float_layout_ready_ = true;
            }
            const FloatLayout& layout = float_layout_;
            h.num_packets = static_cast<std::uint32_t>(layout.packets);
            for (int p = 0; p < layout.packets; ++p) {
                std::uint32_t sub = 0, ports = 0;
                const std::size_t n =
                    encode_float_packet(layout, p, tx_active_.data(), tx, payload, &sub, &ports);
                h.sub_cycle = sub;
                h.active_ports = ports;
                h.is_last = p + 1 == layout.packets ? 1 : 0;
                ok = send_packet(socket, h, n) && ok;
            }
        } else if (params_.encoder == Encoder::Opus) {
            for (int i = 0; i < tx_audio_; ++i) {
                opus_.encode(i, tx[i],
                             tx_raw_.data() + static_cast<std::size_t>(i) * raw_per_port_);
            }
            const OpusLayout& layout = opus_layout_;
            h.num_packets = static_cast<std::uint32_t>(layout.packets);
            h.active_ports = static_cast<std::uint32_t>(tx_audio_);
            for (int p = 0; p < layout.packets; ++p) {
                const std::size_t n = encode_opus_packet(layout, p, tx_raw_view_.data(), payload);
                h.sub_cycle = static_cast<std::uint32_t>(p);
                h.is_last = p + 1 == layout.packets ? 1 : 0;
                ok = send_packet(socket, h, n) && ok;
            }
        } else {
            for (int i = 0; i < tx_audio_; ++i) {
                float_to_int16_le(tx[i], period_,
                                  tx_raw_.data() + static_cast<std::size_t>(i) * raw_per_port_);
            }
            const Int16Layout& layout = int16_layout_;
            h.num_packets = static_cast<std::uint32_t>(layout.packets);
            h.active_ports = static_cast<std::uint32_t>(tx_audio_);
            for (int p = 0; p < layout.packets; ++p) {
                const std::size_t n = encode_int16_packet(layout, p, tx_raw_view_.data(), payload);
                h.sub_cycle = static_cast<std::uint32_t>(p);
                h.is_last = p + 1 == layout.packets ? 1 : 0;
                ok = send_packet(socket, h, n) && ok;
            }
        }
    }
    counters_->cycles_sent.fetch_add(1, std::memory_order_relaxed);
    return ok;
}

} // namespace tutti::netjack
