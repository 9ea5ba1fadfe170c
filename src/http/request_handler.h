// SPDX-License-Identifier: MIT
/** \file
 * One HTTP request, answered as Faust's httpd server answers it, as a pure
 * function of the request and a ControlPort (no sockets: the server calls it,
 * and so does the fuzz target tests/fuzz/http_request_fuzzer.cpp):
 *
 *  - `GET /JSON`: the program's JSON UI description (application/json);
 *  - `GET /<address>`: `<address> <value> \n` (text/plain), the value printed
 *    as C++ streams print a float with showpoint ("0.500000", "440.000"); a group
 *    address gives one such line per control under it; both the JSON and the
 *    httpd spellings of an address are accepted;
 *  - `GET /<address>?value=v`: sets the control (clipped to its range, the
 *    value read as Faust reads it: sign, digits, '.' or ',' and decimals) and
 *    answers as the plain GET, with the value set;
 *  - `GET /` and the page's files: the embedded assets only (tutti::web);
 *  - `GET /ws` with an Upgrade: the WebSocket (the server accepts it);
 *  - `GET /tutti/...`: the process's read-only status values
 *    (ControlPort::status, e.g. /tutti/netjack/lost): one value as
 *    `<address> <value> \n`, a prefix of several (`GET /tutti/netjack`) as
 *    a JSON object {"<address>": value, ...}.
 *
 * Unlike Faust's: writes from a peer that is not on loopback need the token
 * (`?token=...`); a write, or a WebSocket upgrade, whose Origin header names
 * another origin than the Host the request was sent to is refused, and so is
 * one without a token sent to a Host name that is not loopback (DNS
 * rebinding); paths with `..` are refused; nothing is read from disk; no
 * Access-Control-Allow-Origin header.
 */
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/control_port.h"

namespace tutti::http {

struct Request {
    std::string_view method; ///< "GET", ...
    std::string_view target; ///< "/path?query"
    std::string_view host;   ///< the Host header ("" when absent)
    std::string_view origin; ///< the Origin header ("" when absent)
    bool websocket_upgrade = false;
};

/// What the server knows about the connection.
struct Access {
    bool loopback_peer = true;
    std::string_view token; ///< the server's write token ("" when there is none)
    /// The page's URL (with the token): GET /qr.svg draws its QR code ("": 404).
    std::string_view page_url;
};

/// The token in a query string equals `token` (compared in constant time).
bool token_matches(std::string_view given, std::string_view token);

struct Answer {
    int status = 200;
    std::string content_type = "text/plain";
    std::string body;
    bool cacheable = false; ///< an embedded asset (else: Cache-Control: no-store)
    bool websocket = false; ///< accept the upgrade to the WebSocket
    bool can_write = false; ///< with `websocket`: the session may set values
    /// Values set by this request (index into table->controls(), value), for the
    /// server to push to the WebSocket clients at once.
    std::vector<std::pair<std::size_t, double>> changed;
    std::shared_ptr<const AddressTable> table;
};

Answer handle_request(const Request& request, ControlPort& port, const Access& access);

/// Faust's httpd reading of a value: [spaces][+|-]digits[(.|,)digits]; nullopt
/// when no digit was read.
std::optional<double> parse_httpd_value(std::string_view s);
/// A value as Faust's httpd prints it (a float with showpoint: "%#g").
std::string format_httpd_value(double value);
/// `%XX` escapes decoded (and '+' as space when `plus_is_space`); nullopt on a
/// bad escape or a NUL byte.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

} // namespace tutti::http
