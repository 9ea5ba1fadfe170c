// SPDX-License-Identifier: MIT
/** \file
 * Fuzz target `http_request`: bytes as they arrive on the control server's
 * socket, through the same bounded Beast parser the server uses (header and
 * body limits of ServerOptions' defaults) and, when a request comes out, through
 * handle_request() as a loopback peer and as a remote one with a token. Checks
 * that nothing crashes, that every answer has a status the server can send,
 * and that no answer ever carries a file's content (nothing is read from disk).
 */
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility> // before Boost.Asio 1.74 (std::exchange)

#include "control_fuzz_port.h"
#include "fuzz_target.h"
#include "http/request_handler.h"

namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 16384) {
        return -1;
    }
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(8192);
    parser.body_limit(4096);
    parser.eager(true);
    boost::beast::error_code ec;
    std::size_t used = 0;
    while (used < size && !parser.is_done()) {
        std::size_t n = parser.put(boost::asio::buffer(data + used, size - used), ec);
        if (ec == bhttp::error::need_more) {
            ec = {};
            break;
        }
        if (ec || n == 0) {
            break;
        }
        used += n;
    }
    if (ec || !parser.is_header_done()) {
        return 0;
    }
    const auto& req = parser.get();
    auto sv = [](boost::beast::string_view s) { return std::string_view(s.data(), s.size()); };
    tutti::http::Request r;
    r.method = sv(req.method_string());
    r.target = sv(req.target());
    r.host = sv(req[bhttp::field::host]);
    r.origin = sv(req[bhttp::field::origin]);
    r.websocket_upgrade = boost::beast::websocket::is_upgrade(req);
    tutti::fuzz::FuzzPort port;
    for (bool loopback : {true, false}) {
        tutti::http::Access access;
        access.loopback_peer = loopback;
        access.token = loopback ? "" : "s3cret";
        tutti::http::Answer a = tutti::http::handle_request(r, port, access);
        if (a.status < 100 || a.status > 599) {
            __builtin_trap();
        }
        if (a.body.find("root:x:0:0") != std::string::npos) {
            __builtin_trap(); // /etc/passwd: a file was read
        }
    }
    return 0;
}
