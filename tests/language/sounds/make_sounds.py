#!/usr/bin/env python3
# Writes the small deterministic WAV files the soundfile tests read
# (16-bit PCM): mono.wav (1 channel, 300 frames at 22050 Hz), stereo.wav
# (2 channels, 200 frames at 48000 Hz), and notasound.wav (text, which
# libsndfile cannot read).
#   make_sounds.py DIR
import math, struct, sys, wave, os

def write(path, channels, rate, frames, f):
    with wave.open(path, 'wb') as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        data = b''.join(struct.pack('<h', f(n, c)) for n in range(frames) for c in range(channels))
        w.writeframes(data)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
write(os.path.join(out, 'mono.wav'), 1, 22050, 300, lambda n, c: int(20000 * math.sin(0.05 * n)))
write(os.path.join(out, 'stereo.wav'), 2, 48000, 200, lambda n, c: (n * 97 + c * 5000) % 30000 - 15000)
with open(os.path.join(out, 'notasound.wav'), 'w') as t:
    t.write('not a sound\n')
