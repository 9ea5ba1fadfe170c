// SPDX-License-Identifier: MIT
/** \file
 * Compares two recorded outputs of bench/speed (bench_harness.h's check files).
 * Prints "exact", or "max|d| X (Y of peak), from frame F"; exit 0 when they agree: bit for
 * bit with --exact, else within TOLERANCE times the reference's peak.
 * Usage: bench_speed_compare REFERENCE OTHER [--exact | TOLERANCE]
 */
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "apps/tutti/bench_harness.h"

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: bench_speed_compare REFERENCE OTHER --exact|TOLERANCE\n");
        return 2;
    }
    std::vector<std::vector<float>> a, b;
    if (!tutti::bench::read_check(argv[1], a) || !tutti::bench::read_check(argv[2], b)) {
        std::printf("unreadable\n");
        return 2;
    }
    if (a.size() != b.size() || (!a.empty() && a[0].size() != b[0].size())) {
        std::printf("shape differs\n");
        return 1;
    }
    bool exact = std::strcmp(argv[3], "--exact") == 0;
    double tolerance = exact ? 0 : std::atof(argv[3]);
    double peak = 0, diff = 0;
    bool identical = true;
    std::size_t first = 0, first_channel = 0;
    for (std::size_t c = 0; c < a.size(); ++c) {
        for (std::size_t i = 0; i < a[c].size(); ++i) {
            peak = std::max(peak, double(std::fabs(a[c][i])));
            double d = std::fabs(double(a[c][i]) - double(b[c][i]));
            if (std::memcmp(&a[c][i], &b[c][i], sizeof(float)) != 0) {
                if (identical || i < first) {
                    first = i;
                    first_channel = c;
                }
                identical = false;
                diff = std::isnan(d) ? double(INFINITY) : std::max(diff, d);
            }
        }
    }
    if (identical) {
        std::printf("exact\n");
        return 0;
    }
    double rel = peak > 0 ? diff / peak : diff;
    std::printf("max|d| %.3g (%.2g of peak), from frame %zu (channel %zu)\n", diff, rel, first,
                first_channel);
    return exact ? 1 : (rel <= tolerance ? 0 : 1);
}
