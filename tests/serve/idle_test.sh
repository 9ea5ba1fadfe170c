#!/bin/bash
# SPDX-License-Identifier: MIT
# Orphaned instances expire (tutti serve --instance-idle; docs/serve-api.md):
# two `tutti play --on` clients play through NetJack links; one is killed with
# SIGKILL (no DELETE, its link master gone): its instance disappears from GET
# /v1/instances after the idle timeout; the other, alive and idle (no request
# but its lease renewals and its link), keeps its instance. An instance made by
# curl and never asked about again expires too. A third client that takes the
# killed one's link port at once plays through its own instance: the orphan's
# slave, still looking for its master there, is refused by name.
# 127.0.0.1, ports 30520-30529.
# usage: idle_test.sh TUTTI
set -u
tutti=$(realpath "$1")
port=30520
dir=$(mktemp -d)
spid= apid= bpid= cpid=
cleanup() {
    for p in $apid $bpid $cpid $spid; do kill "$p" 2> /dev/null; wait "$p" 2> /dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for f in serve.out a.out b.out c.out; do echo "--- $f"; cat "$dir/$f"; done
    exit 1
}
cd "$dir" || exit 1
export TUTTI_CACHE_DIR=$dir/local-cache
cat > tone.dsp << 'DSP'
process = os.osc(440) * hslider("gain", 0.1, 0, 1, 0.01) with { os = library("oscillators.lib"); };
DSP
"$tutti" serve --port $port --no-advertise --instance-idle 2 --cache-dir "$dir/cache" > serve.out 2>&1 &
spid=$!
for _ in $(seq 100); do grep -q "tutti serve: http" serve.out && break; sleep 0.1; done
list() { curl -s "http://127.0.0.1:$port/v1/instances"; }
count() { list | grep -o '"id":"[0-9a-f]*"' | wc -l; }
"$tutti" play tone.dsp --on 127.0.0.1:$port --listen 127.0.0.1:30527 --driver null --no-osc --no-http > a.out 2>&1 &
apid=$!
"$tutti" play tone.dsp --on 127.0.0.1:$port --driver null --no-osc --no-http > b.out 2>&1 &
bpid=$!
for _ in $(seq 300); do
    grep -q "the server joined" a.out && grep -q "the server joined" b.out && break
    sleep 0.05
done
grep -q "the server joined" a.out && grep -q "the server joined" b.out || fail "the clients did not link"
[ "$(count)" = 2 ] || fail "two instances expected: $(list)"
key=$(curl -s "http://127.0.0.1:$port/v1/factories" | grep -o '"key":"[0-9a-f]*"' | head -1 | cut -d'"' -f4)
orphan=$(curl -s -X POST -d "{\"factory\":\"$key\"}" "http://127.0.0.1:$port/v1/instances" | cut -d'"' -f4)
[ ${#orphan} = 32 ] || fail "no instance made by curl"
kill -KILL $apid; wait $apid 2> /dev/null; apid=
t0=$(date +%s.%N)
"$tutti" play tone.dsp --on 127.0.0.1:$port --listen 127.0.0.1:30527 --driver null --no-osc --no-http --seconds 2 > c.out 2>&1 &
cpid=$!
wait $cpid; rc=$?; cpid=
[ $rc = 0 ] || fail "the client on the killed one's port exited with $rc"
grep -q "the server joined" c.out || fail "the client on the killed one's port did not link"
grep -q "the slave 'tutti-serve-.*cannot be served: this master waits for the slave" c.out ||
    fail "the orphan's slave was not refused by the client on its port"
grep -q "stopped: .* 0 concealed" c.out || fail "the client on the killed one's port lost blocks"
for _ in $(seq 300); do [ "$(count)" = 1 ] && break; sleep 0.05; done
t1=$(date +%s.%N)
[ "$(count)" = 1 ] || fail "after SIGKILL: $(list)"
grep -q "expired" serve.out || fail "no line for the expired instances"
list | grep -q "\"link\":{" || fail "the live client's instance went: $(list)"
list | grep -q "$orphan" && fail "curl's instance stayed"
# the live client is idle (no request but its lease and link): two more timeouts
sleep 4
[ "$(count)" = 1 ] || fail "the live client's instance went after 4 s more: $(list)"
kill -0 $bpid || fail "the live client stopped"
grep -q "stopped answering" b.out && fail "the live client lost its server"
kill -INT $bpid; wait $bpid; rc=$?; bpid=
[ $rc = 0 ] || fail "the live client exited with $rc"
[ "$(count)" = 0 ] || fail "the live client did not delete its instance: $(list)"
grep "expired" serve.out
grep -m1 "cannot be served" c.out
printf "idle: the killed client's instance expired %.1f s after SIGKILL (idle timeout 2 s, link peer timeout 2 s); the live idle client's stayed 4 s more\n" \
    "$(echo "$t1 - $t0" | bc)"
echo PASS
