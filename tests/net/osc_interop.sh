#!/usr/bin/env bash
# OSC interop with a client nobody here wrote (issue 11 section 2): liblo-tools'
# oscsend and oscdump drive `tutti play --driver null` over UDP.
#   tests/net/osc_interop.sh path/to/tutti [transcript-file]
# Checks: hello; values set (float, int, pattern, alias of [osc:...] metadata)
# reach the engine (`get` answers with the value the audio thread published);
# feedback of changed values and of a bargraph at >= 25 Hz (xmit 1) received
# by oscdump; a json answer of more than 64 KB (a 100 KB UI) answered with an
# error on the error port while the listener lives on; malformed packets
# answered on the error port and dropped; a sender off loopback refused until
# it gives the token. Runs inside its own network namespace (unshare -n: only
# lo; liblo's oscdump binds every interface) on ports 21200-21299; every
# process it starts is stopped by its PID. Exit 77: liblo-tools missing.
set -euo pipefail
tutti=$(realpath "$1")
transcript=${2:-}
if ! command -v oscsend >/dev/null || ! command -v oscdump >/dev/null; then
    echo "SKIP: oscsend/oscdump missing (apt-get install liblo-tools; scripts/setup.sh)"
    exit 77
fi
if [ -z "${TUTTI_IN_NETNS:-}" ]; then
    for ns in "-n" "-rn"; do # as root; as a user (a user namespace too)
        if unshare $ns true 2>/dev/null; then
            TUTTI_IN_NETNS=1 exec unshare $ns bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$tutti" "$transcript"
        fi
    done
fi
grep() { command grep -a "$@"; } # oscdump's output may hold control bytes
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
log=$work/transcript.txt
say() { echo "$*" | tee -a "$log"; }
fail() {
    say "FAIL: $*"
    [ -n "$transcript" ] && cp "$log" "$transcript"
    exit 1
}
send() { # host port address types args...
    say "\$ oscsend $*"
    oscsend "$@"
}
dump() { # port file
    oscdump -L "$1" >"$2" 2>&1 &
    pids+=($!)
}
wait_line() { # file regex [seconds]
    local t=0 limit=$((${3:-5} * 10))
    while ! grep -qE "$2" "$1" 2>/dev/null; do
        t=$((t + 1))
        [ $t -gt $limit ] && return 1
        sleep 0.1
    done
}
play() { # log args...
    local out=$1
    shift
    "$tutti" play --driver null --seconds 120 "$@" >"$out" 2>&1 &
    pids+=($!)
    wait_line "$out" '^OSC: ' 60 || fail "tutti play did not start: $(cat "$out")"
}

cat >"$work/prog.dsp" <<'DSP'
import("stdfaust.lib");
gain = hslider("gain [osc:/fader 0 127]", 0.5, 0, 1, 0.01);
freq = vslider("h:Synth/freq", 440, 20, 2000, 1);
process = os.osc(freq) * gain : hbargraph("h:Synth/level", -1, 1);
DSP

say "# OSC interop: liblo-tools $(oscdump 2>&1 | head -1 | sed 's/.*version //') against tutti play --driver null"
dump 21201 "$work/out.txt"
dump 21202 "$work/err.txt"
sleep 0.3
play "$work/play.txt" "$work/prog.dsp" --osc-port 21200 --osc-outport 21201 --osc-errport 21202 --xmit 1
sed 's/^/  | /' "$work/play.txt" | tee -a "$log"

send localhost 21200 /prog s hello
wait_line "$work/out.txt" '/prog siii "127.0.0.1" 21200 21201 21202' || fail "no hello reply"
say "  -> $(grep -m1 '/prog siii' "$work/out.txt")"

expect_get() { # address value-regex
    : >"$work/get.txt"
    local t
    for t in 1 2 3 4 5 6 7 8 9 10; do
        oscsend localhost 21200 "$1" s get
        if wait_line "$work/out.txt" "$1 fff $2 " 1; then
            say "  -> $(grep -E "$1 fff $2 " "$work/out.txt" | tail -1)"
            return 0
        fi
    done
    fail "get $1: no value $2 in $(grep "$1 fff" "$work/out.txt" | tail -3)"
}
send localhost 21200 /prog/gain f 0.25
expect_get /prog/gain '0.250000'
send localhost 21200 /prog/Synth/freq i 1000
expect_get /prog/Synth/freq '1000.000000'
send localhost 21200 /prog/S*/fr?q f 5000
say "  (clipped to the range 20..2000)"
expect_get /prog/Synth/freq '2000.000000'
send localhost 21200 /fader f 63.5
say "  (the alias [osc:/fader 0 127] maps 0..127 onto 0..1)"
expect_get /prog/gain '0.500000'

# Feedback: the bargraph changes every block; count what arrives in 2 s.
before=$(grep -c '^.* /prog/Synth/level f' "$work/out.txt" || true)
sleep 2
after=$(grep -c '^.* /prog/Synth/level f' "$work/out.txt" || true)
rate=$(((after - before) / 2))
say "feedback: $((after - before)) messages /prog/Synth/level in 2 s ($rate per second); last:"
say "  -> $(grep '/prog/Synth/level f' "$work/out.txt" | tail -1)"
[ "$rate" -ge 25 ] || fail "feedback rate $rate Hz < 25 Hz"
distinct=$(grep '/prog/Synth/level f' "$work/out.txt" | awk '{print $NF}' | sort -u | wc -l)
[ "$distinct" -ge 10 ] || fail "the bargraph does not move ($distinct values)"
grep -qE '/prog/gain f 0.250000' "$work/out.txt" || fail "no feedback of the value set"
grep -qE '/fader f 31.750000' "$work/out.txt" || fail "no feedback at the alias"
say "  -> $(grep -E '/fader f 31.750000' "$work/out.txt" | head -1) (alias feedback of gain 0.25)"

# Malformed packets: an error each on the error port; the listener lives on.
say "\$ printf 'garbage' > /dev/udp/127.0.0.1/21200; printf '/x\\0\\0,Z\\0\\0' > /dev/udp/127.0.0.1/21200"
printf 'garbage' >/dev/udp/127.0.0.1/21200
printf '/x\0\0,Z\0\0' >/dev/udp/127.0.0.1/21200
wait_line "$work/err.txt" 'malformed OSC packet dropped: unknown type tag' || fail "no error for a malformed packet: $(cat "$work/err.txt")"
grep 'malformed' "$work/err.txt" | sed 's/^/  -> /' | tee -a "$log"
: >"$work/out.txt"
send localhost 21200 /prog s hello
wait_line "$work/out.txt" '/prog siii' || fail "the listener died after malformed packets"
say "  -> $(grep -m1 '/prog siii' "$work/out.txt") (still alive)"

# A UI of 100 KB: the json answer does not fit in a datagram.
{
    echo 'process = par(i, 500, hslider("slider number %i with a label long enough [unit:Hz]", 0, 0, 1, 0.01)) :> _;'
} >"$work/big.dsp"
dump 21211 "$work/bigout.txt"
dump 21212 "$work/bigerr.txt"
sleep 0.3
play "$work/bigplay.txt" "$work/big.dsp" --osc-port 21210 --osc-outport 21211 --osc-errport 21212
"$tutti" json "$work/big.dsp" >"$work/big.json"
say "big.dsp: a JSON UI of $(wc -c <"$work/big.json") bytes"
send localhost 21210 /big s json
wait_line "$work/bigerr.txt" 'does not fit in one UDP datagram' || fail "no error for the big json: $(cat "$work/bigerr.txt")"
say "  -> $(grep -m1 'does not fit' "$work/bigerr.txt")"
send localhost 21210 /big s hello
wait_line "$work/bigout.txt" '/big siii' || fail "the listener died after the big json"
say "  -> $(grep -m1 '/big siii' "$work/bigout.txt") (still alive)"
send localhost 21210 /big/slider_number_7_with_a_label_long_enough f 0.5
for t in 1 2 3 4 5 6 7 8 9 10; do
    oscsend localhost 21210 /big/slider_number_7_with_a_label_long_enough s get
    wait_line "$work/bigout.txt" 'slider_number_7_with_a_label_long_enough fff 0.500000' 1 && break
done
grep -qE 'slider_number_7_with_a_label_long_enough fff 0.500000' "$work/bigout.txt" || fail "no value after the big json"
say "  -> $(grep 'slider_number_7_with_a_label_long_enough fff 0.500000' "$work/bigout.txt" | tail -1)"

# Off loopback (an address of this namespace's lo that is not 127/8): writes need the token.
if [ -n "${TUTTI_IN_NETNS:-}" ]; then
    ip addr add 10.77.0.1/32 dev lo
    dump 21221 "$work/tokout.txt"
    dump 21222 "$work/tokerr.txt"
    sleep 0.3
    play "$work/tokplay.txt" "$work/prog.dsp" --listen 0.0.0.0 --token s3cret --osc-port 21220 --osc-outport 21221 --osc-errport 21222
    grep -q 'control token (writes from off loopback need it): s3cret' "$work/tokplay.txt" || fail "no token line: $(cat "$work/tokplay.txt")"
    send 10.77.0.1 21220 /prog/gain f 0.125
    wait_line "$work/tokerr.txt" 'refused' || fail "a write from 10.77.0.1 without token was not refused"
    say "  -> $(grep -m1 refused "$work/tokerr.txt")"
    send 10.77.0.1 21220 /prog ss token wrong
    wait_line "$work/tokerr.txt" 'wrong token' || fail "a wrong token was not refused"
    send 10.77.0.1 21220 /prog ss token s3cret
    send 10.77.0.1 21220 /prog/gain f 0.125
    for t in 1 2 3 4 5 6 7 8 9 10; do
        oscsend 10.77.0.1 21220 /prog/gain s get
        wait_line "$work/tokout.txt" '/prog/gain fff 0.125000' 1 && break
    done
    grep -q '/prog/gain fff 0.125000' "$work/tokout.txt" || fail "a write with the token did not land: $(cat "$work/tokout.txt" "$work/tokerr.txt")"
    say "  -> $(grep -m1 '/prog/gain fff 0.125000' "$work/tokout.txt") (after the token)"
else
    say "(not in a network namespace: the off-loopback check is skipped)"
fi
say "PASS"
[ -n "$transcript" ] && cp "$log" "$transcript"
exit 0
