#!/bin/bash
# `tutti play` with the NetJack drivers against jackd 1.9.21, run inside a
# network namespace of its own (tests/tools/in_netns.sh):
#  1. --driver netjack-slave joins jackd + netmanager: the slave's ports
#     appear in the master with its --name, and it runs at the master's rate
#     and period for --seconds;
#  2. --driver netjack-master serves `jackd -S -d net`: the slave jackd runs at
#     the master's --period and --sample-rate;
#  3. a tutti slave in Opus mode (--format opus:96) with a tutti master;
#  4. bad options are refused with a message.
# usage: netjack_play.sh TUTTI
set -u
TUTTI=$1
dir=$(mktemp -d)
fail() { echo "FAIL: $*"; cat "$dir"/*.log 2>/dev/null | grep -v XRun | tail -40; exit 1; }
. "$(dirname "$0")/../tools/processes.sh"
pids=()
cleanup() {
    for p in "${pids[@]}"; do stop_process "$p" "pid $p"; done
    rm -rf "$dir"
}
trap cleanup EXIT
printf 'process = _,_;\n' > "$dir/echo.dsp"

# 1. tutti slave -> jackd + netmanager
M=nj-cli-m-$$
jackd -n "$M" -d dummy -r 48000 -p 256 > "$dir/master.log" 2>&1 & pids+=($!)
timeout 10 jack_wait -s "$M" -w -t 5 > /dev/null 2>&1 || fail "jackd $M did not start"
timeout 10 jack_load -s "$M" -i "-a 127.0.0.1 -p 24041" netmanager > /dev/null || fail "jack_load netmanager"
"$TUTTI" play "$dir/echo.dsp" --driver netjack-slave --master 127.0.0.1:24041 --name clislave \
    --latency 3 --seconds 2 > "$dir/slave.log" 2>&1 & S=$!
pids+=($S)
# (polled gently: a jack_lsp client that comes and goes while netmanager
# registers the slave's client made jackd 1.9.21 fail that registration once)
ok=0
for _ in $(seq 25); do
    sleep 0.2
    timeout 5 jack_lsp -s "$M" 2> /dev/null | grep -q '^clislave:from_slave_2$' && { ok=1; break; }
done
[ $ok = 1 ] || fail "the slave's ports did not appear in the master"
ends_within $S 30 || fail "tutti play (slave, --seconds 2) still running after 30 s"
wait $S || fail "tutti play (slave) exited with $?"
grep -q "playing .*echo.dsp on netjack-slave: 48000 Hz, 256 frames per block, 2 in, 2 out" "$dir/slave.log" \
    || fail "slave banner"
calls=$(sed -n 's/^stopped: \([0-9]*\) callbacks.*/\1/p' "$dir/slave.log")
[ "${calls:-0}" -ge 300 ] || fail "slave ran $calls cycles in 2 s (expected about 375)"
grep -q "^netjack: float, master -> slave 2 channels, slave -> master 2, latency 3 cycles = 768 frames; cycles received [0-9]*, concealed [0-9]*" "$dir/slave.log" \
    || fail "slave's link report"
echo "slave: $calls cycles in 2 s at 48000/256"
grep "^netjack:" "$dir/slave.log"
timeout 10 jack_unload netmanager "$M" > /dev/null || echo "note: jack_unload netmanager: exit $?"
stop_process "${pids[0]}" "jackd $M"

# 2. tutti master <- jackd -S -d net
"$TUTTI" play "$dir/echo.dsp" --driver netjack-master --listen 127.0.0.1:24042 --period 128 \
    --sample-rate 44100 --seconds 3 > "$dir/tmaster.log" 2>&1 & T=$!
pids+=($T)
sleep 0.3
N=nj-cli-s-$$
jackd -S -n "$N" -d net -a 127.0.0.1 -p 24042 -C 2 -P 2 -l 2 -n clijackd > "$dir/jslave.log" 2>&1 & J=$!
pids+=($J)
ok=0
for _ in $(seq 100); do
    grep -q "Period size : 128 frames per period" "$dir/jslave.log" && { ok=1; break; }
    sleep 0.05
done
[ $ok = 1 ] || fail "jackd -d net did not get the master's period"
grep -q "Sample rate : 44100 frames per second" "$dir/jslave.log" || fail "the master's rate"
ends_within $T 30 || fail "tutti play (master, --seconds 3) still running after 30 s"
wait $T || fail "tutti play (master) exited with $?"
grep -q "playing .*echo.dsp on netjack-master: 44100 Hz, 128 frames per block, 2 in, 2 out" "$dir/tmaster.log" \
    || fail "master banner"
grep -q "^netjack: float, master -> slave 2 channels, slave -> master 2, latency 2 cycles = 256 frames" "$dir/tmaster.log" \
    || fail "master's link report"
echo "master: jackd -d net ran at the master's 44100 Hz, 128 frames"
grep "^netjack:" "$dir/tmaster.log"

# 3. Opus between two tutti (period 240: one libopus takes at 48 kHz)
"$TUTTI" play "$dir/echo.dsp" --driver netjack-master --listen 127.0.0.1:25041 --period 240 \
    --seconds 3 > "$dir/omaster.log" 2>&1 & T=$!
pids+=($T)
sleep 0.3
timeout 30 "$TUTTI" play "$dir/echo.dsp" --driver netjack-slave --master 127.0.0.1:25041 --format opus:96 \
    --seconds 2 > "$dir/oslave.log" 2>&1 || fail "tutti play (opus slave) exited with $? (124: still running after 30 s)"
ends_within $T 30 || fail "tutti play (opus master, --seconds 3) still running after 30 s"
wait $T || fail "tutti play (opus master) exited with $?"
grep -q "^netjack: opus 96 kbit/s, master -> slave 2 channels, slave -> master 2, latency 2 cycles = 480 frames" "$dir/oslave.log" \
    || fail "opus slave's link report"
grep "^netjack:" "$dir/oslave.log"

# 4. refused options
"$TUTTI" play "$dir/echo.dsp" --driver netjack-slave --format opus:5 > "$dir/err1.log" 2>&1 && fail "opus:5 accepted"
grep -q "opus:KBPS takes 8..1000 kbit/s per channel" "$dir/err1.log" || fail "opus message"
"$TUTTI" play "$dir/echo.dsp" --driver netjack-slave --master 300.1.2.3 > "$dir/err2.log" 2>&1 && fail "bad address accepted"
grep -q "bad master address '300.1.2.3'" "$dir/err2.log" || fail "address message"
"$TUTTI" play "$dir/echo.dsp" --driver netjack-slave --latency 31 > "$dir/err3.log" 2>&1 && fail "latency 31 accepted"
grep -q "latency must be 0..30 cycles" "$dir/err3.log" || fail "latency message"
"$TUTTI" play "$dir/echo.dsp" --driver netjack-master --clock wall > "$dir/err4.log" 2>&1 && fail "--clock wall accepted"
grep -q "clock wall: timer or jack" "$dir/err4.log" || fail "clock message"
echo "refused: --format opus:5, a bad address, --latency 31, --clock wall"
echo PASS
