// SPDX-License-Identifier: MIT
/** \file Helpers shared by the advertiser and the browser (see avahi_support.h). */
#include "discovery/avahi_support.h"

#include <arpa/inet.h>
#include <avahi-common/error.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>

namespace tutti::discovery::detail {

std::string system_bus_address() {
    const char* a = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
    if (a != nullptr && *a != '\0') {
        return a;
    }
    return "unix:path=/run/dbus/system_bus_socket";
}

std::string avahi_error_text(int error) {
    std::string text = avahi_strerror(error);
    switch (error) {
    case AVAHI_ERR_NO_DAEMON:
        return "avahi-daemon is not running, or the D-Bus system bus (" + system_bus_address() +
               ") is not reachable (" + text + ")";
    case AVAHI_ERR_DBUS_ERROR:
    case AVAHI_ERR_DISCONNECTED:
        return "cannot talk to avahi-daemon over the D-Bus system bus (" + system_bus_address() +
               "): " + text;
    default:
        return "avahi: " + text;
    }
}

namespace {

// The index of the first interface whose address equals `want` (same family),
// or of the first loopback interface when `want_loopback`.
AvahiIfIndex find_interface(int family, const void* want, bool want_loopback) {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) {
        return AVAHI_IF_UNSPEC;
    }
    AvahiIfIndex found = AVAHI_IF_UNSPEC;
    for (ifaddrs* i = list; i != nullptr && found == AVAHI_IF_UNSPEC; i = i->ifa_next) {
        if (i->ifa_name == nullptr) {
            continue;
        }
        if (want_loopback) {
            if ((i->ifa_flags & IFF_LOOPBACK) != 0U) {
                found = AvahiIfIndex(if_nametoindex(i->ifa_name));
            }
            continue;
        }
        if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != family) {
            continue;
        }
        bool same = false;
        if (family == AF_INET) {
            const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
            same = std::memcmp(&sin->sin_addr, want, sizeof(in_addr)) == 0;
        } else {
            const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
            same = std::memcmp(&sin6->sin6_addr, want, sizeof(in6_addr)) == 0;
        }
        if (same) {
            found = AvahiIfIndex(if_nametoindex(i->ifa_name));
        }
    }
    freeifaddrs(list);
    return found == 0 ? AVAHI_IF_UNSPEC : found;
}

} // namespace

bool scope_for_listen_address(const std::string& listen_address, Scope& scope, std::string* error) {
    scope = Scope{};
    scope.description = "every interface";
    if (listen_address.empty() || listen_address == "::") {
        return true;
    }
    in_addr v4{};
    in6_addr v6{};
    bool loopback = false;
    int family = 0;
    const void* raw = nullptr;
    if (inet_pton(AF_INET, listen_address.c_str(), &v4) == 1) {
        family = AF_INET;
        raw = &v4;
        scope.protocol = AVAHI_PROTO_INET;
        if (v4.s_addr == htonl(INADDR_ANY)) {
            scope.description = "every interface (IPv4)";
            return true;
        }
        loopback = (ntohl(v4.s_addr) >> 24) == 127;
    } else if (inet_pton(AF_INET6, listen_address.c_str(), &v6) == 1) {
        family = AF_INET6;
        raw = &v6;
        scope.protocol = AVAHI_PROTO_INET6;
        loopback = IN6_IS_ADDR_LOOPBACK(&v6);
    } else {
        if (error != nullptr) {
            *error = "'" + listen_address + "' is not an IPv4 or IPv6 address";
        }
        return false;
    }
    scope.interface = find_interface(family, raw, loopback);
    if (scope.interface == AVAHI_IF_UNSPEC) {
        // Not an address of this host (yet): announce everywhere rather than nowhere.
        scope.description = "every interface (no interface holds " + listen_address + ")";
    } else {
        scope.description = "interface " + interface_name(scope.interface);
    }
    return true;
}

AvahiStringList* to_string_list(const std::vector<std::string>& entries) {
    AvahiStringList* list = nullptr;
    // avahi_string_list_add prepends: add from the back to keep the order.
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        list = avahi_string_list_add(list, it->c_str());
    }
    return list;
}

std::vector<std::string> from_string_list(AvahiStringList* list) {
    std::vector<std::string> out;
    for (AvahiStringList* l = list; l != nullptr; l = avahi_string_list_get_next(l)) {
        const auto* text = reinterpret_cast<const char*>(avahi_string_list_get_text(l));
        out.emplace_back(text, avahi_string_list_get_size(l));
    }
    return out;
}

std::string interface_name(AvahiIfIndex index) {
    char buf[IF_NAMESIZE + 1] = {};
    if (index <= 0 || if_indextoname(unsigned(index), buf) == nullptr) {
        return "";
    }
    return buf;
}

} // namespace tutti::discovery::detail
