#!/usr/bin/env python3
"""Checks a jack_rec recording of tests/midi/midi_jack_test.sh (16-bit WAV).

The sequence loops every 2 s (96000 frames at 48 kHz): key 60 held 0.5 s, then
1 s later key 67 held 0.5 s, velocity V (jack_midiseq's). Each note must be
heard as one segment: about 0.5 s long plus the release, at the note's pitch
(counted by zero crossings), at the level V/127 * 0.5 (gain, then the
effect's halving), with silence between notes after the release.
"""
import math
import struct
import sys
import wave

RATE = 48000
PITCH = {60: 440 * 2 ** ((60 - 69) / 12), 67: 440 * 2 ** ((67 - 69) / 12)}

with wave.open(sys.argv[1]) as w:
    assert w.getsampwidth() == 2, "expected 16-bit samples"
    ch = w.getnchannels()
    raw = w.readframes(w.getnframes())
x = [v / 32768 for v in struct.unpack("<%dh" % (len(raw) // 2), raw)][::ch]
print("recorded %d frames (%.2f s)" % (len(x), len(x) / RATE))

# segments: runs of 10 ms windows whose peak is above -40 dB
win = 480
loud = [max(abs(v) for v in x[i:i + win]) > 0.01 for i in range(0, len(x) - win, win)]
segments = []
start = None
for k, on in enumerate(loud + [False]):
    if on and start is None:
        start = k
    elif not on and start is not None:
        segments.append((start * win, k * win))
        start = None
ok = True
seen = set()
onsets = []
for a, b in segments:
    if a == 0 or b >= len(x) - win:
        print("segment %d..%d cut by the recording's ends: skipped" % (a, b))
        continue
    mid = x[a + (b - a) // 4: a + 3 * (b - a) // 4]
    # rising zero crossings, placed between samples by linear interpolation
    ups = [i - 1 + mid[i - 1] / (mid[i - 1] - mid[i])
           for i in range(1, len(mid)) if mid[i - 1] < 0 <= mid[i]]
    freq = (len(ups) - 1) * RATE / (ups[-1] - ups[0]) if len(ups) > 1 else 0
    key = min(PITCH, key=lambda k: abs(PITCH[k] - freq))
    peak = max(abs(v) for v in mid)
    dur = (b - a) / RATE
    # the onset to the sample: the first sample above -80 dB
    onset = a - win
    while onset < b and abs(x[onset]) < 1e-4:
        onset += 1
    onsets.append(onset)
    good = abs(freq - PITCH[key]) / PITCH[key] < 0.002 and 0.45 < dur < 0.75
    print("note at frame %d (%.3f s): %.2f Hz (key %d: %.2f Hz), %.3f s, peak %.4f -> %s"
          % (onset, onset / RATE, freq, key, PITCH[key], dur, peak, "ok" if good else "WRONG"))
    ok = ok and good
    seen.add((key, round(peak, 2)))
keys = {k for k, _ in seen}
if keys != {60, 67}:
    print("expected both keys 60 and 67, heard", sorted(keys))
    ok = False
# the level: velocity/127 * 0.5, for jack_midiseq's velocity
levels = sorted({p for _, p in seen})
print("levels:", levels, "(velocity 64: %.4f)" % (64 / 127 * 0.5))
if not all(abs(p - 64 / 127 * 0.5) < 0.01 for p in levels):
    ok = False
# silence between notes: after each segment's end, the next 0.3 s is quiet
for a, b in segments:
    rest = x[b + win: min(b + int(0.3 * RATE), len(x))]
    if rest and max(abs(v) for v in rest) > 0.01:
        print("no silence after the note ending at %.3f s" % (b / RATE))
        ok = False
# the notes are 48000 frames apart in the sequence: so are their onsets, to
# a few samples (a JACK period is 256 frames: events land at their frame)
gaps = [b - a for a, b in zip(onsets, onsets[1:])]
print("onset spacing (frames):", gaps)
if not gaps or not all(abs(g - 48000) <= 16 for g in gaps):
    print("onsets are not 48000 frames apart")
    ok = False
print("notes heard: %d" % len(segments))
sys.exit(0 if ok and len(segments) >= 3 else 1)
