// SPDX-License-Identifier: MIT
#include "web/control_banner.h"

#include "web/qr_code.h"

namespace tutti::web {

void print_control_banner(std::ostream& out, const ControlBanner& b) {
    if (!b.osc.empty()) {
        out << "control: OSC  " << b.osc << "\n";
    }
    if (!b.http.empty()) {
        out << "control: HTTP " << b.http << "\n";
    }
    if (!b.page_url.empty()) {
        out << "control: page " << b.page_url << "\n";
        if (b.qr) {
            std::string code = qr_terminal(b.page_url);
            if (!code.empty()) {
                out << code;
            }
        }
    }
    out.flush();
}

} // namespace tutti::web
