// SPDX-License-Identifier: MIT
/** \file `tutti machines` (the tutti servers on the link, through Avahi) and the
 * hidden `tutti advertise` (announces a server's port without running one: the
 * discovery tests use it; `tutti serve` calls discovery::advertise_server). */
#pragma once

#include <string>

namespace tutti::app {

struct MachinesArgs {
    double timeout = 3; ///< seconds at most
    bool json = false;
    bool wait = false; ///< browse for the whole timeout (default: until the first answers are in)
};

int run_machines(const MachinesArgs& a);

struct AdvertiseArgs {
    int port = 0;
    std::string name;
    std::string listen;
    std::string api = "/api";
    int osc_port = 0;
    int http_port = 0;
    double load_interval = 10; ///< seconds
    std::string load_file;     ///< tests: publish the number in this file as the load
    double seconds = -1;       ///< stop after this long (default: until SIGINT/SIGTERM)
};

int run_advertise(const AdvertiseArgs& a);

} // namespace tutti::app
