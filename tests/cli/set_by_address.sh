#!/usr/bin/env bash
# `tutti render --set/--set-at` name a control by its Faust address (as
# `faust -json` writes it: ' ', '(', ')'... replaced by '_'), its short name or
# its label; the reference runner (tools/reference/reference_render.sh, with
# Faust's own PathBuilder) accepts the same names and renders the same values.
#   tests/cli/set_by_address.sh path/to/tutti [reference_render.sh]
set -euo pipefail
tutti=$1
reference=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cat >"$work/echo box.dsp" <<'DSP'
process = hgroup("echo 1000", hslider("feedback (%)", 0, 0, 1, 0.01)),
    hgroup("Voice 2", hslider("feedback (%)", 0, 0, 1, 0.01)),
    hgroup("Voice 2", nentry("n [style:menu{'a':0;'b':1}]", 0, 0, 10, 1)),
    hslider("[0]", 0, 0, 1, 0.01);
DSP
# The addresses are the reference's own.
json=$("$tutti" json "$work/echo box.dsp")
for a in '/echo_box/echo_1000/feedback__%_' '/echo_box/Voice_2/feedback__%_' '/echo_box/Voice_2/n' '/echo_box/0x00'; do
    grep -qF "\"address\": \"$a\"" <<<"$json" || fail "no address $a in: $json"
done
check() { # expected-last-row args...
    local want=$1; shift
    local got
    got=$("$tutti" render "$work/echo box.dsp" --frames 3 --block 1 --double -o - "$@" | grep -v '^#' | tail -1)
    [ "$got" = "$want" ] || fail "tutti render $*: last row '$got', expected '$want'"
    if [ -n "$reference" ]; then
        local sets=() a
        for a in "$@"; do
            case "$a" in --set-at) ;; *) sets+=("$a") ;; esac
        done
        got=$(bash "$reference" "$work/echo box.dsp" --frames 3 --block 1 --double -o - "${sets[@]}" | grep -v '^#' | tail -1)
        [ "$got" = "$want" ] || fail "reference $*: last row '$got', expected '$want'"
    fi
}
tab=$'\t'
# by address, short name, label (the label names both feedbacks), [0] named 0x00
check "2${tab}0.25${tab}0.5${tab}3${tab}0.75" --set '/echo_box/echo_1000/feedback__%_=0.25' \
    --set 'Voice_2_feedback=0.5' --set '/echo_box/Voice_2/n=3' --set '/echo_box/0x00=0.75'
check "2${tab}0.125${tab}0.125${tab}0${tab}0" --set 'feedback (%)=0.125'
check "2${tab}0${tab}0${tab}7${tab}0" --set 'n=7'
check "2${tab}0.5${tab}0${tab}0${tab}0" --set 'echo_1000_feedback=0.5'
# --set-at takes the same names (tutti only: the reference runner has no --set-at)
got=$("$tutti" render "$work/echo box.dsp" --frames 3 --block 1 --double -o - \
      --set-at '2:/echo_box/Voice_2/feedback__%_=0.5' | grep -v '^#')
[ "$(sed -n 2p <<<"$got")" = "1${tab}0${tab}0${tab}0${tab}0" ] || fail "--set-at applied early: $got"
[ "$(sed -n 3p <<<"$got")" = "2${tab}0${tab}0.5${tab}0${tab}0" ] || fail "--set-at not applied: $got"
got=$("$tutti" render "$work/echo box.dsp" --frames 3 --block 1 --double -o - \
      --set-at '1:echo_1000_feedback=0.25' --set-at '2:n=4' | grep -v '^#')
[ "$(sed -n 2p <<<"$got")" = "1${tab}0.25${tab}0${tab}0${tab}0" ] || fail "--set-at by short name: $got"
[ "$(sed -n 3p <<<"$got")" = "2${tab}0.25${tab}0${tab}4${tab}0" ] || fail "--set-at by label: $got"
# a --set-at change lands at its frame exactly, inside a block (the engine splits it there)
got=$("$tutti" render "$work/echo box.dsp" --frames 200 --block 64 --double -o - \
      --set-at '100:n=4' --set-at '150:n=7' | grep -v '^#' | cut -f1,4)
[ "$(sed -n '100p;101p;150p;151p' <<<"$got" | tr '\n' ' ')" = "99${tab}0 100${tab}4 149${tab}4 150${tab}7 " ] \
    || fail "--set-at inside a block: $(sed -n '99,102p;149,152p' <<<"$got")"
# an unknown name is an error that lists the addresses
if "$tutti" render "$work/echo box.dsp" --frames 3 -o - --set '/echo_box/echo 1000/feedback (%)=1' >"$work/out" 2>&1; then
    fail "the old form of the path was accepted"
fi
grep -qF '/echo_box/echo_1000/feedback__%_' "$work/out" || fail "no list of addresses: $(cat "$work/out")"
echo "ok"
