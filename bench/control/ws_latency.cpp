// SPDX-License-Identifier: MIT
/** \file
 * bench_ws_latency HOST PORT ADDRESS [N] [LOW]: the control latency benchmark
 * of issue 11 section 3 against a running `tutti play` (bench/control/
 * ws_latency.sh starts one): N changes from WebSocket client A, their arrival
 * at WebSocket client B, and in the same run a client polling GET /ADDRESS
 * every 40 ms as Faust's page does; median, mean, p99 and max of each.
 */
#include <cstdio>
#include <cstdlib>

#include "net/latency.h"

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s HOST PORT ADDRESS [N=200] [LOW=100]\n", argv[0]);
        return 2;
    }
    const int n = argc > 4 ? std::atoi(argv[4]) : 200;
    const double low = argc > 5 ? std::atof(argv[5]) : 100;
    tutti::testing::LatencyRun run =
        tutti::testing::measure_latency(argv[1], std::atoi(argv[2]), argv[3], n, low, 50, 40);
    if (!run.error.empty()) {
        std::fprintf(stderr, "bench_ws_latency: %s\n", run.error.c_str());
        return 1;
    }
    std::fputs(tutti::testing::latency_table(run, n, 40).c_str(), stdout);
    return 0;
}
