// SPDX-License-Identifier: MIT
/** \file
 * The HTTP + WebSocket control server of a running engine (issue 11, sections 3
 * and 6; docs/control-protocol.md): Faust's httpd paths (request_handler.h),
 * the embedded page, and a WebSocket at /ws that pushes the UI, every value
 * change, the output levels and an oscilloscope's frames, and takes values
 * from the clients.
 *
 * It serves one program of the control hub (control/control_hub.h), which it
 * shares with the other control sources: the addresses (every spelling of the
 * hub's AddressSpace), the writes (ControlHub::set), the feedback of changed
 * values (a hub subscription at refresh_hz), the UI changes (a hub UI
 * listener) and the token. The engine itself is read only for its output tap.
 *
 * Threads: one network thread of its own runs every socket, timer and session
 * (Boost.Beast on one io_context), so sessions need no locks between them; the
 * hub's poller thread only posts to it. The engine is touched only through its
 * any-thread API (push, read_output); the audio thread never waits for it. Every connection is
 * bounded (header, body and message sizes, a timeout on requests, a count of
 * connections), and every WebSocket has its own write queue: a client that does
 * not read is dropped when its queue is full, the others go on.
 */
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility> // for Boost.Asio 1.74 in server.cpp, which uses std::exchange without it
#include <vector>

namespace tutti {
class Engine;
struct SwapReport;
namespace control {
class ControlHub;
}
} // namespace tutti

namespace tutti::http {

struct ServerOptions {
    std::string listen = "127.0.0.1"; ///< the address to bind (0.0.0.0: every interface)
    int port = 5510;                  ///< Faust's; 0: any free port
    int port_tries = 100;             ///< a busy port moves to the next, this many times
    /// The token writes from a peer not on loopback need (?token=...); empty:
    /// such writes are refused.
    std::string token;
    std::size_t max_connections = 64;       ///< HTTP and WebSocket together
    std::size_t max_header_bytes = 8192;    ///< a request's header (431 beyond)
    std::size_t max_body_bytes = 4096;      ///< a request's body (413 beyond)
    std::size_t max_ws_message = 16384;     ///< a client's WebSocket message (closed beyond)
    std::size_t max_queue_bytes = 4u << 20; ///< a WebSocket's unsent messages (dropped beyond)
    /// The kernel's send buffer of each connection (SO_SNDBUF): what a client
    /// that does not read can hold in the kernel besides its queue.
    int socket_send_buffer = 256 * 1024;
    std::chrono::milliseconds request_timeout{10000}; ///< to read one request
    double refresh_hz = 60;                           ///< values and levels pushed this often
    double scope_hz = 30;                             ///< oscilloscope frames pushed this often
    std::size_t scope_frames = 400; ///< about this many decimated frames per scope message
    /// false: start() binds no port; connections come only through adopt()
    /// (tutti serve hands each instance's /ws connections to its server).
    bool bind = true;
    /// The host's commands, POST /tutti/<name> with the argument as the body
    /// (tutti play --watch: /tutti/move, body HOST:PORT or local): called on a
    /// network thread for a peer on loopback or with ?token=; the text it
    /// returns is the answer; nullopt: 404 (no such command).
    std::function<std::optional<std::string>(std::string_view name,
                                             const std::vector<std::string>& args)>
        command;
};

class Server {
public:
    /// Control thread. Serves the hub's program `program_id` (ControlHub::
    /// add_program), whose engine is `engine`; both must outlive the server.
    Server(control::ControlHub& hub, int program_id, Engine& engine, ServerOptions options);
    /// Stops the network thread and closes every connection.
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds (moving to the next free port when busy) and starts the network
    /// thread; false with *error when no port could be bound.
    bool start(std::string* error);
    void stop();
    /// The port bound (after start()).
    int port() const;
    const ServerOptions& options() const;

    /// Any thread, after start(): serves a connection accepted elsewhere (a
    /// connected TCP socket, which it now owns) whose first request, read
    /// already, is `request` (its bytes, headers and body, as received): tutti
    /// serve checks its own token, then hands over an instance's /ws upgrade.
    void adopt(int native_socket, std::string request);

    /// Any thread: the page's URL as a user opens it (with the token), which
    /// GET /qr.svg draws as a QR code (web/qr_code.h); until set, /qr.svg is 404.
    void set_page_url(std::string url);

    /// Any thread: tells the WebSocket clients about a swap (`swap` message).
    void publish_swap(const SwapReport& report);

    struct Stats {
        std::size_t http_requests = 0, ws_messages_in = 0, ws_clients = 0;
        std::size_t slow_clients_dropped = 0, refused_connections = 0;
    };
    /// Any thread.
    Stats stats() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

/// `{"type":"swap","report":{...}}` for a swap report.
std::string swap_message(const SwapReport& report);

} // namespace tutti::http
