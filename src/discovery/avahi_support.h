// SPDX-License-Identifier: MIT
/** \file
 * Small helpers shared by the advertiser and the browser (private to
 * src/discovery): error texts that name the D-Bus bus, the interface and
 * protocol a listen address maps to, TXT lists to and from Avahi's string lists.
 */
#pragma once

#include <avahi-common/address.h>
#include <avahi-common/strlst.h>

#include <string>
#include <vector>

namespace tutti::discovery::detail {

/// The D-Bus system bus address clients use ($DBUS_SYSTEM_BUS_ADDRESS or the default).
std::string system_bus_address();

/// A sentence for an avahi-client error, naming the bus for connection errors.
std::string avahi_error_text(int error);

/// Where to announce for a server bound to `listen_address` (see advertiser.h).
/// False if `listen_address` is not an IPv4/IPv6 address (then `*error`).
struct Scope {
    AvahiIfIndex interface = AVAHI_IF_UNSPEC;
    AvahiProtocol protocol = AVAHI_PROTO_UNSPEC;
    std::string description; ///< "every interface", "interface lo", ...
};
bool scope_for_listen_address(const std::string& listen_address, Scope& scope, std::string* error);

/// Avahi string list <-> strings (the list is owned by the caller: avahi_string_list_free).
AvahiStringList* to_string_list(const std::vector<std::string>& entries);
std::vector<std::string> from_string_list(AvahiStringList* list);

/// The name of interface `index` ("" if unknown).
std::string interface_name(AvahiIfIndex index);

} // namespace tutti::discovery::detail
