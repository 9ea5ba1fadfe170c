// SPDX-License-Identifier: MIT
/** \file
 * The control server in this process, on 127.0.0.1 ports 22300-22399, over a
 * program playing on the null driver: what a slow or hostile client can do to
 * the others. A WebSocket client that never reads is disconnected when its
 * queue is full while another client keeps getting every change at once; the
 * connection limit closes what is over it and the server serves again when
 * they go; a request that never ends times out.
 */
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <thread>

#include "control/control_hub.h"
#include "drivers/null_driver.h"
#include "http/server.h"
#include "net/ws_client.h"
#include "tutti/compiler.h"
#include "tutti/engine.h"
#include "tutti/engine_callback.h"

using namespace tutti;
using namespace tutti::testing;
using namespace std::chrono_literals;

namespace {

/// A program playing on the null driver, served by the hub and a server.
struct Served {
    explicit Served(const http::ServerOptions& so) {
        CompileResult r = compile_source(
            "ctl.dsp", "process = hslider(\"freq\", 440, 0, 100000, 0.001) * 1e-9 : "
                       "attach(_, hslider(\"gain\", 0, 0, 1, 0.01) : hbargraph(\"g\", 0, 1));");
        EXPECT_TRUE(r.ok());
        EngineOptions eo;
        eo.inputs = 0;
        eo.outputs = 1;
        eo.max_block = 64;
        eo.output_tap_frames = 48000;
        engine = std::make_unique<Engine>(eo);
        engine->submit(r.factory, "ctl");
        DriverOptions d;
        d.inputs = 0;
        d.outputs = 1;
        d.sample_rate = 48000;
        d.block_size = 64;
        std::string error;
        EXPECT_TRUE(driver.open(d, &error)) << error;
        callback = std::make_unique<EngineCallback>(*engine);
        EXPECT_TRUE(driver.start(callback.get(), &error)) << error;
        id = hub.add_program(*engine, "ctl");
        server = std::make_unique<http::Server>(hub, id, *engine, so);
        EXPECT_TRUE(server->start(&error)) << error;
    }
    ~Served() {
        server->stop();
        server.reset();
        hub.remove_program(id);
        driver.stop();
    }
    drivers::NullDriver driver;
    std::unique_ptr<Engine> engine;
    std::unique_ptr<EngineCallback> callback;
    control::ControlHub hub;
    int id = 0;
    std::unique_ptr<http::Server> server;
};

int tcp_connect(int port, int rcvbuf = 0) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) {
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

/// Whether the server closed `fd` within `timeout` (a read gives 0 or a reset);
/// what arrives meanwhile is read and thrown away.
bool closed_by_server(int fd, std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_usec = 100000;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const auto until = Clock::now() + timeout;
    char buf[4096];
    while (Clock::now() < until) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            return true;
        }
    }
    return false;
}

} // namespace

TEST(HttpServer, ASlowWebSocketClientIsDroppedTheOthersGoOn) {
    http::ServerOptions so;
    so.port = 22300;
    so.max_queue_bytes = 256 * 1024; // ~5000 changes; the flood below is 2 MB
    so.socket_send_buffer = 16 * 1024;
    Served s(so);
    const int port = s.server->port();
    // the slow client: a handshake, then it never reads (a small receive buffer)
    int slow = tcp_connect(port, 2048);
    ASSERT_GE(slow, 0);
    const std::string hello = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
    ASSERT_EQ(::write(slow, hello.data(), hello.size()), ssize_t(hello.size()));
    WsClient a, b;
    std::string error;
    ASSERT_TRUE(a.connect("127.0.0.1", port, "/ws", &error)) << error;
    ASSERT_TRUE(b.connect("127.0.0.1", port, "/ws", &error)) << error;
    auto values = [](const Received& r) { return json_field(r.text, "type") == "values"; };
    ASSERT_TRUE(b.wait_for(values, 5s, nullptr));
    // a flood of changes from A: several MB of messages for the slow client
    const auto t0 = Clock::now();
    for (int k = 0; k < 40000; ++k) {
        a.send("{\"type\":\"param\",\"path\":\"/ctl/freq\",\"value\":" + std::to_string(k) + "}");
        if (k % 500 == 499) {
            // B reads on a thread of this busy test process: a breath now and
            // then keeps it from falling 256 KB behind (which would drop it too)
            std::this_thread::sleep_for(2ms);
        }
    }
    // B gets the last one promptly: nobody waited for the slow client
    auto last = [](const Received& r) {
        return json_field(r.text, "type") == "param" && json_field(r.text, "value") == "39999";
    };
    Received got;
    ASSERT_TRUE(b.wait_for(last, 10s, &got));
    const double ms = std::chrono::duration<double, std::milli>(got.at - t0).count();
    std::printf("40000 changes from A reached B in %.1f ms while a client did not read\n", ms);
    EXPECT_LT(ms, 8000.0);
    EXPECT_TRUE(closed_by_server(slow, 5s)) << "the slow client was not disconnected";
    EXPECT_GE(s.server->stats().slow_clients_dropped, 1u);
    ::close(slow);
    // and the value reached the engine
    double v = 0;
    for (int i = 0; i < 200 && v != 39999; ++i) {
        HttpReply r = http_get("127.0.0.1", port, "/ctl/freq");
        v = std::strtod(r.body.c_str() + r.body.find(' ') + 1, nullptr);
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(v, 39999);
}

TEST(HttpServer, ConnectionLimitAndTimeouts) {
    http::ServerOptions so;
    so.port = 22320;
    so.max_connections = 4;
    so.request_timeout = 500ms;
    Served s(so);
    const int port = s.server->port();
    std::vector<int> idle;
    for (int i = 0; i < 4; ++i) {
        idle.push_back(tcp_connect(port));
        ASSERT_GE(idle.back(), 0);
    }
    std::this_thread::sleep_for(100ms);
    // over the limit: closed at once
    int extra = tcp_connect(port);
    ASSERT_GE(extra, 0);
    EXPECT_TRUE(closed_by_server(extra, 2s));
    ::close(extra);
    EXPECT_GE(s.server->stats().refused_connections, 1u);
    // the idle ones time out (no request within request_timeout), then the server serves
    for (int fd : idle) {
        EXPECT_TRUE(closed_by_server(fd, 3s));
        ::close(fd);
    }
    std::this_thread::sleep_for(50ms);
    HttpReply r = http_get("127.0.0.1", port, "/ctl/freq");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "/ctl/freq 440.000 \n");
}
