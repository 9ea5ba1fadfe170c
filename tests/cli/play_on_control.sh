#!/bin/bash
# SPDX-License-Identifier: MIT
# `tutti play --on HOST` starts the OSC and HTTP control servers as a local
# `tutti play` does (issue 13): a control set by HTTP (curl) or OSC (oscsend)
# reaches the server's instance through the link, and the instance's bargraph
# comes back through the link: read by HTTP GET and OSC get (oscdump) here
# with the server's value, without a request to the server per read.
# 127.0.0.1, ports 30540-30549.
#   tests/cli/play_on_control.sh path/to/tutti
set -u
tutti=$(realpath "$1")
if ! command -v oscsend > /dev/null || ! command -v oscdump > /dev/null; then
    echo "SKIP: oscsend/oscdump missing (apt-get install liblo-tools; scripts/setup.sh)"
    exit 77
fi
dir=$(mktemp -d)
spid= ppid_= dpid=
cleanup() {
    for p in $ppid_ $dpid $spid; do kill "$p" 2> /dev/null; wait "$p" 2> /dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for f in serve.out play.out osc.out; do echo "--- $f"; grep -av "█" "$dir/$f"; done
    exit 1
}
cd "$dir" || exit 1
export TUTTI_CACHE_DIR=$dir/local-cache
api=http://127.0.0.1:30540/v1
ctl=http://127.0.0.1:30545
eventually() { # command...: true within 10 s
    for _ in $(seq 200); do "$@" && return 0; sleep 0.05; done
    return 1
}
cat > meter.dsp << 'DSP'
process = hslider("gain", 0.5, 0, 1, 0.01) : hbargraph("level", 0, 1);
DSP
"$tutti" serve --port 30540 --no-advertise --cache-dir "$dir/cache" > serve.out 2>&1 &
spid=$!
eventually curl -sf -o /dev/null "$api/health" || fail "the server did not start"
oscdump -L 30542 > osc.out 2>&1 &
dpid=$!
"$tutti" play meter.dsp --on 127.0.0.1:30540 --driver null --osc-port 30541 --osc-outport 30542 \
    --osc-errport 30543 --http-port 30545 > play.out 2>&1 &
ppid_=$!
eventually grep -q "the server joined" play.out || fail "no link"
grep -q "^OSC: " play.out || fail "no OSC server"
id=$(curl -s "$api/instances" | grep -o '"id":"[0-9a-f]*"' | head -1 | cut -d'"' -f4)
server_gain() { curl -s "$api/instances/$id/controls?path=gain" | grep -o '"value":[0-9.]*' | cut -d: -f2; }
is() { [ "$("${@:2}")" = "$1" ]; }
# HTTP: set here, heard there; the bargraph back here
answer=$(curl -s "$ctl/meter/gain?value=0.25")
case "$answer" in "/meter/gain 0.25"*) ;; *) fail "HTTP set answered '$answer'" ;; esac
eventually is 0.25 server_gain || fail "the server's gain is $(server_gain), not 0.25"
echo "HTTP set /meter/gain 0.25 here: the server's instance has gain $(server_gain)"
level() { curl -s "$ctl/meter/level" | awk '{ printf "%g", $2 }'; }
eventually is 0.25 level || fail "the bargraph here reads $(level), not 0.25"
echo "HTTP GET /meter/level here: $(curl -s "$ctl/meter/level")"
# OSC: set here, heard there; the bargraph back here (get, answered on the out port)
oscsend 127.0.0.1 30541 /meter/gain f 0.75
eventually is 0.75 server_gain || fail "OSC: the server's gain is $(server_gain), not 0.75"
echo "OSC /meter/gain 0.75 here: the server's instance has gain $(server_gain)"
eventually is 0.75 level || fail "the bargraph here reads $(level), not 0.75"
oscsend 127.0.0.1 30541 /meter/level s get
eventually grep -aqE "/meter/level fff 0.75(0*)? " osc.out || fail "OSC get of the bargraph"
echo "OSC get /meter/level here: $(grep -a "/meter/level fff" osc.out | tail -1)"
kill -INT $ppid_
wait $ppid_
rc=$?
ppid_=
[ $rc = 0 ] || fail "tutti play --on exited with $rc"
[ "$(curl -s "$api/instances")" = '{"instances":[]}' ] || fail "the instance stayed"
echo PASS
