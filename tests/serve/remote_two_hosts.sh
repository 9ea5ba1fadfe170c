#!/bin/bash
# Compute anywhere between two "hosts" (issue 13): network namespaces A
# (10.77.28.1) and B (10.77.28.2) joined by a veth pair, each with its own
# D-Bus system bus and avahi-daemon (the set-up of
# tests/discovery/discovery_two_hosts.sh). A runs `tutti serve --listen` with a
# token; from B:
#  1. discovery: `tutti machines` finds the server (address, port);
#  2. tutti_link_client: a factory made from a bundle and listed, an instance,
#     its audio over a NetJack link (float): impulse and sine round trip equal
#     to a local render shifted by the link latency, a control moved inside a
#     block, an edit swapped in on the server with its state carried (a counter
#     and a delay line go on);
#  3. `tutti factories A` lists the factories (and refuses without the token);
#  4. `tutti play prog.dsp --on A --token T --driver null --watch`: a save
#     swapped in on the server; then the server is killed (SIGKILL): play says
#     so on stderr, plays on (silence) and stops at --seconds, exit 0.
# A short transcript is printed. Needs root (ip netns).
# usage: remote_two_hosts.sh TUTTI LINK_CLIENT
set -u
TUTTI=$1
CLIENT=$2
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: ip netns needs root"
    exit 77
fi
for tool in avahi-daemon dbus-daemon python3; do
    command -v $tool > /dev/null || { echo "SKIP: $tool is not installed (scripts/setup.sh)"; exit 77; }
done
A=trA_$$ B=trB_$$
IA=10.77.28.1 IB=10.77.28.2
PORT=7777
TOKEN=tok$$secret
dir=$(mktemp -d /tmp/tutti_remote.XXXXXX)
VA="ra$$" VB="rb$$"
. "$(dirname "$0")/../tools/two_hosts.sh"
two_hosts_up

BUS_A="DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/a/bus"
BUS_B="DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/b/bus"
start_bus a
start_bus b
start_avahi "$A" a "$VA" hosta
start_avahi "$B" b "$VB" hostb
echo "two hosts up (veth, 2 D-Bus buses, 2 avahi-daemons) in $(since "$T0") s"

# A: the server, off loopback, with a token
ip netns exec "$A" env "$BUS_A" "$TUTTI" serve --listen $IA --port $PORT --token "$TOKEN" --jobs 1 \
    > "$dir/serve.log" 2>&1 &
SERVE=$!
pids+=($SERVE)
wait_for "$dir/serve.log" "http://$IA:$PORT/v1" 10 || fail "tutti serve did not start"
wait_for "$dir/serve.log" "advertised" 10 || fail "tutti serve was not advertised"
echo "A: $(grep -m1 "http://$IA" "$dir/serve.log")"

# 1. discovery from B
t=$(date +%s.%N)
ip netns exec "$B" env "$BUS_B" "$TUTTI" machines --timeout 5 > "$dir/machines.txt" 2> "$dir/machines.err" ||
    fail "tutti machines (B) exited with $?"
line=$(grep -E "  *$IA  *$PORT  *" "$dir/machines.txt" | head -1)
[ -n "$line" ] || fail "B does not discover the server at $IA:$PORT: $(cat "$dir/machines.txt")"
echo "B: tutti machines ($(since "$t") s): $line"

# 2. the client: factory, list, instance, audio over the link, control, swap
t=$(date +%s.%N)
ip netns exec "$B" "$CLIENT" "$IA:$PORT" "$TOKEN" > "$dir/client.log" 2>&1
rc=$?
sed 's/^/B: /' "$dir/client.log" | grep -v '^B: listed:'
[ $rc = 0 ] || fail "link_client exited with $rc"
grep -q "^round trip: latency 192 frames .* max |diff| vs the local render shifted 0 " "$dir/client.log" ||
    fail "round trip"
grep -q "^instance [0-9a-f]* linked: {\"master\":\"$IB:19100\"" "$dir/client.log" ||
    fail "the server did not join B's address $IB"
grep -q "^swap: the counter went on .* max |diff| vs the local render 0 " "$dir/client.log" || fail "swap"
echo "B: link_client done in $(since "$t") s"

# 3. the factory list, with and without the token
ip netns exec "$B" "$TUTTI" factories "$IA:$PORT" --token "$TOKEN" > "$dir/factories.txt" 2>&1 ||
    fail "tutti factories exited with $?"
key=$(sed -n 's/^factory: \([0-9a-f]*\) .*/\1/p' "$dir/client.log")
grep -q "${key:0:16}" "$dir/factories.txt" || fail "tutti factories does not list ${key:0:16}: $(cat "$dir/factories.txt")"
echo "B: tutti factories $IA:$PORT --token ...:"
sed 's/^/B:   /' "$dir/factories.txt"
ip netns exec "$B" "$TUTTI" factories "$IA:$PORT" > "$dir/notoken.txt" 2>&1 && fail "factories without the token succeeded"
echo "B: without the token: $(head -1 "$dir/notoken.txt")"

# 4. play --on with --watch, then the server killed mid-session
cat > "$dir/c.dsp" << 'DSP'
process = _ * 0 + (+(1) ~ _) : *(hslider("g", 1, 0, 2, 0.1));
DSP
ip netns exec "$B" timeout 30 "$TUTTI" play "$dir/c.dsp" --on "$IA:$PORT" --token "$TOKEN" --driver null \
    --seconds 6 --watch > "$dir/play.log" 2> "$dir/play.err" &
PLAY=$!
pids+=($PLAY)
wait_for "$dir/play.log" "the server joined" 10 || fail "play --on: the server did not join"
grep -m1 "^playing" "$dir/play.log" | sed 's/^/B: /'
sleep 0.3
echo 'process = _ * 0 + (+(1) ~ _) : *(hslider("g", 1, 0, 2, 0.1)) : *(0.5);' > "$dir/c.dsp"
wait_for "$dir/play.log" "^swap 1 on the server" 10 || fail "play --on --watch: no swap"
grep -m1 "^swap 1" "$dir/play.log" | sed 's/^/B: /'
grep -q '^swap 1 .*"committed":true,"crossfade":false,"carried":2' "$dir/play.log" || fail "play --on: the swap did not carry the state"
t=$(date +%s.%N)
kill -KILL $SERVE
wait $SERVE 2> /dev/null
echo "A: tutti serve killed (SIGKILL)"
wait_for "$dir/play.err" "stopped answering" 5 || fail "play --on did not say the server went away"
echo "B: $(grep -m1 'stopped answering' "$dir/play.err") [$(since "$t") s after the kill]"
wait $PLAY
rc=$?
[ $rc = 0 ] || fail "play --on exited with $rc after the server was killed"
grep -q "^stopped: .*, the server went away" "$dir/play.log" || fail "play --on's last line"
echo "B: $(grep '^stopped:' "$dir/play.log")"
echo "PASS in $(since "$T0") s"
