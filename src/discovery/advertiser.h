// SPDX-License-Identifier: MIT
/** \file
 * Advertiser: registers a tutti server with the local avahi-daemon (DNS-SD over
 * mDNS) as `_tutti._tcp` on its API port, with the TXT record of txt_record.h,
 * and optionally `_osc._udp` and `_http._tcp` for its control servers, all under
 * one service name.
 *
 * Behaviour:
 *  - Name collisions (another host, or another process here, already has the
 *    name) are resolved the DNS-SD way: the name becomes "NAME #2", "#3", ...
 *    (name() tells the current one; an event says so).
 *  - It lives as long as the handle. Destroying it withdraws the services (the
 *    daemon sends the mDNS goodbye packets); a process that dies without that
 *    loses its D-Bus connection, and the daemon withdraws them too.
 *  - It never gives up while it lives: with no avahi-daemon (or no D-Bus system
 *    bus) it says so in an event and in last_error(), and registers as soon as
 *    the daemon appears; when the daemon restarts, it registers again (the
 *    server keeps serving either way: discovery is optional).
 *  - The load in the TXT record is refreshed every `load_interval` (only when
 *    its two-decimal text changed, to keep the link quiet).
 *
 * Where it is announced follows the server's listen address (the server's
 * own rule, "loopback unless --listen"): a server bound to 127.0.0.1 / ::1 is
 * announced on the loopback interface only, so `tutti machines` on the same
 * machine finds it and no other host is told about a server it cannot reach;
 * a server bound to one address is announced on the interface holding that
 * address; a wildcard (0.0.0.0, ::, "") on every interface the daemon uses.
 * avahi-daemon itself decides which interfaces it uses (its allow-interfaces /
 * deny-interfaces; by default every interface that is up and is loopback or
 * multicast-capable).
 *
 * Threads: the Avahi work runs on a thread of its own (AvahiThreadedPoll);
 * the public methods may be called from any thread; `on_event` is called on
 * the Avahi thread (it must not call back into the Advertiser).
 */
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace tutti::discovery {

struct AdvertiseOptions {
    std::string name;           ///< service name; empty: "tutti on <hostname>" (max 63 bytes)
    std::uint16_t port = 0;     ///< the server's HTTP API port (required)
    std::string listen_address; ///< the address the server binds ("", 0.0.0.0, ::: every interface)
    std::string cpu;            ///< the server's code target (LLVM host CPU name)
    std::string version;        ///< empty: tutti's version
    std::string api_path = "/api";
    std::uint16_t osc_port = 0;  ///< the OSC control server's UDP port (0: none)
    std::uint16_t http_port = 0; ///< the HTTP/WebSocket control server's port (0: none)
    std::chrono::milliseconds load_interval{10000};
    /// The load published (called on the Avahi thread every `load_interval`);
    /// empty: current_load(), the 1-minute load average per core. A server may
    /// publish a measure of its own (say, its engines' DSP load); < 0: unknown.
    std::function<double()> load_source;
    std::chrono::milliseconds retry_interval{2000}; ///< reconnect pace without D-Bus
    /// Messages for a log (registered, renamed, daemon lost/back, errors).
    std::function<void(const std::string&)> on_event;
};

enum class AdvertiseState {
    Waiting,     ///< no avahi-daemon (or no D-Bus) yet; retrying
    Registering, ///< the services are being probed on the link
    Established, ///< announced
    Failed,      ///< the daemon refused the services (see last_error); retried later
};

const char* to_string(AdvertiseState state);

class Advertiser {
public:
    /// Starts advertising. Null (and `*error` set) only for bad options (port
    /// 0, a name too long, an address that is not one); an unreachable daemon
    /// is not an error here (see the file comment).
    static std::unique_ptr<Advertiser> start(AdvertiseOptions options, std::string* error);
    ~Advertiser();
    Advertiser(const Advertiser&) = delete;
    Advertiser& operator=(const Advertiser&) = delete;

    AdvertiseState state() const;
    /// The name currently registered (or being registered).
    std::string name() const;
    /// The last problem seen (empty when none since the last registration).
    std::string last_error() const;
    /// How many times the services were established (1 + re-registrations).
    unsigned registrations() const;
    /// Waits until the services are established; false on timeout.
    bool wait_established(std::chrono::milliseconds timeout) const;

private:
    struct Impl;
    explicit Advertiser(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

/// What `tutti serve` calls after its HTTP API listens: advertises it until the
/// handle is destroyed. `cpu` is the host CPU name of the JIT
/// (tutti::jit::host_cpu_name()); `listen_address` what the API is bound to.
/// Prints nothing itself: events go to `on_event` when given, else nowhere.
/// Null only for bad arguments (then `*error` says why).
std::unique_ptr<Advertiser> advertise_server(std::uint16_t api_port,
                                             const std::string& listen_address,
                                             const std::string& cpu, std::uint16_t osc_port = 0,
                                             std::uint16_t http_port = 0,
                                             std::string* error = nullptr,
                                             std::function<void(const std::string&)> on_event = {});

} // namespace tutti::discovery
