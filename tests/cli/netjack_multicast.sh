#!/bin/bash
# NetJack's multicast discovery between two "hosts": network namespaces A
# (10.77.12.1) and B (10.77.12.2) joined by a veth pair, each with a route for
# 224.0.0.0/4 on its end (made and deleted here; nothing leaves the machine).
#  1. jackd + netmanager in A listens on the group; `tutti play --driver
#     netjack-slave --master GROUP:PORT` in B finds it and plays through it;
#  2. `tutti play --driver netjack-master --listen GROUP:PORT` in A serves
#     `jackd -S -d net -a GROUP` started in B.
# Needs root (ip netns). usage: netjack_multicast.sh TUTTI
set -u
TUTTI=$1
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: ip netns needs root"
    exit 77
fi
GROUP=225.3.19.154
A=tnjA_$$ B=tnjB_$$
dir=$(mktemp -d)
fail() { echo "FAIL: $*"; grep -v XRun "$dir"/*.log 2>/dev/null | tail -40; exit 1; }
. "$(dirname "$0")/../tools/processes.sh"
pids=()
cleanup() {
    for p in "${pids[@]}"; do stop_process "$p" "pid $p"; done
    ip netns del "$A" 2>/dev/null
    ip netns del "$B" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "$A" && ip netns add "$B" || fail "ip netns add (root needed)"
ip link add "va$$" type veth peer name "vb$$" || fail "veth"
ip link set "va$$" netns "$A"
ip link set "vb$$" netns "$B"
ip netns exec "$A" sh -c "ip link set lo up; ip addr add 10.77.12.1/24 dev va$$; ip link set va$$ up; ip route add 224.0.0.0/4 dev va$$"
ip netns exec "$B" sh -c "ip link set lo up; ip addr add 10.77.12.2/24 dev vb$$; ip link set vb$$ up; ip route add 224.0.0.0/4 dev vb$$"
printf 'process = _,_;\n' > "$dir/echo.dsp"

# 1. tutti slave in B discovers jackd + netmanager in A through the group
M=nj-mc-m-$$
ip netns exec "$A" jackd -n "$M" -d dummy -r 48000 -p 256 > "$dir/master.log" 2>&1 & pids+=($!)
timeout 10 jack_wait -s "$M" -w -t 5 > /dev/null 2>&1 || fail "jackd $M did not start"
timeout 10 ip netns exec "$A" jack_load -s "$M" -i "-a $GROUP -p 24061" netmanager > /dev/null || fail "netmanager"
timeout 30 ip netns exec "$B" "$TUTTI" play "$dir/echo.dsp" --driver netjack-slave --master "$GROUP:24061" \
    --name mcslave --seconds 2 > "$dir/slave.log" 2>&1 || fail "tutti slave exited with $? (124: still running after 30 s)"
grep -q "on netjack-slave: 48000 Hz, 256 frames per block" "$dir/slave.log" || fail "slave banner"
grep -q "^Name : mcslave" "$dir/master.log" || fail "netmanager did not see mcslave"
calls=$(sed -n 's/^stopped: \([0-9]*\) callbacks.*/\1/p' "$dir/slave.log")
[ "${calls:-0}" -ge 300 ] || fail "slave ran $calls cycles in 2 s"
echo "multicast: tutti slave (B) found jackd + netmanager (A) through $GROUP, $calls cycles in 2 s"
timeout 10 ip netns exec "$A" jack_unload netmanager "$M" > /dev/null || echo "note: jack_unload netmanager: exit $?"
stop_process "${pids[0]}" "jackd $M"

# 2. jackd -d net in B discovers the tutti master in A through the group
ip netns exec "$A" "$TUTTI" play "$dir/echo.dsp" --driver netjack-master --listen "$GROUP:24062" \
    --period 128 --seconds 4 > "$dir/tmaster.log" 2>&1 & T=$!
pids+=($T)
sleep 0.5
N=nj-mc-s-$$
ip netns exec "$B" jackd -S -n "$N" -d net -a "$GROUP" -p 24062 -C 2 -P 2 -l 2 > "$dir/jslave.log" 2>&1 & pids+=($!)
ok=0
for _ in $(seq 100); do
    grep -q "Period size : 128 frames per period" "$dir/jslave.log" && { ok=1; break; }
    sleep 0.05
done
[ $ok = 1 ] || fail "jackd -d net (B) did not find the tutti master (A)"
ends_within $T 30 || fail "tutti master (--seconds 4) still running after 30 s"
wait $T || fail "tutti master exited with $?"
grep -q "^netjack: float, master -> slave 2 channels, slave -> master 2" "$dir/tmaster.log" || fail "master's report"
echo "multicast: jackd -d net (B) found the tutti master (A) through $GROUP"
grep "^netjack:" "$dir/tmaster.log"
echo PASS
