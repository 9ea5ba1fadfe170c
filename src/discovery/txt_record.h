// SPDX-License-Identifier: MIT
/** \file
 * What a tutti server says about itself on the network: the TXT record of its
 * `_tutti._tcp` DNS-SD service, written by the advertiser and read by the
 * browser, and the listing a browse produces (ServerInfo, as text and JSON).
 *
 * The TXT record (RFC 6763 key=value strings; every key optional, unknown keys
 * ignored so that later versions can add some):
 *   txtvers=1        the record's format
 *   version=0.13.0   tutti's version
 *   cpu=znver3       the CPU LLVM generates code for on the server (getHostCPUName)
 *   cores=8          online CPUs
 *   load=0.42        1-minute load average divided by cores (0 idle, 1 busy)
 *   api=/api         path prefix of the HTTP API on the service's port
 *   osc=5510         UDP port of the OSC control server, when it runs
 *   http=5510        TCP port of the HTTP/WebSocket control server, when it runs
 *
 * parse_txt reads outside input (any host on the link can publish a
 * `_tutti._tcp` record): it is bounded (entries and lengths capped, numbers
 * range-checked) and never throws; a value it cannot read stays unknown.
 */
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tutti::discovery {

inline constexpr const char* tutti_service_type = "_tutti._tcp";
inline constexpr const char* osc_service_type = "_osc._udp";
inline constexpr const char* http_service_type = "_http._tcp";

/// The most TXT entries parse_txt reads, and the longest entry it accepts (a
/// DNS character-string holds at most 255 bytes).
inline constexpr std::size_t max_txt_entries = 64;
inline constexpr std::size_t max_txt_entry = 255;

/// The facts in a server's TXT record. Unknown values: empty strings, load < 0,
/// cores and ports 0.
struct ServerFacts {
    std::string version;
    std::string cpu;
    std::string api;
    double load = -1;
    unsigned cores = 0;
    std::uint16_t osc_port = 0;
    std::uint16_t http_port = 0;
};

/// The TXT entries for `facts` (txtvers first; unknown values left out).
std::vector<std::string> make_txt(const ServerFacts& facts);

/// Reads TXT entries (as DNS-SD delivers them, "key=value" or "key").
ServerFacts parse_txt(const std::vector<std::string>& entries);

/// The load as the record writes it ("0.42"; two decimals, clamped to 0..999).
std::string format_load(double load);

/// This machine's 1-minute load average divided by its online CPUs; -1 if unknown.
double current_load();

/// Online CPUs (at least 1).
unsigned online_cpus();

/// One server found by a browse.
struct ServerInfo {
    std::string name;      ///< the service name ("tutti on hosta", "tutti on hosta #2")
    std::string host;      ///< the host's mDNS name ("hosta.local")
    std::string address;   ///< the resolved address ("10.0.0.5", "fe80::1%eth0" not used)
    std::string interface; ///< the local interface it was seen on ("eth0")
    std::uint16_t port = 0;
    ServerFacts facts;
    std::vector<std::string> txt; ///< the raw TXT entries, as received
};

/// The listing as a JSON array of objects (name, host, address, interface,
/// port, version, cpu, cores, load (null if unknown), api, osc_port, http_port).
std::string to_json(const std::vector<ServerInfo>& servers);

/// The listing as an aligned text table with a header line (no line at all for
/// an empty listing).
std::string to_table(const std::vector<ServerInfo>& servers);

} // namespace tutti::discovery
