#!/usr/bin/env bash
# Small differential tests of language features (tests/language/*.dsp): each
# program is rendered by tutti and by the reference faust (tools/reference) with
# noise on every input, in double and in single precision, and compared sample
# by sample: |tutti - ref| <= 1e-9 * max(1, |ref|) in double, 1e-4 in single,
# with both of tutti's backends (LLVM and the interpreter).
# Every output of the reference must be non-silent somewhere (peak >= 1e-6),
# so that a match compares something. A program may name the flags of both
# renders on a line `// flags: ...` (e.g. --set /prog/d=40). A line
# `// exact: double` asks for the same bits as the reference in double
# precision (tolerance 0), for programs where a single ulp grows into a
# different signal (a chaotic system) and the operations must be the
# reference's, in its order.
#
#   tests/language/run.sh TUTTI [PROGRAM.dsp...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tutti=$(realpath "$1")
shift
programs=("$@")
[ ${#programs[@]} -gt 0 ] || programs=("$here"/*.dsp)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TUTTI_REFERENCE_CACHE=${TUTTI_REFERENCE_CACHE:-$root/build/reference-cache}
failed=0 passed=0
# Programs with soundfiles read small WAV files written here, next to a copy of
# the program (sounds/make_sounds.py: deterministic 16-bit PCM).
python3 "$here/sounds/make_sounds.py" "$work/sounds"
for p in "${programs[@]}"; do
    name=$(basename "$p" .dsp)
    if grep -q soundfile "$p"; then
        cp "$p" "$work/sounds/"
        p="$work/sounds/$name.dsp"
    fi
    read -r -a flags <<< "$(sed -n 's|^// flags: ||p' "$p" | head -1)"
    exact=$(sed -n 's|^// exact: ||p' "$p" | head -1)
    for precision in double single; do
        args=(--frames 4096 --input noise "${flags[@]}")
        tol=1e-4
        if [ $precision = double ]; then args+=(--double); tol=1e-9; fi
        if [ "$exact" = "$precision" ]; then tol=0; fi
        ref="$work/$name.$precision.ref" ours="$work/$name.$precision.tutti"
        if ! "$root/tools/reference/reference_render.sh" "$p" -o "$ref" "${args[@]}" > "$ref.log" 2>&1; then
            echo "FAIL $name ($precision): the reference did not render:"; tail -3 "$ref.log"; failed=$((failed + 1)); continue
        fi
        silent=$(awk '!/^#/ { for (i = 2; i <= NF; i++) { v = $i + 0; if (v < 0) v = -v; if ($i ~ /inf|nan/ || v >= 1e-6) seen[i] = 1; if (i > n) n = i } }
                      END { s = ""; for (i = 2; i <= n; i++) if (!(i in seen)) s = s " " (i - 2); print s }' "$ref")
        if [ -n "$silent" ]; then
            echo "FAIL $name ($precision): the reference's outputs$silent are silent: the test compares nothing there"
            failed=$((failed + 1)); continue
        fi
        for backend in llvm interp; do
            if ! "$tutti" render "$p" -o "$ours" --backend $backend "${args[@]}" > "$ours.log" 2>&1; then
                echo "FAIL $name ($precision, $backend): tutti did not render:"; tail -3 "$ours.log"
                failed=$((failed + 1)); continue
            fi
            if cmp=$(awk -v tol=$tol -f "$root/tools/reference/compare.awk" "$ref" "$ours" 2>&1); then
                echo "ok   $name ($precision, $backend): $cmp"; passed=$((passed + 1))
            else
                echo "FAIL $name ($precision, $backend): $cmp"; failed=$((failed + 1))
            fi
        done
    done
done
echo "language: $passed passed, $failed failed"
[ $failed -eq 0 ]
