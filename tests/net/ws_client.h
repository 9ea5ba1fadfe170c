// SPDX-License-Identifier: MIT
/** \file
 * A small WebSocket and HTTP client on Boost.Beast for the control server's
 * tests and benchmark (tests/net/ws_check.cpp, bench/control/ws_latency.cpp):
 * blocking calls, one connection per object, a reader thread that timestamps
 * every message as it arrives.
 */
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility> // for Boost.Asio 1.74 in ws_client.cpp (std::exchange)
#include <vector>

namespace tutti::testing {

using Clock = std::chrono::steady_clock;

struct Received {
    Clock::time_point at;
    std::string text;
};

class WsClient {
public:
    WsClient();
    ~WsClient();
    /// Connects to ws://host:port/target; false with *error on failure.
    bool connect(const std::string& host, int port, const std::string& target, std::string* error,
                 const std::string& origin = "");
    bool send(const std::string& text);
    /// Waits up to `timeout` for the first message (after those already taken)
    /// for which `match` is true; removes it and the ones before it.
    bool wait_for(const std::function<bool(const Received&)>& match,
                  std::chrono::milliseconds timeout, Received* out);
    /// Every message received so far (taken or not), in order.
    std::vector<Received> all() const;
    void close();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// GET http://host:port/target; the status and body (status 0 on failure).
struct HttpReply {
    int status = 0;
    std::string body;
};
HttpReply http_get(const std::string& host, int port, const std::string& target);

/// The value of "key":NUMBER or "key":"STRING" at the top of a flat JSON message.
std::string json_field(const std::string& text, const std::string& key);

} // namespace tutti::testing
