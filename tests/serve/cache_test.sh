#!/bin/bash
# SPDX-License-Identifier: MIT
# tutti serve's compiled-code cache (issue 13: "local first, the server uses it
# too"): the same bundle compiled again is a hit ("cached":true) from memory,
# then from disk after a restart, and answers faster than the compilation; an
# edit of an imported library in the bundle is a miss; machine code is cached
# too; --no-cache compiles every time. Port 29020 on 127.0.0.1.
# usage: cache_test.sh TUTTI SOURCE_DIR
set -u
tutti=$1
src=$2
port=29020
url=http://127.0.0.1:$port/v1
dir=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
start() { # ARGS...
    "$tutti" serve --port $port --no-advertise "$@" > "$dir/serve.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        curl -sf "$url/health" > /dev/null && return 0
        sleep 0.1
    done
    cat "$dir/serve.log"
    fail "the server did not start"
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null; pid=; }
field() { python3 -c "import json,sys; print(json.load(open('$1'))['$2'])"; }
post() { # NAME: POST the bundle, answer in NAME.json; prints cache answer_ms compile_ms
    curl -s --data-binary @"$dir/prog.bundle" "$url/factories" > "$dir/$1.json"
    python3 -c "import json; d=json.load(open('$dir/$1.json')); print(d['cached'], d['cache'], d['answer_ms'], d['compile_ms'])" \
        || fail "$1: $(cat "$dir/$1.json")"
}
cd "$dir" || exit 1
mkdir lib
printf 'import("stdfaust.lib");\nlevel = hslider("level", 0.3, 0, 1, 0.01);\n' > lib/mine.lib
printf 'import("lib/mine.lib");\nprocess = os.osc(440) * level : fi.lowpass(2, 2000);\n' > prog.dsp
"$tutti" bundle prog.dsp > prog.bundle || fail "bundle"

start --cache-dir "$dir/cache"
read -r c1 how1 ms1 comp1 <<< "$(post first)"
echo "first compile: cached=$c1 ($how1), answered in $ms1 ms"
[ "$c1" = False ] && [ "$how1" = miss ] || fail "the first compile is not a miss"
key=$(field first.json key)
read -r c2 how2 ms2 _ <<< "$(post again)"
echo "same bundle: cached=$c2 ($how2), $ms2 ms"
[ "$c2" = True ] && [ "$how2" = known ] || fail "the same bundle again is not the known factory"
curl -sf -X DELETE "$url/factories/$key" > /dev/null || fail "delete"
read -r c3 how3 ms3 _ <<< "$(post memory)"
echo "after delete: cached=$c3 ($how3), $ms3 ms"
[ "$c3" = True ] && [ "$how3" = memory ] || fail "not a memory hit"
[ "$(field memory.json key)" = "$key" ] || fail "another key from the cache"
stop
start --cache-dir "$dir/cache"
read -r c4 how4 ms4 _ <<< "$(post disk)"
echo "restarted server: cached=$c4 ($how4), $ms4 ms"
[ "$c4" = True ] && [ "$how4" = disk ] || fail "not a disk hit"
[ "$(field disk.json key)" = "$key" ] || fail "another key from the disk"
python3 -c "import sys; sys.exit(0 if $ms4 < $comp1 and $ms3 < $comp1 else 1)" \
    || fail "the hits ($ms3, $ms4 ms) are not faster than the compilation ($comp1 ms)"
# an edit of the imported library: a miss, another program
printf 'import("stdfaust.lib");\nlevel = hslider("level", 0.5, 0, 1, 0.01);\n' > lib/mine.lib
"$tutti" bundle prog.dsp > prog.bundle || fail "bundle"
read -r c5 how5 ms5 _ <<< "$(post edited)"
echo "library edited: cached=$c5 ($how5), $ms5 ms"
[ "$c5" = False ] && [ "$how5" = miss ] || fail "an edited library is not a miss"
[ "$(field edited.json key)" != "$key" ] || fail "the edited program has the same key"
# machine code: the second one is a disk hit (the health's counters since the
# restart: the disk hit and the edit's miss above, then these two)
for i in 1 2; do
    curl -sf --data-binary @prog.bundle -o mc$i.bin "$url/machine_code?math=fast" || fail "machine code"
done
cmp mc1.bin mc2.bin || fail "the cached machine code differs"
curl -s "$url/health" > health.json
python3 -c "import json; c=json.load(open('health.json'))['cache']; assert c['hits'] == 2 and c['misses'] == 2, c" \
    || fail "cache counters: $(cat health.json)"
stop
# without the cache
start --no-cache
read -r c6 how6 _ _ <<< "$(post nocache)"
[ "$c6" = False ] && [ "$how6" = off ] || fail "--no-cache: cached=$c6 ($how6)"
grep -q '"cache":null' <(curl -s "$url/health") || fail "--no-cache: the health names a cache"
stop
echo "cache: miss $ms1 ms (compile), memory hit $ms3 ms, disk hit $ms4 ms, edit: $how5"
