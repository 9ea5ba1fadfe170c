// SPDX-License-Identifier: MIT
/** \file
 * The OSC control server (issue 11 section 2): Faust's OSC address space and
 * messages (architecture/faust/gui/OSCUI.h and the oscfaust library of Faust
 * 2.54) over UDP, through the ControlHub, for every program the hub serves.
 *
 * As Faust: UDP in on `port` (5510), replies and feedback out on `outport`
 * (5511), errors on `errport` (5512); a busy in port moves to the next free
 * one, skipping the out and error ports (at most 1000 tries). Messages: a
 * single `f`, `i` or `d` value sets a control (clipped to its range); OSC
 * patterns per segment; bundles (nested); `hello`, `get` (root, group, node;
 * `get xmit|bundle|desthost|json|outport|errport` on the root), `json`,
 * `xmit 0|1|2`, `xmitfilter [paths...]`, `bundle 0|1` (and `bundle` alone to
 * flush), `desthost`, `outport`, `errport`; `alias` messages on a node (add:
 * `alias /a imin imax`, remove one: `alias /a`, remove all: `alias`) and
 * aliases from `[osc:/a imin imax]` metadata, with Faust's scaling; replies
 * go to the requester's IP on the out port; feedback of changed values and
 * bargraphs (`xmit 1`: at the addresses and the aliases; `xmit 2`: the aliases
 * only, and only aliases set values) to the destination host.
 *
 * Better than Faust:
 *  - binds 127.0.0.1 unless told otherwise (`listen`); from a non-loopback
 *    sender, everything but `hello` needs the hub's token, given once per
 *    sender IP with `/<root> token <TOKEN>`;
 *  - a reply that does not fit in one datagram (a big `json`) gets an error
 *    message on the error port; the listener keeps running; malformed packets
 *    are counted, answered on the error port and dropped;
 *  - one port serves several programs: `/<instance>/...`, or the bare
 *    addresses when only one program has them;
 *  - `subscribe PORT` on a root sends feedback of every change (whatever the
 *    xmit mode) to the requester's IP at PORT, at `feedback_hz`;
 *    `unsubscribe PORT` stops it (at most 32 subscribers);
 *  - a bundle's time tag in the future lands the changes it carries at the
 *    matching engine frame (Engine::frame_clock), not at the next block;
 *  - the hub's read-only status values (ControlHub::status: a NetJack link's
 *    counters under /tutti/netjack/...) answer `get` (or a message without
 *    arguments) at their address or a prefix of it: one reply per value.
 *
 * Threads: its own receive thread; feedback is sent from the hub's poller
 * thread. Nothing touches the audio thread.
 */
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "control/control_hub.h"
#include "osc/osc_codec.h"

namespace tutti::osc {

struct ServerOptions {
    std::string listen = "127.0.0.1"; ///< the address to bind (IPv4)
    int port = 5510, outport = 5511, errport = 5512;
    std::string desthost = "127.0.0.1";  ///< where feedback goes ("localhost" is 127.0.0.1)
    int xmit = 0;                        ///< 0: no feedback, 1: all, 2: aliases only
    bool bundle = false;                 ///< feedback of one refresh in one bundle
    std::vector<std::string> xmitfilter; ///< patterns of addresses never sent as feedback
    double feedback_hz = 40; ///< >= 25 as issue 11 asks; 40 leaves a margin on a loaded machine
    int port_tries = 1000;   ///< Faust's rule: next free port, up to 1000 above
    /// The host's commands, /tutti/<name> ARGS... (tutti play --watch: /tutti/move
    /// "HOST:PORT" | "local"): called on the server's thread for a trusted
    /// sender (loopback, or authorised by the token) with the name and the
    /// arguments as text; the text it returns is the reply (to the reply port,
    /// at the same address); nullopt: no such command (an error).
    std::function<std::optional<std::string>(std::string_view name,
                                             const std::vector<std::string>& args)>
        command;
};

struct ServerStats {
    std::uint64_t packets = 0, messages = 0, malformed = 0, refused = 0, sent = 0, too_big = 0;
};

class Server {
public:
    Server(control::ControlHub& hub, ServerOptions options);
    /// Control thread. Stops the server.
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Control thread. Binds the in port (moving past busy ones) and starts
    /// the receive thread and the feedback. False with a reason when no port could be bound.
    bool start(std::string* error);
    void stop();

    int port() const {
        return port_;
    }
    int outport() const;
    int errport() const;
    /// "osc.udp://127.0.0.1:5510/"
    std::string url() const;
    /// Faust's info line: "... is running on UDP ports 5510, 5511, 5512, sending on ..."
    std::string infos() const;
    ServerStats stats() const;

private:
    struct Alias {
        int program = 0;    ///< the hub's program id
        std::string target; ///< the JSON address of the control
        bool meta = false;  ///< from [osc:...] metadata (remade when the UI changes)
        double imin = 0, imax = 1, omin = 0, omax = 1;
        double scale(double x) const;
        double invscale(double x) const;
    };
    struct Request {
        std::uint32_t ip = 0; ///< network order
        std::uint16_t port = 0;
        bool trusted = false; ///< loopback or authorised by token
    };

    void receive_loop();
    void handle_packet(const std::uint8_t* data, std::size_t size, const Request& from);
    void handle(const Message& m, const Request& from, const control::Snapshot& s);
    bool handle_root(const Message& m, const Request& from, const control::Snapshot& s,
                     const control::Program& p);
    /// A read-only value of the hub (ControlHub::status) at or under the
    /// address: `get` or no argument answers each at its address; anything
    /// else is refused. False when no status value is there.
    bool status_message(const Message& m, const Request& from);
    void get_node(const Request& to, const control::Snapshot& s, const control::Program& p,
                  control::AddressSpace::NodeId id);
    void get_root(const Request& to, const control::Snapshot& s, const control::Program& p,
                  const std::string& what);
    void process_aliases(const Message& m, const Request& from, const control::Snapshot& s);
    bool set_value(const control::Program& p, std::size_t parameter, double value,
                   std::uint64_t timetag);
    bool alias_message(const Message& m, const control::Program& p, const Parameter& par);
    void send_values(const Request& to, int port, const control::Snapshot& s);
    void feedback(const control::Feedback& fb);
    void rebuild_aliases(const control::Snapshot& s);

    void send(std::uint32_t ip, int port, const std::vector<std::uint8_t>& bytes,
              const std::string& what);
    void reply(const Request& to, const Writer& w);
    void error(const Request& to, const std::string& address, const std::string& text);

    control::ControlHub& hub_;
    ServerOptions options_;
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> running_{false};
    std::thread thread_;
    int subscription_ = 0;

    mutable std::mutex mutex_; ///< everything below (receive and poller threads)
    int outport_ = 0, errport_ = 0;
    std::uint32_t dest_ip_ = 0;    ///< network order
    bool dest_from_sender_ = true; ///< Faust: the first non-local sender becomes the destination
    int xmit_ = 0;
    bool bundle_ = false;
    std::vector<std::string> filters_;
    std::map<std::string, std::vector<Alias>> aliases_; ///< by alias address
    std::string meta_key_;               ///< the versions the metadata aliases were made from
    std::set<std::uint32_t> authorised_; ///< sender IPs that gave the token
    std::vector<std::pair<std::uint32_t, std::uint16_t>> subscribers_;
    ServerStats stats_;
    std::chrono::steady_clock::time_point error_window_{};
    int errors_in_window_ = 0;
};

} // namespace tutti::osc
