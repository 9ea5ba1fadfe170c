#!/usr/bin/env bash
# Edit-to-sound latency of `tutti play --watch`: the time from saving a program
# to the first block computed by the new version (the "save to sound" of each
# swap line), on the null driver (48 kHz, 64-frame blocks).
#
#   scripts/edit_latency.sh PROGRAM.dsp [EDITS]     (default 8 edits)
#
# The program is copied to a temporary folder; each edit appends a comment and
# saves; the script waits for that swap's line. Prints every swap line, then the
# median save-to-sound and compile times. The reference `faust -lang cpp` time
# of the same program is printed as the anchor (faust's own translation only:
# no C++ compilation, no audio).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tutti=${TUTTI_BIN:-$here/build/bin/tutti}
program=$1
edits=${2:-8}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
cp "$program" "$work/live.dsp"
"$tutti" play "$work/live.dsp" --driver null --watch --seconds 600 >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 200); do grep -q '^playing' "$work/log" && break; sleep 0.05; done
grep -q '^playing' "$work/log" || { cat "$work/log"; exit 1; }
for i in $(seq "$edits"); do
    echo "// edit $i" >>"$work/live.dsp"
    for _ in $(seq 400); do
        [ "$(grep -c '^swap' "$work/log")" -ge "$i" ] && break
        sleep 0.025
    done
    sleep 0.2
done
grep '^swap' "$work/log"
anchor=$( { /usr/bin/time -f '%e' faust -lang cpp "$program" -o /dev/null; } 2>&1 | tail -1)
awk -v anchor="$anchor" '
    /^swap/ {
        for (i = 1; i <= NF; ++i) {
            if ($i == "compile") c[n] = $(i + 1) + 0
            if ($i == "sound") s[n] = $(i + 1) + 0
        }
        n++
    }
    function median(a, k,   i, j, t) {
        for (i = 0; i < k; ++i) for (j = i + 1; j < k; ++j) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return a[int(k / 2)]
    }
    END {
        if (n == 0) { print "no swap seen"; exit 1 }
        printf "%d swaps: median save to sound %.1f ms, median compile %.1f ms; faust -lang cpp (anchor) %.0f ms\n",
               n, median(s, n), median(c, n), anchor * 1000
    }' "$work/log"
