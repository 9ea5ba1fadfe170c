// SPDX-License-Identifier: MIT
// `tutti serve`, `tutti factories`, `tutti bundle` (serve.h).
#include "apps/tutti/serve.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <thread>

#include "apps/tutti/render_on.h"
#include "control/control_hub.h"
#include "discovery/advertiser.h"
#include "jit/jit_engine.h"
#include "remote/bundle.h"
#include "remote/client.h"
#include "serve/compile_worker.h"
#include "serve/server.h"
#include "serve/service.h"
#include "support/loopback.h"

namespace tutti::app {

namespace {

std::atomic<bool> serve_stop{false};
extern "C" void on_serve_signal(int) {
    serve_stop.store(true);
}

} // namespace

int run_serve(const ServeArgs& a) {
    serve::ServerOptions so;
    so.listen = a.listen;
    so.port = a.port;
    so.token = a.token;
    so.limits.max_bundle = a.max_body_mb << 20;
    so.tls_cert = a.tls_cert;
    so.tls_key = a.tls_key;
    const bool tls = !a.tls_cert.empty();
    const bool off_loopback = !is_loopback_host(a.listen);
    serve::ServiceOptions vo;
    vo.jobs = a.jobs;
    vo.max_seconds = a.max_seconds;
    vo.max_memory_bytes = std::uint64_t(a.max_memory_mb * double(1 << 20));
    vo.listen = a.listen == "localhost" ? "127.0.0.1" : a.listen;
    // the one token: the API's and the instances' control servers'
    if (off_loopback && so.token.empty()) {
        so.token = control::make_token();
    }
    vo.token = so.token;
    vo.render = render_for_server; // POST /v1/render: tutti render's code
    vo.use_cache = a.cache;
    vo.cache_dir = a.cache_dir;
    vo.instance_idle_s = a.instance_idle;
    vo.notice = [](const std::string& line) {
        std::printf("tutti serve: %s\n", line.c_str());
        std::fflush(stdout);
    };
    // each compilation in a process of its own (this executable's hidden
    // compile-worker), bounded by the memory limit (src/serve/compile_worker.h)
    if (!a.compile_in_process) {
        std::string self = serve::self_executable();
        if (!self.empty()) {
            vo.compile_worker = {self, "compile-worker"};
        } else {
            std::fprintf(stderr, "tutti serve: cannot find this executable (/proc/self/exe): "
                                 "compiling in this process\n");
        }
    }
    serve::Service service(vo);
    serve::Server server(service, so);
    std::string error;
    if (!server.start(&error)) {
        std::cerr << "tutti serve: " << error << "\n";
        return 2;
    }
    std::printf("tutti serve: %s://%s:%d/v1 (%d compile workers, %.0f s and %.0f MiB per "
                "compilation, %s)\n",
                tls ? "https" : "http", a.listen.c_str(), server.port(), a.jobs, a.max_seconds,
                a.max_memory_mb,
                vo.compile_worker.empty() ? "in this process" : "each in a process of its own");
    if (off_loopback) {
        std::printf("token (every request needs it: Authorization: Bearer TOKEN): %s\n",
                    server.token().c_str());
        if (!tls) {
            std::fprintf(stderr, "tutti serve: warning: no TLS off loopback: the token and the "
                                 "programs travel in clear (--tls-cert and --tls-key)\n");
        }
    }
    // DNS-SD (docs/discovery.md): `tutti machines` finds the server where it
    // can be reached (on lo only when it listens on loopback); withdrawn
    // before the server stops
    std::unique_ptr<discovery::Advertiser> advertiser;
    if (a.advertise) {
        std::string why;
        advertiser = discovery::advertise_server(
            static_cast<std::uint16_t>(server.port()), vo.listen, jit::host_cpu_name(), 0, 0, &why,
            [](const std::string& e) {
                std::fprintf(stderr, "tutti serve: discovery: %s\n", e.c_str());
            });
        if (!advertiser) {
            std::fprintf(stderr, "tutti serve: discovery off: %s\n", why.c_str());
        }
    }
    std::fflush(stdout);
    std::signal(SIGINT, on_serve_signal);
    std::signal(SIGTERM, on_serve_signal);
    const auto t0 = std::chrono::steady_clock::now();
    while (!serve_stop.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (a.seconds >= 0 &&
            std::chrono::steady_clock::now() - t0 > std::chrono::duration<double>(a.seconds)) {
            break;
        }
    }
    advertiser.reset();
    server.stop();
    const serve::Service::Stats st = service.stats();
    std::printf("tutti serve: stopped (%zu compiled, %zu failed, %zu reused; %zu requests; "
                "%zu compiler processes, %zu ended by a limit or a crash, the largest %.0f MiB)\n",
                st.compiled, st.failed, st.reused, server.stats().requests, st.spawned, st.died,
                double(st.child_peak_rss_kb) / 1024.0);
    return 0;
}

int run_factories(const std::string& where, const std::string& token, bool json,
                  const std::string& tls_ca) {
    std::optional<remote::Endpoint> e = remote::parse_endpoint(where);
    if (!e) {
        std::cerr << "tutti factories: '" << where << "' is not HOST[:PORT]\n";
        return 2;
    }
    e->token = token;
    e->timeout = std::chrono::milliseconds(10000);
    if (!tls_ca.empty()) {
        e->tls = true;
        e->tls_ca = tls_ca;
    }
    try {
        if (json) {
            remote::Client client(*e);
            std::cout << client.call("GET", "/v1/factories").body << "\n";
            return 0;
        }
        std::vector<remote::FactorySummary> list = remote::list_factories(*e);
        std::printf("%-20s %-34s %-36s %9s %s\n", "name", "key", "options", "instances",
                    "last use (UTC)");
        for (const remote::FactorySummary& f : list) {
            std::time_t t = std::time_t(f.last_use_ms / 1000);
            std::tm tm{};
            gmtime_r(&t, &tm);
            char when[32];
            std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
            std::printf("%-20s %-34s %-36s %9d %s\n", f.name.c_str(), f.key.c_str(),
                        f.options.c_str(), f.instances, when);
        }
        std::printf("%zu factories on %s:%d\n", list.size(), e->host.c_str(), e->port);
        return 0;
    } catch (const remote::RemoteError& err) {
        std::cerr << "tutti factories: " << err.what() << "\n";
        return 1;
    }
}

int run_bundle(const std::string& program, const std::vector<std::string>& include_dirs) {
    std::string error;
    std::optional<remote::Bundle> b = remote::expand_program(program, include_dirs, &error);
    if (!b) {
        std::cerr << "tutti bundle: " << error << "\n";
        return 1;
    }
    std::string text = remote::encode_bundle(*b);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}

} // namespace tutti::app
