#!/bin/bash
# Discovery between two "hosts" (issue 13): network namespaces A (10.77.27.1)
# and B (10.77.27.2) joined by a veth pair, each with its own D-Bus system bus
# (private socket) and its own avahi-daemon (own /run/avahi-daemon through a
# mount namespace): real mDNS between them, nothing leaves the machine.
#  1. `tutti advertise` in A; `tutti machines` in B finds it with A's address,
#     the port and the TXT record (cpu = llc's host CPU, cores, load, version),
#     and the load again after A published a new one;
#     a server bound to 127.0.0.1 in A is listed in A (on lo), never in B;
#     avahi-browse (a client nobody here wrote) sees _tutti._tcp, _osc._udp and
#     _http._tcp with the right ports;
#  2. an advertiser in B with the same name is renamed ("NAME #2"), one in A
#     too (local collision), and both are listed;
#  3. avahi-daemon in A restarts: the advertiser registers again and B finds it;
#     an advertiser started while A had no daemon registers once it is back;
#  4. advertisers stopped (SIGTERM: explicit withdrawal; SIGKILL: the daemon
#     notices the lost D-Bus client) disappear from B's listing;
#  5. no avahi-daemon, or no D-Bus bus: `tutti machines` fails at once with a
#     clear error; `tutti advertise` says so and keeps trying.
# Ports 27000-27999. Needs root (ip netns). usage: discovery_two_hosts.sh TUTTI
set -u
TUTTI=$1
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: ip netns needs root"
    exit 77
fi
for tool in avahi-daemon dbus-daemon avahi-browse python3; do
    command -v $tool > /dev/null || { echo "SKIP: $tool is not installed (scripts/setup.sh)"; exit 77; }
done
LLC=/usr/lib/llvm-19/bin/llc
A=tdA_$$ B=tdB_$$
IA=10.77.27.1 IB=10.77.27.2
dir=$(mktemp -d /tmp/tutti_discovery.XXXXXX)
VA="da$$" VB="db$$"
. "$(dirname "$0")/../tools/two_hosts.sh"
two_hosts_up

on() { # on A|B CMD...: CMD in that host with its bus (in the foreground: a
    # background job of a function would be a subshell, and killing it would
    # leave CMD running; background jobs below call `ip netns exec` directly)
    local ns=$A tag=a
    [ "$1" = B ] && { ns=$B; tag=b; }
    shift
    ip netns exec "$ns" env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/$tag/bus" "$@"
}
BUS_A="DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/a/bus"
BUS_B="DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/b/bus"
# field JSONFILE NAME KEY: KEY of the server named NAME ("" if not listed)
field() {
    python3 -c '
import json, sys
for s in json.load(open(sys.argv[1])):
    if s["name"] == sys.argv[2]:
        print(s[sys.argv[3]]); break' "$1" "$2" "$3"
}
listed() { # listed JSONFILE NAME ADDRESS PORT
    python3 -c '
import json, sys
sys.exit(0 if any(s["name"] == sys.argv[2] and s["address"] == sys.argv[3] and s["port"] == int(sys.argv[4])
                  for s in json.load(open(sys.argv[1]))) else 1)' "$@"
}

start_bus a
start_bus b
start_avahi "$A" a "$VA" hosta
AV_A=$AVAHI_PID
start_avahi "$B" b "$VB" hostb
echo "two hosts up (veth, 2 D-Bus buses, 2 avahi-daemons) in $(since "$T0") s"

# 1. advertise in A, discover from B
cpu=$($LLC --version | sed -n 's/^ *Host CPU: *//p')
version=$("$TUTTI" --version | sed -n 's/^tutti \([^ ]*\).*/\1/p')
t=$(date +%s.%N)
echo 0.25 > "$dir/load"
ip netns exec "$A" env "$BUS_A" "$TUTTI" advertise --port 27001 --name tutti-test --listen $IA --osc-port 27002 \
    --http-port 27003 --load-interval 0.2 --load-file "$dir/load" > "$dir/adv1.log" 2>&1 &
ADV1=$!
pids+=($ADV1)
ip netns exec "$A" env "$BUS_A" "$TUTTI" advertise --port 27051 --name local-only --listen 127.0.0.1 \
    > "$dir/adv0.log" 2>&1 &
ADV0=$!
pids+=($ADV0)
wait_for "$dir/adv1.log" "advertised 'tutti-test'" || fail "advertiser 1 not established"
wait_for "$dir/adv0.log" "advertised 'local-only'.* on interface lo;" || fail "advertiser 0 (loopback) not established on lo"
echo "A: $(grep -m1 "advertised 'tutti-test'" "$dir/adv1.log") [$(since "$t") s]"
t=$(date +%s.%N)
on B "$TUTTI" machines --json --timeout 5 > "$dir/m1.json" 2> "$dir/m1.err" || fail "machines (B) exited with $?"
echo "B: tutti machines --json in $(since "$t") s:"
cat "$dir/m1.json"
listed "$dir/m1.json" tutti-test $IA 27001 || fail "B does not list tutti-test at $IA:27001"
[ "$(field "$dir/m1.json" tutti-test cpu)" = "$cpu" ] || fail "cpu is not llc's host CPU '$cpu'"
[ "$(field "$dir/m1.json" tutti-test cores)" = "$(nproc)" ] || fail "cores is not $(nproc)"
[ "$(field "$dir/m1.json" tutti-test version)" = "$version" ] || fail "version is not $version"
[ "$(field "$dir/m1.json" tutti-test api)" = "/api" ] || fail "api path"
[ "$(field "$dir/m1.json" tutti-test osc_port)" = 27002 ] || fail "osc port"
[ "$(field "$dir/m1.json" tutti-test host)" = hosta.local ] || fail "host name"
[ "$(field "$dir/m1.json" tutti-test interface)" = "$VB" ] || fail "seen on interface $VB"
listed "$dir/m1.json" local-only 127.0.0.1 27051 && fail "B lists A's loopback-only server"
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$dir/m1.json")" = 1 ] || fail "B lists more than tutti-test"
[ "$(field "$dir/m1.json" tutti-test load)" = 0.25 ] || fail "load is not 0.25"
on B "$TUTTI" machines --timeout 5 > "$dir/m1.txt" || fail "machines text"
grep -q "^tutti-test  *$IA  *27001  *$cpu  *$(nproc)  *0.25  *$version  *hosta.local" "$dir/m1.txt" ||
    fail "the text listing: $(cat "$dir/m1.txt")"
echo "B: tutti machines:"
cat "$dir/m1.txt"
on B avahi-browse -rtpk _osc._udp > "$dir/osc.txt" 2> /dev/null
on B avahi-browse -rtpk _http._tcp > "$dir/http.txt" 2> /dev/null
grep -q "^=;db$$;IPv4;tutti-test;_osc._udp;local;hosta.local;$IA;27002;" "$dir/osc.txt" ||
    fail "avahi-browse (B) _osc._udp: $(cat "$dir/osc.txt")"
grep -q "^=;db$$;IPv4;tutti-test;_http._tcp;local;hosta.local;$IA;27003;\"path=/\"" "$dir/http.txt" ||
    fail "avahi-browse (B) _http._tcp: $(cat "$dir/http.txt")"
echo "B: avahi-browse sees _osc._udp $IA:27002 and _http._tcp $IA:27003 of tutti-test"
# the load is refreshed in the record while it runs (checked from B after the collisions)
tload=$(date +%s.%N)
echo 0.75 > "$dir/load"

# 2. collisions: the same name in B (over the network), then again in A (locally)
t=$(date +%s.%N)
ip netns exec "$B" env "$BUS_B" "$TUTTI" advertise --port 27011 --name tutti-test --listen $IB > "$dir/adv2.log" 2>&1 &
ADV2=$!
pids+=($ADV2)
wait_for "$dir/adv2.log" "advertised 'tutti-test #2'" 8 || fail "advertiser 2 (B) was not renamed"
echo "B: $(grep -m1 renamed "$dir/adv2.log") [$(since "$t") s]"
t=$(date +%s.%N)
ip netns exec "$A" env "$BUS_A" "$TUTTI" advertise --port 27021 --name tutti-test --listen $IA > "$dir/adv3.log" 2>&1 &
ADV3=$!
pids+=($ADV3)
wait_for "$dir/adv3.log" "advertised 'tutti-test #" 8 || fail "advertiser 3 (A) was not renamed"
name3=$(sed -n "s/.*advertised '\(tutti-test #[0-9]*\)'.*/\1/p" "$dir/adv3.log" | head -1)
echo "A: $(grep renamed "$dir/adv3.log" | tr '\n' ' ')[$(since "$t") s]"
on A "$TUTTI" machines --json --timeout 5 > "$dir/m2.json" || fail "machines (A)"
listed "$dir/m2.json" tutti-test $IA 27001 || fail "A does not list tutti-test"
listed "$dir/m2.json" local-only 127.0.0.1 27051 || fail "A does not list its loopback-only server at 127.0.0.1"
[ "$(field "$dir/m2.json" local-only interface)" = lo ] || fail "local-only not seen on lo"
listed "$dir/m2.json" "tutti-test #2" $IB 27011 || fail "A does not list 'tutti-test #2' at $IB:27011"
listed "$dir/m2.json" "$name3" $IA 27021 || fail "A does not list '$name3' at $IA:27021"
echo "A: tutti machines lists $(python3 -c 'import json,sys; print(", ".join(s["name"]+" "+s["address"]+":"+str(s["port"]) for s in json.load(open(sys.argv[1]))))' "$dir/m2.json")"
kill "$ADV3"; wait "$ADV3"
for _ in $(seq 10); do
    on B "$TUTTI" machines --json --timeout 3 > "$dir/m1b.json" || fail "machines (B)"
    [ "$(field "$dir/m1b.json" tutti-test load)" = 0.75 ] && break
    sleep 0.2
done
[ "$(field "$dir/m1b.json" tutti-test load)" = 0.75 ] || fail "B does not see the new load 0.75"
echo "B: the load A publishes went from 0.25 to 0.75 (file written $(since "$tload") s ago); B lists 0.75"

# 3. avahi-daemon in A restarts; an advertiser starts while it is down
t=$(date +%s.%N)
kill "$AV_A"; wait "$AV_A"
wait_for "$dir/adv1.log" "lost avahi-daemon" || fail "advertiser 1 did not notice the daemon leave"
ip netns exec "$A" env "$BUS_A" "$TUTTI" advertise --port 27031 --name late > "$dir/adv4.log" 2>&1 &
ADV4=$!
pids+=($ADV4)
wait_for "$dir/adv4.log" "not advertised yet: avahi-daemon is not running" ||
    fail "advertiser 4 did not say that there is no daemon"
start_avahi "$A" a "$VA" hosta
AV_A=$AVAHI_PID
for _ in $(seq 160); do
    [ "$(grep -c "advertised 'tutti-test'" "$dir/adv1.log")" -ge 2 ] && break
    sleep 0.05
done
[ "$(grep -c "advertised 'tutti-test'" "$dir/adv1.log")" = 2 ] || fail "advertiser 1 did not register again"
wait_for "$dir/adv4.log" "advertised 'late'" 8 || fail "advertiser 4 did not register once the daemon was up"
echo "A: avahi-daemon restarted; advertiser 1 registered again, 'late' registered [$(since "$t") s]"
on B "$TUTTI" machines --json --timeout 5 > "$dir/m3.json" || fail "machines (B) after the restart"
listed "$dir/m3.json" tutti-test $IA 27001 || fail "B does not find tutti-test after A's daemon restarted"
listed "$dir/m3.json" late $IA 27031 || fail "B does not find 'late'"
echo "B: finds tutti-test and late after the restart"

# 4. stopped advertisers disappear from B's listing
gone() { # gone NAME ADDRESS PORT: seconds until B's listing lacks it (fails after 8 s)
    local t1
    t1=$(date +%s.%N)
    for _ in $(seq 8); do
        on B "$TUTTI" machines --json --timeout 3 > "$dir/m4.json" || fail "machines (B)"
        listed "$dir/m4.json" "$1" "$2" "$3" || { since "$t1"; return 0; }
        sleep 0.5
    done
    fail "'$1' is still listed 8 s after it stopped"
}
kill -TERM "$ADV1"; wait "$ADV1" || fail "advertiser 1 exited with $?"
grep -q "withdrawn 'tutti-test' after 2 registration(s)" "$dir/adv1.log" || fail "advertiser 1's last words"
echo "B: tutti-test (SIGTERM) gone from the listing after $(gone tutti-test $IA 27001) s"
kill -KILL "$ADV4"; wait "$ADV4" 2> /dev/null
echo "B: late (SIGKILL) gone from the listing after $(gone late $IA 27031) s"
listed "$dir/m4.json" "tutti-test #2" $IB 27011 || fail "'tutti-test #2' (still running) is not listed"
kill "$ADV2"; wait "$ADV2"

# 5. no daemon / no bus: clear errors, no wait
start_bus c # a bus with no avahi-daemon on it
t=$(date +%s.%N)
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/c/bus" timeout 10 "$TUTTI" machines > /dev/null 2> "$dir/nodaemon.err"
rc=$?
s1=$(since "$t")
[ $rc = 1 ] || fail "machines without a daemon exited with $rc"
grep -q "^tutti machines: avahi-daemon is not running, or the D-Bus system bus (unix:path=$dir/c/bus) is not reachable" "$dir/nodaemon.err" ||
    fail "no-daemon message: $(cat "$dir/nodaemon.err")"
t=$(date +%s.%N)
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/nobus" timeout 10 "$TUTTI" machines --json > /dev/null 2> "$dir/nobus.err"
rc=$?
s2=$(since "$t")
[ $rc = 1 ] || fail "machines without a bus exited with $rc"
grep -q "^tutti machines: avahi-daemon is not running, or the D-Bus system bus (unix:path=$dir/nobus) is not reachable" "$dir/nobus.err" ||
    fail "no-bus message: $(cat "$dir/nobus.err")"
echo "no daemon: exit 1 in $s1 s; no bus: exit 1 in $s2 s: $(cat "$dir/nobus.err")"
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/nobus" timeout 10 "$TUTTI" advertise --port 27041 --seconds 1 > "$dir/adv5.log" 2>&1 ||
    fail "advertise without a bus exited with $?"
grep -q "not advertised yet: avahi-daemon is not running, or the D-Bus system bus (unix:path=$dir/nobus) is not reachable.*retrying" "$dir/adv5.log" ||
    fail "advertise without a bus: $(cat "$dir/adv5.log")"
echo "advertise without a bus: $(head -1 "$dir/adv5.log")"
echo "PASS in $(since "$T0") s"
