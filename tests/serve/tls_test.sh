#!/bin/bash
# SPDX-License-Identifier: MIT
# tutti serve over TLS (issue 13: "TLS available for non-loopback use"): a
# self-signed certificate made here by the openssl CLI; curl --cacert (a client
# nobody here wrote) and tutti's client (factories, render --on) through https;
# a plain HTTP client on the TLS port gets a plain 400 saying so; a certificate
# signed by another CA, or none given, is refused with a clear error; a server
# off loopback without TLS warns that the token travels in clear. Runs in a
# network namespace of its own (unshare -n) where it can give lo an address that
# is not loopback; port 29030.
# usage: tls_test.sh TUTTI SOURCE_DIR
set -u
tutti=$(realpath "$1")
src=$2
if ! command -v openssl > /dev/null; then
    echo "SKIP: no openssl CLI (apt-get install openssl; scripts/setup.sh)"
    exit 77
fi
if [ -z "${TUTTI_IN_NETNS:-}" ]; then
    for ns in "-n" "-rn"; do # as root; as a user (a user namespace too)
        if unshare $ns true 2> /dev/null; then
            TUTTI_IN_NETNS=1 exec unshare $ns bash -c \
                'ip link set lo up && ip addr add 10.77.0.1/32 dev lo && exec bash "$0" "$@"' \
                "$0" "$tutti" "$src"
        fi
    done
    echo "SKIP: no network namespace (unshare -n)"
    exit 77
fi
port=29030
dir=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null; fi
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$dir" || exit 1
export TUTTI_CACHE_DIR=$dir/local-cache
cert() { # NAME: a self-signed certificate for 127.0.0.1, 10.77.0.1 and localhost
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 2 \
        -subj "/CN=tutti test $1" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:10.77.0.1" \
        2> /dev/null || fail "openssl cannot make a certificate"
}
cert server
cert other
start() { # ARGS...
    "$tutti" serve --port $port --no-advertise --cache-dir "$dir/cache" "$@" > serve.out 2> serve.err &
    pid=$!
    for _ in $(seq 100); do
        grep -q "tutti serve: http" serve.out 2> /dev/null && return 0
        sleep 0.1
    done
    cat serve.out serve.err
    fail "the server did not start"
}
stop() { kill "$pid"; wait "$pid" 2> /dev/null; pid=; }

# on loopback, TLS
start --tls-cert server.pem --tls-key server.key
grep -q "https://127.0.0.1:$port/v1" serve.out || fail "the banner: $(cat serve.out)"
curl -sf --cacert server.pem "https://127.0.0.1:$port/v1/health" > health.json \
    || fail "curl over TLS"
grep -q '"server":"tutti"' health.json || fail "health: $(cat health.json)"
"$tutti" bundle "$src/tests/serve/render_fx.dsp" > fx.bundle
curl -sf --cacert server.pem --data-binary @fx.bundle "https://localhost:$port/v1/factories" > f.json \
    || fail "curl: a factory over TLS"
grep -q '"name":"render_fx"' f.json || fail "factory: $(cat f.json)"
"$tutti" factories "https://127.0.0.1:$port" --tls-ca server.pem > list.txt || fail "tutti factories over TLS"
grep -q "^render_fx " list.txt || fail "the list: $(cat list.txt)"
cp "$src/tests/serve/render_fx.dsp" .
"$tutti" render render_fx.dsp -o local.txt --input noise --frames 3000 --set-at 500:gain=0.8
"$tutti" render render_fx.dsp -o remote.txt --input noise --frames 3000 --set-at 500:gain=0.8 \
    --on "https://127.0.0.1:$port" --tls-ca server.pem || fail "render --on over TLS"
cmp local.txt remote.txt || fail "render over TLS differs from the local one"
# the instance's control WebSocket over TLS (wss://), with a client nobody here
# wrote: Node's own WebSocket (undici)
if node --experimental-websocket -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' 2> /dev/null; then
    key=$(grep -o '"key":"[0-9a-f]*"' f.json | cut -d'"' -f4)
    id=$(curl -sf --cacert server.pem -X POST -d "{\"factory\":\"$key\"}" \
        "https://127.0.0.1:$port/v1/instances" | cut -d'"' -f4)
    [ ${#id} = 32 ] || fail "no instance over TLS"
    curl -sf --cacert server.pem -X POST "https://127.0.0.1:$port/v1/instances/$id/start" > /dev/null \
        || fail "start over TLS"
    NODE_EXTRA_CA_CERTS=server.pem node --experimental-websocket --no-warnings \
        "$src/tests/serve/tls_ws_client.mjs" "https://127.0.0.1:$port" "$id" > ws.out 2>&1 \
        || fail "wss: $(cat ws.out)"
    cat ws.out
    ws=", the instance WebSocket over wss:// (Node's WebSocket)"
else
    echo "(no Node with a WebSocket: the wss:// check is skipped)"
    ws=
fi
# plain HTTP to the TLS port: a plain 400 that says so
code=$(curl -s -o plain.json -w '%{http_code}' "http://127.0.0.1:$port/v1/health")
[ "$code" = 400 ] && grep -q "speaks https" plain.json || fail "plain HTTP: $code $(cat plain.json)"
"$tutti" factories "127.0.0.1:$port" 2> plain.err
[ $? != 0 ] && grep -q "use https://" plain.err || fail "tutti over plain HTTP: $(cat plain.err)"
# untrusted certificates: no CA given, another CA; curl too
"$tutti" factories "https://127.0.0.1:$port" 2> none.err
[ $? != 0 ] && grep -q "not trusted: self-signed certificate" none.err || fail "no CA: $(cat none.err)"
"$tutti" factories "https://127.0.0.1:$port" --tls-ca other.pem 2> other.err
[ $? != 0 ] && grep -q "not trusted" other.err || fail "another CA: $(cat other.err)"
"$tutti" render render_fx.dsp -o x.txt --on "https://127.0.0.1:$port" --tls-ca other.pem 2> other2.err
[ $? = 2 ] && grep -q "not trusted" other2.err || fail "render, another CA: $(cat other2.err)"
curl -s --cacert other.pem "https://127.0.0.1:$port/v1/health" > /dev/null && fail "curl trusted another CA"
stop

# off loopback: the token, and TLS or a warning
start --listen 10.77.0.1 --token sesame --tls-cert server.pem --tls-key server.key
grep -q "warning" serve.err && fail "a warning with TLS: $(cat serve.err)"
curl -sf --cacert server.pem -H "Authorization: Bearer sesame" "https://10.77.0.1:$port/v1/health" > /dev/null \
    || fail "off loopback over TLS with the token"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert server.pem "https://10.77.0.1:$port/v1/health")
[ "$code" = 401 ] || fail "no token: $code"
stop
start --listen 10.77.0.1 --token sesame
grep -q "warning: no TLS off loopback: the token and the programs travel in clear" serve.err \
    || fail "no warning off loopback without TLS: $(cat serve.err)"
curl -sf -H "Authorization: Bearer sesame" "http://10.77.0.1:$port/v1/health" > /dev/null \
    || fail "plain HTTP off loopback still works"
stop
echo "tls: curl and tutti (factories, render --on) over https$ws; plain HTTP, untrusted CAs refused; the warning"
