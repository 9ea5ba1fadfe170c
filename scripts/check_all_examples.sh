#!/usr/bin/env bash
# `tutti check` on every installed example program (251 files): each must end,
# within 60 s, with exit code 0 (compiled) or 1 (diagnostics printed); a crash
# (signal) or a hang fails. Prints the tally.
set -uo pipefail
tutti=${1:-build/bin/tutti}
ok=0 diag=0 bad=0
while read -r f; do
    timeout 60 "$tutti" check "$f" > /dev/null 2> /tmp/tutti-check-$$.err
    rc=$?
    case $rc in
        0) ok=$((ok + 1)) ;;
        1) if [ -s /tmp/tutti-check-$$.err ]; then diag=$((diag + 1)); else bad=$((bad + 1)); echo "no diagnostic: $f"; fi ;;
        *) bad=$((bad + 1)); echo "FAILED (exit $rc): $f" ;;
    esac
done < <(find /usr/share/faust/examples -name '*.dsp' | sort)
rm -f /tmp/tutti-check-$$.err
echo "$ok compiled, $diag ended in a diagnostic, $bad crashed or hung"
[ $bad -eq 0 ] && [ $((ok + diag)) -ge 251 ]
