// SPDX-License-Identifier: MIT
/** \file
 * Audio drivers: something that calls an AudioCallback from its audio thread
 * with blocks of samples. The engine does not know which driver runs it.
 *  - "jack": a JACK client (libjack), real-time thread of the JACK server;
 *  - "null": a timer-paced thread, no sound card (outputs are discarded);
 *  - offline rendering drives the callback itself (see tutti render).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace tutti {

class AudioCallback {
public:
    virtual ~AudioCallback() = default;
    /// Audio thread. `frames` <= the driver's block_size(); float samples.
    virtual void process(int frames, const float* const* inputs,
                         float* const* outputs) noexcept = 0;
};

/// One MIDI message of a block, as the driver received it.
struct MidiEvent {
    std::uint32_t frame = 0;            ///< offset into the block (0..frames-1)
    std::uint32_t size = 0;             ///< bytes
    const std::uint8_t* data = nullptr; ///< valid during the call only
};

class MidiCallback {
public:
    virtual ~MidiCallback() = default;
    /// Audio thread, before the AudioCallback of the same block: the MIDI
    /// events of the next `frames` frames, in time order. Must not allocate,
    /// lock, log or throw.
    virtual void midi(int frames, const MidiEvent* events, std::size_t count) noexcept = 0;
};

struct DriverOptions {
    std::string client_name = "tutti"; ///< JACK client name
    std::string server_name;           ///< JACK server (empty: default / $JACK_DEFAULT_SERVER)
    int inputs = 2, outputs = 2;       ///< ports / channels
    int sample_rate = 48000;           ///< null driver only (JACK's is the server's)
    int block_size = 64;               ///< null driver only
    bool connect_physical = false;     ///< JACK: connect to the system ports
    /// JACK: a MIDI input port (midi_in) whose events go to this callback
    /// (nullptr: no MIDI port). Other drivers have no MIDI input.
    MidiCallback* midi = nullptr;
    std::size_t max_midi_events = 1024; ///< per block; more are dropped (midi_dropped())
};

class Driver {
public:
    virtual ~Driver() = default;
    /// Control thread. Opens the device (JACK: registers the client and ports);
    /// afterwards sample_rate() and block_size() are known. False with *error.
    virtual bool open(const DriverOptions& options, std::string* error) = 0;
    /// Control thread. Starts calling `callback` from the audio thread.
    virtual bool start(AudioCallback* callback, std::string* error) = 0;
    /// Control thread. Returns when the callback is no longer called.
    virtual void stop() = 0;
    virtual int sample_rate() const = 0;
    virtual int block_size() const = 0;
    /// Any thread: over- and underruns seen by the driver since start().
    virtual std::uint64_t xruns() const = 0;
    /// Any thread: callbacks made since start().
    virtual std::uint64_t callbacks() const = 0;
    virtual const char* name() const = 0;

protected:
    /// The checks a start() begins with: opened, not started yet, a callback.
    /// False with "<name()>: <why>" in *error when one fails.
    bool may_start(bool opened, bool started, const AudioCallback* callback,
                   std::string* error) const {
        const char* why = !opened               ? "start() before a successful open()"
                          : started             ? "already started"
                          : callback == nullptr ? "no callback"
                                                : nullptr;
        if (why != nullptr && error != nullptr) {
            *error = std::string(name()) + ": " + why;
        }
        return why == nullptr;
    }
};

/// "jack" or "null"; nullptr for an unknown name.
std::unique_ptr<Driver> make_driver(const std::string& name);

} // namespace tutti
