// SPDX-License-Identifier: MIT
/** \file
 * Browser: finds the tutti servers on the link through the local avahi-daemon
 * (DNS-SD browse of `_tutti._tcp`, each service resolved to host, address,
 * port and TXT record).
 *
 * A browse is bounded in time: it ends at `timeout`, or earlier once the
 * daemon said "all for now" (its cache and the first round of mDNS answers are
 * in, about 1 s after the start) and every resolver has answered, unless
 * `wait_full_timeout`. With no avahi-daemon or no D-Bus system bus it ends at
 * once with an error saying which (no retry, no wait). Services that the
 * daemon withdraws during the browse (a goodbye) are left out.
 *
 * The same server may be reachable on several interfaces or protocols: each
 * (name, address, port) is listed once.
 *
 * Threads: a browse runs on the calling thread, with its own D-Bus connection;
 * several may run at once.
 */
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "discovery/txt_record.h"

namespace tutti::discovery {

struct BrowseOptions {
    std::string service_type = tutti_service_type;
    std::chrono::milliseconds timeout{3000};
    bool wait_full_timeout = false;
};

struct BrowseResult {
    std::vector<ServerInfo> servers; ///< sorted by name, then address
    std::string error;               ///< empty on success
    double seconds = 0;              ///< how long the browse took
    bool ok() const {
        return error.empty();
    }
};

class Browser {
public:
    explicit Browser(BrowseOptions options = {}) : options_(std::move(options)) {
    }
    /// Browses once (blocking, at most `timeout`).
    BrowseResult run() const;

private:
    BrowseOptions options_;
};

/// The tutti servers found within `timeout` (for `tutti machines` and the client API).
BrowseResult discover_machines(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

} // namespace tutti::discovery
