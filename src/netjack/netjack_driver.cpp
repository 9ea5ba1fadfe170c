// SPDX-License-Identifier: MIT
/** \file The NetJack driver factory (see netjack_driver.h). */
#include "netjack/netjack_driver.h"

#include <algorithm>
#include <cstdio>

#include "netjack/master_driver.h"
#include "netjack/slave_driver.h"

namespace tutti::netjack {

std::unique_ptr<Driver> make_driver(const std::string& name, const NetOptions& options) {
    if (name == "netjack-slave") {
        return std::make_unique<SlaveDriver>(options);
    }
    if (name == "netjack-master") {
        return std::make_unique<MasterDriver>(options);
    }
    return nullptr;
}

namespace {

std::string line(const SessionParams& p, const LinkCounters& c, std::uint64_t connections,
                 int effective_latency) {
    char text[512];
    std::snprintf(
        text, sizeof text,
        "netjack: %s, master -> slave %d channels, slave -> master %d, latency %d "
        "cycles = %d frames; cycles received %llu, concealed %llu (incomplete %llu, missing "
        "%llu), late packets %llu, bad packets %llu, connections %llu",
        p.encoder == Encoder::Int16 ? "int16" : "float", p.send_audio, p.return_audio,
        effective_latency, effective_latency * static_cast<int>(p.period),
        static_cast<unsigned long long>(c.cycles_received.load()),
        static_cast<unsigned long long>(c.cycles_concealed.load()),
        static_cast<unsigned long long>(c.cycles_incomplete.load()),
        static_cast<unsigned long long>(c.cycles_missing.load()),
        static_cast<unsigned long long>(c.late_packets.load()),
        static_cast<unsigned long long>(c.bad_packets.load()),
        static_cast<unsigned long long>(connections));
    return text;
}

} // namespace

std::string describe(const Driver& driver) {
    if (const auto* slave = dynamic_cast<const SlaveDriver*>(&driver)) {
        const SessionParams& p = slave->session();
        return line(p, slave->counters(), slave->connections(), static_cast<int>(p.latency));
    }
    if (const auto* master = dynamic_cast<const MasterDriver*>(&driver)) {
        if (master->connections() == 0) {
            return "netjack: no slave joined";
        }
        const SessionParams p = master->session();
        return line(p, master->counters(), master->connections(),
                    std::max(1, static_cast<int>(p.latency)));
    }
    return {};
}

} // namespace tutti::netjack
