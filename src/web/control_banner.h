// SPDX-License-Identifier: MIT
/** \file
 * What `tutti play` prints about its control servers when they are up: the OSC
 * and HTTP URLs and a QR code of the page's URL, so a phone can open the page.
 * Each server fills in what it knows; an empty field is left out.
 */
#pragma once

#include <ostream>
#include <string>

namespace tutti::web {

struct ControlBanner {
    std::string osc;      ///< "osc.udp://127.0.0.1:5510 (out 5511, errors 5512)", or empty
    std::string http;     ///< "http://127.0.0.1:5510/", or empty
    std::string page_url; ///< the page's URL as a phone opens it (with ?token=...), or empty
    bool qr = true;       ///< print the QR code of page_url
};

/// Prints one line per known URL, then the QR code of page_url (if any).
void print_control_banner(std::ostream& out, const ControlBanner& banner);

} // namespace tutti::web
