// SPDX-License-Identifier: MIT
#include "apps/tutti/control_servers.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "control/control_hub.h"
#include "http/server.h"
#include "osc/osc_server.h"
#include "support/loopback.h"
#include "tutti/engine.h"

namespace tutti::app {

bool apply_sets(const std::vector<std::string>& sets, Engine& engine) {
    for (const std::string& kv : sets) {
        const std::size_t eq = kv.rfind('=');
        if (eq == std::string::npos ||
            control::set_by_path(engine, kv.substr(0, eq), std::atof(kv.c_str() + eq + 1)) == 0) {
            std::cerr << "tutti play: --set " << kv << ": no such control\n";
            return false;
        }
    }
    return true;
}

ControlServers::~ControlServers() = default;

void ControlServers::stop() {
    if (http) {
        http->stop();
    }
    if (osc) {
        osc->stop();
    }
}

bool ControlServers::start(const PlayArgs& a, const std::string& listen, control::ControlHub& hub,
                           int program_id, Engine& engine, const ControlCommand& command) {
    std::string error;
    if (a.osc) {
        osc::ServerOptions oo;
        oo.listen = listen;
        oo.port = a.osc_port;
        oo.outport = a.osc_outport;
        oo.errport = a.osc_errport;
        oo.desthost = a.desthost;
        oo.xmit = a.xmit;
        oo.xmitfilter = a.xmitfilter;
        oo.bundle = a.bundle;
        oo.command = command;
        osc = std::make_unique<osc::Server>(hub, oo);
        if (!osc->start(&error)) {
            std::cerr << "tutti play: OSC: " << error << "\n";
            return false;
        }
        std::printf("OSC: %s (replies on %d, errors on %d)\n%s\n", osc->url().c_str(),
                    osc->outport(), osc->errport(), osc->infos().c_str());
    }
    if (!is_loopback_host(listen)) {
        std::printf("control token (writes from off loopback need it): %s\n", hub.token().c_str());
    }
    std::fflush(stdout);
    // The control URLs and the QR code of the page: each control server fills in
    // its part once it listens (issue 11 section 5).
    if (a.http) {
        http::ServerOptions so;
        so.listen = listen;
        so.port = a.http_port;
        so.token = hub.token(); // the one token of every control source
        so.command = command;
        http = std::make_unique<http::Server>(hub, program_id, engine, so);
        if (!http->start(&error)) {
            std::cerr << "tutti play: http: " << error << "\n";
            return false;
        }
        banner.http = web::page_url(listen, http->port(), "");
        banner.page_url =
            web::page_url(listen, http->port(), is_loopback_host(listen) ? "" : so.token);
        http->set_page_url(banner.page_url);
    }
    web::print_control_banner(std::cout, banner);
    std::fflush(stdout);
    return true;
}

} // namespace tutti::app
