#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compares `tutti json PROG` with `faust -json PROG` (the reference, 2.54.9) as
parsed JSON, for every program given (files, or folders searched for *.dsp).

  json_ui_compare.py --tutti BIN [--faust faust] [--jobs N] [--min-compared N]
                     [--skip FILE] PROGRAM_OR_DIR...

A program the reference rejects must be rejected by tutti too; one it crashes
on (killed by a signal) is reported and not compared. A program listed in
--skip (one path suffix per line, then '#' and why) may be refused by tutti
(programs with foreign functions: compared when tutti accepts them), unless why
starts with "not compared" (then neither compiler is run on it); any other
program tutti refuses is a failure. Exit status 1 on any difference,
with the first difference of each program (its JSON path, both values).

What is not compared, and why:
  - top-level "compile_options", "library_list", "include_pathnames": the
    reference's own command line and the absolute paths of the files it read;
  - the "compile_options" entry of the top-level "meta" list (the same text);
  - the value (not the key) of the metadata in VALUE_NOT_COMPARED (see there);
  - numbers beyond the 6 significant digits the reference prints (it writes
    them with the C++ stream default precision; tutti writes round-trip
    numbers): tutti's value rounded to 6 digits must equal the reference's;
  - an empty bargraph label, for which the reference writes the memory address
    of a tree ("0x55d0c1a2b3c0": different on every run); tutti writes "0x00".
The reference writes a backslash in a label unescaped (invalid JSON): every
backslash in its output is read as a literal backslash.
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

IGNORED_TOP_KEYS = ("compile_options", "library_list", "include_pathnames")
IGNORED_META_KEYS = ("compile_options",)
# A key declared with several values keeps one: the one whose text Faust's lexer
# met first (tutti follows that rule, and matches it on every example but this
# key). filters.lib declares it twice by mistake (`declare lowpass0_highpass1
# "Copyright..."` and `"MIT-style..."`, meant as function metadata), and both
# texts occur in many libraries: which one Faust met first depends on the order
# it parses libraries, which tutti does not follow exactly. The key must be
# there; its value is not compared.
VALUE_NOT_COMPARED = ("filters.lib/lowpass0_highpass1",)
POINTER = re.compile(r"0x[0-9a-f]{5,}")


def programs_of(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                out += [os.path.join(root, f) for f in files if f.endswith(".dsp")]
        else:
            out.append(p)
    return sorted(out)


def load_reference(text):
    # The reference never escapes: a backslash is always a literal one.
    return json.loads(text.replace("\\", "\\\\"), strict=False)


def normalise_reference(ref):
    for k in IGNORED_TOP_KEYS:
        ref.pop(k, None)
    if "meta" in ref:
        ref["meta"] = [m for m in ref["meta"] if not any(k in m for k in IGNORED_META_KEYS)]
    blank_values_not_compared(ref)

    def walk(n):
        if n.get("type") in ("hbargraph", "vbargraph") and POINTER.fullmatch(n.get("label", "")):
            n["label"] = "0x00"
            n["address"] = POINTER.sub("0x00", n["address"])
            n["shortname"] = None  # not comparable: made from the address
        for it in n.get("items", []):
            walk(it)

    for n in ref.get("ui", []):
        walk(n)
    return ref


def blank_values_not_compared(doc):
    for m in doc.get("meta", []):
        for k in m:
            if k in VALUE_NOT_COMPARED:
                m[k] = None


def same_number(ours, ref):
    if ours == ref:
        return True
    try:
        return float("%.6g" % ours) == float(ref)
    except (TypeError, ValueError):
        return False


def first_difference(ours, ref, where="$"):
    """None when equal, else (path, ours, ref)."""
    if isinstance(ref, dict) and isinstance(ours, dict):
        for k in ref:
            if k not in ours:
                return (where + "." + k, "<missing>", ref[k])
        for k in ours:
            if k not in ref:
                return (where + "." + k, ours[k], "<missing>")
        for k in ref:
            if k == "shortname" and ref[k] is None:
                continue
            d = first_difference(ours[k], ref[k], where + "." + k)
            if d:
                return d
        return None
    if isinstance(ref, list) and isinstance(ours, list):
        for i, (a, b) in enumerate(zip(ours, ref)):
            d = first_difference(a, b, "%s[%d]" % (where, i))
            if d:
                return d
        if len(ours) != len(ref):
            return (where + ".length", len(ours), len(ref))
        return None
    if isinstance(ref, (int, float)) and isinstance(ours, (int, float)) and not isinstance(ref, bool):
        return None if same_number(ours, ref) else (where, ours, ref)
    return None if ours == ref else (where, ours, ref)


def reference_json(prog, args):
    """(faust -json's output for prog, "") or (None, faust's last error line).
    With --reference-cache (for development runs), kept by the program's path and text."""
    cached = None
    error = ""
    if args.reference_cache:
        with open(prog, "rb") as fh:
            key = hashlib.sha256(os.path.abspath(prog).encode() + b"\0" + fh.read()).hexdigest()[:24]
        cached = os.path.join(args.reference_cache, key + ".json")
        if os.path.exists(cached):
            with open(cached, encoding="utf-8", errors="surrogateescape") as fh:
                return (fh.read(), error)
    with tempfile.TemporaryDirectory(prefix="tutti-json-") as tmp:
        # -t 0: no compilation time limit (faust stops at 120 s by default)
        f = subprocess.run([args.faust, "-json", "-t", "0", prog, "-O", tmp, "-o", "ref.cpp"],
                           capture_output=True, text=True, timeout=600)
        name = os.path.join(tmp, os.path.basename(prog) + ".json")
        if f.returncode < 0:
            return (None, "crashed: signal %d" % -f.returncode)
        if f.returncode != 0 or not os.path.exists(name):
            return (None, (f.stderr.strip().splitlines() or ["exit status %d" % f.returncode])[-1])
        with open(name, encoding="utf-8", errors="surrogateescape") as fh:
            text = fh.read()
    if cached:
        os.makedirs(args.reference_cache, exist_ok=True)
        with open(cached, "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(text)
    return (text, error)


def compare(prog, args, skip):
    """(status, message): status in equal, differ, faust_rejects, skipped, error."""
    try:
        return compare_one(prog, args, skip)
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        return ("error", "%s: %s" % (type(e).__name__, e))


def compare_one(prog, args, skip):
    for entry, why in skip.items():
        if prog.endswith(entry) and why.startswith("not compared"):
            return ("not_compared", why)
    ref_text, ref_error = reference_json(prog, args)
    t = subprocess.run([args.tutti, "json", prog], capture_output=True, text=True, timeout=600,
                       errors="surrogateescape")
    if ref_text is None:
        if ref_error.startswith("crashed"):
            return ("faust_crashes", ref_error)
        if t.returncode == 0:
            return ("error", "faust rejects it (%s), tutti accepts it" % ref_error)
        return ("faust_rejects", ref_error)
    skipped = any(prog.endswith(s) for s in skip)
    if t.returncode != 0:
        if skipped:
            return ("skipped", skip[next(s for s in skip if prog.endswith(s))])
        return ("error", "tutti json failed: " + t.stderr.strip()[:400])
    try:
        ours = json.loads(t.stdout)
    except ValueError as e:
        return ("error", "tutti json wrote invalid JSON: %s" % e)
    ref = normalise_reference(load_reference(ref_text))
    blank_values_not_compared(ours)
    if args.only:
        ours, ref = ours.get(args.only), ref.get(args.only)
    d = first_difference(ours, ref)
    if d is None:
        return ("equal", "")
    return ("differ", "at %s: tutti %s, faust %s" % (d[0], json.dumps(d[1]), json.dumps(d[2])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tutti", required=True)
    ap.add_argument("--faust", default="faust")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--min-compared", type=int, default=1,
                    help="fail unless at least this many programs were compared")
    ap.add_argument("--reference-cache", help="keep faust's outputs here (development runs)")
    ap.add_argument("--only", help="compare only this top-level key (development runs)")
    ap.add_argument("--skip", help="programs tutti refuses (path suffix, then '#' and why)")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    skip = {}
    if args.skip:
        for line in open(args.skip, encoding="utf-8"):
            entry, _, why = line.partition("#")
            if entry.strip():
                skip[entry.strip()] = why.strip()
    progs = programs_of(args.paths)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        results = list(ex.map(lambda p: (p, compare(p, args, skip)), progs))
    counts = {}
    for p, (status, msg) in results:
        counts[status] = counts.get(status, 0) + 1
        if status in ("differ", "error"):
            print("%s: %s: %s" % (status.upper(), p, msg))
        elif status == "skipped":
            print("skipped: %s (%s)" % (p, msg))
        elif status == "faust_crashes":
            print("not compared: %s: faust %s" % (p, msg))
        elif status == "not_compared":
            print("%s: %s" % (p, msg))
    compared = counts.get("equal", 0) + counts.get("differ", 0)
    print("json ui: %d programs: %d equal, %d differ, %d errors, %d skipped (tutti refuses), "
          "%d rejected by faust (and by tutti), %d not compared (faust crashes)"
          % (len(progs), counts.get("equal", 0), counts.get("differ", 0), counts.get("error", 0),
             counts.get("skipped", 0), counts.get("faust_rejects", 0),
             counts.get("faust_crashes", 0) + counts.get("not_compared", 0)))
    if compared < args.min_compared:
        print("FAIL: only %d programs compared, expected at least %d" % (compared, args.min_compared))
        return 1
    return 1 if counts.get("differ", 0) or counts.get("error", 0) else 0


if __name__ == "__main__":
    sys.exit(main())
