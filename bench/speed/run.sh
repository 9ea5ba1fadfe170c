#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The speed runner (issue 14): for each program, in one run,
#   compile time (ms of CPU time, so that other work on a shared machine does not
#   count; source to initialised instance, warm process, best of N):
#     tutti LLVM (exact math), tutti interpreter, libfaust's LLVM JIT
#     (bench_speed_libfaust: createDSPFactoryFromString), faust -lang cpp + g++ -O3
#   run time (ns per frame, CPU time of the computing thread):
#     tutti LLVM --math exact and --math fast, tutti interpreter, libfaust LLVM,
#     faust's C++ built with g++ -O3 -march=native -ffp-contract=off, and with
#     g++ -Ofast -march=native
# all through one harness (src/apps/tutti/bench_harness.h: noise input,
# 256-frame blocks at 48 kHz, one control pattern, FTZ/DAZ, the 200 recorded
# blocks as warm-up, none pinned unless PIN is set), with every output
# compared: tutti exact and the interpreter bit for bit with each other, and
# with the g++ -O3 build (differences reported as NOT EXACT); the fast ones
# within TOLERANCE of the peak of g++ -O3's, or no farther than the fast anchors.
# Run time is interleaved: the six contenders of a program are started once
# (each compiles, records its check blocks, then waits: `--serve`), and then
# ROUNDS times each in turn (the order rotated every round) times one pass of
# about SECONDS_PER_PASS of CPU time; a contender's figure is the median of its
# passes (the min and the spread, (max - min) / median, are printed too), and
# every ratio is one of medians. On a shared machine the same binary varies by
# far more than the gaps measured between back-to-back runs; interleaved, every
# contender sees the same stretch of noise.
# Prints each tutti figure as a ratio to each anchor, then the geometric means.
# A benchmark, not a test: it fails only when something cannot be built or run,
# or an output disagrees.
#
# Usage: bench/speed/run.sh [--compile-only] [--quick|--full] [BUILD_DIR] [PROGRAM.dsp...]
#   --compile-only: the compile columns of tutti and libfaust alone (no faust+g++, no run time)
#   --quick (default): osc, freeverb, zitaRev; 2 compile runs, 3 rounds of 0.1 s passes
#   --full: the nine programs of issue 14; 3 compile runs, 5 rounds of 0.25 s passes
# Environment: COMPILE_RUNS, ROUNDS, SECONDS_PER_PASS (CPU seconds of one pass)
# override the mode's; PIN (a CPU number: every contender pinned to it with
# taskset); TOLERANCE (default 1e-3); CXX (default g++); FAUST (default faust).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mode=quick
compile_only=0
if [ "${1:-}" = "--compile-only" ]; then
    compile_only=1
    shift
fi
if [ "${1:-}" = "--quick" ] || [ "${1:-}" = "--full" ]; then
    mode=${1#--}
    shift
fi
build=${1:-build}
shift || true
tutti=$build/bin/tutti
compare=$build/bin/bench_speed_compare
libfaust=$build/bin/bench_speed_libfaust
faust=${FAUST:-faust}
cxx=${CXX:-g++}
examples=${FAUST_EXAMPLES:-/usr/share/faust/examples}
tolerance=${TOLERANCE:-1e-3}
if [ "$mode" = full ]; then
    compile_runs=${COMPILE_RUNS:-3} seconds=${SECONDS_PER_PASS:-0.25} rounds=${ROUNDS:-5}
    default=(generator/osc.dsp bela/FMSynth2_FX.dsp physicalModeling/old/karplus32.dsp
             reverb/freeverb.dsp reverb/zitaRev.dsp physicalModeling/frenchBell.dsp
             filtering/filterBank.dsp filtering/graphicEqLab.dsp reverb/fdnRev.dsp)
else
    compile_runs=${COMPILE_RUNS:-2} seconds=${SECONDS_PER_PASS:-0.1} rounds=${ROUNDS:-3}
    default=(generator/osc.dsp reverb/freeverb.dsp reverb/zitaRev.dsp)
fi
if [ $compile_only -eq 1 ]; then
    rounds=0 # no run time: the compile columns only
fi
programs=("$@")
if [ ${#programs[@]} -eq 0 ]; then
    programs=("${default[@]/#/$examples/}")
fi
for tool in "$tutti" "$compare"; do
    if [ ! -x "$tool" ]; then
        echo "run.sh: $tool not found (build first)" >&2
        exit 2
    fi
done
have_libfaust=1
[ -x "$libfaust" ] || have_libfaust=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
field() { sed -n "s/.*\"$1\": \\([-0-9.e+]*\\).*/\\1/p" <<< "$2"; }
# start DIR NAME COMMAND...: the contender NAME in serve mode, its stdin and
# stdout through two FIFOs (in_fd, out_fd), its JSON line in json[NAME].
declare -A in_fd out_fd pid json cbest
start() {
    local dir=$1 c=$2
    shift 2
    rm -f "$dir/$c.in" "$dir/$c.stdout" "$dir/$c.ns"
    mkfifo "$dir/$c.in" "$dir/$c.stdout"
    # the child keeps none of the other contenders' FIFOs open (else closing
    # one would not end its contender's input)
    (
        for f in "${in_fd[@]}" "${out_fd[@]}"; do
            eval "exec $f>&-"
        done
        exec "${pin[@]}" "$@"
    ) < "$dir/$c.in" > "$dir/$c.stdout" 2> "$dir/$c.err" &
    pid[$c]=$!
    exec {in_fd[$c]}> "$dir/$c.in"
    exec {out_fd[$c]}< "$dir/$c.stdout"
    if ! read -r -t 900 -u "${out_fd[$c]}" "json[$c]"; then
        cat "$dir/$c.err" >&2
        echo "run.sh: $(basename "$dir"): $c did not start" >&2
        json[$c]=""
        return 1
    fi
}
# ask CONTENDER WORD: sends WORD ("pass" or "compile") to a started contender and
# reads its answer into $answer; says so (and its stderr) when it stopped answering.
ask() {
    local c=$1
    echo "$2" >&"${in_fd[$c]}"
    if ! read -r -t 600 -u "${out_fd[$c]}" answer; then
        echo "run.sh: $name: $c stopped answering" >&2
        cat "$w/$c.err" >&2
        return 1
    fi
}
# stop_all: ends every started contender (end of its input) and waits for it.
stop_all() {
    local c
    for c in "${!pid[@]}"; do
        exec {in_fd[$c]}>&-
        exec {out_fd[$c]}<&-
        wait "${pid[$c]}" 2> /dev/null
    done
    pid=() in_fd=() out_fd=()
}
# stat_of FILE median|all: of the ns per frame in FILE (one a line), the
# median, or "median min spread" (spread: (max - min) / median); "-" if none.
stat_of() {
    [ -s "$1" ] || { echo "-"; return; }
    sort -g "$1" | awk -v what="$2" '{ v[NR] = $1 } END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        if (what == "median") printf "%.3f\n", m
        else printf "%.3f %.3f %.3f\n", m, v[1], (m > 0 ? (v[NR] - v[1]) / m : 0) }'
}

pin=()
if [ -n "${PIN:-}" ]; then
    pin=(taskset -c "$PIN")
fi
echo "speed runner ($mode): ${#programs[@]} programs, compile best of $compile_runs runs and $compile_runs interleaved rounds," \
    "run: median of $rounds interleaved rounds of $seconds s (CPU) passes," \
    "${PIN:+pinned to CPU $PIN}${PIN:-not pinned}; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),$(grep -m1 'cpu MHz' \
    /proc/cpuinfo | cut -d: -f2) MHz, $(grep -m1 -o 'avx512f' /proc/cpuinfo || echo 'no avx512f')"
results=$tmp/results.tsv
failed=0
not_exact=""
for p in "${programs[@]}"; do
    name=$(basename "$p" .dsp)
    w=$tmp/$name
    mkdir -p "$w"
    checks=""
    json=() cbest=()
    # faust -lang cpp + g++ -O3 (compile time: CPU time of both, best of the runs)
    gxx_ms=""
    if [ $compile_only -eq 0 ]; then
        for ((i = 0; i < compile_runs; i++)); do
            if ! /usr/bin/time -f "%U %S" -o "$w/t1" "$faust" -lang cpp -cn mydsp "$p" -o "$w/mydsp.cpp" 2> "$w/err"; then
                cat "$w/err" >&2; failed=1; break
            fi
            /usr/bin/time -f "%U %S" -o "$w/t2" "$cxx" -std=c++17 -O3 -march=native -ffp-contract=off \
                -I "$root/src" -I "$here" -DFAUST_CLASS_FILE="\"$w/mydsp.cpp\"" -DBENCH_LABEL='"g++ -O3"' \
                "$here/cpp_speed.cpp" -o "$w/o3" 2> "$w/err" || { cat "$w/err" >&2; failed=1; break; }
            t=$(cat "$w/t1" "$w/t2" | awk '{ s += ($1 + $2) * 1000 } END { printf "%.1f", s }')
            gxx_ms=$(awk -v a="$t" -v b="${gxx_ms:-1e300}" 'BEGIN { print (a < b ? a : b) }')
        done
        [ -x "$w/o3" ] || continue
        "$cxx" -std=c++17 -Ofast -march=native -I "$root/src" -I "$here" \
            -DFAUST_CLASS_FILE="\"$w/mydsp.cpp\"" -DBENCH_LABEL='"g++ -Ofast"' \
            "$here/cpp_speed.cpp" -o "$w/ofast" 2> "$w/err" || { cat "$w/err" >&2; failed=1; continue; }
    fi
    # the contenders, each started once in serve mode: it compiles, records its
    # check blocks and prints its JSON line, then times one pass per "pass" line
    contenders=(exact fast interp)
    start "$w" exact "$tutti" bench "$p" --math exact --compile-runs "$compile_runs" --serve \
        --seconds "$seconds" --check-out "$w/exact.out" || { failed=1; stop_all; continue; }
    start "$w" fast "$tutti" bench "$p" --math fast --compile-runs "$compile_runs" --serve \
        --seconds "$seconds" --check-out "$w/fast.out" || { failed=1; stop_all; continue; }
    start "$w" interp "$tutti" bench "$p" --backend interp --compile-runs "$compile_runs" --serve \
        --seconds "$seconds" --check-out "$w/interp.out" || { failed=1; stop_all; continue; }
    if [ $have_libfaust -eq 1 ] &&
        start "$w" libfaust "$libfaust" "$p" "$compile_runs" "$seconds" serve "$w/libfaust.out"; then
        contenders+=(libfaust)
    fi
    if [ $compile_only -eq 0 ]; then
        start "$w" o3 "$w/o3" "$seconds" serve "$w/o3.out" "$gxx_ms" "$name.dsp" &&
            start "$w" ofast "$w/ofast" "$seconds" serve "$w/ofast.out" 0 "$name.dsp" ||
            { failed=1; stop_all; continue; }
        contenders+=(o3 ofast)
    fi
    # compile time, interleaved as the run time is: each compiling contender
    # compiles the program again once per round (a fresh factory and instance in
    # its warm process), the order rotated; its figure is the best of these and
    # of its first runs (measured one contender after the other, minutes apart
    # from the anchors' on a machine whose speed drifts)
    comp=()
    for c in "${contenders[@]}"; do
        case $c in exact | fast | interp | libfaust)
            comp+=("$c")
            cbest[$c]=$(field compile_ms "${json[$c]}")
            ;;
        esac
    done
    for ((round = 0; round < compile_runs; round++)); do
        for ((i = 0; i < ${#comp[@]}; i++)); do
            c=${comp[$(((i + round) % ${#comp[@]}))]}
            ask "$c" compile || { failed=1; break 2; }
            cbest[$c]=$(awk -v a="$answer" -v b="${cbest[$c]}" 'BEGIN { print (a + 0 > 0 && a + 0 < b + 0 ? a : b) }')
        done
    done
    # the rounds: each contender in turn, the order rotated every round
    n=${#contenders[@]}
    for ((round = 0; round < rounds; round++)); do
        for ((i = 0; i < n; i++)); do
            c=${contenders[$(((i + round) % n))]}
            ask "$c" pass || { failed=1; break 2; }
            echo "$answer" >> "$w/$c.ns"
        done
    done
    stop_all
    if [ $compile_only -eq 1 ]; then
        lf_c=${cbest[libfaust]:-}
        printf '%s\t%s\t%s\t%s\t%s\t-\t-\t-\t-\t-\t-\t-\n' "$name" "${cbest[exact]}" \
            "${cbest[fast]}" "${cbest[interp]}" "${lf_c:--}" >> "$results"
        echo "  done: $name" >&2
        continue
    fi
    # outputs. tutti exact and the interpreter: bit for bit with each other (one
    # semantics); against g++ -O3 -ffp-contract=off: "exact", or NOT EXACT (a
    # conformance difference, reported, not a speed one). The fast ones against
    # g++ -O3: within TOLERANCE of the peak, or no farther than the fast anchors
    # (libfaust, g++ -Ofast) are: programs with feedback can drift far under
    # fast-math, for every compiler alike.
    if ! "$compare" "$w/exact.out" "$w/interp.out" --exact > /dev/null; then
        checks+="exact != interp (FAIL); "
        failed=1
    fi
    v=$("$compare" "$w/o3.out" "$w/exact.out" --exact)
    if [ "$v" = exact ]; then
        checks+="exact: exact; "
    else
        checks+="exact: NOT EXACT, $v; "
        not_exact+="$name "
    fi
    anchor_rel=0
    for c in libfaust ofast fast; do
        [ -f "$w/$c.out" ] || continue
        v=$("$compare" "$w/o3.out" "$w/$c.out" "$tolerance")
        ok=$?
        rel=$(sed -n 's/.*(\([^ ]*\) of peak).*/\1/p' <<< "$v")
        rel=${rel:-0}
        if [ "$c" != fast ]; then
            anchor_rel=$(awk -v a="$rel" -v b="$anchor_rel" 'BEGIN { print (a > b ? a : b) }')
            checks+="$c: $v; "
        elif [ $ok -eq 0 ] || awk -v a="$rel" -v b="$anchor_rel" 'BEGIN { exit !(a <= 2 * b) }'; then
            [ $ok -eq 0 ] || v="$v, as far as the fast anchors"
            checks+="fast: $v; "
        else
            checks+="fast: FAIL $v; "
            failed=1
        fi
    done
    lf_c=${cbest[libfaust]:-}
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" \
        "${cbest[exact]}" "${cbest[fast]}" \
        "${cbest[interp]}" "${lf_c:--}" "$gxx_ms" \
        "$(stat_of "$w/exact.ns" median)" "$(stat_of "$w/fast.ns" median)" \
        "$(stat_of "$w/interp.ns" median)" "$(stat_of "$w/libfaust.ns" median)" \
        "$(stat_of "$w/o3.ns" median)" "$(stat_of "$w/ofast.ns" median)" >> "$results"
    line="$name"
    for c in exact fast interp libfaust o3 ofast; do
        line+=$'\t'"$(stat_of "$w/$c.ns" all)"
    done
    echo "$line" >> "$tmp/spread.tsv"
    echo "$name: $checks" >> "$tmp/checks"
    echo "  done: $name" >&2
done
[ -f "$results" ] || { echo "run.sh: nothing measured" >&2; exit 1; }

awk -F'\t' -v co=$compile_only '
function r(a, b) { return (a == "-" || b == "-" || b == 0) ? "-" : sprintf("%.2f", a / b) }
function acc(k, a, b) { if (a != "-" && b != "-" && b > 0) { s[k] += log(a / b); n[k]++ } }
function g(k) { return n[k] ? sprintf("%.2f", exp(s[k] / n[k])) : "-" }
function mx(k, v) { if (v != "-" && (!(k in m) || v + 0 > m[k])) m[k] = v + 0 }
function min2(a, b) { return a == "-" ? b : (b == "-" ? a : (a + 0 < b + 0 ? a : b)) }
{ rows[NR] = $0 }
END {
    print ""
    print "== compile time (ms of CPU): source to initialised instance; ratios: tutti / anchor"
    printf "%-14s %9s %9s %9s %9s %9s | %8s %8s %8s %8s %8s\n", "program", "llvm", "llvm-fast",
        "interp", "libfaust", "faust+g++", "llvm/lf", "llvm/g++", "fast/lf", "interp/lf", "interp/g++"
    for (i = 1; i <= NR; i++) {
        split(rows[i], f, "\t")
        printf "%-14s %9.1f %9.1f %9.1f %9s %9s | %8s %8s %8s %8s %8s\n", substr(f[1], 1, 14),
            f[2], f[3], f[4], f[5], f[6], r(f[2], f[5]), r(f[2], f[6]), r(f[3], f[5]), r(f[4], f[5]),
            r(f[4], f[6])
        acc("cl", f[2], f[5]); acc("cg", f[2], f[6]); acc("cf", f[3], f[5]); acc("ci", f[4], f[5])
        acc("cig", f[4], f[6]); mx("cl", r(f[2], f[5]))
    }
    if (co) {
        printf "\nsummary (geometric means over %d programs): compile tutti llvm / libfaust %s (worst %s); interp / libfaust %s\n",
            NR, g("cl"), ("cl" in m) ? sprintf("%.2f", m["cl"]) : "-", g("ci")
        exit
    }
    print ""
    print "== run time (ns per frame): CPU time, 256-frame blocks at 48 kHz, median of the rounds; ratios: tutti / anchor"
    printf "%-14s %8s %8s %8s %8s %8s %8s | %7s %7s %7s %7s %7s %7s %7s %7s\n", "program", "exact",
        "fast", "interp", "libfaust", "g++O3", "g++Ofast", "ex/O3", "ex/lf", "ex/Ofst", "fa/lf",
        "fa/Ofst", "fa/best", "in/lf", "in/O3"
    for (i = 1; i <= NR; i++) {
        split(rows[i], f, "\t")
        best = min2(f[10], f[12])
        printf "%-14s %8.1f %8.1f %8.1f %8s %8.1f %8.1f | %7s %7s %7s %7s %7s %7s %7s %7s\n",
            substr(f[1], 1, 14), f[7], f[8], f[9], f[10], f[11], f[12], r(f[7], f[11]),
            r(f[7], f[10]), r(f[7], f[12]), r(f[8], f[10]), r(f[8], f[12]), r(f[8], best),
            r(f[9], f[10]), r(f[9], f[11])
        acc("eo", f[7], f[11]); acc("el", f[7], f[10]); acc("ef", f[7], f[12])
        acc("fl", f[8], f[10]); acc("ff", f[8], f[12]); acc("fb", f[8], best)
        acc("il", f[9], f[10]); acc("io", f[9], f[11]); mx("fb", r(f[8], best))
    }
    print ""
    printf "summary (geometric means over %d programs): compile tutti llvm / libfaust %s (worst %s), / faust+g++ %s; interp / libfaust %s\n",
        NR, g("cl"), ("cl" in m) ? sprintf("%.2f", m["cl"]) : "-", g("cg"), g("ci")
    printf "summary: run exact / g++ -O3 -ffp-contract=off %s (exact / libfaust %s, / g++ -Ofast %s); fast / libfaust %s, / g++ -Ofast %s, / best of the two %s (worst %s); interp / g++ -O3 %s\n",
        g("eo"), g("el"), g("ef"), g("fl"), g("ff"), g("fb"), ("fb" in m) ? sprintf("%.2f", m["fb"]) : "-", g("io")
}' "$results"
[ $compile_only -eq 1 ] && exit $failed
echo ""
echo "== run time per contender over $rounds interleaved rounds: median / min (ns per frame), spread = (max - min) / median"
awk -F'\t' '
BEGIN { printf "%-14s", "program"; split("exact fast interp libfaust g++O3 g++Ofast", h, " ")
        for (i = 1; i <= 6; i++) printf " %22s", h[i]; printf "\n" }
{ printf "%-14s", substr($1, 1, 14)
  for (i = 2; i <= 7; i++) {
      if ($i == "-") { printf " %22s", "-"; continue }
      split($i, v, " "); printf " %22s", sprintf("%.1f/%.1f %3.0f%%", v[1], v[2], 100 * v[3])
  }
  printf "\n" }' "$tmp/spread.tsv"
echo ""
echo "== outputs against g++ -O3 -ffp-contract=off (exact: bit for bit; others: max |difference|; fast: within $tolerance of the peak or as far as the fast anchors)"
cat "$tmp/checks"
echo "tutti exact not bit-exact with g++ -O3 (conformance differences, not speed ones): ${not_exact:-none}"
exit $failed
