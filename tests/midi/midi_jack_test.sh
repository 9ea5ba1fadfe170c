#!/usr/bin/env bash
# MIDI on a real jackd, with clients nobody here wrote (jackd2's example
# clients): jack_midiseq loops a two-note sequence into `tutti play --midi` of a
# polyphonic program with an effect (poly_synth.dsp), and jack_rec records what
# comes out. Checked (analyse.py): sound appears at the notes, at their pitch
# (zero crossings: 261.63 Hz for key 60, 392.00 Hz for key 67), at the level
# velocity/127 times the effect's 0.5, for as long as the note is held, and
# silence after each key-off's release.
#   tests/midi/midi_jack_test.sh path/to/tutti
set -euo pipefail
tutti=$1
here=$(cd "$(dirname "$0")" && pwd)
server=tutti-midi-$$
work=$(mktemp -d)
jackd_pid= play_pid= seq_pid= rec_pid=
. "$here/../tools/processes.sh"
cleanup() {
    stop_process "$seq_pid" jack_midiseq
    stop_process "$rec_pid" jack_rec
    stop_process "$play_pid" "tutti play"
    stop_process "$jackd_pid" jackd
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for f in play.log jackd.log seq.log rec.log; do
        [ -f "$work/$f" ] && { echo "--- $f:"; cat "$work/$f"; }
    done
    exit 1
}

jackd -n "$server" -d dummy -r 48000 -p 256 >"$work/jackd.log" 2>&1 &
jackd_pid=$!
jack_wait -s "$server" -w -t 5 >/dev/null 2>&1 || fail "jackd did not start"
export JACK_DEFAULT_SERVER=$server

"$tutti" play "$here/poly_synth.dsp" --midi --server "$server" >"$work/play.log" 2>&1 &
play_pid=$!
for _ in $(seq 400); do
    grep -q '^playing' "$work/play.log" && break
    kill -0 "$play_pid" 2>/dev/null || fail "tutti play exited"
    sleep 0.025
done
grep -q '^playing' "$work/play.log" || fail "tutti play did not start"
grep -qx 'tutti:midi_in' <<<"$(jack_lsp)" || fail "no tutti:midi_in port"

# 2 s at 48 kHz: key 60 held 0.5 s at 0, key 67 held 0.5 s at 1 s
jack_rec -f "$work/out.wav" -d 5 tutti:out_1 >"$work/rec.log" 2>&1 &
rec_pid=$!
jack_midiseq seq 96000 0 60 24000 48000 67 24000 >"$work/seq.log" 2>&1 &
seq_pid=$!
for _ in $(seq 200); do
    grep -q '^seq:' <<<"$(jack_lsp)" && break
    sleep 0.025
done
seq_port=$(jack_lsp | grep '^seq:' | head -1)
[ -n "$seq_port" ] || fail "jack_midiseq has no port"
jack_connect "$seq_port" tutti:midi_in || fail "cannot connect $seq_port to tutti:midi_in"
wait "$rec_pid" || true
rec_pid=
stop_process "$seq_pid" jack_midiseq; seq_pid=
kill -INT "$play_pid"; wait "$play_pid" || true; play_pid=
[ -s "$work/out.wav" ] || fail "jack_rec wrote nothing"
python3 "$here/analyse.py" "$work/out.wav" || fail "analysis"
grep '^midi:' "$work/play.log"
