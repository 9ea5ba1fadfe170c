#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The cost of compiling large programs (issue 9, "bounded cost"): for each
# program of bench/cost/programs, the wall time, CPU time and peak memory (max
# RSS) of
#   tutti check                    source to ready instance (interpreter backend)
#   tutti render (LLVM)            source to running native code, 16 frames rendered (as text to /dev/null:
#                                  libsndfile refuses a WAV file of 20000 channels)
#   tutti render (interpreter)     the same with --backend interp
#   faust -lang cpp                the reference compiler, to C++ (measured in the same run)
# Each command has a time limit (TIMEOUT, default 60 s): past it the figure is
# "> 60 s". Wall time is what a user waits; CPU time (user + system) is what
# the compilation costs when the machine is shared (compare CPU times on a busy
# machine). A benchmark, not a test: it prints figures and fails only when the
# tutti binary is missing.
#
# Usage: bench/cost/cost.sh [BUILD_DIR] [PROGRAM.dsp...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
shift || true
tutti=$build/bin/tutti
timeout_s=${TIMEOUT:-60}
faust=${FAUST:-faust}
if [ ! -x "$tutti" ]; then
    echo "cost.sh: $tutti not found (build first)" >&2
    exit 1
fi
have_faust=1
command -v "$faust" > /dev/null 2>&1 || have_faust=0
programs=("$@")
if [ ${#programs[@]} -eq 0 ]; then
    programs=(par_2000 par_20000 par_100000 sum_sin_1000 sum_sin_2000 sliders_250 sliders_1000
              smoothed_controls_300 mixer_1000_controls)
    programs=("${programs[@]/#/$here/programs/}")
    programs=("${programs[@]/%/.dsp}")
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure CMD...: prints "12.34 s (cpu 3.21), 567 MB" (wall time, user+system
# CPU time, peak RSS) or "> 60 s" or "..., failed: ..."
measure() {
    local err=$tmp/err tm=$tmp/time
    /usr/bin/time -f "%e %U %S %M" -o "$tm" timeout -s KILL "$timeout_s" "$@" > /dev/null 2> "$err"
    local rc=$?
    local secs user sys kb cpu
    read -r secs user sys kb < <(tail -n 1 "$tm" 2> /dev/null)
    cpu=$(awk -v u="${user:-0}" -v s="${sys:-0}" 'BEGIN { printf "%.2f", u + s }')
    if [ $rc -eq 137 ] || [ $rc -eq 124 ]; then
        printf '> %s s' "$timeout_s"
    elif [ $rc -ne 0 ]; then
        local why
        why=$(grep -m1 -E 'error|Error|ERROR' "$err" | cut -c1-60)
        [ -z "$why" ] && why="exit $rc"
        printf '%s s (cpu %s), %s MB, failed: %s' "$secs" "$cpu" "$((kb / 1024))" "$why"
    else
        printf '%s s (cpu %s), %s MB' "$secs" "$cpu" "$((kb / 1024))"
    fi
}

line=$(printf -- '-%.0s' {1..30})
printf '%-22s | %-30s | %-30s | %-30s | %-30s\n' program "tutti check" "tutti render, LLVM" \
    "tutti render, interpreter" "faust -lang cpp"
printf '%-22s-+-%-30s-+-%-30s-+-%-30s-+-%-30s\n' "${line:0:22}" "$line" "$line" "$line" "$line"
for p in "${programs[@]}"; do
    name=$(basename "$p" .dsp)
    check=$(measure "$tutti" check "$p")
    render=$(measure "$tutti" render "$p" -o /dev/null --frames 16)
    interp=$(measure "$tutti" render "$p" -o /dev/null --frames 16 --backend interp)
    if [ $have_faust -eq 1 ]; then
        ref=$(measure "$faust" -lang cpp "$p" -o "$tmp/out.cpp")
    else
        ref="(no faust)"
    fi
    printf '%-22s | %-30s | %-30s | %-30s | %-30s\n' "$name" "$check" "$render" "$interp" "$ref"
done
