#!/usr/bin/env bash
# Runs the lexer+parser fuzzer (libFuzzer, clang) for FUZZ_SECONDS (default 600).
# Seeds: tests/fuzz/corpus plus the installed Faust examples (copied into a
# scratch corpus that is not committed). Prints the number of executions.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-600}"
cmake --preset fuzz >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target parse_fuzzer
run=tests/fuzz/corpus-run
mkdir -p "$run" build-fuzz/artifacts
cp -n tests/fuzz/corpus/* "$run"/ 2>/dev/null || true
if [ -d /usr/share/faust/examples ]; then
    find /usr/share/faust/examples -name '*.dsp' -size -16k | while read -r f; do
        cp -n "$f" "$run/ex_$(echo "$f" | md5sum | cut -c1-12).dsp" 2>/dev/null || true
    done
fi
log=build-fuzz/fuzz.log
set +e
build-fuzz/bin/parse_fuzzer -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -dict=tests/fuzz/faust.dict -artifact_prefix=build-fuzz/artifacts/ \
    -print_final_stats=1 "$run" > "$log" 2>&1
rc=$?
set -e
grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs" "$log" || true
if [ $rc -ne 0 ]; then
    echo "fuzzer failed (rc=$rc); see $log and build-fuzz/artifacts/" >&2
    tail -40 "$log" >&2
    exit $rc
fi
echo "fuzzing ran ${seconds}s with no crash, hang or leak"
