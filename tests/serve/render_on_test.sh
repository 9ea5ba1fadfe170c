#!/bin/bash
# SPDX-License-Identifier: MIT
# tutti render --on (issue 13): a render on a compile server gives the local
# render's output byte for byte (WAV and text, single and double, llvm and
# interpreter, an input file, controls moving, fast math), and its errors as a
# local render gives them (same stderr, same exit code); a server that is not
# there, bad options. (Text outputs compared byte for byte; WAVs too, but for
# the time stamp of libsndfile's PEAK chunk.) Port 29010 on 127.0.0.1 (serve2's range 29000-29499).
# usage: render_on_test.sh TUTTI SOURCE_DIR
set -u
tutti=$1
src=$2
port=29010
dir=$(mktemp -d)
export TUTTI_CACHE_DIR=$dir/local-cache
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$tutti" serve --port $port --no-advertise --cache-dir "$dir/server-cache" > "$dir/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/v1/health" > /dev/null && break
    sleep 0.1
done
curl -sf "http://127.0.0.1:$port/v1/health" > /dev/null || { cat "$dir/serve.log"; fail "the server did not start"; }
on="--on 127.0.0.1:$port"
cd "$dir" || exit 1
cp "$src/tests/serve/render_fx.dsp" "$src/tests/serve/render_bad.dsp" .
cp -r "$src/tests/serve/render_lib" .
# an input file: a render of noise through another program, 3 channels
printf 'process = _ <: _, *(0.5), sin;\n' > three.dsp
"$tutti" render three.dsp -o in3.wav --input noise --frames 7000 || fail "cannot make the input file"

# Equal files; for WAV, but the time stamp libsndfile writes into its PEAK
# chunk (the second the file was written: two local renders differ there too).
same_file() {
    python3 - "$1" "$2" <<'PY'
import sys
a, b = (bytearray(open(f, 'rb').read()) for f in sys.argv[1:3])
for x in (a, b):
    p = x.find(b'PEAK')
    if sys.argv[1].endswith('.wav') and 0 <= p < 200:
        x[p + 12:p + 16] = b'\0\0\0\0'
sys.exit(0 if a == b else 1)
PY
}
n=0
same() { # PROGRAM OUTPUT-EXT OPTIONS...: local and remote outputs and stderr equal
    local prog=$1 ext=$2
    shift 2
    n=$((n + 1))
    "$tutti" render "$prog" -o "local$n.$ext" "$@" 2> "local$n.err"
    local r1=$?
    "$tutti" render "$prog" -o "remote$n.$ext" "$@" $on 2> "remote$n.err"
    local r2=$?
    [ $r1 = $r2 ] || fail "case $n ($prog $*): exit $r1 locally, $r2 on the server"
    if [ $r1 = 0 ]; then
        same_file "local$n.$ext" "remote$n.$ext" || fail "case $n ($prog $*): the outputs differ"
    fi
    cmp "local$n.err" "remote$n.err" || { diff "local$n.err" "remote$n.err"; fail "case $n ($prog $*): stderr differs"; }
    echo "ok $n: $prog $* (exit $r1)"
}
same render_fx.dsp wav --input noise --frames 5000 --set-at 1000:gain=0.9 --set-at 3001:freq=200
same render_fx.dsp txt --input in3.wav --frames 6000 --set-at 10:freq=3000 --set-at 4000:gain=0.1 --set gain=0.2
same render_fx.dsp txt --input in3.wav --frames 9000 --double --block 37
same render_fx.dsp txt --input mix --frames 3000 --backend interp --set-at 700:freq=150
same render_fx.dsp wav --input mix --seconds 0.1 --sample-rate 48000 --math fast --opt-level 3
same "$src/tests/net/control.dsp" txt --frames 2000 --set freq=1000 --press-buttons 500 --set-at 999:on=1
# errors as local renders give them
same render_fx.dsp txt --set nope=1
same render_fx.dsp txt --set-at 100:nope=1 --set-at 200:other=2
same render_bad.dsp txt
[ "$(wc -l < "remote$n.err")" -ge 3 ] && grep -q "render_lib/broken.lib:1:9: error" "remote$n.err" \
    || fail "the diagnostic of an imported file: $(cat "remote$n.err")"
same "$dir/render_bad.dsp" txt
same render_fx.dsp txt --set-at x:gain=1
# what only a server refuses
"$tutti" render render_fx.dsp -o x.txt --frames 100000000 $on 2> big.err
[ $? = 2 ] && grep -q "400: render: frames" big.err || fail "a too long render: $(cat big.err)"
"$tutti" render render_fx.dsp -o x.txt --frames 67108864 $on 2> huge.err
[ $? = 2 ] && grep -q "413: render: 67108864 frames of 2 inputs and 2 outputs exceed" huge.err \
    || fail "a render too large to hold: $(cat huge.err)"
"$tutti" render render_fx.dsp -o x.txt --swap-at 100:render_fx.dsp $on 2> swap.err
[ $? = 2 ] && grep -q "swap-at" swap.err || fail "--swap-at: $(cat swap.err)"
curl -s --data-binary 'tutti-render 1
options 3
xx
' "http://127.0.0.1:$port/v1/render" > raw.out
grep -q '"error":"render: ' raw.out || fail "a malformed request: $(cat raw.out)"
# a server that is not there
kill "$pid"; wait "$pid" 2>/dev/null; pid=
"$tutti" render render_fx.dsp -o x.txt $on 2> down.err
[ $? = 2 ] && grep -q "cannot reach the server at 127.0.0.1:$port" down.err || fail "server down: $(cat down.err)"
echo "render --on: $n cases equal to local renders; errors ok"
