#!/usr/bin/env bash
# Tiered start, the library cache and constant-only edits (issue 14 section 4),
# measured in one run on this machine (null driver, 48 kHz, 64-frame blocks):
#
#  1. first sound in a running engine (build/bin/bench_tiered): request -> the
#     first block of the new version, tiered (interpreter) against single-tier
#     (LLVM), for osc, karplus32 and zitaRev; and the library cache's effect;
#  2. first sound from a cold process: exec of `tutti play PROGRAM --driver null`
#     -> its first block (the "heard version 1 at steady T" line: CLOCK_MONOTONIC,
#     the clock this script reads too), tiered against --no-tier;
#  3. constant-only edits of zitaRev under `tutti play --watch` (the program file
#     holds zita_rev1's definition, taken from the installed demos.lib, and each
#     edit changes numbers only): compile finished -> heard (tutti's "compiled->heard")
#     and save -> heard (the write of the file, in this script, -> the
#     first block of the new version), tiered against --no-tier.
#
#   bench/tiered/tiered.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build}
rounds=${2:-7}
ex=/usr/share/faust/examples
echo "== 1. first sound in a running engine; the library cache"
"$build/bin/bench_tiered" "$rounds"
echo
python3 - "$build/bin/tutti" "$rounds" "$ex" <<'PY'
import os, re, statistics, subprocess, sys, tempfile, time

tutti, rounds, ex = sys.argv[1], int(sys.argv[2]), sys.argv[3]
quiet = ["--driver", "null", "--no-http", "--no-osc"]

def med(v):
    return statistics.median(v) if v else float("nan")

print("== 2. first sound from a cold process: exec -> first block (ms), median / worst of", rounds)
print("%-40s %20s %20s" % ("program", "tiered", "--no-tier"))
for prog in ["generator/osc.dsp", "physicalModeling/old/karplus32.dsp"]:
    row = []
    for extra in [[], ["--no-tier"]]:
        times = []
        for _ in range(rounds):
            t0 = time.monotonic_ns()
            out = subprocess.run([tutti, "play", os.path.join(ex, prog), "--seconds", "0.3"] + quiet + extra,
                                 capture_output=True, text=True).stdout
            m = re.search(r"heard version 1 at steady ([0-9.]+) ms", out)
            if not m:
                print(out); sys.exit("no first-sound line")
            times.append(float(m.group(1)) - t0 / 1e6)
        row.append("%8.1f / %8.1f" % (med(times), max(times)))
    print("%-40s %20s %20s" % (prog, row[0], row[1]))

print()
print("== 3. constant-only edits of zitaRev under tutti play --watch (ms), median / worst of", rounds)
lines = open("/usr/share/faust/demos.lib").read().splitlines()
start = next(i for i, l in enumerate(lines) if l.startswith("zita_rev1 = "))
end = next(i for i in range(start, len(lines)) if lines[i].startswith("};"))
body = "\n".join(lines[start:end + 1])
assert '"[2] Level [unit:dB]' in body and "-20, -70, 40, 0.1" in body
program = 'declare name "zitaRev";\nimport("stdfaust.lib");\nprocess = zita_rev1;\n' + body + "\n"

def run(extra):
    d = tempfile.mkdtemp()
    path = os.path.join(d, "zitaRev.dsp")
    open(path, "w").write(program)
    p = subprocess.Popen([tutti, "play", path, "--watch", "--seconds", "600"] + quiet + extra,
                         stdout=subprocess.PIPE, text=True, bufsize=1)
    def wait_line(pattern):
        while True:
            l = p.stdout.readline()
            if not l:
                sys.exit("tutti play ended")
            m = re.search(pattern, l)
            if m:
                return l, m
    wait_line(r"^playing")
    if not extra:
        wait_line(r"^tier 1:")
    compile_to_sound, save_to_sound, compile_ms, kinds = [], [], [], []
    for i in range(rounds):
        text = program.replace("-20, -70, 40, 0.1", "%d, -70, 40, 0.1" % (-19 + i % 10))
        text = text.replace("0.49*fsmax", "0.4%d*fsmax" % (8 - i % 8))
        time.sleep(0.3)
        t0 = time.monotonic_ns()
        with open(path, "w") as f:
            f.write(text)
        l, _ = wait_line(r"^swap %d " % (i + 2))
        heard = float(re.search(r"heard at steady ([0-9.]+) ms", l).group(1))
        save_to_sound.append(heard - t0 / 1e6)
        compile_ms.append(float(re.search(r"compile ([0-9.]+) ms", l).group(1)))
        k = re.search(r"edit (\w+)", l)
        kinds.append(k.group(1) if k else "?")
        m = re.search(r"compiled->heard ([0-9.]+) ms", l)
        if m:
            compile_to_sound.append(float(m.group(1)))
        if not extra:
            wait_line(r"^tier %d:" % (i + 2))  # its LLVM code took over before the next save
    p.terminate()
    p.wait()
    return compile_to_sound, save_to_sound, compile_ms, kinds

for label, extra in [("tiered", []), ("--no-tier", ["--no-tier"])]:
    c2s, s2s, cms, kinds = run(extra)
    print("%-10s edits %s; compile %.1f / %.1f; compile finished -> heard %s; save -> heard %.1f / %.1f"
          % (label, ",".join(sorted(set(kinds))), med(cms), max(cms),
             ("%.2f / %.2f" % (med(c2s), max(c2s))) if c2s else "(not on the interpreter)",
             med(s2s), max(s2s)))
PY
