#!/usr/bin/env bash
# The HTTP + WebSocket control server as clients meet it (issue 11 sections 3
# and 6), against `tutti play --driver null` on 127.0.0.1, ports 22100-22199:
#  - curl: GET /JSON is the program's JSON (`tutti json`, compared parsed);
#    GET and set by the JSON and the httpd spellings, answered as Faust's httpd;
#    the value reaches the engine (read back; the bargraph the program computes
#    from it follows); `..` refused; an oversized header and an oversized body
#    refused; garbage on the socket, and the server still answers;
#  - tutti_control_client check: the WebSocket (UI and values on connect, a
#    change from one client pushed to another, levels, scope, errors, a foreign
#    Origin refused, a save swapped in: swap report and new UI);
#  - tutti_control_client latency: 20 changes, median <= 10 ms (next to 40 ms polling);
#  - in a network namespace of its own (unshare -n) with 10.200.0.1 on lo and
#    --listen 0.0.0.0: a write from 10.200.0.1 without the token refused, with it
#    accepted, a read accepted.
#   tests/net/http_control.sh path/to/tutti path/to/tutti_control_client
set -euo pipefail
tutti=$1
client=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- tutti play log:"; cat "$work/log"; exit 1; }
ok() { echo "ok: $*"; }

cp "$here/control.dsp" "$work/control.dsp"
"$tutti" play "$work/control.dsp" --driver null --watch --no-osc --http-port 22100 >"$work/log" 2>&1 &
pid=$!
port=
for _ in $(seq 400); do
    port=$(sed -n 's|^control: HTTP http://127.0.0.1:\([0-9]*\)/$|\1|p' "$work/log")
    [ -n "$port" ] && break
    sleep 0.025
done
[ -n "$port" ] || fail "no HTTP control line within 10 s"
case $port in 221[0-9][0-9]) ;; *) fail "port $port outside 22100-22199" ;; esac
base=http://127.0.0.1:$port
ok "tutti play serves $base"

# GET /JSON: the program's JSON, content type application/json
curl -sS -o "$work/got.json" -w '%{http_code} %{content_type}\n' "$base/JSON" >"$work/status"
[ "$(cat "$work/status")" = "200 application/json" ] || fail "GET /JSON: $(cat "$work/status")"
"$tutti" json "$work/control.dsp" >"$work/want.json"
python3 - "$work/got.json" "$work/want.json" <<'PY' || fail "GET /JSON differs from tutti json"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
sys.exit(0 if a == b else 1)
PY
ok "GET /JSON equals the program's JSON"

# reads and writes, both spellings, answered as Faust's httpd answers
body=$(curl -sS "$base/ctl/freq")
[ "$body" = "/ctl/freq 440.000 " ] || fail "GET /ctl/freq: '$body'"
body=$(curl -sS "$base/ctl/freq?value=1234.5")
[ "$body" = "/ctl/freq 1234.50 " ] || fail "set freq: '$body'"
body=$(curl -sS "$base/ctl/gain_(dB)?value=250")
[ "$body" = "/ctl/gain_(dB) 250.000 " ] || fail "set by the httpd spelling: '$body'"
body=$(curl -sS "$base/ctl/gain__dB_")
[ "$body" = "/ctl/gain__dB_ 250.000 " ] || fail "read by the JSON spelling: '$body'"
body=$(curl -sS "$base/ctl/freq?value=99999")
[ "$body" = "/ctl/freq 20000.0 " ] || fail "clipped: '$body'"
body=$(curl -sS "$base/freq?value=1234.5")
[ "$body" = "/freq 1234.50 " ] || fail "set by the short name (the hub's address space): '$body'"
ok "GET and ?value= by both spellings, as Faust's httpd answers, and by the short name"
# the value reaches the engine: the bargraph the program computes from freq follows
shown=
for _ in $(seq 100); do
    shown=$(curl -sS "$base/ctl/shown")
    [ "$shown" = "/ctl/shown 1234.50 " ] && break
    sleep 0.02
done
[ "$shown" = "/ctl/shown 1234.50 " ] || fail "the bargraph does not follow: '$shown'"
ok "the value reached the engine: the program's bargraph reads '$shown'"
group=$(curl -sS "$base/ctl")
[ "$(echo "$group" | wc -l)" = 4 ] || fail "GET /ctl: $group"
ok "GET /ctl lists the group's 4 controls"

# refusals
code=$(curl -sS --path-as-is -o "$work/trav" -w '%{http_code}' "$base/../../etc/hostname")
[ "$code" = 400 ] && ! grep -qF "$(cat /etc/hostname)" "$work/trav" || fail "traversal: $code"
code=$(curl -sS --path-as-is -o /dev/null -w '%{http_code}' "$base/%2e%2e/%2e%2e/etc/hostname")
[ "$code" = 400 ] || fail "encoded traversal: $code"
ok "GET /../../etc/hostname refused ($code), nothing read from disk"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$base/JSON")
[ "$code" = 431 ] || fail "oversized header: $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X GET --data-binary @<(head -c 100000 /dev/zero) "$base/JSON")
[ "$code" = 413 ] || fail "oversized body: $code"
ok "a 20 KB header (431) and a 100 KB body (413) refused"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Origin: http://evil.example' "$base/ctl/freq?value=1")
[ "$code" = 403 ] || fail "foreign Origin write: $code"
ok "a write from a foreign Origin refused (403)"
if grep -qi 'access-control-allow-origin' <<<"$(curl -sS -D - -o /dev/null "$base/JSON")"; then
    fail "an Access-Control-Allow-Origin header"
fi
# garbage on the socket, then the server still answers
for g in 'GARBAGE\r\n\r\n' '\x00\x01\x02\xff\xfe' 'GET / HTTP/9.9\r\nHost: x\r\n\r\n' \
    'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: bad\r\nSec-WebSocket-Version: 13\r\n\r\n'; do
    (exec 3<>"/dev/tcp/127.0.0.1/$port"; printf "$g" >&3; timeout 2 cat <&3 >/dev/null || true; exec 3>&-) 2>/dev/null || true
done
# many idle connections do not stop the others (the limit and the timeout)
for i in $(seq 10); do exec {fd}<>"/dev/tcp/127.0.0.1/$port"; done
body=$(curl -sS --max-time 5 "$base/ctl/freq")
[ "$body" = "/ctl/freq 1234.50 " ] || fail "after garbage: '$body'"
ok "garbage and idle connections, and the server still answers"

# the WebSocket
"$client" check 127.0.0.1 "$port" /ctl/gain__dB_ "/ctl/gain_(dB)" "$work/control.dsp" "$here/control_v2.dsp" ||
    fail "the WebSocket checks"
"$client" latency 127.0.0.1 "$port" /ctl/freq 20 100 10 || fail "the latency"
kill -INT "$pid"
wait "$pid" || fail "tutti play did not exit cleanly"
pid=

# another machine: a namespace of our own, 10.200.0.1 on its lo
if unshare -n true 2>/dev/null; then
    unshare -n bash -c '
        set -e
        ip link set lo up
        ip addr add 10.200.0.1/32 dev lo
        "$0" play "$1" --driver null --no-osc --listen 0.0.0.0 --http-port 22150 --token s3cret >"$2/log2" 2>&1 &
        p=$!
        for _ in $(seq 400); do curl -s -o /dev/null "http://127.0.0.1:22150/JSON" && break; sleep 0.025; done
        r1=$(curl -sS -o /dev/null -w "%{http_code}" --interface 10.200.0.1 "http://10.200.0.1:22150/ctl/freq?value=700")
        r2=$(curl -sS -o /dev/null -w "%{http_code}" --interface 10.200.0.1 "http://10.200.0.1:22150/ctl/freq?value=700&token=wrong")
        r3=$(curl -sS --interface 10.200.0.1 "http://10.200.0.1:22150/ctl/freq")
        r4=$(curl -sS --interface 10.200.0.1 "http://10.200.0.1:22150/ctl/freq?value=700&token=s3cret")
        kill $p; wait $p || true
        echo "$r1 $r2 | $r3 | $r4"
        [ "$r1" = 403 ] && [ "$r2" = 403 ] && [ "$r3" = "/ctl/freq 440.000 " ] && [ "$r4" = "/ctl/freq 700.000 " ]
    ' "$tutti" "$here/control.dsp" "$work" >"$work/ns" 2>&1 || { cat "$work/ns" "$work/log2" 2>/dev/null; fail "non-loopback writes"; }
    ok "from 10.200.0.1 (--listen 0.0.0.0): write without token 403, wrong token 403, read ok, with token: $(tail -1 "$work/ns")"
else
    echo "SKIPPED: unshare -n is not allowed here (the non-loopback token check)"
fi
echo "http_control: all checks passed"
