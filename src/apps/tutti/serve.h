// SPDX-License-Identifier: MIT
/** \file `tutti serve` (a compile and compute server, docs/serve-api.md),
 * `tutti factories HOST[:PORT]` (what a server holds) and `tutti bundle`
 * (a program and the files it reads, as the server takes it). */
#pragma once

#include <string>
#include <vector>

namespace tutti::app {

struct ServeArgs {
    int port = 7777;
    std::string listen = "127.0.0.1";
    int jobs = 2;
    std::string token;               ///< off loopback; empty: a random one, printed once
    double max_seconds = 30;         ///< per compilation
    double max_memory_mb = 1024;     ///< per compilation (its compiler process's)
    bool compile_in_process = false; ///< --compile-in-process: no compiler processes
    std::size_t max_body_mb = 32;
    double seconds = -1;       ///< stop after this long (default: until SIGINT/SIGTERM)
    double instance_idle = 60; ///< --instance-idle: an instance without activity expires (0: never)
    bool advertise = true;     ///< announce _tutti._tcp with DNS-SD (--no-advertise: not)
    bool cache = true;         ///< the compiled-code cache (--no-cache: not)
    std::string cache_dir;     ///< --cache-dir (default: the user's, ~/.cache/tutti/code)
    std::string tls_cert, tls_key; ///< --tls-cert, --tls-key: https
};
int run_serve(const ServeArgs& args);

int run_factories(const std::string& server, const std::string& token, bool json,
                  const std::string& tls_ca = {});

int run_bundle(const std::string& program, const std::vector<std::string>& include_dirs);

} // namespace tutti::app
