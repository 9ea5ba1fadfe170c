// SPDX-License-Identifier: MIT
/** \file
 * tutti_control_client: the WebSocket side of the control server's test
 * (tests/net/http_control.sh runs it against `tutti play --driver null`).
 *
 *   check HOST PORT JSON_ADDR HTTPD_ADDR [WATCH_FILE NEW_SOURCE]
 *     two clients: the UI then the values on connect; a change from one client
 *     pushed to the other (both spellings); a change over HTTP pushed to both;
 *     the value read back over HTTP; garbage answered with an error and the
 *     connection still serving; levels at >= 50 Hz and scope frames at >= 20 Hz;
 *     a foreign Origin refused; with WATCH_FILE, NEW_SOURCE copied over it (the
 *     program is playing with --watch) gives a swap report and the new UI.
 *   latency HOST PORT ADDR N LOW [MAX_MEDIAN_MS]
 *     the latency table (latency.h); fails if the WebSocket's median is above
 *     MAX_MEDIAN_MS or a change was missed.
 * Prints one line per check; exits 1 on the first failure.
 */
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include "net/latency.h"
#include "net/ws_client.h"

using namespace tutti::testing;
using namespace std::chrono_literals;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
    std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
    std::fflush(stdout);
    if (!ok) {
        ++failures;
    }
}

auto of_type(const std::string& type) {
    return [type](const Received& r) { return json_field(r.text, "type") == type; };
}

auto param_is(const std::string& path, double value) {
    return [path, value](const Received& r) {
        return json_field(r.text, "type") == "param" && json_field(r.text, "path") == path &&
               std::fabs(std::strtod(json_field(r.text, "value").c_str(), nullptr) - value) < 1e-4;
    };
}

std::string param(const std::string& path, double v) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "{\"type\":\"param\",\"path\":\"%s\",\"value\":%g}",
                  path.c_str(), v);
    return buf;
}

double http_value(const std::string& host, int port, const std::string& addr) {
    HttpReply r = http_get(host, port, addr);
    std::size_t sp = r.body.find(' ');
    return r.status == 200 && sp != std::string::npos
               ? std::strtod(r.body.c_str() + sp + 1, nullptr)
               : double(NAN);
}

int run_check(const std::string& host, int port, const std::string& json_addr,
              const std::string& httpd_addr, const char* watch, const char* new_source) {
    WsClient a, b;
    std::string error;
    check(a.connect(host, port, "/ws", &error), "client A connects " + error);
    Received first;
    check(a.wait_for([](const Received&) { return true; }, 5s, &first) &&
              json_field(first.text, "type") == "ui" &&
              first.text.find("\"ui\":[") != std::string::npos,
          "the first message is the UI");
    Received values;
    check(a.wait_for(of_type("values"), 5s, &values) &&
              values.text.find("\"" + json_addr + "\":") != std::string::npos,
          "then a snapshot of the values, with " + json_addr);
    check(b.connect(host, port, "/ws", &error), "client B connects " + error);
    check(b.wait_for(of_type("values"), 5s, nullptr), "client B gets its snapshot");

    a.send(param(json_addr, 300));
    check(b.wait_for(param_is(json_addr, 300), 2s, nullptr),
          "A sets " + json_addr + " = 300: B is told");
    bool read_back = false;
    for (int i = 0; i < 100 && !read_back; ++i) {
        read_back = std::fabs(http_value(host, port, json_addr) - 300) < 1e-3;
        std::this_thread::sleep_for(10ms);
    }
    check(read_back, "GET " + json_addr + " reads 300 back from the engine");
    a.send(param(httpd_addr, 400));
    check(b.wait_for(param_is(json_addr, 400), 2s, nullptr),
          "A sets " + httpd_addr + " (httpd spelling) = 400: B is told");
    HttpReply set = http_get(host, port, httpd_addr + "?value=500");
    check(set.status == 200 && set.body.find(" 500.000 ") != std::string::npos,
          "GET " + httpd_addr + "?value=500 answers '" + set.body.substr(0, set.body.size() - 1) +
              "'");
    check(a.wait_for(param_is(json_addr, 500), 2s, nullptr) &&
              b.wait_for(param_is(json_addr, 500), 2s, nullptr),
          "a change over HTTP is pushed to A and B");

    // a value the program computes (the bargraph follows freq) comes through the
    // hub's feedback, as does any change made elsewhere (OSC, the engine)
    a.send(param("/ctl/freq", 1500));
    check(b.wait_for(param_is("/ctl/shown", 1500), 2s, nullptr),
          "A sets /ctl/freq = 1500: B sees the bargraph /ctl/shown follow (hub feedback)");
    // other spellings of the hub's address space: a short name
    a.send(param("freq", 1600));
    check(b.wait_for(param_is("/ctl/freq", 1600), 2s, nullptr),
          "A sets 'freq' (short name): B is told");

    a.send("this is not JSON {");
    Received err;
    const bool got_error = a.wait_for(of_type("error"), 2s, &err);
    check(got_error, "garbage gets an error: " + err.text);
    a.send("{\"type\":\"param\",\"path\":\"/no/such\",\"value\":1}");
    check(a.wait_for(of_type("error"), 2s, nullptr), "an unknown address gets an error");
    a.send(param(json_addr, 600));
    check(b.wait_for(param_is(json_addr, 600), 2s, nullptr), "and A's connection still serves");

    // levels and scope over one second
    const auto t0 = Clock::now();
    std::this_thread::sleep_for(1s);
    int levels = 0, scopes = 0;
    std::string scope_text;
    for (const Received& r : b.all()) {
        if (r.at < t0) {
            continue;
        }
        if (json_field(r.text, "type") == "levels") {
            ++levels;
        } else if (json_field(r.text, "type") == "scope") {
            ++scopes;
            scope_text = r.text;
        }
    }
    check(levels >= 50, "levels messages in one second: " + std::to_string(levels));
    check(scopes >= 20 && scope_text.find("\"rate\":") != std::string::npos &&
              scope_text.find("\"channels\":[[") != std::string::npos,
          "scope messages in one second: " + std::to_string(scopes) + " (" +
              std::to_string(scope_text.size()) + " bytes each)");

    WsClient evil;
    error.clear();
    const bool evil_in = evil.connect(host, port, "/ws", &error, "http://evil.example");
    check(!evil_in, "a WebSocket from a foreign Origin is refused (" + error + ")");

    if (watch != nullptr && new_source != nullptr) {
        std::filesystem::copy_file(new_source, watch,
                                   std::filesystem::copy_options::overwrite_existing);
        Received swap, ui;
        bool swapped = false;
        while (!swapped && b.wait_for(of_type("swap"), 20s, &swap)) {
            swapped = json_field(swap.text, "generation") == "2" &&
                      json_field(swap.text, "committed") == "true";
        }
        check(swapped, "a save gives a swap report: " + swap.text.substr(0, 200));
        // the new UI goes out as soon as the version is ready, around its swap
        bool new_ui = false;
        for (int i = 0; i < 100 && !new_ui; ++i) {
            for (const Received& r : b.all()) {
                new_ui = new_ui || (json_field(r.text, "type") == "ui" &&
                                    json_field(r.text, "generation") == "2" &&
                                    r.text.find("\"/ctl/pan\"") != std::string::npos);
            }
            std::this_thread::sleep_for(50ms);
        }
        check(new_ui, "and the new UI, with /ctl/pan");
    }
    a.close();
    b.close();
    return failures == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    if (argc >= 6 && std::string(argv[1]) == "check") {
        return run_check(argv[2], std::atoi(argv[3]), argv[4], argv[5],
                         argc >= 8 ? argv[6] : nullptr, argc >= 8 ? argv[7] : nullptr);
    }
    if (argc >= 7 && std::string(argv[1]) == "latency") {
        const int n = std::atoi(argv[5]);
        LatencyRun run =
            measure_latency(argv[2], std::atoi(argv[3]), argv[4], n, std::atof(argv[6]), 50, 40);
        if (!run.error.empty()) {
            std::printf("FAILED: %s\n", run.error.c_str());
            return 1;
        }
        std::fputs(latency_table(run, n, 40).c_str(), stdout);
        const double limit = argc >= 8 ? std::atof(argv[7]) : 10;
        check(run.websocket.missed == 0, "no change missed over the WebSocket");
        check(run.websocket.median_ms <= limit,
              "WebSocket median <= " + std::to_string(limit) + " ms");
        return failures == 0 ? 0 : 1;
    }
    std::fprintf(stderr,
                 "usage: %s check HOST PORT JSON_ADDR HTTPD_ADDR [WATCH NEW] | latency "
                 "HOST PORT ADDR N LOW [MAX_MEDIAN_MS]\n",
                 argv[0]);
    return 2;
}
