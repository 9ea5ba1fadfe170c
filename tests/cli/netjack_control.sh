#!/bin/bash
# A NetJack link on the control plane, with clients nobody here wrote
# (liblo-tools' oscsend/oscdump, curl), between two `tutti play` processes on
# 127.0.0.1 (inside a network namespace of its own: tests/tools/in_netns.sh),
# ports 25200-25299:
#  1. the link's counters are read-only values of each side's control hub:
#     OSC `get` at /tutti/netjack (one reply per value, on the out port), a
#     write refused on the error port; HTTP GET /tutti/netjack (JSON) and
#     GET /tutti/netjack/<name> (a value line);
#  2. --link-controls both (the default): a move of /A/v on the master (OSC)
#     moves /B/v on the slave; a move on the slave moves the master's; nothing
#     is sent back (the counters of sent changes); and the changes land on the
#     frame of the audio they came with: the master sends v as audio, the
#     slave returns in - v, the master's bargraph err holds max |in| (0 unless
#     a change landed a frame off), also for an OSC bundle whose time tag
#     lands it inside a block;
#  3. a slave the master refuses (Opus at 256 frames) is told why as well as
#     NetJack allows (no refusal message on the wire: the slave's timeout
#     says what it asked for and the likely reasons; the master says why, on
#     stderr and at /tutti/netjack/refusal); a slave with nobody at the
#     master's port is told that nothing listens there.
# usage: netjack_control.sh TUTTI
set -u
TUTTI=$1
for tool in oscsend oscdump curl python3; do
    command -v $tool > /dev/null || { echo "SKIP: $tool missing (scripts/setup.sh)"; exit 77; }
done
dir=$(mktemp -d)
pids=()
fail() {
    echo "FAIL: $*"
    for f in "$dir"/*.log "$dir"/*.txt; do echo "== $f"; grep -av '^█\|^▀' "$f" | tail -20; done
    exit 1
}
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2> /dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT
grep() { command grep -a "$@"; } # oscdump's output may hold control bytes
wait_for() { # seconds command...
    local limit=$(($1 * 10))
    shift
    for _ in $(seq $limit); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}
get() { curl -s --max-time 2 "http://127.0.0.1:$1$2"; }
value() { get "$1" "$2" | awk '{print $2}'; } # the value of a line "/addr 0.250000 "
is() { [ "$(value "$1" "$2")" = "$3" ]; }

cat > "$dir/A.dsp" << 'DSP'
// master: sends v as audio; err holds the largest |slave's return| seen
v = hslider("v", 0, 0, 1, 0.001);
process(x) = v, attach(0, x : abs : (max ~ _) : hbargraph("err", 0, 2));
DSP
cat > "$dir/B.dsp" << 'DSP'
// slave: returns what came minus its own v (0 when v lands with its audio)
process(x) = x - hslider("v", 0, 0, 1, 0.001);
DSP

MP=25210 MH=25220 SP=25230 SH=25240
oscdump -L $((MP + 1)) > "$dir/m_out.txt" 2>&1 & pids+=($!)
oscdump -L $((MP + 2)) > "$dir/m_err.txt" 2>&1 & pids+=($!)
oscdump -L $((SP + 1)) > "$dir/s_out.txt" 2>&1 & pids+=($!)
"$TUTTI" play "$dir/A.dsp" --driver netjack-master --listen 127.0.0.1:25201 --period 128 \
    --osc-port $MP --osc-outport $((MP + 1)) --osc-errport $((MP + 2)) --http-port $MH \
    --seconds 60 > "$dir/master.log" 2>&1 & pids+=($!)
"$TUTTI" play "$dir/B.dsp" --driver netjack-slave --master 127.0.0.1:25201 --name bslave \
    --latency 2 --osc-port $SP --osc-outport $((SP + 1)) --osc-errport $((SP + 2)) \
    --http-port $SH --seconds 60 > "$dir/slave.log" 2>&1 & pids+=($!)
# 3. (in the background: a slave looks for 10 s) a refusal, and nobody there
"$TUTTI" play "$dir/B.dsp" --driver netjack-master --listen 127.0.0.1:25202 --period 256 --no-osc \
    --http-port 25260 --seconds 60 > "$dir/rmaster.log" 2>&1 & pids+=($!)
sleep 0.5
"$TUTTI" play "$dir/B.dsp" --driver netjack-slave --master 127.0.0.1:25202 --format opus --no-osc \
    --no-http --name opusslave > "$dir/rslave.log" 2>&1 & R=$!
"$TUTTI" play "$dir/B.dsp" --driver netjack-slave --master 127.0.0.1:25209 --no-osc --no-http \
    > "$dir/nslave.log" 2>&1 & N=$!
wait_for 30 is $MH /tutti/netjack/connected 1.00000 || fail "the slave did not join"
wait_for 10 is $SH /tutti/netjack/connected 1.00000 || fail "the slave's status"

# 1. The counters on the control plane.
oscsend localhost $MP /tutti/netjack s get
wait_for 5 grep -q '^[0-9a-f.]* /tutti/netjack/control_repairs f' "$dir/m_out.txt" \
    || fail "OSC get /tutti/netjack: no reply"
for name in received lost concealed late latency_cycles latency_frames connected; do
    grep -q "/tutti/netjack/$name f [0-9.]*" "$dir/m_out.txt" || fail "OSC: no /tutti/netjack/$name"
done
grep -q "/tutti/netjack/peer s \"'bslave' " "$dir/m_out.txt" || fail "OSC: the peer's name"
grep -q "/tutti/netjack/latency_frames f 256.0" "$dir/m_out.txt" || fail "OSC: latency 2 x 128"
grep "/tutti/netjack/" "$dir/m_out.txt" | sed 's/^[0-9a-f.]* /  oscdump: /' | head -20
oscsend localhost $MP /tutti/netjack/lost f 3
wait_for 5 grep -q '/tutti/netjack/lost ss "error" "read-only' "$dir/m_err.txt" \
    || fail "a write to a status value was not refused"
grep '/tutti/netjack/lost' "$dir/m_err.txt" | sed 's/^[0-9a-f.]* /  error port: /'
json=$(get $MH /tutti/netjack)
echo "  curl /tutti/netjack (master): $json"
echo "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin); \
    assert d["/tutti/netjack/role"] == "master" and d["/tutti/netjack/latency_frames"] == 256 \
    and d["/tutti/netjack/connected"] == 1 and "/tutti/netjack/lost" in d, d' \
    || fail "HTTP JSON of the master's link"
[ "$(get $SH /tutti/netjack/role)" = "/tutti/netjack/role slave " ] || fail "HTTP: slave role"
echo "  curl /tutti/netjack/received (slave): $(get $SH /tutti/netjack/received)"

# 2. Controls: the master's move lands on the slave, at its frame. (While v
# is 0 on both sides a concealed cycle is silence either way: only the cycles
# concealed from here on could make err non-zero.)
concealed0=$(value $SH /tutti/netjack/concealed)
oscsend localhost $MP /A/v f 0.25
wait_for 5 is $SH /B/v 0.250000 || fail "the master's move did not reach the slave ($(get $SH /B/v))"
echo "  oscsend master /A/v 0.25 -> slave $(get $SH /B/v)"
# A bundle 0.3 s ahead: the master lands it inside a block (its time tag's frame).
python3 - $MP << 'PY'
import socket, struct, sys, time
t = time.time() + 0.3 + 2208988800
tag = struct.pack(">II", int(t), int((t - int(t)) * 2**32))
msg = b"/A/v\0\0\0\0" + b",f\0\0" + struct.pack(">f", 0.75)
packet = b"#bundle\0" + tag + struct.pack(">i", len(msg)) + msg
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(packet, ("127.0.0.1", int(sys.argv[1])))
PY
wait_for 5 is $SH /B/v 0.750000 || fail "the bundle's move did not reach the slave"
echo "  OSC bundle (time tag +0.3 s) master /A/v 0.75 -> slave $(get $SH /B/v)"
sleep 0.3
err=$(value $MH /A/err)
concealed=$(value $SH /tutti/netjack/concealed)
if [ "$concealed" = "$concealed0" ]; then
    [ "$err" = "0.00000" ] || fail "a change landed off its frame: max |in - v| = $err"
    echo "  sample-exact: max |master's v as audio - slave's v| = $err (no cycle concealed meanwhile)"
else
    echo "  (the slave concealed cycles meanwhile ($concealed0 -> $concealed): the landing frame is not judged; err = $err)"
fi
m_sent=$(value $MH /tutti/netjack/controls_sent)
s_sent=$(value $SH /tutti/netjack/controls_sent)
[ "$s_sent" = "0.00000" ] || fail "the slave sent back what it received ($s_sent)"
# The slave's move lands on the master; nothing comes back.
oscsend localhost $SP /B/v f 0.5
wait_for 5 is $MH /A/v 0.500000 || fail "the slave's move did not reach the master ($(get $MH /A/v))"
echo "  oscsend slave /B/v 0.5 -> master $(get $MH /A/v)"
sleep 0.5
is $MH /A/v 0.500000 && is $SH /B/v 0.500000 || fail "the values moved again (a loop?)"
[ "$(value $MH /tutti/netjack/controls_sent)" = "$m_sent" ] || fail "the master sent back the slave's move"
[ "$(value $SH /tutti/netjack/controls_sent)" = "1.00000" ] || fail "the slave's sent count"
# (the check can fail: the slave's own move is in its v before the master's
# audio carries it, for the latency's cycles)
err=$(value $MH /A/err)
[ "$err" != "0.00000" ] || fail "err did not see the slave's own move (is the bargraph alive?)"
echo "  after the slave's own move, err = $err (the bargraph sees a v that did not come with its audio)"
echo "  sent: master $m_sent, slave $(value $SH /tutti/netjack/controls_sent) (nothing echoed)"
echo "  received: master $(value $MH /tutti/netjack/controls_received), slave $(value $SH /tutti/netjack/controls_received)"

# 3. The refused slave and the one with nobody there.
wait $R && fail "the refused slave exited with 0"
wait $N && fail "the slave with no master exited with 0"
grep -q "master that cannot serve a slave stays silent" "$dir/rslave.log" \
    || fail "the refused slave's message"
grep -q "This slave asked for 'opusslave', Opus 128 kbit/s, 1 channels master -> slave and 1 back" \
    "$dir/rslave.log" || fail "what the refused slave asked for"
grep -q "the slave 'opusslave' at 127.0.0.1:[0-9]* cannot be served: Opus at 256 frames" \
    "$dir/rmaster.log" || fail "the master's reason"
get 25260 /tutti/netjack/refusal | grep -q "cannot be served: Opus at 256 frames" \
    || fail "the refusal on the master's control plane"
grep -q "Nothing listens there ([0-9]* of [0-9]* requests came back 'port unreachable')" \
    "$dir/nslave.log" || fail "the slave with nobody there"
echo "  refused slave: $(grep -o 'no NetJack master answered.*' "$dir/rslave.log" | cut -c1-400)..."
echo "  master: $(grep -o 'netjack-master: the slave.*' "$dir/rmaster.log" | head -1)"
echo "  nobody there: $(grep -o 'no NetJack master answered.*' "$dir/nslave.log")"

# Ctrl-C while a slave looks for its master ends the search at once (not after 10 s).
"$TUTTI" play "$dir/B.dsp" --driver netjack-slave --master 127.0.0.1:25269 --no-osc --no-http \
    > "$dir/int.log" 2>&1 &
I=$!
sleep 1
kill -INT $I
t0=$(date +%s%N)
wait $I && fail "the interrupted slave exited with 0"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "the interrupted slave took $ms ms to stop"
grep -q "interrupted while looking for a NetJack master at 127.0.0.1:25269" "$dir/int.log" \
    || fail "the interrupted slave's message"
echo "  Ctrl-C while looking: stopped in $ms ms: $(grep -o 'interrupted while.*' "$dir/int.log")"

# Refused values.
"$TUTTI" play "$dir/B.dsp" --driver netjack-slave --link-controls sideways > "$dir/err.log" 2>&1 \
    && fail "--link-controls sideways accepted"
grep -q "link-controls sideways: send, receive, both or off" "$dir/err.log" || fail "the message"
echo PASS
