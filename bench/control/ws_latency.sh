#!/usr/bin/env bash
# The control latency benchmark (issue 11 section 3): starts `tutti play` on the
# null driver with tests/net/control.dsp on 127.0.0.1 (port 22200 or the next
# free one), runs bench_ws_latency against it (N changes, default 200), stops it.
#   bench/control/ws_latency.sh [BUILD_DIR] [N]
set -euo pipefail
build=${1:-build}
n=${2:-200}
root=$(cd "$(dirname "$0")/../.." && pwd)
log=$(mktemp)
"$build/bin/tutti" play "$root/tests/net/control.dsp" --driver null --no-osc --http-port 22200 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
port=
for _ in $(seq 400); do
    port=$(sed -n 's|^control: HTTP http://127.0.0.1:\([0-9]*\)/$|\1|p' "$log")
    [ -n "$port" ] && break
    sleep 0.025
done
[ -n "$port" ] || { cat "$log"; exit 1; }
"$build/bin/bench_ws_latency" 127.0.0.1 "$port" /ctl/freq "$n" 100
