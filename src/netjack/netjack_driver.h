// SPDX-License-Identifier: MIT
/** \file
 * The NetJack audio drivers (include/tutti/driver.h) and their options:
 *  - "netjack-slave": joins a NetJack master (jackd with netmanager, a tutti
 *    master, jack_net_master); paced by the master's packets: each cycle the
 *    master sends is handed to the callback as its inputs, and the outputs go
 *    back with the same cycle number. The master sets the sample rate and the
 *    period (known after open(), which waits for the master).
 *  - "netjack-master": serves NetJack slaves (jackd -d net, tutti slaves,
 *    jack_net_slave), paced by its own clock (--clock timer); the slave's
 *    reply to cycle k is the callback's input at cycle k + max(1, latency).
 * Channel counts follow the program: the slave asks for its inputs as the
 * master's send channels and its outputs as the return channels; a master
 * takes the counts a slave asks for (-1: the program's) and maps channels
 * one to one (extra ones are silent).
 */
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "netjack/controls.h"
#include "netjack/protocol.h"
#include "netjack/udp_socket.h"
#include "tutti/driver.h"

namespace tutti::netjack {

/// Receives the control changes a link carries (netjack/controls.h).
class ControlSink {
public:
    virtual ~ControlSink() = default;
    /// Audio thread, before the AudioCallback of the same cycle: its changes
    /// in frame order (frames within the cycle), repairs of the state sweep
    /// included. Must not allocate, lock or wait.
    virtual void controls(const ControlChange* changes, int count) noexcept = 0;
};

struct NetOptions {
    /// Slave: the master's address[:port]; master: the address[:port] to listen
    /// on. Empty: NetJack's multicast group 225.3.19.154:19000.
    std::string address;
    int latency = 2; ///< slave: cycles asked of the master (0..30)
    Encoder encoder = Encoder::Float;
    int kbps = 0;
    std::string name = "tutti"; ///< slave: the name the master shows (its JACK client)
    /// Master: serve only the slave of this name (empty: any). A remote
    /// instance's link waits for its server's slave: another slave that finds
    /// the port (one left by a process that had it before) is refused.
    std::string accept_slave;
    int mtu = kDefaultMtu;
    double connect_timeout_s = 10; ///< slave open(): how long to look for a master
    /// Slave open(): gives up the search when this becomes true (a signal
    /// handler's flag: Ctrl-C while looking for the master).
    const std::atomic<bool>* cancel = nullptr;
    double peer_timeout_s = 2; ///< silence after which the peer is gone
    /// Control values carried each way in the first MIDI port (0: none; the
    /// slave then asks for no MIDI ports). Sent with send_control() from the
    /// callback, received through `control_sink`.
    int controls = 0;
    ControlSink* control_sink = nullptr;
    /// Master: paced by the cycles of a local jackd (DriverOptions::server_name)
    /// instead of a timer (--clock jack).
    bool jack_clock = false;
    /// Master: no clock of its own; each cycle runs when the caller calls
    /// MasterDriver::cycle() (netjack/remote_processor.h).
    bool caller_clock = false;
    /// Master: how long a cycle waits for a reply that is not complete
    /// (ns; < 0: half a period), then conceals it.
    std::int64_t reply_wait_ns = -1;
    /// Slave: the master's number of its first cycle of the session (< 0:
    /// unknown). When known, the first session's cycles run in order from it:
    /// a first cycle lost on the way is concealed, not skipped, so that the
    /// slave's engine computes one block for every cycle the master sent
    /// (what moving a program relies on, docs/move.md).
    std::int64_t first_cycle = -1;
};

/// Parses a --format value: float, int16, opus or opus:KBPS (kbit/s per
/// channel, 8..1000; default 128). False with *error.
bool parse_format(const std::string& text, Encoder* encoder, int* kbps, std::string* error);

/// Control thread: the checks both drivers' open() begin with (channel
/// counts, the address: the options' or NetJack's multicast group) and the
/// endpoint they name. `who` prefixes the error.
bool open_preamble(const char* who, const DriverOptions& options, const NetOptions& net,
                   sockaddr_in* endpoint, std::string* error);

/// "netjack-slave" or "netjack-master"; nullptr for another name.
std::unique_ptr<Driver> make_driver(const std::string& name, const NetOptions& options);

/// Control thread. For a NetJack driver, one line of its link's state: the
/// session (rate, period, channels, format, latency in cycles and frames)
/// and the counters (cycles received, concealed, late packets,
/// connections); empty for any other driver.
std::string describe(const Driver& driver);

/// Any thread. Why a NetJack slave stopped for good while it ran (its master
/// came back with another rate or period, which the engine cannot follow);
/// empty while it runs, and for any other driver.
std::string failure(const Driver& driver);

/// One read-only value of a link's state, for the control plane (addresses
/// under /tutti/netjack/...; e.g. "/tutti/netjack/concealed").
struct StatusValue {
    std::string address;
    double value = 0;
    std::string text; ///< with is_text: the value is this text
    bool is_text = false;
};
/// Any thread (reads atomics and copies taken under the handshake's lock;
/// never waits for the audio thread). A NetJack driver's state: role
/// (text), connected (0/1), peer (text: the master's host and address, or
/// the slave's name, host and address), format (text), period, cycles
/// received, lost (missing or incomplete), concealed, late packets, bad
/// packets, connections, the effective latency in cycles and in frames, the
/// control repairs (slave), refusals and the last refusal's reason (text;
/// master), failure (text; slave: see failure()); empty for any other driver.
std::vector<StatusValue> status(const Driver& driver);

} // namespace tutti::netjack
