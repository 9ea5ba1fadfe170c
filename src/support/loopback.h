// SPDX-License-Identifier: MIT
/** \file
 * Whether an address is this machine's loopback: the one predicate every
 * network part uses (the control servers' token rules, the command line's
 * banner, the servers' default binding).
 */
#pragma once

#include <arpa/inet.h>

#include <cctype>
#include <cstdint>
#include <string_view>

namespace tutti {

/// Whether an IPv4 address (network byte order, as in sockaddr_in) is loopback (127/8).
inline bool is_loopback_ipv4(std::uint32_t address_network_order) {
    return (ntohl(address_network_order) >> 24) == 127;
}

/// Whether a host names loopback: "localhost" (any case), a dotted quad in
/// 127.0.0.0/8, "::1" or "[::1]", each with or without ":PORT" (as a Host
/// header or a --listen ADDR[:PORT] writes it). "127.evil.com" is not.
inline bool is_loopback_host(std::string_view host) {
    if (host == "::1") {
        return true;
    }
    if (!host.empty() && host.front() == '[') {
        std::size_t close = host.find(']');
        return close != std::string_view::npos && host.substr(0, close + 1) == "[::1]";
    }
    std::string_view name = host.substr(0, host.rfind(':'));
    constexpr std::string_view localhost = "localhost";
    if (name.size() == localhost.size()) {
        bool same = true;
        for (std::size_t i = 0; i < name.size(); ++i) {
            same = same && std::tolower(static_cast<unsigned char>(name[i])) == localhost[i];
        }
        if (same) {
            return true;
        }
    }
    if (name.substr(0, 4) != "127.") {
        return false;
    }
    int dots = 0;
    for (char c : name) {
        if (c == '.') {
            ++dots;
        } else if (!std::isdigit(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return dots == 3;
}

} // namespace tutti
