#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# NetJack (issue 12): prints the must-show tables from the tests that measure
# them, each in a network namespace of its own (tests/tools/in_netns.sh):
#  1. interop with a real jackd, both roles, float / int16 / Opus: round trip
#     in frames, samples compared or SNR;
#  2. the grid (1-256 channels x periods 32-2048, float and int16) through
#     tutti, and libjacknet on the same grid in child processes; Opus on every
#     period the rule takes (NETJACK_OPUS_GRID=full), refused ones said why;
#  3. loss (nft) at 0, 1, 2 %: effective latency over time and concealment SNR,
#     libjacknet's figures in the same run; jitter with reordering (relay);
#  4. Opus: the period rule against libopus at six rates; controls; remote
#     processing; --clock jack.
# Usage: bench/netjack/tables.sh [BUILD_DIR]   (about 4 minutes)
#        NETJACK_LOSS_SECONDS=N for longer loss runs (make netjack-soak: 600 s).
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build}
bin=$build/bin/tutti_netjack_interop_tests
ns=$here/tests/tools/in_netns.sh
[ -x "$bin" ] || { echo "no $bin: build first" >&2; exit 1; }

run() { # filter -> the test's printed lines
    "$ns" "$bin" --gtest_filter="$1" 2>&1
}

echo "## 1. Interop with jackd 1.9.21 (48 kHz)"
echo
echo "| tutti | peer | format, latency, period | result |"
echo "| --- | --- | --- | --- |"
run 'NetJackInterop*:-*Killed*:*Libjacknet*' | sed -n 's/^netjack interop: //p' |
    while IFS= read -r line; do
        case $line in
        "tutti slave"*) role=slave ;;
        *) role=master ;;
        esac
        peer=$(sed -E 's/^tutti (slave|master) (<->|->) ([^,]*),.*/\3/' <<<"$line")
        settings=$(sed -E 's/^[^,]*, ([^:]*):.*/\1/' <<<"$line")
        echo "| $role | $peer | $settings | ${line#*: } |"
    done
run 'NetJackInteropLibjacknet*' | sed -n 's/^netjack interop: \(.*\)/| \1 |/p'
echo
echo "## 2. Grid (tutti master <-> tutti slave; libjacknet in child processes)"
echo
run 'NetJackLoopback.Grid*:NetJackLoopback.Libjacknet*' |
    grep -E '^(netjack grid|libjacknet grid)' | grep -vE 'retry' |
    awk '/^netjack grid/ {n++; if ($0 ~ / ok,/) ok++} /^libjacknet grid: [0-9]+ settings/ {s=$0} {print}
         END {printf "\ntutti: %d of %d settings without a lost or wrong frame\n%s\n", ok, n, s}' |
    tail -n 3
echo
echo "### Opus grid (master paced by the test, 2 Opus passes; every period 32..2048 the rule takes at 48 kHz)"
echo
# (stdout only: the master's refusals on stderr would break its lines)
NETJACK_OPUS_GRID=full "$ns" "$bin" --gtest_filter='NetJackLoopback.OpusGrid*' 2>/dev/null |
    grep -E '^netjack opus grid' |
    awk '/ ok,.*SNR/ {ok++; split($0, a, "SNR "); s = a[2] + 0; if (min == "" || s < min) min = s}
         / refused: / {r++} /FAILED|NOT AS EXPECTED/ {print}
         /settings ran/ {sum = $0}
         END {printf "tutti: %d settings without a lost cycle (worst channel SNR %.1f dB), %d refused periods said why\n%s\n", ok, min, r, sum}'
echo
echo "## 3. Loss (nft numgen drop, both ways; 441 Hz sine, 2 ch, period 256, latency 2)"
echo
run 'NetJackLoopback.LossIsConcealed*' | grep -E '^(netjack loss|libjacknet loss|  (master|slave):)'
echo
echo "### Jitter with reordering through tests/tools/udp_relay.h"
echo
run 'NetJackLoopback.Jitter*' | grep -E '^netjack relay'
echo
echo "## 4. Opus period rule, controls, remote processing, --clock jack"
echo
NETJACK_OPUS_ALL_RATES=1 "$build/bin/tutti_netjack_protocol_tests" --gtest_filter='NetJackOpus*' 2>&1 |
    grep -E '^netjack opus'
run 'NetJackControls*:NetJackRemote*:*JackdClock*:*OpusPeriod*:*RefusesOpus*' |
    grep -E '^netjack (controls|remote|--clock|opus)'
