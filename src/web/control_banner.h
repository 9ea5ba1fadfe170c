// SPDX-License-Identifier: MIT
/** \file
 * What `tutti play` prints about its control servers when they are up: the OSC
 * and HTTP URLs and a QR code of the page's URL, so a phone can open the page.
 * Each server fills in what it knows; an empty field is left out.
 */
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace tutti::web {

struct ControlBanner {
    std::string osc;      ///< "osc.udp://127.0.0.1:5510 (out 5511, errors 5512)", or empty
    std::string http;     ///< "http://127.0.0.1:5510/", or empty
    std::string page_url; ///< the page's URL as a phone opens it (with ?token=...), or empty
    bool qr = true;       ///< print the QR code of page_url
};

/// Prints one line per known URL, then the QR code of page_url (if any).
void print_control_banner(std::ostream& out, const ControlBanner& banner);

/// The host part of a URL that reaches a server bound to `listen` from where a
/// user is: `listen` itself (in brackets when IPv6); for the wildcards
/// ("0.0.0.0", "::", "") this machine's first IPv4 address that is not
/// loopback (so a phone on the same network can open it), else "127.0.0.1".
std::string reachable_host(std::string_view listen);

/// "http://HOST:PORT/" for a server bound to `listen` (reachable_host), with
/// "?token=TOKEN" when there is a token (the page passes it on to /ws).
std::string page_url(std::string_view listen, int port, std::string_view token);

} // namespace tutti::web
