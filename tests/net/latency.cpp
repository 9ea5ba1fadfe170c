// SPDX-License-Identifier: MIT
/** \file
 * The latency measurement of latency.h.
 */
#include "net/latency.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "net/ws_client.h"

namespace tutti::testing {

namespace {

LatencyStats stats_of(std::vector<double> ms, int n) {
    LatencyStats s;
    s.count = ms.size();
    s.missed = std::size_t(n) - ms.size();
    if (ms.empty()) {
        return s;
    }
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) {
        std::size_t i = std::size_t(std::ceil(q * double(ms.size()))) - 1;
        return ms[std::min(i, ms.size() - 1)];
    };
    s.median_ms = at(0.5);
    s.p99_ms = at(0.99);
    s.max_ms = ms.back();
    double sum = 0;
    for (double v : ms) {
        sum += v;
    }
    s.mean_ms = sum / double(ms.size());
    return s;
}

double value_after_space(const std::string& body) {
    std::size_t sp = body.find(' ');
    return sp == std::string::npos ? double(NAN) : std::strtod(body.c_str() + sp + 1, nullptr);
}

} // namespace

LatencyRun measure_latency(const std::string& host, int port, const std::string& address, int n,
                           double low, int spacing_ms, int poll_ms) {
    LatencyRun run;
    WsClient a, b;
    if (!a.connect(host, port, "/ws", &run.error) || !b.connect(host, port, "/ws", &run.error)) {
        return run;
    }
    // both have had their snapshot before the first change
    auto is_values = [](const Received& r) { return json_field(r.text, "type") == "values"; };
    if (!a.wait_for(is_values, std::chrono::seconds(5), nullptr) ||
        !b.wait_for(is_values, std::chrono::seconds(5), nullptr)) {
        run.error = "no values snapshot";
        return run;
    }
    const std::size_t count = std::size_t(n);
    std::vector<Clock::time_point> sent(count);
    std::vector<Clock::time_point> polled(count);
    std::vector<bool> poll_seen(count, false);
    std::atomic<int> current{-1};
    std::atomic<bool> stop{false};
    std::mutex m;
    // the 40 ms poller, as Faust's page
    std::thread poller([&] {
        auto next = Clock::now();
        while (!stop.load()) {
            HttpReply r = http_get(host, port, address);
            const auto now = Clock::now();
            const double v = value_after_space(r.body);
            const int k = int(std::lround(v - low));
            if (r.status == 200 && k >= 0 && k < n && std::fabs(v - (low + k)) < 1e-3) {
                std::lock_guard<std::mutex> l(m);
                if (!poll_seen[std::size_t(k)] && k <= current.load()) {
                    poll_seen[std::size_t(k)] = true;
                    polled[std::size_t(k)] = now;
                }
            }
            next += std::chrono::milliseconds(poll_ms);
            std::this_thread::sleep_until(next);
        }
    });
    for (int k = 0; k < n; ++k) {
        char msg[256];
        std::snprintf(msg, sizeof msg, "{\"type\":\"param\",\"path\":\"%s\",\"value\":%.17g}",
                      address.c_str(), low + k);
        {
            std::lock_guard<std::mutex> l(m);
            sent[std::size_t(k)] = Clock::now();
            current = k;
        }
        a.send(msg);
        std::this_thread::sleep_for(std::chrono::milliseconds(spacing_ms));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2 * poll_ms + 50));
    stop = true;
    poller.join();
    std::vector<double> ws_ms, poll_ms_v;
    std::vector<bool> ws_seen(count, false);
    for (const Received& r : b.all()) {
        if (json_field(r.text, "type") != "param" || json_field(r.text, "path") != address) {
            continue;
        }
        const double v = std::strtod(json_field(r.text, "value").c_str(), nullptr);
        const int k = int(std::lround(v - low));
        if (k >= 0 && k < n && !ws_seen[std::size_t(k)] && std::fabs(v - (low + k)) < 1e-3) {
            ws_seen[std::size_t(k)] = true;
            ws_ms.push_back(
                std::chrono::duration<double, std::milli>(r.at - sent[std::size_t(k)]).count());
        }
    }
    for (int k = 0; k < n; ++k) {
        if (poll_seen[std::size_t(k)]) {
            poll_ms_v.push_back(std::chrono::duration<double, std::milli>(polled[std::size_t(k)] -
                                                                          sent[std::size_t(k)])
                                    .count());
        }
    }
    run.websocket = stats_of(ws_ms, n);
    run.polling = stats_of(poll_ms_v, n);
    return run;
}

std::string latency_table(const LatencyRun& run, int n, int poll_ms) {
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "%d changes, client A -> client B, loopback\n"
                  "%-26s %8s %8s %8s %8s %6s\n"
                  "%-26s %8.3f %8.3f %8.3f %8.3f %6zu\n"
                  "%-26s %8.3f %8.3f %8.3f %8.3f %6zu\n",
                  n, "client", "median", "mean", "p99", "max", "missed", "WebSocket push (ms)",
                  run.websocket.median_ms, run.websocket.mean_ms, run.websocket.p99_ms,
                  run.websocket.max_ms, run.websocket.missed,
                  ("GET every " + std::to_string(poll_ms) + " ms (ms)").c_str(),
                  run.polling.median_ms, run.polling.mean_ms, run.polling.p99_ms,
                  run.polling.max_ms, run.polling.missed);
    return buf;
}

} // namespace tutti::testing
