#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Renders a QR code printed in the terminal (UTF-8 half blocks, as `tutti play`
prints it) to a PBM image, the way a dark terminal shows it: the blocks are light,
spaces and everything around the printed text are the dark background.

usage: qr_terminal_to_pbm.py IN.txt OUT.pbm [SCALE]
Only lines made of the four cells (U+2588, U+2580, U+2584, space) are taken, so
the banner's other lines may stay in the input."""
import sys

CELLS = {"\u2588": (1, 1), "\u2580": (1, 0), "\u2584": (0, 1), " ": (0, 0)}


def main():
    src, dst = sys.argv[1], sys.argv[2]
    scale = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    lines = [l.rstrip("\n") for l in open(src, encoding="utf-8")]
    code = [l for l in lines if l and set(l) <= set(CELLS) and set(l) != {" "}]
    if not code:
        sys.exit("qr_terminal_to_pbm: no half-block lines in " + src)
    width = max(len(l) for l in code)
    rows = []  # 1 = light
    for l in code:
        l = l.ljust(width)
        rows.append([CELLS[c][0] for c in l])
        rows.append([CELLS[c][1] for c in l])
    border = 8  # the terminal's dark background around the code
    w = (width + 2 * border) * scale
    h = (len(rows) + 2 * border) * scale
    out = [f"P1\n{w} {h}\n"]
    dark_row = " ".join(["1"] * w) + "\n"
    for _ in range(border * scale):
        out.append(dark_row)
    for r in rows:
        px = [1] * (border * scale)
        for v in r:
            px += [0 if v else 1] * scale  # PBM: 1 = black
        px += [1] * (border * scale)
        line = " ".join(map(str, px)) + "\n"
        out.extend([line] * scale)
    for _ in range(border * scale):
        out.append(dark_row)
    open(dst, "w").write("".join(out))


if __name__ == "__main__":
    main()
