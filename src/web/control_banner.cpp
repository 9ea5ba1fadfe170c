// SPDX-License-Identifier: MIT
#include "web/control_banner.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

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

std::string reachable_host(std::string_view listen) {
    if (!listen.empty() && listen != "0.0.0.0" && listen != "::" && listen != "[::]") {
        if (listen.find(':') != std::string_view::npos && listen.front() != '[') {
            return "[" + std::string(listen) + "]";
        }
        return std::string(listen);
    }
    std::string found = "127.0.0.1";
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) {
        return found;
    }
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET ||
            (i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0) {
            continue;
        }
        char text[INET_ADDRSTRLEN] = {};
        const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
        if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr) {
            found = text;
            break;
        }
    }
    freeifaddrs(list);
    return found;
}

std::string page_url(std::string_view listen, int port, std::string_view token) {
    std::string url = "http://" + reachable_host(listen) + ":" + std::to_string(port) + "/";
    if (!token.empty()) {
        url += "?token=";
        url += token;
    }
    return url;
}

} // namespace tutti::web
