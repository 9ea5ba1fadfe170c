#!/usr/bin/env bash
# Runs the fuzz targets (libFuzzer, clang, ASan+UBSan; tests/fuzz/CMakeLists.txt)
# one after the other, FUZZ_SECONDS each (default 600).
#   FUZZ_TARGETS   which ones (default: parse eval ir pipeline midi osc http_request ws_message netjack
#                  factory_info serve_api dnssd_txt)
#   FUZZ_TIMEOUT   wall-clock seconds one input may take before it is reported as
#                  a hang (60: the largest example programs take a few seconds of
#                  CPU under the sanitizers, and the machine may be shared)
#   FUZZ_RSS_MB    memory one run may hold before it is reported (2048)
#   FUZZ_NICE      niceness of the fuzzers (10; the machine is shared)
#   FUZZ_JOBS      how many targets fuzz at once (1; `make test` runs $(JOBS)):
#                  each has its own log, and the summaries are printed in order
#   FUZZ_EXAMPLES  1 (default): the installed Faust examples are seeds too; 0:
#                  only the stored corpus, the seeds and the regression inputs
#   FUZZ_SAMPLE    N: a short run (`make test`) starts from N seeds drawn at
#                  random (and printed) from those, and from an empty corpus of
#                  its own (build-fuzz/sample-corpus/<target>). libFuzzer runs
#                  every seed before it mutates any, whatever -max_total_time
#                  says, and under the sanitizers a compiler target runs 1-3
#                  programs a second (each parses its library closure): the
#                  ~120 stored seeds of one target took 269 s on this machine,
#                  a "60 s" run that never fuzzed. ctest replays every stored
#                  seed anyway (label fuzz).
# Seeds: the stored corpus tests/fuzz/corpus/<target>, and for the compiler
# targets tests/fuzz/seeds, tests/fuzz/regressions and the installed Faust
# examples (those over 4 KB are cut to 4 KB by libFuzzer's -max_len). What the fuzzer adds goes to build-fuzz/corpus/<target> (not
# committed; `-merge=1` into tests/fuzz/corpus/<target> to keep some). Findings
# go to build-fuzz/artifacts/. Prints the executions of each target; fails on
# the first target that finds something.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-600}"
targets="${FUZZ_TARGETS:-parse eval ir pipeline midi osc http_request ws_message netjack factory_info serve_api dnssd_txt}"
timeout="${FUZZ_TIMEOUT:-60}"
rss="${FUZZ_RSS_MB:-2048}"
niceness="${FUZZ_NICE:-10}"
jobs="${FUZZ_JOBS:-1}"
examples="${FUZZ_EXAMPLES:-1}"
sample="${FUZZ_SAMPLE:-}"
cmake --preset fuzz >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target $(for t in $targets; do echo "${t}_fuzzer"; done)
mkdir -p build-fuzz/artifacts
# fuzz_one TARGET: fuzzes one target; its summary goes to build-fuzz/fuzz-TARGET.summary
fuzz_one() {
    local t=$1
    local run=build-fuzz/corpus/$t
    local seeds compiler dict log rc f i summary=build-fuzz/fuzz-$t.summary
    : > "$summary"
    seeds=(tests/fuzz/corpus/"$t")
    case $t in parse | midi | osc | http_request | ws_message | netjack | factory_info | serve_api | dnssd_txt) compiler=0 ;; *) compiler=1 ;; esac
    if [ "$compiler" = 1 ]; then
        seeds+=(tests/fuzz/seeds)
        [ -d tests/fuzz/regressions ] && seeds+=(tests/fuzz/regressions)
        [ "$examples" = 1 ] && [ -d /usr/share/faust/examples ] && seeds+=(/usr/share/faust/examples)
    fi
    if [ -n "$sample" ]; then
        run=build-fuzz/sample-corpus/$t
        rm -rf "$run" build-fuzz/sample-seeds/"$t"
        mkdir -p build-fuzz/sample-seeds/"$t"
        find "${seeds[@]}" -type f | shuf -n "$sample" > build-fuzz/sample-seeds/"$t".txt
        i=0
        while read -r f; do
            cp "$f" build-fuzz/sample-seeds/"$t"/"$i"-"$(basename "$f")"
            i=$((i + 1))
        done < build-fuzz/sample-seeds/"$t".txt
        echo "$t: seeds $(tr '\n' ' ' < build-fuzz/sample-seeds/"$t".txt)" >> "$summary"
        seeds=(build-fuzz/sample-seeds/"$t")
    fi
    # A target's own dictionary, else Faust's tokens; none for binary datagrams.
    dict=(-dict=tests/fuzz/faust.dict)
    [ -f tests/fuzz/"$t".dict ] && dict=(-dict=tests/fuzz/"$t".dict)
    [ "$t" = netjack ] && dict=()
    mkdir -p "$run"
    log=build-fuzz/fuzz-$t.log
    {
        echo "== $t: ${seconds}s (log: $log)"
        nice -n "$niceness" build-fuzz/bin/"${t}"_fuzzer -max_total_time="$seconds" -timeout="$timeout" \
            -rss_limit_mb="$rss" -max_len=4096 "${dict[@]}" \
            -artifact_prefix=build-fuzz/artifacts/"$t"- -print_final_stats=1 "$run" "${seeds[@]}" > "$log" 2>&1
        rc=$?
        grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs" "$log" || true
        if [ $rc -ne 0 ]; then
            echo "$t: the fuzzer found something (rc=$rc); see $log and build-fuzz/artifacts/"
            tail -40 "$log"
        else
            echo "$t: ${seconds}s with no crash, hang, leak or memory overrun"
        fi
    } >> "$summary" 2>&1
    return $rc
}

# FUZZ_JOBS targets at a time; every summary printed in the targets' order;
# fails if any target found something.
set +e
pids=()
names=()
failed=0
for t in $targets; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
        wait -n
    done
    fuzz_one "$t" &
    pids+=($!)
    names+=("$t")
done
for k in "${!pids[@]}"; do
    wait "${pids[$k]}" || failed=1
    cat build-fuzz/fuzz-"${names[$k]}".summary
done
set -e
if [ $failed -ne 0 ]; then
    echo "fuzz: a target found something (above)" >&2
    exit 1
fi
