// SPDX-License-Identifier: MIT
/** \file
 * `tutti serve`'s HTTP server (docs/serve-api.md): Boost.Beast sessions that
 * read bounded requests, parse them with parse_call() (api.h) and answer from
 * the Service (service.h); a compilation's answer is written when its worker
 * is done, while the session's thread serves others.
 *
 * Safety: it listens on loopback unless told otherwise; listening elsewhere,
 * every request needs the token (printed once by tutti serve). Bounded: the
 * header and body sizes (a bundle's body and every other), the time to read a
 * request, the connections at once (beyond: closed at once), and the requests
 * of each peer address (a token bucket: beyond, 429; the block requests of an
 * instance have their own). TLS (OpenSSL through
 * Beast's ssl_stream, TLS 1.2 and later) with ServerOptions::tls_cert/tls_key;
 * the instances' WebSocket then goes through the session, which relays between
 * the TLS stream and a loopback connection to the instance's control server.
 */
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility> // for Boost.Asio 1.74 in the .cpp, which uses std::exchange without it

#include "serve/api.h"
#include "serve/service.h"

namespace tutti::serve {

struct ServerOptions {
    std::string listen = "127.0.0.1";
    int port = 7777; ///< 0: any free port
    int threads = 2; ///< network threads
    std::size_t max_connections = 64;
    std::size_t max_header_bytes = 8192;
    ApiLimits limits; ///< bodies (a bundle's and others), sample rates, blocks
    std::chrono::milliseconds request_timeout{30000};
    double requests_per_second = 200; ///< per peer address, sustained
    double request_burst = 400;       ///< per peer address, at once
    /// POST /v1/instances/ID/process (an authenticated real-time path: the
    /// move's HTTP block link) has a bucket of its own per instance and peer
    /// instead of the peer's: a block path at small blocks would exhaust the
    /// general one (750 blocks a second at 64 frames).
    double block_requests_per_second = 2000;
    double block_request_burst = 2000;
    /// The token; empty: a new random one when the server is not on loopback.
    std::string token;
    /// Ask for the token on loopback too (a machine shared with other users).
    bool require_token = false;
    /// https: the certificate chain and private key (PEM files); both empty: plain HTTP.
    std::string tls_cert, tls_key;
};

class Server {
public:
    /// The service must outlive the server.
    Server(Service& service, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds and starts the network threads; false with *error.
    bool start(std::string* error);
    void stop();
    int port() const;
    /// The token requests need ("" on loopback: none needed).
    const std::string& token() const;

    struct Stats {
        std::size_t requests = 0, refused_connections = 0, rate_limited = 0;
    };
    Stats stats() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace tutti::serve
