#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tutti serve under load (issue 13): a server process with --jobs JOBS on
# 127.0.0.1:PORT, each compilation in a compiler process of its own bounded by
# --compile-memory MEMORY MiB (MODE=child, the default) or in the server's
# process (MODE=process: --compile-in-process). First one compilation alone
# (the anchor), then CLIENTS clients compiling different programs at once
# (curl, each its own connection) while one more sends a program that
# exhausts memory (BAD=memory: 2^26 outputs doubled definition by definition;
# BAD=grow: 2^24 inputs mixed, which grows where the compiler's own memory
# checks do not look) or time (BAD=time: a sum of 3 000 000 terms, --max-seconds
# LIMIT), or several (BAD=memory,time).
# Prints each client's latency and its ratio to the anchor, the bad clients'
# answers, the server's peak resident memory (VmHWM) and the largest compiler
# process's. Then (OVERHEAD=N, default 6) the cost of the compiler process: N
# small programs compiled one after the other, alternately on this server and
# on one that compiles in its own process, both without the cache.
#   bench/serve/serve_load.sh [BUILD=build] [PORT=26600] [JOBS=3] [CLIENTS=8] [LIMIT=10]
#                             [MEMORY=512] [MODE=child] [BAD=memory] [OVERHEAD=6]
set -euo pipefail
build="${1:-build}"
port="${2:-26600}"
jobs="${3:-3}"
clients="${4:-8}"
limit="${5:-10}"
memory="${6:-512}"
mode="${7:-child}"
bad_kinds="${8:-memory}"
overhead="${9:-6}"
tutti="$build/bin/tutti"
work=$(mktemp -d /tmp/tutti-serve-load.XXXXXX)
servers=()
cleanup() {
    for s in "${servers[@]}"; do
        kill "$s" 2>/dev/null || true
        wait "$s" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
url="http://127.0.0.1:$port/v1"
flags=()
[ "$mode" = process ] && flags+=(--compile-in-process)

start() { # port log args... -> pid in $started
    local p=$1 log=$2
    shift 2
    "$tutti" serve --port "$p" --jobs "$jobs" --max-seconds "$limit" --compile-memory "$memory" \
        --no-advertise "$@" > "$log" 2>&1 &
    started=$!
    servers+=("$started")
    for _ in $(seq 200); do
        curl -sf "http://127.0.0.1:$p/v1/health" > /dev/null && return
        sleep 0.05
    done
}
# a fresh code cache: every compilation here is a miss (a compile, then stored)
start "$port" "$work/serve.log" --cache-dir "$work/cache" "${flags[@]}"
server=$started
hwm() { awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$server/status"; }
echo "server pid $server ($mode), $jobs workers, limits $limit s and $memory MiB; peak RSS at start: $(hwm)"

program() { # name freq
    printf 'import("stdfaust.lib");\nprocess = os.osc(%s) * hslider("gain", 0.5, 0, 1, 0.01) : fi.lowpass(2, %s);\n' "$2" "$(($2 * 4))" > "$work/$1.dsp"
    "$tutti" bundle "$work/$1.dsp" > "$work/$1.bundle"
}
post() { # name [url] -> "status seconds" (no Expect: 100-continue, whose wait curl would add)
    curl -s -H 'Expect:' -o "$work/$1.answer" -w '%{http_code} %{time_total}\n' \
        --data-binary @"$work/$1.bundle" "${2:-$url}/factories"
}
program anchor 100
read -r status anchor < <(post anchor)
echo "anchor: one compilation alone: $status in $(awk -v t="$anchor" 'BEGIN {printf "%.0f ms", t * 1000}')"

printf 'process = sum(i, 3000000, sin(i*_));\n' > "$work/time.dsp"
{
    echo "b0 = _;"
    for i in $(seq 1 26); do echo "b$i = b$((i - 1)), b$((i - 1));"; done
    echo "process = 1 <: b26;"
} > "$work/memory.dsp"
{
    echo "b0 = _;"
    for i in $(seq 1 24); do echo "b$i = b$((i - 1)), b$((i - 1));"; done
    echo "process = b24 :> _;"
} > "$work/grow.dsp"
for k in $(seq 1 "$clients"); do program "p$k" $((200 + 10 * k)); done
bads=()
for kind in ${bad_kinds//,/ }; do
    "$tutti" bundle "$work/$kind.dsp" > "$work/$kind.bundle"
    post "$kind" > "$work/$kind.result" &
    bads+=("$kind:$!")
done
sleep 0.1
pids=()
for k in $(seq 1 "$clients"); do
    post "p$k" > "$work/p$k.result" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
refused=0
slowest=0
for k in $(seq 1 "$clients"); do
    read -r status t < "$work/p$k.result"
    [ "$status" = 201 ] || [ "$status" = 200 ] || refused=$((refused + 1))
    slowest=$(awk -v a="$slowest" -v b="$t" 'BEGIN {print (b > a ? b : a)}')
    awk -v k="$k" -v s="$status" -v t="$t" -v a="$anchor" \
        'BEGIN {printf "client %d: HTTP %s in %.0f ms (%.1fx the anchor)\n", k, s, t * 1000, t / a}'
done
echo "slowest good client: $(awk -v t="$slowest" 'BEGIN {printf "%.0f ms", t * 1000}'); peak RSS after the good clients: $(hwm)"
for b in "${bads[@]}"; do
    kind=${b%%:*}
    wait "${b##*:}"
    read -r status t < "$work/$kind.result"
    awk -v k="$kind" -v s="$status" -v t="$t" 'BEGIN {printf "bad client (%s): HTTP %s after %.0f ms: ", k, s, t * 1000}'
    sed 's/.*"error":"\([^"]*\)".*/\1/' "$work/$kind.answer" | head -c 240
    echo
done
echo "peak RSS of the server: $(hwm); clients refused: $refused"
health=$(curl -s "$url/health")
echo "$health"
echo "largest compiler process: $(echo "$health" | sed -n 's/.*"peak_rss_mb":\([0-9.]*\).*/\1/p' | awk '{printf "%.0f MiB", $1}')"

# the compiler process's cost on a small program: this server (its mode) and
# one in the other mode, both without the cache, requests alternated
[ "$overhead" -gt 0 ] || exit 0
other=(--compile-in-process)
other_mode=process
if [ "$mode" = process ]; then
    other=()
    other_mode=child
fi
start $((port + 1)) "$work/serve2.log" --no-cache "${other[@]}"
start $((port + 2)) "$work/serve3.log" --no-cache "${flags[@]}"
small() { # name freq
    printf 'process = os.osc(%s) : *(0.5);\nimport("stdfaust.lib");\n' "$2" > "$work/$1.dsp"
    "$tutti" bundle "$work/$1.dsp" > "$work/$1.bundle"
}
: > "$work/$mode.times"
: > "$work/$other_mode.times"
for k in $(seq 1 "$overhead"); do
    small "a$k" $((1000 + k))
    small "b$k" $((2000 + k))
    post "a$k" "http://127.0.0.1:$((port + 2))/v1" >> "$work/$mode.times"
    post "b$k" "http://127.0.0.1:$((port + 1))/v1" >> "$work/$other_mode.times"
done
for m in child process; do
    sort -k2 -n "$work/$m.times" | awk -v m="$m" '{t[NR] = $2} END {
        printf "small program, compiled %s: median %.0f ms, min %.0f, max %.0f (%d runs)\n",
            (m == "child" ? "in a compiler process" : "in the server process"),
            t[int((NR + 1) / 2)] * 1000, t[1] * 1000, t[NR] * 1000, NR}'
done
