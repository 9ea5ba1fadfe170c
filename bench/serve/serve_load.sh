#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tutti serve under load (issue 13): a server process with --jobs JOBS on
# 127.0.0.1:PORT; first one compilation alone (the anchor), then CLIENTS clients
# compiling different programs at once (curl, each its own connection) while one
# more sends a program that runs out of the time limit (--max-seconds LIMIT).
# Prints each client's latency and its ratio to the anchor, the bad client's
# answer, and the server's peak resident memory (VmHWM) before and after.
#   bench/serve/serve_load.sh [BUILD=build] [PORT=26600] [JOBS=3] [CLIENTS=8] [LIMIT=10]
set -euo pipefail
build="${1:-build}"
port="${2:-26600}"
jobs="${3:-3}"
clients="${4:-8}"
limit="${5:-10}"
tutti="$build/bin/tutti"
work=$(mktemp -d /tmp/tutti-serve-load.XXXXXX)
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
url="http://127.0.0.1:$port/v1"

# a fresh code cache: every compilation here is a miss (a compile, then stored)
"$tutti" serve --port "$port" --jobs "$jobs" --max-seconds "$limit" --no-advertise \
    --cache-dir "$work/cache" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    curl -sf "$url/health" > /dev/null && break
    sleep 0.05
done
hwm() { awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$server/status"; }
echo "server pid $server, $jobs workers, limit $limit s; peak RSS at start: $(hwm)"

program() { # name freq
    printf 'import("stdfaust.lib");\nprocess = os.osc(%s) * hslider("gain", 0.5, 0, 1, 0.01) : fi.lowpass(2, %s);\n' "$2" "$(($2 * 4))" > "$work/$1.dsp"
    "$tutti" bundle "$work/$1.dsp" > "$work/$1.bundle"
}
post() { # name -> "status seconds"
    curl -s -o "$work/$1.answer" -w '%{http_code} %{time_total}\n' --data-binary @"$work/$1.bundle" \
        "$url/factories"
}
program anchor 100
read -r status anchor < <(post anchor)
echo "anchor: one compilation alone: $status in $(awk -v t="$anchor" 'BEGIN {printf "%.0f ms", t * 1000}')"

printf 'process = sum(i, 3000000, sin(i*_));\n' > "$work/slow.dsp"
"$tutti" bundle "$work/slow.dsp" > "$work/slow.bundle"
for k in $(seq 1 "$clients"); do program "p$k" $((200 + 10 * k)); done
post slow > "$work/slow.result" &
bad=$!
sleep 0.1
pids=()
for k in $(seq 1 "$clients"); do
    post "p$k" > "$work/p$k.result" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
refused=0
for k in $(seq 1 "$clients"); do
    read -r status t < "$work/p$k.result"
    [ "$status" = 201 ] || [ "$status" = 200 ] || refused=$((refused + 1))
    awk -v k="$k" -v s="$status" -v t="$t" -v a="$anchor" \
        'BEGIN {printf "client %d: HTTP %s in %.0f ms (%.1fx the anchor)\n", k, s, t * 1000, t / a}'
done
echo "peak RSS after the good clients: $(hwm)"
wait "$bad"
read -r status t < "$work/slow.result"
awk -v s="$status" -v t="$t" 'BEGIN {printf "bad client: HTTP %s after %.0f ms: ", s, t * 1000}'
sed 's/.*"error":"\([^"]*\)".*/\1/' "$work/slow.answer" | head -c 200
echo
echo "peak RSS of the server: $(hwm); clients refused: $refused"
curl -s "$url/health"
echo
