#!/usr/bin/env bash
# `tutti play --watch` moves the playing program to a `tutti serve` and back
# (issue 13, docs/move.md), as a user does it: 'm' on its input, then HTTP
# POST /tutti/move local, HTTP POST /tutti/move HOST:PORT, OSC /tutti/move
# "local"; one line per move; SIGINT, exit 0. A control set in tutti play while
# the program is away reaches the server's instance and is the local value
# after the move back (over the NetJack link, then the HTTP block link).
# Ports 28720-28729 and 29600-29609 on 127.0.0.1.
#   tests/cli/play_move.sh path/to/tutti
set -euo pipefail
tutti=$1
work=$(mktemp -d)
pid=
spid=
cleanup() {
    exec 3>&- 2>/dev/null || true
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
log=$work/log
fail() { echo "FAIL: $*"; echo "--- play:"; cat "$log"; echo "--- serve:"; cat "$work/serve.log"; exit 1; }
wait_for() { # pattern count
    for _ in $(seq 1200); do
        [ "$(grep -c -- "$1" "$log" || true)" -ge "$2" ] && return 0
        sleep 0.025
    done
    fail "no '$1' (x$2) within 30 s"
}
cat >"$work/echo.dsp" <<'DSP'
phase = (+(0.01) : \(x).(x - int(x))) ~ _;
impulse = 1 - 1';
echoes = impulse : (+ : @(1999)) ~ *(0.8);
process = (phase * 0.5 + echoes) * hslider("gain", 1, 0, 2, 0.01);
DSP
"$tutti" serve --port 28720 --no-advertise >"$work/serve.log" 2>&1 &
spid=$!
mkfifo "$work/keys"
"$tutti" play "$work/echo.dsp" --driver null --watch --move-to 127.0.0.1:28720 \
    --osc-port 28721 --osc-outport 28722 --osc-errport 28723 --http-port 28725 \
    <"$work/keys" >"$work/log" 2>&1 &
pid=$!
exec 3>"$work/keys"
wait_for '^playing' 1
wait_for "^move: 'm' moves it to 127.0.0.1:28720" 1
for _ in $(seq 200); do curl -s -o /dev/null http://127.0.0.1:28720/v1/health && break; sleep 0.05; done
printf m >&3
wait_for '^moved to 127.0.0.1:28720: state of [0-9]* bytes' 1
sleep 0.5
# a control set here while the program is on the server reaches the server's
# engine (through the link), and is the local value after the move back
id=$(curl -s http://127.0.0.1:28720/v1/instances |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"][0]["id"])')
server_gain() {
    curl -s "http://127.0.0.1:28720/v1/instances/$id/controls?index=0" |
        python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["value"])'
}
[ "$(server_gain)" = "1.00" ] || fail "the server's gain is $(server_gain) before the change"
set_answer=$(curl -s "http://127.0.0.1:28725/echo/gain?value=0.25")
case "$set_answer" in "/echo/gain 0.25"*) ;; *) fail "HTTP set answered '$set_answer'" ;; esac
for _ in $(seq 200); do [ "$(server_gain)" = "0.25" ] && break; sleep 0.025; done
[ "$(server_gain)" = "0.25" ] || fail "the server's gain is $(server_gain), not 0.25, while moved"
echo "while moved: set /echo/gain 0.25 here; the server's instance $id has gain $(server_gain)"
answer=$(curl -s -X POST --data local http://127.0.0.1:28725/tutti/move)
[ "$answer" = "moving to local" ] || fail "HTTP answered '$answer'"
wait_for '^moved back from 127.0.0.1:28720: ' 1
grep -q '^moved back from .*, 1 control change sent there' "$work/log" ||
    fail "the move back does not say 1 control change was sent"
local_gain=$(curl -s http://127.0.0.1:28725/echo/gain)
case "$local_gain" in "/echo/gain 0.25"*) ;; *) fail "after the move back: '$local_gain'" ;; esac
echo "back home: $local_gain"
curl -s -X POST --data 127.0.0.1:28720 http://127.0.0.1:28725/tutti/move >/dev/null
wait_for '^moved to 127.0.0.1:28720: ' 2
sleep 0.5
python3 - <<'PY'
import socket
def s(x):
    b = x.encode() + b"\0"
    return b + b"\0" * ((4 - len(b) % 4) % 4)
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
    s("/tutti/move") + s(",s") + s("local"), ("127.0.0.1", 28721))
PY
wait_for '^moved back from 127.0.0.1:28720: ' 2
if grep '^move: ' "$work/log" | grep -qv "moves it to"; then fail "a move failed"; fi
answer=$(curl -s -X POST --data x http://127.0.0.1:28725/tutti/nothing)
[ "$answer" = "no such command" ] || fail "an unknown command answered '$answer'"
kill -INT "$pid"
wait "$pid"; rc=$?
pid=
[ "$rc" -eq 0 ] || fail "exit code $rc"
grep '^moved' "$work/log"
moves=$(grep -c '^moved' "$work/log")

# the same over the HTTP block link (--move-link http), the control set by OSC;
# blocks of 64 frames (750 a second): batched requests, from the instance's own
# bucket on the server (not the per-peer limit of 200 requests a second)
log=$work/log2
"$tutti" play "$work/echo.dsp" --driver null --block 64 --watch --move-to 127.0.0.1:28720 \
    --move-link http \
    --osc-port 29601 --osc-outport 29602 --osc-errport 29603 --http-port 29605 \
    </dev/null >"$log" 2>&1 &
pid=$!
wait_for '^playing' 1
for _ in $(seq 200); do curl -s -o /dev/null http://127.0.0.1:29605/JSON && break; sleep 0.05; done
curl -s -X POST --data 127.0.0.1:28720 http://127.0.0.1:29605/tutti/move >/dev/null
wait_for '^moved to 127.0.0.1:28720: state of [0-9]* bytes' 1
id=$(curl -s http://127.0.0.1:28720/v1/instances |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"][0]["id"])')
python3 - <<'PY'
import socket, struct
def s(x):
    b = x.encode() + b"\0"
    return b + b"\0" * ((4 - len(b) % 4) % 4)
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
    s("/echo/gain") + s(",f") + struct.pack(">f", 0.5), ("127.0.0.1", 29601))
PY
for _ in $(seq 100); do [ "$(server_gain)" = "0.50" ] && break; sleep 0.05; done
[ "$(server_gain)" = "0.50" ] || fail "http link: the server's gain is $(server_gain), not 0.50, while moved"
echo "http link, while moved: set /echo/gain 0.5 by OSC here; the server's instance $id has gain $(server_gain)"
curl -s -X POST --data local http://127.0.0.1:29605/tutti/move >/dev/null
wait_for '^moved back from 127.0.0.1:28720: .*, 1 control change sent there' 1
local_gain=$(curl -s http://127.0.0.1:29605/echo/gain)
case "$local_gain" in "/echo/gain 0.5"*) ;; *) fail "http link, after the move back: '$local_gain'" ;; esac
echo "http link, back home: $local_gain"
if grep '^move: ' "$log" | grep -qv "moves it to"; then fail "a move failed"; fi
kill -INT "$pid"
wait "$pid"; rc=$?
pid=
[ "$rc" -eq 0 ] || fail "http link: exit code $rc"
grep '^moved' "$log"
echo "ok: $((moves + $(grep -c '^moved' "$log"))) moves"
