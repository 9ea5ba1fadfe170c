#!/usr/bin/env bash
# clang-tidy-14 over the project's own C/C++ files (.clang-tidy's checks):
#   scripts/tidy.sh BUILD_DIR [JOBS] [FILE_REGEX]
# BUILD_DIR/compile_commands.json says how each file is compiled (the release
# preset writes it). Prints the findings, then how many there are per check;
# exit 1 if there is any. The whole log: BUILD_DIR/tidy.log.
set -euo pipefail
build=${1:?usage: scripts/tidy.sh BUILD_DIR [JOBS] [FILE_REGEX]}
jobs=${2:-2}
filter=${3:-}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v run-clang-tidy-14 >/dev/null || { echo "tidy: run-clang-tidy-14 not found (apt-get install clang-tidy-14)"; exit 2; }
[ -f "$build/compile_commands.json" ] || { echo "tidy: no $build/compile_commands.json (configure first)"; exit 2; }
# The project's translation units (not generated files, not the fuzz corpus).
regex="^$root/(src|tests|bench|examples)/.*\\.(cpp|c)\$"
files=$(python3 -c '
import json, re, sys
seen = set()
for e in json.load(open(sys.argv[1])):
    f = e["file"]
    if re.search(sys.argv[2], f) and sys.argv[3] in f and f not in seen:
        seen.add(f); print(f)' "$build/compile_commands.json" "$regex" "$filter")
n=$(echo "$files" | grep -c . || true)
echo "tidy: $n files, clang-tidy-14 -j $jobs (log: $build/tidy.log)"
[ "$n" -gt 0 ] || exit 0
# run-clang-tidy takes regexes; each file is matched by its own escaped path.
# shellcheck disable=SC2046
run-clang-tidy-14 -p "$build" -j "$jobs" -quiet $(echo "$files" | sed 's/[.+]/\\&/g; s/$/$/') \
    >"$build/tidy.log" 2>&1 || true
# One finding per "file:line:col: warning: ... [check]" line in the project's
# files, each counted once (a header is reported by every file that includes
# it). Findings placed in system headers are left out: they are the other side
# of a declaration of ours (the real-time checker's malloc vs glibc's).
sed 's/\x1b\[[0-9;]*m//g' "$build/tidy.log" | grep -E "^$root/.*:[0-9]+:[0-9]+: (warning|error): .*\[[a-z0-9.,-]+\]\$" | sort -u >"$build/tidy.findings" || true
cat "$build/tidy.findings"
echo "== findings per check"
sed -E 's/.*\[([a-z0-9.,-]+)\]$/\1/' "$build/tidy.findings" | sort | uniq -c | sort -rn
total=$(wc -l <"$build/tidy.findings")
echo "tidy: $total findings in $(cut -d: -f1 "$build/tidy.findings" | sort -u | wc -l) files"
[ "$total" -eq 0 ]
