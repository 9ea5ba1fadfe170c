#!/usr/bin/env bash
# `tutti play --driver null --watch` as a user runs it: start, save an edit of the
# program, see one swap line carrying the state, edit a library it imports, see
# another, save a broken edit, see the error
# and the old version go on, stop with SIGINT, exit 0.
#   tests/cli/play_watch.sh path/to/tutti
set -euo pipefail
tutti=$1
work=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- log:"; cat "$work/log"; exit 1; }
wait_for() { # pattern count
    for _ in $(seq 400); do
        [ "$(grep -c -- "$1" "$work/log" || true)" -ge "$2" ] && return 0
        sleep 0.025
    done
    fail "no '$1' (x$2) within 10 s"
}
cat >"$work/live.dsp" <<'DSP'
import("stdfaust.lib");
process = os.osc(440) : fi.lowpass(2, 2000) <: _, de.delay(4800, 2400) : par(i, 2, *(level));
import("mylib.lib");
DSP
echo 'level = 0.5;' >"$work/mylib.lib"
"$tutti" play "$work/live.dsp" --driver null --watch --fields >"$work/log" 2>&1 &
pid=$!
wait_for '^playing' 1
sed -i 's/os.osc(440)/os.osc(550)/' "$work/live.dsp"
wait_for '^swap 2 ' 1
grep -q '^swap 2 .*reset 0, dropped 0, no crossfade, save to sound' "$work/log" || fail "edit upstream did not carry everything"
grep -q '^  carried  fVec.*live.dsp:2:' "$work/log" || fail "no field line with its location"
# a local library the program imports is followed too
echo 'level = 0.25;' >"$work/mylib.lib"
wait_for '^swap 3 .*reset 0, dropped 0, no crossfade' 1
echo 'process = 1 +;' >>"$work/live.dsp"
wait_for 'not compiled' 1
wait_for 'live.dsp:4:' 1
kill -INT "$pid"
wait "$pid"; rc=$?
pid=
[ "$rc" -eq 0 ] || fail "exit code $rc"
grep -q '^stopped: ' "$work/log" || fail "no summary line"
echo "ok: $(grep -c '^swap' "$work/log") swap lines"
