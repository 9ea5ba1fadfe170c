// SPDX-License-Identifier: MIT
/** \file
 * The control latency measurement of issue 11 section 3, shared by the
 * benchmark (bench/control/ws_latency.cpp) and its bounded test
 * (tests/net/control_client.cpp): client A sets a control over the WebSocket,
 * N times; client B (another WebSocket) timestamps each new value's arrival;
 * in the same run a third client polls `GET /<address>` every 40 ms as Faust's
 * page does and timestamps when each value first shows. Latency: from A's send
 * to the arrival at B (or at the poller).
 */
#pragma once

#include <string>
#include <vector>

namespace tutti::testing {

struct LatencyStats {
    std::size_t count = 0, missed = 0;
    double median_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
};

struct LatencyRun {
    LatencyStats websocket, polling;
    std::string error; ///< set when the run could not be made
};

/// `address` must be a slider whose range holds [low, low + n).
LatencyRun measure_latency(const std::string& host, int port, const std::string& address, int n,
                           double low, int spacing_ms, int poll_ms);

/// The table both programs print.
std::string latency_table(const LatencyRun& run, int n, int poll_ms);

} // namespace tutti::testing
