// SPDX-License-Identifier: MIT
/** \file The NetJack driver factory (see netjack_driver.h). */
#include "netjack/netjack_driver.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "netjack/master_driver.h"
#include "netjack/opus_layout.h"
#include "netjack/slave_driver.h"

namespace tutti::netjack {

bool parse_format(const std::string& text, Encoder* encoder, int* kbps, std::string* error) {
    if (text == "float" || text == "int16") {
        *encoder = text == "float" ? Encoder::Float : Encoder::Int16;
        return true;
    }
    if (text == "opus" || text.rfind("opus:", 0) == 0) {
        int value = kOpusDefaultKbps;
        if (text.size() > 5) {
            const std::string number = text.substr(5);
            char* end = nullptr;
            const long v = std::strtol(number.c_str(), &end, 10);
            if (number.empty() || *end != '\0' || v < 8 || v > 1000) {
                *error = "--format " + text + ": opus:KBPS takes 8..1000 kbit/s per channel";
                return false;
            }
            value = static_cast<int>(v);
        }
        *encoder = Encoder::Opus;
        *kbps = value;
        return true;
    }
    *error = "--format " + text + ": float, int16, opus or opus:KBPS";
    return false;
}

bool open_preamble(const char* who, const DriverOptions& options, const NetOptions& net,
                   sockaddr_in* endpoint, std::string* error) {
    auto fail = [&](const std::string& why) {
        if (error) {
            *error = std::string(who) + ": " + why;
        }
        return false;
    };
    if (options.inputs < 0 || options.outputs < 0 || options.inputs > kMaxChannels ||
        options.outputs > kMaxChannels) {
        return fail("channel counts must be 0..256");
    }
    const std::string address = net.address.empty() ? std::string(kDefaultMulticast) : net.address;
    if (!parse_endpoint(address, kDefaultPort, endpoint)) {
        const bool slave = std::string(who) == "netjack-slave";
        return fail(std::string(slave ? "bad master" : "bad listen") + " address '" + address +
                    "' (A.B.C.D[:PORT])");
    }
    return true;
}

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
    char format[32];
    if (p.encoder == Encoder::Opus) {
        std::snprintf(format, sizeof format, "opus %u kbit/s", p.kbps);
    } else {
        std::snprintf(format, sizeof format, "%s", p.encoder == Encoder::Int16 ? "int16" : "float");
    }
    char text[512];
    std::snprintf(
        text, sizeof text,
        "netjack: %s, master -> slave %d channels, slave -> master %d, latency %d "
        "cycles = %d frames; cycles received %llu, concealed %llu (incomplete %llu, missing "
        "%llu), late packets %llu, bad packets %llu, connections %llu",
        format, p.send_audio, p.return_audio, effective_latency,
        effective_latency * static_cast<int>(p.period),
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

std::vector<StatusValue> status(const Driver& driver) {
    const LinkCounters* c = nullptr;
    SessionParams p;
    double connections = 0, latency = 0, repairs = 0;
    bool connected = false;
    std::string peer, role, refusal, failure;
    double refusals = 0;
    if (const auto* slave = dynamic_cast<const SlaveDriver*>(&driver)) {
        c = &slave->counters();
        p = slave->session_info();
        connections = static_cast<double>(slave->connections());
        connected = slave->connected();
        latency = p.latency;
        repairs = static_cast<double>(slave->control_repairs());
        peer = slave->peer();
        role = "slave";
        failure = slave->failure();
    } else if (const auto* master = dynamic_cast<const MasterDriver*>(&driver)) {
        c = &master->counters();
        p = master->session();
        connections = static_cast<double>(master->connections());
        connected = master->connected();
        latency = connections > 0 ? std::max(1u, p.latency) : 0;
        peer = master->peer();
        role = "master";
        refusals = static_cast<double>(master->refusals());
        refusal = master->last_refusal();
    } else {
        return {};
    }
    auto n = [](const std::atomic<std::uint64_t>& v) {
        return static_cast<double>(v.load(std::memory_order_relaxed));
    };
    const char* format = p.encoder == Encoder::Opus    ? "opus"
                         : p.encoder == Encoder::Int16 ? "int16"
                                                       : "float";
    auto num = [](const char* address, double v) { return StatusValue{address, v, {}, false}; };
    auto txt = [](const char* address, std::string t) {
        return StatusValue{address, 0, std::move(t), true};
    };
    return {
        txt("/tutti/netjack/role", role),
        num("/tutti/netjack/connected", connected ? 1.0 : 0.0),
        txt("/tutti/netjack/peer", peer),
        txt("/tutti/netjack/format", connections > 0 ? format : ""),
        num("/tutti/netjack/period", static_cast<double>(p.period)),
        num("/tutti/netjack/received", n(c->cycles_received)),
        num("/tutti/netjack/lost", n(c->cycles_missing) + n(c->cycles_incomplete)),
        num("/tutti/netjack/concealed", n(c->cycles_concealed)),
        num("/tutti/netjack/late", n(c->late_packets)),
        num("/tutti/netjack/bad", n(c->bad_packets)),
        num("/tutti/netjack/connections", connections),
        num("/tutti/netjack/latency_cycles", latency),
        num("/tutti/netjack/latency_frames", latency * p.period),
        num("/tutti/netjack/control_repairs", repairs),
        num("/tutti/netjack/refusals", refusals),
        txt("/tutti/netjack/refusal", refusal),
        txt("/tutti/netjack/failure", failure),
    };
}

std::string failure(const Driver& driver) {
    if (const auto* slave = dynamic_cast<const SlaveDriver*>(&driver)) {
        return slave->failure();
    }
    return {};
}

std::string describe(const Driver& driver) {
    if (const auto* slave = dynamic_cast<const SlaveDriver*>(&driver)) {
        const SessionParams p = slave->session_info();
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
