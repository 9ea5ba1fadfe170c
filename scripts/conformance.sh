#!/usr/bin/env bash
# Conformance of tutti against the reference faust on the installed example
# programs, under the strict protocol (docs/conformance.md):
# - input: on every input an impulse at frame 0 plus noise plus a sine
#   (`--input mix`, src/support/test_signal.h, the same bits on both sides);
# - controls: every slider and numentry set at frame 0 to a value other than its
#   init and changed again at the middle, buttons pressed / released / pressed,
#   checkboxes toggled (src/support/test_schedule.h); the reference runner
#   computes the schedule from its own controls with Faust's addresses and
#   tutti gets it as `--set-at FRAME:ADDRESS=VALUE`; every change frame is a
#   block boundary (blocks of 64), where both sides apply it;
# - tolerance: |tutti - faust| <= 1e-9 * max(1, |faust|) in double precision,
#   1e-4 * max(1, |faust|) in single;
# - a program whose reference output stays below 1e-6 is "silent", not a match.
# Outcomes: match, mismatch (first diverging frame and values), undriven (tutti
# has no control at one of Faust's addresses: every missing address is listed),
# foreign (tutti does not bind a foreign function the program calls), silent,
# error (tutti rejects the program), noref (the reference could not be built),
# timeout, crash.
#
#   scripts/conformance.sh [--levels L1,L2,L3,L4 | --list FILE] [--frames N] [--jobs J]
#                          [--single] [--report FILE] [--expect FILE] [--write-expect FILE]
#
# --list FILE: only the examples listed (one path relative to the examples folder
# a line); --root DIR --list FILE: programs of another folder (users' programs),
# the list's paths relative to DIR; --single: single precision on both sides; --expect FILE: the expected
# outcome of every program that does not match ("PATH OUTCOME" a line): exit 1
# when a program's outcome is neither "match" nor the expected one (a
# regression), and list the programs that match although the file expects
# otherwise (an improvement: tighten the file); --write-expect FILE: write that
# list from this run; --from TSV [--elapsed S]: no run, the report (and checks)
# of the results of an earlier one (build/conformance/results.*.tsv). Reference
# binaries are cached in
# build/reference-cache (faust + g++ on ~240 programs the first time).
#
# Environment: TUTTI_BIN, the tutti binary to test (default build/bin/tutti);
# TUTTI_CONFORMANCE_OUT, where the renders and logs go (default build/conformance).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
levels="L1,L2,L3,L4" frames=20000 jobs=2 report=docs/conformance.md list="" precision=double expect="" write_expect="" from="" elapsed_given=""
while [ $# -gt 0 ]; do
    case "$1" in
        --levels) levels="$2"; shift 2 ;;
        --list) list="$2"; shift 2 ;;
        --frames) frames="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        --report) report="$2"; shift 2 ;;
        --single) precision=single; shift ;;
        --expect) expect="$2"; shift 2 ;;
        --write-expect) write_expect="$2"; shift 2 ;;
        --from) from="$2"; shift 2 ;;
        --elapsed) elapsed_given="$2"; shift 2 ;;
        --root) export CONFORMANCE_ROOT=$(realpath "$2"); shift 2 ;;
        *) echo "usage: $0 [--levels L1,L2 | --list FILE] [--frames N] [--jobs J] [--single] [--report FILE] [--expect FILE]" >&2; exit 2 ;;
    esac
done
out=${TUTTI_CONFORMANCE_OUT:-build/conformance}
tutti=$(realpath -m "${TUTTI_BIN:-build/bin/tutti}")
mkdir -p "$out"
# a compiled-code cache of its own (src/cache), never the user's
export TUTTI_CACHE_DIR="${TUTTI_CACHE_DIR:-$(realpath -m "$out")/code-cache}"
results="$out/results.$precision.$$.tsv"
[ -x "$tutti" ] || { echo "build first (make), or set TUTTI_BIN" >&2; exit 1; }
if [ "$precision" = double ]; then tol=1e-9; else tol=1e-4; fi
silence=1e-6
started=$(date +%s)

# One program: prints "PATH<TAB>OUTCOME<TAB>DETAIL<TAB>CONTROLS<TAB>SECONDS".
one() {
    local rel=$1 frames=$2 root=$3 out=$4 precision=$5 tutti=$6 tol=$7 silence=$8
    local ex=${CONFORMANCE_ROOT:-/usr/share/faust/examples} t0=$SECONDS
    local key=${rel//\//__}.$frames.$precision
    local args=(--frames "$frames" --input mix)
    [ "$precision" = double ] && args+=(--double)
    local ref="$out/$key.ref.txt" ours="$out/$key.tutti.txt" log="$out/$key.log" reflog="$out/$key.ref.log"
    local outcome detail="" controls=0
    rm -f "$ref" "$ours"
    if ! timeout 900 "$root/tools/reference/reference_render.sh" "$ex/$rel" -o "$ref" "${args[@]}" --schedule \
        > "$reflog" 2>&1; then
        outcome=noref
        detail="$(grep -m1 -E 'error|ERROR|fatal' "$reflog" | cut -c1-140)"
    else
        controls=$(grep -c '^# control ' "$ref" || true)
        local peak
        peak=$(awk '!/^#/ { for (i = 2; i <= NF; i++) { if ($i ~ /nan|inf/) { p = 1e308; continue }
                   v = $i + 0; if (v < 0) v = -v; if (v > p) p = v } } END { printf "%.3g", p + 0 }' "$ref")
        if awk -v p="$peak" -v s="$silence" 'BEGIN { exit !(p + 0 < s + 0) }'; then
            outcome=silent
            detail="reference peak $peak"
        else
            local sets=()
            while IFS= read -r line; do
                sets+=(--set-at "${line#\# set-at }")
            done < <(grep '^# set-at ' "$ref" || true)
            set +e
            timeout 300 "$tutti" render "$ex/$rel" -o "$ours" "${args[@]}" --quiet ${sets[@]+"${sets[@]}"} \
                > "$log" 2>&1
            local rc=$?
            set -e
            if [ $rc -eq 0 ]; then
                local cmp
                if cmp=$(awk -v tol="$tol" -f "$root/tools/reference/compare.awk" "$ref" "$ours" 2>&1); then
                    outcome=match
                else
                    outcome=mismatch
                fi
                detail="$cmp (reference peak $peak)"
            elif [ $rc -eq 124 ]; then
                outcome=timeout detail="tutti render: more than 300 s"
            elif [ $rc -gt 128 ]; then
                outcome=crash detail="tutti render: signal $((rc - 128))"
            elif grep -q "no control '" "$log"; then
                local missing
                missing=$(sed -n "s/^tutti render: no control '\(.*\)'\$/\1/p" "$log")
                outcome=undriven
                detail="unknown address$( [ "$(echo "$missing" | wc -l)" -gt 1 ] && echo es) $(echo "$missing" | paste -sd' ')"
            elif grep -q "foreign function" "$log"; then
                outcome=foreign
                detail="$(grep -m1 'foreign function' "$log" | sed 's/^.*error: //' | cut -c1-140)"
            else
                outcome=error
                detail="$(grep -m1 'error' "$log" | sed 's/^[^:]*:[0-9]*:[0-9]*: //' | cut -c1-140)"
            fi
        fi
    fi
    # keep the renders of the programs that do not match, for a look
    [ "$outcome" != match ] || rm -f "$ref" "$ours"
    printf '%s\t%s\t%s\t%s\t%s\n' "$rel" "$outcome" "${detail//|/\\|}" "$controls" "$((SECONDS - t0))"
}
export -f one

programs() {
    if [ -n "${CONFORMANCE_ROOT:-}" ]; then
        # other programs than the examples (users' programs): the list as it is
        awk '!/^#/ && NF { print $1 }' "$list"
    elif [ -n "$list" ]; then
        awk 'NR == FNR { if (!/^#/ && NF) want[$1] = 1; next } !/^#/ && ($2 in want) { print $2 }' \
            "$list" tests/conformance/levels.txt
    else
        awk -v lv="$levels" 'BEGIN{n=split(lv,a,","); for(i=1;i<=n;i++) want[a[i]]=1} !/^#/ && ($1 in want) {print $2}' \
            tests/conformance/levels.txt
    fi
}
if [ -n "$from" ]; then
    results=$(mktemp)
    trap 'rm -f "$results"' EXIT
    cp "$from" "$results"
else
    programs | xargs -P "$jobs" -I{} bash -c 'one "$0" '"$frames $root $out $precision $tutti $tol $silence" {} > "$results"
fi
sort -o "$results" "$results"
elapsed=${elapsed_given:-$(( $(date +%s) - started ))}

count() { awk -F'\t' -v o="$1" '$2 == o' "$results" | wc -l; }
# The detail of a program for the report: at most 6 missing addresses.
short='function short(d,   n, w, i, r) {
    if (d !~ /^unknown address/) return d
    n = split(d, w, " "); if (n <= 8) return d
    r = "unknown addresses (" (n - 2) "):"; for (i = 3; i <= 8; i++) r = r " " w[i]
    return r " ..."
}'
total=$(wc -l < "$results")
nonsilent=$(awk -F'\t' '$2 != "silent" && $2 != "noref"' "$results" | wc -l)
{
    echo "# Conformance against the reference faust 2.54.9 ($precision precision)"
    echo
    echo "Generated by \`scripts/conformance.sh ${list:+--list $list }${list:---levels $levels} --frames $frames$( [ "$precision" = single ] && echo ' --single')\`"
    echo "on $(date -u +%Y-%m-%d) ($elapsed s wall time with $jobs jobs)."
    echo
    echo "Strict protocol ($precision precision, $frames frames at 44100 Hz in blocks of 64):"
    echo "- input: on every input an impulse at frame 0 plus noise plus a sine (\`--input mix\`,"
    echo "  src/support/test_signal.h; the same bits on both sides);"
    echo "- controls (src/support/test_schedule.h): every slider and numentry set at frame 0 to a value"
    echo "  other than its init and changed again at frame $(( frames / 2 / 64 * 64 )), values chosen by a hash of"
    echo "  the address on the grid min + k * step (integers when min, max and step are); buttons pressed at 0,"
    echo "  released at $(( frames / 3 / 64 * 64 )) and pressed again at $(( 2 * frames / 3 / 64 * 64 )); checkboxes toggled at 0 and back at"
    echo "  $(( frames / 2 / 64 * 64 )). The reference runner computes the schedule from its own controls with Faust's"
    echo "  addresses (as \`faust -json\` gives them) and tutti gets it as \`--set-at FRAME:ADDRESS=VALUE\`;"
    echo "  every change is applied at the same block boundary on both sides;"
    echo "- a sample matches when |tutti - faust| <= $tol * max(1, |faust|); a program whose reference"
    echo "  output stays below $silence is **silent**, neither a match nor a mismatch."
    echo
    echo "$total programs (tests/conformance/levels.txt): $(count silent) silent, $(count noref) without a reference,"
    echo "**$nonsilent non-silent**, of which:"
    echo
    echo "- **$(count match) match**"
    echo "- $(count mismatch) mismatch"
    echo "- $(count undriven) cannot be driven (tutti has no control at one of Faust's addresses)"
    echo "- $(count foreign) call a foreign function tutti does not bind"
    echo "- $(count error) rejected by tutti, $(count timeout) timed out, $(count crash) crashed"
    echo
    section() {
        local o=$1 title=$2
        [ "$(count "$o")" -gt 0 ] || return 0
        echo "## $title"
        echo
        awk -F'\t' -v o="$o" "$short"' $2 == o { printf "- %s: %s\n", $1, short($3) }' "$results"
        echo
    }
    section mismatch "Mismatches (first diverging sample)"
    section undriven "Cannot be driven (missing addresses)"
    section foreign "Foreign functions"
    section error "Rejected by tutti"
    section timeout "Timed out"
    section crash "Crashed"
    section noref "No reference"
    section silent "Silent (reference peak below $silence)"
    if [ -f tests/conformance/notes.md ]; then
        cat tests/conformance/notes.md
        echo
    fi
    echo "## Every program"
    echo
    echo "| example | outcome | controls | detail |"
    echo "| --- | --- | --- | --- |"
    awk -F'\t' "$short"' { printf "| %s | %s | %s | %s |\n", $1, $2, $4, short($3) }' "$results"
} > "$report"
sed -n '/ programs (tests/,/crashed$/p' "$report"
echo "report: $report ($elapsed s)"

if [ -n "$write_expect" ]; then
    {
        echo "# Expected outcome of every example that does not match under the strict protocol"
        echo "# ($precision precision; scripts/conformance.sh --expect; anything not listed must match)."
        echo "# Written by scripts/conformance.sh --write-expect on $(date -u +%Y-%m-%d); see docs/conformance*.md."
        awk -F'\t' '$2 != "match" { print $1, $2 }' "$results"
    } > "$write_expect"
fi
if [ -n "$expect" ]; then
    # expected: PATH OUTCOME; anything not listed is expected to match.
    awk -F'\t' 'NR == FNR { if (!/^#/ && split($0, f, " ") >= 2) want[f[1]] = f[2]; next }
        {
            w = ($1 in want) ? want[$1] : "match"
            if ($2 == w) next
            if ($2 == "match") { printf "IMPROVED %s: matches, expected %s (remove it from the list)\n", $1, w; next }
            printf "REGRESSION %s: %s, expected %s: %s\n", $1, $2, w, substr($3, 1, 200); bad = 1
        }
        END { exit bad }' "$expect" "$results" >&2 || { echo "conformance: regressions against $expect" >&2; exit 1; }
fi
