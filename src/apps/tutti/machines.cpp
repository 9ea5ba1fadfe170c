// SPDX-License-Identifier: MIT
/** \file `tutti machines` and the hidden `tutti advertise` (see machines.h). */
#include "apps/tutti/machines.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "discovery/advertiser.h"
#include "discovery/browser.h"
#include "jit/jit_engine.h"

namespace tutti::app {

int run_machines(const MachinesArgs& a) {
    discovery::BrowseOptions o;
    o.timeout = std::chrono::milliseconds(long(std::max(0.0, a.timeout) * 1000));
    o.wait_full_timeout = a.wait;
    discovery::BrowseResult r = discovery::Browser(o).run();
    if (!r.ok()) {
        std::fprintf(stderr, "tutti machines: %s\n", r.error.c_str());
        return 1;
    }
    if (a.json) {
        std::fputs(discovery::to_json(r.servers).c_str(), stdout);
    } else if (r.servers.empty()) {
        std::printf("no tutti server found (browsed %.1f s)\n", r.seconds);
    } else {
        std::fputs(discovery::to_table(r.servers).c_str(), stdout);
    }
    return 0;
}

int run_advertise(const AdvertiseArgs& a) {
    if (a.port <= 0 || a.port > 65535 || a.osc_port < 0 || a.osc_port > 65535 || a.http_port < 0 ||
        a.http_port > 65535) {
        std::fprintf(stderr, "tutti advertise: ports must be 1..65535\n");
        return 2;
    }
    // SIGINT/SIGTERM are taken with sigtimedwait below; block them before the
    // Avahi thread starts, so that it inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    static std::mutex print_mu;
    auto print = [](const std::string& text) {
        std::lock_guard<std::mutex> lock(print_mu);
        std::printf("advertise: %s\n", text.c_str());
        std::fflush(stdout);
    };
    discovery::AdvertiseOptions o;
    o.port = std::uint16_t(a.port);
    o.name = a.name;
    o.listen_address = a.listen;
    o.cpu = jit::host_cpu_name();
    o.api_path = a.api;
    o.osc_port = std::uint16_t(a.osc_port);
    o.http_port = std::uint16_t(a.http_port);
    o.load_interval = std::chrono::milliseconds(long(a.load_interval * 1000));
    o.on_event = print;
    if (!a.load_file.empty()) {
        o.load_source = [file = a.load_file] {
            double load = -1;
            if (FILE* f = std::fopen(file.c_str(), "r")) {
                if (std::fscanf(f, "%lf", &load) != 1) {
                    load = -1;
                }
                std::fclose(f);
            }
            return load;
        };
    }
    std::string error;
    auto advertiser = discovery::Advertiser::start(o, &error);
    if (!advertiser) {
        std::fprintf(stderr, "tutti advertise: %s\n", error.c_str());
        return 2;
    }
    auto start = std::chrono::steady_clock::now();
    int sig = 0;
    while (true) {
        if (a.seconds >= 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
                a.seconds) {
            break;
        }
        timespec tick{0, 100 * 1000 * 1000};
        sig = sigtimedwait(&stop_signals, nullptr, &tick);
        if (sig == SIGINT || sig == SIGTERM) {
            break;
        }
    }
    std::string name = advertiser->name();
    unsigned registrations = advertiser->registrations();
    advertiser.reset(); // withdraws the services (the daemon sends the goodbyes)
    print("withdrawn '" + name + "' after " + std::to_string(registrations) + " registration(s)");
    return 0;
}

} // namespace tutti::app
